package main

// The HA pair of issue 15 paging through real parts: Debian's nats-server,
// three `vigie collect`, two centrals, two Prometheus (Debian's) running
// alerting/prometheus-ha.yml with the shipped rules, two Alertmanagers
// (Debian's) clustered on loopback running the shipped alertmanager.yml,
// and a webhook in the test that keeps every notification.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
)

const (
	prometheusBin   = "/usr/bin/prometheus"
	alertmanagerBin = "/usr/bin/prometheus-alertmanager"
	// haForScale divides every rule's "for" in the test's copy of the rules
	// (VigieCollectorLost's 1m becomes 2 s, VigieDown's 2m 5 s).
	haForScale = 24
	// haPeerTimeout is the Alertmanagers' --cluster.peer-timeout: the
	// second of the pair waits that long for the first's notification
	// log before it sends a notification itself.
	haPeerTimeout = 2 * time.Second
)

// requireTool skips when a Debian tool is missing, except under CI=true
// where scripts/deps.sh must have installed it.
func requireTool(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing but CI=true: install the Debian package %s (scripts/deps.sh)", path, pkg)
	}
	t.Skipf("%s is missing (install the Debian package %s)", path, pkg)
}

// haNotification is the part of an Alertmanager webhook payload the test
// reads, with the path it was posted to.
type haNotification struct {
	path        string
	Receiver    string `json:"receiver"`
	Status      string `json:"status"`
	ExternalURL string `json:"externalURL"`
	Alerts      []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

func (n haNotification) String() string {
	var as []string
	for _, a := range n.Alerts {
		keys := slices.Sorted(maps.Keys(a.Labels))
		var kv []string
		for _, k := range keys {
			kv = append(kv, k+"="+a.Labels[k])
		}
		as = append(as, a.Status+"{"+strings.Join(kv, ",")+"}")
	}
	return fmt.Sprintf("%s from %s to %s: %s", n.Status, n.ExternalURL, n.Receiver, strings.Join(as, " "))
}

// haHook is the webhook both Alertmanagers post to.
type haHook struct {
	url string
	mu  sync.Mutex
	got []haNotification
}

func newHAHook(t *testing.T) *haHook {
	h := &haHook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n haNotification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook %s: undecodable notification: %v", r.URL.Path, err)
			return
		}
		n.path = r.URL.Path
		h.mu.Lock()
		h.got = append(h.got, n)
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// pages returns the notifications to an on-call receiver so far.
func (h *haHook) pages() []haNotification {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []haNotification
	for _, n := range h.got {
		if strings.HasPrefix(n.Receiver, "oncall-") {
			out = append(out, n)
		}
	}
	return out
}

// firing says whether a page holds a firing alert with every label of want.
func (n haNotification) firing(want map[string]string) bool {
	for _, a := range n.Alerts {
		if a.Status == "firing" && labelsHold(a.Labels, want) {
			return true
		}
	}
	return false
}

func labelsHold(l, want map[string]string) bool {
	for k, v := range want {
		if l[k] != v {
			return false
		}
	}
	return true
}

// startTool runs a Debian tool until the test ends (killed by its PID),
// and shows the end of its log if the test failed. The channel is closed
// when the tool exits.
func startTool(t *testing.T, name, bin string, args ...string) <-chan struct{} {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("end of %s's log:\n%s", name, b)
		}
	})
	return exited
}

// gossipPort returns a loopback port free for both TCP and UDP, as an
// Alertmanager's --cluster.listen-address needs (freeport checks TCP only).
func gossipPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		port := freeport.TCP(t)
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no loopback port free for both TCP and UDP in 20 tries")
	return 0
}

