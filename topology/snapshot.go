package topology

// snapshot.go is what the topology publishes for the outside (the
// exposition package renders it as metrics and JSON): copies of the live
// model taken under the read lock, and the routing snapshot published at
// each analysis. None of them shares memory the writer changes.

import (
	"slices"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
)

// Node is one device of the live model: an inventory device (Declared) or
// a name only LLDP reports.
type Node struct {
	Name       string
	Role       string
	Region     string
	Site       string
	PoP        string
	Datacentre string
	Declared   bool
	State      DeviceState
	SysName    string
	Uptime     time.Duration
	Reason     string
	// LastPoll is the end of the device's last poll; Since the time of
	// its last change of state.
	LastPoll time.Time
	Since    time.Time
}

// End is one end of a link.
type End struct {
	Device    string
	Interface string
	Status    string
}

// Link is one link of the live model.
type Link struct {
	ID           string
	Kind         LinkKind
	Site         string
	Interconnect string
	A            End
	// B.Device is empty for a link with one known end (an interconnect's
	// uplink).
	B            End
	Sources      []Source
	State        LinkState
	Since        time.Time
	Disagreement string
	LLDPMissed   int
}

// Snapshot is the live topology at one time: inventory devices in
// inventory order then the names only LLDP reports (in no set order), links
// in id order, and the last published analysis (nil before the first).
type Snapshot struct {
	Time     time.Time
	Nodes    []Node
	Links    []Link
	Analysis *Analysis
}

func (l *link) snapshot() Link {
	v := Link{ID: l.id, Kind: l.kind, Site: l.site, A: End{l.a.device, l.a.iface, l.a.status},
		Sources: l.sources(), State: l.state, Since: l.since, Disagreement: l.disagreement, LLDPMissed: l.lldpMissed}
	if l.b.device != "" {
		v.B = End{l.b.device, l.b.iface, l.b.status}
	}
	if l.ic != nil {
		v.Interconnect = l.ic.ID
	}
	return v
}

// Snapshot returns the live topology: every node and link.
func (t *Topology) Snapshot() Snapshot {
	v := Snapshot{Time: t.opts.Now(), Analysis: t.analysis.Load()}
	t.mu.RLock()
	defer t.mu.RUnlock()
	v.Nodes = make([]Node, 0, len(t.st.devices))
	for i := range t.inv.Devices {
		d := t.st.devices[t.inv.Devices[i].Name]
		if d == nil {
			continue
		}
		inv := d.inv
		v.Nodes = append(v.Nodes, Node{Name: d.name, Role: string(inv.Role), Region: d.region, Site: inv.Site,
			PoP: inv.PoP, Datacentre: inv.Datacentre, Declared: true, State: d.state, SysName: d.sysName,
			Uptime: d.uptime, Reason: d.reason, LastPoll: d.seen, Since: d.since})
	}
	for _, d := range t.st.devices {
		if d.inv == nil {
			v.Nodes = append(v.Nodes, Node{Name: d.name, State: d.state})
		}
	}
	links := t.st.sortedLinks()
	v.Links = make([]Link, len(links))
	for i, l := range links {
		v.Links[i] = l.snapshot()
	}
	return v
}

// SiteLinks returns the links of one site (its access links), in id order.
func (t *Topology) SiteLinks(id string) []Link {
	var out []Link
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, l := range t.st.sortedLinks() {
		if l.site == id {
			out = append(out, l.snapshot())
		}
	}
	return out
}

// AccessIDs returns the link id of every site's access links, by site id
// and in the order of the site's access list: the id /api/v1/sites/{id}
// and vigie_site_isolation_cause give the link, which vigie_access_info
// carries so that a page naming a link can be joined to its circuit.
func (t *Topology) AccessIDs() map[string][]string {
	out := make(map[string][]string, len(t.inv.Sites))
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, l := range t.st.links {
		if l.kind != KindAccess || l.access == nil {
			continue
		}
		s := t.inv.Site(l.site)
		if s == nil {
			continue
		}
		ids := out[s.ID]
		if ids == nil {
			ids = make([]string, len(s.Access))
			out[s.ID] = ids
		}
		for j := range s.Access {
			if &s.Access[j] == l.access {
				ids[j] = l.id
			}
		}
	}
	return out
}

// Inventory returns the inventory the topology models.
func (t *Topology) Inventory() *inventory.Inventory { return t.inv }

