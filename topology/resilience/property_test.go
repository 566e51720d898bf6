package resilience

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// randomInventory builds a small RIE-shaped inventory: a few core devices
// (some in datacentres) joined by random links, sites as leaves with one or
// two CEs and a few accesses, SRLGs drawn from a small pool shared between
// accesses and core links so that groups span different paths.
func randomInventory(rng *rand.Rand) *inventory.Inventory {
	inv := &inventory.Inventory{}
	nRegions := 1 + rng.IntN(2)
	for r := range nRegions {
		inv.Regions = append(inv.Regions, inventory.Region{ID: fmt.Sprintf("r%d", r), Overseas: r == 1})
	}
	nDC := 1 + rng.IntN(2)
	for d := range nDC {
		inv.Datacentres = append(inv.Datacentres, inventory.Datacentre{ID: fmt.Sprintf("dc%d", d), Region: "r0"})
	}
	nPoP := 1 + rng.IntN(2)
	for p := range nPoP {
		inv.PoPs = append(inv.PoPs, inventory.PoP{ID: fmt.Sprintf("p%d", p), Region: fmt.Sprintf("r%d", p%nRegions)})
	}
	roles := []inventory.Role{inventory.RoleCollection, inventory.RoleBackbone, inventory.RolePFAI, inventory.RolePFS}
	nCore := 3 + rng.IntN(5)
	var core []string
	for i := range nCore {
		d := inventory.Device{Name: fmt.Sprintf("c%d", i), Role: roles[rng.IntN(len(roles))]}
		if i < nDC || rng.IntN(5) == 0 {
			d.Datacentre = fmt.Sprintf("dc%d", i%nDC)
			d.Role = inventory.RoleBackbone
		} else {
			d.PoP = fmt.Sprintf("p%d", rng.IntN(nPoP))
		}
		inv.Devices = append(inv.Devices, d)
		core = append(core, d.Name)
	}
	pool := 2 + rng.IntN(4)
	srlgs := func() []string {
		var out []string
		for range rng.IntN(3) {
			if rng.IntN(2) == 0 {
				out = append(out, fmt.Sprintf("g%d", rng.IntN(pool)))
			}
		}
		return out
	}
	techs := inventory.Technologies
	nLinks := nCore + rng.IntN(nCore+2)
	for i := range nLinks {
		a, b := rng.IntN(nCore), rng.IntN(nCore)
		if a == b {
			continue
		}
		inv.Links = append(inv.Links, inventory.Link{
			A:          inventory.Endpoint{Device: core[a], Interface: fmt.Sprintf("l%d", i)},
			B:          inventory.Endpoint{Device: core[b], Interface: fmt.Sprintf("l%d", i)},
			Technology: techs[rng.IntN(len(techs))], SRLGs: srlgs(), ViaInternet: rng.IntN(8) == 0,
		})
	}
	nSites := 1 + rng.IntN(3)
	for s := range nSites {
		site := inventory.Site{ID: fmt.Sprintf("s%d", s), Region: fmt.Sprintf("r%d", rng.IntN(nRegions)),
			Protection: inventory.Protection(1 + rng.IntN(4))}
		nCE := 1 + rng.IntN(2)
		var ces []string
		for c := range nCE {
			name := fmt.Sprintf("ce%d-%d", s, c)
			inv.Devices = append(inv.Devices, inventory.Device{Name: name, Role: inventory.RoleCollection, Site: site.ID})
			ces = append(ces, name)
		}
		if nCE == 2 && rng.IntN(3) == 0 {
			inv.Links = append(inv.Links, inventory.Link{A: inventory.Endpoint{Device: ces[0]}, B: inventory.Endpoint{Device: ces[1]}, SRLGs: srlgs()})
		}
		for k := range 1 + rng.IntN(3) {
			acc := inventory.AccessLink{
				Router: ces[rng.IntN(nCE)], RouterInterface: fmt.Sprintf("a%d", k),
				Device: core[rng.IntN(nCore)], Interface: fmt.Sprintf("s%d-a%d", s, k),
				Technology: techs[rng.IntN(len(techs))], SRLGs: srlgs(), ViaInternet: rng.IntN(6) == 0,
			}
			if rng.IntN(8) == 0 {
				acc.Router, acc.RouterInterface = "", ""
			}
			site.Access = append(site.Access, acc)
		}
		inv.Sites = append(inv.Sites, site)
	}
	if rng.IntN(2) == 0 {
		inv.Interconnects = append(inv.Interconnects, inventory.Interconnect{ID: "net", Kind: inventory.InterconnectInternet,
			Device: core[rng.IntN(nCore)], SRLGs: srlgs()})
	}
	if rng.IntN(2) == 0 {
		inv.Interconnects = append(inv.Interconnects, inventory.Interconnect{ID: "testa", Kind: inventory.InterconnectTESTA,
			Device: core[rng.IntN(nCore)]})
	}
	inv.Index()
	return inv
}

