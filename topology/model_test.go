package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// Link ids of testdata/small.json, as the resilience engine names them.
const (
	s1Fibre  = "agg-lyon-1:ge1--ce-s1:eth0"
	s2Fibre1 = "agg-lyon-1:ge2--ce-s2:eth0"
	s2Fibre2 = "agg-lyon-2:ge2--ce-s2:eth1"
	agg1Up   = "agg-lyon-1:ge0--bb-lyon-1:ge1"
)

func site(t *testing.T, h *harness, id string) SiteResult {
	t.Helper()
	s := h.topo.Analysis().Site(id)
	if s == nil {
		t.Fatalf("no site %s in the analysis", id)
	}
	return *s
}

func TestLinkDownChangesProtectionAndMetrics(t *testing.T) {
	h := newHarness(t, Options{})
	h.round()
	base := site(t, h, "S2")
	if base.Effective < 3 || base.State != SiteNominal {
		t.Fatalf("S2 with both fibres up: %+v, want effective at least its designed 3, nominal", base)
	}
	lv := map[string]string{"site": "S2", "region": "ara"}
	if got := h.metric("vigie_site_protection_effective", lv); got != float64(base.Effective) {
		t.Fatalf("vigie_site_protection_effective{S2} = %v, want %d", got, base.Effective)
	}
	degradedBefore := h.metric("vigie_sites", map[string]string{"state": "degraded"})

	// One of S2's fibres goes down: the aggregation router reports its port down.
	h.down["agg-lyon-1:ge2"] = true
	h.round()
	if l := h.link(s2Fibre1); l.state != LinkDown {
		t.Fatalf("link %s = %s, want down", s2Fibre1, l.state)
	}
	s := site(t, h, "S2")
	if s.Effective >= 3 || s.State != SiteDegraded || s.Isolated {
		t.Errorf("S2 with one fibre down: %+v, want effective below 3, degraded, not isolated", s)
	}
	if got := h.metric("vigie_site_protection_effective", lv); got != float64(s.Effective) {
		t.Errorf("vigie_site_protection_effective{S2} = %v, want %d", got, s.Effective)
	}
	if got := h.metric("vigie_sites", map[string]string{"state": "degraded"}); got != degradedBefore+1 {
		t.Errorf("vigie_sites{degraded} = %v, want %v", got, degradedBefore+1)
	}
	if got := h.metric("vigie_region_sites", map[string]string{"region": "ara", "state": "degraded"}); got != degradedBefore+1 {
		t.Errorf("vigie_region_sites{ara,degraded} = %v, want %v", got, degradedBefore+1)
	}
	if got := h.metric("vigie_topology_link_states", map[string]string{"state": "down"}); got != 1 {
		t.Errorf("vigie_topology_link_states{down} = %v, want 1", got)
	}
	if got := h.topo.Analysis().Failures; !slices.Equal(got, []string{"link:" + s2Fibre1}) {
		t.Errorf("analysed failures = %v, want only the fibre", got)
	}
	evs := h.eventsOf(EventLinkDown)
	if len(evs) != 1 || evs[0].Subject != s2Fibre1 || !strings.Contains(evs[0].Detail, "agg-lyon-1:ge2 oper down") {
		t.Errorf("link_down events = %+v", evs)
	}
	if evs := h.eventsOf(EventSiteState); len(evs) != 1 || evs[0].Subject != "S2" || evs[0].To != SiteDegraded {
		t.Errorf("site_state events = %+v, want S2 -> degraded", evs)
	}
	if got := h.metric("vigie_topology_changes_total", map[string]string{"kind": "link_down"}); got != 1 {
		t.Errorf("vigie_topology_changes_total{link_down} = %v", got)
	}

	// It comes back.
	delete(h.down, "agg-lyon-1:ge2")
	h.round()
	if s := site(t, h, "S2"); s.Effective != base.Effective || s.State != SiteNominal {
		t.Errorf("S2 after repair: %+v, want as before (%d)", s, base.Effective)
	}
	if evs := h.eventsOf(EventLinkUp); len(evs) != 1 || evs[0].From != "down" {
		t.Errorf("link_up events = %+v", evs)
	}
	lint(t, h.reg)
}

