package exposition

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// TestTransoceanicLinkUp: a declared transoceanic link shows as
// vigie_transoceanic_link_up with the overseas region it serves, absent
// until polled, 1 while up and 0 once down; other links do not show.
func TestTransoceanicLinkUp(t *testing.T) {
	inv := loadInventory(t, "small.json")
	// agg-lyon-1's uplink becomes the cable of an overseas ara.
	for i := range inv.Links {
		if l := &inv.Links[i]; l.A.Device == "agg-lyon-1" && l.B.Device == "bb-lyon-1" {
			l.Technology = inventory.TechTransoceanic
		}
	}
	for i := range inv.Regions {
		inv.Regions[i].Overseas = inv.Regions[i].ID == "ara"
	}
	h := newHarnessInv(t, inv, topology.Options{})
	const cable = "agg-lyon-1:ge0--bb-lyon-1:ge1"
	get := func() string {
		t.Helper()
		n, err := testutil.GatherAndCount(h.reg, "vigie_transoceanic_link_up")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return "absent"
		}
		mfs, err := h.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "vigie_transoceanic_link_up" {
				continue
			}
			if len(mf.GetMetric()) != 1 {
				t.Fatalf("%d series of vigie_transoceanic_link_up, want the one cable", len(mf.GetMetric()))
			}
			m := mf.GetMetric()[0]
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["link"] != cable || labels["region"] != "ara" {
				t.Fatalf("vigie_transoceanic_link_up labels %v, want link %s, region ara", labels, cable)
			}
			if m.GetGauge().GetValue() == 1 {
				return "up"
			}
			return "down"
		}
		return "absent"
	}
	if got := get(); got != "absent" {
		t.Errorf("before any poll: %s, want absent (unknown)", got)
	}
	h.round()
	if got := get(); got != "up" {
		t.Errorf("after a poll with every port up: %s, want up", got)
	}
	h.down["agg-lyon-1:ge0"] = true
	h.round()
	if got := get(); got != "down" {
		t.Errorf("after the port went down: %s, want down", got)
	}
}