func randomFailures(rng *rand.Rand, g *Graph) Failures {
	var f Failures
	for range rng.IntN(3) {
		switch rng.IntN(6) {
		case 0, 1:
			n := g.nodes[rng.IntN(len(g.nodes))]
			if n.kind == kindDevice {
				f.Devices = append(f.Devices, n.name)
			}
		case 2, 3:
			links := g.Links()
			f.Links = append(f.Links, string(links[rng.IntN(len(links))]))
		case 4:
			if len(g.srlgs) > 0 {
				f.SRLGs = append(f.SRLGs, g.srlgs[rng.IntN(len(g.srlgs))])
			}
		case 5:
			switch rng.IntN(4) {
			case 0:
				f.Internet = true
			case 3:
				f.InternetLost = true
			case 1:
				f.PoPs = append(f.PoPs, g.inv.PoPs[rng.IntN(len(g.inv.PoPs))].ID)
			default:
				f.Regions = append(f.Regions, g.inv.Regions[rng.IntN(len(g.inv.Regions))].ID)
			}
		}
	}
	return f
}

// brute answers every question by enumerating failure sets.
type brute struct {
	g    *Graph
	dead deadState
}

// connected is an independent BFS over the whole graph: from the site's
// node, never entering another site's cluster, avoiding the dead and the
// extra failed elements.
func (b brute) connected(k int32, t int, extra []int32, skip func(e int32) bool) bool {
	g := b.g
	nodeDead := func(n int32) bool {
		return b.dead.node[n] || g.nodes[n].kind == kindDevice && slices.Contains(extra, g.devElem(n))
	}
	edgeDead := func(e int32) bool {
		if b.dead.edge[e] || slices.Contains(extra, g.edgeElem(e)) || skip != nil && skip(e) {
			return true
		}
		for _, s := range g.edges[e].srlgs {
			if slices.Contains(extra, g.srlgElem(s)) {
				return true
			}
		}
		return false
	}
	start := g.sites[k].node
	if nodeDead(start) {
		return false
	}
	seen := map[int32]bool{start: true}
	q := []int32{start}
	for len(q) > 0 {
		u := q[0]
		q = q[1:]
		if g.isTarget(t, u) {
			return true
		}
		for _, e := range g.adjEdges[g.adjStart[u]:g.adjStart[u+1]] {
			v := g.other(e, u)
			if seen[v] || edgeDead(e) || nodeDead(v) {
				continue
			}
			if s := g.nodes[v].site; s >= 0 && s != k {
				continue
			}
			seen[v] = true
			q = append(q, v)
		}
	}
	return false
}

func (b brute) units() []int32 {
	g := b.g
	var us []int32
	for n := range g.nodes {
		if g.nodes[n].kind == kindDevice {
			us = append(us, g.devElem(int32(n)))
		}
	}
	for e := range g.edges {
		if g.edges[e].kind != edgeMember && len(g.edges[e].srlgs) == 0 {
			us = append(us, g.edgeElem(int32(e)))
		}
	}
	for s := range g.srlgs {
		us = append(us, g.srlgElem(int32(s)))
	}
	return us
}

func (b brute) cut(k int32, t int, skip func(e int32) bool) int {
	return b.cutUnits(k, t, skip, b.units())
}

// accessUnits are the units without site k's own routers.
func (b brute) accessUnits(k int32) []int32 {
	var out []int32
	for _, u := range b.units() {
		if kind, n := b.g.elemKind(u); kind == 0 && b.g.nodes[n].site == k {
			continue
		}
		out = append(out, u)
	}
	return out
}

func (b brute) cutUnits(k int32, t int, skip func(e int32) bool, us []int32) int {
	if !b.connected(k, t, nil, skip) {
		return 0
	}
	for _, u := range us {
		if !b.connected(k, t, []int32{u}, skip) {
			return 1
		}
	}
	for i, u := range us {
		for _, v := range us[i+1:] {
			if !b.connected(k, t, []int32{u, v}, skip) {
				return 2
			}
		}
	}
	return 3
}

