package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology"
)

// distFleet is a simulated RIE split between three regional collectors:
// the overseas regions to "overseas", the mainland ones alternately to
// "mainland-a" and "mainland-b".
type distFleet struct {
	inv    *inventory.Inventory
	agent  *snmpagent.Agent
	config string
	nats   *natstest.Server
	bin    string
}

var distCollectors = []string{"mainland-a", "mainland-b", "overseas"}

func newDistFleet(t *testing.T, sites int, seed uint64, natsOpts natstest.Options) *distFleet {
	t.Helper()
	f := &distFleet{bin: buildVigie(t), nats: natstest.Start(t, natsOpts)}
	f.inv = fastInventory(sites, seed)
	f.agent = simtest.Serve(t, f.inv, snmpagent.Options{Seed: seed})
	shares := map[string]*inventory.CollectorShare{}
	for _, n := range distCollectors {
		shares[n] = &inventory.CollectorShare{Name: n}
	}
	mainland := 0
	for _, r := range f.inv.Regions {
		c := "overseas"
		if !r.Overseas {
			c = distCollectors[mainland%2]
			mainland++
		}
		shares[c].Regions = append(shares[c].Regions, r.ID)
	}
	for _, n := range distCollectors {
		f.inv.Collectors = append(f.inv.Collectors, *shares[n])
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)
	return f
}

// run starts `vigie run` (a central when consumer is not "") and returns
// it with its /metrics URL.
func (f *distFleet) run(t *testing.T, consumer string, extra ...string) (*vigieProc, string) {
	t.Helper()
	return f.runOn(t, consumer, freeport.TCP(t), "-", extra...)
}

// runOn starts `vigie run` on port with store db.
func (f *distFleet) runOn(t *testing.T, consumer string, port int, db string, extra ...string) (*vigieProc, string) {
	t.Helper()
	args := []string{"run", "--config", f.config, "--db", db, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port)}
	if consumer != "" {
		args = append(args, "--observations", f.nats.URL(), "--observations.consumer", consumer)
	}
	args = append(args, extra...)
	var logs logbuf.Buffer
	p := startVigie(t, f.bin, "", simEnv(), &logs, &logs, logs.String, args...)
	return p, fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
}

// collect starts `vigie collect --collector name` and returns it with
// its /metrics URL.
func (f *distFleet) collect(t *testing.T, name string, extra ...string) (*vigieProc, string) {
	t.Helper()
	port := freeport.TCP(t)
	var logs logbuf.Buffer
	args := append([]string{"collect", "--config", f.config, "--collector", name, "--observations", f.nats.URL(),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port)}, extra...)
	p := startVigie(t, f.bin, "", simEnv(), &logs, &logs, logs.String, args...)
	return p, fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
}

// siteView is what the NOC reads of every site and device: the families
// that must not depend on where the polling happens. Times (since,
// timestamps) and poll durations do.
func siteView(m map[string]map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for fam, series := range m {
		keep := strings.HasPrefix(fam, "vigie_site_") || fam == "vigie_sites" || fam == "vigie_region_sites" ||
			fam == "vigie_device_up" || fam == "vigie_device_info" || fam == "vigie_device_lldp_neighbors" ||
			fam == "vigie_device_reboots_total" || fam == "vigie_interface_up" || fam == "vigie_transoceanic_link_up"
		if !keep || strings.HasSuffix(fam, "_since_seconds") || strings.HasSuffix(fam, "_timestamp_seconds") {
			continue
		}
		for labels, v := range series {
			// A central counts unobserved sites, which a single box never
			// has: a zero there says nothing the single box does not.
			if v == 0 && strings.Contains(labels, `state="unobserved"`) {
				continue
			}
			out[fam+"{"+labels+"}"] = v
		}
	}
	return out
}