func TestUnreachableDeviceIsTheCause(t *testing.T) {
	h := newHarness(t, Options{UnreachableAfter: 2})
	h.round()
	h.round("agg-lyon-1") // one lost poll is not an outage
	if d := h.topo.st.devices["agg-lyon-1"]; d.state != DeviceReachable {
		t.Fatalf("after one failed poll agg-lyon-1 is %s, want still reachable", d.state)
	}
	if s := site(t, h, "S1"); s.Isolated {
		t.Fatalf("S1 isolated after one lost poll")
	}
	h.round("agg-lyon-1")
	s := site(t, h, "S1")
	if !s.Isolated || s.CauseKind != "device" || s.Cause != "agg-lyon-1" {
		t.Fatalf("S1 behind an unreachable agg-lyon-1: %+v, want isolated by device agg-lyon-1", s)
	}
	// The router's links are down, but the failure analysed is the router.
	for _, id := range []string{s1Fibre, s2Fibre1, agg1Up} {
		if l := h.link(id); l.state != LinkDown {
			t.Errorf("link %s = %s, want down (its device is unreachable)", id, l.state)
		}
	}
	if got := h.topo.Analysis().Failures; !slices.Equal(got, []string{"device:agg-lyon-1"}) {
		t.Errorf("failures = %v, want only device:agg-lyon-1", got)
	}
	cause := map[string]string{"site": "S1", "region": "ara", "cause_kind": "device", "cause": "agg-lyon-1"}
	if got := h.metric("vigie_site_isolation_cause", cause); got != 1 {
		t.Errorf("vigie_site_isolation_cause%v = %v, want 1", cause, got)
	}
	if got := h.metric("vigie_site_isolation_cause", map[string]string{"site": "S2"}); got != -1 {
		t.Errorf("vigie_site_isolation_cause exported for S2, which is not isolated")
	}
	if got := h.metric("vigie_site_isolated", map[string]string{"site": "S1"}); got != 1 {
		t.Errorf("vigie_site_isolated{S1} = %v", got)
	}
	if got := h.metric("vigie_topology_devices", map[string]string{"state": "unreachable"}); got != 1 {
		t.Errorf("vigie_topology_devices{unreachable} = %v", got)
	}
	if evs := h.eventsOf(EventDeviceUnreachable); len(evs) != 1 || evs[0].Detail != "timeout" {
		t.Errorf("device_unreachable events = %+v", evs)
	}
	h.round()
	if s := site(t, h, "S1"); s.Isolated {
		t.Errorf("S1 still isolated after agg-lyon-1 answered again")
	}
	if got := h.metric("vigie_site_isolation_cause", map[string]string{"site": "S1"}); got != -1 {
		t.Errorf("isolation cause still exported after recovery")
	}
}

func TestOverrunSaysNothing(t *testing.T) {
	h := newHarness(t, Options{UnreachableAfter: 1})
	h.round()
	h.topo.Apply(&snmp.Poll{Device: "agg-lyon-1", Err: errOverrun, Reason: snmp.ReasonOverrun})
	h.sync()
	if d := h.topo.st.devices["agg-lyon-1"]; d.state != DeviceReachable {
		t.Errorf("an overrun poll made agg-lyon-1 %s", d.state)
	}
}

type overrunErr struct{}

func (overrunErr) Error() string { return "previous poll still running" }

var errOverrun = overrunErr{}

func TestLLDPDisagreements(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(h *harness)
		rounds  int
		link    string
		want    string
		gone    bool // the link should not exist
		checkFn func(t *testing.T, h *harness)
	}{
		{name: "agreeing", setup: func(h *harness) {}, rounds: 4, link: s2Fibre1, want: ""},
		{name: "declared link never seen", rounds: 3, link: agg1Up, want: DisagreeDeclaredNotSeen,
			setup: func(h *harness) { h.lldpOff["agg-lyon-1"], h.lldpOff["bb-lyon-1"] = true, true }},
		{name: "seen from one end is enough", rounds: 4, link: agg1Up, want: "",
			setup: func(h *harness) { h.lldpOff["agg-lyon-1"] = true }},
		{name: "not yet at the limit", rounds: 2, link: agg1Up, want: "",
			setup: func(h *harness) { h.lldpOff["agg-lyon-1"], h.lldpOff["bb-lyon-1"] = true, true }},
		{name: "unknown neighbour", rounds: 1, link: "lldp:agg-lyon-1:ge7--rogue-switch:port1", want: DisagreeUndeclaredNeighbor,
			setup: func(h *harness) {
				h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{{LocalPort: "ge7", SysName: "rogue-switch", PortDescr: "port1"}}
			}},
		{name: "known device, undeclared cable", rounds: 1, link: "lldp:agg-lyon-1:ge8--agg-lyon-2:ge8", want: DisagreeUndeclaredNeighbor,
			setup: func(h *harness) {
				// An FQDN sysName resolves to the inventory name.
				h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{{LocalPort: "ge8", SysName: "AGG-LYON-2.rie.gouv.fr", PortDescr: "ge8"}}
			}},
		{name: "wrong neighbour on a declared port", rounds: 1, link: s1Fibre, want: DisagreeWrongNeighbor,
			setup: func(h *harness) {
				h.lldpOff["agg-lyon-1"] = true
				h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{{LocalPort: "ge1", SysName: "ce-s2", PortDescr: "eth5"}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{LLDPMissLimit: 3})
			tc.setup(h)
			for range tc.rounds {
				h.round()
			}
			h.topo.mu.RLock()
			l := h.topo.st.links[tc.link]
			h.topo.mu.RUnlock()
			if l == nil {
				t.Fatalf("no link %s", tc.link)
			}
			if l.disagreement != tc.want {
				t.Errorf("disagreement on %s = %q, want %q", tc.link, l.disagreement, tc.want)
			}
			want := 0.0
			if tc.want != "" {
				want = 1
			}
			if got := h.metric("vigie_topology_disagreements", map[string]string{"kind": tc.want}); tc.want != "" && got != want {
				t.Errorf("vigie_topology_disagreements{%s} = %v, want 1", tc.want, got)
			}
			if tc.want != "" && len(h.eventsOf(EventDisagreement)) == 0 {
				t.Errorf("no disagreement event")
			}
		})
	}
}

