package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
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

// partitionCut is how long the overseas collector is cut from NATS: the
// issue asks for 2 minutes; 20 s keeps the test short and is already ten
// heartbeat periods and four poll intervals.
const partitionCut = 20 * time.Second

// TestPartitionedCollector: the overseas collector cut from NATS by a TCP
// proxy (the cable) while it still polls its devices. During the cut the
// central counts it lost and its sites unobserved, and no site pages. Once
// the link is back the collector replays what it queued: the central
// reports it "partitioned from the centre, alive locally" (one
// collector_partitioned event, vigie_observations_collector_partitioned_devices
// = every device it polls), the availability report of the overseas sites
// shows no unobserved time for the cut (it was rewritten with the nominal
// state the replayed polls gave), and no event is recorded twice.
func TestPartitionedCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and four vigie processes")
	}
	f := newDistFleet(t, 30, 23, natstest.Options{})
	proxy := startCutProxy(t, strings.TrimPrefix(f.nats.URL(), "nats://"))
	port := freeport.TCP(t)
	central, url := f.runOn(t, "central-a", port, filepath.Join(t.TempDir(), "vigie.db"))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for _, n := range []string{"mainland-a", "mainland-b"} {
		f.collect(t, n, "--observations.heartbeat", "1s")
	}
	_, overseasURL := f.collect(t, "overseas", "--observations.heartbeat", "1s", "--observations", proxy.URL())
	share := f.inv.Share("overseas")
	var overseas []string
	for _, s := range f.inv.Sites {
		if s.Overseas {
			overseas = append(overseas, s.ID)
		}
	}
	if len(overseas) == 0 || len(share.Devices) == 0 {
		t.Fatalf("the simulated RIE has %d overseas sites, %d overseas devices", len(overseas), len(share.Devices))
	}
	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 {
		v, ok := seriesWith(m, family, labels...)
		if !ok {
			return -1
		}
		return v
	}
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
	central.waitFor(partitionCut, "the overseas collector lost, its sites unobserved", func() bool {
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
	time.Sleep(time.Until(cutAt.Add(partitionCut)))
	cm := scrape(overseasURL)
	if v, _ := seriesWith(cm, "vigie_observations_nats_connected"); v != 0 {
		t.Errorf("the overseas collector says it is connected to NATS through a cut proxy")
	}
	if v, _ := seriesWith(cm, "vigie_observations_queued"); v == 0 {
		t.Errorf("the overseas collector queued nothing during the cut: it should go on polling")
	}

	proxy.Restore()
	central.waitFor(60*time.Second, "the overseas collector's replay done, reported partitioned, every site nominal", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 1 &&
			gauge("vigie_observations_collector_partitioned_devices", `collector="overseas"`) == float64(len(share.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites))
	})
	if v, _ := seriesWith(scrape(overseasURL), "vigie_observations_dropped_total"); v != 0 {
		t.Errorf("the overseas collector dropped %v observations", v)
	}
	time.Sleep(1500 * time.Millisecond) // one flush of the store (1 s)
	end := time.Now().Add(-time.Second).Truncate(time.Second)
	from := began.Add(time.Second).Truncate(time.Second)

	body, ok := httpGet(base + "/api/v1/events?limit=1000")
	if !ok {
		t.Fatal("no events from the central")
	}
	var evs struct{ Events []topology.Event }
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		t.Fatal(err)
	}
	partitions, seen := 0, map[topology.Event]bool{}
	for _, e := range evs.Events {
		if seen[e] {
			t.Errorf("event recorded twice: %+v", e)
		}
		seen[e] = true
		if e.Kind == topology.EventCollectorPartitioned {
			partitions++
			if e.Subject != "collector:overseas" || !strings.Contains(e.Detail, fmt.Sprintf("%d sites", len(overseas))) {
				t.Errorf("partition event %+v: want subject collector:overseas and %d sites rewritten", e, len(overseas))
			}
		}
	}
	if t.Failed() {
		t.Logf("central's logs:\n%s", central.logs())
	}
	if partitions != 1 {
		t.Errorf("%d collector_partitioned events, want 1\n%s", partitions, body)
	}

	q := fmt.Sprintf("from=%s&to=%s&by=site&format=json", from.Format(time.RFC3339), end.Format(time.RFC3339))
	resp, err := http.Get(base + "/api/v1/reports/availability?" + q)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep availability.Report
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &rep) != nil {
		t.Fatalf("GET /api/v1/reports/availability: %d %s", resp.StatusCode, raw)
	}
	window := end.Sub(from).Minutes()
	for _, id := range overseas {
		r := rowOf(t, rep, id)
		// One second of slack: intervals have one-second resolution.
		if r.UnobservedMinutes > 1.0/60 || r.Availability == nil || *r.Availability != 100 || r.NominalMinutes < window-1.0/60 {
			t.Errorf("site %s over %s..%s (the cut included): %.2f min unobserved, %.2f nominal of %.2f, availability %v: the cut was not rewritten from the replayed polls",
				id, from.Format(time.TimeOnly), end.Format(time.TimeOnly), r.UnobservedMinutes, r.NominalMinutes, window, r.Availability)
		}
	}
}