// viewDiff lists up to 10 differences between two views.
func viewDiff(want, got map[string]float64) []string {
	var d []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != want[k] {
			d = append(d, fmt.Sprintf("%s = %v, want %v", k, g, want[k]))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	sort.Strings(d)
	return d[:min(len(d), 10)]
}

// TestDistributedMatchesSingleBox: three `vigie collect` publish the
// simulated RIE's polls to a real nats-server and a central `vigie run
// --observations` builds its topology from them: its site and device
// series equal those of a single-box `vigie run` polling the same fleet,
// with a site cut off, and each collector shows its publishing on its own
// /metrics.
func TestDistributedMatchesSingleBox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and five vigie processes")
	}
	f := newDistFleet(t, 60, 15, natstest.Options{})
	var site *inventory.Site
	for i := range f.inv.Sites {
		if s := &f.inv.Sites[i]; len(s.Access) == 1 && s.Access[0].Router != "" {
			site = s
			break
		}
	}
	if site == nil {
		t.Fatal("the simulated RIE has no single-homed site")
	}
	central, centralURL := f.run(t, "central-a")
	single, singleURL := f.run(t, "")
	collURLs := map[string]string{}
	for _, n := range distCollectors {
		_, collURLs[n] = f.collect(t, n)
	}
	same := func(what string) {
		t.Helper()
		var diff []string
		var n int
		deadline := time.Now().Add(90 * time.Second)
		for {
			want, got := siteView(scrape(singleURL)), siteView(scrape(centralURL))
			diff, n = viewDiff(want, got), len(want)
			// Every site has its series once the topology is analysed.
			if n > len(f.inv.Sites)*5 && len(diff) == 0 {
				t.Logf("%s: %d site and device series equal", what, n)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the central's site and device series differ from the single box's (%d series) after 90s:\n%s\ncentral's logs:\n%s",
					what, n, strings.Join(diff, "\n"), central.logs())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	same("nominal")
	// Every collector published and is connected; the central heard each.
	m := scrape(centralURL)
	for _, n := range distCollectors {
		cm := scrape(collURLs[n])
		if v, ok := seriesWith(cm, "vigie_observations_published_total"); !ok || v == 0 {
			t.Errorf("collector %s: vigie_observations_published_total = %v", n, v)
		}
		if v, _ := seriesWith(cm, "vigie_observations_nats_connected"); v != 1 {
			t.Errorf("collector %s: vigie_observations_nats_connected = %v, want 1", n, v)
		}
		if v, ok := seriesWith(m, "vigie_observations_received_total", fmt.Sprintf("collector=%q", n), `kind="heartbeat"`); !ok || v == 0 {
			t.Errorf("central: no heartbeat from %s", n)
		}
	}
	if _, ok := m["vigie_collector_devices"]; ok {
		t.Errorf("the central polls (vigie_collector_devices is exposed): it must only consume")
	}
	if _, ok := scrape(collURLs["overseas"])["vigie_collector_devices"]; !ok {
		t.Errorf("collector overseas: no vigie_collector_devices on its /metrics")
	}

	if _, err := f.agent.Cut("link:" + site.Access[0].Router + "--" + site.Access[0].Device); err != nil {
		t.Fatal(err)
	}
	single.waitFor(60*time.Second, site.ID+" isolated on the single box", func() bool {
		v, ok := seriesWith(scrape(singleURL), "vigie_site_isolated", fmt.Sprintf("site=%q", site.ID))
		return ok && v == 1
	})
	same(site.ID + " cut")
}

// singleHomedSite returns a site of inv with one access through a CE router.
func singleHomedSite(t *testing.T, inv *inventory.Inventory) *inventory.Site {
	t.Helper()
	for i := range inv.Sites {
		if s := &inv.Sites[i]; len(s.Access) == 1 && s.Access[0].Router != "" {
			return s
		}
	}
	t.Fatal("the simulated RIE has no single-homed site")
	return nil
}

// sameViews waits until the site and device series of every URL in got
// equal want's, or fails with the first differences.
func sameViews(t *testing.T, what string, sites int, want string, got ...string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		w := siteView(scrape(want))
		var diff []string
		for _, g := range got {
			if d := viewDiff(w, siteView(scrape(g))); len(d) > 0 && len(diff) == 0 {
				diff = append([]string{g + ":"}, d...)
			}
		}
		if len(w) > sites*5 && len(diff) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: series differ from %s's (%d series) after 90s:\n%s", what, want, len(w), strings.Join(diff, "\n"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestCentralHA: two centrals, each with its own durable consumer, serve
// the same site and device series. One killed (SIGKILL) misses a site
// cut off; restarted on its store, it catches up from its durable
// consumer: it shows the site isolated, and every event the other central
// recorded meanwhile, at the same times (no gap), the site's isolation and
// the availability intervals included (sameSiteHistory).
func TestCentralHA(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and five vigie processes")
	}
	t.Parallel() // with the 2-minute partition test, which mostly waits
	f := newDistFleet(t, 30, 16, natstest.Options{})
	site := singleHomedSite(t, f.inv)
	_, aURL := f.runOn(t, "central-a", freeport.TCP(t), filepath.Join(t.TempDir(), "central-a.db")) // a store: its availability
	bPort, bDB := freeport.TCP(t), filepath.Join(t.TempDir(), "central-b.db")
	b, bURL := f.runOn(t, "central-b", bPort, bDB)
	for _, n := range distCollectors {
		f.collect(t, n)
	}
	sameViews(t, "nominal", len(f.inv.Sites), aURL, bURL)

	time.Sleep(3 * time.Second)
	killed := time.Now()
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-b.exited
	if _, err := f.agent.Cut("link:" + site.Access[0].Router + "--" + site.Access[0].Device); err != nil {
		t.Fatal(err)
	}
	isolated := func(url string) bool {
		v, ok := seriesWith(scrape(url), "vigie_site_isolated", fmt.Sprintf("site=%q", site.ID))
		return ok && v == 1
	}
	deadline := time.Now().Add(60 * time.Second)
	for !isolated(aURL) {
		if time.Now().After(deadline) {
			t.Fatalf("central-a: %s not isolated within 60s of its cut", site.ID)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// central-b misses 15 s: dated by its replay, its site changes would
	// fall well after central-a's.
	time.Sleep(time.Until(killed.Add(15 * time.Second)))
	base := strings.TrimSuffix(aURL, "/metrics")
	aEvents, ok := eventKeys(base)
	if !ok {
		t.Fatal("central-a serves no events")
	}
	// The link and device events are dated by the polls that show them:
	// replayed, they must come out at the same times.
	missed := map[string]bool{}
	for k := range aEvents {
		parts := strings.Split(k, "|")
		polled := strings.HasPrefix(k, "link_") || strings.HasPrefix(k, "device_")
		if at, err := time.Parse(time.RFC3339Nano, parts[len(parts)-1]); err == nil && at.After(killed) && polled {
			missed[k] = true
		}
	}
	if len(missed) == 0 {
		t.Fatalf("central-a recorded no link or device event after the cut: %v", aEvents)
	}

	b2, _ := f.runOn(t, "central-b", bPort, bDB)
	b2.waitFor(60*time.Second, "central-b, restarted, shows "+site.ID+" isolated", func() bool { return isolated(bURL) })
	bBase := strings.TrimSuffix(bURL, "/metrics")
	var lacking []string
	b2.waitFor(30*time.Second, "central-b, restarted, has every link and device event central-a recorded while it was down", func() bool {
		got, ok := eventKeys(bBase)
		lacking = missingKeys(missed, got)
		return ok && len(lacking) == 0
	})
	if len(lacking) > 0 {
		t.Errorf("central-b lacks %v", lacking)
	}
	sameViews(t, site.ID+" cut", len(f.inv.Sites), aURL, bURL)
	time.Sleep(1500 * time.Millisecond) // one flush of the stores (1 s)
	sameSiteHistory(t, base, bBase, killed)
}

// TestLostCollector: the overseas collector killed (SIGKILL), the central
// hears nothing from it for two heartbeat periods and counts it lost:
// every device it polls is unobserved (not unreachable), every overseas
// site unobserved (not isolated, so no site pages), the others as they
// were. Restarted, its devices and sites are observed again.
func TestLostCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and four vigie processes")
	}
	t.Parallel() // with the 2-minute partition test, which mostly waits
	f := newDistFleet(t, 30, 17, natstest.Options{})
	_, url := f.run(t, "central-a")
	procs := map[string]*vigieProc{}
	for _, n := range distCollectors {
		procs[n], _ = f.collect(t, n, "--observations.heartbeat", "1s")
	}
	share := f.inv.Share("overseas")
	overseasSites := 0
	for _, s := range f.inv.Sites {
		if s.Overseas {
			overseasSites++
		}
	}
	if overseasSites == 0 || len(share.Devices) == 0 {
		t.Fatalf("the simulated RIE has %d overseas sites, %d overseas devices", overseasSites, len(share.Devices))
	}
	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 { return gaugeIn(m, family, labels...) }
	central := procs["overseas"] // any process: waitFor needs one alive
	central.waitFor(60*time.Second, "every site nominal, every collector up", func() bool {
		m = scrape(url)
		return gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)) &&
			gauge("vigie_sites", `state="unobserved"`) == 0 &&
			gauge("vigie_observations_collector_up", `collector="overseas"`) == 1
	})

	if err := procs["overseas"].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs["overseas"].exited
	mainland := procs["mainland-a"]
	mainland.waitFor(30*time.Second, "the overseas collector lost, its devices and sites unobserved", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 0 &&
			gauge("vigie_topology_devices", `state="unobserved"`) == float64(len(share.Devices)) &&
			gauge("vigie_sites", `state="unobserved"`) == float64(overseasSites)
	})
	if v := gauge("vigie_topology_devices", `state="unreachable"`); v != 0 {
		t.Errorf("%v devices unreachable: a lost collector's devices are unobserved, not down", v)
	}
	for labels, v := range m["vigie_site_isolated"] {
		if v != 0 {
			t.Errorf("vigie_site_isolated{%s} = 1: a lost collector must not page for sites", labels)
		}
	}
	if v := gauge("vigie_sites", `state="nominal"`); v != float64(len(f.inv.Sites)-overseasSites) {
		t.Errorf("%v sites nominal, want the %d mainland ones", v, len(f.inv.Sites)-overseasSites)
	}
	for _, n := range []string{"mainland-a", "mainland-b"} {
		if v := gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", n)); v != 1 {
			t.Errorf("collector %s up = %v, want 1", n, v)
		}
	}

	f.collect(t, "overseas", "--observations.heartbeat", "1s")
	mainland.waitFor(60*time.Second, "the overseas collector back, every site nominal again", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", `collector="overseas"`) == 1 &&
			gauge("vigie_topology_devices", `state="unobserved"`) == 0 &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites))
	})
	// Killed, not partitioned: the restarted collector had nothing queued
	// from the time it was lost (partition_test.go has the other case).
	if v := gauge("vigie_observations_collector_partitioned_devices", `collector="overseas"`); v != 0 {
		t.Errorf("vigie_observations_collector_partitioned_devices{collector=\"overseas\"} = %v after a kill, want 0 (down, not partitioned)", v)
	}
}

