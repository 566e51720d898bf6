package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/availability"
)

// cutProxy is a TCP proxy on loopback between a collector and nats-server
// that the test cuts (every connection closed, new ones refused at once)
// and restores: the cable to an overseas territory.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	return p
}

func (p *cutProxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for { // ends when the listener is closed
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(s, c)
		go pipe(c, s)
	}
}

// Cut closes every proxied connection and refuses new ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore lets connections through again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// overseas returns the overseas collector's share, the overseas sites and
// one of them with a single access through a router (a fibre to cut).
func (f *distFleet) overseas(t *testing.T) (share *inventory.Inventory, ids []string, fibre *inventory.Site) {
	t.Helper()
	share = f.inv.Share("overseas")
	for i, s := range f.inv.Sites {
		if !s.Overseas {
			continue
		}
		ids = append(ids, s.ID)
		if fibre == nil && len(s.Access) == 1 && s.Access[0].Router != "" {
			fibre = &f.inv.Sites[i]
		}
	}
	if len(ids) == 0 || len(share.Devices) == 0 || fibre == nil {
		t.Fatalf("the simulated RIE has %d overseas sites (single-homed: %v), %d overseas devices", len(ids), fibre != nil, len(share.Devices))
	}
	return share, ids, fibre
}

// partitionCut is how long the overseas collector is cut from NATS: the
// issue's 2 minutes (24 poll intervals of the test fleet, 120 heartbeats).
const partitionCut = 2 * time.Minute

// centralEvents returns the events base serves (up to 1,000).
func centralEvents(t *testing.T, base string) []topology.Event {
	t.Helper()
	body, ok := httpGet(base + "/api/v1/events?limit=1000")
	if !ok {
		t.Fatalf("no events from %s", base)
	}
	var evs struct{ Events []topology.Event }
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		t.Fatal(err)
	}
	return evs.Events
}

// availabilityReport returns base's availability report by site over
// [from, to].
func availabilityReport(t *testing.T, base string, from, to time.Time) availability.Report {
	t.Helper()
	q := fmt.Sprintf("from=%s&to=%s&by=site&format=json", from.Format(time.RFC3339), to.Format(time.RFC3339))
	resp, err := http.Get(base + "/api/v1/reports/availability?" + q)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep availability.Report
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &rep) != nil {
		t.Fatalf("GET %s/api/v1/reports/availability: %d %s", base, resp.StatusCode, raw)
	}
	return rep
}

// siteChange returns the site_state event of site from one state to
// another, or fails.
func siteChange(t *testing.T, evs []topology.Event, site, from, to string) topology.Event {
	t.Helper()
	for _, e := range evs {
		if e.Kind == topology.EventSiteState && e.Subject == site && e.From == from && e.To == to {
			return e
		}
	}
	t.Fatalf("no site_state event of %s from %s to %s in %+v", site, from, to, evs)
	return topology.Event{}
}

