package bgp

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// routingInventory: two route reflectors (backbone), two PFAI routers vigie
// does not peer with, one PFS session, and three sites (one without
// prefixes, one with an IPv4 and an IPv6 prefix).
func routingInventory() (inventory.BGP, *inventory.Inventory) {
	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop1", Region: "idf"}},
		Devices: []inventory.Device{
			{Name: "rr-1", Role: inventory.RoleBackbone, PoP: "pop1"},
			{Name: "rr-2", Role: inventory.RoleBackbone, PoP: "pop1"},
			{Name: "pfai-a", Role: inventory.RolePFAI, PoP: "pop1", Address: netip.MustParseAddrPort("10.255.0.1:161")},
			{Name: "pfai-b", Role: inventory.RolePFAI, PoP: "pop1", Address: netip.MustParseAddrPort("10.255.0.2:161")},
			{Name: "pfs-1", Role: inventory.RolePFS, PoP: "pop1"},
			// A VPN concentrator of the PFAI: no internet upstream, so no
			// default route is expected from it.
			{Name: "pfai-vpn", Role: inventory.RolePFAI, PoP: "pop1", Address: netip.MustParseAddrPort("10.255.0.3:161")},
		},
		Interconnects: []inventory.Interconnect{
			{ID: "ix-a", Kind: inventory.InterconnectInternet, Device: "pfai-a"},
			{ID: "ix-b", Kind: inventory.InterconnectInternet, Device: "pfai-b"},
		},
		Sites: []inventory.Site{
			{ID: "S-1", Region: "idf", Prefixes: []netip.Prefix{pfx("10.1.0.0/24"), pfx("2001:db8:1::/48")}},
			{ID: "S-2", Region: "idf", Prefixes: []netip.Prefix{pfx("10.2.0.0/24")}},
			{ID: "S-3", Region: "idf"},
		},
	}
	inv.Index()
	cfg := inventory.BGP{
		LocalAS: 65000, RouterID: ip("192.0.2.1"),
		Peers: []inventory.BGPPeer{
			{Device: "rr-1", Address: ip("192.0.2.11"), RemoteAS: 65000},
			{Device: "rr-2", Address: ip("192.0.2.12"), RemoteAS: 65000,
				Families: []string{inventory.FamilyIPv4Unicast, inventory.FamilyIPv6Unicast}},
			{Device: "pfs-1", Address: ip("192.0.2.13"), RemoteAS: 65000},
		},
		Canaries: []netip.Prefix{pfx("198.51.100.0/24")},
	}
	return cfg, inv
}

// rstep changes the routing state at a time offset from t0.
type rstep struct {
	at   time.Duration
	up   []int // sessions established at this time
	down []int // sessions going down
	eor  []int // sessions sending End-of-RIB for ipv4- and ipv6-unicast
	add  []rpath
	del  []rpath
}

// rpath is one path from one session.
type rpath struct {
	peer       int
	prefix     string
	nh, origin string
	id         uint32 // ADD-PATH identifier
}

func (p rpath) route(withdraw bool) route {
	r := route{fam: famIPv4, prefix: pfx(p.prefix), pathID: p.id, withdraw: withdraw}
	if r.prefix.Addr().Is6() {
		r.fam = famIPv6
	}
	if !withdraw {
		r.nextHop = ip(p.nh)
		if p.origin != "" {
			r.originator = ip(p.origin)
		}
	}
	return r
}

