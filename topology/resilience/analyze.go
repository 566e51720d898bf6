package resilience

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
)

// Result is the full resilience picture under one set of failures. It is
// not modified once returned; Reanalyze builds a new one.
type Result struct {
	// Failed lists the failure items analysed, sorted.
	Failed []string `json:"failed"`
	// Datacentres gives the order of SiteResult.PathsToDC.
	Datacentres []string `json:"datacentres"`
	// Sites holds one entry per site, sorted by id.
	Sites []SiteResult `json:"sites"`
	// Causes groups the isolated sites by root cause, largest group first.
	Causes        []CauseGroup         `json:"causes"`
	Backbone      Backbone             `json:"backbone"`
	Interconnects []InterconnectStatus `json:"interconnects"`
	Counts        Counts               `json:"counts"`

	g     *Graph
	atoms []atom
	dead  deadState
	core  *core
	cache map[cutKey]cutVal
	deep  []bool // per site: its answer needed a search beyond the shared lists
}

// SiteResult is one site's resilience.
type SiteResult struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	Overseas bool   `json:"overseas,omitempty"`
	// Designed is the protection the site was built for (inventory);
	// Effective the protection it has now (docs/resilience.md gives the rule).
	Designed  inventory.Protection `json:"designed"`
	Effective inventory.Protection `json:"effective"`
	// Paths is the number of SRLG-disjoint paths to the datacentres: the
	// least number of risk units (device, SRLG, link in no SRLG) whose
	// failure cuts the site off every datacentre, capped at MaxPaths.
	Paths int `json:"paths"`
	// PathsBackbone is the same count towards any backbone, PFAI or PFS
	// device; PathsToDC towards each datacentre (order of Result.Datacentres).
	PathsBackbone int   `json:"paths_backbone"`
	PathsToDC     []int `json:"paths_to_dc"`
	// SPOFs are the devices ("device:X"), links ("link:ID") and SRLGs
	// ("srlg:ID") whose lone failure would cut the site off every datacentre.
	SPOFs []string `json:"spofs,omitempty"`
	// Isolated says the site reaches no datacentre now.
	Isolated bool `json:"isolated,omitempty"`
	// Cause is, for an isolated site, the smallest set of failure items that
	// alone explains its isolation (sites behind one dead router share it);
	// every device of a PoP is named "pop:ID", links making up a whole SRLG
	// "srlg:ID". Empty when the inventory itself gives the site no path.
	Cause []string `json:"cause,omitempty"`
	// items is Cause before the roll-up: the failure items (atoms) Track
	// checks against the next failures.
	items []string
}

// MarshalJSON writes the protection levels by name ("diverse"...).
func (s SiteResult) MarshalJSON() ([]byte, error) {
	type plain SiteResult
	return json.Marshal(struct {
		plain
		Designed  string `json:"designed"`
		Effective string `json:"effective"`
	}{plain(s), s.Designed.String(), s.Effective.String()})
}

// CauseGroup is one root cause and the isolated sites it explains.
type CauseGroup struct {
	Cause []string `json:"cause"`
	Sites []string `json:"sites"`
}

// Backbone describes the backbone graph: devices of role backbone, pfai or
// pfs, the datacentres, and the live links among them.
type Backbone struct {
	// Bridges are backbone links whose loss splits the backbone graph.
	Bridges []LinkID `json:"bridges"`
	// Articulations are backbone devices whose loss splits it.
	Articulations []string `json:"articulations"`
	// DatacentresConnected says every pair of datacentres still reaches
	// each other (through the whole live core); DisconnectedPairs lists
	// the pairs that do not.
	DatacentresConnected bool        `json:"datacentres_connected"`
	DisconnectedPairs    [][2]string `json:"disconnected_pairs,omitempty"`
	// IsolatedPoPs are the PoPs none of whose live devices reaches a datacentre.
	IsolatedPoPs []string `json:"isolated_pops,omitempty"`
}

// InterconnectStatus says whether an external network still reaches the
// datacentres through its attachment.
type InterconnectStatus struct {
	ID                string                     `json:"id"`
	Kind              inventory.InterconnectKind `json:"kind"`
	ReachesDatacentre bool                       `json:"reaches_datacentre"`
}

// Counts summarises Sites.
type Counts struct {
	Sites    int `json:"sites"`
	Isolated int `json:"isolated"`
	// SinglePath counts sites left with exactly one path.
	SinglePath int `json:"single_path"`
	// BelowDesign counts sites whose effective protection is below design.
	BelowDesign int `json:"below_design"`
}

// analysis is the working state of one Analyze or Reanalyze.
type analysis struct {
	g      *Graph
	dead   deadState
	core   *core
	cache  map[cutKey]cutVal
	cs     *cutScratch
	lseen  []int32 // nodes of the cluster visited (clusters are tiny)
	lstack []int32
	units  []int32
	units2 []int32 // units of the fibre-only / access-only enumerations
	srcBuf []int32
	es     []entry
	es2    []entry
	single []uint32 // landing mask with each of a.units failed alone
	// lastMask is the mask of the last class entries() added.
	lastMask uint32
	deep     int
	// names interns element names: the 300 sites behind one router share
	// one "device:agg-..." string.
	names map[int32]string
}

func (g *Graph) newAnalysis(dead deadState, c *core, cache map[cutKey]cutVal) *analysis {
	if cache == nil {
		cache = make(map[cutKey]cutVal, 1024)
	}
	return &analysis{g: g, dead: dead, core: c, cache: cache, cs: &cutScratch{},
		names: make(map[int32]string, 256)}
}

