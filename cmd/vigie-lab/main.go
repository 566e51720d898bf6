// Command vigie-lab runs a containerlab topology of FRR routers in network
// namespaces, without containers, and plays failures on it:
//
//	vigie-lab up      FILE            wire the lab, start its daemons, wait until converged
//	vigie-lab down    FILE|NAME       remove everything the lab made (idempotent)
//	vigie-lab status  FILE            per node: daemons, BGP sessions, LLDP neighbours, cuts
//	vigie-lab cut     FILE WHAT       WHAT: internet | link NODE:IF | node NODE | srlg ID | scenario NAME
//	vigie-lab restore FILE [WHAT]     undo one cut, or every cut
//	vigie-lab exec    FILE -- CMD...  run CMD in the lab's mgmt namespace (where vigie runs)
//	vigie-lab reach   FILE NODE SRC DST  packets from NODE (address SRC) to DST, and back?
//	vigie-lab inventory FILE [-o OUT] the vigie inventory of the lab, from its labels and link vars
//	vigie-lab kernel                  which optional kernel features (netem, VRF) this machine has
//
// The logic lives in package lab; this file is flags, wiring and signals.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-rie/vigie/lab"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: vigie-lab COMMAND FILE [ARGS] [flags]   (flags may also come first)
  up FILE                  wire the lab, start FRR, snmpd and lldpd, wait for BGP and LLDP
  down FILE|NAME           remove the lab's namespaces, processes and state (idempotent)
  status FILE              daemons, BGP sessions and LLDP neighbours per node, and the cuts
  cut FILE WHAT            internet | link NODE:IF | node NODE | srlg ID | scenario NAME
  restore FILE [WHAT]      undo one cut, or every cut
  exec FILE -- CMD [ARGS]  run CMD in the lab's mgmt namespace
  reach FILE NODE SRC DST  does NODE, sending from its address SRC, reach DST (TCP, both ways)?
  inventory FILE [-o OUT]  write the lab's vigie inventory (from node labels and link vars)
  kernel                   probe the kernel for netem (impairments, -mode loss) and VRF devices
flags:
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigie-lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	state := fs.String("state", lab.DefaultStateRoot, "directory of the labs' state (pid files, logs, cuts)")
	timeout := fs.Duration("timeout", 90*time.Second, "up: how long to wait for BGP and LLDP")
	parallel := fs.Int("parallel", 4, "up: nodes started at once")
	keep := fs.Bool("keep", false, "up: leave a lab that failed to converge in place, for inspection")
	mode := fs.String("mode", "down", "cut: down (interfaces down) or loss (netem 100% loss)")
	scenarios := fs.String("scenarios", "", "cut: scenario file (default: scenarios.yml beside FILE)")
	verbose := fs.Bool("v", false, "log every phase")
	output := fs.String("o", "", "inventory: write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest, ok := interleaved(fs)
	if !ok {
		return 2
	}
	if len(rest) == 1 && rest[0] == "kernel" {
		return kernel(stdout, stderr)
	}
	if len(rest) < 2 {
		fs.Usage()
		return 2
	}
	if rest[0] == "inventory" {
		if err := writeInventory(rest[1], *output, stdout); err != nil {
			fmt.Fprintln(stderr, "vigie-lab:", err)
			return 1
		}
		return 0
	}
	// Warnings reach the user once, from Up's result, and errors once, from
	// the command's: the log is for -v only.
	level := slog.LevelError + 1
	if *verbose {
		level = slog.LevelInfo
	}
	opts := lab.Options{
		StateRoot:     *state,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		Progress:      stdout,
		ReadyTimeout:  *timeout,
		Parallel:      *parallel,
		KeepOnFailure: *keep,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, file := rest[0], rest[1]
	err := dispatch(ctx, cmd, file, rest[2:], opts, *mode, *scenarios, stdout, stderr)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(stderr, "vigie-lab:", err)
		return 1
	}
	return 0
}

// interleaved parses the flags found among the positional arguments too,
// so that `vigie-lab cut FILE internet -mode loss` means what it says. What
// follows exec's FILE, or "--", is the command's own and is left alone.
func interleaved(fs *flag.FlagSet) ([]string, bool) {
	var pos []string
	args := fs.Args()
	for len(args) > 0 {
		a := args[0]
		if a == "--" || (len(pos) == 2 && pos[0] == "exec") {
			return append(pos, args...), true
		}
		if len(a) > 1 && a[0] == '-' {
			if err := fs.Parse(args); err != nil {
				return nil, false
			}
			args = fs.Args()
			continue
		}
		pos = append(pos, a)
		args = args[1:]
	}
	return pos, true
}

