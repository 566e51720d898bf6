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
	"sort"
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
	am, prom := binary(t, alertmanagerPath), binary(t, prometheusPath)
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("VIGIE_URL %q: want http://host:port/metrics (%v)", target, err)
	}
	if u.Path == "" {
		u.Path = "/metrics"
	}

	var mu sync.Mutex
	var got []notification
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err == nil {
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}
	}))
	defer hook.Close()

	dir := t.TempDir()
	cfg, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("https://alert-relay.rie.example"), []byte(hook.URL))
	amCfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amCfg, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	amPort := freeport.TCP(t)
	amURL := fmt.Sprintf("http://127.0.0.1:%d", amPort)
	startProcess(t, "alertmanager.log", am, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", amPort), "--cluster.listen-address=", "--log.level=warn")
	waitReady(t, amURL+"/-/ready", 15*time.Second)

	rules, err := filepath.Abs("rules")
	if err != nil {
		t.Fatal(err)
	}
	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 10s
  evaluation_interval: 15s
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
`, filepath.Join(rules, "*.rules.yml"), fmt.Sprintf("127.0.0.1:%d", amPort), u.Scheme, u.Path, u.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
	promPort := freeport.TCP(t)
	startProcess(t, "prometheus.log", prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--log.level=warn")
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", promPort), 30*time.Second)

	t.Logf("waiting %s for the alerts to go through", wait)
	time.Sleep(wait)

	mu.Lock()
	defer mu.Unlock()
	pages := map[string]int{}
	var lines []string
	for _, n := range got {
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
	all := getAlerts(t, amURL+"/api/v2/alerts?active=true&inhibited=true&silenced=true")
	active := getAlerts(t, amURL+"/api/v2/alerts?active=true&inhibited=false&silenced=false")
	t.Logf("Alertmanager holds %d alerts, %d of them not inhibited", len(all), len(active))
}
