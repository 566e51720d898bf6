package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
)

// waitReady polls url until it answers 200 or the deadline passes.
func waitReady(t *testing.T, url string, deadline time.Duration) {
	t.Helper()
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s", url, deadline)
}

// startProcess starts a tool and stops it (by its PID) when the test ends.
func startProcess(t *testing.T, logName string, name string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("last lines of %s:\n%s", logName, b)
		}
	})
}

// notification is the part of an Alertmanager webhook payload we check.
type notification struct {
	Receiver string `json:"receiver"`
	Status   string `json:"status"` // firing or resolved
	Alerts   []struct {
		Status   string            `json:"status"`
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
	} `json:"alerts"`
}

// apiAlert is an alert as Alertmanager's API v2 takes it.
type apiAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
}

// stormAlerts are the alerts Prometheus sends in the storm case (the label
// sets tests/storm.test.yml shows the rules produce), root cause first.
func stormAlerts(n int) []apiAlert {
	now := time.Now().Add(-time.Minute)
	base := func(kv ...string) apiAlert {
		l := map[string]string{"job": "vigie", "instance": "vigie:9742", "region": "ara", "role": "collection"}
		for i := 0; i < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return apiAlert{Labels: l, StartsAt: now}
	}
	out := []apiAlert{
		base("alertname", "VigieIsolationRootCause", "severity", "critical", "cause_kind", "device", "cause", "agg-lyon-3"),
		base("alertname", "VigieRouterDown", "severity", "critical", "cause_kind", "device", "cause", "agg-lyon-3",
			"device", "agg-lyon-3", "pop", "pop-lyon-1"),
		base("alertname", "VigieDeviceUnreachable", "severity", "warning", "device", "agg-lyon-3", "pop", "pop-lyon-1"),
		base("alertname", "VigieSiteIsolated", "severity", "critical", "site", "S-ara-own",
			"cause_kind", "link", "cause", "S-ara-own/access-1"),
		// A router that isolates a single site: no common cause, the
		// site's alert pages and explains the router's.
		base("alertname", "VigieSiteIsolated", "severity", "critical", "site", "S-ara-alone",
			"cause_kind", "device", "cause", "agg-annecy-1"),
		base("alertname", "VigieRouterDown", "severity", "critical", "cause_kind", "device", "cause", "agg-annecy-1",
			"device", "agg-annecy-1", "pop", "pop-annecy-1"),
	}
	for i := 1; i <= n; i++ {
		s := stormSite(i)
		out = append(out,
			base("alertname", "VigieSiteIsolated", "severity", "critical", "site", s, "cause_kind", "device", "cause", "agg-lyon-3"),
			base("alertname", "VigieDeviceUnreachable", "severity", "warning", "site", s, "device", "ce-"+s))
	}
	return out
}

// TestAlertmanagerInhibitsTheStorm runs Debian's Alertmanager with the
// example configuration (receivers pointed at a local webhook, waits
// shortened) and sends it the storm: agg-lyon-3 down, 300 sites isolated
// behind it, their 300 CEs unreachable, plus one site isolated by its own
// access and one isolated alone by its router. Exactly three pages must
// come out: the root cause and those two sites.
func TestAlertmanagerInhibitsTheStorm(t *testing.T) {
	alerts := stormAlerts(stormSites)
	// Prometheus sends the alerts in the order their "for" durations
	// stagger them (root cause 1m, sites 3m, routers 4m, devices 5m).
	wave := map[string]int{"VigieIsolationRootCause": 0, "VigieSiteIsolated": 1, "VigieRouterDown": 2, "VigieDeviceUnreachable": 3}
	active, pages := replayAlertmanager(t, alerts, wave, 3)
	if n := names(active); strings.Join(n, " ") != "VigieIsolationRootCause/agg-lyon-3 VigieSiteIsolated/S-ara-own/access-1 VigieSiteIsolated/agg-annecy-1" {
		t.Errorf("alerts left after inhibition = %v, want the root cause and the two sites isolated alone", n)
	}
	// The notifications themselves: three pages to the collection on-call,
	// nothing else (the CEs' warnings are inhibited too).
	want := "oncall-collection:VigieIsolationRootCause/agg-lyon-3 oncall-collection:VigieSiteIsolated/S-ara-own/access-1 " +
		"oncall-collection:VigieSiteIsolated/agg-annecy-1"
	if strings.Join(pages, " ") != want {
		t.Errorf("notifications = %v, want %s", pages, want)
	}
}

