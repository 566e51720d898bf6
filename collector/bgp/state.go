package bgp

// state.go holds what vigie keeps of the routes it hears: per peer, the set
// of path keys (to count exactly through replaces and withdraws) and, only
// for the prefixes vigie cares about (site prefixes, the default route,
// canaries), the next hop of each path. It knows nothing of GoBGP, so the
// accounting is tested with plain values.

import (
	"net/netip"
	"sort"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// family is a compact address family: the four vigie listens for.
type family uint8

const (
	famIPv4 family = iota + 1
	famIPv6
	famVPNv4
	famVPNv6
)

// String returns the inventory's name of the family.
func (f family) String() string {
	switch f {
	case famIPv4:
		return inventory.FamilyIPv4Unicast
	case famIPv6:
		return inventory.FamilyIPv6Unicast
	case famVPNv4:
		return inventory.FamilyVPNv4
	case famVPNv6:
		return inventory.FamilyVPNv6
	}
	return "unknown"
}

// familyByName maps the inventory's family names to families.
var familyByName = map[string]family{
	inventory.FamilyIPv4Unicast: famIPv4,
	inventory.FamilyIPv6Unicast: famIPv6,
	inventory.FamilyVPNv4:       famVPNv4,
	inventory.FamilyVPNv6:       famVPNv6,
}

// rdOverflow is the bucket of route distinguishers past the per-peer bound
// (Options.MaxVRFsPerPeer); it keeps the vrf label bounded whatever a peer
// sends. No real RD has type 0xffff.
const rdOverflow = ^uint64(0)

// route is one path as decoded from a GoBGP update event.
type route struct {
	fam     family
	rd      uint64 // route distinguisher, 0 for unicast families
	prefix  netip.Prefix
	pathID  uint32 // ADD-PATH identifier, 0 without ADD-PATH
	nextHop netip.Addr
	// originator is the ORIGINATOR_ID, decoded only for the default route
	// and canaries (to tell which PFAI a reflected path comes from).
	originator netip.Addr
	withdraw   bool
}

// famRD is one (family, VRF) bucket of a peer's counts.
type famRD struct {
	fam family
	rd  uint64
}

// srcPath identifies one path of a tracked prefix across peers.
type srcPath struct {
	peer   int
	rd     uint64
	pathID uint32
	fam    family
}

// tracked is a prefix vigie looks for: a site prefix, the default route or a
// canary. paths holds the next hop of each path heard for it; orig the
// ORIGINATOR_ID of the reflected ones (default route and canaries only).
type tracked struct {
	sites  []int // indexes into state.sites
	canary int   // index into the canaries, -1 if not a canary
	isDef  bool
	ic     bool // an interconnect's expected prefix (interconnect.go)
	paths  map[srcPath]netip.Addr
	orig   map[srcPath]netip.Addr
}

// internet reports whether the prefix says something about a PFAI's
// internet access (the default route or a canary).
func (t *tracked) internet() bool { return t.isDef || t.canary >= 0 }

// peerState is vigie's view of one configured session.
type peerState struct {
	cfg                  inventory.BGPPeer
	addr                 string // label value: the configured address
	device, role, region string

	state       string // GoBGP session state, lower case
	established bool
	since       time.Time // when the session last became established
	changed     time.Time // when established last flipped, either way
	localAddr   netip.Addr
	remoteID    netip.Addr

	flaps uint64
	trips uint64
	// tripped is when the max-prefix limit last closed the session, zero
	// once vigie has reopened it.
	tripped time.Time
	updates uint64
	// malformed counts UPDATEs GoBGP repaired per RFC 7606, per handling;
	// malformedLogged rate-limits their log lines.
	malformed       [numHandlings]uint64
	malformedLogged [numHandlings]time.Time

	// paths holds every path of the peer (pathset.go).
	paths   pathSet
	counts  map[famRD]int
	maxVRFs int
	// undeclared counts the buckets of counts whose RD no inventory VRF
	// names: only they count against maxVRFs, so that a peer flooding
	// RDs never pushes a declared VRF into "other".
	undeclared int

	defaultPaths int
	canaryPaths  []int

	// eor has bit 1<<family set once the peer sent that family's
	// End-of-RIB since the session was established.
	eor uint8
	// siteCarrier: the session is one that should carry the sites'
	// prefixes (see routing.go), so its silence about one can be trusted.
	siteCarrier bool
}

// RFC 7606 handlings of malformed UPDATEs, the handling label's values.
const (
	handlingTreatAsWithdraw = iota
	handlingAttributeDiscard
	handlingAFISAFIDisable
	numHandlings
)

var handlingNames = [numHandlings]string{"treat_as_withdraw", "attribute_discard", "afisafi_disable"}

// siteState is one inventory site with prefixes.
type siteState struct {
	id, region string
	prefixes   []netip.Prefix
}

// state is the monitor's route accounting. It is not safe for concurrent
// use: Monitor serialises access with its mutex.
type state struct {
	peers    []*peerState
	byAddr   map[netip.Addr]int
	sites    []siteState
	canaries []netip.Prefix
	tracked  map[netip.Prefix]*tracked
	internet []*tracked // the default routes and canaries among them
	held     int        // paths held across peers
	// vrfNames maps the inventory's route distinguishers to their VRF's
	// name: looked up per (peer, family, RD) bucket, never per path.
	vrfNames map[uint64]string
	// ics are the interconnects BGP judges (interconnect.go); started is
	// when they were first judged, judged when last.
	ics             []icState
	started, judged time.Time

	rt routing // per-site routing state and per-PFAI internet routes
}

var defaultV4 = netip.MustParsePrefix("0.0.0.0/0")
var defaultV6 = netip.MustParsePrefix("::/0")

// newState indexes the configured peers, site prefixes and canaries.
func newState(cfg inventory.BGP, inv *inventory.Inventory, maxVRFs int) *state {
	s := &state{
		byAddr:   make(map[netip.Addr]int, len(cfg.Peers)),
		canaries: cfg.Canaries,
		tracked:  make(map[netip.Prefix]*tracked),
		vrfNames: map[uint64]string{},
	}
	if inv != nil {
		for _, v := range inv.VRFs {
			for _, rd := range v.RDs {
				s.vrfNames[uint64(rd)] = v.Name
			}
		}
	}
	track := func(p netip.Prefix) *tracked {
		p = p.Masked()
		t := s.tracked[p]
		if t == nil {
			t = &tracked{canary: -1, paths: map[srcPath]netip.Addr{}}
			s.tracked[p] = t
		}
		return t
	}
	track(defaultV4).isDef = true
	track(defaultV6).isDef = true
	for i, c := range cfg.Canaries {
		track(c).canary = i
	}
	for _, t := range s.tracked {
		if t.internet() {
			t.orig = map[srcPath]netip.Addr{}
			s.internet = append(s.internet, t)
		}
	}
	if inv != nil {
		for _, site := range inv.Sites {
			if len(site.Prefixes) == 0 {
				continue
			}
			i := len(s.sites)
			s.sites = append(s.sites, siteState{id: site.ID, region: site.Region, prefixes: site.Prefixes})
			for _, p := range site.Prefixes {
				t := track(p)
				t.sites = append(t.sites, i)
			}
		}
	}
	for i, pc := range cfg.Peers {
		ps := &peerState{
			cfg: pc, addr: pc.Address.String(), device: pc.Device, state: "idle",
			paths: newPathSet(), counts: map[famRD]int{}, maxVRFs: maxVRFs,
			canaryPaths: make([]int, len(cfg.Canaries)),
		}
		if inv != nil {
			if d := inv.Device(pc.Device); d != nil {
				ps.role = string(d.Role)
				ps.region = inv.DeviceRegion(d)
			}
		}
		s.peers = append(s.peers, ps)
		s.byAddr[pc.Address] = i
	}
	s.newInterconnects(inv, track)
	s.rt = newRouting(s, inv)
	return s
}

// apply accounts one path of peer pi. It returns the default-route event
// kind when the peer's default route appeared or vanished ("" otherwise).
func (s *state) apply(pi int, r route) EventKind {
	p := s.peers[pi]
	over, held := p.paths.get(&r)
	if r.withdraw {
		if !held {
			return ""
		}
		p.paths.del(&r)
		b := famRD{r.fam, r.rd}
		if over {
			b.rd = rdOverflow
		}
		if p.counts[b]--; p.counts[b] <= 0 {
			delete(p.counts, b)
			if s.undeclared(b.rd) {
				p.undeclared--
			}
		}
		s.held--
		return s.untrack(pi, r)
	}
	if held {
		// An implicit replace: counts are unchanged, the next hop may move.
		if t := s.tracked[r.prefix]; t != nil {
			sp := srcPath{pi, r.rd, r.pathID, r.fam}
			t.paths[sp] = r.nextHop
			if t.orig != nil {
				t.orig[sp] = r.originator
			}
			s.rt.touch(t)
		}
		return ""
	}
	b := famRD{r.fam, r.rd}
	if _, ok := p.counts[b]; !ok && s.undeclared(r.rd) {
		if p.undeclared >= p.maxVRFs {
			b.rd = rdOverflow
		} else {
			p.undeclared++
		}
	}
	p.paths.add(&r, b.rd != r.rd)
	p.counts[b]++
	s.held++
	t := s.tracked[r.prefix]
	if t == nil {
		return ""
	}
	sp := srcPath{pi, r.rd, r.pathID, r.fam}
	t.paths[sp] = r.nextHop
	if t.orig != nil {
		t.orig[sp] = r.originator
	}
	s.rt.touch(t)
	var ev EventKind
	if t.isDef {
		if p.defaultPaths == 0 {
			ev = EventDefaultRouteBack
		}
		p.defaultPaths++
	}
	if t.canary >= 0 {
		p.canaryPaths[t.canary]++
	}
	return ev
}

// untrack removes a withdrawn path from the tracked prefixes.
func (s *state) untrack(pi int, r route) EventKind {
	t := s.tracked[r.prefix]
	if t == nil {
		return ""
	}
	sp := srcPath{pi, r.rd, r.pathID, r.fam}
	delete(t.paths, sp)
	delete(t.orig, sp)
	s.rt.touch(t)
	p := s.peers[pi]
	var ev EventKind
	if t.isDef {
		if p.defaultPaths--; p.defaultPaths == 0 {
			ev = EventDefaultRouteLost
		}
	}
	if t.canary >= 0 {
		p.canaryPaths[t.canary]--
	}
	return ev
}

// sessionDown forgets every path of peer pi, as GoBGP drops its Adj-RIB-In
// when a session ends. It reports whether the peer had a default route.
func (s *state) sessionDown(pi int) (hadDefault bool) {
	p := s.peers[pi]
	hadDefault = p.defaultPaths > 0
	s.held -= p.paths.len()
	p.paths = newPathSet()
	p.counts = map[famRD]int{}
	p.undeclared = 0
	p.defaultPaths = 0
	p.eor = 0
	for i := range p.canaryPaths {
		p.canaryPaths[i] = 0
	}
	for _, t := range s.tracked {
		for sp := range t.paths {
			if sp.peer == pi {
				delete(t.paths, sp)
				delete(t.orig, sp)
				s.rt.touch(t)
			}
		}
	}
	return hadDefault
}

// prefixRoutes summarises the paths of one tracked prefix.
func (s *state) prefixRoutes(p netip.Prefix) PrefixRoutes {
	pr := PrefixRoutes{Prefix: p}
	t := s.tracked[p.Masked()]
	if t == nil {
		return pr
	}
	pr.Paths = len(t.paths)
	nh := make(map[netip.Addr]struct{}, len(t.paths))
	peers := make(map[int]struct{}, len(t.paths))
	for sp, a := range t.paths {
		nh[a] = struct{}{}
		peers[sp.peer] = struct{}{}
	}
	pr.NextHops = len(nh)
	pr.Peers = len(peers)
	return pr
}

// siteRoutes summarises one site.
func (s *state) siteRoutes(i int) SiteRoutes {
	site := s.sites[i]
	sr := SiteRoutes{Site: site.id, Region: site.region, Prefixes: make([]PrefixRoutes, 0, len(site.prefixes))}
	for j, p := range site.prefixes {
		pr := s.prefixRoutes(p)
		sr.Prefixes = append(sr.Prefixes, pr)
		if pr.Paths == 0 {
			sr.Missing++
		}
		if j == 0 || pr.Paths < sr.MinPaths {
			sr.MinPaths = pr.Paths
		}
	}
	return sr
}

// minPaths is siteRoutes(i).MinPaths without building the summary: the
// scrape reads it for every site.
func (s *state) minPaths(i int) int {
	lowest := -1
	for _, p := range s.sites[i].prefixes {
		n := 0
		if t := s.tracked[p.Masked()]; t != nil {
			n = len(t.paths)
		}
		if lowest < 0 || n < lowest {
			lowest = n
		}
	}
	return max(lowest, 0)
}

// undeclared reports whether rd is a VPN route distinguisher that no
// inventory VRF names (the overflow bucket is not one).
func (s *state) undeclared(rd uint64) bool {
	if rd == 0 || rd == rdOverflow {
		return false
	}
	_, ok := s.vrfNames[rd]
	return !ok
}

// vrfLabels returns the vrf and rd label values of an RD bucket: the
// inventory VRF's name and the RD as routers print it; an RD no VRF names
// keeps its text as the vrf (as before VRFs had names), the overflow
// bucket is "other" in both, unicast "" in both.
func (s *state) vrfLabels(rd uint64) (vrf, rdText string) {
	rdText = rdString(rd)
	if name, ok := s.vrfNames[rd]; ok {
		return name, rdText
	}
	return rdText, rdText
}

// familyCounts lists a peer's prefix counts, sorted for stable output.
func (s *state) familyCounts(p *peerState) []FamilyCount {
	out := make([]FamilyCount, 0, len(p.counts))
	for b, n := range p.counts {
		vrf, rd := s.vrfLabels(b.rd)
		out = append(out, FamilyCount{Family: b.fam.String(), VRF: vrf, RD: rd, Prefixes: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Family != out[j].Family {
			return out[i].Family < out[j].Family
		}
		if out[i].VRF != out[j].VRF {
			return out[i].VRF < out[j].VRF
		}
		return out[i].RD < out[j].RD
	})
	return out
}