func (b brute) spofs(k int32) []string {
	g := b.g
	if !b.connected(k, targetAnyDC, nil, nil) {
		return nil
	}
	var out []string
	total := len(g.nodes) + len(g.edges) + len(g.srlgs)
	for el := int32(0); int(el) < total; el++ {
		kind, idx := g.elemKind(el)
		if kind == 0 && g.nodes[idx].kind != kindDevice || kind == 1 && g.edges[idx].kind == edgeMember {
			continue
		}
		if kind == 0 && b.dead.node[idx] || kind == 1 && b.dead.edge[idx] {
			continue
		}
		if !b.connected(k, targetAnyDC, []int32{el}, nil) {
			out = append(out, g.elementName(el))
		}
	}
	slices.Sort(out)
	return out
}

func (b brute) effective(k int32, paths int) inventory.Protection {
	g := b.g
	if paths == 0 {
		return inventory.ProtectionNone
	}
	fibres := 0
	for _, e := range g.sites[k].edges {
		ed := &g.edges[e]
		if ed.kind == edgeAccess && ed.tech == inventory.TechFibre && !b.dead.edge[e] && !b.dead.node[ed.a] && !b.dead.node[ed.b] {
			fibres++
		}
	}
	if fibres >= 2 {
		nonFibre := func(e int32) bool {
			return g.edges[e].kind == edgeAccess && g.edges[e].tech != inventory.TechFibre
		}
		if b.cutUnits(k, targetAnyDC, nonFibre, b.accessUnits(k)) >= 2 {
			return inventory.ProtectionDiverse
		}
		return inventory.ProtectionDual
	}
	if b.cutUnits(k, targetAnyDC, nil, b.accessUnits(k)) >= 2 {
		return inventory.ProtectionBackup
	}
	return inventory.ProtectionSingle
}

func describe(inv *inventory.Inventory, f Failures) string {
	var b strings.Builder
	for _, d := range inv.Devices {
		fmt.Fprintf(&b, "device %s role=%s site=%s pop=%s dc=%s\n", d.Name, d.Role, d.Site, d.PoP, d.Datacentre)
	}
	for _, l := range inv.Links {
		fmt.Fprintf(&b, "link %s:%s--%s:%s tech=%s srlgs=%v via=%v\n", l.A.Device, l.A.Interface, l.B.Device, l.B.Interface, l.Technology, l.SRLGs, l.ViaInternet)
	}
	for _, s := range inv.Sites {
		fmt.Fprintf(&b, "site %s region=%s\n", s.ID, s.Region)
		for _, a := range s.Access {
			fmt.Fprintf(&b, "  access %s:%s -> %s:%s tech=%s srlgs=%v via=%v\n", a.Router, a.RouterInterface, a.Device, a.Interface, a.Technology, a.SRLGs, a.ViaInternet)
		}
	}
	for _, ic := range inv.Interconnects {
		fmt.Fprintf(&b, "interconnect %s kind=%s on %s srlgs=%v\n", ic.ID, ic.Kind, ic.Device, ic.SRLGs)
	}
	fmt.Fprintf(&b, "failed: %v\n", f.Items())
	return b.String()
}

