package topology

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/store"
)

// DeviceState is what vigie knows of a device's reachability over SNMP.
type DeviceState string

// Device states.
const (
	DeviceUnknown     DeviceState = "unknown" // never polled since start (or restored)
	DeviceReachable   DeviceState = "reachable"
	DeviceUnreachable DeviceState = "unreachable" // UnreachableAfter polls in a row failed
)

// LinkState is a link's state as derived from the observations.
//
// The rule: a link is DOWN if either end's device is unreachable, or either
// end's interface is reported oper-down (ifOperStatus down, dormant,
// notPresent or lowerLayerDown) by IF-MIB. Otherwise it is UP if at least
// one end's interface is oper-up, or LLDP currently sees it. Otherwise it is
// UNKNOWN (nothing polled yet, or no interface name to look at). Unknown
// links are not failed for the resilience analysis: vigie does not invent
// outages it has not seen.
type LinkState string

// Link states.
const (
	LinkUp      LinkState = "up"
	LinkDown    LinkState = "down"
	LinkUnknown LinkState = "unknown"
)

// Source is who vouches for a link.
type Source string

// Sources of link knowledge.
const (
	SourceDeclared Source = "declared" // the inventory
	SourceLLDP     Source = "lldp"     // an LLDP neighbour on one end currently names the other
	SourceCDP      Source = "cdp"      // a CDP neighbour (CISCO-CDP-MIB) on one end currently names the other
	SourceIFMIB    Source = "ifmib"    // IF-MIB gave the oper status of at least one end
	SourceBGP      Source = "bgp"      // a BGP4-MIB session between the two ends is established
)

// Sources lists every source, in display order.
var Sources = []Source{SourceDeclared, SourceLLDP, SourceIFMIB, SourceBGP, SourceCDP}

// LinkKind says what part of the RIE a link belongs to.
type LinkKind string

// Link kinds.
const (
	KindAccess       LinkKind = "access"       // a site's access link (inventory sites[].access)
	KindBackbone     LinkKind = "backbone"     // inventory links: trunks, uplinks, transoceanic
	KindInterconnect LinkKind = "interconnect" // PFAI/PFS interconnect: one end only
	KindObserved     LinkKind = "observed"     // seen by LLDP, not in the inventory
)

// Disagreement kinds between sources, a bounded label set.
const (
	// DisagreeDeclaredNotSeen: a declared link LLDP did not see in
	// LLDPMissLimit polls of its ends while the link was not down.
	DisagreeDeclaredNotSeen = "declared_not_seen"
	// DisagreeUndeclaredNeighbor: an LLDP neighbour the inventory does not
	// know (unknown device, or no declared link between those ports).
	DisagreeUndeclaredNeighbor = "undeclared_neighbor"
	// DisagreeWrongNeighbor: LLDP on a declared link's port names another
	// device than the inventory (a cabling or inventory error).
	DisagreeWrongNeighbor = "wrong_neighbor"
)

// Disagreements lists every disagreement kind.
var Disagreements = []string{DisagreeDeclaredNotSeen, DisagreeUndeclaredNeighbor, DisagreeWrongNeighbor}

// Interface status of one link end, from IF-MIB.
const (
	statusUp      = "up"
	statusDown    = "down"
	statusUnknown = "unknown"
)

type device struct {
	name     string
	inv      *inventory.Device // nil for a name only LLDP knows
	region   string
	state    DeviceState
	failures int // consecutive failed polls
	sysName  string
	uptime   time.Duration
	reason   string
	polls    uint64
	seen     time.Time
	since    time.Time
	// live: polled to a verdict (reachable or unreachable) since this
	// vigie started, so its sites are observed (avail.go).
	live bool
	// vouched names the witness that reaches the unobserved device
	// (witness.go), until its next poll.
	vouched string

	lldpPolls int
	lldp      []lldpEntry     // the last neighbour table (LLDP and CDP), in entryOrder
	lldpVia   nbrVia          // the protocols in lldp
	bgp       map[string]bool // peer device -> established
	links     []*link
	dirty     bool

	// The event bound's token bucket (bounds.go): tokens left at evAt.
	evTokens float64
	evAt     time.Time
}

type end struct {
	device string
	iface  string
	status string // statusUp, statusDown, statusUnknown
	// lldp says this end's last neighbour table (LLDP and CDP together:
	// one discovery, two protocols) names the other end; via says which
	// protocols did.
	lldp   bool
	via    nbrVia
	missed int    // consecutive LLDP polls of this end that did not see the link
	wrong  string // the other device this end's LLDP names on the port, if not the declared one
	bgp    bool   // this end's BGP4-MIB shows an established session with the other
}

