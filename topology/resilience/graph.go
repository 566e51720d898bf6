// Package resilience answers vigie's central question for every RIE site:
// how many independent ways does it still have to the datacentres, which
// single element would cut it off, is it cut off now and why, and what
// would happen if the internet (or anything else) went away.
//
// Build turns an inventory into a Graph once; Analyze, Reanalyze and WhatIf
// then answer for a set of failures. docs/resilience.md gives the rules and
// the algorithms, and the figures measured.
package resilience

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/vigie-rie/vigie/inventory"
)

// LinkID names one edge of the graph, stably across restarts. For an edge
// between two endpoints it is "END1--END2" with the two ends sorted, where
// an end is "device:interface" (or "device" when the interface is unknown);
// a site access with no CE named uses "site:ID" as its site end, and an
// interconnect attachment uses "interconnect:ID" as its far end. A second
// edge with the same ends gets "#2", "#3"... appended, in inventory order.
// Device-to-datacentre and CE-to-site memberships are edges too
// ("DEV--datacentre:ID", "CE--site:ID") but never fail on their own.
type LinkID string

type nodeKind uint8

const (
	kindDevice nodeKind = iota
	kindSite
	kindDatacentre
	kindInterconnect
)

type edgeKind uint8

const (
	edgeLink         edgeKind = iota // declared link between devices
	edgeAccess                       // site access link
	edgeMember                       // device in its datacentre, CE in its site: never fails
	edgeInterconnect                 // interconnect attachment to its device
)

type node struct {
	name string // device name, site id, datacentre id or interconnect id
	kind nodeKind
	role inventory.Role
	// site is the index of the site this node belongs to (the site node
	// itself and its CEs), or -1 for the shared part of the network.
	site   int32
	pop    string
	region string
}

type edge struct {
	a, b        int32
	id          LinkID
	kind        edgeKind
	tech        inventory.Technology
	srlgs       []int32
	viaInternet bool
	// site is the index of the site whose cluster the edge touches, or -1
	// for an edge of the shared part (core).
	site int32
}

// siteInfo is what Build learns about one site's small, leaf cluster.
type siteInfo struct {
	id        string
	region    string
	overseas  bool
	designed  inventory.Protection
	node      int32
	nodes     []int32 // site node first, then its devices
	edges     []int32 // every edge touching the cluster (incl. accesses)
	landing   []int32 // core nodes the cluster's edges reach, sorted
	units     []int32 // risk units touching the cluster (see units.go)
	elems     []int32 // elements whose lone failure is checked locally
	hasShared bool    // some touching SRLG also holds a core edge
}

// Graph is the RIE as a graph of risk: devices, sites, datacentres and
// interconnects joined by links, each link with its shared-risk groups. It
// is immutable once built and safe for concurrent use.
type Graph struct {
	inv   *inventory.Inventory
	nodes []node
	edges []edge
	// adjacency in CSR form: adjEdges[adjStart[n]:adjStart[n+1]] are the
	// edges incident to node n.
	adjStart []int32
	adjEdges []int32
	// coreStart/coreEdges: the same, restricted to core edges, so that
	// walks of the core never scan the thousands of accesses on an
	// aggregation router.
	coreStart []int32
	coreEdges []int32

	nodeByKey   map[string]int32 // "device:NAME", "site:ID", "datacentre:ID", "interconnect:ID"
	edgeByID    map[LinkID]int32
	byEndpoint  map[string]int32 // device + "\x00" + interface -> edge
	edgesByPair map[[2]string][]int32

	srlgs      []string
	srlgByName map[string]int32
	srlgEdges  [][]int32
	srlgCore   []bool // the SRLG holds at least one core edge

	sites       []siteInfo // sorted by id
	siteByID    map[string]int32
	dcs         []int32 // datacentre nodes, sorted by id
	backbone    []int32 // devices of role backbone, pfai or pfs
	popDevices  map[string][]int32
	regionNodes map[string][]int32
	pfai        []int32
	internetIC  []int32 // edges attaching internet interconnects
	viaInternet []int32 // edges riding the internet
	ics         []int32 // interconnect nodes, sorted by id
	icKind      []inventory.InterconnectKind
	landing     []int32 // every core node some site lands on, sorted
}

