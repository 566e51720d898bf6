package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/topology"
)

// leafCut is how long the leaf node is cut from the hub in
// TestLeafNodeCollector: TestPartitionedCollector holds the two
// minutes; here what matters is where the buffer is.
const leafCut = 30 * time.Second

// TestLeafNodeCollector is the overseas deployment of docs/distributed.md:
// the territory runs a nats-server leaf node with its own JetStream domain,
// its collector publishes there (jetstream_domain: reunion), and the
// centrals' stream on the hub sources the leaf's, from the SIGHUP that gives
// the running central the inventory naming the leaf. The leaf's link to the
// hub goes through a TCP proxy, the cable. While it is cut the collector
// goes on publishing, acknowledged by its leaf (nothing queued in its
// memory), an overseas site's only fibre is cut, and the collector itself
// is killed and restarted: what it published before the kill is on the
// leaf's disk, not in the dead process. Once the cable is back the hub
// sources what the leaf kept: the central reports the collector
// partitioned, alive locally, the fibre's link_down and the site's
// isolation dated by the polls that saw them during the cut, and no
// overseas site without observation over the cut.
func TestLeafNodeCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs two nats-server and four vigie processes")
	}
	t.Parallel()
	// The hub advertises the proxy as its leaf node address, as a hub
	// behind NAT advertises its public one: a leaf that learnt the hub's
	// own port would reconnect around the cut.
	leafPort := freeport.TCP(t)
	cable := startCutProxy(t, fmt.Sprintf("127.0.0.1:%d", leafPort))
	f := newDistFleet(t, 30, 29, natstest.Options{Domain: "hub",
		Config: fmt.Sprintf("leafnodes {\n  listen: \"127.0.0.1:%d\"\n  advertise: %q\n}", leafPort, cable.ln.Addr().String())})
	// The central starts on the inventory of before the leaf node, the
	// collectors on the one that names it.
	centralConfig := f.config
	for i := range f.inv.Collectors {
		if f.inv.Collectors[i].Name == "overseas" {
			f.inv.Collectors[i].JetStreamDomain = "reunion"
		}
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)
	// The leaf node's configuration, as docs/distributed.md gives it.
	leaf := natstest.Start(t, natstest.Options{Domain: "reunion", Config: fmt.Sprintf(`leafnodes {
  reconnect: 1
  remotes: [{url: "nats-leaf://%s", deny_exports: ["vigie.obs.overseas.>"]}]
}`, cable.ln.Addr())})

	port := freeport.TCP(t)
	f.config, centralConfig = centralConfig, f.config
	central, url := f.runOn(t, "central-a", port, filepath.Join(t.TempDir(), "vigie.db"))
	f.config, centralConfig = centralConfig, f.config
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for _, n := range []string{"mainland-a", "mainland-b"} {
		f.collect(t, n, "--observations.heartbeat", "1s")
	}
	overseasArgs := []string{"--observations.heartbeat", "1s", "--observations", leaf.URL()}
	collector, overseasURL := f.collect(t, "overseas", overseasArgs...)
	share, overseas, fibre := f.overseas(t)
	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 { return gaugeIn(m, family, labels...) }
	// The leaf node declared to the running central: a SIGHUP, and its
	// stream sources the leaf's.
	central.waitFor(30*time.Second, "the mainland collectors heard", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="mainland-a"`) == 1 &&
			gauge("vigie_observations_collector_up", `collector="mainland-b"`) == 1
	})
	if v := gauge("vigie_observations_collector_up", `collector="overseas"`); v == 1 {
		t.Errorf("the central hears the overseas collector before it sources the leaf node: the test proves nothing")
	}
	declared, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(centralConfig, declared, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := central.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	central.waitFor(60*time.Second, "every device reachable through the hub and the leaf, every site nominal", func() bool {
		m = scrape(url)
		return gauge("vigie_topology_devices", `state="reachable"`) == float64(len(f.inv.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)) &&
			gauge("vigie_observations_collector_up", `collector="overseas"`) == 1
	})
	began := time.Now()

	cable.Cut()
	cutAt := time.Now()
	central.waitFor(30*time.Second, "the overseas collector lost behind the cut cable, its sites unobserved", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 0 &&
			gauge("vigie_sites", `state="unobserved"`) == float64(len(overseas))
	})
	// A poll of the fibre's ends inside the cut first (every 5 s), so
	// that the leaf holds the site nominal, then isolated.
	time.Sleep(6 * time.Second)
	link := "link:" + fibre.Access[0].Router + "--" + fibre.Access[0].Device
	if _, err := f.agent.Cut(link); err != nil {
		t.Fatal(err)
	}
	fibreCut := time.Now()
	// The collector publishes to its leaf, which acknowledges: nothing
	// waits in the collector's memory.
	var published float64
	collector.waitFor(20*time.Second, "the overseas collector publishing to its leaf during the cut, nothing queued", func() bool {
		cm := scrape(overseasURL)
		connected, _ := seriesWith(cm, "vigie_observations_nats_connected")
		queued, _ := seriesWith(cm, "vigie_observations_queued")
		published, _ = seriesWith(cm, "vigie_observations_published_total")
		return connected == 1 && queued == 0 && published > float64(len(share.Devices))
	})
	// Two poll intervals (5 s) after the fibre's cut the polls that saw it
	// are on the leaf's disk; the collector dies and starts again.
	time.Sleep(time.Until(fibreCut.Add(11 * time.Second)))
	if err := collector.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = collector.cmd.Process.Wait()
	f.collect(t, "overseas", overseasArgs...)
	time.Sleep(time.Until(cutAt.Add(leafCut)))
	if v, ok := seriesWith(scrape(url), "vigie_site_isolated", fmt.Sprintf("site=%q", fibre.ID)); ok && v != 0 {
		t.Errorf("%s isolated on the central before the cable is back: it cannot know yet", fibre.ID)
	}

	cable.Restore()
	restored := time.Now()
	central.waitFor(60*time.Second, "the leaf's observations sourced, the collector reported partitioned, "+fibre.ID+" isolated, the other sites nominal", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 1 &&
			gauge("vigie_observations_collector_partitioned_devices", `collector="overseas"`) == float64(len(share.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)-1) &&
			gauge("vigie_site_isolated", fmt.Sprintf("site=%q", fibre.ID)) == 1
	})
	time.Sleep(1500 * time.Millisecond) // one flush of the store (1 s)
	end := time.Now().Add(-time.Second).Truncate(time.Second)
	from := began.Add(time.Second).Truncate(time.Second)

	evs := centralEvents(t, base)
	linkDown := false
	for _, e := range evs {
		if e.Kind == topology.EventLinkDown && strings.Contains(e.Subject, fibre.Access[0].Router) {
			linkDown = true
			if e.Time.Before(fibreCut) || !e.Time.Before(restored) {
				t.Errorf("%+v: the fibre's link_down must be dated by the poll the leaf kept, between its cut at %s and the cable's return at %s",
					e, fibreCut.Format(time.StampMilli), restored.Format(time.StampMilli))
			}
		}
	}
	if !linkDown {
		t.Errorf("no link_down event of %s's fibre once the leaf's observations came in", fibre.ID)
	}
	isolated := siteChange(t, evs, fibre.ID, topology.SiteNominal, topology.SiteIsolated)
	if isolated.Time.Before(fibreCut) || isolated.Time.After(fibreCut.Add(11*time.Second)) {
		t.Errorf("%+v: %s's isolation dated %s, want by the poll that saw it, within 11 s of the fibre's cut at %s (the cable came back at %s)",
			isolated, fibre.ID, isolated.Time.Format(time.StampMilli), fibreCut.Format(time.StampMilli), restored.Format(time.StampMilli))
	}
	rep := availabilityReport(t, base, from, end)
	const second = 1.0 / 60
	for _, id := range overseas {
		if r := rowOf(t, rep, id); r.UnobservedMinutes > second {
			t.Errorf("site %s over %s..%s: %.2f min unobserved: the leaf's observations did not fill the cut", id,
				from.Format(time.TimeOnly), end.Format(time.TimeOnly), r.UnobservedMinutes)
		}
	}
	if t.Failed() {
		t.Logf("central's logs:\n%s\nleaf's log:\n%s", central.logs(), leaf.Logs())
	}
}
