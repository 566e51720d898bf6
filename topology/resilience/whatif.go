package resilience

import (
	"slices"

	"github.com/vigie-rie/vigie/inventory"
)

// WhatIf is the answer to "what if these failed too?": the sites cut off
// from the datacentres, those that lose redundancy, the interconnects that
// survive, and the overseas sites with the transoceanic links they hang on.
type WhatIf struct {
	// Current and Extra are the failure items of the two layers.
	Current []string `json:"current"`
	Extra   []string `json:"extra"`
	// Isolated lists every site cut off after the extra failures, sorted;
	// NewlyIsolated those that were not cut off before them.
	Isolated      []string `json:"isolated_sites"`
	NewlyIsolated []string `json:"newly_isolated_sites"`
	// Degraded lists the sites still connected but with fewer disjoint
	// paths to the datacentres, or a lower effective protection, than
	// before: a single-router dual-fibre site losing one fibre keeps one
	// path either way, yet it has lost its redundancy.
	Degraded []string `json:"degraded_sites"`
	// SurvivingInterconnects are the interconnects that still reach a
	// datacentre; LostInterconnects those that reached one before and no more.
	SurvivingInterconnects []string `json:"surviving_interconnects"`
	LostInterconnects      []string `json:"lost_interconnects"`
	// Overseas lists every overseas site.
	Overseas []OverseasSite `json:"overseas"`
	// Regions counts by region, sorted by region id.
	Regions []RegionCount `json:"regions"`
	// Causes groups the isolated sites by root cause.
	Causes []CauseGroup `json:"causes"`

	Before *Result `json:"-"`
	After  *Result `json:"-"`
}

// OverseasSite is an overseas site in a what-if: whether it is cut off and
// the transoceanic links it hangs on: the first ones met walking the live
// core out of its own region's landing nodes, before the extra failures
// (none for a site whose accesses all land outside its region).
type OverseasSite struct {
	ID           string   `json:"id"`
	Region       string   `json:"region"`
	Isolated     bool     `json:"isolated"`
	Paths        int      `json:"paths"`
	Transoceanic []LinkID `json:"transoceanic"`
}

// RegionCount is the what-if's tally for one region.
type RegionCount struct {
	Region        string `json:"region"`
	Sites         int    `json:"sites"`
	Isolated      int    `json:"isolated"`
	NewlyIsolated int    `json:"newly_isolated"`
	Degraded      int    `json:"degraded"`
}

// WhatIf analyses the current failures, then the current and extra ones
// together, and reports the difference. For the internet-cut scenario,
// extra is Failures{Internet: true}.
func (g *Graph) WhatIf(current, extra Failures) *WhatIf {
	before := g.Analyze(current)
	after := g.Reanalyze(before, current.Merge(extra), nil)
	w := &WhatIf{Current: current.Items(), Extra: extra.Items(), Before: before, After: after, Causes: after.Causes}
	regions := map[string]*RegionCount{}
	for k := range after.Sites {
		a, b := &after.Sites[k], &before.Sites[k]
		rc := regions[a.Region]
		if rc == nil {
			rc = &RegionCount{Region: a.Region}
			regions[a.Region] = rc
		}
		rc.Sites++
		switch {
		case a.Isolated:
			w.Isolated = append(w.Isolated, a.ID)
			rc.Isolated++
			if !b.Isolated {
				w.NewlyIsolated = append(w.NewlyIsolated, a.ID)
				rc.NewlyIsolated++
			}
		case a.Paths < b.Paths, a.Effective < b.Effective:
			w.Degraded = append(w.Degraded, a.ID)
			rc.Degraded++
		}
	}
	for _, rc := range regions {
		w.Regions = append(w.Regions, *rc)
	}
	slices.SortFunc(w.Regions, func(x, y RegionCount) int {
		switch {
		case x.Region < y.Region:
			return -1
		case x.Region > y.Region:
			return 1
		}
		return 0
	})
	for i, ic := range after.Interconnects {
		if ic.ReachesDatacentre {
			w.SurvivingInterconnects = append(w.SurvivingInterconnects, ic.ID)
		} else if before.Interconnects[i].ReachesDatacentre {
			w.LostInterconnects = append(w.LostInterconnects, ic.ID)
		}
	}
	cache := map[string][]LinkID{}
	for k := range after.Sites {
		si := &g.sites[k]
		if !si.overseas {
			continue
		}
		// Start from the landing nodes in the site's own region: an
		// access tunnelled over the internet to the mainland hangs on the
		// internet, not on a cable.
		var from []int32
		for _, l := range si.landing {
			if g.nodes[l].region == si.region {
				from = append(from, l)
			}
		}
		key := string(landingKey(from))
		links, ok := cache[key]
		if !ok {
			links = g.transoceanicFrom(from, before.dead)
			cache[key] = links
		}
		a := &after.Sites[k]
		w.Overseas = append(w.Overseas, OverseasSite{ID: a.ID, Region: a.Region, Isolated: a.Isolated, Paths: a.Paths, Transoceanic: links})
	}
	return w
}

func landingKey(ns []int32) []byte {
	b := make([]byte, 0, 4*len(ns))
	for _, n := range ns {
		b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return b
}

// transoceanicFrom walks the live core from the given nodes without
// crossing a transoceanic link, and returns the transoceanic links met.
func (g *Graph) transoceanicFrom(from []int32, dead deadState) []LinkID {
	seen := map[int32]bool{}
	var q []int32
	for _, n := range from {
		if !dead.node[n] {
			seen[n] = true
			q = append(q, n)
		}
	}
	var out []LinkID
	for i := 0; i < len(q); i++ {
		u := q[i]
		for _, e := range g.coreAdj(u) {
			ed := &g.edges[e]
			v := g.other(e, u)
			if ed.site >= 0 || dead.edge[e] || dead.node[v] {
				continue
			}
			if ed.tech == inventory.TechTransoceanic {
				out = append(out, ed.id)
				continue
			}
			if !seen[v] {
				seen[v] = true
				q = append(q, v)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