func dispatch(ctx context.Context, cmd, file string, args []string, opts lab.Options, mode, scenarios string, stdout, stderr io.Writer) error {
	switch cmd {
	case "up", "down", "status", "cut", "restore", "exec", "reach":
	default:
		return fmt.Errorf("unknown command %q: use up, down, status, cut, restore, exec, reach, inventory or kernel", cmd)
	}
	switch cmd {
	case "up":
		start := time.Now()
		l, err := lab.Up(ctx, file, opts)
		if err != nil {
			return err
		}
		for _, w := range l.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		var phases []string
		for _, p := range l.Phases {
			phases = append(phases, fmt.Sprintf("%s %.1fs", p.Name, p.Duration.Seconds()))
		}
		fmt.Fprintf(stdout, "lab %s up and converged in %.1fs (%s); mgmt namespace %s, agent address %s\n",
			l.Topo.Name, time.Since(start).Seconds(), strings.Join(phases, ", "), l.MgmtNetns(), l.MgmtGateway())
		return nil
	case "down":
		name := file
		if strings.HasSuffix(file, ".yml") || strings.HasSuffix(file, ".yaml") {
			t, err := lab.LoadTopology(file)
			if err != nil {
				return fmt.Errorf("%w (if the file is gone, give the lab's name instead)", err)
			}
			name = t.Name
		}
		return lab.Down(ctx, name, opts)
	}
	l, err := lab.Open(file, opts)
	if err != nil {
		return err
	}
	if _, err := os.Stat(l.StateDir()); err != nil && cmd != "exec" {
		return fmt.Errorf("lab %s is not up (no %s): run `vigie-lab up %s`", l.Topo.Name, l.StateDir(), file)
	}
	switch cmd {
	case "status":
		for _, s := range l.Status(ctx) {
			fmt.Fprintf(stdout, "%-14s %-15s %s\n", s.Node, l.MgmtAddr(s.Node), s.Summary())
		}
		cuts, err := l.Cuts()
		for _, c := range cuts {
			fmt.Fprintf(stdout, "cut: %s\n", c)
		}
		return err
	case "cut":
		if len(args) == 2 && args[0] == "scenario" {
			path := scenarios
			if path == "" {
				path = filepath.Join(l.Topo.Dir, "scenarios.yml")
			}
			all, err := lab.LoadScenarios(path)
			if err != nil {
				return err
			}
			s, ok := all[args[1]]
			if !ok {
				return fmt.Errorf("no scenario %q in %s", args[1], path)
			}
			return l.Play(ctx, s)
		}
		t, err := lab.ParseTarget(args)
		if err != nil {
			return err
		}
		t.Mode = lab.CutMode(mode)
		return l.Cut(ctx, t)
	case "restore":
		if len(args) == 0 {
			return l.Restore(ctx, nil)
		}
		t, err := lab.ParseTarget(args)
		if err != nil {
			return err
		}
		return l.Restore(ctx, &t)
	case "reach":
		if len(args) != 3 {
			return errors.New("reach: give NODE SRC DST, e.g. reach FILE s01-diverse 10.100.1.1 10.200.1.1")
		}
		src, err := netip.ParseAddr(args[1])
		if err != nil {
			return fmt.Errorf("reach: source %q: give an address of the node: %w", args[1], err)
		}
		dst, err := netip.ParseAddr(args[2])
		if err != nil {
			return fmt.Errorf("reach: destination %q: %w", args[2], err)
		}
		if err := l.Reach(ctx, args[0], src, dst, 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (from %s) reaches %s\n", args[0], src, dst)
		return nil
	case "exec":
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			return errors.New("exec: give a command, e.g. vigie-lab exec FILE -- snmpwalk -v2c -c vigie-lab 172.31.1.2")
		}
		c := exec.CommandContext(ctx, args[0], args[1:]...)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, stdout, stderr
		if err := l.MgmtStart(c); err != nil {
			return err
		}
		return c.Wait()
	}
	return nil
}

// writeInventory writes the lab's inventory to out ("" = stdout); it needs
// no root and no running lab.
func writeInventory(file, out string, stdout io.Writer) error {
	t, err := lab.LoadTopology(file)
	if err != nil {
		return err
	}
	if out == "" {
		_, err := t.WriteInventory(stdout)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".inventory-*")
	if err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := t.WriteInventory(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// kernel prints what ProbeKernel finds; exit status 1 when a feature is
// missing, so that a script can check a machine before a planner's session.
func kernel(stdout, stderr io.Writer) int {
	k, err := lab.ProbeKernel()
	if err != nil {
		fmt.Fprintln(stderr, "vigie-lab:", err)
		return 1
	}
	code := 0
	for _, f := range []struct {
		name, use string
		err       error
	}{
		{"netem", "link impairments (vars.netem), cut -mode loss", k.Netem},
		{"vrf", "kernel VRFs on nodes (labels vigie.vrf.NAME)", k.VRF},
	} {
		if f.err != nil {
			fmt.Fprintf(stdout, "%-6s missing: %v; unavailable: %s\n", f.name, f.err, f.use)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%-6s ok: %s\n", f.name, f.use)
	}
	return code
}