// TestAlertmanagerInhibitsTheInternetCut sends what the rules make of an
// internet cut (tests/cuts.test.yml): the root cause "internet" (national),
// the lost default route, the uplinks down, each PFAI's missing default
// route, the sites cut off with cause internet in several regions (overseas
// too), those that lost their tunnel backup and their CEs' BGP peers over
// it; and one site isolated by its own access at the same time. Two pages
// must come out: the internet, to the PFAI on-call, and that site.
func TestAlertmanagerInhibitsTheInternetCut(t *testing.T) {
	now := time.Now().Add(-time.Minute)
	alert := func(kv ...string) apiAlert {
		l := map[string]string{"job": "vigie", "instance": "vigie:9742"}
		for i := 0; i < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return apiAlert{Labels: l, StartsAt: now}
	}
	inet := []string{"cause_kind", "internet", "cause", "internet"}
	alerts := []apiAlert{
		alert(append([]string{"alertname", "VigieIsolationRootCause", "severity", "critical", "role", "pfai", "region", "national"}, inet...)...),
		alert(append([]string{"alertname", "VigieInternetDefaultRouteLost", "severity", "critical", "role", "pfai", "region", "national"}, inet...)...),
		alert("alertname", "VigieInternetUplinkDown", "severity", "warning", "role", "pfai", "region", "national", "interconnect", "internet-1", "kind", "internet"),
		alert("alertname", "VigieInternetUplinkDown", "severity", "warning", "role", "pfai", "region", "national", "interconnect", "internet-2", "kind", "internet"),
		alert("alertname", "VigiePFAIDefaultRouteMissing", "severity", "warning", "role", "pfai", "region", "idf", "device", "pfai-1"),
		alert("alertname", "VigiePFAIDefaultRouteMissing", "severity", "warning", "role", "pfai", "region", "naq", "device", "pfai-2"),
		alert("alertname", "VigieSiteIsolated", "severity", "critical", "role", "collection", "region", "bre", "site", "S-bre-own",
			"cause_kind", "link", "cause", "S-bre-own/access-1"),
	}
	for i, region := range []string{"idf", "idf", "ara", "myt", "reu", "hdf"} {
		site := fmt.Sprintf("S-%s-%d", region, i)
		alerts = append(alerts,
			alert(append([]string{"alertname", "VigieSiteIsolated", "severity", "critical", "role", "collection", "region", region, "site", site}, inet...)...),
			alert("alertname", "VigieSitePrefixMissing", "severity", "warning", "role", "collection", "region", region, "site", site),
			alert("alertname", "VigieSiteRedundancyLost", "severity", "warning", "role", "collection", "region", region, "site", site+"-backup"),
			alert("alertname", "VigieRouterBGPPeerDown", "severity", "warning", "role", "collection", "region", region,
				"device", "ce-"+site+"-backup", "site", site+"-backup", "peer", "100.64.0.1"))
	}
	// Root cause 1m, default route 2m, sites 3m, the warnings 5m and 10m.
	wave := map[string]int{"VigieIsolationRootCause": 0, "VigieInternetDefaultRouteLost": 1, "VigieSiteIsolated": 2}
	active, pages := replayAlertmanager(t, alerts, wave, 2)
	if n := names(active); strings.Join(n, " ") != "VigieIsolationRootCause/internet VigieSiteIsolated/S-bre-own/access-1" {
		t.Errorf("alerts left after inhibition = %v, want the internet's root cause and the site isolated by its own access", n)
	}
	want := "oncall-collection:VigieSiteIsolated/S-bre-own/access-1 oncall-platforms:VigieIsolationRootCause/internet"
	if strings.Join(pages, " ") != want {
		t.Errorf("notifications = %v, want %s", pages, want)
	}
}

