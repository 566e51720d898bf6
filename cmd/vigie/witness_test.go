package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// TestWitnessVouches: collector mainland-b names mainland-a its witness.
// Killed (SIGKILL), the central loses it; mainland-a hears no more of its
// heartbeats, probes its devices and reports those it reaches. The central
// then shows mainland-b's sites partitioned from the centre, alive locally
// (vigie_site_alive_locally, the site's alive_locally_witness in
// /api/v1/sites/{id}, the console's site panel, one collector_alive_locally
// event, still one after a reload and a restart of the central), still
// unobserved and not isolated. A site whose CE router is switched off in the simulator
// meanwhile is not vouched for: it stays plainly unobserved. The collector
// restarted, every site is nominal again and the verdict is gone.
func TestWitnessVouches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and five vigie processes")
	}
	f := newDistFleet(t, 30, 24, natstest.Options{})
	const lost, witnessName = "mainland-b", "mainland-a"
	for i := range f.inv.Collectors {
		if f.inv.Collectors[i].Name == lost {
			f.inv.Collectors[i].Witnesses = []string{witnessName}
		}
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)
	share := f.inv.Share(lost)
	// The lost collector's sites: those whose access routers it polls.
	var sites []*inventory.Site
	var off *inventory.Site // single-homed, its CE switched off
	for i := range f.inv.Sites {
		s := &f.inv.Sites[i]
		mine := len(s.Access) > 0
		for _, a := range s.Access {
			r := a.Router
			if r == "" {
				r = a.Device
			}
			if d := f.inv.Device(r); d == nil || f.inv.CollectorOf(d) != lost {
				mine = false
			}
		}
		if mine {
			sites = append(sites, s)
			if off == nil && len(s.Access) == 1 && s.Access[0].Router != "" {
				off = s
			}
		}
	}
	if len(sites) < 2 || off == nil {
		t.Fatalf("collector %s polls %d sites' access routers, none of a single-homed site with a CE: pick another seed", lost, len(sites))
	}
	port, db := freeport.TCP(t), filepath.Join(t.TempDir(), "central.db")
	central, url := f.runOn(t, "central-a", port, db)
	base := strings.TrimSuffix(url, "/metrics")
	procs := map[string]*vigieProc{}
	urls := map[string]string{}
	for _, n := range distCollectors {
		procs[n], urls[n] = f.collect(t, n, "--observations.heartbeat", "1s")
	}
	var m map[string]map[string]float64
	gauge := func(family string, labels ...string) float64 { return gaugeIn(m, family, labels...) }
	witness := procs[witnessName]
	witness.waitFor(60*time.Second, "every device reachable, every site nominal, every collector up", func() bool {
		m = scrape(url)
		return gauge("vigie_topology_devices", `state="reachable"`) == float64(len(f.inv.Devices)) &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)) &&
			gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", lost)) == 1
	})
	if _, ok := m["vigie_site_alive_locally"]; ok {
		t.Errorf("vigie_site_alive_locally exposed while every collector is heard")
	}
	if _, ok := scrape(urls[witnessName])["vigie_observations_witness_reachable_devices"]; ok {
		t.Errorf("the witness probes while " + lost + "'s heartbeats come")
	}

	if err := procs[lost].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs[lost].exited
	ce := off.Access[0].Router
	if _, err := f.agent.Cut("device:" + ce); err != nil {
		t.Fatal(err)
	}
	witness.waitFor(45*time.Second, lost+"'s sites alive locally, vouched for by "+witnessName+", but "+off.ID, func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", lost)) == 0 &&
			gauge("vigie_observations_collector_vouched_devices", fmt.Sprintf("collector=%q", lost), fmt.Sprintf("witness=%q", witnessName)) == float64(len(share.Devices)-1) &&
			len(m["vigie_site_alive_locally"]) == len(sites)-1
	})
	if t.Failed() {
		return
	}
	for labels := range m["vigie_site_alive_locally"] {
		if strings.Contains(labels, fmt.Sprintf("site=%q", off.ID)) || !strings.Contains(labels, fmt.Sprintf("witness=%q", witnessName)) {
			t.Errorf("vigie_site_alive_locally{%s}: want every site of %s but %s (its CE is off), witness %s", labels, lost, off.ID, witnessName)
		}
	}
	if v := gauge("vigie_sites", `state="unobserved"`); v != float64(len(sites)) {
		t.Errorf("%v sites unobserved, want the %d of the lost collector (alive locally is still unobserved: nobody polls them)", v, len(sites))
	}
	for labels, v := range m["vigie_site_isolated"] {
		if v != 0 {
			t.Errorf("vigie_site_isolated{%s} = 1: a lost collector must not page for sites", labels)
		}
	}
	if v := gauge("vigie_topology_devices", `state="unreachable"`); v != 0 {
		t.Errorf("%v devices unreachable: the witness's verdict must not make a device down", v)
	}
	if v, _ := seriesWith(scrape(urls[witnessName]), "vigie_observations_witness_reachable_devices", fmt.Sprintf("collector=%q", lost)); v != float64(len(share.Devices)-1) {
		t.Errorf("the witness's own vigie_observations_witness_reachable_devices = %v, want %d", v, len(share.Devices)-1)
	}
	site := func(id string) exposition.SiteView {
		t.Helper()
		body, ok := httpGet(base + "/api/v1/sites/" + id)
		var v exposition.SiteView
		if !ok || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("GET /api/v1/sites/%s: %s", id, body)
		}
		return v
	}
	for _, s := range sites {
		v, want := site(s.ID), witnessName
		if s == off {
			want = ""
		}
		if v.State != topology.SiteUnobserved || v.Witness != want {
			t.Errorf("/api/v1/sites/%s: state %q, alive_locally_witness %q; want unobserved, %q", s.ID, v.State, v.Witness, want)
		}
	}
	oneEvent := func(when string) {
		t.Helper()
		body, ok := httpGet(base + "/api/v1/events?limit=1000")
		var evs struct{ Events []topology.Event }
		if !ok || json.Unmarshal([]byte(body), &evs) != nil {
			t.Fatalf("GET /api/v1/events: %s", body)
		}
		alive := 0
		for _, e := range evs.Events {
			if e.Kind == topology.EventAliveLocally {
				alive++
				if e.Subject != "collector:"+lost || !strings.Contains(e.Detail, "witness "+witnessName) ||
					!strings.Contains(e.Detail, fmt.Sprintf("%d sites", len(sites)-1)) {
					t.Errorf("event %+v: want subject collector:%s, witness %s, %d sites", e, lost, witnessName, len(sites)-1)
				}
			}
		}
		if alive != 1 {
			t.Errorf("%s: %d collector_alive_locally events, want 1 (one for the loss, not one per site, per probe round, reload or restart)\n%s",
				when, alive, body)
		}
	}
	oneEvent("during the loss")
	consoleShowsWitness(t, base, sites[0].ID, witnessName, off.ID)

	// The same loss across a reload (SIGHUP) of the central: the verdict
	// carries over, still one event. Two witness reports received after the
	// reload prove the central heard the witness again. Then a restart.
	reports := func() float64 {
		v, _ := seriesWith(m, "vigie_observations_received_total", fmt.Sprintf("collector=%q", witnessName), `kind="witness"`)
		return v
	}
	stillAlive := func() bool {
		return len(m["vigie_site_alive_locally"]) == len(sites)-1 &&
			gauge("vigie_observations_collector_vouched_devices", fmt.Sprintf("collector=%q", lost), fmt.Sprintf("witness=%q", witnessName)) == float64(len(share.Devices)-1)
	}
	loaded := gauge("vigie_config_last_reload_success_timestamp_seconds")
	if err := central.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	central.waitFor(30*time.Second, "the reload taken", func() bool {
		m = scrape(url)
		return gauge("vigie_config_last_reload_success_timestamp_seconds") > loaded
	})
	before := reports()
	central.waitFor(30*time.Second, "two witness reports after the reload, "+lost+"'s sites still alive locally", func() bool {
		m = scrape(url)
		return reports() >= before+2 && stillAlive()
	})
	oneEvent("after a reload of the central")
	// Restarted on its store, the central learns from the stream that the
	// collector has been silent since before its start: lost again (the
	// series at 0, not absent), the witness heard, still one event.
	if _, err := central.stop(30 * time.Second); err != nil {
		t.Fatalf("the central stopped with %v", err)
	}
	central, _ = f.runOn(t, "central-a", port, db)
	central.waitFor(60*time.Second, "the central restarted: "+lost+" lost, two witness reports, its sites alive locally again", func() bool {
		m = scrape(url)
		return gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", lost)) == 0 && reports() >= 2 && stillAlive()
	})
	oneEvent("after a restart of the central")

	if _, err := f.agent.Restore("device:" + ce); err != nil {
		t.Fatal(err)
	}
	f.collect(t, lost, "--observations.heartbeat", "1s")
	witness.waitFor(60*time.Second, lost+" back, every site nominal, no verdict left", func() bool {
		m = scrape(url)
		_, vouched := m["vigie_observations_collector_vouched_devices"]
		_, aliveLocally := m["vigie_site_alive_locally"]
		return gauge("vigie_observations_collector_up", fmt.Sprintf("collector=%q", lost)) == 1 &&
			gauge("vigie_sites", `state="nominal"`) == float64(len(f.inv.Sites)) && !vouched && !aliveLocally
	})
	witness.waitFor(15*time.Second, "the witness stops probing", func() bool {
		_, probing := scrape(urls[witnessName])["vigie_observations_witness_reachable_devices"]
		return !probing
	})
}