// TestAgainstBruteForce compares every per-site answer with brute force on
// thousands of random small graphs (fixed seeds; the graph is printed on
// failure).
func TestAgainstBruteForce(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 300
	}
	for seed := range cases {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		inv := randomInventory(rng)
		g, err := Build(inv)
		if err != nil {
			t.Fatalf("seed %d: Build: %v\n%s", seed, err, describe(inv, Failures{}))
		}
		f := randomFailures(rng, g)
		if err := g.Check(f); err != nil {
			t.Fatalf("seed %d: Check: %v", seed, err)
		}
		r := g.Analyze(f)
		atoms, _ := g.resolve(f)
		b := brute{g: g, dead: g.newDeadState(atoms)}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: %s\n%s", seed, fmt.Sprintf(format, args...), describe(inv, f))
		}
		for k := range g.sites {
			s := r.Sites[k]
			kk := int32(k)
			if want := b.cut(kk, targetAnyDC, nil); s.Paths != want {
				fail("site %s: paths %d, brute force %d", s.ID, s.Paths, want)
			}
			if want := b.cut(kk, targetBackbone, nil); s.PathsBackbone != want {
				fail("site %s: backbone paths %d, brute force %d", s.ID, s.PathsBackbone, want)
			}
			for i := range g.dcs {
				if want := b.cut(kk, targetFirstDC+i, nil); s.PathsToDC[i] != want {
					fail("site %s: paths to %s %d, brute force %d", s.ID, g.nodes[g.dcs[i]].name, s.PathsToDC[i], want)
				}
			}
			if want := b.spofs(kk); !slices.Equal(s.SPOFs, want) {
				fail("site %s: SPOFs %v, brute force %v", s.ID, s.SPOFs, want)
			}
			if want := b.effective(kk, s.Paths); s.Effective != want {
				fail("site %s: effective %v, brute force %v", s.ID, s.Effective, want)
			}
			if s.Isolated != (s.Paths == 0) {
				fail("site %s: isolated %v with %d paths", s.ID, s.Isolated, s.Paths)
			}
			if s.Isolated {
				checkCause(t, g, atoms, kk, s.Cause, fail)
			}
		}
		checkBackbone(g, b, r, fail)
		// Incremental: from a random earlier state to this one.
		f0 := randomFailures(rng, g)
		checkWhatIf(g, f0, f, fail)
		prev := g.Analyze(f0)
		inc := g.Reanalyze(prev, f, nil)
		if !reflect.DeepEqual(exported(inc), exported(r)) {
			fail("Reanalyze from %v differs from Analyze:\n%+v\n%+v", f0.Items(), exported(inc), exported(r))
		}
		// Track: Analyze's answer but for the choice of cause, which is a
		// valid minimal one: the previous one if that still holds, unless
		// it changed to Analyze's to group more sites.
		tr := g.Track(prev, f, nil)
		group := map[string]int{}
		for _, s := range r.Sites {
			if s.Isolated {
				group[strings.Join(s.items, ",")]++
			}
		}
		for k := range g.sites {
			got, want, was := tr.Sites[k], r.Sites[k], prev.Sites[k]
			if got.Isolated && len(want.Cause) > 0 {
				checkCause(t, g, atoms, int32(k), got.items, fail)
			}
			if got.Isolated && was.Isolated && len(was.items) > 0 && !slices.Equal(got.items, was.items) &&
				isolatedByItems(g, atoms, int32(k), was.items) &&
				(!slices.Equal(got.items, want.items) || group[strings.Join(want.items, ",")] < 2) {
				fail("site %s: Track dropped cause %v, which still isolates it alone, for %v (Analyze: %v, %d sites)",
					got.ID, was.items, got.items, want.items, group[strings.Join(want.items, ",")])
			}
			got.Cause, want.Cause, got.items, want.items = nil, nil, nil, nil
			if !reflect.DeepEqual(got, want) {
				fail("site %s: Track %+v, Analyze %+v", got.ID, got, want)
			}
		}
	}
}

// exported strips a Result to its exported fields.
func exported(r *Result) Result {
	return Result{Failed: r.Failed, Datacentres: r.Datacentres, Sites: r.Sites, Causes: r.Causes,
		Backbone: r.Backbone, Interconnects: r.Interconnects, Counts: r.Counts}
}

// isolatedByItems: the named items, all failed now (in atoms), alone cut
// site k off.
func isolatedByItems(g *Graph, atoms []atom, k int32, items []string) bool {
	var sub []atom
	for _, it := range items {
		i := slices.IndexFunc(atoms, func(a atom) bool { return a.name == it })
		if i < 0 {
			return false
		}
		sub = append(sub, atoms[i])
	}
	b := brute{g: g, dead: g.newDeadState(sub)}
	return !b.connected(k, targetAnyDC, nil, nil)
}

