package bgp

import (
	"net/netip"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

func testInventory() (inventory.BGP, *inventory.Inventory) {
	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop1", Region: "idf"}},
		Devices: []inventory.Device{
			{Name: "pfai-1", Role: inventory.RolePFAI, PoP: "pop1"},
			{Name: "rr-1", Role: inventory.RoleBackbone, PoP: "pop1"},
		},
		Sites: []inventory.Site{
			{ID: "S-1", Region: "idf", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("10.1.1.0/24")}},
			{ID: "S-2", Region: "idf", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/24")}},
			{ID: "S-3", Region: "idf"},
		},
	}
	inv.Index()
	cfg := inventory.BGP{
		LocalAS: 65000, RouterID: netip.MustParseAddr("192.0.2.1"),
		Peers: []inventory.BGPPeer{
			{Device: "pfai-1", Address: netip.MustParseAddr("127.0.0.2"), RemoteAS: 65001},
			{Device: "rr-1", Address: netip.MustParseAddr("127.0.0.3"), RemoteAS: 65000,
				Families: []string{inventory.FamilyIPv4Unicast, inventory.FamilyVPNv4}},
		},
		Canaries: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
	}
	return cfg, inv
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

// step is one path applied to one peer, or a session going down.
type step struct {
	peer int
	r    route
	down bool
	want EventKind
}

func TestStateApply(t *testing.T) {
	announce := func(p string, nh string) route { return route{fam: famIPv4, prefix: pfx(p), nextHop: ip(nh)} }
	withdraw := func(p string) route { return route{fam: famIPv4, prefix: pfx(p), withdraw: true} }
	vpn := func(p string, rd uint64, nh string) route {
		return route{fam: famVPNv4, rd: rd, prefix: pfx(p), nextHop: ip(nh)}
	}
	type site struct {
		missing, minPaths int
		nextHops          []int // per prefix
	}
	tests := []struct {
		name         string
		steps        []step
		counts       []map[famRD]int // per peer
		held         int
		defaultRoute []bool
		canary       []bool
		sites        map[string]site
	}{
		{
			name:   "empty",
			counts: []map[famRD]int{{}, {}}, defaultRoute: []bool{false, false}, canary: []bool{false, false},
			sites: map[string]site{"S-1": {missing: 2, nextHops: []int{0, 0}}, "S-2": {missing: 1, nextHops: []int{0}}},
		},
		{
			name: "default route, canary, replace does not double count",
			steps: []step{
				{peer: 0, r: announce("0.0.0.0/0", "127.0.0.2"), want: EventDefaultRouteBack},
				{peer: 0, r: announce("0.0.0.0/0", "127.0.0.9")},
				{peer: 0, r: announce("198.51.100.0/24", "127.0.0.2")},
				{peer: 0, r: announce("203.0.113.0/24", "127.0.0.2")},
			},
			counts: []map[famRD]int{{{famIPv4, 0}: 3}, {}}, held: 3,
			defaultRoute: []bool{true, false}, canary: []bool{true, false},
			sites: map[string]site{"S-1": {missing: 2, nextHops: []int{0, 0}}, "S-2": {missing: 1, nextHops: []int{0}}},
		},
		{
			name: "default withdrawn, unknown withdraw ignored",
			steps: []step{
				{peer: 0, r: announce("0.0.0.0/0", "127.0.0.2"), want: EventDefaultRouteBack},
				{peer: 0, r: withdraw("0.0.0.0/0"), want: EventDefaultRouteLost},
				{peer: 0, r: withdraw("0.0.0.0/0")},
				{peer: 0, r: withdraw("10.9.9.0/24")},
			},
			counts: []map[famRD]int{{}, {}}, defaultRoute: []bool{false, false}, canary: []bool{false, false},
			sites: map[string]site{"S-1": {missing: 2, nextHops: []int{0, 0}}, "S-2": {missing: 1, nextHops: []int{0}}},
		},
		{
			name: "site prefixes through two peers, VPN paths count per RD",
			steps: []step{
				{peer: 0, r: announce("10.1.0.0/24", "192.0.2.10")},
				{peer: 1, r: announce("10.1.0.0/24", "192.0.2.11")},
				{peer: 1, r: vpn("10.1.0.0/24", 65000<<32|100, "192.0.2.11")},
				{peer: 1, r: vpn("10.1.1.0/24", 65000<<32|100, "192.0.2.12")},
				{peer: 1, r: vpn("10.1.1.0/24", 65000<<32|200, "192.0.2.12")},
			},
			counts: []map[famRD]int{{{famIPv4, 0}: 1}, {{famIPv4, 0}: 1, {famVPNv4, 65000<<32 | 100}: 2, {famVPNv4, 65000<<32 | 200}: 1}},
			held:   5, defaultRoute: []bool{false, false}, canary: []bool{false, false},
			sites: map[string]site{"S-1": {missing: 0, minPaths: 2, nextHops: []int{2, 1}}, "S-2": {missing: 1, nextHops: []int{0}}},
		},
		{
			name: "add-path: two paths of one prefix from one peer",
			steps: []step{
				{peer: 1, r: route{fam: famIPv4, prefix: pfx("10.2.0.0/24"), pathID: 1, nextHop: ip("192.0.2.21")}},
				{peer: 1, r: route{fam: famIPv4, prefix: pfx("10.2.0.0/24"), pathID: 2, nextHop: ip("192.0.2.22")}},
				{peer: 1, r: route{fam: famIPv4, prefix: pfx("10.2.0.0/24"), pathID: 2, withdraw: true}},
				{peer: 1, r: route{fam: famIPv4, prefix: pfx("10.2.0.0/24"), pathID: 3, nextHop: ip("192.0.2.21")}},
			},
			counts: []map[famRD]int{{}, {{famIPv4, 0}: 2}}, held: 2,
			defaultRoute: []bool{false, false}, canary: []bool{false, false},
			sites: map[string]site{"S-1": {missing: 2, nextHops: []int{0, 0}}, "S-2": {missing: 0, minPaths: 2, nextHops: []int{1}}},
		},
		{
			name: "session down forgets the peer's paths and its default",
			steps: []step{
				{peer: 0, r: announce("0.0.0.0/0", "127.0.0.2"), want: EventDefaultRouteBack},
				{peer: 0, r: announce("10.2.0.0/24", "127.0.0.2")},
				{peer: 1, r: announce("10.2.0.0/24", "127.0.0.3")},
				{peer: 0, down: true, want: EventDefaultRouteLost},
			},
			counts: []map[famRD]int{{}, {{famIPv4, 0}: 1}}, held: 1,
			defaultRoute: []bool{false, false}, canary: []bool{false, false},
			sites: map[string]site{"S-1": {missing: 2, nextHops: []int{0, 0}}, "S-2": {minPaths: 1, nextHops: []int{1}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, inv := testInventory()
			s := newState(cfg, inv, 256)
			for i, st := range tc.steps {
				var got EventKind
				if st.down {
					if s.sessionDown(st.peer) {
						got = EventDefaultRouteLost
					}
				} else {
					got = s.apply(st.peer, st.r)
				}
				if got != st.want {
					t.Errorf("step %d: event %q, want %q", i, got, st.want)
				}
			}
			if s.held != tc.held {
				t.Errorf("held %d, want %d", s.held, tc.held)
			}
			for i, p := range s.peers {
				if len(p.counts) != len(tc.counts[i]) {
					t.Errorf("peer %d: counts %v, want %v", i, p.counts, tc.counts[i])
				}
				for k, n := range tc.counts[i] {
					if p.counts[k] != n {
						t.Errorf("peer %d: count %v = %d, want %d", i, k, p.counts[k], n)
					}
				}
				if (p.defaultPaths > 0) != tc.defaultRoute[i] {
					t.Errorf("peer %d: default route %v, want %v", i, p.defaultPaths > 0, tc.defaultRoute[i])
				}
				if (p.canaryPaths[0] > 0) != tc.canary[i] {
					t.Errorf("peer %d: canary %v, want %v", i, p.canaryPaths[0] > 0, tc.canary[i])
				}
			}
			if len(s.sites) != 2 {
				t.Fatalf("%d sites tracked, want 2 (S-3 has no prefix)", len(s.sites))
			}
			for i := range s.sites {
				sr := s.siteRoutes(i)
				want := tc.sites[sr.Site]
				if sr.Missing != want.missing || sr.MinPaths != want.minPaths {
					t.Errorf("site %s: missing %d min paths %d, want %d %d", sr.Site, sr.Missing, sr.MinPaths, want.missing, want.minPaths)
				}
				if mp := s.minPaths(i); mp != sr.MinPaths {
					t.Errorf("site %s: minPaths %d disagrees with siteRoutes %d", sr.Site, mp, sr.MinPaths)
				}
				for j, pr := range sr.Prefixes {
					if pr.NextHops != want.nextHops[j] {
						t.Errorf("site %s prefix %s: %d next hops, want %d", sr.Site, pr.Prefix, pr.NextHops, want.nextHops[j])
					}
				}
			}
		})
	}
}

func TestStateVRFBound(t *testing.T) {
	cfg, inv := testInventory()
	s := newState(cfg, inv, 2)
	for rd := uint64(1); rd <= 5; rd++ {
		s.apply(1, route{fam: famVPNv4, rd: rd, prefix: pfx("10.9.0.0/24")})
	}
	p := s.peers[1]
	if len(p.counts) != 3 || p.counts[famRD{famVPNv4, rdOverflow}] != 3 {
		t.Fatalf("counts %v: want 2 RDs and 3 paths under other", p.counts)
	}
	// Withdrawing an overflowed path decrements "other", not a new bucket.
	s.apply(1, route{fam: famVPNv4, rd: 5, prefix: pfx("10.9.0.0/24"), withdraw: true})
	s.apply(1, route{fam: famVPNv4, rd: 1, prefix: pfx("10.9.0.0/24"), withdraw: true})
	if p.counts[famRD{famVPNv4, rdOverflow}] != 2 || len(p.counts) != 2 {
		t.Fatalf("counts after withdraws %v", p.counts)
	}
	if s.held != 3 {
		t.Fatalf("held %d, want 3", s.held)
	}
}

func TestRDString(t *testing.T) {
	for _, tc := range []struct {
		rd   uint64
		want string
	}{
		{0, ""},
		{65000<<32 | 100, "65000:100"},
		{1<<48 | 0xc0000201<<16 | 7, "192.0.2.1:7"},
		{2<<48 | 4200000000<<16 | 9, "4200000000:9"},
		{rdOverflow, "other"},
	} {
		if got := rdString(tc.rd); got != tc.want {
			t.Errorf("rdString(%#x) = %q, want %q", tc.rd, got, tc.want)
		}
	}
}
