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
//	vigie-lab rehearse FILE [--scenario S]... [--scenarios F] [--format text|json|markdown]
//	                                  vigie's prediction of failures against the lab's routers
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
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-rie/vigie/lab"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: vigie-lab COMMAND FILE [ARGS] [flags]   (flags may also come first)
  up FILE                  wire the lab, start FRR, snmpd and lldpd, wait until converged (OSPF, IS-IS,
                           BGP, LLDP as FRR and lldpd say, routes settled) or say what did not
  down FILE|NAME           remove the lab's namespaces, processes and state (idempotent)
  status FILE              daemons, BGP sessions and LLDP neighbours per node, and the cuts
  cut FILE WHAT            internet | link NODE:IF | node NODE | srlg ID | scenario NAME
  restore FILE [WHAT]      undo one cut, or every cut
  exec FILE -- CMD [ARGS]  run CMD in the lab's mgmt namespace
  reach FILE NODE SRC DST  does NODE, sending from its address SRC, reach DST (TCP, both ways)?
  inventory FILE [-o OUT]  write the lab's vigie inventory (from node labels and link vars)
  rehearse FILE [--scenario internet|srlg:X|device:Y|link:NODE:IF|link:A--B]... [--scenarios FILE]
           [--format text|json|markdown]
                           up (or use the running lab), run vigie in it, and per failure compare
                           vigie's what-if with vigie's live view and the routers' packets;
                           exit 0 only when prediction == observation
  -substitute KIND=linux   with any command: run nodes of vendor kinds (nokia_srlinux, ceos...) as linux nodes
  kernel                   probe the kernel for netem (delay, jitter; else nftables and tbf) and VRF devices
flags:
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigie-lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	state := fs.String("state", lab.DefaultStateRoot, "directory of the labs' state (pid files, logs, cuts)")
	timeout := fs.Duration("timeout", 90*time.Second, "up: how long to wait for convergence; rehearse: also each wait of the rehearsal")
	parallel := fs.Int("parallel", 4, "up: nodes started at once")
	keep := fs.Bool("keep", false, "up: leave a lab that failed to converge in place, for inspection; rehearse: leave the lab up afterwards")
	mode := fs.String("mode", "down", "cut: down (interfaces down) or loss (100% loss, links up: netem, else nftables)")
	scenarios := fs.String("scenarios", "", "cut: scenario file (default: scenarios.yml beside FILE); rehearse: rehearse every scenario of this file")
	verbose := fs.Bool("v", false, "log every phase")
	output := fs.String("o", "", "inventory: write to this file instead of stdout")
	substitute := fs.String("substitute", "", "run nodes of vendor kinds as linux nodes (FRR stand-ins): KIND=linux[,KIND=linux]")
	var rehearseScenarios multiFlag
	fs.Var(&rehearseScenarios, "scenario", "rehearse: a failure (internet, srlg:ID, device:NODE, link:NODE:IF, link:A--B); repeat for several (default internet)")
	format := fs.String("format", "text", "rehearse: report format, text, json or markdown")
	vigieBin := fs.String("vigie", "", "rehearse: the vigie binary (default: beside vigie-lab, else on PATH)")
	dir := fs.String("dir", "", "rehearse: where the inventory, vigie's database and log go (default: a directory under $TMPDIR named after the lab)")
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
	sub, err := parseSubstitute(*substitute)
	if err != nil {
		fmt.Fprintln(stderr, "vigie-lab:", err)
		return 2
	}
	if rest[0] == "rehearse" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		ro := rehearseOpts{file: rest[1], scenarios: rehearseScenarios, scenarioFile: *scenarios, format: *format, vigie: *vigieBin, dir: *dir, keep: *keep, timeout: *timeout}
		ok, err := rehearse(ctx, ro, lab.Options{StateRoot: *state, Progress: stderr, ReadyTimeout: *timeout, Parallel: *parallel, Substitute: sub}, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "vigie-lab:", err)
			return 1
		}
		if !ok {
			return 1
		}
		return 0
	}
	if rest[0] == "inventory" {
		if err := writeInventory(rest[1], *output, sub, stdout); err != nil {
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
		Substitute:    sub,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, file := rest[0], rest[1]
	err = dispatch(ctx, cmd, file, rest[2:], opts, *mode, *scenarios, stdout, stderr)
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
			t, err := lab.LoadTopologySubstituting(file, opts.Substitute)
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

// parseSubstitute reads -substitute KIND=linux[,KIND=linux].
func parseSubstitute(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" || v != "linux" {
			return nil, fmt.Errorf("-substitute %q: write KIND=linux (e.g. nokia_srlinux=linux,ceos=linux)", kv)
		}
		out[k] = v
	}
	return out, nil
}