// TestSecureCollectors: NATS over TLS with a user and password per
// collector, read from {file:} and {env:} as every secret of vigie is; the
// server's permissions give each collector its own subjects only. The
// central hears all three. A collector's credentials cannot publish on
// another's subjects (the server refuses, the central never sees it),
// while the same message on its own subject reaches the central (and is
// refused there as undecodable). A password given on the command line is
// refused before anything starts.
func TestSecureCollectors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and four vigie processes")
	}
	ca, cert, key := natstest.TLSFiles(t)
	// mainland-b names two witnesses: mainland-a with the subscription to
	// its heartbeats that docs/distributed.md grants, overseas without it
	// until the server's configuration is fixed and reloaded.
	serverConfig := func(overseasWitness bool) string {
		users := fmt.Sprintf(`  {user: central, password: %q, permissions: {publish: [">"], subscribe: [">"]}}`+"\n", "T-central-Pw3x")
		for _, n := range distCollectors {
			sub := `"_INBOX.>"`
			if n == "mainland-a" || n == "overseas" && overseasWitness {
				sub += `, "vigie.obs.mainland-b.hb"`
			}
			users += fmt.Sprintf(`  {user: %q, password: %q, permissions: {publish: {allow: ["vigie.obs.%s.>"]}, subscribe: {allow: [%s]}}}`+"\n", n, "T-"+n+"-Pw", n, sub)
		}
		return fmt.Sprintf("tls {\n  cert_file: %q\n  key_file: %q\n}\nauthorization {\n users = [\n%s ]\n}\n", cert, key, users)
	}
	f := newDistFleet(t, 24, 18, natstest.Options{Config: serverConfig(false)})
	for i := range f.inv.Collectors {
		if f.inv.Collectors[i].Name == "mainland-b" {
			f.inv.Collectors[i].Witnesses = []string{"mainland-a", "overseas"}
		}
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)
	dir := t.TempDir()
	t.Setenv("VIGIE_NATS_PASSWORD", "T-central-Pw3x")
	central, url := f.run(t, "central-a", "--observations.user", "central", "--observations.password", "{env:VIGIE_NATS_PASSWORD}",
		"--observations.tls.ca", ca)
	var coll *vigieProc
	procs, urls := map[string]*vigieProc{}, map[string]string{}
	for _, n := range distCollectors {
		pw := filepath.Join(dir, n+".pw")
		if err := os.WriteFile(pw, []byte("T-"+n+"-Pw\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		coll, urls[n] = f.collect(t, n, "--observations.user", n, "--observations.password", "{file:"+pw+"}", "--observations.tls.ca", ca,
			"--observations.heartbeat", "1s")
		procs[n] = coll
	}
	coll.waitFor(60*time.Second, "every device reachable at the central, over TLS with each collector's credentials", func() bool {
		m := scrape(url)
		v, _ := seriesWith(m, "vigie_topology_devices", `state="reachable"`)
		for _, n := range distCollectors {
			if up, _ := seriesWith(m, "vigie_observations_collector_up", fmt.Sprintf("collector=%q", n)); up != 1 {
				return false
			}
		}
		return v == float64(len(f.inv.Devices))
	})
	_ = central

	// The overseas collector's credentials, on mainland-a's subject.
	assertOwnSubjectOnly(t, f.nats.URL(), url, coll, "credentials", nats.UserInfo("overseas", "T-overseas-Pw"), nats.RootCAs(ca))
	secureWitnesses(t, f, url, procs, urls, func() { f.nats.Reload(serverConfig(true)) })

	// A password on the command line is refused, and not echoed.
	out, err := exec.Command(f.bin, "collect", "--config", f.config, "--collector", "overseas", "--observations", f.nats.URL(),
		"--observations.user", "overseas", "--observations.password", "T-overseas-Pw").CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "{env:NAME} or {file:PATH}") || strings.Contains(string(out), "T-overseas-Pw") {
		t.Errorf("a password on the command line: exit %d, output:\n%s", exitCode(err), out)
	}
}

