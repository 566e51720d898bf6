package resilience

import (
	"slices"
)

// bridgesAndCuts runs one iterative Tarjan pass (no recursion: the RIE
// graph has tens of thousands of nodes) over the nodes and edges accepted
// by the filters, and returns the bridge edges and articulation nodes.
// Parallel edges are told apart by edge id, so two links between the same
// routers are never bridges.
func (g *Graph) bridgesAndCuts(nodeOK func(int32) bool, edgeOK func(int32) bool) (bridges, cuts []int32) {
	n := len(g.nodes)
	disc := make([]int32, n)
	low := make([]int32, n)
	parentEdge := make([]int32, n)
	for i := range disc {
		disc[i] = -1
	}
	isCut := make([]bool, n)
	type fr struct{ u, pos, children int32 }
	var stack []fr
	time := int32(0)
	for r := int32(0); int(r) < n; r++ {
		if disc[r] >= 0 || !nodeOK(r) {
			continue
		}
		disc[r], low[r] = time, time
		time++
		parentEdge[r] = -1
		stack = append(stack[:0], fr{u: r})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			u := f.u
			start, end := g.adjStart[u], g.adjStart[u+1]
			if start+f.pos < end {
				e := g.adjEdges[start+f.pos]
				f.pos++
				if e == parentEdge[u] || !edgeOK(e) {
					continue
				}
				v := g.other(e, u)
				if v == u || !nodeOK(v) {
					continue
				}
				if disc[v] >= 0 {
					low[u] = min(low[u], disc[v])
					continue
				}
				disc[v], low[v] = time, time
				time++
				parentEdge[v] = e
				f.children++
				stack = append(stack, fr{u: v})
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if f.children > 1 {
					isCut[u] = true
				}
				continue
			}
			p := stack[len(stack)-1].u
			low[p] = min(low[p], low[u])
			if low[u] > disc[p] {
				bridges = append(bridges, parentEdge[u])
			}
			if len(stack) > 1 && low[u] >= disc[p] {
				isCut[p] = true
			}
		}
	}
	for i, c := range isCut {
		if c {
			cuts = append(cuts, int32(i))
		}
	}
	slices.Sort(bridges)
	return bridges, cuts
}

func (g *Graph) inBackbone(n int32) bool {
	nd := &g.nodes[n]
	if nd.site >= 0 {
		return false
	}
	if nd.kind == kindDatacentre {
		return true
	}
	return nd.kind == kindDevice && (nd.role == "backbone" || nd.role == "pfai" || nd.role == "pfs")
}

func (g *Graph) backboneOf(dead deadState, c *core) Backbone {
	var b Backbone
	bridges, cuts := g.bridgesAndCuts(
		func(n int32) bool { return g.inBackbone(n) && !dead.node[n] },
		func(e int32) bool { return !dead.edge[e] },
	)
	for _, e := range bridges {
		if g.edges[e].kind != edgeMember {
			b.Bridges = append(b.Bridges, g.edges[e].id)
		}
	}
	for _, n := range cuts {
		if g.nodes[n].kind == kindDevice {
			b.Articulations = append(b.Articulations, g.nodes[n].name)
		}
	}
	slices.Sort(b.Bridges)
	slices.Sort(b.Articulations)
	// Datacentre pairs: each datacentre's own target pass says which core
	// nodes reach it.
	b.DatacentresConnected = true
	for i := range g.dcs {
		for j := i + 1; j < len(g.dcs); j++ {
			if !c.targets[targetFirstDC+i].reach[g.dcs[j]] {
				b.DatacentresConnected = false
				b.DisconnectedPairs = append(b.DisconnectedPairs, [2]string{g.nodes[g.dcs[i]].name, g.nodes[g.dcs[j]].name})
			}
		}
	}
	for _, p := range g.inv.PoPs {
		ok := false
		for _, n := range g.popDevices[p.ID] {
			if c.targets[targetAnyDC].reach[n] {
				ok = true
				break
			}
		}
		if !ok {
			b.IsolatedPoPs = append(b.IsolatedPoPs, p.ID)
		}
	}
	slices.Sort(b.IsolatedPoPs)
	return b
}