// multiFlag is a flag that may be repeated.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type rehearseOpts struct {
	file, scenarioFile, format, vigie, dir string
	scenarios                              []string
	keep                                   bool
	timeout                                time.Duration
}

// rehearse brings the lab up unless it runs, rehearses, prints the report
// on stdout (progress on stderr) and takes the lab down again if it
// brought it up (unless -keep). ok is whether prediction == observation.
func rehearse(ctx context.Context, o rehearseOpts, opts lab.Options, stdout, stderr io.Writer) (bool, error) {
	if o.format != "text" && o.format != "json" && o.format != "markdown" {
		return false, fmt.Errorf("rehearse: -format %q: use text, json or markdown", o.format)
	}
	topo, err := lab.LoadTopologySubstituting(o.file, opts.Substitute)
	if err != nil {
		return false, err
	}
	var rs []lab.Rehearsal
	for _, s := range o.scenarios {
		r, err := topo.ParseRehearsal(s)
		if err != nil {
			return false, err
		}
		rs = append(rs, r)
	}
	if o.scenarioFile != "" {
		all, err := lab.LoadScenarios(o.scenarioFile)
		if err != nil {
			return false, err
		}
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r, err := topo.RehearsalFromScenario(all[n])
			if err != nil {
				return false, err
			}
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		r, err := topo.ParseRehearsal("internet")
		if err != nil {
			return false, err
		}
		rs = append(rs, r)
	}
	if _, _, err := topo.Inventory(); err != nil {
		return false, err // before anything is brought up
	}
	bin, err := findVigie(o.vigie)
	if err != nil {
		return false, err
	}
	if o.dir == "" {
		o.dir = filepath.Join(os.TempDir(), "vigie-lab-rehearse-"+topo.Name)
	}
	var l *lab.Lab
	if lab.Running(topo.Name) {
		if l, err = lab.Open(o.file, opts); err != nil {
			return false, err
		}
		fmt.Fprintf(stderr, "lab %s is running: rehearsing on it (it stays up)\n", topo.Name)
	} else {
		start := time.Now()
		if l, err = lab.Up(ctx, o.file, opts); err != nil {
			return false, err
		}
		fmt.Fprintf(stderr, "lab %s up and converged in %.1fs\n", topo.Name, time.Since(start).Seconds())
		if !o.keep {
			defer func() {
				if err := l.Down(context.Background()); err != nil {
					fmt.Fprintln(stderr, "vigie-lab: down:", err)
				}
			}()
		}
	}
	rep, err := l.Rehearse(ctx, rs, lab.RehearseOptions{Vigie: bin, Dir: o.dir, Timeout: o.timeout, Progress: stderr})
	if rep != nil && len(rep.Scenarios) > 0 {
		if werr := rep.WriteReport(stdout, o.format); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return false, err
	}
	return rep.Agree, nil
}

// findVigie returns the vigie binary: the one given, else the one beside
// vigie-lab, else the one on PATH.
func findVigie(given string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("rehearse: -vigie %s: %w", given, err)
		}
		return filepath.Abs(given)
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "vigie"); fileExists(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("vigie"); err == nil {
		return filepath.Abs(p)
	}
	return "", errors.New("rehearse needs the vigie binary: build it beside vigie-lab (go build -o bin/ ./cmd/vigie ./cmd/vigie-lab) or give -vigie PATH")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// writeInventory writes the lab's inventory to out ("" = stdout); it needs
// no root and no running lab.
func writeInventory(file, out string, sub map[string]string, stdout io.Writer) error {
	t, err := lab.LoadTopologySubstituting(file, sub)
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
		{"netem", "delay and jitter (vars.netem); loss and rate and cut -mode loss fall back to nftables and tbf", k.Netem},
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
