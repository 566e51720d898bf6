// Command vigie supervises the RIE: it polls SNMP and BGP on the collection,
// backbone, PFAI and PFS equipment, keeps a live topology, computes every
// site's resilience and exposes it all to Prometheus.
//
// main only parses the command line and wires packages together; the logic
// lives in the packages, where tests drive it without a process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand of vigie.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists vigie's subcommands in the order --help shows them.
func commands() []command {
	return []command{
		{"demo", "run vigie on an embedded simulated RIE: no config needed", cmdDemo},
		{"run", "run the daemon on an inventory file", cmdRun},
		{"collect", "run a regional collector publishing to NATS for a central vigie run", cmdCollect},
		{"nkey-gen", "write a new NATS user seed for a collector's --observations.nkey; print its public key", cmdNkeyGen},
		{"check-config", "validate an inventory file and report every problem", cmdCheckConfig},
		{"whatif", "predict which sites a failure (e.g. an internet cut) would isolate", cmdWhatIf},
		{"report", "availability report by site, region, department or ministry from the store", cmdReport},
		{"inventory", "compare two inventories before a reload (inventory diff OLD NEW)", cmdInventory},
		{"discover", "crawl LLDP/CDP over SNMP from seed addresses; write what the inventory lacks", cmdDiscover},
		{"version", "print version information", cmdVersion},
	}
}

// errUsage marks a command-line mistake: exit status 2, usage already shown.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `vigie supervises the RIE (Réseau interministériel de l'État): it polls SNMP and
BGP on collection, backbone, PFAI and PFS equipment, keeps a live topology,
computes every site's designed vs effective protection, shared risks, single
points of failure and the internet-cut what-if, and exposes it to Prometheus.

Usage:
  vigie <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Start here:
  vigie demo                           simulated RIE, metrics on http://localhost:9742/metrics
  vigie check-config configs/vigie.example.yml
  vigie run --config /etc/vigie/vigie.yml
  vigie whatif --config vigie.yml --fail internet
  vigie report availability --db vigie.db --from 2026-11-01 --to 2026-12-01
  vigie inventory diff /etc/vigie/vigie.yml new.yml

"vigie <command> --help" describes each command's flags.
`)
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var status exitStatus
		switch {
		case errors.As(err, &status):
			return int(status)
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "vigie %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "vigie: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// newFlagSet returns a flag set whose errors are returned, not fatal, and
// whose usage text starts with the command's synopsis and examples.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigie "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps a parse error to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