// replaceOnce replaces old in b, which must hold it exactly once: the
// shipped file changed shape otherwise, and the test must follow it.
func replaceOnce(t *testing.T, file string, b []byte, old, new string) []byte {
	t.Helper()
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%s holds %q %d times, want once: update hapages_test.go with it", file, old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

var (
	haForLine      = regexp.MustCompile(`(?m)^(\s+for: )(\d+)([smh])$`)
	haIntervalLine = regexp.MustCompile(`(?m)^\s+interval: \S+\n`)
)

// scaledRules copies alerting/rules/*.rules.yml into dir with every "for"
// divided by haForScale (whole seconds, at least one) and the groups' own
// intervals dropped, so that every rule follows the test's evaluation
// interval; the expressions, labels and annotations are the shipped ones.
func scaledRules(t *testing.T, dir string) string {
	t.Helper()
	paths, err := filepath.Glob("../../alerting/rules/*.rules.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files in alerting/rules: %v", err)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = haForLine.ReplaceAllFunc(b, func(m []byte) []byte {
			g := haForLine.FindSubmatch(m)
			n, _ := strconv.Atoi(string(g[2]))
			d := time.Duration(n) * unit[string(g[3])] / haForScale
			return fmt.Appendf(append([]byte{}, g[1]...), "%ds", max(int(d.Seconds()), 1))
		})
		b = haIntervalLine.ReplaceAll(b, nil)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "*.rules.yml")
}

// haAlerting is the pair of Prometheus and the Alertmanager cluster.
type haAlerting struct {
	prom, am []string // base URLs, replica a then b
	hook     *haHook
}

