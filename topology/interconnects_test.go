package topology

import (
	"testing"

	"github.com/vigie-rie/vigie/collector/bgp"
)

// TestInterconnectBGPVerdicts folds BGP's verdicts on the testa
// interconnect into the analysis: down with the reason when BGP says its
// session is down or its prefixes missing, the attachment's verdict when
// BGP cannot tell, "detached" when SNMP sees it cut off, and an event
// for each change between known states (the first "up" is not news).
func TestInterconnectBGPVerdicts(t *testing.T) {
	type want struct {
		up      bool
		reason  string
		bgp     string
		missing int
		events  int // interconnect_bgp events so far
	}
	verdict := func(st bgp.InterconnectState, missing int) []bgp.InterconnectRouting {
		return []bgp.InterconnectRouting{{Interconnect: "testa", VRF: "testa", State: st, Prefixes: 2, Missing: missing}}
	}
	steps := []struct {
		name string
		bgp  []bgp.InterconnectRouting
		fail []string
		want want
	}{
		{"attached, not judged by BGP yet", nil, nil, want{up: true}},
		{"BGP: up", verdict(bgp.InterconnectBGPUp, 0), nil, want{up: true, bgp: "up"}},
		{"BGP: a prefix missing", verdict(bgp.InterconnectPrefixesMissing, 1), nil,
			want{reason: ReasonPrefixesMissing, bgp: "prefixes_missing", missing: 1, events: 1}},
		{"BGP: session down", verdict(bgp.InterconnectSessionDown, 0), nil,
			want{reason: ReasonSessionDown, bgp: "session_down", events: 2}},
		{"BGP cannot tell: the attachment decides", verdict(bgp.InterconnectBGPUnknown, 0), nil,
			want{up: true, bgp: "unknown", events: 2}},
		{"BGP up again", verdict(bgp.InterconnectBGPUp, 0), nil, want{up: true, bgp: "up", events: 3}},
		{"its PFS router dark: detached, whatever BGP says", nil, []string{"pfs-1"},
			want{reason: ReasonDetached, bgp: "up", events: 3}},
	}
	h := newHarness(t, Options{})
	for _, st := range steps {
		if st.bgp != nil {
			h.topo.RecordInterconnects(st.bgp)
		}
		h.round(st.fail...)
		if st.fail != nil {
			h.round(st.fail...) // a device is unreachable after two failed polls
		}
		var got *InterconnectView
		a := h.topo.Analysis()
		for i := range a.Interconnects {
			if a.Interconnects[i].ID == "testa" {
				got = &a.Interconnects[i]
			}
		}
		if got == nil {
			t.Fatalf("%s: no testa interconnect in the analysis", st.name)
		}
		w := st.want
		if got.Up != w.up || got.Reason != w.reason || got.BGP != w.bgp || got.PrefixesMissing != w.missing {
			t.Errorf("%s: %+v, want up %t reason %q bgp %q missing %d", st.name, *got, w.up, w.reason, w.bgp, w.missing)
		}
		if w.bgp != "" && (got.VRF != "testa" || got.PrefixesExpected != 2) {
			t.Errorf("%s: vrf %q, %d prefixes expected, want testa and 2", st.name, got.VRF, got.PrefixesExpected)
		}
		if evs := h.eventsOf(EventInterconnectBGP); len(evs) != w.events {
			t.Errorf("%s: %d interconnect_bgp events, want %d: %+v", st.name, len(evs), w.events, evs)
		}
	}
	// The other interconnect, not judged by BGP, never gets a BGP state.
	for _, ic := range h.topo.Analysis().Interconnects {
		if ic.ID == "inet-1" && (ic.BGP != "" || !ic.Up) {
			t.Errorf("inet-1: %+v, want up and no BGP state", ic)
		}
	}
}