func endName(dev, ifname string) string {
	if ifname == "" {
		return dev
	}
	return dev + ":" + ifname
}

// Build turns a loaded inventory into a Graph. It fails, naming the item,
// when the inventory breaks a rule the analysis relies on: a reference to
// an unknown device, or a site's access leaving from another site's router.
//
// Each step below is one function: every node first (sites, datacentres,
// devices, interconnects), so that any edge can name any node whatever the
// inventory's order; then every edge; then the indexes the analysis walks
// (adjacency, per-site clusters).
func Build(inv *inventory.Inventory) (*Graph, error) {
	if inv == nil {
		return nil, fmt.Errorf("resilience: no inventory given")
	}
	g := newGraph(inv)
	sitesSorted, err := g.addSiteNodes()
	if err != nil {
		return nil, err
	}
	if err := g.addDatacentreNodes(); err != nil {
		return nil, err
	}
	if err := g.addDeviceNodes(); err != nil {
		return nil, err
	}
	icIDs, err := g.addInterconnectNodes()
	if err != nil {
		return nil, err
	}
	if err := g.addMemberships(); err != nil {
		return nil, err
	}
	if err := g.addAccesses(sitesSorted); err != nil {
		return nil, err
	}
	if err := g.addLinks(); err != nil {
		return nil, err
	}
	if err := g.addInterconnects(icIDs); err != nil {
		return nil, err
	}
	g.buildAdjacency()
	if err := g.buildSites(); err != nil {
		return nil, err
	}
	return g, nil
}

// newGraph returns an empty graph for inv, its maps sized from the
// inventory so that the full RIE builds without rehashing.
func newGraph(inv *inventory.Inventory) *Graph {
	return &Graph{
		inv:         inv,
		nodeByKey:   make(map[string]int32, len(inv.Devices)+len(inv.Sites)+16),
		edgeByID:    make(map[LinkID]int32, len(inv.Links)+2*len(inv.Sites)),
		byEndpoint:  make(map[string]int32, 2*len(inv.Links)+4*len(inv.Sites)),
		edgesByPair: make(map[[2]string][]int32, len(inv.Links)+2*len(inv.Sites)),
		srlgByName:  make(map[string]int32),
		siteByID:    make(map[string]int32, len(inv.Sites)),
		popDevices:  make(map[string][]int32),
		regionNodes: make(map[string][]int32),
	}
}

// addNode appends n under key ("device:NAME", "site:ID"...) and returns its
// index. Callers check duplicates first, to name the duplicate in the error.
func (g *Graph) addNode(key string, n node) int32 {
	id := int32(len(g.nodes))
	g.nodes = append(g.nodes, n)
	g.nodeByKey[key] = id
	return id
}

// addSiteNodes adds one node per site, in id order so that a site's index
// (g.sites, node.site) does not depend on the inventory's order. It returns
// the inventory indexes in that order, for addAccesses.
func (g *Graph) addSiteNodes() ([]int, error) {
	inv := g.inv
	sitesSorted := make([]int, len(inv.Sites))
	for i := range sitesSorted {
		sitesSorted[i] = i
	}
	slices.SortFunc(sitesSorted, func(a, b int) int { return cmp.Compare(inv.Sites[a].ID, inv.Sites[b].ID) })
	g.sites = make([]siteInfo, len(inv.Sites))
	for k, i := range sitesSorted {
		s := &inv.Sites[i]
		if _, dup := g.siteByID[s.ID]; dup {
			return nil, fmt.Errorf("resilience: site %q is declared twice; give each site its own id", s.ID)
		}
		g.siteByID[s.ID] = int32(k)
		id := g.addNode("site:"+s.ID, node{name: s.ID, kind: kindSite, site: int32(k), region: s.Region})
		g.sites[k] = siteInfo{id: s.ID, region: s.Region, overseas: s.Overseas, designed: s.Protection, node: id, nodes: []int32{id}}
		g.regionNodes[s.Region] = append(g.regionNodes[s.Region], id)
	}
	return sitesSorted, nil
}

