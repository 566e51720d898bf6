package bgp

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/vigie-rie/vigie/inventory"
)

// exposition renders a registry as text, for comparisons.
func exposition(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestMirrorServesTheView: a mirror given a monitor's View serves the
// same vigie_bgp_* series and tells the same site verdicts; unobserved,
// it has no series and every verdict is unknown; a View of another
// configuration is refused.
func TestMirrorServesTheView(t *testing.T) {
	const settle = time.Minute
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	now := t0.Add(2 * settle)
	cfg, inv := routingInventory()
	opts := DefaultOptions()
	opts.Now = func() time.Time { return now }
	liveReg := prometheus.NewRegistry()
	opts.Registerer = liveReg
	live, err := New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []rstep{
		{up: []int{0, 1}, eor: []int{0, 1}, add: []rpath{
			{0, "10.1.0.0/24", "10.0.0.1", "", 0}, {1, "10.1.0.0/24", "10.0.0.1", "", 0},
			{0, "0.0.0.0/0", "10.255.0.1", "", 0}, {1, "198.51.100.0/24", "10.255.0.2", "", 0},
		}},
		{at: time.Second, del: []rpath{{1, "10.1.0.0/24", "", "", 0}}},
	} {
		applyStep(live.st, st, t0.Add(st.at))
		live.st.refresh(t0.Add(st.at), settle)
	}
	live.st.peers[2].flaps, live.st.peers[1].malformed[handlingAttributeDiscard] = 3, 2
	live.refreshRouting()

	var told []SiteRouting
	var events []Event
	mopts := DefaultOptions()
	mopts.Now = opts.Now
	mirrorReg := prometheus.NewRegistry()
	mopts.Registerer = mirrorReg
	mopts.OnRouting = func(rs []SiteRouting) { told = append(told, rs...) }
	mopts.OnEvent = func(e Event) { events = append(events, e) }
	mirror, err := NewMirror(cfg, inv, mopts)
	if err != nil {
		t.Fatal(err)
	}
	if got := exposition(t, mirrorReg); strings.Contains(got, "vigie_bgp_") {
		t.Errorf("a mirror without a view exposes BGP series:\n%s", got)
	}
	v := live.View()
	v.Events = []Event{{Kind: EventPeerDown, Time: t0, Peer: cfg.Peers[2].Address, Device: "pfs-1", Detail: "down"}}
	if err := mirror.Apply(v); err != nil {
		t.Fatal(err)
	}
	want, got := exposition(t, liveReg), exposition(t, mirrorReg)
	if !strings.Contains(want, `vigie_bgp_received_prefixes{device="rr-1"`) {
		t.Fatalf("the live monitor's series lack what the test set up:\n%s", want)
	}
	if got != want {
		t.Errorf("the mirror's series differ from the monitor's:\n--- mirror\n%s\n--- monitor\n%s", got, want)
	}
	if !slices.Equal(mirror.SiteRouting(), live.SiteRouting()) {
		t.Errorf("mirror's verdicts %+v, monitor's %+v", mirror.SiteRouting(), live.SiteRouting())
	}
	if len(told) == 0 || len(events) != 1 || events[0].Kind != EventPeerDown {
		t.Errorf("the mirror told %d verdicts and events %+v, want the changed verdicts and the view's event", len(told), events)
	}
	if lp, mp := live.PFAIRoutes(), mirror.PFAIRoutes(); len(lp) != len(mp) || len(lp) == 0 || lp[0].Known != mp[0].Known || lp[0].DefaultRoute != mp[0].DefaultRoute {
		t.Errorf("PFAI routes: mirror %+v, monitor %+v", mp, lp)
	}
	if lp, mp := live.Peers(), mirror.Peers(); len(lp) != len(mp) || lp[1].Established != mp[1].Established || lp[1].MalformedUpdates != mp[1].MalformedUpdates {
		t.Errorf("peers: mirror %+v, monitor %+v", mp, lp)
	}

	// An older view (a replay behind the one served) changes nothing.
	old := *v
	old.Time, old.Events = v.Time.Add(-time.Minute), nil
	old.Peers = slices.Clone(v.Peers)
	old.Peers[0].Established = false
	if err := mirror.Apply(&old); err != nil || !mirror.Peers()[0].Established {
		t.Errorf("an older view was applied (err %v)", err)
	}

	told = nil
	mirror.Unobserve()
	if got := exposition(t, mirrorReg); strings.Contains(got, "vigie_bgp_") {
		t.Errorf("an unobserved mirror exposes BGP series:\n%s", got)
	}
	for _, r := range mirror.SiteRouting() {
		if r.State != RoutingUnknown {
			t.Errorf("unobserved, %s is %s, want unknown", r.Site, r.State)
		}
	}
	if len(told) == 0 {
		t.Errorf("unobserving told the topology nothing")
	}
	for _, p := range mirror.PFAIRoutes() {
		if p.Known {
			t.Errorf("unobserved, PFAI %s is known", p.Device)
		}
	}

	other := *v
	other.Fingerprint++
	if err := mirror.Apply(&other); err == nil || !strings.Contains(err.Error(), "same inventory") {
		t.Errorf("a view of another configuration: %v", err)
	}
	short := *v
	short.Sites = short.Sites[:1]
	if err := mirror.Apply(&short); err == nil {
		t.Errorf("a view of the wrong shape was applied")
	}
	if err := live.Apply(v); err == nil {
		t.Errorf("Apply on a monitor with its own sessions succeeded")
	}
}

// BenchmarkView is what a BGP collector pays for one View of a full RIE:
// 14,000 sites with a prefix each, every one held through two reflectors.
func BenchmarkView(b *testing.B) {
	inv := &inventory.Inventory{Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop1", Region: "idf"}},
		Devices: []inventory.Device{{Name: "rr-1", Role: inventory.RoleBackbone, PoP: "pop1"}, {Name: "rr-2", Role: inventory.RoleBackbone, PoP: "pop1"}}}
	for i := range 14000 {
		inv.Sites = append(inv.Sites, inventory.Site{ID: fmt.Sprintf("S-%05d", i), Region: "idf",
			Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)}})
	}
	inv.Index()
	cfg := inventory.BGP{LocalAS: 65000, RouterID: ip("192.0.2.1"), Peers: []inventory.BGPPeer{
		{Device: "rr-1", Address: ip("192.0.2.11"), RemoteAS: 65000}, {Device: "rr-2", Address: ip("192.0.2.12"), RemoteAS: 65000}}}
	m, err := New(cfg, inv, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	var add []rpath
	for _, s := range inv.Sites {
		add = append(add, rpath{0, s.Prefixes[0].String(), "10.0.0.1", "", 0}, rpath{1, s.Prefixes[0].String(), "10.0.0.2", "", 0})
	}
	applyStep(m.st, rstep{up: []int{0, 1}, eor: []int{0, 1}, add: add}, t0)
	m.st.refresh(t0, time.Minute)
	for b.Loop() {
		if v := m.View(); len(v.Sites) != 14000 {
			b.Fatalf("%d sites", len(v.Sites))
		}
	}
}
