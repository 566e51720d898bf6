package resilience

import (
	"slices"

	"github.com/vigie-rie/vigie/inventory"
)

// A site's cut (the least number of risk units whose failure cuts it off a
// target) splits exactly in two. Let X be the units of an optimal cut that
// touch the site's own cluster (its CEs, accesses, their SRLGs) and Y the
// others. Failing X leaves some landing nodes L(X) reachable from the site
// (and may take down core links of an SRLG shared with the core, F(X)); Y
// must then separate L(X) from the target in the core. So
//
//	cut = min over X (|X| <= 2) of |X| + coreCut(L(X), F(X))
//
// and since a site touches a handful of units, the enumeration is tiny,
// while coreCut answers are shared by every site landing on the same nodes.

// entry is one class of X: the landing mask it leaves, the SRLGs shared
// with the core it fails, and the least |X| giving them.
type entry struct {
	mask uint32
	f    [2]int32
	nf   int8
	cost int8
}

func (e *entry) fs() []int32 { return e.f[:e.nf] }

// localReach returns the landing nodes (as a mask over si.landing) reached
// from the site's node through its cluster, with the units x failed and,
// when fibreOnly, every non-fibre access ignored.
func (a *analysis) localReach(si *siteInfo, x []int32, fibreOnly bool) uint32 {
	g := a.g
	if a.dead.node[si.node] {
		return 0
	}
	stack := append(a.lstack[:0], si.node)
	seen := append(a.lseen[:0], si.node)
	var mask uint32
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
	edges:
		for _, e := range g.adjEdges[g.adjStart[u]:g.adjStart[u+1]] {
			if a.dead.edge[e] {
				continue
			}
			ed := &g.edges[e]
			if fibreOnly && ed.kind == edgeAccess && ed.tech != inventory.TechFibre {
				continue
			}
			for _, unit := range x {
				if g.unitKillsEdge(unit, e) {
					continue edges
				}
			}
			v := g.other(e, u)
			if a.dead.node[v] || slices.Contains(x, g.devElem(v)) && g.nodes[v].kind == kindDevice {
				continue
			}
			if g.nodes[v].site < 0 {
				for i, l := range si.landing {
					if l == v {
						mask |= 1 << i
						break
					}
				}
				continue
			}
			if g.nodes[v].site != g.nodes[si.node].site || slices.Contains(seen, v) {
				continue
			}
			seen = append(seen, v)
			stack = append(stack, v)
		}
	}
	a.lstack, a.lseen = stack, seen
	return mask
}

func (a *analysis) sharedOf(x []int32) (f [2]int32, nf int8) {
	f = [2]int32{-1, -1}
	for _, u := range x {
		if k, s := a.g.elemKind(u); k == 2 && a.g.srlgCore[s] {
			f[nf] = u
			nf++
		}
	}
	return f, nf
}

func (a *analysis) unitDead(u int32) bool {
	switch k, i := a.g.elemKind(u); k {
	case 0:
		return a.dead.node[i]
	case 1:
		return a.dead.edge[i]
	}
	return false
}

// entries enumerates the classes of X with |X| <= 2, cheapest first. With
// fibreOnly, non-fibre accesses are ignored; with accessOnly, the site's
// own routers are not counted as units (the protection level describes
// the accesses, see effective).
func (a *analysis) entries(si *siteInfo, fibreOnly, accessOnly bool, dst []entry) []entry {
	dst = dst[:0]
	add := func(x []int32) {
		m := a.localReach(si, x, fibreOnly)
		a.lastMask = m
		f, nf := a.sharedOf(x)
		for i := range dst {
			if dst[i].mask == m && dst[i].f == f {
				return
			}
		}
		dst = append(dst, entry{mask: m, f: f, nf: nf, cost: int8(len(x))})
	}
	add(nil)
	if dst[0].mask == 0 && dst[0].nf == 0 {
		return dst
	}
	main := !fibreOnly && !accessOnly
	units := a.units2[:0]
	if main {
		units = a.units[:0]
	}
	for _, u := range si.units {
		if a.unitDead(u) {
			continue
		}
		if k, _ := a.g.elemKind(u); accessOnly && k == 0 {
			continue
		}
		units = append(units, u)
	}
	if main {
		a.units = units
		a.single = a.single[:0]
	} else {
		a.units2 = units
	}
	var x [2]int32
	for _, u := range units {
		x[0] = u
		add(x[:1])
		if main {
			a.single = append(a.single, a.lastMask)
		}
	}
	for i, u := range units {
		for _, v := range units[i+1:] {
			x[0], x[1] = u, v
			add(x[:2])
		}
	}
	return dst
}

