package topology

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/topology/store"
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

// TestVouchOneEventPerLoss: a reload (Adopt) during a loss carries the
// verdict over, S1 stays alive locally before any new report, and the
// witness's next report writes no second event; nor does one after a
// restart on the store, whose events say the loss is announced. A new
// loss (devices_unobserved again, after the collector came back) is news.
func TestVouchOneEventPerLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Distributed: true, Store: st})
	h.round()
	at := t0.Add(2 * time.Minute)
	var all []string
	for _, d := range h.inv.Devices {
		all = append(all, d.Name)
	}
	h.topo.Unobserve("collector:reunion", all, at)
	h.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at)
	h.sync()
	h.stop()

	// A reload: the new topology adopts the stopped one.
	h2 := &harness{t: t, inv: h.inv, reg: prometheus.NewPedanticRegistry(), now: h.now,
		uptime: map[string]time.Duration{}, down: map[string]bool{}, lldpOff: map[string]bool{}, extraLLDP: map[string][]snmp.LLDPNeighbor{}}
	topo, err := New(h2.inv, Options{Distributed: true, Debounce: time.Hour, Now: func() time.Time { return h2.now },
		Registerer: h2.reg, Store: st, NoRestore: true})
	if err != nil {
		t.Fatal(err)
	}
	topo.Adopt(h.topo)
	h2.topo, h2.portMap = topo, h2.ports()
	h2.start()
	if s := site(t, h2, "S1"); s.Witness != "reunion-b" {
		t.Errorf("S1 right after the reload: witness %q, want reunion-b carried over", s.Witness)
	}
	h2.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at.Add(time.Minute))
	h2.sync()
	if n := len(h2.eventsOf(EventAliveLocally)); n != 1 {
		t.Errorf("after a reload: %d collector_alive_locally events, want 1", n)
	}
	h2.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart on the store.
	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	h3 := newHarness(t, Options{Distributed: true, Store: st2})
	h3.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at.Add(2*time.Minute))
	h3.sync()
	if s := site(t, h3, "S1"); s.Witness != "reunion-b" {
		t.Errorf("S1 after a restart and a report: witness %q, want reunion-b", s.Witness)
	}
	if n := len(h3.eventsOf(EventAliveLocally)); n != 1 {
		t.Errorf("after a restart: %d collector_alive_locally events, want 1", n)
	}

	h3.round() // the collector is back, then lost again: a new loss
	h3.topo.Unobserve("collector:reunion", all, at.Add(10*time.Minute))
	h3.topo.Vouch("collector:reunion", "reunion-b", all, []string{"ce-s1"}, at.Add(10*time.Minute))
	h3.sync()
	if n := len(h3.eventsOf(EventAliveLocally)); n != 2 {
		t.Errorf("after a second loss: %d collector_alive_locally events, want 2", n)
	}
}