// TestNATSRestartNothingLost: nats-server stopped while a site is cut
// off; the collectors go on polling and queue their observations; once
// NATS is back they replay them in order, and the central records the
// cut at the time of the poll that saw it, during the outage, with
// nothing dropped.
func TestNATSRestartNothingLost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and four vigie processes")
	}
	t.Parallel() // with the 2-minute partition test, which mostly waits
	f := newDistFleet(t, 24, 19, natstest.Options{})
	site := singleHomedSite(t, f.inv)
	central, url := f.run(t, "central-a")
	collURLs := map[string]string{}
	for _, n := range distCollectors {
		_, collURLs[n] = f.collect(t, n, "--observations.heartbeat", "1s")
	}
	central.waitFor(60*time.Second, "every device reachable at the central", func() bool {
		v, _ := seriesWith(scrape(url), "vigie_topology_devices", `state="reachable"`)
		return v == float64(len(f.inv.Devices))
	})

	f.nats.Stop()
	stopped := time.Now()
	link := "link:" + site.Access[0].Router + "--" + site.Access[0].Device
	if _, err := f.agent.Cut(link); err != nil {
		t.Fatal(err)
	}
	queued := func() float64 {
		var q float64
		for _, u := range collURLs {
			v, _ := seriesWith(scrape(u), "vigie_observations_queued")
			q += v
		}
		return q
	}
	central.waitFor(30*time.Second, "the collectors queue while NATS is down", func() bool { return queued() > 50 })
	f.nats.Start()
	restarted := time.Now()

	central.waitFor(60*time.Second, site.ID+" isolated at the central once NATS is back", func() bool {
		v, ok := seriesWith(scrape(url), "vigie_site_isolated", fmt.Sprintf("site=%q", site.ID))
		return ok && v == 1
	})
	central.waitFor(30*time.Second, "every queue emptied", func() bool { return queued() == 0 })
	body, ok := httpGet(strings.TrimSuffix(url, "/metrics") + "/api/v1/events?limit=1000")
	if !ok {
		t.Fatal("no events from the central")
	}
	var evs struct{ Events []topology.Event }
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		t.Fatal(err)
	}
	var during bool
	for _, e := range evs.Events {
		if e.Kind == topology.EventLinkDown && strings.Contains(e.Subject, site.Access[0].Router) &&
			e.Time.After(stopped) && e.Time.Before(restarted) {
			during = true
		}
	}
	if !during {
		t.Errorf("no link_down event of %s dated during the NATS outage (%s to %s): the buffered polls were not replayed with their time\n%s",
			link, stopped.Format(time.RFC3339Nano), restarted.Format(time.RFC3339Nano), body)
	}
	for n, u := range collURLs {
		if v, _ := seriesWith(scrape(u), "vigie_observations_dropped_total"); v != 0 {
			t.Errorf("collector %s dropped %v observations", n, v)
		}
	}
}

