package bgp

// routing.go turns the tracked prefixes into two verdicts the rest of vigie
// consumes: per site, whether its prefixes are routed (SiteRouting, handed
// to the topology through Options.OnRouting), and per PFAI router, whether
// its default route and canaries are in what the route reflectors reflect
// (PFAIRoutes, the vigie_bgp_pfai_* metrics and events).
//
// Absence is only trusted from a converged view. A prefix no session sends
// is "missing" only when a session that should carry it is established and
// past its initial convergence: it sent End-of-RIB for every family of that
// address family it carries, or it has been established for
// Options.RouteSettle (FRR, for one, sends End-of-RIB only when graceful
// restart is negotiated, which vigie does not do). Until then the prefix is
// unknown, so a restart of vigie or a reset of its sessions never declares
// 14,000 sites unrouted. Presence needs no such care: a path heard is a path.

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// afi is an address family without the SAFI: 0 for IPv4, 1 for IPv6.
type afi uint8

const (
	afiIPv4 afi = iota
	afiIPv6
	numAFIs
)

func afiOf(p netip.Prefix) afi {
	if p.Addr().Is4() {
		return afiIPv4
	}
	return afiIPv6
}

// famAFI is the AFI of a family.
func famAFI(f family) afi {
	if f == famIPv6 || f == famVPNv6 {
		return afiIPv6
	}
	return afiIPv4
}

// presence is a tri-state verdict: a PFAI's route is present, absent, or
// vigie cannot tell.
type presence int8

const (
	presenceUnknown presence = iota
	presenceAbsent
	presencePresent
)

// pfaiState is one inventory PFAI router: the addresses that identify its
// paths, and the last verdict published.
type pfaiState struct {
	name, region string
	addrs        map[netip.Addr]bool
	// def is the default route's verdict; ambiguous is set while it is
	// unknown because default routes are received that no PFAI can be
	// told from (an eBGP reflector rewrites the next hop and drops
	// ORIGINATOR_ID): one of them may be this PFAI's.
	def       presence
	ambiguous bool
	// wasPresent: the last known verdict was present (it survives a
	// blind spot, so a route lost while every session was down is news).
	wasPresent bool
	paths      int
	canaries   []presence
}

// routing is the state of routing.go, part of state (same lock).
type routing struct {
	dirty    []bool // per site: its tracked paths changed since the last refresh
	anyDirty bool
	pfaiDirt bool
	icDirty  bool          // an interconnect's expected prefix changed
	last     []SiteRouting // per site: the last published verdict
	trusted  [numAFIs]bool // per AFI: a converged carrier exists (last refresh)
	trustPF  [numAFIs]bool // the same for internet prefixes (any peer)
	pfais    []pfaiState
	byDevice map[string]int // PFAI name -> index in pfais
}

// newRouting indexes the PFAI routers and which sessions carry site
// prefixes: the backbone sessions (route reflectors) when the inventory has
// any, else every session. A PFAI or PFS session that does not carry the
// sites' prefixes must not make them look withdrawn.
func newRouting(s *state, inv *inventory.Inventory) routing {
	rt := routing{
		dirty:    make([]bool, len(s.sites)),
		last:     make([]SiteRouting, len(s.sites)),
		byDevice: map[string]int{},
	}
	for i, site := range s.sites {
		rt.last[i] = SiteRouting{Site: site.id, Region: site.region, State: RoutingUnknown,
			Prefixes: len(site.prefixes), Unknown: len(site.prefixes)}
	}
	backbone := false
	for _, p := range s.peers {
		backbone = backbone || p.role == string(inventory.RoleBackbone)
	}
	for _, p := range s.peers {
		p.siteCarrier = !backbone || p.role == string(inventory.RoleBackbone)
	}
	if inv == nil {
		return rt
	}
	// Only the PFAI routers with an internet upstream are expected to
	// originate a default route: a VPN concentrator of the same platform
	// announces none, and judging it would raise a false alert.
	upstream := map[string]bool{}
	for _, ic := range inv.Interconnects {
		if ic.Kind == inventory.InterconnectInternet {
			upstream[ic.Device] = true
		}
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.Role != inventory.RolePFAI || !upstream[d.Name] {
			continue
		}
		ps := pfaiState{name: d.Name, region: inv.DeviceRegion(d), addrs: map[netip.Addr]bool{},
			canaries: make([]presence, len(s.canaries))}
		if d.Address.IsValid() {
			ps.addrs[d.Address.Addr().Unmap()] = true
		}
		rt.byDevice[d.Name] = len(rt.pfais)
		rt.pfais = append(rt.pfais, ps)
	}
	// vigie's own sessions with a PFAI give more of its addresses.
	for _, p := range s.peers {
		if j, ok := rt.byDevice[p.device]; ok {
			rt.pfais[j].addrs[p.cfg.Address.Unmap()] = true
		}
	}
	return rt
}

