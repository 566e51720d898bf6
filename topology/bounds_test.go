package topology

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/topology/store"
)

// boundLines returns the log lines that say a device hit a bound.
func boundLines(buf *bytes.Buffer) []string {
	var out []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "hit its bound") {
			out = append(out, l)
		}
	}
	return out
}

// lldpLinks counts the declared links LLDP vouches for.
func (h *harness) lldpLinks() int {
	h.topo.mu.RLock()
	defer h.topo.mu.RUnlock()
	n := 0
	for _, l := range h.topo.st.links {
		if l.declared && (l.a.lldp || l.b.lldp) {
			n++
		}
	}
	return n
}

// TestNeighbourBound: a device's table adds at most MaxNeighbors
// undeclared neighbours; those already held are kept before new ones; the
// extra is counted per device and logged once an hour naming the device,
// the bound and the setting; declared links are not bounded.
func TestNeighbourBound(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	h := newHarnessLog(t, loadInventory(t, "small.json"), Options{MaxNeighbors: 4}, logger)
	h.round()
	declared := h.lldpLinks()
	nbr := func(port int, name string) snmp.LLDPNeighbor {
		return snmp.LLDPNeighbor{LocalPort: fmt.Sprint("ge", port), SysName: name, PortDescr: "p1"}
	}
	id := func(port int, name string) string {
		return observedID("agg-lyon-1", fmt.Sprint("ge", port), name, "p1")
	}
	drops := func() float64 {
		return h.metric("vigie_topology_device_bound_drops_total", map[string]string{"device": "agg-lyon-1", "bound": "neighbors"})
	}

	// Six new neighbours: the first four of the table are kept.
	h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{nbr(100, "a"), nbr(101, "b"), nbr(102, "c"), nbr(103, "d"), nbr(104, "e"), nbr(105, "f")}
	h.round()
	if got, want := h.observedIDs(), []string{id(100, "a"), id(101, "b"), id(102, "c"), id(103, "d")}; !equalSorted(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
	if got := drops(); got != 2 {
		t.Errorf("neighbour drops = %v, want 2", got)
	}
	if got := h.lldpLinks(); got != declared {
		t.Errorf("%d declared links vouched for by LLDP, want %d: declared links are never bounded", got, declared)
	}
	lines := boundLines(&logs)
	if len(lines) != 1 {
		t.Fatalf("log lines %q, want one", lines)
	}
	for _, w := range []string{"device=agg-lyon-1", "bound=neighbors", "limit=4", "setting=agent.max_lldp_neighbors"} {
		if !strings.Contains(lines[0], w) {
			t.Errorf("log line %q does not say %q", lines[0], w)
		}
	}

	// Two held neighbours stay, four new come: the held ones are kept
	// first, then the first two new ones.
	h.extraLLDP["agg-lyon-1"] = []snmp.LLDPNeighbor{nbr(100, "g"), nbr(101, "h"), nbr(102, "c"), nbr(103, "d"), nbr(104, "i"), nbr(105, "j")}
	h.round()
	if got, want := h.observedIDs(), []string{id(100, "g"), id(101, "h"), id(102, "c"), id(103, "d")}; !equalSorted(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
	if got := drops(); got != 4 {
		t.Errorf("neighbour drops = %v, want 4", got)
	}
	if got := h.nodes(); got != len(h.inv.Devices)+4 {
		t.Errorf("%d nodes, want the %d inventory devices and 4 LLDP names", got, len(h.inv.Devices))
	}
	if n := len(boundLines(&logs)); n != 1 {
		t.Errorf("%d log lines within the hour, want 1", n)
	}
	h.nowMu.Lock()
	h.now = h.now.Add(time.Hour)
	h.nowMu.Unlock()
	h.round()
	if n := len(boundLines(&logs)); n != 2 {
		t.Errorf("%d log lines after an hour over the bound, want 2", n)
	}
	if got := h.metric("vigie_topology_device_bound_drops_total", map[string]string{"device": "agg-lyon-2"}); got != -1 {
		t.Errorf("a series for agg-lyon-2, which never hit a bound: %v", got)
	}
}

func equalSorted(got, want []string) bool {
	return slices.Equal(got, slices.Sorted(slices.Values(want)))
}

// lldpEvents counts the recorded events caused by agg-lyon-1's LLDP.
func (h *harness) lldpEvents() int {
	n := 0
	for _, e := range h.topo.Events(time.Time{}, 1<<20) {
		if strings.HasPrefix(e.Subject, "agg-lyon-1:ge1") || strings.HasPrefix(e.Subject, "lldp:agg-lyon-1:") {
			n++
		}
	}
	return n
}

// TestDeviceEventBound: the events one device's LLDP causes are recorded
// within MaxDeviceEvents a minute of poll time (history, store and
// changes_total alike), the rest counted as drops; events of declared links
// are never dropped.
func TestDeviceEventBound(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigie.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := newHarness(t, Options{MaxDeviceEvents: 10, Store: st})
	drops := func() float64 {
		return h.metric("vigie_topology_device_bound_drops_total", map[string]string{"device": "agg-lyon-1", "bound": "events"})
	}
	changes := func() float64 {
		n := 0.0
		for _, k := range []EventKind{EventLLDPNeighborNew, EventLLDPNeighborLost, EventDisagreement, EventDisagreementCleared} {
			n += h.metric("vigie_topology_changes_total", map[string]string{"kind": string(k)})
		}
		return n
	}

	// The first table of agg-lyon-1 has eight undeclared neighbours:
	// eight undeclared_neighbor events (no churn for a first table).
	h.extraLLDP["agg-lyon-1"] = churnTable(0, 8, 0, false)
	h.round()
	if got := h.lldpEvents(); got != 8 {
		t.Fatalf("%d events, want 8", got)
	}
	// All eight change, a minute later: 8 disagreements cleared, 8 new,
	// 8 neighbours changed on their port = 24. The bucket had 2 left and
	// got 10 back, capped at 10: 10 recorded, 14 dropped. A declared link
	// of the same device goes down in the same poll: that event stays.
	before := changes()
	h.extraLLDP["agg-lyon-1"] = churnTable(1, 8, 0, false)
	h.down["agg-lyon-1:ge2"] = true
	h.round()
	if got := h.lldpEvents(); got != 8+10 {
		t.Errorf("%d events, want 18", got)
	}
	if got := drops(); got != 14+1 {
		// +1: LLDP no longer names ce-s2 on the port that went down.
		t.Errorf("event drops = %v, want 15", got)
	}
	if got := changes() - before; got != 10+1 {
		// +1: LLDP on ce-s2 no longer names agg-lyon-1 (ce-s2's own budget).
		t.Errorf("changes_total rose by %v, want 11: the events recorded", got)
	}
	if evs := h.eventsOf(EventLinkDown); len(evs) == 0 || evs[len(evs)-1].Subject != s2Fibre1 {
		t.Errorf("link_down events %+v, want %s's: declared links are never bounded", evs, s2Fibre1)
	}
	// The store holds what the history holds, not the dropped ones.
	h.sync()
	stored, err := st.Events(time.Time{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if mem := h.topo.Events(time.Time{}, 1<<20); len(stored) != len(mem) {
		t.Errorf("%d events in the store, %d in memory; want the same", len(stored), len(mem))
	}
}