func TestObservedNeighbourComesAndGoes(t *testing.T) {
	h := newHarness(t, Options{})
	h.round()
	nb := snmp.LLDPNeighbor{LocalPort: "ge7", SysName: "rogue-switch", PortDescr: "port1"}
	h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{nb}
	h.round()
	id := "lldp:agg-lyon-1:ge7--rogue-switch:port1"
	if l := h.link(id); l.state != LinkUp || l.kind != KindObserved {
		t.Fatalf("observed link: %+v", l)
	}
	if got := h.metric("vigie_topology_nodes", nil); got != float64(len(h.inv.Devices)+1) {
		t.Errorf("vigie_topology_nodes = %v, want inventory + rogue-switch", got)
	}
	if evs := h.eventsOf(EventLLDPNeighborNew); len(evs) != 1 || evs[0].Subject != "agg-lyon-1:ge7" {
		t.Errorf("lldp_neighbor_new = %+v", evs)
	}
	delete(h.extraLLDP, "agg-lyon-1")
	h.round()
	h.topo.mu.RLock()
	_, still := h.topo.st.links[id]
	_, node := h.topo.st.devices["rogue-switch"]
	h.topo.mu.RUnlock()
	if still || node {
		t.Errorf("vanished neighbour still in the topology (link %v, node %v)", still, node)
	}
	if evs := h.eventsOf(EventLLDPNeighborLost); len(evs) != 1 {
		t.Errorf("lldp_neighbor_lost = %+v", evs)
	}
	if evs := h.eventsOf(EventDisagreementCleared); len(evs) != 1 {
		t.Errorf("disagreement_cleared = %+v", evs)
	}
}

func TestRebootAndBGP(t *testing.T) {
	h := newHarness(t, Options{})
	h.round()
	h.round()
	h.uptime["bb-lyon-1"] = 0 // restarted: the next poll shows 1 minute
	h.round()
	if evs := h.eventsOf(EventDeviceReboot); len(evs) != 1 || evs[0].Subject != "bb-lyon-1" {
		t.Errorf("reboot events = %+v", evs)
	}

	bgp := func(state int) *snmp.Poll {
		p := h.poll("bb-lyon-1")
		p.BGPPeers = []snmp.BGPPeer{{Remote: h.inv.Device("bb-paris-1").Address.Addr(), State: state, AdminUp: true}}
		return p
	}
	h.topo.Apply(bgp(6))
	h.sync()
	id := "bb-lyon-1:ge0--bb-paris-1:ge0"
	if l := h.link(id); !slices.Contains(l.sources(), SourceBGP) {
		t.Errorf("sources of %s = %v, want bgp among them", id, l.sources())
	}
	if got := h.metric("vigie_topology_links", map[string]string{"source": "bgp"}); got != 1 {
		t.Errorf("vigie_topology_links{bgp} = %v, want 1", got)
	}
	h.topo.Apply(bgp(3))
	h.sync()
	if evs := h.eventsOf(EventBGPSessionDown); len(evs) != 1 || evs[0].Subject != "bb-lyon-1--bb-paris-1" {
		t.Errorf("bgp_session_down = %+v", evs)
	}
	if l := h.link(id); slices.Contains(l.sources(), SourceBGP) {
		t.Errorf("bgp still a source after the session dropped")
	}
}

// TestDebounce flaps one link 200 times between two Syncs: with a long
// debounce, the analysis runs once at the Sync, not 200 times.
func TestDebounce(t *testing.T) {
	h := newHarness(t, Options{})
	h.round()
	before := h.metric("vigie_resilience_analysis_duration_seconds", nil)
	for i := range 200 {
		if i%2 == 0 {
			h.down["agg-lyon-1:ge2"] = true
		} else {
			delete(h.down, "agg-lyon-1:ge2")
		}
		h.topo.Apply(h.poll("agg-lyon-1"))
	}
	h.topo.Apply(h.poll("ce-s2"))
	h.sync()
	after := h.metric("vigie_resilience_analysis_duration_seconds", nil)
	if after-before > 1 {
		t.Errorf("%v analyses for 200 flaps, want at most 1", after-before)
	}
	if got := len(h.eventsOf(EventLinkDown)); got != 100 {
		t.Errorf("%d link_down events, want 100 (every flap is recorded)", got)
	}
}