// addDatacentreNodes adds one node per datacentre, in id order: g.dcs is
// the analysis's list of targets, and its order is the order of results.
func (g *Graph) addDatacentreNodes() error {
	inv := g.inv
	dcIDs := make([]string, 0, len(inv.Datacentres))
	for _, dc := range inv.Datacentres {
		dcIDs = append(dcIDs, dc.ID)
	}
	slices.Sort(dcIDs)
	for i := 1; i < len(dcIDs); i++ {
		if dcIDs[i] == dcIDs[i-1] {
			return fmt.Errorf("resilience: datacentre %q is declared twice; give each datacentre its own id", dcIDs[i])
		}
	}
	for _, id := range dcIDs {
		dc := inv.Datacentre(id)
		region := ""
		if dc != nil {
			region = dc.Region
		}
		n := g.addNode("datacentre:"+id, node{name: id, kind: kindDatacentre, site: -1, region: region})
		g.dcs = append(g.dcs, n)
		g.regionNodes[region] = append(g.regionNodes[region], n)
	}
	return nil
}

// addDeviceNodes adds one node per device, in inventory order, and files
// it under its site, PoP and region, and among the backbone and the PFAI:
// the groups a failure spec or a cause names.
func (g *Graph) addDeviceNodes() error {
	inv := g.inv
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if _, dup := g.nodeByKey["device:"+d.Name]; dup {
			return fmt.Errorf("resilience: device %q is declared twice; give each device its own name", d.Name)
		}
		site := int32(-1)
		region := ""
		if d.Site != "" {
			k, ok := g.siteByID[d.Site]
			if !ok {
				return fmt.Errorf("resilience: device %q stands in unknown site %q; declare the site or fix the device", d.Name, d.Site)
			}
			site = k
			region = g.sites[k].region
		} else {
			region = inv.DeviceRegion(d)
		}
		n := g.addNode("device:"+d.Name, node{name: d.Name, kind: kindDevice, role: d.Role, site: site, pop: d.PoP, region: region})
		if site >= 0 {
			g.sites[site].nodes = append(g.sites[site].nodes, n)
		}
		if d.PoP != "" {
			g.popDevices[d.PoP] = append(g.popDevices[d.PoP], n)
		}
		g.regionNodes[region] = append(g.regionNodes[region], n)
		switch d.Role {
		case inventory.RoleBackbone, inventory.RolePFAI, inventory.RolePFS:
			if site < 0 {
				g.backbone = append(g.backbone, n)
			}
		}
		if d.Role == inventory.RolePFAI {
			g.pfai = append(g.pfai, n)
		}
	}
	return nil
}

// addInterconnectNodes adds one node per interconnect, in id order (g.ics
// and g.icKind are parallel). It returns the inventory indexes in that
// order, for addInterconnects.
func (g *Graph) addInterconnectNodes() ([]int, error) {
	inv := g.inv
	icIDs := make([]int, len(inv.Interconnects))
	for i := range icIDs {
		icIDs[i] = i
	}
	slices.SortFunc(icIDs, func(a, b int) int { return cmp.Compare(inv.Interconnects[a].ID, inv.Interconnects[b].ID) })
	for _, i := range icIDs {
		ic := &inv.Interconnects[i]
		if _, dup := g.nodeByKey["interconnect:"+ic.ID]; dup {
			return nil, fmt.Errorf("resilience: interconnect %q is declared twice; give each interconnect its own id", ic.ID)
		}
		n := g.addNode("interconnect:"+ic.ID, node{name: ic.ID, kind: kindInterconnect, site: -1})
		g.ics = append(g.ics, n)
		g.icKind = append(g.icKind, ic.Kind)
	}
	return icIDs, nil
}

// deviceNode returns the node of the device called name, or an error that
// names the inventory item (what) holding the bad reference.
func (g *Graph) deviceNode(name, what string) (int32, error) {
	n, ok := g.nodeByKey["device:"+name]
	if !ok {
		return 0, fmt.Errorf("resilience: %s names unknown device %q; declare it under devices or fix the name", what, name)
	}
	return n, nil
}

