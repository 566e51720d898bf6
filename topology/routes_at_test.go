package topology

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
)

// TestRoutingDatedByView: a central applying a BGP collector's View long
// after it was taken (a partitioned collector's replay) dates the site's
// routing change, and the site state it causes, at the View's time; a
// View dated ahead of this central's clock is dated now.
func TestRoutingDatedByView(t *testing.T) {
	inv := loadInventory(t, "small.json")
	for i := range inv.Sites {
		inv.Sites[i].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0." + itoa(i) + ".0/24")}
	}
	h := newHarnessInv(t, inv, Options{Distributed: true})
	h.round()
	h.round()
	viewAt := h.now.Add(-30 * time.Second) // after S1 became nominal, a round ago
	h.topo.RecordRoutingAt([]bgp.SiteRouting{verdict("S1", bgp.RoutingUnrouted)}, viewAt)
	h.sync()
	var routing, state *Event
	for _, e := range h.topo.Events(time.Time{}, 1000) {
		switch {
		case e.Kind == EventSiteRouting && e.Subject == "S1":
			routing = &e
		case e.Kind == EventSiteState && e.Subject == "S1" && e.To == SiteIsolated:
			state = &e
		}
	}
	if routing == nil || !routing.Time.Equal(viewAt) {
		t.Errorf("S1's site_routing event %+v, want one dated at the View, %v", routing, viewAt)
	}
	if state == nil || !state.Time.Equal(viewAt) {
		t.Errorf("S1's site_state event to isolated %+v, want one dated at the View, %v", state, viewAt)
	}

	ahead := h.now.Add(time.Hour)
	h.topo.RecordRoutingAt([]bgp.SiteRouting{verdict("S1", bgp.RoutingRouted)}, ahead)
	h.sync()
	evs := h.eventsOf(EventSiteRouting)
	if e := evs[len(evs)-1]; e.To != string(bgp.RoutingRouted) || !e.Time.Equal(h.now) {
		t.Errorf("a View ahead of the clock: %+v, want routed dated now %v", e, h.now)
	}
}