// secureWitnesses is TestSecureCollectors' part on witnesses under the
// server permissions docs/distributed.md shows: mainland-b names
// mainland-a (allowed its heartbeats) and overseas (refused them) as
// witnesses. overseas logs the refusal once, with the subject and what to
// add to the server's configuration, says it in
// vigie_observations_witness_listening and probes nothing; mainland-b
// killed, mainland-a alone vouches for it. fix reloads the server with
// overseas allowed: without a restart, overseas listens and vouches too.
func secureWitnesses(t *testing.T, f *distFleet, url string, procs map[string]*vigieProc, urls map[string]string, fix func()) {
	t.Helper()
	const lost = "mainland-b"
	share := f.inv.Share(lost)
	listening := func(witness string) float64 {
		v, ok := seriesWith(scrape(urls[witness]), "vigie_observations_witness_listening", fmt.Sprintf("collector=%q", lost))
		if !ok {
			return -1
		}
		return v
	}
	refusals := func() int {
		n := 0
		for _, l := range strings.Split(procs["overseas"].logs(), "\n") {
			if strings.Contains(l, "NATS refuses this witness") {
				n++
				if !strings.Contains(l, "subject=vigie.obs.mainland-b.hb") || !strings.Contains(l, "subscribe: {allow: [...]}") ||
					!strings.Contains(l, "Permissions Violation") || !strings.Contains(l, "level=ERROR") {
					t.Errorf("the refusal's log line names not the subject, the server's violation and what to grant:\n%s", l)
				}
			}
		}
		return n
	}
	probing := func(witness string) bool {
		_, ok := scrape(urls[witness])["vigie_observations_witness_reachable_devices"]
		return ok
	}
	w := procs["overseas"]
	w.waitFor(15*time.Second, "overseas refused mainland-b's heartbeats, mainland-a listening", func() bool {
		return listening("overseas") == 0 && listening("mainland-a") == 1 && refusals() > 0
	})
	vouched := func(witness string) float64 {
		v, ok := seriesWith(scrape(url), "vigie_observations_collector_vouched_devices", fmt.Sprintf("collector=%q", lost), fmt.Sprintf("witness=%q", witness))
		if !ok {
			return -1
		}
		return v
	}

	if err := procs[lost].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs[lost].exited
	w.waitFor(45*time.Second, "mainland-a vouches for every device of the killed "+lost, func() bool {
		return vouched("mainland-a") == float64(len(share.Devices)) && len(scrape(url)["vigie_site_alive_locally"]) > 0
	})
	if probing("overseas") || vouched("overseas") != -1 {
		t.Errorf("overseas, refused %s's heartbeats, probes for it (it cannot tell it lost)", lost)
	}
	if n := refusals(); n != 1 {
		t.Errorf("%d log lines of the refused subscription, want 1 (retries log nothing new)", n)
	}

	fix()
	w.waitFor(30*time.Second, "overseas listening and vouching once the server allows it", func() bool {
		return listening("overseas") == 1 && vouched("overseas") == float64(len(share.Devices))
	})
	if n := refusals(); n != 1 {
		t.Errorf("%d log lines of the refused subscription after the fix, want 1", n)
	}
	if !strings.Contains(w.logs(), "now allows the subscription") {
		t.Errorf("overseas does not log that the server allows its subscription now:\n%s", w.logs())
	}
}