// replayAlertmanager runs Debian's Alertmanager with alertmanager.yml (every
// route and inhibition; receivers pointed at a local webhook, group_wait 1 s
// instead of 30 s), posts alerts in waves (wave: alert name -> wave; the
// others come last), and returns the alerts left after inhibition once
// want of them are, and the notifications as "receiver:alertname/cause".
func replayAlertmanager(t *testing.T, alerts []apiAlert, wave map[string]int, want int) ([]apiAlert, []string) {
	t.Helper()
	am := binary(t, alertmanagerPath)

	var mu sync.Mutex
	var got []notification
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook: %v", err)
		}
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
	}))
	defer hook.Close()

	cfg, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Keep every route and inhibition; only send to the local webhook and
	// wait one second instead of 30 s before the first notification.
	cfg = bytes.ReplaceAll(cfg, []byte("https://alert-relay.rie.example"), []byte(hook.URL))
	cfg = regexp.MustCompile(`group_wait: \w+`).ReplaceAll(cfg, []byte("group_wait: 1s"))
	if bytes.Contains(cfg, []byte("rie.example")) {
		t.Fatal("a receiver still points outside the test")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, "alertmanager.log", am, "--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=", "--log.level=warn")
	waitReady(t, base+"/-/ready", 15*time.Second)

	// Each alert comes with startsAt in the past, which makes Alertmanager
	// flush a new group at once: inhibition only works because the sources
	// are already in. The waves follow the rules' "for" durations.
	last := 0
	for _, w := range wave {
		last = max(last, w+1)
	}
	waves := make([][]apiAlert, last+1)
	for _, a := range alerts {
		w, ok := wave[a.Labels["alertname"]]
		if !ok {
			w = last
		}
		waves[w] = append(waves[w], a)
	}
	posted := 0
	for _, wv := range waves {
		if len(wv) == 0 {
			continue
		}
		postAlerts(t, base, wv)
		posted += len(wv)
		waitCount(t, base, posted)
		// The inhibitor reads the same alerts from its own subscription.
		time.Sleep(500 * time.Millisecond)
	}

	// The API computes inhibition when asked: wait until every alert is
	// in and the inhibitions have settled.
	var active []apiAlert
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		all := getAlerts(t, base+"/api/v2/alerts?active=true&inhibited=true&silenced=true")
		active = getAlerts(t, base+"/api/v2/alerts?active=true&inhibited=false&silenced=false")
		if len(all) == len(alerts) && len(active) == want {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after 20 s, Alertmanager holds %d alerts of %d, %d not inhibited (want %d): %v",
				len(all), len(alerts), len(active), want, names(active))
		case <-time.After(200 * time.Millisecond):
		}
	}

	time.Sleep(4 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	var pages []string
	for _, n := range got {
		for _, a := range n.Alerts {
			pages = append(pages, n.Receiver+":"+a.Labels["alertname"]+"/"+a.Labels["cause"])
		}
	}
	sort.Strings(pages)
	return active, pages
}

func postAlerts(t *testing.T, base string, alerts []apiAlert) {
	t.Helper()
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting %d alerts: %s: %s", len(alerts), resp.Status, b)
	}
}

// waitCount waits until Alertmanager holds n active alerts.
func waitCount(t *testing.T, base string, n int) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		got := len(getAlerts(t, base+"/api/v2/alerts?active=true&inhibited=true&silenced=true"))
		if got == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("Alertmanager holds %d alerts after 20 s, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getAlerts(t *testing.T, url string) []apiAlert {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []apiAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return out
}

func names(alerts []apiAlert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Labels["alertname"]+"/"+a.Labels["cause"])
	}
	sort.Strings(out)
	return out
}