// touch notes that a tracked prefix's paths changed.
func (rt *routing) touch(t *tracked) {
	for _, i := range t.sites {
		rt.dirty[i] = true
		rt.anyDirty = true
	}
	if t.internet() {
		rt.pfaiDirt = true
	}
	if t.ic {
		rt.icDirty = true
	}
}

// endOfRIB records a peer's End-of-RIB marker for a family.
func (s *state) endOfRIB(pi int, f family) {
	if f == 0 {
		return
	}
	s.peers[pi].eor |= 1 << f
}

// converged reports whether peer p's view of address family a is complete:
// established, carrying a family of a, and either End-of-RIB received for
// every such family or established for settle.
func (p *peerState) converged(a afi, now time.Time, settle time.Duration) bool {
	if !p.established {
		return false
	}
	carried, eor := false, true
	for _, name := range families(p.cfg) {
		f := familyByName[name]
		if famAFI(f) != a {
			continue
		}
		carried = true
		eor = eor && p.eor&(1<<f) != 0
	}
	return carried && (eor || now.Sub(p.since) >= settle)
}

// trust computes, per AFI, whether a converged session vouches for absence:
// for site prefixes only the carriers count, for internet prefixes any.
func (s *state) trust(now time.Time, settle time.Duration) (sites, internet [numAFIs]bool) {
	for _, p := range s.peers {
		for a := afi(0); a < numAFIs; a++ {
			if p.converged(a, now, settle) {
				internet[a] = true
				if p.siteCarrier {
					sites[a] = true
				}
			}
		}
	}
	return sites, internet
}

// classify derives one site's routing verdict from its tracked prefixes.
func (s *state) classify(i int, trusted [numAFIs]bool) SiteRouting {
	site := s.sites[i]
	sr := SiteRouting{Site: site.id, Region: site.region, Prefixes: len(site.prefixes)}
	present, first := 0, true
	for _, p := range site.prefixes {
		paths, nhs := 0, 0
		if t := s.tracked[p.Masked()]; t != nil && len(t.paths) > 0 {
			paths, nhs = len(t.paths), distinctNextHops(t.paths)
		}
		switch {
		case paths > 0:
			present++
		case trusted[afiOf(p)]:
			sr.Missing++
		default:
			sr.Unknown++
			continue // says nothing about the counts
		}
		if first || paths < sr.Paths {
			sr.Paths = paths
		}
		if first || nhs < sr.NextHops {
			sr.NextHops = nhs
		}
		first = false
	}
	switch {
	case present+sr.Missing == 0:
		sr.State = RoutingUnknown
	case sr.Missing == 0:
		sr.State = RoutingRouted
	case present == 0:
		sr.State = RoutingUnrouted
	default:
		sr.State = RoutingPartlyRouted
	}
	return sr
}

func distinctNextHops(paths map[srcPath]netip.Addr) int {
	if len(paths) == 1 {
		return 1
	}
	seen := make(map[netip.Addr]struct{}, len(paths))
	for _, a := range paths {
		seen[a] = struct{}{}
	}
	return len(seen)
}

// pfaiOf says which PFAI a path of an internet prefix comes from: the peer
// itself when vigie peers with the PFAI, else the path's next hop or its
// ORIGINATOR_ID (route reflectors keep the next hop and set the originator
// to the PFAI's router id) among the PFAI's inventory addresses.
func (s *state) pfaiOf(sp srcPath, nh, orig netip.Addr) int {
	rt := &s.rt
	if j, ok := rt.byDevice[s.peers[sp.peer].device]; ok {
		return j
	}
	for j := range rt.pfais {
		if a := rt.pfais[j].addrs; a[nh] || (orig.IsValid() && a[orig]) {
			return j
		}
	}
	return -1
}

