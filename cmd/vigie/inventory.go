package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
)

const inventoryUsage = `Usage: vigie inventory diff [flags] OLD NEW

Shows what loading the inventory NEW instead of OLD would change, so that an
import or an edit is reviewed before SIGHUP loads it: sites, accesses,
devices, links, interconnects, BGP peers, profiles and settings added,
removed or changed, field by field. Changes a review must not miss are named:
an access "moved" (it lands on another device or interface), a device
"re-addressed" (polled at another address). Secrets show where they come
from, never their value. Accesses are named SITE/CE[:IFNAME], links by their
two ends in a fixed order, so that a reordered file shows no change.

Exit status, as diff(1): 0 when nothing changes, 1 when something does, 2 when
a file cannot be read or is not a valid inventory (its problems are printed,
as by check-config).

Examples:
  vigie inventory diff /etc/vigie/vigie.yml imported.yml
  vigie inventory diff --format json old.yml new.yml | jq '.[] | select(.change == "moved")'
`

// exitStatus is an outcome that is not an error but sets the exit status
// (1 for "inventories differ", as diff(1)).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func cmdInventory(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory diff", inventoryUsage, stderr)
	format := fs.String("format", "text", "text or json")
	if len(args) == 0 || args[0] != "diff" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		fs.Usage()
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 2 || (*format != "text" && *format != "json") {
		fs.Usage()
		return errUsage
	}
	invs := make([]*inventory.Inventory, 2)
	for i, path := range fs.Args() {
		inv, err := inventory.Load(path, inventory.LoadOptions{})
		if err != nil {
			fmt.Fprintln(stderr, err)
			fmt.Fprintf(stderr, "vigie inventory diff: %s is not a valid inventory: fix it (vigie check-config %s) and diff again\n", path, path)
			return exitStatus(2)
		}
		invs[i] = inv
	}
	changes := inventory.Diff(invs[0], invs[1])
	if *format == "json" {
		if changes == nil {
			changes = []inventory.Change{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(changes); err != nil {
			return err
		}
	} else {
		writeChanges(stdout, fs.Arg(0), fs.Arg(1), changes)
	}
	if len(changes) > 0 {
		return exitStatus(1)
	}
	return nil
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
}

// quoteEmpty shows an empty value as "" so that "a -> " reads as a removal.
func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
