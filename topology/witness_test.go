package topology

import (
	"strings"
	"testing"
	"time"
)

// TestVouch: every device unobserved (the collector lost); a witness
// reaches ce-s1 and ce-s2 but not ce-s3: S1 and S2 are alive locally
// (still unobserved, not isolated), S3 plainly unobserved, one event. A
// second report leaving out ce-s2 withdraws S2 and records nothing new;
// an empty one withdraws all. A vouched device's next poll makes it
// observed again, its site no longer alive locally.
func TestVouch(t *testing.T) {
	h := newHarness(t, Options{Distributed: true})
	h.round()
	at := t0.Add(2 * time.Minute)
	var all []string
	for _, d := range h.inv.Devices {
		all = append(all, d.Name)
	}
	h.topo.Unobserve("collector:reunion", all, at)
	h.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1", "ce-s2"}, at)
	h.sync()
	witnesses := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, s := range h.topo.Analysis().Sites {
			if s.State != SiteUnobserved || s.Isolated {
				t.Errorf("site %s is %s (isolated %v) while its collector is lost, want unobserved", s.ID, s.State, s.Isolated)
			}
			if s.Witness != "" {
				out[s.ID] = s.Witness
			}
		}
		return out
	}
	if got := witnesses(); len(got) != 2 || got["S1"] != "reunion-b" || got["S2"] != "reunion-b" {
		t.Errorf("alive locally: %v, want S1 and S2 by reunion-b (S3's CE does not answer)", got)
	}
	evs := h.eventsOf(EventAliveLocally)
	if len(evs) != 1 || evs[0].Subject != "collector:reunion" || !strings.Contains(evs[0].Detail, "witness reunion-b reaches 2 of") ||
		!strings.Contains(evs[0].Detail, "2 sites") {
		t.Fatalf("collector_alive_locally events: %+v, want one: reunion-b, 2 devices, 2 sites", evs)
	}

	h.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at.Add(time.Minute))
	h.sync()
	if got := witnesses(); len(got) != 1 || got["S1"] != "reunion-b" {
		t.Errorf("after a round reaching ce-s1 only: %v, want S1", got)
	}
	h.topo.Vouch("collector:reunion", "reunion-b", all, nil, at.Add(2*time.Minute))
	h.sync()
	if got := witnesses(); len(got) != 0 {
		t.Errorf("after the verdict is withdrawn: %v, want none", got)
	}
	h.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at.Add(3*time.Minute))
	h.sync()
	if n := len(h.eventsOf(EventAliveLocally)); n != 2 {
		t.Errorf("%d collector_alive_locally events, want 2 (one more once vouched again after a withdrawal)", n)
	}
	h.round() // the collector is back
	for _, s := range h.topo.Analysis().Sites {
		if s.Witness != "" || s.State == SiteUnobserved {
			t.Errorf("site %s after its devices are polled again: %s, witness %q", s.ID, s.State, s.Witness)
		}
	}
}

// TestVouchSingleBox: a single box has no collector to lose; a Vouch
// changes nothing it shows.
func TestVouchSingleBox(t *testing.T) {
	h := newHarness(t, Options{})
	h.round()
	h.topo.Vouch("collector:reunion", "reunion-b", []string{"ce-s1"}, []string{"ce-s1"}, t0)
	h.sync()
	for _, s := range h.topo.Analysis().Sites {
		if s.Witness != "" {
			t.Errorf("site %s alive locally on a single box", s.ID)
		}
	}
	if evs := h.eventsOf(EventAliveLocally); len(evs) != 0 {
		t.Errorf("events %+v on a single box", evs)
	}
}
