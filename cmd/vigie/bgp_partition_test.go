package main

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/gobgpdtest"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// TestBGPCollectorPartitioned: the collector running the BGP sessions
// (bgp: true, two gobgpd route reflectors) is cut from NATS by a TCP proxy
// while it keeps its sessions. The central loses it (BGP unobserved);
// meanwhile rr-2's session goes down at the collector, which unroutes the
// last site (only rr-2 sent its prefix). Reconnected, the collector
// replays its queued views in order: the central records rr-2's
// bgp_peer_down and the site's routed -> unrouted change once each, dated
// during the cut (when the collector saw them), not at the replay, and
// ends on the collector's latest view (rr-2 down, the site unrouted) with
// no change back. rr-2 back after the replay, the site is routed again.
func TestBGPCollectorPartitioned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server, two gobgpd and two vigie processes")
	}
	gobgpdtest.Require(t)
	f := newDistFleet(t, 6, 31, natstest.Options{})
	rrs, peers, last := startReflectors(t, f)
	for i := range peers {
		peers[i].LocalAddress = netip.MustParseAddr("127.0.0.2")
	}
	bgpColl := f.bgpAtCollectorOf("rr-1")
	f.inv.BGP = inventory.BGP{LocalAS: reflectorAS, RouterID: netip.MustParseAddr("127.0.0.2"), RouteSettle: 3 * time.Second, Peers: peers}
	f.config = writeConfig(t, t.TempDir(), f.inv)

	central, url := f.run(t, "central-a")
	base := strings.TrimSuffix(url, "/metrics")
	proxy := startCutProxy(t, strings.TrimPrefix(f.nats.URL(), "nats://"))
	coll, _ := f.collect(t, bgpColl, "--observations.heartbeat", "1s", "--observations", proxy.URL())

	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 { return gaugeIn(m, family, labels...) }
	session := func(i int) float64 { return gauge("vigie_bgp_session_up", fmt.Sprintf("peer=%q", reflectorAddrs[i])) }
	routed := func() float64 { return gauge("vigie_site_routed", fmt.Sprintf("site=%q", last.ID)) }
	central.waitFor(60*time.Second, "both sessions up at the central, "+last.ID+" routed", func() bool {
		m = scrape(url)
		return session(0) == 1 && session(1) == 1 && routed() == 1
	})

	cutAt := time.Now()
	proxy.Cut()
	central.waitFor(30*time.Second, "the BGP collector lost, BGP unobserved at the central", func() bool {
		m = scrape(url)
		_, bgpSeries := m["vigie_bgp_session_up"]
		return gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", bgpColl)) == 0 && !bgpSeries
	})
	rrs[1].MustCLI("neighbor", "127.0.0.2", "disable")
	coll.waitFor(30*time.Second, "the collector sees rr-2's session go down", func() bool {
		return strings.Contains(coll.logs(), "(127.0.0.72) went down")
	})
	// The route settle, then the view carrying the site's new verdict
	// (published at most bgpUrgentGap after it), queued; with a margin for
	// a loaded machine, as the collector shows no sign of it (no vigie_bgp_*
	// series of its own).
	time.Sleep(f.inv.BGP.RouteSettle + 2*bgpUrgentGap + 5*time.Second)
	restoreAt := time.Now()
	proxy.Restore()
	central.waitFor(60*time.Second, "the collector heard again, its views replayed: rr-2 down, "+last.ID+" unrouted", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", bgpColl)) == 1 &&
			session(0) == 1 && session(1) == 0 && routed() == 0
	})

	evs := centralEvents(t, base)
	var peerDown, unrouted, back []topology.Event
	for _, e := range evs {
		switch {
		case e.Kind == "bgp_peer_down" && strings.HasSuffix(e.Subject, "/"+reflectorAddrs[1]):
			peerDown = append(peerDown, e)
		case e.Kind == topology.EventSiteRouting && e.Subject == last.ID && e.To == "unrouted":
			unrouted = append(unrouted, e)
		case e.Kind == topology.EventSiteRouting && e.Subject == last.ID:
			back = append(back, e)
		}
	}
	during := func(what string, es []topology.Event) {
		t.Helper()
		if len(es) != 1 {
			t.Errorf("%d %s events, want 1 (replayed once, in order): %+v", len(es), what, es)
			return
		}
		if e := es[0]; e.Time.Before(cutAt) || !e.Time.Before(restoreAt) {
			t.Errorf("%s dated %v, want during the cut (%v to %v), when the collector saw it, not at the replay",
				what, e.Time.Format(time.RFC3339Nano), cutAt.Format(time.RFC3339Nano), restoreAt.Format(time.RFC3339Nano))
		}
	}
	during("bgp_peer_down of rr-2", peerDown)
	during("site_routing of "+last.ID+" to unrouted", unrouted)
	if len(back) != 0 {
		t.Errorf("the replay changed %s's routing back: %+v", last.ID, back)
	}
	if len(peerDown) == 1 && len(unrouted) == 1 && unrouted[0].Time.Before(peerDown[0].Time) {
		t.Errorf("%s unrouted (%v) before rr-2's session went down (%v)", last.ID, unrouted[0].Time, peerDown[0].Time)
	}

	// The latest view stays: rr-2 back live, the site is routed again.
	rrs[1].MustCLI("neighbor", "127.0.0.2", "enable")
	central.waitFor(60*time.Second, "rr-2 back, "+last.ID+" routed again", func() bool {
		m = scrape(url)
		return session(1) == 1 && routed() == 1
	})
}
