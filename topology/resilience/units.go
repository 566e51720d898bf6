package resilience

import "slices"

// Elements and risk units share one id space (int32):
//
//	device node n      -> n
//	edge e             -> len(nodes) + e
//	SRLG s             -> len(nodes) + len(edges) + s
//
// An element is anything that can be named as failed. A risk unit is what
// the disjoint-path count counts: a device, an SRLG, or a link in no SRLG.
// A link in some SRLG is not a unit of its own: failing one of its SRLGs
// does everything failing the link does, and more, for the same count.

func (g *Graph) devElem(n int32) int32  { return n }
func (g *Graph) edgeElem(e int32) int32 { return int32(len(g.nodes)) + e }
func (g *Graph) srlgElem(s int32) int32 { return int32(len(g.nodes)+len(g.edges)) + s }

// elemKind splits an element id back: 0 device, 1 edge, 2 SRLG.
func (g *Graph) elemKind(el int32) (kind int, idx int32) {
	switch {
	case int(el) < len(g.nodes):
		return 0, el
	case int(el) < len(g.nodes)+len(g.edges):
		return 1, el - int32(len(g.nodes))
	default:
		return 2, el - int32(len(g.nodes)+len(g.edges))
	}
}

// edgeUnits appends the risk units whose failure takes edge e down (not
// counting its end devices).
func (g *Graph) edgeUnits(dst []int32, e int32) []int32 {
	ed := &g.edges[e]
	if ed.kind == edgeMember {
		return dst
	}
	if len(ed.srlgs) == 0 {
		return append(dst, g.edgeElem(e))
	}
	for _, s := range ed.srlgs {
		dst = append(dst, g.srlgElem(s))
	}
	return dst
}

// buildSiteUnits lists the risk units and elements touching a site's
// cluster, and the core nodes its edges land on.
func (g *Graph) buildSiteUnits(si *siteInfo) {
	var units, elems []int32
	for _, n := range si.nodes {
		if g.nodes[n].kind == kindDevice {
			units = append(units, g.devElem(n))
		}
	}
	for _, e := range si.edges {
		ed := &g.edges[e]
		if ed.kind == edgeMember {
			continue
		}
		units = g.edgeUnits(units, e)
		if len(ed.srlgs) > 0 {
			elems = append(elems, g.edgeElem(e))
		}
		for _, s := range ed.srlgs {
			if g.srlgCore[s] {
				si.hasShared = true
			}
		}
		for _, end := range [2]int32{ed.a, ed.b} {
			if g.isCore(end) {
				si.landing = append(si.landing, end)
			}
		}
	}
	slices.Sort(units)
	si.units = slices.Compact(units)
	elems = append(elems, si.units...)
	slices.Sort(elems)
	si.elems = slices.Compact(elems)
	slices.Sort(si.landing)
	si.landing = slices.Compact(si.landing)
}

// unitKillsEdge reports whether unit (or element) u, failed, takes down edge e.
func (g *Graph) unitKillsEdge(u, e int32) bool {
	if u == g.edgeElem(e) {
		return true
	}
	k, idx := g.elemKind(u)
	if k != 2 {
		return false
	}
	return slices.Contains(g.edges[e].srlgs, idx)
}
