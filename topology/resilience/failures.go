package resilience

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Failures is a set of things failed at once: the live state (devices and
// links seen down) or a what-if scenario. Each entry is one failure item;
// a PoP fails every device standing in it, a region every device, site and
// datacentre in it, and Internet is the internet-cut scenario (every PFAI
// device, every internet interconnect and every access or link that rides
// the internet).
type Failures struct {
	Devices []string `json:"devices,omitempty"` // device names
	Links   []string `json:"links,omitempty"`   // LinkIDs, or "A--B" for every link between devices A and B
	SRLGs   []string `json:"srlgs,omitempty"`
	PoPs    []string `json:"pops,omitempty"`
	Regions []string `json:"regions,omitempty"`
	// Internet is the internet-cut scenario.
	Internet bool `json:"internet,omitempty"`
	// InternetLost is the live internet loss: vigie's evidence says the RIE
	// has no internet now (every internet uplink down, or no PFAI default
	// route left). Unlike the scenario it fails nothing by itself, since the
	// PFAI routers still forward the RIE's own traffic; it is the failure
	// item "internet" standing for the failed links among Links that ride
	// the internet, so that the sites those links cut off are explained by
	// the internet, once, rather than each by its own tunnel.
	InternetLost bool `json:"internet_lost,omitempty"`
}

// ErrUnknownItem is wrapped by the errors of Check for an item the
// inventory does not know.
var ErrUnknownItem = errors.New("unknown failure item")

// ParseFailure parses one failure item as the CLI and the API take it:
// "internet", "device:NAME", "link:A--B" (every link between devices A and
// B) or "link:LINKID", "srlg:ID", "pop:ID", "region:ID". It checks only the
// syntax; Graph.Check says whether the named item exists.
func ParseFailure(spec string) (Failures, error) {
	var f Failures
	return f, f.add(spec)
}

// Add parses spec as ParseFailure does and adds it to f.
func (f *Failures) Add(spec string) error { return f.add(spec) }

func (f *Failures) add(spec string) error {
	spec = strings.TrimSpace(spec)
	if spec == "internet" {
		f.Internet = true
		return nil
	}
	kind, name, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return fmt.Errorf("resilience: failure %q: want internet, device:NAME, link:A--B, srlg:ID, pop:ID or region:ID", spec)
	}
	switch kind {
	case "device":
		f.Devices = append(f.Devices, name)
	case "link":
		if !strings.Contains(name, "--") {
			return fmt.Errorf("resilience: failure %q: a link is named by its two ends, as link:A--B", spec)
		}
		f.Links = append(f.Links, name)
	case "srlg":
		f.SRLGs = append(f.SRLGs, name)
	case "pop":
		f.PoPs = append(f.PoPs, name)
	case "region":
		f.Regions = append(f.Regions, name)
	default:
		return fmt.Errorf("resilience: failure %q: unknown kind %q; want internet, device, link, srlg, pop or region", spec, kind)
	}
	return nil
}

// Merge returns the union of f and o.
func (f Failures) Merge(o Failures) Failures {
	return Failures{
		Devices:  append(slices.Clone(f.Devices), o.Devices...),
		Links:    append(slices.Clone(f.Links), o.Links...),
		SRLGs:    append(slices.Clone(f.SRLGs), o.SRLGs...),
		PoPs:     append(slices.Clone(f.PoPs), o.PoPs...),
		Regions:  append(slices.Clone(f.Regions), o.Regions...),
		Internet: f.Internet || o.Internet,

		InternetLost: f.InternetLost || o.InternetLost,
	}
}

// Items returns f as sorted, de-duplicated failure items ("device:X"...).
func (f Failures) Items() []string {
	var out []string
	if f.Internet || f.InternetLost {
		out = append(out, "internet")
	}
	add := func(prefix string, xs []string) {
		for _, x := range xs {
			out = append(out, prefix+x)
		}
	}
	add("device:", f.Devices)
	add("link:", f.Links)
	add("srlg:", f.SRLGs)
	add("pop:", f.PoPs)
	add("region:", f.Regions)
	slices.Sort(out)
	return slices.Compact(out)
}

// IsZero reports whether nothing is failed.
func (f Failures) IsZero() bool { return len(f.Items()) == 0 }

// atom is one resolved failure item: the nodes and edges it takes down.
type atom struct {
	name  string
	rank  int // cause preference: lower ranks are dropped first
	nodes []int32
	edges []int32
	core  bool    // it takes down part of the core
	sites []int32 // sites whose cluster it touches, sorted
}

// Atom ranks: when several failed items each explain a site's isolation,
// the cause keeps the largest (a router explains its own links).
const (
	rankLink = iota
	rankSRLG
	rankDevice
	rankPoP
	rankRegion
	rankInternet
)