// TestCentralRefusesTraps: a notification triggers a poll, and a central
// polls nothing: `vigie run --observations` with a trap listener stops at
// once with one line saying so, rather than failing on the first trap.
func TestCentralRefusesTraps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs nats-server")
	}
	f := newDistFleet(t, 4, 20, natstest.Options{})
	cmd := exec.Command(f.bin, "run", "--config", f.config, "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t)),
		"--observations", f.nats.URL(), "--snmp.trap-listen-address", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t)))
	cmd.Env = simEnv()
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "--snmp.trap-listen-address and --observations do not go together") {
		t.Errorf("exit %d, output:\n%s", exitCode(err), out)
	}
}

// assertOwnSubjectOnly connects to NATS at natsURL as the overseas
// collector (opts: its credentials, what names them) and checks that the
// server refuses it mainland-a's subject and lets it publish on its own,
// which the central at url counts invalid (garbage) exactly once.
func assertOwnSubjectOnly(t *testing.T, natsURL, url string, coll *vigieProc, what string, opts ...nats.Option) {
	t.Helper()
	opts = append(opts, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})) // the refusal is asserted below
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, observe.PollSubject("mainland-a"), []byte("forged")); err == nil {
		t.Fatalf("the overseas collector's %s published on mainland-a's subject", what)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, err := js.Publish(ctx2, observe.PollSubject("overseas"), []byte("garbage")); err != nil {
		t.Fatalf("the overseas collector's %s cannot publish on its own subject: %v", what, err)
	}
	coll.waitFor(20*time.Second, "the message on the collector's own subject at the central", func() bool {
		v, _ := seriesWith(scrape(url), "vigie_observations_invalid_total")
		return v == 1 // the forged one never arrived: it would make 2
	})
	time.Sleep(time.Second)
	if v, _ := seriesWith(scrape(url), "vigie_observations_invalid_total"); v != 1 {
		t.Errorf("vigie_observations_invalid_total = %v, want 1: the forged message reached the central", v)
	}
}
