package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vigie-rie/vigie/internal/atomicfile"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/inventory/sheet"
)

const inventoryUsage = `Usage:
  vigie inventory diff [--format json] OLD NEW
  vigie inventory import csv --base FILE [--out FILE] [--strict] SHEET.csv...
  vigie inventory import netbox-export --base FILE [--out FILE] [--config-map FILE] [--strict] DIR
  vigie inventory export csv --config FILE --out DIR

diff shows what loading the inventory NEW instead of OLD would change, so that
an import or an edit is reviewed before SIGHUP loads it: sites, accesses,
devices, links, interconnects, BGP peers, profiles and settings added, removed
or changed, field by field. Changes a review must not miss are named: an access
"moved" (it lands on another device or interface), a device "re-addressed"
(polled at another address). Secrets show where they come from, never their
value. With a collectors: section (docs/distributed.md), collectors added,
removed or given other regions, PoPs or devices show, and each device polled
by another collector is "moved" (field collector, "" when no collector polls
it any more), followed by the collectors whose share changes, to restart;
adding or removing the whole section shows the collectors only.
Accesses are named SITE/CE[:IFNAME], links by their two ends in a fixed
order, so that a reordered file shows no change. Exit status, as diff(1): 0
when nothing changes, 1 when something does, 2 when a file cannot be read or is
not a valid inventory (its problems are printed, as by check-config).

import csv reads the network from spreadsheets, one CSV file per sheet
(regions, datacentres, pops, devices, sites, accesses, links, interconnects:
docs/inventory-sheets.md lists every column), and the agent, polling, SNMP
profiles and BGP settings from the --base inventory. A sheet is recognised by
its file name (English or French: sites.csv, "Accès fibre.csv",
equipements.csv) or its columns. Commas, semicolons or tabs; UTF-8 or Excel's
Windows-1252. Every problem is printed as FILE:LINE: COLUMN: MESSAGE, all of
them in one run; the inventory is written (to --out, atomically, or to stdout)
only when there are none. Exit status: 0 imported, 1 problems, 2 usage.

import netbox-export reads the CSV files that NetBox's own list views export
(Export > All data (CSV), or Current view), saved in DIR as NetBox names them:
netbox_regions.csv, netbox_sites.csv, netbox_devices.csv, netbox_cables.csv
(needed), netbox_interfaces.csv, netbox_circuits.csv, "netbox_circuit
terminations.csv", netbox_providers.csv, netbox_tenants.csv (read when there).
Columns are NetBox v4.6.8's. PoPs and datacentres are NetBox sites with a tag
(pop, datacentre); device roles map to vigie's; a cable from a site's CE is an
access, other cables are links; a circuit cabled at both ends gives an access
its operator and circuit id, one cabled at one end is an interconnect. Tags
srlg:NAME put a cable or circuit in a shared-risk group. --config-map FILE
(YAML) renames the tags, custom fields and roles (docs/netbox.md). What cannot
be mapped is reported, each at its export's FILE:LINE: COLUMN with why, then
counted; the import goes on without it. Problems of the inventory so made are
errors at their export's FILE:LINE: COLUMN. Exit status as import csv.

export csv writes an inventory's network as those sheets into DIR: to start a
spreadsheet from vigie's view, or as a template.

Examples:
  vigie inventory diff /etc/vigie/vigie.yml imported.yml
  vigie inventory diff --format json old.yml new.yml
  vigie inventory import csv --base /etc/vigie/vigie.yml --out imported.yml sheets/*.csv
  vigie inventory import netbox-export --base /etc/vigie/vigie.yml --out imported.yml ~/netbox-export
  vigie inventory export csv --config /etc/vigie/vigie.yml --out sheets
`