// Analyze computes every site's resilience, the backbone's weak points and
// the interconnects' reach under the failures given (the live state, or a
// scenario). Unknown items are ignored; call Check first to report them.
func (g *Graph) Analyze(failed Failures) *Result {
	atoms, _ := g.resolve(failed)
	dead := g.newDeadState(atoms)
	c := g.buildCore(dead)
	a := g.newAnalysis(dead, c, nil)
	r := &Result{
		Failed: failed.Items(), Datacentres: g.Datacentres(),
		Sites: make([]SiteResult, len(g.sites)),
		g:     g, atoms: atoms, dead: dead, core: c, cache: a.cache,
		deep: make([]bool, len(g.sites)),
	}
	toDC := make([]int, len(g.sites)*len(g.dcs))
	for k := range g.sites {
		d0 := a.deep
		r.Sites[k] = a.evalSite(int32(k), toDC[k*len(g.dcs):])
		r.deep[k] = a.deep != d0 || g.sites[k].hasShared
	}
	r.finish(a, nil, nil, nil)
	return r
}

// finish fills in what depends on every site: causes, backbone,
// interconnects, counts. recause limits the cause search to those sites
// (nil = every isolated site); a non-nil backbone is reused as is. With
// keep (the previous result, for Track), a site whose previous cause alone
// still isolates it keeps that cause.
func (r *Result) finish(a *analysis, recause []bool, backbone *Backbone, keep *Result) {
	g := r.g
	cz := newCauser(g, r.atoms)
	var held map[int][]string // site: its previous cause, still enough alone
	for k := range r.Sites {
		s := &r.Sites[k]
		if !s.Isolated {
			s.Cause, s.items = nil, nil
			continue
		}
		if recause != nil && !recause[k] {
			continue
		}
		s.items = cz.cause(int32(k))
		if keep == nil || !keep.Sites[k].Isolated {
			continue
		}
		if was := keep.Sites[k].items; !slices.Equal(was, s.items) && cz.still(int32(k), was) {
			if held == nil {
				held = map[int][]string{}
			}
			held[k] = was
		}
	}
	r.holdCauses(held)
	rolled := map[string][]string{}
	for k := range r.Sites {
		s := &r.Sites[k]
		if !s.Isolated || (recause != nil && !recause[k]) {
			continue
		}
		key := strings.Join(s.items, "\x00")
		rc, ok := rolled[key]
		if !ok {
			rc = g.rollup(s.items)
			rolled[key] = rc
		}
		s.Cause = rc
	}
	r.Causes = groupCauses(r.Sites)
	if backbone != nil {
		r.Backbone = *backbone
	} else {
		r.Backbone = g.backboneOf(r.dead, r.core)
	}
	r.Interconnects = r.Interconnects[:0]
	for i, n := range g.ics {
		r.Interconnects = append(r.Interconnects, InterconnectStatus{
			ID: g.nodes[n].name, Kind: g.icKind[i], ReachesDatacentre: r.core.targets[targetAnyDC].reach[n],
		})
	}
	r.Counts = Counts{Sites: len(r.Sites)}
	for _, s := range r.Sites {
		if s.Isolated {
			r.Counts.Isolated++
		}
		if s.Paths == 1 {
			r.Counts.SinglePath++
		}
		if s.Effective < s.Designed {
			r.Counts.BelowDesign++
		}
	}
}

// holdCauses gives back to the sites in held the cause they had, which
// still isolates each alone, unless the cause found afresh explains more
// sites: an incident keeps its name while it lasts (a second failure inside
// a part already cut off does not page again), but sites whose tunnels went
// down one by one are all renamed "internet" once BGP says it is lost.
func (r *Result) holdCauses(held map[int][]string) {
	if len(held) == 0 {
		return
	}
	now := map[string]int{}  // sites per cause found
	kept := map[string]int{} // sites per cause if the held ones are kept
	for k := range r.Sites {
		if s := &r.Sites[k]; s.Isolated {
			key := strings.Join(s.items, "\x00")
			now[key]++
			if _, ok := held[k]; !ok {
				kept[key]++
			}
		}
	}
	for _, was := range held {
		kept[strings.Join(was, "\x00")]++
	}
	for k, was := range held {
		if kept[strings.Join(was, "\x00")] >= now[strings.Join(r.Sites[k].items, "\x00")] {
			r.Sites[k].items = was
		}
	}
}

func groupCauses(sites []SiteResult) []CauseGroup {
	idx := map[string]int{}
	out := []CauseGroup{}
	for _, s := range sites {
		if !s.Isolated {
			continue
		}
		key := strings.Join(s.Cause, "\x00")
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, CauseGroup{Cause: s.Cause})
		}
		out[i].Sites = append(out[i].Sites, s.ID)
	}
	slices.SortStableFunc(out, func(x, y CauseGroup) int {
		if c := cmp.Compare(len(y.Sites), len(x.Sites)); c != 0 {
			return c
		}
		return cmp.Compare(strings.Join(x.Cause, ","), strings.Join(y.Cause, ","))
	})
	return out
}

// Site returns the result of one site, or nil.
func (r *Result) Site(id string) *SiteResult {
	k, ok := r.g.siteByID[id]
	if !ok {
		return nil
	}
	return &r.Sites[k]
}
