package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/resilience"
	"github.com/vigie-rie/vigie/topology/store"
)

const whatIfSynopsis = `Usage: vigie whatif --config FILE --fail ITEM [--fail ITEM...] [--db FILE] [--format text|json]

Answers "what if these failed at once?" from the inventory alone (or, with
--db, on top of what a stopped vigie last stored as failed): which sites
would lose every path to the datacentres, which would keep a path but lose
redundancy, which interconnects (TESTA, RENATER, partners) would still reach
the datacentres, and what the overseas sites hang on.

A failure ITEM is one of:
  internet          the internet cut: every PFAI device, every internet
                    interconnect, every access or link that rides the internet
  device:NAME       one device
  link:A--B         every link between devices A and B (or link:LINKID)
  srlg:ID           every link of a shared-risk group (a duct, a cable...)
  pop:ID            every device standing in a point of presence
  region:ID         every device, site and datacentre of a region

Examples:
  vigie whatif --config vigie.yml --fail internet
  vigie whatif --config vigie.yml --fail internet --format json | jq .isolated_sites
  vigie whatif --config vigie.yml --fail pop:pop-lyon --fail srlg:cable-safe
  vigie whatif --config vigie.yml --fail device:agg-paris-1 --fail link:p-paris-1--p-lyon-1
  vigie whatif --config vigie.yml --db /var/lib/vigie/vigie.db --fail internet

A running vigie holds its --db file locked: ask it instead, with
  curl -X POST http://VIGIE:9742/api/v1/whatif -d '{"fail": ["internet"]}'
`

// failList collects repeated --fail flags.
type failList []string

func (f *failList) String() string     { return strings.Join(*f, ",") }
func (f *failList) Set(v string) error { *f = append(*f, v); return nil }

// whatIfJSON is the JSON form of the report; every list is present, sorted.
type whatIfJSON struct {
	Failed                 []string                  `json:"failed"`
	IsolatedSites          []string                  `json:"isolated_sites"`
	NewlyIsolatedSites     []string                  `json:"newly_isolated_sites"`
	DegradedSites          []string                  `json:"degraded_sites"`
	SurvivingInterconnects []string                  `json:"surviving_interconnects"`
	LostInterconnects      []string                  `json:"lost_interconnects"`
	Regions                []resilience.RegionCount  `json:"regions"`
	Overseas               []resilience.OverseasSite `json:"overseas"`
	Causes                 []resilience.CauseGroup   `json:"causes"`
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// cmdWhatIf runs `vigie whatif`.
func cmdWhatIf(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_ = ctx
	fs := newFlagSet("whatif", whatIfSynopsis, stderr)
	config := fs.String("config", "", "the vigie configuration (inventory) `FILE`")
	format := fs.String("format", "text", "output format: text or json")
	db := fs.String("db", "", "a stopped vigie's bbolt `FILE`: start from the failures it last stored")
	var fails failList
	fs.Var(&fails, "fail", "a failure `ITEM` (repeatable): internet, device:NAME, link:A--B, srlg:ID, pop:ID, region:ID")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigie whatif: unexpected argument %q (failures are given with --fail)\n", fs.Arg(0))
		return errUsage
	}
	if *config == "" || len(fails) == 0 {
		fmt.Fprintln(stderr, "vigie whatif: give the inventory with --config FILE and at least one --fail ITEM, e.g. --fail internet")
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "vigie whatif: --format=%q: want text or json\n", *format)
		return errUsage
	}
	var extra resilience.Failures
	for _, spec := range fails {
		if err := extra.Add(spec); err != nil {
			fmt.Fprintf(stderr, "vigie whatif: --fail %s\n", err)
			return errUsage
		}
	}
	inv, err := inventory.Load(*config, inventory.LoadOptions{})
	if err != nil {
		return err
	}
	g, err := resilience.Build(inv)
	if err != nil {
		return err
	}
	if err := g.Check(extra); err != nil {
		return err
	}
	var current resilience.Failures
	if *db != "" {
		if current, err = storedFailures(g, *db); err != nil {
			return err
		}
	}
	w := g.WhatIf(current, extra)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(whatIfJSON{
			Failed:                 orEmpty(w.Extra),
			IsolatedSites:          orEmpty(w.Isolated),
			NewlyIsolatedSites:     orEmpty(w.NewlyIsolated),
			DegradedSites:          orEmpty(w.Degraded),
			SurvivingInterconnects: orEmpty(w.SurvivingInterconnects),
			LostInterconnects:      orEmpty(w.LostInterconnects),
			Regions:                orEmpty(w.Regions),
			Overseas:               orEmpty(w.Overseas),
			Causes:                 orEmpty(w.Causes),
		})
	}
	return writeWhatIfText(stdout, inv, w)
}

