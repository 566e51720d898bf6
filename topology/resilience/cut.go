package resilience

import "slices"

// cutKey caches a core cut question: target, the landing nodes still
// reachable from the site (sorted), and the extra SRLGs failed with them.
type cutKey struct {
	t int32
	n [4]int32
	f [2]int32
}

// cutVal is a cached answer: the cut value v, known exactly when v < capv
// and known only to be >= capv otherwise.
type cutVal struct{ v, capv int8 }

// MaxPaths is the cap of every disjoint-path count: 3 means "3 or more".
// Nothing in the RIE's design asks for more, and the cap keeps the exact
// search small (docs/resilience.md).
const MaxPaths = 3

// cutScratch holds the overlay and buffers of the exact bounded search.
type cutScratch struct {
	killNode []int32
	killEdge []int32
	mark     []uint32
	epoch    uint32
	parent   []int32
	queue    []int32
	buf      []int32
	buf2     []int32
}

// ready allocates the search arrays on first use: most analyses (and
// nearly every incremental one) never need the search tree.
func (cs *cutScratch) ready(g *Graph) {
	if cs.killNode != nil {
		return
	}
	cs.killNode = make([]int32, len(g.nodes))
	cs.killEdge = make([]int32, len(g.edges))
	cs.mark = make([]uint32, len(g.nodes))
	cs.parent = make([]int32, len(g.nodes))
}

func (a *analysis) kill(u int32, d int32) {
	g := a.g
	a.cs.ready(g)
	switch k, i := g.elemKind(u); k {
	case 0:
		a.cs.killNode[i] += d
	case 1:
		a.cs.killEdge[i] += d
	default:
		for _, e := range g.srlgEdges[i] {
			a.cs.killEdge[e] += d
		}
	}
}

func (a *analysis) okNode(n int32) bool {
	return a.g.nodes[n].site < 0 && !a.dead.node[n] && a.cs.killNode[n] == 0
}

// findPath looks for a live core path from any of srcs to target t, under
// the current failures and the overlay, and returns its risk units.
func (a *analysis) findPath(t int, srcs []int32) ([]int32, bool) {
	g, cs := a.g, a.cs
	cs.ready(g)
	cs.epoch++
	q := cs.queue[:0]
	for _, s := range srcs {
		if a.okNode(s) && cs.mark[s] != cs.epoch {
			cs.mark[s] = cs.epoch
			cs.parent[s] = -1
			q = append(q, s)
		}
	}
	hit := int32(-1)
	for i := 0; i < len(q) && hit < 0; i++ {
		u := q[i]
		if g.isTarget(t, u) {
			hit = u
			break
		}
		for _, e := range g.coreAdj(u) {
			if a.dead.edge[e] || cs.killEdge[e] > 0 {
				continue
			}
			v := g.other(e, u)
			if cs.mark[v] == cs.epoch || !a.okNode(v) {
				continue
			}
			cs.mark[v] = cs.epoch
			cs.parent[v] = e
			q = append(q, v)
		}
	}
	cs.queue = q
	if hit < 0 {
		return nil, false
	}
	var units []int32
	for x := hit; ; {
		if g.nodes[x].kind == kindDevice {
			units = append(units, g.devElem(x))
		}
		e := cs.parent[x]
		if e < 0 {
			break
		}
		units = g.edgeUnits(units, e)
		x = g.other(e, x)
	}
	slices.Sort(units)
	return slices.Compact(units), true
}

// decide reports whether at most k more risk units separate srcs from
// target t. Any separating set must hold a unit of every path, so it
// branches on the units of one shortest path: exact, and small for k <= 2.
func (a *analysis) decide(t int, srcs []int32, k int) bool {
	units, ok := a.findPath(t, srcs)
	if !ok {
		return true
	}
	if k == 0 {
		return false
	}
	for _, u := range units {
		a.kill(u, 1)
		r := a.decide(t, srcs, k-1)
		a.kill(u, -1)
		if r {
			return true
		}
	}
	return false
}

// coreCut returns min(capv, c), where c is the least number of risk units
// that, failed on top of the current failures and of the SRLGs f,
// separate every node of srcs from target t in the core.
func (a *analysis) coreCut(t int, srcs []int32, f []int32, capv int) int {
	if len(srcs) == 0 {
		return 0
	}
	cacheable := len(srcs) <= 4 && len(f) <= 2
	var key cutKey
	if cacheable {
		key.t = int32(t)
		key.n = [4]int32{-1, -1, -1, -1}
		key.f = [2]int32{-1, -1}
		copy(key.n[:], srcs)
		copy(key.f[:], f)
		if v, ok := a.cache[key]; ok {
			if v.v < v.capv {
				return min(int(v.v), capv)
			}
			if capv <= int(v.capv) {
				return capv
			}
		}
	}
	v := a.coreCutCompute(t, srcs, f, capv)
	if cacheable {
		a.cache[key] = cutVal{int8(v), int8(capv)}
	}
	return v
}

func (a *analysis) coreCutCompute(t int, srcs []int32, f []int32, capv int) int {
	if len(f) == 0 {
		ct := &a.core.targets[t]
		var live []int32
		for _, s := range srcs {
			if ct.reach[s] {
				live = append(live, s)
			}
		}
		if len(live) == 0 {
			return 0
		}
		if capv <= 1 {
			return capv
		}
		if len(a.spofOf(t, live)) > 0 {
			return 1
		}
		if capv <= 2 {
			return 2
		}
		a.deep++
		if a.decide(t, live, 2) {
			return 2
		}
		return 3
	}
	a.deep++
	for _, s := range f {
		a.kill(s, 1)
	}
	v := capv
	for k := 0; k < capv; k++ {
		if a.decide(t, srcs, k) {
			v = k
			break
		}
	}
	for _, s := range f {
		a.kill(s, -1)
	}
	return v
}

// spofOf returns the elements whose lone failure cuts every node of srcs
// (all reachable) off target t: the intersection of their lists.
func (a *analysis) spofOf(t int, srcs []int32) []int32 {
	cs := a.cs
	cs.buf = a.core.spof(t, srcs[0], cs.buf[:0])
	for _, s := range srcs[1:] {
		if len(cs.buf) == 0 {
			break
		}
		cs.buf2 = a.core.spof(t, s, cs.buf2[:0])
		out := cs.buf[:0]
		i, j := 0, 0
		for i < len(cs.buf) && j < len(cs.buf2) {
			switch {
			case cs.buf[i] < cs.buf2[j]:
				i++
			case cs.buf[i] > cs.buf2[j]:
				j++
			default:
				out = append(out, cs.buf[i])
				i++
				j++
			}
		}
		cs.buf = out
	}
	return cs.buf
}
