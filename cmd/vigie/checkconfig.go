package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vigie-rie/vigie/inventory"
)

const checkConfigUsage = `Usage: vigie check-config [flags] FILE

Validates an inventory and prints every problem, one per line, as
FILE:LINE: FIELD: MESSAGE (unknown keys, duplicate ids, dangling references,
a site whose access lands on no device...). Exit status: 0 when the file is
valid (warnings, such as a v2c profile, are printed but do not fail), 1 when
it has errors, 2 on a command-line mistake.

Examples:
  vigie check-config configs/vigie.example.yml
  vigie check-config --secrets /etc/vigie/vigie.yml   # also read every env/file secret
`

func cmdCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check-config", checkConfigUsage, stderr)
	secrets := fs.Bool("secrets", false, "also resolve every secret ({env: ...}, {file: ...}) and check file modes")
	strict := fs.Bool("strict", false, "treat warnings as errors")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	var warnings []inventory.Problem
	inv, err := inventory.Load(path, inventory.LoadOptions{
		Strict:         *strict,
		ResolveSecrets: *secrets,
		OnWarning:      func(p inventory.Problem) { warnings = append(warnings, p) },
	})
	if err != nil {
		nErr, nWarn := inventory.CheckReport(err)
		fmt.Fprintln(stdout, err)
		return fmt.Errorf("%s: %d error(s), %d warning(s)", path, nErr, nWarn)
	}
	for _, w := range warnings {
		fmt.Fprintln(stdout, w)
	}
	fmt.Fprintf(stdout, "%s: valid: %d regions, %d datacentres, %d PoPs, %d devices, %d sites, %d links, %d interconnects, %d BGP peers; %d warning(s)\n",
		path, len(inv.Regions), len(inv.Datacentres), len(inv.PoPs), len(inv.Devices), len(inv.Sites),
		len(inv.Links), len(inv.Interconnects), len(inv.BGP.Peers), len(warnings))
	return nil
}