// maxListed bounds the sites named in the text report; JSON lists them all.
const maxListed = 40

func writeWhatIfText(w io.Writer, inv *inventory.Inventory, r *resilience.WhatIf) error {
	var b strings.Builder
	fmt.Fprintf(&b, "What if %s failed?\n\n", strings.Join(r.Extra, " + "))
	total := r.After.Counts.Sites
	fmt.Fprintf(&b, "%d of %d sites would be cut off from every datacentre", len(r.Isolated), total)
	if n := len(r.Isolated) - len(r.NewlyIsolated); n > 0 {
		fmt.Fprintf(&b, " (%d of them already are)", n)
	}
	fmt.Fprintf(&b, ";\n%d more would keep a path but lose redundancy.\n\n", len(r.Degraded))

	fmt.Fprintf(&b, "By region:\n  %-24s %7s %9s %9s\n", "region", "sites", "cut off", "degraded")
	for _, rc := range r.Regions {
		name := rc.Region
		if reg := inv.Region(rc.Region); reg != nil && reg.Name != "" {
			name = reg.Name
		}
		fmt.Fprintf(&b, "  %-24s %7d %9d %9d\n", name, rc.Sites, rc.Isolated, rc.Degraded)
	}

	if len(r.Causes) > 0 {
		fmt.Fprintf(&b, "\nWhy (the failures that alone explain each group of cut-off sites):\n")
		for _, c := range r.Causes {
			cause := strings.Join(c.Cause, " + ")
			if cause == "" {
				cause = "(no path in the inventory itself)"
			}
			fmt.Fprintf(&b, "  %5d sites  %s\n", len(c.Sites), cause)
		}
	}

	if len(r.Isolated) > 0 {
		fmt.Fprintf(&b, "\nSites cut off:\n")
		listSites(&b, inv, r.Isolated)
	}
	if len(r.Degraded) > 0 {
		fmt.Fprintf(&b, "\nSites losing redundancy:\n")
		listSites(&b, inv, r.Degraded)
	}

	fmt.Fprintf(&b, "\nInterconnects still reaching a datacentre: %s\n", listOrNone(r.SurvivingInterconnects))
	fmt.Fprintf(&b, "Interconnects lost: %s\n", listOrNone(r.LostInterconnects))

	if len(r.Overseas) > 0 {
		fmt.Fprintf(&b, "\nOverseas sites: %d", len(r.Overseas))
		cut := 0
		byLinks := map[string]int{}
		var order []string
		for _, o := range r.Overseas {
			if o.Isolated {
				cut++
			}
			ls := make([]string, len(o.Transoceanic))
			for i, l := range o.Transoceanic {
				ls[i] = string(l)
			}
			links := strings.Join(ls, ", ")
			if links == "" {
				links = "no cable: every access lands outside the region"
			}
			k := o.Region + ": " + links
			if _, ok := byLinks[k]; !ok {
				order = append(order, k)
			}
			byLinks[k]++
		}
		fmt.Fprintf(&b, ", %d cut off. They hang on these transoceanic links:\n", cut)
		for _, k := range order {
			fmt.Fprintf(&b, "  %5d sites  %s\n", byLinks[k], k)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func listSites(b *strings.Builder, inv *inventory.Inventory, ids []string) {
	for i, id := range ids {
		if i == maxListed {
			fmt.Fprintf(b, "  ... and %d more (--format json lists them all)\n", len(ids)-maxListed)
			return
		}
		name := ""
		if s := inv.Site(id); s != nil {
			name = s.Name
		}
		fmt.Fprintf(b, "  %-12s %s\n", id, name)
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// storedFailures reads the failed set of a stopped vigie's store. The file
// must exist: whatif never creates a store.
func storedFailures(g *resilience.Graph, path string) (resilience.Failures, error) {
	if _, err := os.Stat(path); err != nil {
		return resilience.Failures{}, fmt.Errorf("--db: %w", err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return resilience.Failures{}, fmt.Errorf("%w; a running vigie answers the same question: POST /api/v1/whatif", err)
		}
		return resilience.Failures{}, err
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		return resilience.Failures{}, err
	}
	return topology.StoredFailures(g, snap), nil
}
