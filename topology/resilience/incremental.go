package resilience

import (
	"maps"
	"slices"
)

// Reanalyze returns the result for failed, recomputing only what changed
// since prev (a Result of the same graph). changed names the links whose
// state the caller knows changed; it is a hint only: Reanalyze compares
// the failed elements itself, so a wrong or empty hint costs time, never
// correctness.
//
// When only sites' own elements changed (an access, a CE), the core's
// analysis is reused and only those sites are recomputed. When the core
// changed, the core is re-analysed (a few milliseconds) and only the sites
// whose landing nodes' answers changed are recomputed.
func (g *Graph) Reanalyze(prev *Result, failed Failures, changed []LinkID) *Result {
	return g.reanalyze(prev, failed, false)
}

// Track is Reanalyze for a live state that moves on from prev: a site still
// cut off keeps the cause it had while that cause alone still isolates it,
// unless the cause found afresh explains more sites. An incident keeps its
// name while it lasts, so a second failure inside a part already cut off
// (a nested backbone split, a router behind a split) does not rename the
// sites beyond it and page again; yet sites first seen cut off one tunnel
// at a time are all named "internet" once the internet is known lost. When
// the first failure is repaired and the second still isolates them, they
// get the second as their cause. Analyze, with no history, may name either.
func (g *Graph) Track(prev *Result, failed Failures, changed []LinkID) *Result {
	return g.reanalyze(prev, failed, true)
}

func (g *Graph) reanalyze(prev *Result, failed Failures, sticky bool) *Result {
	if prev == nil || prev.g != g {
		return g.Analyze(failed)
	}
	atoms, _ := g.resolve(failed)
	dead := g.newDeadState(atoms)
	touched := make([]bool, len(g.sites))
	coreChanged := false
	for n := range dead.node {
		if dead.node[n] != prev.dead.node[n] {
			if s := g.nodes[n].site; s >= 0 {
				touched[s] = true
			} else {
				coreChanged = true
			}
		}
	}
	for e := range dead.edge {
		if dead.edge[e] != prev.dead.edge[e] {
			if s := g.edges[e].site; s >= 0 {
				touched[s] = true
			} else {
				coreChanged = true
			}
		}
	}
	r := &Result{
		Failed: failed.Items(), Datacentres: prev.Datacentres,
		Sites: slices.Clone(prev.Sites),
		g:     g, atoms: atoms, dead: dead,
		deep: slices.Clone(prev.deep),
	}
	var a *analysis
	recompute := touched
	if !coreChanged {
		r.core = prev.core
		r.cache = maps.Clone(prev.cache)
		a = g.newAnalysis(dead, r.core, r.cache)
	} else {
		r.core = g.buildCore(dead)
		a = g.newAnalysis(dead, r.core, nil)
		r.cache = a.cache
		moved := g.landingChanges(prev.core, r.core)
		recompute = slices.Clone(touched)
		for k := range g.sites {
			if recompute[k] || prev.deep[k] {
				recompute[k] = true
				continue
			}
			for _, l := range g.sites[k].landing {
				if moved[l] {
					recompute[k] = true
					break
				}
			}
		}
	}
	recause := slices.Clone(recompute)
	for k, redo := range recompute {
		if !redo {
			continue
		}
		d0 := a.deep
		r.Sites[k] = a.evalSite(int32(k), make([]int, len(g.dcs)))
		r.deep[k] = a.deep != d0 || g.sites[k].hasShared
	}
	// Causes depend on the failure items, not only on what is down: an
	// item added or removed re-derives the causes of the sites it touches
	// (of every site, if it touches the core).
	for _, d := range atomDiff(atoms, prev.atoms) {
		if d.core {
			recause = nil
			break
		}
		for _, k := range d.sites {
			recause[k] = true
		}
	}
	var backbone *Backbone
	if !coreChanged {
		backbone = &prev.Backbone
	}
	var keep *Result
	if sticky {
		keep = prev
	}
	r.finish(a, recause, backbone, keep)
	return r
}

// atomDiff returns the atoms in one list and not the other.
func atomDiff(x, y []atom) []atom {
	inX := make(map[string]bool, len(x))
	for _, a := range x {
		inX[a.name] = true
	}
	inY := make(map[string]bool, len(y))
	for _, a := range y {
		inY[a.name] = true
	}
	var out []atom
	for _, a := range x {
		if !inY[a.name] {
			out = append(out, a)
		}
	}
	for _, a := range y {
		if !inX[a.name] {
			out = append(out, a)
		}
	}
	return out
}

// landingChanges marks the landing nodes whose answer (reachability or
// single points of failure) differs between two core analyses, for any target.
func (g *Graph) landingChanges(old, cur *core) map[int32]bool {
	moved := map[int32]bool{}
	var x, y []int32
	for _, l := range g.landingNodes() {
		for t := range cur.targets {
			if old.targets[t].reach[l] != cur.targets[t].reach[l] {
				moved[l] = true
				break
			}
			x = old.spof(t, l, x[:0])
			y = cur.spof(t, l, y[:0])
			if !slices.Equal(x, y) {
				moved[l] = true
				break
			}
		}
	}
	return moved
}

func (g *Graph) landingNodes() []int32 { return g.landing }
