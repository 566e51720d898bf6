package bgp

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// icInventory: a route reflector carrying VPNv4 (session 0), a PFS router
// carrying VPNv4 (session 1), VRFs testa (two RDs) and renater, and three
// interconnects: testa-1 judged from any converged session, renater-1 from
// the PFS's own session (its device), partner-1 in the global table
// through an explicit bgp_peer.
func icInventory() (inventory.BGP, *inventory.Inventory) {
	rd := func(s string) inventory.RD {
		r, err := inventory.ParseRD(s)
		if err != nil {
			panic(err)
		}
		return r
	}
	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop1", Region: "idf"}},
		Devices: []inventory.Device{
			{Name: "rr-1", Role: inventory.RoleBackbone, PoP: "pop1"},
			{Name: "pfs-1", Role: inventory.RolePFS, PoP: "pop1"},
			{Name: "pfs-2", Role: inventory.RolePFS, PoP: "pop1"},
		},
		VRFs: []inventory.VRF{
			{Name: "testa", RDs: []inventory.RD{rd("65000:100"), rd("192.0.2.1:100")}},
			{Name: "renater", RDs: []inventory.RD{rd("65000:200")}},
		},
		Interconnects: []inventory.Interconnect{
			{ID: "testa-1", Kind: inventory.InterconnectTESTA, Device: "pfs-2", VRF: "testa",
				Prefixes: []netip.Prefix{pfx("198.51.100.0/24"), pfx("203.0.113.0/24")}},
			{ID: "renater-1", Kind: inventory.InterconnectRENATER, Device: "pfs-1", VRF: "renater",
				Prefixes: []netip.Prefix{pfx("193.48.0.0/16")}},
			{ID: "partner-1", Kind: inventory.InterconnectPartner, Device: "pfs-2",
				Prefixes: []netip.Prefix{pfx("192.0.2.0/24")}, BGPPeer: ip("192.0.2.11")},
			{ID: "plain", Kind: inventory.InterconnectPartner, Device: "pfs-2"},
		},
	}
	inv.Index()
	vpn := []string{inventory.FamilyIPv4Unicast, inventory.FamilyVPNv4}
	cfg := inventory.BGP{
		LocalAS: 65000, RouterID: ip("192.0.2.1"),
		Peers: []inventory.BGPPeer{
			{Device: "rr-1", Address: ip("192.0.2.11"), RemoteAS: 65000, Families: vpn},
			{Device: "pfs-1", Address: ip("192.0.2.13"), RemoteAS: 65000, Families: vpn},
		},
	}
	return cfg, inv
}

func TestInterconnectVerdicts(t *testing.T) {
	const settle = time.Minute
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	testa1, _ := inventory.ParseRD("65000:100")
	testa2, _ := inventory.ParseRD("192.0.2.1:100")
	renater, _ := inventory.ParseRD("65000:200")
	other, _ := inventory.ParseRD("65000:999")
	vpn := func(peer int, rd inventory.RD, prefix string) icPath {
		return icPath{peer: peer, r: route{fam: famVPNv4, rd: uint64(rd), prefix: pfx(prefix), nextHop: ip("10.0.0.1")}}
	}
	uni := func(peer int, prefix string) icPath {
		return icPath{peer: peer, r: route{fam: famIPv4, prefix: pfx(prefix), nextHop: ip("10.0.0.1")}}
	}
	withdraw := func(s icPath) icPath { s.r.withdraw = true; return s }
	type want struct {
		state            InterconnectState
		missing, unknown int
	}
	tests := []struct {
		name  string
		at    time.Duration
		up    []int // sessions established at t0+at
		down  []int
		paths []icPath
		want  map[string]want
	}{
		{name: "nothing is known before the sessions come up",
			want: map[string]want{
				"testa-1":   {InterconnectBGPUnknown, 0, 2},
				"renater-1": {InterconnectBGPUnknown, 0, 1},
				"partner-1": {InterconnectBGPUnknown, 0, 1},
			}},
		{name: "a session that never came up is down after the settle time", at: settle,
			want: map[string]want{
				"testa-1":   {InterconnectBGPUnknown, 0, 2},
				"renater-1": {InterconnectSessionDown, 0, 1},
				"partner-1": {InterconnectSessionDown, 0, 1},
			}},
		{name: "established, prefixes arriving, not yet converged", at: settle + time.Second, up: []int{0, 1},
			paths: []icPath{vpn(0, testa1, "198.51.100.0/24"), vpn(1, renater, "193.48.0.0/16"), uni(0, "192.0.2.0/24")},
			want: map[string]want{
				"testa-1":   {InterconnectBGPUnknown, 0, 1},
				"renater-1": {InterconnectBGPUp, 0, 0},
				"partner-1": {InterconnectBGPUp, 0, 0},
			}},
		{name: "converged: the second testa prefix is missing", at: 2*settle + time.Second,
			want: map[string]want{"testa-1": {InterconnectPrefixesMissing, 1, 0}}},
		{name: "in another VRF it does not count", at: 2*settle + 2*time.Second,
			paths: []icPath{vpn(0, other, "203.0.113.0/24"), vpn(0, renater, "203.0.113.0/24")},
			want:  map[string]want{"testa-1": {InterconnectPrefixesMissing, 1, 0}}},
		{name: "nor in the global table", at: 2*settle + 3*time.Second,
			paths: []icPath{uni(0, "203.0.113.0/24")},
			want:  map[string]want{"testa-1": {InterconnectPrefixesMissing, 1, 0}}},
		{name: "the VRF's second RD counts", at: 2*settle + 4*time.Second,
			paths: []icPath{vpn(1, testa2, "203.0.113.0/24")},
			want:  map[string]want{"testa-1": {InterconnectBGPUp, 0, 0}}},
		{name: "renater's prefix heard only from the reflector does not count for the PFS's session", at: 2*settle + 5*time.Second,
			paths: []icPath{vpn(0, renater, "193.48.0.0/16"), withdraw(vpn(1, renater, "193.48.0.0/16"))},
			want:  map[string]want{"renater-1": {InterconnectPrefixesMissing, 1, 0}}},
		{name: "the PFS session down: session_down, whatever the reflector says", at: 2*settle + 6*time.Second, down: []int{1},
			want: map[string]want{
				"renater-1": {InterconnectSessionDown, 0, 1},
				"testa-1":   {InterconnectPrefixesMissing, 1, 0}, // its 203.0.113.0/24 came from the PFS
			}},
		{name: "the partner's prefix withdrawn", at: 2*settle + 7*time.Second,
			paths: []icPath{withdraw(uni(0, "192.0.2.0/24"))},
			want:  map[string]want{"partner-1": {InterconnectPrefixesMissing, 1, 0}}},
	}
	cfg, inv := icInventory()
	s := newState(cfg, inv, 16)
	if len(s.ics) != 3 {
		t.Fatalf("%d interconnects judged, want 3 (plain has neither prefixes nor bgp_peer)", len(s.ics))
	}
	for _, tc := range tests {
		now := t0.Add(tc.at)
		for _, i := range tc.up {
			s.peers[i].established, s.peers[i].since, s.peers[i].changed = true, now, now
		}
		for _, i := range tc.down {
			s.peers[i].established, s.peers[i].changed = false, now
			s.sessionDown(i)
		}
		for _, p := range tc.paths {
			s.apply(p.peer, p.r)
		}
		out := s.refreshInterconnects(now, settle)
		last := s.interconnectVerdicts()
		if out != nil && !slices.Equal(out, last) {
			t.Errorf("%s: published %+v, state holds %+v", tc.name, out, last)
		}
		for id, w := range tc.want {
			var got InterconnectRouting
			for _, r := range last {
				if r.Interconnect == id {
					got = r
				}
			}
			if got.State != w.state || got.Missing != w.missing || got.Unknown != w.unknown {
				t.Errorf("%s: %s = %+v (%s), want %+v", tc.name, id, got, got.Detail(), w)
			}
		}
	}
}

