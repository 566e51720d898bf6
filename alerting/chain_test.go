package alerting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
)

// TestAlertChain runs the whole chain against the vigie at $VIGIE_URL when
// VIGIE_CHAIN=1: Debian's Prometheus scrapes it with the rule files as they
// are and sends its alerts to Debian's Alertmanager running
// alertmanager.yml as it is (receivers pointed at a local webhook). After
// VIGIE_CHAIN_WAIT (default 7m: every "for" and group_wait elapsed) it logs
// the pages and tickets, and fails if two pages share a root cause or a
// page lacks severity, role or region. It takes minutes: run it through
// alerting/e2e.sh --chain.
func TestAlertChain(t *testing.T) {
	target := os.Getenv("VIGIE_URL")
	if target == "" || os.Getenv("VIGIE_CHAIN") != "1" {
		t.Skip("set VIGIE_URL and VIGIE_CHAIN=1 (alerting/e2e.sh --chain URL)")
	}
	wait := 7 * time.Minute
	if s := os.Getenv("VIGIE_CHAIN_WAIT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("VIGIE_CHAIN_WAIT=%q: %v", s, err)
		}
		wait = d
	}
	c := startChain(t, target, chainOptions{scrape: 10 * time.Second, eval: 15 * time.Second, forScale: 1})

	t.Logf("waiting %s for the alerts to go through", wait)
	time.Sleep(wait)

	pages := map[string]int{}
	var lines []string
	for _, n := range c.notifications() {
		for _, a := range n.Alerts {
			l := a.Labels
			lines = append(lines, fmt.Sprintf("%s %s severity=%s role=%s region=%s cause=%s/%s site=%s device=%s",
				n.Receiver, l["alertname"], l["severity"], l["role"], l["region"], l["cause_kind"], l["cause"], l["site"], l["device"]))
			for _, k := range []string{"severity", "role", "region"} {
				if l[k] == "" {
					t.Errorf("%s notified without a %s label: %v", l["alertname"], k, l)
				}
			}
			if l["severity"] == "critical" && l["cause"] != "" && l["cause"] != "unknown" {
				pages[l["cause_kind"]+"/"+l["cause"]]++
			}
		}
	}
	sort.Strings(lines)
	t.Logf("%d notifications:\n  %s", len(lines), strings.Join(lines, "\n  "))
	for cause, n := range pages {
		if n > 1 {
			t.Errorf("%d pages for one root cause %s: want one", n, cause)
		}
	}
	all := getAlerts(t, c.am+"/api/v2/alerts?active=true&inhibited=true&silenced=true")
	active := getAlerts(t, c.am+"/api/v2/alerts?active=true&inhibited=false&silenced=false")
	t.Logf("Alertmanager holds %d alerts, %d of them not inhibited", len(all), len(active))
}

// chainOptions says how the chain's Prometheus runs.
type chainOptions struct {
	scrape, eval time.Duration
	// forScale divides every rule's "for" (1: the rules as shipped). A
	// shortened "for" keeps the rules' stagger (root cause first) in
	// proportion; the Alertmanager timings are never changed.
	forScale int
}

// alertChain is Debian's Prometheus scraping a vigie with the rule files
// and sending its alerts to Debian's Alertmanager running alertmanager.yml,
// routes, waits and inhibitions as shipped, whose receivers post to a
// local webhook that keeps every notification.
type alertChain struct {
	prom, am string // base URLs
	mu       sync.Mutex
	got      []notification
}

// notifications returns what the webhook received so far.
func (c *alertChain) notifications() []notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]notification(nil), c.got...)
}

// startChain starts the chain scraping target (a /metrics URL); both
// processes are stopped when the test ends.
func startChain(t *testing.T, target string, o chainOptions) *alertChain {
	t.Helper()
	am, prom := binary(t, alertmanagerPath), binary(t, prometheusPath)
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("target %q: want http://host:port/metrics (%v)", target, err)
	}
	if u.Path == "" {
		u.Path = "/metrics"
	}
	c := &alertChain{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err == nil {
			c.mu.Lock()
			c.got = append(c.got, n)
			c.mu.Unlock()
		}
	}))
	t.Cleanup(hook.Close)

	dir := t.TempDir()
	cfg, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("https://alert-relay.rie.example"), []byte(hook.URL))
	if bytes.Contains(cfg, []byte("rie.example")) {
		t.Fatal("a receiver still points outside the test")
	}
	amCfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amCfg, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	amPort := freeport.TCP(t)
	c.am = fmt.Sprintf("http://127.0.0.1:%d", amPort)
	startProcess(t, "alertmanager.log", am, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", amPort), "--cluster.listen-address=", "--log.level=warn")
	waitReady(t, c.am+"/-/ready", 15*time.Second)

	rules, err := filepath.Abs("rules")
	if err != nil {
		t.Fatal(err)
	}
	if o.forScale > 1 {
		rules = filepath.Join(dir, "rules")
		if err := os.Mkdir(rules, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range ruleFiles(t) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(rules, filepath.Base(p)), scaleFor(t, b, o.forScale), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: %s
  scrape_timeout: %s
  evaluation_interval: %s
rule_files:
  - %q
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: vigie
    scheme: %q
    metrics_path: %q
    static_configs:
      - targets: [%q]
`, model(o.scrape), model(o.scrape), model(o.eval), filepath.Join(rules, "*.rules.yml"), fmt.Sprintf("127.0.0.1:%d", amPort),
		u.Scheme, u.Path, u.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
	promPort := freeport.TCP(t)
	c.prom = fmt.Sprintf("http://127.0.0.1:%d", promPort)
	startProcess(t, "prometheus.log", prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--log.level=warn")
	waitReady(t, c.prom+"/-/ready", 30*time.Second)
	return c
}

// model writes a duration as Prometheus reads it (whole seconds).
func model(d time.Duration) string { return fmt.Sprintf("%ds", max(int(d.Seconds()), 1)) }

var (
	forLine      = regexp.MustCompile(`(?m)^(\s+for: )(\d+)([smh])$`)
	intervalLine = regexp.MustCompile(`(?m)^\s+interval: \S+\n`)
)

// scaleFor divides every "for" of a rule file by k (whole seconds, at least
// one) and drops the groups' own evaluation intervals, so that recording
// rules follow the chain's evaluation interval.
func scaleFor(t *testing.T, b []byte, k int) []byte {
	t.Helper()
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}
	b = forLine.ReplaceAllFunc(b, func(m []byte) []byte {
		g := forLine.FindSubmatch(m)
		n, err := strconv.Atoi(string(g[2]))
		if err != nil {
			t.Fatalf("rule for %q: %v", m, err)
		}
		d := time.Duration(n) * unit[string(g[3])] / time.Duration(k)
		return append(append([]byte{}, g[1]...), model(d)...)
	})
	return intervalLine.ReplaceAll(b, nil)
}