// srlgIDs interns an edge's shared-risk group names, numbering each new one
// in order of first appearance, and drops repeats within the edge.
func (g *Graph) srlgIDs(names []string) []int32 {
	if len(names) == 0 {
		return nil
	}
	out := make([]int32, 0, len(names))
	for _, s := range names {
		id, ok := g.srlgByName[s]
		if !ok {
			id = int32(len(g.srlgs))
			g.srlgs = append(g.srlgs, s)
			g.srlgByName[s] = id
			g.srlgEdges = append(g.srlgEdges, nil)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// addEdge appends e between nodes a and b under the LinkID made of its two
// ends (see LinkID), and files it in every index that looks edges up: by
// id, by SRLG, by internet use, and by device pair for the live model.
func (g *Graph) addEdge(a, b int32, endA, endB string, e edge) int32 {
	if endA > endB {
		endA, endB = endB, endA
	}
	base := LinkID(endA + "--" + endB)
	id := base
	for k := 2; ; k++ {
		if _, dup := g.edgeByID[id]; !dup {
			break
		}
		id = LinkID(fmt.Sprintf("%s#%d", base, k))
	}
	e.a, e.b, e.id = a, b, id
	e.site = -1
	if s := g.nodes[a].site; s >= 0 {
		e.site = s
	} else if s := g.nodes[b].site; s >= 0 {
		e.site = s
	}
	eid := int32(len(g.edges))
	g.edges = append(g.edges, e)
	g.edgeByID[id] = eid
	for _, s := range e.srlgs {
		g.srlgEdges[s] = append(g.srlgEdges[s], eid)
	}
	if e.viaInternet {
		g.viaInternet = append(g.viaInternet, eid)
	}
	if e.kind != edgeMember && g.nodes[a].kind == kindDevice && g.nodes[b].kind == kindDevice {
		pa, pb := g.nodes[a].name, g.nodes[b].name
		if pa > pb {
			pa, pb = pb, pa
		}
		g.edgesByPair[[2]string{pa, pb}] = append(g.edgesByPair[[2]string{pa, pb}], eid)
	}
	return eid
}

// registerEnd maps a device's interface to the edge it terminates. The
// first edge declared on an interface keeps it, as the inventory says.
func (g *Graph) registerEnd(dev, ifname string, eid int32) {
	if ifname == "" {
		return
	}
	k := dev + "\x00" + ifname
	if _, dup := g.byEndpoint[k]; !dup {
		g.byEndpoint[k] = eid
	}
}

// addMemberships joins each CE to its site and each device to its
// datacentre: edges that never fail on their own, but that let a site or a
// datacentre be reached through any of its devices.
func (g *Graph) addMemberships() error {
	inv := g.inv
	for i := range inv.Devices {
		d := &inv.Devices[i]
		n := g.nodeByKey["device:"+d.Name]
		if d.Site != "" {
			s := g.nodeByKey["site:"+d.Site]
			g.addEdge(s, n, d.Name, "site:"+d.Site, edge{kind: edgeMember})
		}
		if d.Datacentre != "" {
			dc, ok := g.nodeByKey["datacentre:"+d.Datacentre]
			if !ok {
				return fmt.Errorf("resilience: device %q stands in unknown datacentre %q; declare it under datacentres", d.Name, d.Datacentre)
			}
			g.addEdge(n, dc, d.Name, "datacentre:"+d.Datacentre, edge{kind: edgeMember})
		}
	}
	return nil
}

// addAccesses adds every site's access links, sites in id order. It
// enforces that a site is a leaf: an access lands on a shared device and
// leaves from the site itself or one of its own routers, which is what lets
// the analysis treat each site's cluster on its own.
func (g *Graph) addAccesses(sitesSorted []int) error {
	inv := g.inv
	for _, k := range sitesSorted {
		s := &inv.Sites[k]
		sn := g.nodeByKey["site:"+s.ID]
		for j, a := range s.Access {
			what := fmt.Sprintf("site %q access link %d", s.ID, j+1)
			far, err := g.deviceNode(a.Device, what)
			if err != nil {
				return err
			}
			if fs := g.nodes[far].site; fs >= 0 {
				return fmt.Errorf("resilience: %s lands on %q, a router of site %q; a site is a leaf: land it on an aggregation or backbone device", what, a.Device, g.sites[fs].id)
			}
			near, nearEnd := sn, "site:"+s.ID
			if a.Router != "" {
				near, err = g.deviceNode(a.Router, what)
				if err != nil {
					return err
				}
				if g.nodes[near].site != g.nodes[sn].site {
					return fmt.Errorf("resilience: %s leaves from router %q, which is not a device of site %q; set its site or fix the router", what, a.Router, s.ID)
				}
				nearEnd = endName(a.Router, a.RouterInterface)
			}
			eid := g.addEdge(near, far, nearEnd, endName(a.Device, a.Interface), edge{
				kind: edgeAccess, tech: a.Technology, srlgs: g.srlgIDs(a.SRLGs), viaInternet: a.ViaInternet,
			})
			if a.Router != "" {
				g.registerEnd(a.Router, a.RouterInterface, eid)
			}
			g.registerEnd(a.Device, a.Interface, eid)
		}
	}
	return nil
}

// addLinks adds the declared links between devices, in inventory order,
// refusing one that joins two different sites (a site never carries
// another site's traffic).
func (g *Graph) addLinks() error {
	for j, l := range g.inv.Links {
		what := fmt.Sprintf("link %d (%s--%s)", j+1, l.A.Device, l.B.Device)
		a, err := g.deviceNode(l.A.Device, what)
		if err != nil {
			return err
		}
		b, err := g.deviceNode(l.B.Device, what)
		if err != nil {
			return err
		}
		sa, sb := g.nodes[a].site, g.nodes[b].site
		if sa >= 0 && sb >= 0 && sa != sb {
			return fmt.Errorf("resilience: %s joins routers of sites %q and %q; a site is a leaf and never carries another site's traffic", what, g.sites[sa].id, g.sites[sb].id)
		}
		eid := g.addEdge(a, b, endName(l.A.Device, l.A.Interface), endName(l.B.Device, l.B.Interface), edge{
			kind: edgeLink, tech: l.Technology, srlgs: g.srlgIDs(l.SRLGs), viaInternet: l.ViaInternet,
		})
		g.registerEnd(l.A.Device, l.A.Interface, eid)
		g.registerEnd(l.B.Device, l.B.Interface, eid)
	}
	return nil
}

// addInterconnects attaches each interconnect to its device, in id order.
// An interconnect takes its device's region, and the internet ones are
// listed apart: losing them all is the "internet" failure.
func (g *Graph) addInterconnects(icIDs []int) error {
	for _, i := range icIDs {
		ic := &g.inv.Interconnects[i]
		dev, err := g.deviceNode(ic.Device, fmt.Sprintf("interconnect %q", ic.ID))
		if err != nil {
			return err
		}
		icn := g.nodeByKey["interconnect:"+ic.ID]
		g.nodes[icn].region = g.nodes[dev].region
		eid := g.addEdge(dev, icn, endName(ic.Device, ic.Interface), "interconnect:"+ic.ID, edge{
			kind: edgeInterconnect, srlgs: g.srlgIDs(ic.SRLGs),
		})
		g.registerEnd(ic.Device, ic.Interface, eid)
		if ic.Kind == inventory.InterconnectInternet {
			g.internetIC = append(g.internetIC, eid)
		}
	}
	return nil
}

// buildAdjacency lays out the edges incident to each node in CSR form
// (two flat slices instead of a slice per node), and again restricted to
// core edges, so that walks of the core never scan the thousands of
// accesses on an aggregation router.
func (g *Graph) buildAdjacency() {
	g.adjStart = make([]int32, len(g.nodes)+1)
	for _, e := range g.edges {
		g.adjStart[e.a+1]++
		g.adjStart[e.b+1]++
	}
	for i := 1; i < len(g.adjStart); i++ {
		g.adjStart[i] += g.adjStart[i-1]
	}
	g.adjEdges = make([]int32, g.adjStart[len(g.nodes)])
	fill := slices.Clone(g.adjStart[:len(g.nodes)])
	for i, e := range g.edges {
		g.adjEdges[fill[e.a]] = int32(i)
		fill[e.a]++
		g.adjEdges[fill[e.b]] = int32(i)
		fill[e.b]++
	}

	g.coreStart = make([]int32, len(g.nodes)+1)
	for u := range g.nodes {
		g.coreStart[u+1] = g.coreStart[u]
		for _, e := range g.adjEdges[g.adjStart[u]:g.adjStart[u+1]] {
			if g.edges[e].site < 0 {
				g.coreEdges = append(g.coreEdges, e)
				g.coreStart[u+1]++
			}
		}
	}
}

// buildSites gathers what the per-site analysis needs: which SRLGs also
// hold a core edge (their failure is not local to a site), each site's
// edges, risk units and landing devices, and the set of every landing
// device. A site landing on more than 32 devices is refused: the analysis
// keeps a site's landings in a 32-bit mask.
func (g *Graph) buildSites() error {
	g.srlgCore = make([]bool, len(g.srlgs))
	for s, es := range g.srlgEdges {
		for _, e := range es {
			if g.edges[e].site < 0 {
				g.srlgCore[s] = true
				break
			}
		}
	}
	for i, e := range g.edges {
		if e.site >= 0 {
			g.sites[e.site].edges = append(g.sites[e.site].edges, int32(i))
		}
	}
	for k := range g.sites {
		si := &g.sites[k]
		g.buildSiteUnits(si)
		if len(si.landing) > 32 {
			return fmt.Errorf("resilience: site %q lands on %d devices; at most 32 are supported", si.id, len(si.landing))
		}
		g.landing = append(g.landing, si.landing...)
	}
	slices.Sort(g.landing)
	g.landing = slices.Compact(g.landing)
	return nil
}

// other returns the far end of edge e seen from node n.
func (g *Graph) other(e, n int32) int32 {
	if g.edges[e].a == n {
		return g.edges[e].b
	}
	return g.edges[e].a
}

// coreAdj returns the core edges incident to node u.
func (g *Graph) coreAdj(u int32) []int32 { return g.coreEdges[g.coreStart[u]:g.coreStart[u+1]] }

// LinkByEndpoint maps a device's interface to the link it terminates, so
// that the live model can turn an interface's oper status into a link
// failure. The interface must be named in the inventory.
func (g *Graph) LinkByEndpoint(device, ifname string) (LinkID, bool) {
	e, ok := g.byEndpoint[device+"\x00"+ifname]
	if !ok {
		return "", false
	}
	return g.edges[e].id, true
}

// Links returns every failable link of the graph (declared links, accesses
// and interconnect attachments), sorted.
func (g *Graph) Links() []LinkID {
	out := make([]LinkID, 0, len(g.edges))
	for _, e := range g.edges {
		if e.kind != edgeMember {
			out = append(out, e.id)
		}
	}
	slices.Sort(out)
	return out
}

// LinkSRLGs returns the shared-risk groups of a link (nil if none or unknown).
func (g *Graph) LinkSRLGs(id LinkID) []string {
	e, ok := g.edgeByID[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(g.edges[e].srlgs))
	for _, s := range g.edges[e].srlgs {
		out = append(out, g.srlgs[s])
	}
	slices.Sort(out)
	return out
}

// Datacentres returns the datacentre ids in the order Result.Datacentres and
// SiteResult.PathsToDC use.
func (g *Graph) Datacentres() []string {
	out := make([]string, len(g.dcs))
	for i, n := range g.dcs {
		out[i] = g.nodes[n].name
	}
	return out
}

// Size reports the graph's node and edge counts, for logs and metrics.
func (g *Graph) Size() (nodes, edges int) { return len(g.nodes), len(g.edges) }

func (g *Graph) isCore(n int32) bool { return g.nodes[n].site < 0 }

// elementName renders an element id (see units.go) as a failure item.
func (g *Graph) elementName(el int32) string {
	switch {
	case int(el) < len(g.nodes):
		return "device:" + g.nodes[el].name
	case int(el) < len(g.nodes)+len(g.edges):
		return "link:" + string(g.edges[int(el)-len(g.nodes)].id)
	default:
		return "srlg:" + g.srlgs[int(el)-len(g.nodes)-len(g.edges)]
	}
}