func TestSiteRoutingVerdicts(t *testing.T) {
	const settle = time.Minute
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s2 := rpath{0, "10.2.0.0/24", "10.0.0.2", "", 0}
	tests := []struct {
		name  string
		steps []rstep
		want  map[string]SiteRouting // compared on State, Missing, Unknown, Paths, NextHops
	}{
		{
			name:  "vigie restarts: sessions up, nothing received yet, no End-of-RIB: unknown, never unrouted",
			steps: []rstep{{up: []int{0, 1}}, {at: 10 * time.Second}},
			want: map[string]SiteRouting{
				"S-1": {State: RoutingUnknown, Unknown: 2},
				"S-2": {State: RoutingUnknown, Unknown: 1},
			},
		},
		{
			name:  "a path heard is trusted at once, before convergence",
			steps: []rstep{{up: []int{0}, add: []rpath{s2}}, {at: time.Second}},
			want: map[string]SiteRouting{
				"S-1": {State: RoutingUnknown, Unknown: 2},
				"S-2": {State: RoutingRouted, Paths: 1, NextHops: 1},
			},
		},
		{
			name:  "settle time elapsed without End-of-RIB: absence is trusted",
			steps: []rstep{{up: []int{0}}, {at: settle}},
			want: map[string]SiteRouting{
				// The sessions carry IPv4 only: the IPv6 prefix stays unknown.
				"S-1": {State: RoutingUnrouted, Missing: 1, Unknown: 1},
				"S-2": {State: RoutingUnrouted, Missing: 1},
			},
		},
		{
			name:  "End-of-RIB ends the wait early",
			steps: []rstep{{up: []int{0}}, {at: time.Second, eor: []int{0}}},
			want: map[string]SiteRouting{
				"S-2": {State: RoutingUnrouted, Missing: 1},
			},
		},
		{
			name: "two reflectors, same path: 2 paths, 1 next hop; IPv6 unknown does not spoil routed",
			// rr-2, the only IPv6 carrier, has not converged yet.
			steps: []rstep{{up: []int{0, 1}, eor: []int{0}, add: []rpath{
				{0, "10.1.0.0/24", "10.0.0.1", "", 0}, {1, "10.1.0.0/24", "10.0.0.1", "", 0}, s2, {1, "10.2.0.0/24", "10.0.0.3", "", 0},
			}}},
			want: map[string]SiteRouting{
				"S-1": {State: RoutingRouted, Unknown: 1, Paths: 2, NextHops: 1},
				"S-2": {State: RoutingRouted, Paths: 2, NextHops: 2},
			},
		},
		{
			name: "one prefix of two missing: partly routed",
			steps: []rstep{
				{up: []int{1}, eor: []int{1}, add: []rpath{{1, "10.1.0.0/24", "10.0.0.1", "", 0}, {1, "2001:db8:1::/48", "2001:db8::1", "", 0}}},
				{at: time.Second, del: []rpath{{1, "2001:db8:1::/48", "", "", 0}}},
			},
			want: map[string]SiteRouting{"S-1": {State: RoutingPartlyRouted, Missing: 1, Paths: 0, NextHops: 0}},
		},
		{
			name: "a session that does not carry IPv6 does not vouch for an IPv6 prefix's absence",
			steps: []rstep{
				{up: []int{0}, eor: []int{0}, add: []rpath{{0, "10.1.0.0/24", "10.0.0.1", "", 0}, {0, "2001:db8:1::/48", "2001:db8::1", "", 0}}},
				{at: settle + time.Second, del: []rpath{{0, "2001:db8:1::/48", "", "", 0}}},
			},
			// rr-1 carries IPv4 only: its silence on IPv6 is not trusted, so
			// the withdrawn IPv6 prefix is unknown, not missing.
			want: map[string]SiteRouting{"S-1": {State: RoutingRouted, Unknown: 1, Paths: 1, NextHops: 1}},
		},
		{
			name:  "a converged PFS session does not vouch for the sites' prefixes",
			steps: []rstep{{up: []int{2}, eor: []int{2}}, {at: 2 * settle}},
			want:  map[string]SiteRouting{"S-2": {State: RoutingUnknown, Unknown: 1}},
		},
		{
			name: "withdrawn while the other reflector is converged: unrouted",
			steps: []rstep{
				{up: []int{0, 1}, eor: []int{0, 1}, add: []rpath{s2}},
				{at: time.Second, del: []rpath{s2}},
			},
			want: map[string]SiteRouting{"S-2": {State: RoutingUnrouted, Missing: 1}},
		},
		{
			name: "a reflector resets: its routes are gone but the other one still vouches",
			steps: []rstep{
				{up: []int{0, 1}, eor: []int{0, 1}, add: []rpath{s2}},
				{at: time.Second, down: []int{0}},
			},
			want: map[string]SiteRouting{"S-2": {State: RoutingUnrouted, Missing: 1}},
		},
		{
			name: "every carrier down: unknown again, not unrouted",
			steps: []rstep{
				{up: []int{0, 1}, eor: []int{0, 1}, add: []rpath{s2}},
				{at: time.Second, down: []int{0, 1}},
			},
			want: map[string]SiteRouting{"S-2": {State: RoutingUnknown, Unknown: 1}},
		},
		{
			name: "a reflector comes back: its routes count again before its End-of-RIB",
			steps: []rstep{
				{up: []int{0}, eor: []int{0}},
				{at: time.Second, down: []int{0}},
				{at: 2 * time.Second, up: []int{0}, add: []rpath{s2}},
			},
			want: map[string]SiteRouting{"S-2": {State: RoutingRouted, Paths: 1, NextHops: 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, inv := routingInventory()
			s := newState(cfg, inv, 16)
			var published []SiteRouting
			for _, st := range tc.steps {
				now := t0.Add(st.at)
				applyStep(s, st, now)
				out, _ := s.refresh(now, settle)
				published = append(published, out...)
			}
			last := map[string]SiteRouting{}
			for _, sr := range published {
				last[sr.Site] = sr
			}
			for _, sr := range s.rt.last {
				if sr.Site == "S-3" {
					t.Errorf("S-3 has no prefixes and must never be judged, got %+v", sr)
				}
				if pub, ok := last[sr.Site]; ok && pub != sr {
					t.Errorf("%s: last published %+v differs from the state %+v", sr.Site, pub, sr)
				}
			}
			for site, want := range tc.want {
				var got SiteRouting
				for _, sr := range s.rt.last {
					if sr.Site == site {
						got = sr
					}
				}
				got.Site, got.Region, got.Prefixes = "", "", 0
				if got != want {
					t.Errorf("%s = %+v, want %+v", site, got, want)
				}
			}
		})
	}
}

// applyStep plays one step on the state as the monitor's event goroutine
// would: session changes, End-of-RIB markers, paths.
func applyStep(s *state, st rstep, now time.Time) {
	for _, i := range st.up {
		s.peers[i].established, s.peers[i].since = true, now
	}
	for _, i := range st.down {
		s.peers[i].established = false
		s.sessionDown(i)
	}
	for _, i := range st.eor {
		s.endOfRIB(i, famIPv4)
		s.endOfRIB(i, famIPv6)
	}
	for _, p := range st.add {
		s.apply(p.peer, p.route(false))
	}
	for _, p := range st.del {
		s.apply(p.peer, p.route(true))
	}
}

func TestPFAIRoutesThroughReflectors(t *testing.T) {
	const settle = time.Minute
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	// pfai-a is recognised by the next hop its reflected default keeps,
	// pfai-b (next hop unknown to the inventory) by ORIGINATOR_ID. rr-1
	// sends both defaults with ADD-PATH, rr-2 its best only.
	defA := rpath{0, "0.0.0.0/0", "10.255.0.1", "", 1}
	defB := rpath{0, "0.0.0.0/0", "172.16.0.9", "10.255.0.2", 2}
	defB2 := rpath{1, "0.0.0.0/0", "172.16.0.9", "10.255.0.2", 0}
	canB := rpath{1, "198.51.100.0/24", "172.16.0.9", "10.255.0.2", 0}
	type want struct {
		known      bool
		a, b       bool
		canaryB    bool
		events     []EventKind
		eventOwner []string
	}
	steps := []struct {
		name string
		step rstep
		want want
	}{
		{"sessions up, nothing yet: unknown, no series, no event", rstep{up: []int{0, 1}}, want{}},
		{"reflected defaults arrive before convergence: present", rstep{at: time.Second, eor: []int{0, 1}, add: []rpath{defA, defB, defB2, canB}},
			want{known: true, a: true, b: true, canaryB: true}},
		{"pfai-b's default withdrawn by one reflector: still there through the other", rstep{at: 2 * time.Second, del: []rpath{defB}},
			want{known: true, a: true, b: true, canaryB: true}},
		{"and by the second: lost, one event", rstep{at: 3 * time.Second, del: []rpath{defB2}},
			want{known: true, a: true, canaryB: true, events: []EventKind{EventPFAIDefaultRouteLost}, eventOwner: []string{"pfai-b"}}},
		{"back", rstep{at: 4 * time.Second, add: []rpath{defB2}},
			want{known: true, a: true, b: true, canaryB: true, events: []EventKind{EventPFAIDefaultRouteBack}, eventOwner: []string{"pfai-b"}}},
		{"both reflectors down: unknown, no event", rstep{at: 5 * time.Second, down: []int{0, 1}}, want{}},
		{"one back and converged without pfai-a's default: lost (it was present when last known)",
			rstep{at: 6 * time.Second, up: []int{0}, eor: []int{0}, add: []rpath{defB}},
			want{known: true, b: true, events: []EventKind{EventPFAIDefaultRouteLost}, eventOwner: []string{"pfai-a"}}},
	}
	cfg, inv := routingInventory()
	s := newState(cfg, inv, 16)
	m := &Monitor{st: s}
	for _, tc := range steps {
		now := t0.Add(tc.step.at)
		applyStep(s, tc.step, now)
		_, evs := s.refresh(now, settle)
		got := map[string]PFAIRoutes{}
		for _, pr := range m.PFAIRoutes() {
			got[pr.Device] = pr
		}
		if _, ok := got["pfai-vpn"]; ok || len(got) != 2 {
			t.Errorf("%s: PFAI judged %v, want only pfai-a and pfai-b (pfai-vpn has no internet upstream)", tc.name, slices.Collect(maps.Keys(got)))
		}
		a, b := got["pfai-a"], got["pfai-b"]
		if a.Known != tc.want.known || b.Known != tc.want.known {
			t.Errorf("%s: known a=%v b=%v, want %v", tc.name, a.Known, b.Known, tc.want.known)
		}
		if a.DefaultRoute != tc.want.a || b.DefaultRoute != tc.want.b {
			t.Errorf("%s: default a=%v b=%v, want a=%v b=%v", tc.name, a.DefaultRoute, b.DefaultRoute, tc.want.a, tc.want.b)
		}
		if c := b.Canaries[pfx("198.51.100.0/24")]; c != tc.want.canaryB {
			t.Errorf("%s: pfai-b canary %v, want %v", tc.name, c, tc.want.canaryB)
		}
		if len(evs) != len(tc.want.events) {
			t.Fatalf("%s: events %+v, want kinds %v", tc.name, evs, tc.want.events)
		}
		for i, e := range evs {
			if e.Kind != tc.want.events[i] || e.Device != tc.want.eventOwner[i] || e.Detail == "" {
				t.Errorf("%s: event %+v, want %s from %s with a detail", tc.name, e, tc.want.events[i], tc.want.eventOwner[i])
			}
		}
	}
}

// BenchmarkRoutingRefresh measures what a routing refresh costs on the
// full fleet (14,000 sites, one IPv4 prefix each, two route reflectors
// sending every prefix): when trust flips (every site reclassified, once
// per convergence), when one site's path changed (the common case), and
// when nothing changed (the once-a-second settle check).
func BenchmarkRoutingRefresh(b *testing.B) {
	const sites = 14000
	cfg, inv := routingInventory()
	inv.Sites = inv.Sites[:0]
	for i := range sites {
		inv.Sites = append(inv.Sites, inventory.Site{ID: fmt.Sprintf("S-%05d", i), Region: "idf",
			Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)}})
	}
	inv.Index()
	s := newState(cfg, inv, 16)
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	applyStep(s, rstep{up: []int{0, 1}}, t0)
	for i := range sites {
		for peer := range 2 {
			s.apply(peer, route{fam: famIPv4, prefix: inv.Sites[i].Prefixes[0], nextHop: netip.AddrFrom4([4]byte{10, 0, byte(i % 7), 1})})
		}
	}
	s.refresh(t0, time.Minute)
	one := route{fam: famIPv4, prefix: inv.Sites[7].Prefixes[0], nextHop: ip("10.0.0.1")}
	b.Run("trust-flip-14000-sites", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			// Alternate the trust so each refresh reclassifies every site.
			s.peers[0].eor, s.peers[1].eor = uint8(i%2)<<famIPv4, uint8(i%2)<<famIPv4
			s.refresh(t0, time.Minute)
		}
	})
	b.Run("one-site-changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			one.withdraw = i%2 == 0
			s.apply(0, one)
			s.refresh(t0, time.Minute)
		}
	})
	b.Run("idle", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s.refresh(t0, time.Minute)
		}
	})
}