func (a *analysis) srcs(si *siteInfo, mask uint32) []int32 {
	out := a.srcBuf[:0]
	for i, l := range si.landing {
		if mask&(1<<i) != 0 {
			out = append(out, l)
		}
	}
	a.srcBuf = out
	return out
}

// cutFor combines a site's entries with the core for target t.
func (a *analysis) cutFor(si *siteInfo, es []entry, t int) int {
	// Cuts inside the cluster alone bound the answer from above first, so
	// that most core questions are asked with a low cap (cheap).
	best := MaxPaths
	for i := range es {
		if es[i].mask == 0 && es[i].nf == 0 {
			best = min(best, int(es[i].cost))
		}
	}
	for i := range es {
		en := &es[i]
		if int(en.cost) >= best {
			continue
		}
		v := a.coreCut(t, a.srcs(si, en.mask), en.fs(), best-int(en.cost))
		best = min(best, int(en.cost)+v)
	}
	return best
}

// evalSite computes one site's result under the analysis' failures;
// toDC (one per datacentre) becomes its PathsToDC.
func (a *analysis) evalSite(k int32, toDC []int) SiteResult {
	g := a.g
	si := &g.sites[k]
	r := SiteResult{ID: si.id, Region: si.region, Overseas: si.overseas, Designed: si.designed}
	a.es = a.entries(si, false, false, a.es)
	r.Paths = a.cutFor(si, a.es, targetAnyDC)
	r.PathsBackbone = a.cutFor(si, a.es, targetBackbone)
	r.PathsToDC = toDC[:len(g.dcs):len(g.dcs)]
	for i := range g.dcs {
		r.PathsToDC[i] = a.cutFor(si, a.es, targetFirstDC+i)
	}
	r.Isolated = r.Paths == 0
	if !r.Isolated {
		r.SPOFs = a.siteSPOFs(si)
	}
	r.Effective = a.effective(si, r.Paths)
	return r
}

// siteSPOFs lists the elements whose lone failure cuts the site off every
// datacentre: its own (checked one by one) and the core's (shared lists).
func (a *analysis) siteSPOFs(si *siteInfo) []string {
	g := a.g
	// Called right after entries(si, false, false): a.units, a.single and a.es
	// still describe this site, so single-unit reaches are reused.
	var els []int32
	var x [1]int32
	for _, el := range si.elems {
		if a.unitDead(el) {
			continue
		}
		x[0] = el
		var m uint32
		if i, ok := slices.BinarySearch(a.units, el); ok {
			m = a.single[i]
		} else {
			m = a.localReach(si, x[:], false)
		}
		f, nf := a.sharedOf(x[:])
		if a.coreCut(targetAnyDC, a.srcs(si, m), f[:nf], 1) == 0 {
			els = append(els, el)
		}
	}
	m0 := a.es[0].mask
	var live []int32
	for _, s := range a.srcs(si, m0) {
		if a.core.targets[targetAnyDC].reach[s] {
			live = append(live, s)
		}
	}
	if len(live) > 0 {
		els = append(els, a.spofOf(targetAnyDC, live)...)
	}
	if len(els) == 0 {
		return nil
	}
	slices.Sort(els)
	els = slices.Compact(els)
	out := make([]string, len(els))
	for i, el := range els {
		name, ok := a.names[el]
		if !ok {
			name = g.elementName(el)
			a.names[el] = name
		}
		out[i] = name
	}
	slices.Sort(out)
	return out
}

// effective derives the protection a site has now from its live accesses
// and its disjoint paths (rule in docs/resilience.md). Like the designed
// level, it describes the accesses: the site's own routers are not counted
// (a single CE stays listed among the SPOFs and caps Paths at 1).
func (a *analysis) effective(si *siteInfo, paths int) inventory.Protection {
	if paths == 0 {
		return inventory.ProtectionNone
	}
	g := a.g
	fibres := 0
	for _, e := range si.edges {
		ed := &g.edges[e]
		if ed.kind == edgeAccess && ed.tech == inventory.TechFibre && !a.dead.edge[e] && !a.dead.node[ed.a] && !a.dead.node[ed.b] {
			fibres++
		}
	}
	if fibres >= 2 {
		a.es2 = a.entries(si, true, true, a.es2)
		if a.cutFor(si, a.es2, targetAnyDC) >= 2 {
			return inventory.ProtectionDiverse
		}
		return inventory.ProtectionDual
	}
	if paths < 2 {
		a.es2 = a.entries(si, false, true, a.es2)
		paths = a.cutFor(si, a.es2, targetAnyDC)
	}
	if paths >= 2 {
		return inventory.ProtectionBackup
	}
	return inventory.ProtectionSingle
}
