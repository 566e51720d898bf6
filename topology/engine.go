package topology

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/resilience"
)

// errBadRequest marks a what-if the caller got wrong (unknown item, bad
// syntax): the API answers 400 rather than 500.
var errBadRequest = errors.New("bad request")

// resEngine adapts the resilience package to the model.
type resEngine struct {
	g     *resilience.Graph
	inv   *inventory.Inventory
	names map[string]string // site id -> name

	// The previous live results (writer goroutine only), the base of the
	// incremental re-analysis.
	prev, prevCut *resilience.Result
}

// newEngine builds the resilience graph of inv and checks that the model's
// declared link ids are the graph's LinkIDs.
func newEngine(inv *inventory.Inventory, m *model) (*resEngine, error) {
	g, err := resilience.Build(inv)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	known := map[string]bool{}
	for _, id := range g.Links() {
		known[string(id)] = true
	}
	var missing []string
	for id, l := range m.links {
		if l.declared && !known[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("topology: %d declared links are unknown to the resilience graph (first: %q); the two packages name links differently, which is a vigie bug: report it", len(missing), missing[0])
	}
	e := &resEngine{g: g, inv: inv, names: make(map[string]string, len(inv.Sites))}
	for _, s := range inv.Sites {
		e.names[s.ID] = s.Name
	}
	return e, nil
}

// failures turns the live failure set into the engine's. The internet is
// lost when BGP says so, or when every internet uplink is failed.
func (e *resEngine) failures(f failureSet) resilience.Failures {
	out := resilience.Failures{Devices: f.Devices, Links: f.Links}
	out.InternetLost = f.InternetLost || e.g.InternetCut(out)
	return out
}

// analyze runs the live analysis and the internet-cut analysis on top of
// it (for vigie_site_isolated_if_internet_cut and the interconnects that
// survive the cut), each incrementally from the previous result: the
// engine recomputes only the sites the changed elements touch.
func (e *resEngine) analyze(f failureSet, changed string) (*Analysis, error) {
	live := e.failures(f)
	var hint []resilience.LinkID
	if changed != "" {
		hint = []resilience.LinkID{resilience.LinkID(changed)}
	}
	r := e.g.Track(e.prev, live, hint)
	cut := e.g.Reanalyze(e.prevCut, live.Merge(resilience.Failures{Internet: true}), hint)
	e.prev, e.prevCut = r, cut
	return e.convert(r, cut), nil
}

// whatIf analyses the live failures plus extra items. It runs on API
// goroutines and touches no engine state (the graph is immutable).
func (e *resEngine) whatIf(f failureSet, extra []string) (*resilience.WhatIf, error) {
	var x resilience.Failures
	for _, item := range extra {
		if err := x.Add(item); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadRequest, err)
		}
	}
	if err := e.g.Check(x); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	return e.g.WhatIf(e.failures(f), x), nil
}

// convert turns the engine's results (under the failures, and under the
// failures plus an internet cut) into the model's Analysis.
func (e *resEngine) convert(r, cut *resilience.Result) *Analysis {
	a := &Analysis{
		Failures:             r.Failed,
		Sites:                make([]SiteResult, len(r.Sites)),
		Bridges:              make([]string, len(r.Backbone.Bridges)),
		ArticulationPoints:   r.Backbone.Articulations,
		DatacentresConnected: r.Backbone.DatacentresConnected,
	}
	for i, b := range r.Backbone.Bridges {
		a.Bridges[i] = string(b)
	}
	for i := range r.Sites {
		s := &r.Sites[i]
		out := SiteResult{ID: s.ID, Name: e.names[s.ID], Region: s.Region, Designed: int(s.Designed), Effective: int(s.Effective),
			DisjointPaths: s.Paths, SPOFs: s.SPOFs, Isolated: s.Isolated}
		if c := cut.Site(s.ID); c != nil {
			out.IsolatedIfInternetCut = c.Isolated
		}
		if s.Isolated {
			out.CauseKind, out.Cause = causeLabels(s.Cause)
		}
		a.Sites[i] = out
	}
	survives := map[string]bool{}
	for _, ic := range cut.Interconnects {
		survives[ic.ID] = ic.ReachesDatacentre
	}
	for _, ic := range r.Interconnects {
		a.Interconnects = append(a.Interconnects, InterconnectView{ID: ic.ID, Kind: string(ic.Kind),
			Up: ic.ReachesDatacentre, SurvivesInternetCut: survives[ic.ID]})
	}
	return a
}

// causeLabels turns a cause (failure items such as "device:agg-1") into the
// cause_kind and cause label values: the item's kind and name when there is
// one item, else the common kind (or "multiple") and the items joined by
// "+". Both are bounded by the inventory.
func causeLabels(items []string) (kind, cause string) {
	if len(items) == 0 {
		return "unknown", "unknown"
	}
	kinds := map[string]bool{}
	names := make([]string, len(items))
	for i, it := range items {
		k, n, ok := strings.Cut(it, ":")
		if !ok {
			k, n = it, it // "internet"
		}
		kinds[k] = true
		names[i] = n
	}
	if len(kinds) == 1 {
		for k := range kinds {
			kind = k
		}
		return kind, strings.Join(names, "+")
	}
	return "multiple", strings.Join(items, "+")
}