// exitStatus is an outcome that is not an error but sets the exit status
// (1 for "inventories differ", as diff(1)).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func cmdInventory(_ context.Context, args []string, stdout, stderr io.Writer) error {
	// One flag set holds every subcommand's flags, so that --help lists
	// them all; each subcommand refuses the flags that are not its own.
	fs := newFlagSet("inventory", inventoryUsage, stderr)
	format := fs.String("format", "text", "diff: text or json")
	base := fs.String("base", "", "import: the inventory whose agent, polling, snmp_profiles, vrfs, bgp and maintenance the import keeps")
	out := fs.String("out", "", "import: the inventory file to write (default: stdout); export: the directory of the sheets")
	strict := fs.Bool("strict", false, "import: treat warnings as errors")
	config := fs.String("config", "", "export: the inventory to export")
	configMap := fs.String("config-map", "", "import netbox-export: YAML naming the NetBox tags, custom fields and roles vigie reads (docs/netbox.md)")
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "-h", "--help", "help":
		fs.Usage()
		return nil
	case "diff", "import", "export":
	default:
		fs.Usage()
		return errUsage
	}
	rest := args[1:]
	format2 := ""
	if sub != "diff" {
		switch {
		case len(rest) > 0 && rest[0] == "csv":
		case len(rest) > 0 && rest[0] == "netbox-export" && sub == "import":
		case sub == "import":
			fmt.Fprintln(stderr, "vigie inventory import: say the format: vigie inventory import csv ... or vigie inventory import netbox-export ...")
			return errUsage
		default:
			fmt.Fprintf(stderr, "vigie inventory %s: say the format: vigie inventory %s csv ... (the only one so far)\n", sub, sub)
			return errUsage
		}
		format2, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	own := map[string][]string{"diff": {"format"}, "import": {"base", "out", "strict"}, "export": {"config", "out"}}
	if format2 == "netbox-export" {
		own["import"] = append(own["import"], "config-map")
	}
	for name := range set {
		if !containsString(own[sub], name) {
			fmt.Fprintf(stderr, "vigie inventory %s: --%s is not one of its flags (%s)\n", sub, name, "--"+strings.Join(own[sub], ", --"))
			return errUsage
		}
	}
	switch sub {
	case "diff":
		if fs.NArg() != 2 || (*format != "text" && *format != "json") {
			fs.Usage()
			return errUsage
		}
		return inventoryDiff(fs.Arg(0), fs.Arg(1), *format, stdout, stderr)
	case "import":
		if format2 == "netbox-export" {
			if fs.NArg() != 1 {
				fmt.Fprintln(stderr, "vigie inventory import netbox-export: name the one directory holding the NetBox CSV exports")
				return errUsage
			}
			return inventoryImportNetBox(fs.Arg(0), *base, *out, *configMap, *strict, stdout, stderr)
		}
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "vigie inventory import csv: name the sheets to import (sites.csv accesses.csv devices.csv ...)")
			return errUsage
		}
		return inventoryImport(fs.Args(), *base, *out, *strict, stdout, stderr)
	default:
		if *config == "" || *out == "" || fs.NArg() != 0 {
			fmt.Fprintln(stderr, "vigie inventory export csv: give the inventory (--config FILE) and the directory to write (--out DIR)")
			return errUsage
		}
		inv, err := inventory.Load(*config, inventory.LoadOptions{})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return fmt.Errorf("%s is not a valid inventory: fix it (vigie check-config %s) and export again", *config, *config)
		}
		files, err := sheet.Export(inv, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d sheets to %s: %s\n", len(files), *out, strings.Join(baseNames(files), " "))
		return nil
	}
}

