package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/availability"
	"github.com/vigie-rie/vigie/topology/store"
)

const reportSynopsis = `Usage: vigie report availability --db FILE --from DATE --to DATE
         [--by site|region|department|ministry] [--config FILE] [--format text|csv|json|html]

Reports each site's (or each group's) availability over [from, to) from the
site state intervals a stopped vigie kept in its store: availability %,
isolated, degraded and unobserved minutes, incidents (isolations) and their
top causes. DATE is YYYY-MM-DD (midnight UTC) or RFC 3339.

` + availability.RatioDoc + `.

--by region, department or ministry needs the inventory (--config).

Examples:
  vigie report availability --db /var/lib/vigie/vigie.db --from 2026-11-01 --to 2026-12-01
  vigie report availability --db vigie.db --config vigie.yml --from 2026-11-01 --to 2026-12-01 --by ministry --format html > nov.html

A running vigie holds its --db file locked: ask it instead, with
  curl 'http://VIGIE:9742/api/v1/reports/availability?from=2026-11-01&to=2026-12-01&by=region&format=csv'
`

// cmdReport runs `vigie report KIND`; availability is the only kind.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_ = ctx
	fs := newFlagSet("report availability", reportSynopsis, stderr)
	db := fs.String("db", "", "a stopped vigie's bbolt `FILE` (agent.db)")
	config := fs.String("config", "", "the vigie configuration (inventory) `FILE`: site names and groups")
	from := fs.String("from", "", "start `DATE`, included: YYYY-MM-DD (UTC) or RFC 3339")
	to := fs.String("to", "", "end `DATE`, excluded")
	by := fs.String("by", "site", "grouping: site, region, department or ministry")
	format := fs.String("format", "text", "output format: text, csv, json or html")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.Usage()
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "availability" {
		fmt.Fprintln(stderr, "vigie report: say which report: vigie report availability --db FILE --from DATE --to DATE (--help for more)")
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigie report availability: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *db == "" {
		fmt.Fprintln(stderr, "vigie report availability: give the store with --db FILE (agent.db of the vigie)")
		return errUsage
	}
	q, err := availability.ParseQuery(*from, *to, *by, *format)
	if err != nil {
		fmt.Fprintf(stderr, "vigie report availability: %v\n", err)
		return errUsage
	}
	var inv *inventory.Inventory
	if *config != "" {
		if inv, err = inventory.Load(*config, inventory.LoadOptions{}); err != nil {
			return err
		}
	}
	if inv == nil && q.By != "site" {
		fmt.Fprintf(stderr, "vigie report availability: --by %s needs the inventory: give --config FILE\n", q.By)
		return errUsage
	}
	st, err := store.OpenReadOnly(*db, time.Second)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%s is held by a running vigie: ask it instead: curl 'http://VIGIE:9742/api/v1/reports/availability?from=%s&to=%s&by=%s&format=%s'",
			*db, *from, *to, q.By, q.Format)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	_, beat, err := st.OpenIntervals()
	if err != nil {
		return err
	}
	rep, err := availability.Compute(st, inv, q, beat)
	if err != nil {
		return err
	}
	return availability.Write(stdout, rep, q.Format)
}