// checkCause: the cause alone isolates the site, and no item of it can be
// left out.
func checkCause(t *testing.T, g *Graph, atoms []atom, k int32, cause []string, fail func(string, ...any)) {
	t.Helper()
	isolatedBy := func(items []string) bool {
		var sub []atom
		for _, it := range items {
			a, ok := g.resolveItem(it)
			if i := slices.IndexFunc(atoms, func(a atom) bool { return a.name == it }); i >= 0 {
				a, ok = atoms[i], true // the live internet is not the scenario's
			}
			if !ok {
				fail("cause item %q is unknown", it)
			}
			sub = append(sub, a)
		}
		b := brute{g: g, dead: g.newDeadState(sub)}
		return !b.connected(k, targetAnyDC, nil, nil)
	}
	if isolatedBy(nil) {
		if len(cause) != 0 {
			fail("site %s is cut off by design, yet has cause %v", g.sites[k].id, cause)
		}
		return
	}
	if len(cause) == 0 {
		fail("site %s isolated with no cause", g.sites[k].id)
	}
	if !isolatedBy(cause) {
		fail("site %s: cause %v does not isolate it alone", g.sites[k].id, cause)
	}
	for i := range cause {
		rest := slices.Delete(slices.Clone(cause), i, i+1)
		if isolatedBy(rest) {
			fail("site %s: cause %v is not minimal (%v suffices)", g.sites[k].id, cause, rest)
		}
	}
}

// checkBackbone: bridges and articulation points by removing each element
// and counting the backbone graph's components.
func checkBackbone(g *Graph, b brute, r *Result, fail func(string, ...any)) {
	inBB := func(n int32) bool { return g.inBackbone(n) && !b.dead.node[n] }
	components := func(skipNode int32, skipEdge int32) int {
		seen := map[int32]bool{}
		c := 0
		for n := int32(0); int(n) < len(g.nodes); n++ {
			if !inBB(n) || n == skipNode || seen[n] {
				continue
			}
			c++
			seen[n] = true
			q := []int32{n}
			for len(q) > 0 {
				u := q[0]
				q = q[1:]
				for _, e := range g.adjEdges[g.adjStart[u]:g.adjStart[u+1]] {
					v := g.other(e, u)
					if e == skipEdge || b.dead.edge[e] || !inBB(v) || v == skipNode || seen[v] {
						continue
					}
					seen[v] = true
					q = append(q, v)
				}
			}
		}
		return c
	}
	base := components(-1, -1)
	var bridges []LinkID
	var aps []string
	for e := int32(0); int(e) < len(g.edges); e++ {
		ed := &g.edges[e]
		if ed.kind == edgeMember || b.dead.edge[e] || !inBB(ed.a) || !inBB(ed.b) {
			continue
		}
		if components(-1, e) > base {
			bridges = append(bridges, ed.id)
		}
	}
	for n := int32(0); int(n) < len(g.nodes); n++ {
		if !inBB(n) || g.nodes[n].kind != kindDevice {
			continue
		}
		// An articulation point splits its own component: removing it
		// leaves more components than before, not counting it.
		if components(n, -1) > base {
			aps = append(aps, g.nodes[n].name)
		}
	}
	slices.Sort(bridges)
	slices.Sort(aps)
	if !slices.Equal(bridges, r.Backbone.Bridges) {
		fail("bridges %v, brute force %v", r.Backbone.Bridges, bridges)
	}
	if !slices.Equal(aps, r.Backbone.Articulations) {
		fail("articulations %v, brute force %v", r.Backbone.Articulations, aps)
	}
}

// checkWhatIf compares WhatIf(current, extra) with brute force: isolated
// after, newly isolated, and degraded (fewer paths, or a lower effective
// protection, than before).
func checkWhatIf(g *Graph, current, extra Failures, fail func(string, ...any)) {
	w := g.WhatIf(current, extra)
	before, _ := g.resolve(current)
	after, _ := g.resolve(current.Merge(extra))
	bb := brute{g: g, dead: g.newDeadState(before)}
	ba := brute{g: g, dead: g.newDeadState(after)}
	var isolated, newly, degraded []string
	for k := range g.sites {
		kk := int32(k)
		cb, ca := bb.cut(kk, targetAnyDC, nil), ba.cut(kk, targetAnyDC, nil)
		id := g.sites[k].id
		switch {
		case ca == 0:
			isolated = append(isolated, id)
			if cb > 0 {
				newly = append(newly, id)
			}
		case ca < cb, ba.effective(kk, ca) < bb.effective(kk, cb):
			degraded = append(degraded, id)
		}
	}
	if !slices.Equal(w.Isolated, isolated) || !slices.Equal(w.NewlyIsolated, newly) || !slices.Equal(w.Degraded, degraded) {
		fail("WhatIf(%v, %v): isolated %v newly %v degraded %v; brute force %v %v %v",
			current.Items(), extra.Items(), w.Isolated, w.NewlyIsolated, w.Degraded, isolated, newly, degraded)
	}
}
