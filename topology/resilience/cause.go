package resilience

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// causer finds, for an isolated site, an inclusion-minimal set of failure
// items that alone isolates it. It starts from every item that touches the
// site or the core and drops them one by one, smallest first (a link before
// the router it hangs on, a router before its PoP), keeping an item only
// when the site would be reachable without it. The 300 sites behind one
// dead aggregation router all end with that router as their cause.
type causer struct {
	g         *Graph
	atoms     []atom
	nodeAtoms map[int32][]int32
	edgeAtoms map[int32][]int32
	reach     map[string][]bool
	order     []int
	in        []bool
	seen      []int32
	stack     []int32
	key       []byte
	byName    map[string]int32 // atom index by name, built by still
}

func newCauser(g *Graph, atoms []atom) *causer {
	c := &causer{g: g, atoms: atoms, nodeAtoms: map[int32][]int32{}, edgeAtoms: map[int32][]int32{},
		reach: map[string][]bool{}, in: make([]bool, len(atoms))}
	for i, a := range atoms {
		for _, n := range a.nodes {
			if g.nodes[n].site >= 0 {
				c.nodeAtoms[n] = append(c.nodeAtoms[n], int32(i))
			}
		}
		for _, e := range a.edges {
			if g.edges[e].site >= 0 {
				c.edgeAtoms[e] = append(c.edgeAtoms[e], int32(i))
			}
		}
	}
	return c
}

func (c *causer) anyIn(xs []int32) bool {
	for _, x := range xs {
		if c.in[x] {
			return true
		}
	}
	return false
}

// coreReach returns which core nodes reach a datacentre when only the core
// parts of the atoms in c.in have failed (cached by that set).
func (c *causer) coreReach() []bool {
	g := c.g
	c.key = c.key[:0]
	for i, a := range c.atoms {
		if a.core && c.in[i] {
			c.key = strconv.AppendInt(c.key, int64(i), 36)
			c.key = append(c.key, ',')
		}
	}
	if r, ok := c.reach[string(c.key)]; ok {
		return r
	}
	deadN := make([]bool, len(g.nodes))
	deadE := make(map[int32]bool)
	for i, a := range c.atoms {
		if !a.core || !c.in[i] {
			continue
		}
		for _, n := range a.nodes {
			deadN[n] = true
		}
		for _, e := range a.edges {
			deadE[e] = true
		}
	}
	reach := make([]bool, len(g.nodes))
	var q []int32
	for _, n := range g.dcs {
		if !deadN[n] {
			reach[n] = true
			q = append(q, n)
		}
	}
	for i := 0; i < len(q); i++ {
		u := q[i]
		for _, e := range g.coreAdj(u) {
			v := g.other(e, u)
			if reach[v] || deadE[e] || deadN[v] || g.nodes[v].site >= 0 {
				continue
			}
			reach[v] = true
			q = append(q, v)
		}
	}
	c.reach[string(c.key)] = reach
	return reach
}

// isolated reports whether site k is cut off when only the atoms in c.in fail.
func (c *causer) isolated(k int32) bool {
	g := c.g
	si := &g.sites[k]
	if c.anyIn(c.nodeAtoms[si.node]) {
		return true
	}
	reach := c.coreReach()
	c.stack = append(c.stack[:0], si.node)
	c.seen = append(c.seen[:0], si.node)
	for len(c.stack) > 0 {
		u := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		for _, e := range g.adjEdges[g.adjStart[u]:g.adjStart[u+1]] {
			if c.anyIn(c.edgeAtoms[e]) {
				continue
			}
			v := g.other(e, u)
			if g.nodes[v].site < 0 {
				if reach[v] {
					return false
				}
				continue
			}
			if g.nodes[v].site != k || slices.Contains(c.seen, v) || c.anyIn(c.nodeAtoms[v]) {
				continue
			}
			c.seen = append(c.seen, v)
			c.stack = append(c.stack, v)
		}
	}
	return true
}

