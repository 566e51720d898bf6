package resilience

import (
	"slices"
)

// The core is everything but the sites' clusters: aggregation, backbone,
// PFAI, PFS, datacentres and interconnects. Every site's answer depends on
// the core only through a handful of questions about the few core nodes
// its accesses land on ("can any of them reach the target? which single
// unit would cut them all off?"), so the core is analysed once per target
// and per failure state, here, and the sites then combine those answers
// with their own few units (site.go).

// Targets of the analysis: any datacentre, the backbone, then each
// datacentre in Graph.dcs order.
const (
	targetAnyDC    = 0
	targetBackbone = 1
	targetFirstDC  = 2
)

// deadState is which nodes and edges are down.
type deadState struct {
	node []bool
	edge []bool
}

func (g *Graph) newDeadState(atoms []atom) deadState {
	d := deadState{node: make([]bool, len(g.nodes)), edge: make([]bool, len(g.edges))}
	for _, a := range atoms {
		for _, n := range a.nodes {
			d.node[n] = true
		}
		for _, e := range a.edges {
			d.edge[e] = true
		}
	}
	return d
}

// coreTarget holds, for one target and one failure state, every core
// node's reachability and the elements whose lone failure cuts it off.
type coreTarget struct {
	reach []bool
	// chain[n] heads a list (in the arena) of the articulation devices and
	// bridge links separating n from the target, nearest first.
	chain []int32
	// srlgCut lists, for the nodes some multi-link SRLG cuts off, those SRLGs.
	srlgCut map[int32][]int32
}

type cell struct{ elem, next int32 }

// core is the shared analysis of one failure state.
type core struct {
	g       *Graph
	dead    deadState
	targets []coreTarget
	arena   []cell
	// srlgAlive counts each SRLG's core edges still up.
	srlgAlive []int32
}

func (g *Graph) isTarget(t int, n int32) bool {
	nd := &g.nodes[n]
	switch t {
	case targetAnyDC:
		return nd.kind == kindDatacentre
	case targetBackbone:
		if nd.kind == kindDatacentre {
			return true
		}
		if nd.kind != kindDevice || nd.site >= 0 {
			return false
		}
		switch nd.role {
		case "backbone", "pfai", "pfs":
			return true
		}
		return false
	default:
		return g.dcs[t-targetFirstDC] == n
	}
}

func (g *Graph) targetCount() int { return targetFirstDC + len(g.dcs) }

// nodeOK reports whether node n is a live core node.
func (c *core) nodeOK(n int32) bool { return c.g.nodes[n].site < 0 && !c.dead.node[n] }

func (g *Graph) buildCore(dead deadState) *core {
	c := &core{g: g, dead: dead, targets: make([]coreTarget, g.targetCount())}
	c.srlgAlive = make([]int32, len(g.srlgs))
	for s, es := range g.srlgEdges {
		for _, e := range es {
			ed := &g.edges[e]
			if ed.site < 0 && !dead.edge[e] && !dead.node[ed.a] && !dead.node[ed.b] {
				c.srlgAlive[s]++
			}
		}
	}
	w := newTarjanScratch(len(g.nodes) + 1)
	for t := range c.targets {
		c.analyseTarget(t, w)
	}
	return c
}

// tarjanScratch is reused between targets to allocate once.
type tarjanScratch struct {
	disc, low, parent, parentEdge []int32
	order                         []int32
	stack                         []frame
	mark                          []uint32
	epoch                         uint32
	queue                         []int32
}

type frame struct {
	n   int32
	pos int32 // next adjacency position; -1 = the virtual edge to the root not yet seen
}

func newTarjanScratch(n int) *tarjanScratch {
	return &tarjanScratch{
		disc: make([]int32, n), low: make([]int32, n), parent: make([]int32, n),
		parentEdge: make([]int32, n), mark: make([]uint32, n),
	}
}