// TestPartitionedCollector: the overseas collector cut from NATS by a TCP
// proxy (the cable) for the 2 minutes while it still polls its
// devices; in the middle of the cut an overseas site's only access fibre
// is cut too. During the cut the central counts the collector lost and its
// sites unobserved, and no site pages. Once the link is back the collector
// replays what it queued: the central reports it "partitioned from the
// centre, alive locally" (one collector_partitioned event,
// vigie_observations_collector_partitioned_devices = every device it
// polls). Its history has no gap and follows the replayed polls: the
// fibre's link_down and the site's isolation are dated when the polls saw
// them, in the middle of the cut, not at the replay; the availability
// report shows no unobserved time for the overseas sites over a window
// that holds the cut, the cut site nominal then isolated from its poll
// time; no event is recorded twice.
func TestPartitionedCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and four vigie processes")
	}
	t.Parallel() // mostly waiting out the cut (docs/distributed.md)
	f := newDistFleet(t, 30, 23, natstest.Options{})
	proxy := startCutProxy(t, strings.TrimPrefix(f.nats.URL(), "nats://"))
	port := freeport.TCP(t)
	central, url := f.runOn(t, "central-a", port, filepath.Join(t.TempDir(), "vigie.db"))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for _, n := range []string{"mainland-a", "mainland-b"} {
		f.collect(t, n, "--observations.heartbeat", "1s")
	}
	_, overseasURL := f.collect(t, "overseas", "--observations.heartbeat", "1s", "--observations", proxy.URL())
	share, overseas, fibre := f.overseas(t)
	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 { return gaugeIn(m, family, labels...) }
	// Every device polled (a site is nominal before its first poll, but
	// observed only after it).
	central.waitFor(60*time.Second, "every device reachable, every site nominal, every collector up", func() bool {
		m = scrape(url)
		return gauge("vigie_topology_devices", `state="reachable"`) == float64(len(f.inv.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)) &&
			gauge("vigie_observations_collector_up", `collector="overseas"`) == 1
	})
	began := time.Now()

	proxy.Cut()
	cutAt := time.Now()
	central.waitFor(30*time.Second, "the overseas collector lost, its sites unobserved", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 0 &&
			gauge("vigie_sites", `state="unobserved"`) == float64(len(overseas))
	})
	for labels, v := range m["vigie_site_isolated"] {
		if v != 0 {
			t.Errorf("vigie_site_isolated{%s} = 1 during the cut: a partitioned collector must not page for sites", labels)
		}
	}
	if v := gauge("vigie_observations_collector_partitioned_devices", `collector="overseas"`); v > 0 {
		t.Errorf("partitioned devices = %v before the replay: the central cannot know yet", v)
	}
	time.Sleep(time.Until(cutAt.Add(partitionCut / 2)))
	link := "link:" + fibre.Access[0].Router + "--" + fibre.Access[0].Device
	if _, err := f.agent.Cut(link); err != nil {
		t.Fatal(err)
	}
	fibreCut := time.Now()
	time.Sleep(time.Until(cutAt.Add(partitionCut)))
	cm := scrape(overseasURL)
	if v, _ := seriesWith(cm, "vigie_observations_nats_connected"); v != 0 {
		t.Errorf("the overseas collector says it is connected to NATS through a cut proxy")
	}
	if v, _ := seriesWith(cm, "vigie_observations_queued"); v == 0 {
		t.Errorf("the overseas collector queued nothing during the cut: it should go on polling")
	}
	if v, ok := seriesWith(scrape(url), "vigie_site_isolated", fmt.Sprintf("site=%q", fibre.ID)); ok && v != 0 {
		t.Errorf("%s isolated on the central before the replay: it cannot know yet", fibre.ID)
	}

	proxy.Restore()
	restored := time.Now()
	central.waitFor(60*time.Second, "the overseas collector's replay done, reported partitioned, "+fibre.ID+" isolated, the other sites nominal", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 1 &&
			gauge("vigie_observations_collector_partitioned_devices", `collector="overseas"`) == float64(len(share.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)-1) &&
			gauge("vigie_site_isolated", fmt.Sprintf("site=%q", fibre.ID)) == 1
	})
	if v, _ := seriesWith(scrape(overseasURL), "vigie_observations_dropped_total"); v != 0 {
		t.Errorf("the overseas collector dropped %v observations", v)
	}
	time.Sleep(1500 * time.Millisecond) // one flush of the store (1 s)
	end := time.Now().Add(-time.Second).Truncate(time.Second)
	from := began.Add(time.Second).Truncate(time.Second)

	evs := centralEvents(t, base)
	partitions, seen := 0, map[topology.Event]bool{}
	linkDown := false
	for _, e := range evs {
		if seen[e] {
			t.Errorf("event recorded twice: %+v", e)
		}
		seen[e] = true
		switch {
		case e.Kind == topology.EventCollectorPartitioned:
			partitions++
			if e.Subject != "collector:overseas" || !strings.Contains(e.Detail, fmt.Sprintf("%d sites", len(overseas))) {
				t.Errorf("partition event %+v: want subject collector:overseas and %d sites rewritten", e, len(overseas))
			}
		case e.Kind == topology.EventLinkDown && strings.Contains(e.Subject, fibre.Access[0].Router):
			linkDown = true
			if e.Time.Before(fibreCut) || !e.Time.Before(restored) {
				t.Errorf("%+v: the fibre's link_down must be dated by the buffered poll that saw it, between its cut at %s and the replay at %s",
					e, fibreCut.Format(time.StampMilli), restored.Format(time.StampMilli))
			}
		}
	}
	if !linkDown {
		t.Errorf("no link_down event of %s's fibre after the replay", fibre.ID)
	}
	// The replayed events arrived after newer live ones; they are served in
	// time order all the same.
	for i := 1; i < len(evs); i++ {
		if evs[i].Time.Before(evs[i-1].Time) {
			t.Errorf("/api/v1/events not in time order: %+v before %+v", evs[i-1], evs[i])
			break
		}
	}
	// Seen within two poll intervals of the fibre's cut (both ends are
	// polled every 5 s), a minute before the replay.
	isolated := siteChange(t, evs, fibre.ID, topology.SiteNominal, topology.SiteIsolated)
	if isolated.Time.Before(fibreCut) || isolated.Time.After(fibreCut.Add(11*time.Second)) {
		t.Errorf("%+v: %s's isolation dated %s, want by the replayed poll that saw it, within 11 s of the fibre's cut at %s (the replay was at %s)",
			isolated, fibre.ID, isolated.Time.Format(time.StampMilli), fibreCut.Format(time.StampMilli), restored.Format(time.StampMilli))
	}
	if t.Failed() {
		t.Logf("central's logs:\n%s", central.logs())
	}
	if partitions != 1 {
		t.Errorf("%d collector_partitioned events, want 1\n%+v", partitions, evs)
	}

	rep := availabilityReport(t, base, from, end)
	window := end.Sub(from).Minutes()
	const second = 1.0 / 60 // intervals have one-second resolution
	for _, id := range overseas {
		r := rowOf(t, rep, id)
		if id == fibre.ID {
			up := isolated.Time.Sub(from).Minutes()
			if r.UnobservedMinutes > second || math.Abs(r.NominalMinutes-up) > second ||
				math.Abs(r.IsolatedMinutes-(window-up)) > 2*second || r.Incidents != 1 {
				t.Errorf("site %s over %s..%s (the cut included): %.2f min unobserved, %.2f nominal, %.2f isolated in %d incidents; want none, %.2f, %.2f in 1: up, then down from the replayed poll that saw its fibre cut",
					id, from.Format(time.TimeOnly), end.Format(time.TimeOnly), r.UnobservedMinutes, r.NominalMinutes, r.IsolatedMinutes, r.Incidents, up, window-up)
			}
			continue
		}
		if r.UnobservedMinutes > second || r.Availability == nil || *r.Availability != 100 || r.NominalMinutes < window-second {
			t.Errorf("site %s over %s..%s (the cut included): %.2f min unobserved, %.2f nominal of %.2f, availability %v: the cut was not rewritten from the replayed polls",
				id, from.Format(time.TimeOnly), end.Format(time.TimeOnly), r.UnobservedMinutes, r.NominalMinutes, window, r.Availability)
		}
	}
}