// still reports whether the failure items named alone, every one of them
// still failed, isolate site k: the previous cause of a site still holds.
// Each was needed then and still is (that depends only on the items and the
// graph), so the set stays inclusion-minimal.
func (c *causer) still(k int32, items []string) bool {
	if len(items) == 0 {
		return false
	}
	if c.byName == nil {
		c.byName = make(map[string]int32, len(c.atoms))
		for i, a := range c.atoms {
			c.byName[a.name] = int32(i)
		}
	}
	clear(c.in)
	for _, it := range items {
		i, ok := c.byName[it]
		if !ok {
			return false // repaired: the site needs a new cause
		}
		c.in[i] = true
	}
	return c.isolated(k)
}

func (c *causer) cause(k int32) []string {
	c.order = c.order[:0]
	clear(c.in)
	for i, a := range c.atoms {
		if a.core || slices.Contains(a.sites, k) {
			c.order = append(c.order, i)
			c.in[i] = true
		}
	}
	slices.SortFunc(c.order, func(x, y int) int {
		ax, ay := &c.atoms[x], &c.atoms[y]
		if ax.core != ay.core {
			if ax.core {
				return 1
			}
			return -1
		}
		if d := cmp.Compare(ax.rank, ay.rank); d != 0 {
			return d
		}
		return cmp.Compare(ax.name, ay.name)
	})
	if c.isolated(k) {
		for _, i := range c.order {
			c.in[i] = false
			if !c.isolated(k) {
				c.in[i] = true
			}
		}
	}
	var out []string
	for _, i := range c.order {
		if c.in[i] {
			out = append(out, c.atoms[i].name)
		}
	}
	slices.Sort(out)
	return out
}

// rollup names a cause by what failed rather than by the pieces seen down:
// every device of a PoP becomes "pop:ID", and links that make up exactly a
// whole SRLG become "srlg:ID" (a core link alone in its SRLG too: a
// transoceanic cable). The live state reports devices and links one by
// one; the on-call engineer is paged for "the PoP", "the duct" or "the cable".
func (g *Graph) rollup(cause []string) []string {
	devs := map[string]bool{}
	for _, it := range cause {
		if name, ok := strings.CutPrefix(it, "device:"); ok {
			devs[name] = true
		}
	}
	drop := map[string]bool{}
	var add []string
	if len(devs) >= 2 {
		for _, p := range g.inv.PoPs {
			ns := g.popDevices[p.ID]
			if len(ns) < 2 {
				continue
			}
			all := true
			for _, n := range ns {
				if !devs[g.nodes[n].name] {
					all = false
					break
				}
			}
			if all {
				for _, n := range ns {
					drop["device:"+g.nodes[n].name] = true
				}
				add = append(add, "pop:"+p.ID)
			}
		}
	}
	// Links: the edges each link item stands for.
	itemEdges := map[string][]int32{}
	for _, it := range cause {
		if strings.HasPrefix(it, "link:") {
			if a, ok := g.resolveItem(it); ok {
				itemEdges[it] = a.edges
			}
		}
	}
	if len(itemEdges) > 0 {
		edgeItem := map[int32]string{}
		var cands []int32
		for it, es := range itemEdges {
			for _, e := range es {
				edgeItem[e] = it
				cands = append(cands, g.edges[e].srlgs...)
			}
		}
		slices.Sort(cands)
		for _, s := range slices.Compact(cands) {
			es := g.srlgEdges[s]
			// A one-link SRLG names a cable or duct of the shared network
			// (a transoceanic cable, a PoP's uplink duct): roll it up too,
			// so that an overseas territory cut off is paged as its cable.
			// A site's own one-link duct stays its link.
			single := len(es) == 1 && g.edges[es[0]].site < 0
			if len(es) < 2 && !single {
				continue
			}
			items := map[string]bool{}
			all := true
			for _, e := range es {
				it, ok := edgeItem[e]
				if !ok || drop[it] {
					all = false
					break
				}
				items[it] = true
			}
			// The items must stand for this SRLG's links and nothing else.
			for it := range items {
				for _, e := range itemEdges[it] {
					if !slices.Contains(es, e) {
						all = false
					}
				}
			}
			if all && (len(items) >= 2 || single) {
				for it := range items {
					drop[it] = true
				}
				add = append(add, "srlg:"+g.srlgs[s])
			}
		}
	}
	if len(add) == 0 {
		return cause
	}
	out := add
	for _, it := range cause {
		if !drop[it] {
			out = append(out, it)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