func inventoryDiff(oldPath, newPath, format string, stdout, stderr io.Writer) error {
	invs := make([]*inventory.Inventory, 2)
	for i, path := range []string{oldPath, newPath} {
		inv, err := inventory.Load(path, inventory.LoadOptions{})
		if err != nil {
			fmt.Fprintln(stderr, err)
			fmt.Fprintf(stderr, "vigie inventory diff: %s is not a valid inventory: fix it (vigie check-config %s) and diff again\n", path, path)
			return exitStatus(2)
		}
		invs[i] = inv
	}
	changes := inventory.Diff(invs[0], invs[1])
	if format == "json" {
		if changes == nil {
			changes = []inventory.Change{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(changes); err != nil {
			return err
		}
	} else {
		writeChanges(stdout, oldPath, newPath, changes)
	}
	if len(changes) > 0 {
		return exitStatus(1)
	}
	return nil
}

// inventoryImport imports the sheets and writes the inventory: to out
// beside its final name then renamed (never half a file), or to stdout.
// Progress and problems go to stderr.
func inventoryImport(files []string, base, out string, strict bool, stdout, stderr io.Writer) error {
	res, err := sheet.Import(files, base, sheet.ImportOptions{Strict: strict, OnSheet: func(file string, k sheet.Kind, rows int) {
		fmt.Fprintf(stderr, "read %s: %d rows (%s)\n", file, rows, k)
	}})
	if err != nil {
		fmt.Fprintln(stderr, err)
		nErr, nWarn := inventory.CheckReport(err)
		return fmt.Errorf("%d error(s), %d warning(s): nothing written; fix the sheets and import again", nErr, nWarn)
	}
	return writeImport(res, "", base, out, stdout, stderr)
}

// inventoryImportNetBox imports a directory of NetBox exports: what
// cannot be mapped is reported and counted on stderr, the inventory written
// as by import csv.
func inventoryImportNetBox(dir, base, out, configMap string, strict bool, stdout, stderr io.Writer) error {
	m, err := sheet.LoadNetBoxMap(configMap)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return fmt.Errorf("fix the config map and import again")
	}
	res, err := sheet.ImportNetBox(dir, base, m, sheet.ImportOptions{Strict: strict, OnSheet: func(file string, k sheet.Kind, rows int) {
		fmt.Fprintf(stderr, "read %s: %d rows (%s)\n", file, rows, k)
	}})
	if err != nil {
		fmt.Fprintln(stderr, err)
		nErr, nWarn := inventory.CheckReport(err)
		return fmt.Errorf("%d error(s), %d warning(s): nothing written; fix the data in NetBox (or the config map), export again and import again", nErr, nWarn)
	}
	return writeImport(res.Result, fmt.Sprintf("%d left out (listed above)", len(res.Skipped)), base, out, stdout, stderr)
}

// writeImport reports the warnings and writes an import's inventory: to
// out beside its final name then renamed (never half a file), or to stdout.
func writeImport(res *sheet.Result, extra, base, out string, stdout, stderr io.Writer) error {
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, w)
	}
	inv := res.Inventory
	summary := fmt.Sprintf("%d regions, %d datacentres, %d PoPs, %d devices, %d sites, %d links, %d interconnects; %d warning(s)",
		len(inv.Regions), len(inv.Datacentres), len(inv.PoPs), len(inv.Devices), len(inv.Sites), len(inv.Links),
		len(inv.Interconnects), len(res.Warnings))
	if extra != "" {
		summary += ", " + extra
	}
	if out == "" {
		_, err := stdout.Write(res.YAML)
		fmt.Fprintln(stderr, "imported: "+summary)
		return err
	}
	if err := atomicfile.Write(out, res.YAML, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "imported to %s: %s\nreview it: vigie inventory diff %s %s\n", out, summary, base, out)
	return nil
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// writeChanges writes one line per change, then the summary:
//
//	access S-0003/ce-s0003-a:ge-0/0/0 moved (old.yml:95 -> new.yml:96): device agg-paris-1 -> agg-paris-2
func writeChanges(w io.Writer, oldPath, newPath string, changes []inventory.Change) {
	for _, c := range changes {
		var where string
		switch {
		case c.OldLine > 0 && c.NewLine > 0:
			where = fmt.Sprintf(" (%s:%d -> %s:%d)", oldPath, c.OldLine, newPath, c.NewLine)
		case c.NewLine > 0:
			where = fmt.Sprintf(" (%s:%d)", newPath, c.NewLine)
		case c.OldLine > 0:
			where = fmt.Sprintf(" (%s:%d)", oldPath, c.OldLine)
		}
		var fields []string
		for _, f := range c.Fields {
			fields = append(fields, fmt.Sprintf("%s %s -> %s", f.Field, quoteEmpty(f.Old), quoteEmpty(f.New)))
		}
		line := fmt.Sprintf("%s %s %s%s", c.Kind, c.ID, c.Change, where)
		if len(fields) > 0 {
			line += ": " + strings.Join(fields, "; ")
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, inventory.DiffSummary(changes))
	if cs := inventory.CollectorsAffected(changes); len(cs) > 0 {
		fmt.Fprintf(w, "collectors whose share changes (each reads it at start: restart them with the new inventory): %s\n", strings.Join(cs, " "))
	}
}

// quoteEmpty shows an empty value as "" so that "a -> " reads as a removal.
func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