// Options returns the topology's options, defaults applied.
func (t *Topology) Options() Options { return t.opts }

// Counts is the size of the live model at one time. Every map holds every
// label value of its kind, zeros included.
type Counts struct {
	// Nodes counts inventory devices and names only LLDP reports.
	Nodes int
	// Devices counts inventory devices by SNMP reachability.
	Devices map[DeviceState]int
	// Links counts links by the sources that vouch for them (a link counts
	// once per source).
	Links map[Source]int
	// LinkStates counts links by state.
	LinkStates map[LinkState]int
	// Disagreements counts links by the kind of their sources'
	// disagreement (Disagreements).
	Disagreements map[string]int
	// Cables are the declared transoceanic links, in id order: the few
	// links an overseas territory hangs on.
	Cables []Cable
}

// Cable is one transoceanic link and the overseas region it serves (the
// region of its end in an overseas region; its A end's otherwise).
type Cable struct {
	ID     string
	Region string
	State  LinkState
}

// Counts counts the live model under the read lock: a walk of the links
// with no allocation per link.
func (t *Topology) Counts() Counts {
	c := Counts{
		Devices:       map[DeviceState]int{DeviceUnknown: 0, DeviceReachable: 0, DeviceUnreachable: 0},
		Links:         make(map[Source]int, len(Sources)),
		LinkStates:    map[LinkState]int{LinkUp: 0, LinkDown: 0, LinkUnknown: 0},
		Disagreements: make(map[string]int, len(Disagreements)),
	}
	if t.opts.Distributed {
		c.Devices[DeviceUnobserved] = 0
	}
	for _, k := range Disagreements {
		c.Disagreements[k] = 0
	}
	var sources [5]int
	t.mu.RLock()
	c.Nodes = len(t.st.devices)
	for _, d := range t.st.devices {
		if d.inv != nil {
			c.Devices[d.state]++
		}
	}
	for _, l := range t.st.links {
		if l.declared {
			sources[0]++
		}
		if l.seenBy(viaLLDP) {
			sources[1]++
		}
		if l.a.status != statusUnknown || (l.b.device != "" && l.b.status != statusUnknown) {
			sources[2]++
		}
		if l.a.bgp || l.b.bgp {
			sources[3]++
		}
		if l.seenBy(viaCDP) {
			sources[4]++
		}
		c.LinkStates[l.state]++
		if l.disagreement != "" {
			c.Disagreements[l.disagreement]++
		}
		if l.decl != nil && l.decl.Technology == inventory.TechTransoceanic {
			c.Cables = append(c.Cables, Cable{ID: l.id, Region: t.cableRegion(l), State: l.state})
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(c.Cables, func(a, b Cable) int { return strings.Compare(a.ID, b.ID) })
	for i, s := range Sources {
		c.Links[s] = sources[i]
	}
	return c
}

// cableRegion is the overseas region a transoceanic link serves. Called
// under the read lock.
func (t *Topology) cableRegion(l *link) string {
	var regions [2]string
	for i, e := range [2]string{l.a.device, l.b.device} {
		if d := t.st.devices[e]; d != nil {
			regions[i] = d.region
		}
		for _, r := range t.inv.Regions {
			if r.ID == regions[i] && r.Overseas {
				return r.ID
			}
		}
	}
	return regions[0]
}

// SiteRoute is BGP's known verdict on one site's prefixes.
type SiteRoute struct {
	Site   string
	Region string
	// Routed is the share of the site's judged prefixes present in the
	// backbone routes (1 routed, 0 unrouted).
	Routed float64
	// NextHops is the fewest distinct BGP next hops over the site's
	// prefixes (0 when one is missing).
	NextHops int
}

// Routing is the routing part of the model as the last analysis left it.
// It is immutable once published.
type Routing struct {
	// Sites are the sites with prefixes BGP can tell about (state other
	// than unknown), in site name order.
	Sites []SiteRoute
	// States counts the sites with prefixes by routing state, every state
	// present.
	States map[bgp.RoutingState]int
	// Disagreements counts the sites on which BGP and SNMP disagree, by
	// kind (SiteDisagreements), every kind present.
	Disagreements map[string]int
}

// Routing returns the last published routing snapshot.
func (t *Topology) Routing() *Routing { return t.rt.pub.Load() }