// startHAAlerting starts two Alertmanagers clustered on loopback with
// alertmanager.yml (receivers pointed at the test's webhook, the root's
// group_wait and group_interval shortened so that a page and any
// duplicate of it come within seconds; routes and inhibitions as shipped)
// and two Prometheus with prometheus-ha.yml, each scraping every target
// and sending to both Alertmanagers.
func startHAAlerting(t *testing.T, targets [2]string, collectors []string) *haAlerting {
	t.Helper()
	dir := t.TempDir()
	h := &haAlerting{hook: newHAHook(t)}

	amFile := "../../alerting/alertmanager.yml"
	cfg, err := os.ReadFile(amFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("https://alert-relay.rie.example"), []byte(h.hook.url))
	cfg = replaceOnce(t, amFile, cfg, "  group_wait: 30s\n  group_interval: 5m\n", "  group_wait: 2s\n  group_interval: 3s\n")
	if bytes.Contains(cfg, []byte("rie.example")) {
		t.Fatal("a receiver of alertmanager.yml still points outside the test")
	}
	amCfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amCfg, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	var web, cluster [2]int
	for i := range web {
		web[i], cluster[i] = freeport.TCP(t), gossipPort(t)
	}
	var exited [2]<-chan struct{}
	for i, r := range []string{"a", "b"} {
		h.am = append(h.am, fmt.Sprintf("http://127.0.0.1:%d", web[i]))
		exited[i] = startTool(t, "alertmanager-"+r, alertmanagerBin, "--config.file="+amCfg,
			"--storage.path="+filepath.Join(dir, "am-"+r),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", web[i]),
			fmt.Sprintf("--cluster.listen-address=127.0.0.1:%d", cluster[i]),
			fmt.Sprintf("--cluster.peer=127.0.0.1:%d", cluster[1-i]),
			"--cluster.peer-timeout="+haPeerTimeout.String(), "--cluster.settle-timeout=4s",
			"--cluster.reconnect-interval=1s", "--log.level=info")
	}
	// Both ready and each a member of a two-peer cluster.
	for i, am := range h.am {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var st struct {
				Cluster struct {
					Status string `json:"status"`
					Peers  []any  `json:"peers"`
				} `json:"cluster"`
			}
			if getJSON(am+"/api/v2/status", &st) && st.Cluster.Status == "ready" && len(st.Cluster.Peers) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not in a ready two-peer cluster after 30 s (status %+v)", am, st.Cluster)
			}
			select {
			case <-exited[i]:
				t.Fatalf("alertmanager %s exited (its log follows)", am)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}

	rules := scaledRules(t, filepath.Join(dir))
	promFile := "../../alerting/prometheus-ha.yml"
	shipped, err := os.ReadFile(promFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a", "b"} {
		c := replaceOnce(t, promFile, shipped, "scrape_interval: 30s", "scrape_interval: 1s")
		c = replaceOnce(t, promFile, c, "evaluation_interval: 30s", "evaluation_interval: 1s")
		c = replaceOnce(t, promFile, c, "replica: a", "replica: "+r)
		c = replaceOnce(t, promFile, c, "/etc/prometheus/vigie/*.rules.yml", rules)
		c = replaceOnce(t, promFile, c, "alertmanager-a.rie.example:9093", strings.TrimPrefix(h.am[0], "http://"))
		c = replaceOnce(t, promFile, c, "alertmanager-b.rie.example:9093", strings.TrimPrefix(h.am[1], "http://"))
		c = replaceOnce(t, promFile, c, "central-a.rie.example:9742", targets[0])
		c = replaceOnce(t, promFile, c, "central-b.rie.example:9742", targets[1])
		c = replaceOnce(t, promFile, c, "collect-mainland-a.rie.example:9743, collect-mainland-b.rie.example:9743, collect-reunion.rie.example:9743",
			strings.Join(collectors, ", "))
		if bytes.Contains(c, []byte("rie.example")) {
			t.Fatalf("%s: an address still points outside the test", promFile)
		}
		p := filepath.Join(dir, "prometheus-"+r+".yml")
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		port := freeport.TCP(t)
		h.prom = append(h.prom, fmt.Sprintf("http://127.0.0.1:%d", port))
		startTool(t, "prometheus-"+r, prometheusBin, "--config.file="+p, "--storage.tsdb.path="+filepath.Join(dir, "tsdb-"+r),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	}
	return h
}

// query returns the value of a one-sample instant query on Prometheus at
// base, or -1 when it has no sample (or does not answer).
func promQuery(base, expr string) float64 {
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if !getJSON(base+"/api/v1/query?query="+url.QueryEscape(expr), &r) || len(r.Data.Result) != 1 {
		return -1
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
}

// amAlerts returns the alerts Alertmanager at base holds (active,
// inhibited or silenced) whose labels hold every one of want.
func amAlerts(t *testing.T, base string, want map[string]string) []map[string]string {
	t.Helper()
	var all []struct {
		Labels map[string]string `json:"labels"`
	}
	if !getJSON(base+"/api/v2/alerts", &all) {
		t.Fatalf("%s/api/v2/alerts does not answer", base)
	}
	var out []map[string]string
	for _, a := range all {
		if labelsHold(a.Labels, want) {
			out = append(out, a.Labels)
		}
	}
	return out
}

// TestHAPairPagesOnce: the distributed vigie's HA pair pages once. Two
// centrals (their own durable consumers) serve the same series; two
// Prometheus (replica a, b) each scrape both and evaluate the shipped rules;
// two clustered Alertmanagers run the shipped routing. (1) A collector
// killed (SIGKILL) pages exactly once, VigieCollectorLost naming it: one
// alert, the same labels from both Prometheus and both centrals, and no
// site pages. (2) A central killed pages exactly once, VigieDown naming
// it, and nothing else pages: the lost collector's page neither resolves
// nor pages again. (3) The remaining central still drives the pages: a
// second collector killed then pages once.
//
// Between (1) and (2), a network incident: a single-homed site's CE
// switched off in the simulator isolates the site. Both centrals export
// it; it pages exactly once, one VigieSiteIsolated alert without instance
// (the same in both Alertmanagers), and central-b's death in (2) sends no
// notification about it, neither resolved nor again.
func TestHAPairPagesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server, five vigie processes, two Prometheus and two Alertmanagers")
	}
	requireTool(t, prometheusBin, "prometheus")
	requireTool(t, alertmanagerBin, "prometheus-alertmanager")
	start := time.Now()
	f := newDistFleet(t, 30, 21, natstest.Options{})
	// The site cut off between (1) and (2): single-homed, its CE polled by
	// mainland-a, which stays up to the end.
	var cut *inventory.Site
	for i := range f.inv.Sites {
		s := &f.inv.Sites[i]
		if len(s.Access) != 1 || s.Access[0].Router == "" {
			continue
		}
		if d := f.inv.Device(s.Access[0].Router); d != nil && f.inv.CollectorOf(d) == "mainland-a" {
			cut = s
			break
		}
	}
	if cut == nil {
		t.Fatal("no single-homed site with a CE polled by mainland-a: pick another seed")
	}
	_, aURL := f.run(t, "central-a")
	b, bURL := f.run(t, "central-b")
	procs := map[string]*vigieProc{}
	hostport := func(metrics string) string {
		u, err := url.Parse(metrics)
		if err != nil {
			t.Fatal(err)
		}
		return u.Host
	}
	var collectURLs []string
	for _, n := range distCollectors {
		var u string
		procs[n], u = f.collect(t, n, "--observations.heartbeat", "1s")
		collectURLs = append(collectURLs, hostport(u))
	}
	centralB := hostport(bURL)
	h := startHAAlerting(t, [2]string{hostport(aURL), centralB}, collectURLs)

	alive := procs["mainland-a"] // waitFor needs a process that stays up
	alive.waitFor(60*time.Second, "both centrals: every site nominal, every collector up", func() bool {
		for _, u := range []string{aURL, bURL} {
			m := scrape(u)
			if v, _ := seriesWith(m, "vigie_sites", `state="nominal"`); v != float64(len(f.inv.Sites)) {
				return false
			}
			for _, n := range distCollectors {
				if v, _ := seriesWith(m, "vigie_observations_collector_up", fmt.Sprintf("collector=%q", n)); v != 1 {
					return false
				}
			}
		}
		return true
	})
	alive.waitFor(30*time.Second, "both Prometheus scraping both centrals, which say every collector is up, and the collectors", func() bool {
		for _, p := range h.prom {
			if promQuery(p, `count(up{job="vigie"} == 1)`) != 2 ||
				promQuery(p, `count(up{job="vigie-collect"} == 1)`) != float64(len(distCollectors)) ||
				promQuery(p, `count(vigie_observations_collector_up == 1)`) != float64(2*len(distCollectors)) {
				return false
			}
		}
		return true
	})
	// After a page, a window in which any duplicate of it would come: the
	// second Alertmanager's peer timeout, a group_interval for a changed
	// group, and the other central's alert a few evaluations later.
	// (A page of the healthy fleet would show in the first count.)
	settle := func() { time.Sleep(haPeerTimeout + 3*time.Second + 3*time.Second) }
	t.Logf("%.0f s: the fleet, both centrals and the alerting pair ready", time.Since(start).Seconds())

	// (1) A collector killed: one page, VigieCollectorLost.
	if err := procs["overseas"].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs["overseas"].exited
	lost := map[string]string{"alertname": "VigieCollectorLost", "collector": "overseas"}
	alive.waitFor(60*time.Second, "a page for the lost overseas collector", func() bool {
		return slices.ContainsFunc(h.hook.pages(), func(n haNotification) bool { return n.firing(lost) })
	})
	t.Logf("%.0f s: the lost collector paged", time.Since(start).Seconds())
	settle()
	pages := h.hook.pages()
	if len(pages) != 1 || len(pages[0].Alerts) != 1 || !pages[0].firing(lost) || pages[0].Receiver != "oncall-vigie" {
		t.Fatalf("the lost collector: want one page to oncall-vigie with one alert, VigieCollectorLost for overseas; got %d:\n%s",
			len(pages), pagesText(pages))
	}
	for _, am := range h.am {
		got := amAlerts(t, am, map[string]string{"alertname": "VigieCollectorLost"})
		if len(got) != 1 {
			t.Errorf("%s holds %d VigieCollectorLost alerts, want 1 (both Prometheus and both centrals agreeing): %v", am, len(got), got)
		}
		for _, l := range got {
			if _, ok := l["replica"]; ok {
				t.Errorf("%s: VigieCollectorLost carries the Prometheus replica label: %v", am, l)
			}
		}
	}

	// A site cut off: one page, one alert, whichever central sees it
	// first; no instance on it, so that (2) does not resolve it.
	if _, err := f.agent.Cut("device:" + cut.Access[0].Router); err != nil {
		t.Fatal(err)
	}
	isolated := map[string]string{"alertname": "VigieSiteIsolated", "site": cut.ID}
	alive.waitFor(60*time.Second, "a page for the isolated site "+cut.ID, func() bool {
		return slices.ContainsFunc(h.hook.pages(), func(n haNotification) bool { return n.firing(isolated) })
	})
	t.Logf("%.0f s: the isolated site paged", time.Since(start).Seconds())
	settle()
	pages = h.hook.pages()[1:]
	if len(pages) != 1 || len(pages[0].Alerts) != 1 || !pages[0].firing(isolated) || pages[0].Receiver != "oncall-collection" {
		t.Fatalf("site %s cut off: want one new page to oncall-collection with one alert, VigieSiteIsolated; got %d:\n%s",
			cut.ID, len(pages), pagesText(pages))
	}
	if l := pages[0].Alerts[0].Labels; l["instance"] != "" {
		t.Errorf("the isolated site's alert names central %s: both centrals export the site, the alert is about the network: %v", l["instance"], l)
	}
	for _, am := range h.am {
		if got := amAlerts(t, am, isolated); len(got) != 1 {
			t.Errorf("%s holds %d VigieSiteIsolated alerts for %s, want 1 (both centrals' copies one alert): %v", am, len(got), cut.ID, got)
		}
	}

	// (2) A central killed: one page, VigieDown for it; the lost
	// collector's and the isolated site's pages stay one each.
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-b.exited
	down := map[string]string{"alertname": "VigieDown", "instance": centralB}
	alive.waitFor(60*time.Second, "a page for the killed central-b", func() bool {
		return slices.ContainsFunc(h.hook.pages(), func(n haNotification) bool { return n.firing(down) })
	})
	t.Logf("%.0f s: the killed central paged", time.Since(start).Seconds())
	settle()
	pages = h.hook.pages()[2:]
	if len(pages) != 1 || len(pages[0].Alerts) != 1 || !pages[0].firing(down) || pages[0].Receiver != "oncall-vigie" {
		t.Fatalf("central-b killed: want one new page to oncall-vigie, VigieDown for %s, and no other; got %d:\n%s",
			centralB, len(pages), pagesText(pages))
	}

	// (3) central-a alone: a second collector killed pages once, and no
	// site pages.
	if err := procs["mainland-b"].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs["mainland-b"].exited
	lostB := map[string]string{"alertname": "VigieCollectorLost", "collector": "mainland-b"}
	alive.waitFor(60*time.Second, "a page for the lost mainland-b collector, from central-a alone", func() bool {
		return slices.ContainsFunc(h.hook.pages(), func(n haNotification) bool { return n.firing(lostB) })
	})
	settle()
	pages = h.hook.pages()[3:]
	if len(pages) != 1 || !pages[0].firing(lostB) {
		t.Fatalf("mainland-b lost with central-a alone: want one new page, VigieCollectorLost for mainland-b; got %d:\n%s",
			len(pages), pagesText(pages))
	}
	for _, n := range h.hook.pages() {
		for _, a := range n.Alerts {
			if a.Labels["site"] != "" && a.Labels["site"] != cut.ID {
				t.Errorf("a site paged: %s", n)
			}
		}
	}
	t.Logf("pages:\n%s", pagesText(h.hook.pages()))
}

func pagesText(p []haNotification) string {
	var lines []string
	for _, n := range p {
		lines = append(lines, "  "+n.String())
	}
	return strings.Join(lines, "\n")
}