type link struct {
	id           string
	kind         LinkKind
	site         string
	ic           *inventory.Interconnect
	access       *inventory.AccessLink
	decl         *inventory.Link
	a, b         end
	declared     bool
	state        LinkState
	since        time.Time
	lldpMissed   int
	disagreement string
	dirty        bool
}

// other returns the end of l that is not on device d, and d's own end.
func (l *link) ends(d string) (mine, other *end) {
	if l.a.device == d {
		return &l.a, &l.b
	}
	return &l.b, &l.a
}

func (l *link) sources() []Source {
	out := make([]Source, 0, 4)
	if l.declared {
		out = append(out, SourceDeclared)
	}
	if l.seenBy(viaLLDP) {
		out = append(out, SourceLLDP)
	}
	if l.a.status != statusUnknown || (l.b.device != "" && l.b.status != statusUnknown) {
		out = append(out, SourceIFMIB)
	}
	if l.a.bgp || l.b.bgp {
		out = append(out, SourceBGP)
	}
	if l.seenBy(viaCDP) {
		out = append(out, SourceCDP)
	}
	return out
}

// nbrVia is the set of neighbour protocols that name a link's other end.
type nbrVia uint8

const (
	viaLLDP nbrVia = 1 << iota
	viaCDP
)

// seenBy reports whether an end's neighbour table names the other end
// through protocol v.
func (l *link) seenBy(v nbrVia) bool {
	return (l.a.lldp && l.a.via&v != 0) || (l.b.lldp && l.b.via&v != 0)
}

type endKey struct{ device, iface string }

type pairKey struct{ a, b string }

func pair(a, b string) pairKey {
	if a > b {
		a, b = b, a
	}
	return pairKey{a, b}
}

// model is the state owned by the writer goroutine; readers take mu.RLock
// in Topology.
type model struct {
	devices    map[string]*device
	links      map[string]*link
	byEndpoint map[endKey][]*link // declared links by (device, interface)
	byPair     map[pairKey][]*link
	byAddr     map[netip.Addr]string
	byName     map[string]string // lower-case name and short name -> inventory name
}

// endName renders one end of a declared link as the resilience engine
// names it: "device:interface", or "device" when the interface is unknown.
func endName(dev, ifname string) string {
	if ifname == "" {
		return dev
	}
	return dev + ":" + ifname
}

// idMaker gives declared links the resilience engine's LinkID: the two end
// names sorted and joined by "--", with "#2", "#3"... for a second cable
// between the same ends, assigned in the engine's order (accesses by site
// id, then links in inventory order, then interconnects by id). New checks
// every id against the engine's graph.
type idMaker map[string]bool

func (ids idMaker) id(x, y string) string {
	if x > y {
		x, y = y, x
	}
	base := x + "--" + y
	id := base
	for k := 2; ids[id]; k++ {
		id = base + "#" + itoa(k)
	}
	ids[id] = true
	return id
}

func observedID(d, p, x, y string) string {
	u, v := d+":"+p, x+":"+y
	if u > v {
		u, v = v, u
	}
	return "lldp:" + u + "--" + v
}

func newModel(inv *inventory.Inventory) *model {
	m := &model{
		devices:    make(map[string]*device, len(inv.Devices)),
		links:      map[string]*link{},
		byEndpoint: map[endKey][]*link{},
		byPair:     map[pairKey][]*link{},
		byAddr:     map[netip.Addr]string{},
		byName:     map[string]string{},
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		m.devices[d.Name] = &device{name: d.Name, inv: d, region: inv.DeviceRegion(d), state: DeviceUnknown,
			bgp: map[string]bool{}}
		if d.Address.IsValid() {
			m.byAddr[d.Address.Addr()] = d.Name
		}
		low := strings.ToLower(d.Name)
		m.byName[low] = d.Name
		if short, _, ok := strings.Cut(low, "."); ok {
			if _, taken := m.byName[short]; !taken {
				m.byName[short] = d.Name
			}
		}
	}
	ids := idMaker{}
	sites := make([]*inventory.Site, len(inv.Sites))
	for i := range inv.Sites {
		sites[i] = &inv.Sites[i]
	}
	sort.SliceStable(sites, func(i, j int) bool { return sites[i].ID < sites[j].ID })
	for _, s := range sites {
		for j := range s.Access {
			al := &s.Access[j]
			near := "site:" + s.ID
			if al.Router != "" {
				near = endName(al.Router, al.RouterInterface)
			}
			a := newEnd(inventory.Endpoint{Device: al.Router, Interface: al.RouterInterface})
			b := newEnd(inventory.Endpoint{Device: al.Device, Interface: al.Interface})
			if al.Router == "" {
				// An unmanaged CE: the far end is the only one polled.
				a, b = b, end{status: statusUnknown}
			}
			m.addDeclared(&link{id: ids.id(near, endName(al.Device, al.Interface)), kind: KindAccess, site: s.ID, access: al, a: a, b: b})
		}
	}
	for i := range inv.Links {
		l := &inv.Links[i]
		m.addDeclared(&link{id: ids.id(endName(l.A.Device, l.A.Interface), endName(l.B.Device, l.B.Interface)),
			kind: KindBackbone, decl: l, a: newEnd(l.A), b: newEnd(l.B)})
	}
	ics := make([]*inventory.Interconnect, len(inv.Interconnects))
	for i := range inv.Interconnects {
		ics[i] = &inv.Interconnects[i]
	}
	sort.SliceStable(ics, func(i, j int) bool { return ics[i].ID < ics[j].ID })
	for _, ic := range ics {
		m.addDeclared(&link{id: ids.id(endName(ic.Device, ic.Interface), "interconnect:"+ic.ID), kind: KindInterconnect, ic: ic,
			a: newEnd(inventory.Endpoint{Device: ic.Device, Interface: ic.Interface}), b: end{status: statusUnknown}})
	}
	return m
}