// analyseTarget runs one iterative Tarjan pass over the live core from a
// virtual root joined to every live node of target t. A device d separates
// node x from the target when x lies under a DFS child c of d with
// low[c] >= disc[d]; a tree edge (p,c) is a bridge when low[c] > disc[p].
// Walking the tree in preorder, each node's separators are its parent's
// plus those added at the boundary with its parent: a shared linked list.
func (c *core) analyseTarget(t int, w *tarjanScratch) {
	g := c.g
	nn := int32(len(g.nodes))
	root := nn
	ct := &c.targets[t]
	ct.reach = make([]bool, nn)
	ct.chain = make([]int32, nn)
	for i := range w.disc {
		w.disc[i] = -1
	}
	w.order = w.order[:0]
	// Virtual edges root<->target node n have id -(n+2).
	virt := func(n int32) int32 { return -(n + 2) }
	var targets []int32
	for n := int32(0); n < nn; n++ {
		if c.nodeOK(n) && g.isTarget(t, n) {
			targets = append(targets, n)
		}
	}
	time := int32(0)
	w.disc[root], w.low[root] = time, time
	time++
	w.parent[root], w.parentEdge[root] = -1, -1
	w.stack = append(w.stack[:0], frame{n: root})
	for len(w.stack) > 0 {
		f := &w.stack[len(w.stack)-1]
		u := f.n
		var v, e int32 = -1, 0
		if u == root {
			if int(f.pos) < len(targets) {
				v = targets[f.pos]
				e = virt(v)
				f.pos++
			}
		} else {
			start, end := g.coreStart[u], g.coreStart[u+1]
			for v < 0 && start+f.pos < end {
				ed := g.coreEdges[start+f.pos]
				f.pos++
				if c.dead.edge[ed] {
					continue
				}
				x := g.other(ed, u)
				if !c.nodeOK(x) {
					continue
				}
				v, e = x, ed
			}
			if v < 0 && start+f.pos == end && g.isTarget(t, u) {
				f.pos++ // the virtual edge, seen once
				v, e = root, virt(u)
			}
		}
		if v < 0 {
			// u is done: propagate low to its parent.
			w.stack = w.stack[:len(w.stack)-1]
			if p := w.parent[u]; p >= 0 && w.low[u] < w.low[p] {
				w.low[p] = w.low[u]
			}
			continue
		}
		if e == w.parentEdge[u] {
			continue
		}
		if w.disc[v] >= 0 {
			if w.disc[v] < w.low[u] {
				w.low[u] = w.disc[v]
			}
			continue
		}
		w.disc[v], w.low[v] = time, time
		time++
		w.parent[v], w.parentEdge[v] = u, e
		w.order = append(w.order, v)
		w.stack = append(w.stack, frame{n: v})
	}
	for _, x := range w.order {
		ct.reach[x] = true
		p := w.parent[x]
		head := int32(-1)
		if p != root {
			head = ct.chain[p]
			if g.nodes[p].kind == kindDevice && w.low[x] >= w.disc[p] {
				c.arena = append(c.arena, cell{g.devElem(p), head})
				head = int32(len(c.arena) - 1)
			}
		}
		if pe := w.parentEdge[x]; pe >= 0 && g.edges[pe].kind != edgeMember && w.low[x] > w.disc[p] {
			c.arena = append(c.arena, cell{g.edgeElem(pe), head})
			head = int32(len(c.arena) - 1)
		}
		ct.chain[x] = head
	}
	// SRLGs with two or more live core links: one BFS each without them.
	// (An SRLG with a single live core link cuts exactly what that link
	// cuts, which the chain already says.)
	for s := range g.srlgs {
		if c.srlgAlive[s] < 2 {
			continue
		}
		w.epoch++
		reached := c.bfsWithout(int32(s), targets, w)
		for _, x := range w.order {
			if !reached.get(x) {
				if ct.srlgCut == nil {
					ct.srlgCut = make(map[int32][]int32)
				}
				ct.srlgCut[x] = append(ct.srlgCut[x], int32(s))
			}
		}
	}
}

// bfsWithout marks the live core nodes that reach target t's nodes when
// SRLG s's links are down, in w.mark (== w.epoch); it returns a view.
func (c *core) bfsWithout(s int32, targets []int32, w *tarjanScratch) markView {
	g := c.g
	q := w.queue[:0]
	for _, n := range targets {
		w.mark[n] = w.epoch
		q = append(q, n)
	}
	for i := 0; i < len(q); i++ {
		u := q[i]
		for _, e := range g.coreAdj(u) {
			if c.dead.edge[e] || slices.Contains(g.edges[e].srlgs, s) {
				continue
			}
			v := g.other(e, u)
			if w.mark[v] == w.epoch || !c.nodeOK(v) {
				continue
			}
			w.mark[v] = w.epoch
			q = append(q, v)
		}
	}
	w.queue = q
	return markView{w.mark, w.epoch}
}

type markView struct {
	mark  []uint32
	epoch uint32
}

func (m markView) get(n int32) bool { return m.mark[n] == m.epoch }

// spof returns the sorted elements whose lone failure cuts core node n off
// target t (n itself first if it is a device); nil if n is already cut off.
func (c *core) spof(t int, n int32, dst []int32) []int32 {
	ct := &c.targets[t]
	if !ct.reach[n] {
		return dst
	}
	g := c.g
	start := len(dst)
	if g.nodes[n].kind == kindDevice {
		dst = append(dst, g.devElem(n))
	}
	for h := ct.chain[n]; h >= 0; h = c.arena[h].next {
		el := c.arena[h].elem
		dst = append(dst, el)
		if k, e := g.elemKind(el); k == 1 {
			for _, s := range g.edges[e].srlgs {
				if c.srlgAlive[s] == 1 {
					dst = append(dst, g.srlgElem(s))
				}
			}
		}
	}
	for _, s := range ct.srlgCut[n] {
		dst = append(dst, g.srlgElem(s))
	}
	slices.Sort(dst[start:])
	return append(dst[:start], slices.Compact(dst[start:])...)
}