// sameSiteHistory checks that central b, restarted after it missed what
// central a saw since killed, has the same site history once it has
// replayed it: every site_state event a recorded after killed, at a's
// time within the debounce (1 s: both date a change by the poll that
// showed it), and the same availability over a window from 10 s after the
// kill (the restarted central counts a site observed again with its first
// replayed poll, at most a poll interval after the replay's start).
func sameSiteHistory(t *testing.T, a, b string, killed time.Time) {
	t.Helper()
	aEvs, bEvs := centralEvents(t, a), centralEvents(t, b)
	n := 0
	for _, e := range aEvs {
		if e.Kind != topology.EventSiteState || !e.Time.After(killed) {
			continue
		}
		n++
		var near []string
		found := false
		for _, g := range bEvs {
			if g.Kind == e.Kind && g.Subject == e.Subject && g.From == e.From && g.To == e.To {
				if d := g.Time.Sub(e.Time).Abs(); d <= time.Second {
					found = true
					break
				}
				near = append(near, g.Time.Format(time.StampMilli))
			}
		}
		if !found {
			t.Errorf("central-b lacks %s %s %s->%s at %s (central-a's time, within 1 s); it has it at %v",
				e.Kind, e.Subject, e.From, e.To, e.Time.Format(time.StampMilli), near)
		}
	}
	if n == 0 {
		t.Errorf("central-a recorded no site_state event after the kill: %+v", aEvs)
	}
	from, to := killed.Add(10*time.Second).Truncate(time.Second).Add(time.Second), time.Now().Add(-time.Second).Truncate(time.Second)
	ra, rb := availabilityReport(t, a, from, to), availabilityReport(t, b, from, to)
	const second = 1.0 / 60
	for _, x := range ra.Groups {
		y := rowOf(t, rb, x.Group)
		if x.UnobservedMinutes > second || y.UnobservedMinutes > second || math.Abs(x.NominalMinutes-y.NominalMinutes) > second ||
			math.Abs(x.DegradedMinutes-y.DegradedMinutes) > second || math.Abs(x.IsolatedMinutes-y.IsolatedMinutes) > second {
			t.Errorf("site %s over %s..%s: central-a %.3f min nominal, %.3f degraded, %.3f isolated, %.3f unobserved; central-b %.3f, %.3f, %.3f, %.3f",
				x.Group, from.Format(time.TimeOnly), to.Format(time.TimeOnly), x.NominalMinutes, x.DegradedMinutes, x.IsolatedMinutes, x.UnobservedMinutes,
				y.NominalMinutes, y.DegradedMinutes, y.IsolatedMinutes, y.UnobservedMinutes)
		}
	}
}