func newEnd(e inventory.Endpoint) end {
	return end{device: e.Device, iface: e.Interface, status: statusUnknown}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

func (m *model) addDeclared(l *link) {
	if _, dup := m.links[l.id]; dup {
		return // the same cable declared twice: the inventory loader warns
	}
	l.declared, l.state = true, LinkUnknown
	m.links[l.id] = l
	for _, e := range []end{l.a, l.b} {
		if e.device == "" {
			continue
		}
		if e.iface != "" {
			k := endKey{e.device, e.iface}
			m.byEndpoint[k] = append(m.byEndpoint[k], l)
		}
		if d := m.devices[e.device]; d != nil {
			d.links = append(d.links, l)
		}
	}
	if l.b.device != "" {
		k := pair(l.a.device, l.b.device)
		m.byPair[k] = append(m.byPair[k], l)
	}
}

// resolve maps an LLDP sysName to an inventory device name: exact, then
// case-insensitive, then the short name of an FQDN. ok is false for a name
// the inventory does not know; the name is then returned as seen.
func (m *model) resolve(sysName string) (string, bool) {
	if _, ok := m.devices[sysName]; ok && m.devices[sysName].inv != nil {
		return sysName, true
	}
	low := strings.ToLower(sysName)
	if n, ok := m.byName[low]; ok {
		return n, true
	}
	if short, _, ok := strings.Cut(low, "."); ok {
		if n, ok := m.byName[short]; ok {
			return n, true
		}
	}
	return sysName, false
}

// deriveState applies the LinkState rule.
func (m *model) deriveState(l *link) LinkState {
	up := false
	for _, e := range []*end{&l.a, &l.b} {
		if e.device == "" {
			continue
		}
		if d := m.devices[e.device]; d != nil && d.state == DeviceUnreachable {
			return LinkDown
		}
		switch {
		case e.status == statusDown:
			return LinkDown
		case e.status == statusUp, e.lldp:
			up = true
		}
	}
	if up {
		return LinkUp
	}
	return LinkUnknown
}

// ifStatus maps ifOperStatus to a link end status.
func ifStatus(oper int) string {
	switch oper {
	case 1:
		return statusUp
	case 2, 5, 6, 7: // down, dormant, notPresent, lowerLayerDown
		return statusDown
	default: // testing, unknown
		return statusUnknown
	}
}

func (l *link) record() store.Link {
	src := l.sources()
	ss := make([]string, len(src))
	for i, s := range src {
		ss[i] = string(s)
	}
	return store.Link{
		ID: l.id, Kind: string(l.kind), Site: l.site,
		A:       store.Endpoint{Device: l.a.device, Interface: l.a.iface, Status: l.a.status},
		B:       store.Endpoint{Device: l.b.device, Interface: l.b.iface, Status: l.b.status},
		Sources: ss, State: string(l.state), Since: l.since, LLDPMissed: l.lldpMissed, Disagreement: l.disagreement,
	}
}

func (d *device) record() store.Device {
	return store.Device{Name: d.name, State: string(d.state), SysName: d.sysName, Uptime: int64(d.uptime),
		Reason: d.reason, Polls: d.polls, Seen: d.seen, Since: d.since}
}

// sortedLinks returns the links in id order, for stable API answers.
func (m *model) sortedLinks() []*link {
	out := make([]*link, 0, len(m.links))
	for _, l := range m.links {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