// Check reports every item of f the graph does not know, in one error that
// names them (wrapping ErrUnknownItem); nil if all are known.
func (g *Graph) Check(f Failures) error {
	_, err := g.resolve(f)
	return err
}

func (g *Graph) resolve(f Failures) ([]atom, error) {
	var atoms []atom
	var bad []string
	live := -1 // index of the live internet atom, filled in below
	for _, item := range f.Items() {
		if item == "internet" && !f.Internet {
			live = len(atoms)
			atoms = append(atoms, atom{name: item, rank: rankInternet})
			continue
		}
		a, ok := g.resolveItem(item)
		if !ok {
			bad = append(bad, item)
			continue
		}
		atoms = append(atoms, a)
	}
	if live >= 0 {
		atoms[live] = g.liveInternet(atoms)
	}
	if len(bad) > 0 {
		return atoms, fmt.Errorf("resilience: %w: %s (check the names against the inventory; a link is link:DEVICE--DEVICE)",
			ErrUnknownItem, strings.Join(bad, ", "))
	}
	return atoms, nil
}

// liveInternet is the atom of a live internet loss: the failed links among
// atoms that ride the internet (see Failures.InternetLost).
func (g *Graph) liveInternet(atoms []atom) atom {
	a := atom{name: "internet", rank: rankInternet}
	for _, x := range atoms {
		if !strings.HasPrefix(x.name, "link:") {
			continue
		}
		for _, e := range x.edges {
			if g.edges[e].viaInternet {
				a.edges = append(a.edges, e)
			}
		}
	}
	slices.Sort(a.edges)
	a.edges = slices.Compact(a.edges)
	g.atomSites(&a)
	return a
}

// InternetCut reports whether f fails every internet interconnect's
// attachment (its link, or the device it hangs on): the evidence, from
// SNMP alone, that the RIE has lost the internet. False when the inventory
// declares no internet interconnect.
func (g *Graph) InternetCut(f Failures) bool {
	if len(g.internetIC) == 0 {
		return false
	}
	atoms, _ := g.resolve(Failures{Devices: f.Devices, Links: f.Links, SRLGs: f.SRLGs, PoPs: f.PoPs, Regions: f.Regions})
	dead := g.newDeadState(atoms)
	for _, e := range g.internetIC {
		ed := &g.edges[e]
		if !dead.edge[e] && !dead.node[ed.a] && !dead.node[ed.b] {
			return false
		}
	}
	return true
}

func (g *Graph) resolveItem(item string) (atom, bool) {
	a := atom{name: item}
	kind, name, _ := strings.Cut(item, ":")
	switch kind {
	case "internet":
		a.rank = rankInternet
		a.nodes = slices.Clone(g.pfai)
		a.edges = append(slices.Clone(g.internetIC), g.viaInternet...)
	case "device":
		n, ok := g.nodeByKey["device:"+name]
		if !ok {
			return a, false
		}
		a.rank = rankDevice
		a.nodes = []int32{n}
	case "link":
		a.rank = rankLink
		if e, ok := g.edgeByID[LinkID(name)]; ok && g.edges[e].kind != edgeMember {
			a.edges = []int32{e}
			break
		}
		x, y, _ := strings.Cut(name, "--")
		if x > y {
			x, y = y, x
		}
		es := g.edgesByPair[[2]string{x, y}]
		if len(es) == 0 {
			return a, false
		}
		a.edges = slices.Clone(es)
	case "srlg":
		s, ok := g.srlgByName[name]
		if !ok {
			return a, false
		}
		a.rank = rankSRLG
		a.edges = slices.Clone(g.srlgEdges[s])
	case "pop":
		if g.inv.PoP(name) == nil {
			if _, ok := g.popDevices[name]; !ok {
				return a, false
			}
		}
		a.rank = rankPoP
		a.nodes = slices.Clone(g.popDevices[name])
	case "region":
		if g.inv.Region(name) == nil {
			if _, ok := g.regionNodes[name]; !ok || name == "" {
				return a, false
			}
		}
		a.rank = rankRegion
		a.nodes = slices.Clone(g.regionNodes[name])
	default:
		return a, false
	}
	g.atomSites(&a)
	return a, true
}

// atomSites sets a.core and a.sites from its nodes and edges.
func (g *Graph) atomSites(a *atom) {
	var sites []int32
	for _, n := range a.nodes {
		if s := g.nodes[n].site; s >= 0 {
			sites = append(sites, s)
		} else {
			a.core = true
		}
	}
	for _, e := range a.edges {
		if s := g.edges[e].site; s >= 0 {
			sites = append(sites, s)
		} else {
			a.core = true
		}
	}
	slices.Sort(sites)
	a.sites = slices.Compact(sites)
}