// TestAlertmanagerInhibitsPlannedWorks sends what the rules make of planned
// works (tests/pages.test.yml): window CHG-42 takes aggregation router
// agg-lyon-3 and PoP pop-lyon-2 down, names site S-ly-5 and covers S-ly-1
// and S-ly-2 behind agg-lyon-3. Everything the works explain is inhibited:
// the root cause naming the router, the router, the PoP and its router,
// the sites, their CEs. One site isolated by its own access at the same
// time still pages, and an overseas one goes to the territory's on-call on
// its overseas label alone.
func TestAlertmanagerInhibitsPlannedWorks(t *testing.T) {
	now := time.Now().Add(-time.Minute)
	alert := func(kv ...string) apiAlert {
		l := map[string]string{"job": "vigie", "instance": "vigie:9742"}
		for i := 0; i < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return apiAlert{Labels: l, StartsAt: now}
	}
	works := func(kv ...string) apiAlert {
		return alert(append([]string{"alertname", "VigieMaintenance", "severity", "info", "role", "collection", "region", "national", "window", "CHG-42"}, kv...)...)
	}
	page := func(kv ...string) apiAlert {
		return alert(append([]string{"severity", "critical", "role", "collection", "region", "ara", "overseas", "false"}, kv...)...)
	}
	alerts := []apiAlert{
		works("kind", "device", "id", "agg-lyon-3", "device", "agg-lyon-3", "cause_kind", "device", "cause", "agg-lyon-3"),
		works("kind", "pop", "id", "pop-lyon-2", "pop", "pop-lyon-2", "cause_kind", "pop", "cause", "pop-lyon-2"),
		works("kind", "site", "site", "S-ly-1"),
		works("kind", "site", "site", "S-ly-2"),
		works("kind", "site", "site", "S-ly-5"),
		page("alertname", "VigieIsolationRootCause", "cause_kind", "device", "cause", "agg-lyon-3"),
		page("alertname", "VigieRouterDown", "cause_kind", "device", "cause", "agg-lyon-3", "device", "agg-lyon-3", "pop", "pop-lyon-1"),
		page("alertname", "VigiePoPDown", "cause_kind", "pop", "cause", "pop-lyon-2", "pop", "pop-lyon-2"),
		page("alertname", "VigieRouterDown", "cause_kind", "device", "cause", "agg-lyon-7", "device", "agg-lyon-7", "pop", "pop-lyon-2"),
		page("alertname", "VigieSiteIsolated", "site", "S-ly-1", "cause_kind", "device", "cause", "agg-lyon-3"),
		page("alertname", "VigieSiteIsolated", "site", "S-ly-2", "cause_kind", "device", "cause", "agg-lyon-3"),
		page("alertname", "VigieSiteIsolated", "site", "S-ly-5", "cause_kind", "link", "cause", "S-ly-5/access-1"),
		alert("alertname", "VigieDeviceUnreachable", "severity", "warning", "role", "collection", "region", "ara", "device", "ce-S-ly-1", "site", "S-ly-1"),
		alert("alertname", "VigieDeviceUnreachable", "severity", "warning", "role", "collection", "region", "ara", "device", "agg-lyon-7", "pop", "pop-lyon-2"),
		alert("alertname", "VigieSiteRedundancyLost", "severity", "warning", "role", "collection", "region", "ara", "site", "S-ly-5"),
		// Not the works: a mainland site and an overseas one cut off by their own access.
		page("alertname", "VigieSiteIsolated", "site", "S-ly-9", "cause_kind", "link", "cause", "S-ly-9/access-1"),
		alert("alertname", "VigieSiteIsolated", "severity", "critical", "role", "collection", "region", "reu", "overseas", "true",
			"site", "S-re-1", "cause_kind", "link", "cause", "S-re-1/access-1"),
	}
	// The windows are open before the failures they explain.
	wave := map[string]int{"VigieMaintenance": 0, "VigieIsolationRootCause": 1, "VigiePoPDown": 2, "VigieSiteIsolated": 3}
	active, pages := replayAlertmanager(t, alerts, wave, 7)
	var left []string
	for _, a := range active {
		if a.Labels["alertname"] != "VigieMaintenance" {
			left = append(left, a.Labels["alertname"]+"/"+a.Labels["cause"])
		}
	}
	sort.Strings(left)
	if strings.Join(left, " ") != "VigieSiteIsolated/S-ly-9/access-1 VigieSiteIsolated/S-re-1/access-1" {
		t.Errorf("alerts left after inhibition = %v, want only the two sites isolated by their own access", left)
	}
	want := "oncall-collection:VigieSiteIsolated/S-ly-9/access-1 oncall-overseas:VigieSiteIsolated/S-re-1/access-1"
	if strings.Join(pages, " ") != want {
		t.Errorf("notifications = %v, want %s", pages, want)
	}
}