// TestPFAIRoutesUnattributable: reflectors that speak eBGP to vigie set
// themselves as next hop and drop ORIGINATOR_ID (the lab's case), so no
// default route can be told apart. vigie must then say nothing per PFAI
// while any default route is left, and see the internet cut when none is.
func TestPFAIRoutesUnattributable(t *testing.T) {
	const settle = time.Minute
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fromRR1 := rpath{0, "0.0.0.0/0", "192.0.2.11", "", 0}
	fromRR2 := rpath{1, "0.0.0.0/0", "192.0.2.12", "", 0}
	steps := []struct {
		name   string
		step   rstep
		known  bool
		events []EventKind // one per PFAI, pfai-a then pfai-b
	}{
		{"converged with two unattributable defaults: unknown", rstep{up: []int{0, 1}, eor: []int{0, 1}, add: []rpath{fromRR1, fromRR2}}, false, nil},
		{"one withdrawn, one left: still unknown", rstep{at: time.Second, del: []rpath{fromRR1}}, false, nil},
		{"none left: both PFAI absent, each reported lost", rstep{at: 2 * time.Second, del: []rpath{fromRR2}}, true,
			[]EventKind{EventPFAIDefaultRouteLost, EventPFAIDefaultRouteLost}},
		{"one back, unattributable: unknown again, reported back as possibly theirs", rstep{at: 3 * time.Second, add: []rpath{fromRR1}}, false,
			[]EventKind{EventPFAIDefaultRouteBack, EventPFAIDefaultRouteBack}},
	}
	cfg, inv := routingInventory()
	s := newState(cfg, inv, 16)
	m := &Monitor{st: s}
	for _, tc := range steps {
		now := t0.Add(tc.step.at)
		applyStep(s, tc.step, now)
		_, evs := s.refresh(now, settle)
		for _, pr := range m.PFAIRoutes() {
			if pr.Known != tc.known || pr.DefaultRoute {
				t.Errorf("%s: %s known=%v default=%v, want known=%v and never present", tc.name, pr.Device, pr.Known, pr.DefaultRoute, tc.known)
			}
		}
		if len(evs) != len(tc.events) {
			t.Fatalf("%s: events %+v, want %v", tc.name, evs, tc.events)
		}
		for i, e := range evs {
			if e.Kind != tc.events[i] || e.Device != []string{"pfai-a", "pfai-b"}[i] || e.Detail == "" {
				t.Errorf("%s: event %+v, want %s for the PFAI in inventory order, with a detail", tc.name, e, tc.events[i])
			}
		}
	}
}