// refresh recomputes what changed since the last call: the sites whose
// paths or trust changed, and the PFAI verdicts. It returns the new site
// verdicts and the PFAI events, and keeps both as the last published.
func (s *state) refresh(now time.Time, settle time.Duration) ([]SiteRouting, []Event) {
	rt := &s.rt
	sites, internet := s.trust(now, settle)
	if sites != rt.trusted {
		rt.trusted = sites
		for i := range rt.dirty {
			rt.dirty[i] = true
		}
		rt.anyDirty = len(rt.dirty) > 0
	}
	if internet != rt.trustPF {
		rt.trustPF = internet
		rt.pfaiDirt = true
	}
	var out []SiteRouting
	if rt.anyDirty {
		for i, d := range rt.dirty {
			if !d {
				continue
			}
			rt.dirty[i] = false
			sr := s.classify(i, rt.trusted)
			if sr != rt.last[i] {
				rt.last[i] = sr
				out = append(out, sr)
			}
		}
		rt.anyDirty = false
	}
	var evs []Event
	if rt.pfaiDirt && len(rt.pfais) > 0 {
		rt.pfaiDirt = false
		evs = s.refreshPFAIs(now)
	}
	return out, evs
}

// refreshPFAIs recomputes each PFAI's internet routes from the default
// route's and canaries' paths (a few per PFAI and reflector).
//
// A PFAI's route is present when one of its paths is heard. It is absent
// only when the view is converged and every path of that prefix received
// is attributed to some PFAI: a path vigie cannot attribute (a reflector
// that sets itself as next hop over eBGP and drops ORIGINATOR_ID) may be
// any PFAI's, so vigie then cannot tell, until the prefix is gone
// altogether, which is the internet cut it must see.
func (s *state) refreshPFAIs(now time.Time) []Event {
	rt := &s.rt
	type verdict struct {
		def      bool
		paths    int
		canaries []bool
	}
	cur := make([]verdict, len(rt.pfais))
	for j := range cur {
		cur[j].canaries = make([]bool, len(s.canaries))
	}
	// Unattributed paths, per prefix: the default route, each canary.
	orphanDef, orphanCanary := false, make([]bool, len(s.canaries))
	for _, t := range s.internet {
		for sp, nh := range t.paths {
			j := s.pfaiOf(sp, nh, t.orig[sp])
			switch {
			case j < 0 && t.isDef:
				orphanDef = true
			case j < 0:
				orphanCanary[t.canary] = true
			case t.isDef:
				cur[j].def = true
				cur[j].paths++
			default:
				cur[j].canaries[t.canary] = true
			}
		}
	}
	converged := rt.trustPF[afiIPv4] || rt.trustPF[afiIPv6]
	judge := func(heard, orphans bool) presence {
		switch {
		case heard:
			return presencePresent
		case orphans || !converged:
			return presenceUnknown
		}
		return presenceAbsent
	}
	var evs []Event
	for j := range rt.pfais {
		ps := &rt.pfais[j]
		v := cur[j]
		def := judge(v.def, orphanDef)
		ambiguous := def == presenceUnknown && orphanDef
		var kind EventKind
		var detail string
		switch {
		case def == presenceAbsent && (ps.wasPresent || ps.ambiguous) && ps.def != presenceAbsent:
			kind = EventPFAIDefaultRouteLost
			detail = fmt.Sprintf("default route from PFAI %s no longer among the routes vigie receives (from the PFAI or reflected)", ps.name)
			if ps.ambiguous {
				detail = fmt.Sprintf("no default route left among the routes vigie receives: PFAI %s has none (the reflectors' paths did not say which PFAI they came from)", ps.name)
			}
		case def == presencePresent && ps.def == presenceAbsent:
			kind = EventPFAIDefaultRouteBack
			detail = fmt.Sprintf("default route from PFAI %s back, through %d paths", ps.name, v.paths)
		case ambiguous && ps.def == presenceAbsent:
			kind = EventPFAIDefaultRouteBack
			detail = fmt.Sprintf("a default route is back that may be PFAI %s's: the reflectors' paths do not say which PFAI they come from (next hop rewritten, no ORIGINATOR_ID)", ps.name)
		}
		if kind != "" {
			evs = append(evs, Event{Kind: kind, Time: now, Device: ps.name, Detail: detail})
		}
		ps.def, ps.ambiguous, ps.paths = def, ambiguous, v.paths
		if def != presenceUnknown {
			ps.wasPresent = def == presencePresent
		}
		for c := range ps.canaries {
			ps.canaries[c] = judge(v.canaries[c], orphanCanary[c])
		}
	}
	return evs
}