// icPath is one path of one session.
type icPath struct {
	peer int
	r    route
}

func TestVRFLabels(t *testing.T) {
	cfg, inv := icInventory()
	s := newState(cfg, inv, 2)
	testa, _ := inventory.ParseRD("192.0.2.1:100")
	// Two undeclared RDs fill the bound; a third goes to "other", but a
	// declared VRF's RD never does.
	for _, rd := range []uint64{65000<<32 | 1, 65000<<32 | 2, 65000<<32 | 3, uint64(testa)} {
		s.apply(0, route{fam: famVPNv4, rd: rd, prefix: pfx("10.9.0.0/24")})
	}
	got := map[[2]string]int{}
	for _, fc := range s.familyCounts(s.peers[0]) {
		got[[2]string{fc.VRF, fc.RD}] = fc.Prefixes
	}
	want := map[[2]string]int{
		{"testa", "192.0.2.1:100"}: 1,
		{"65000:1", "65000:1"}:     1,
		{"65000:2", "65000:2"}:     1,
		{"other", "other"}:         1,
	}
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("vrf=%q rd=%q: %d paths, want %d (all: %v)", k[0], k[1], got[k], n, got)
		}
	}
}

// BenchmarkInterconnectRefresh measures the interconnect verdicts, which
// are recomputed at every refresh (every GoBGP event batch and once a
// second): 50 interconnects with 4 expected prefixes each, every prefix
// heard from two sessions in its VRF.
func BenchmarkInterconnectRefresh(b *testing.B) {
	cfg, inv := icInventory()
	inv.Interconnects = inv.Interconnects[:0]
	for i := range 50 {
		ic := inventory.Interconnect{ID: fmt.Sprintf("ic-%d", i), Kind: inventory.InterconnectPartner, Device: "pfs-2", VRF: "testa"}
		for j := range 4 {
			ic.Prefixes = append(ic.Prefixes, netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i), byte(j * 64)}), 26))
		}
		inv.Interconnects = append(inv.Interconnects, ic)
	}
	s := newState(cfg, inv, 16)
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	rd, _ := inventory.ParseRD("65000:100")
	for i := range s.peers {
		s.peers[i].established, s.peers[i].since, s.peers[i].changed = true, t0, t0
		for _, ic := range inv.Interconnects {
			for _, p := range ic.Prefixes {
				s.apply(i, route{fam: famVPNv4, rd: uint64(rd), prefix: p, nextHop: ip("10.0.0.1")})
			}
		}
	}
	if out := s.refreshInterconnects(t0, time.Minute); len(out) != 50 || out[0].State != InterconnectBGPUp {
		b.Fatalf("verdicts %+v", out)
	}
	b.Run("every-interconnect-judged", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s.refreshInterconnects(t0.Add(time.Duration(i+1)*icPeriod), time.Minute)
		}
	})
	b.Run("nothing-changed", func(b *testing.B) {
		b.ReportAllocs()
		now := t0.Add(time.Hour)
		s.refreshInterconnects(now, time.Minute)
		for i := 0; i < b.N; i++ {
			s.refreshInterconnects(now, time.Minute)
		}
	})
}