// consoleShowsWitness opens the console of the central at base in headless
// chromium, as an operator would: the panel of site aliveID says it is
// partitioned from the centre, alive locally, and names witness; that of
// site unobservedID (no witness reaches it) says it is unobserved, and
// names no witness.
func consoleShowsWitness(t *testing.T, base, aliveID, witness, unobservedID string) {
	t.Helper()
	b := newBrowser(t, 1200, 800, map[string]any{})
	b.do(t, "opening site "+aliveID, chromedp.Navigate(base+"/#site="+aliveID))
	b.wait(t, "the site panel of "+aliveID, fmt.Sprintf(`window.vigieConsole.site && window.vigieConsole.site.id === %q`, aliveID))
	if got := b.text(t, "#site-alive-locally"); !strings.Contains(got, "Partitioned from the centre, alive locally") ||
		!strings.Contains(got, "witness "+witness) {
		t.Errorf("site %s's panel says %q, want partitioned from the centre, alive locally, witness %s", aliveID, got, witness)
	}
	if h := b.text(t, "#tab-site h2"); !strings.Contains(strings.ToLower(h), "unobserved") {
		t.Errorf("site %s's panel heading %q: want its state, unobserved (alive locally is still unobserved)", aliveID, h)
	}
	b.do(t, "opening site "+unobservedID, chromedp.Navigate(base+"/#site="+unobservedID))
	b.wait(t, "the site panel of "+unobservedID, fmt.Sprintf(`window.vigieConsole.site && window.vigieConsole.site.id === %q`, unobservedID))
	if got := b.text(t, "#site-unobserved"); !strings.Contains(got, "no witness reaches them") {
		t.Errorf("site %s's panel says %q, want unobserved, no witness", unobservedID, got)
	}
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById('site-alive-locally') === null && window.vigieConsole.site.witness === ''`))
	if err != nil || !ok {
		t.Errorf("site %s's panel names a witness though none reaches it (%v)", unobservedID, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.exceptions) > 0 {
		t.Errorf("the console threw: %v", b.exceptions)
	}
}
