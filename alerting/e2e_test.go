package alerting

// The end-to-end check: Debian's Prometheus scrapes a vigie (or the
// fixture), evaluates the rule files, and every dashboard query and every
// recording rule must return data. alerting/e2e.sh runs it against a vigie:
//
//	alerting/e2e.sh http://127.0.0.1:9742/metrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/alerting/catalog"
	"github.com/vigie-rie/vigie/dashboards"
	"github.com/vigie-rie/vigie/internal/freeport"
)

// TestEndToEnd runs the check against the vigie at $VIGIE_URL (its
// /metrics URL); without it, against an in-process `vigie demo` (a
// simulated RIE with its default faults). VIGIE_E2E_SETTLE (a Go
// duration, default 45s) is how long Prometheus scrapes and evaluates
// before the queries run.
func TestEndToEnd(t *testing.T) {
	binary(t, prometheusPath)
	target := os.Getenv("VIGIE_URL")
	if target == "" {
		target = startDemo(t)
	}
	settle := 45 * time.Second
	if s := os.Getenv("VIGIE_E2E_SETTLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("VIGIE_E2E_SETTLE=%q: %v", s, err)
		}
		settle = d
	}
	r := endToEnd(t, target, settle)
	r.check(t)
}

// TestEndToEndOnFixture runs the same check against testdata/fixture.prom,
// a small RIE exposing every metric of metrics.txt.
func TestEndToEndOnFixture(t *testing.T) {
	binary(t, prometheusPath)
	fixture, err := os.ReadFile("testdata/fixture.prom")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write(fixture)
	}))
	defer srv.Close()
	r := endToEnd(t, srv.URL+"/metrics", 8*time.Second)
	r.check(t)
	// The rules ran on the scraped data: the isolated site's alert is
	// pending (its "for" is longer than the test).
	if n := len(r.query(t, `ALERTS{alertname="VigieSiteIsolated",site="S-ly-1",cause="agg-lyon-1"}`)); n != 1 {
		t.Errorf("VigieSiteIsolated for S-ly-1: %d series in ALERTS, want 1", n)
	}
	// The page's site joined to its name and commune (docs/alerting.md).
	named := r.query(t, `(vigie_site_isolated == 1) * on (job, instance, site) group_left (name, commune) vigie_site_info`)
	if len(named) != 1 || named[0].Metric["site"] != "S-ly-1" || named[0].Metric["name"] != "Préfecture du Rhône" ||
		named[0].Metric["commune"] != "Lyon" {
		t.Errorf("isolated sites joined to vigie_site_info: %v, want S-ly-1, Préfecture du Rhône, Lyon", named)
	}
}

// TestFixtureCoversMetrics keeps the fixture exposing every listed metric.
func TestFixtureCoversMetrics(t *testing.T) {
	cat, err := catalog.Load("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/fixture.prom")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		seen[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0], "_bucket"), "_sum"), "_count")] = true
	}
	for _, m := range cat.Metrics() {
		if m.Name != "up" && !seen[m.Name] {
			t.Errorf("testdata/fixture.prom does not expose %s", m.Name)
		}
	}
}

// e2eRun is one end-to-end run: the Prometheus it started and what it found.
type e2eRun struct {
	prom    string // base URL of the Prometheus
	empty   []string
	allowed []string
	errs    []string
}

// check fails the test listing the empty queries and the errors.
func (r *e2eRun) check(t *testing.T) {
	t.Helper()
	if len(r.allowed) > 0 {
		t.Logf("empty, as allowed by testdata/e2e-may-be-empty.txt:\n  %s", strings.Join(r.allowed, "\n  "))
	}
	if len(r.errs) > 0 {
		t.Errorf("%d errors:\n  %s", len(r.errs), strings.Join(r.errs, "\n  "))
	}
	if len(r.empty) > 0 {
		t.Errorf("%d queries returned no data:\n  %s", len(r.empty), strings.Join(r.empty, "\n  "))
	}
}

// apiResponse is Prometheus' HTTP API envelope.
type apiResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

func (r *e2eRun) api(path string, params url.Values) (json.RawMessage, error) {
	resp, err := http.Get(r.prom + path + "?" + params.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var a apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, resp.Status, err)
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", a.ErrorType, a.Error, params.Get("query"))
	}
	return a.Data, nil
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
}

// instant runs an instant query and returns how many series it gave
// (a scalar counts as one).
func (r *e2eRun) instant(expr string) (int, error) {
	data, err := r.api("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	var res struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return 0, err
	}
	if res.ResultType == "scalar" || res.ResultType == "string" {
		return 1, nil
	}
	var vec []sample
	if err := json.Unmarshal(res.Result, &vec); err != nil {
		return 0, err
	}
	return len(vec), nil
}

func (r *e2eRun) query(t *testing.T, expr string) []sample {
	t.Helper()
	data, err := r.api("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Result []sample `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	return res.Result
}

// endToEnd starts Prometheus on 127.0.0.1 scraping target with the rule
// files loaded, lets it run for settle, then runs every dashboard query
// and recording rule.
func endToEnd(t *testing.T, target string, settle time.Duration) *e2eRun {
	t.Helper()
	prom := binary(t, prometheusPath)
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("target %q: want a URL such as http://127.0.0.1:9742/metrics (%v)", target, err)
	}
	if u.Path == "" {
		u.Path = "/metrics"
	}
	dir := t.TempDir()
	// The recording groups evaluate every minute in production; here every
	// 2 s, so that a short run evaluates them many times.
	interval := regexp.MustCompile(`(?m)^\s+interval: \S+\n`)
	for _, p := range ruleFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), interval.ReplaceAll(b, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 2s
rule_files:
  - %q
scrape_configs:
  - job_name: vigie
    scheme: %q
    metrics_path: %q
    static_configs:
      - targets: [%q]
`, filepath.Join(dir, "*.rules.yml"), u.Scheme, u.Path, u.Host)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeport.TCP(t)
	r := &e2eRun{prom: fmt.Sprintf("http://127.0.0.1:%d", port)}
	startProcess(t, "prometheus.log", prom, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	waitReady(t, r.prom+"/-/ready", 30*time.Second)

	// Wait for a successful scrape, then let rates and rules settle.
	deadline := time.Now().Add(60 * time.Second)
	var instance string
	for instance == "" {
		data, err := r.api("/api/v1/query", url.Values{"query": {`up{job="vigie"} == 1`}})
		if err == nil {
			var res struct {
				Result []sample `json:"result"`
			}
			if json.Unmarshal(data, &res) == nil && len(res.Result) > 0 {
				instance = res.Result[0].Metric["instance"]
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus could not scrape %s within 60 s (see prometheus.log)", target)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(settle)

	// What the rules make of it, for the log: pending alerts are firing
	// ones whose "for" has not elapsed yet.
	if alerts, err := r.api("/api/v1/query", url.Values{"query": {`count by (alertname, alertstate) (ALERTS)`}}); err == nil {
		t.Logf("alerts after %s: %s", settle, alerts)
	}
	allowed := mayBeEmpty(t)
	r.checkRules()
	r.checkRecords(t, allowed)
	r.checkDashboards(t, allowed, instance)
	sort.Strings(r.empty)
	return r
}

// mayBeEmpty reads testdata/e2e-may-be-empty.txt.
func mayBeEmpty(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/e2e-may-be-empty.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out[l] = true
		}
	}
	return out
}

// checkRules reports every rule Prometheus failed to evaluate (a join that
// found duplicates, a template error...).
func (r *e2eRun) checkRules() {
	data, err := r.api("/api/v1/rules", url.Values{})
	if err != nil {
		r.errs = append(r.errs, "rules API: "+err.Error())
		return
	}
	var res struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		r.errs = append(r.errs, "rules API: "+err.Error())
		return
	}
	n := 0
	for _, g := range res.Groups {
		for _, rule := range g.Rules {
			n++
			if rule.Health != "ok" {
				r.errs = append(r.errs, fmt.Sprintf("rule %s/%s: health %s: %s", g.Name, rule.Name, rule.Health, rule.LastError))
			}
		}
	}
	if n == 0 {
		r.errs = append(r.errs, "Prometheus loaded no rule")
	}
}

func (r *e2eRun) checkRecords(t *testing.T, allowed map[string]bool) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range Records(files) {
		r.classify("record/"+rec.Record, rec.Record, allowed)
	}
}

// classify runs one query and files it as fine, empty, allowed or failed.
func (r *e2eRun) classify(key, expr string, allowed map[string]bool) {
	n, err := r.instant(expr)
	switch {
	case err != nil:
		r.errs = append(r.errs, fmt.Sprintf("%s: %v", key, err))
	case n == 0 && allowed[key]:
		r.allowed = append(r.allowed, key)
	case n == 0:
		r.empty = append(r.empty, fmt.Sprintf("%s: %s", key, expr))
	}
}

// checkDashboards resolves each dashboard's variables as Grafana would
// (All for multi-value ones, else the first value) and runs its queries.
func (r *e2eRun) checkDashboards(t *testing.T, allowed map[string]bool, instance string) {
	files, err := dashboards.Load("../dashboards")
	if err != nil {
		t.Fatal(err)
	}
	queries := dashboards.Queries(files)
	if len(queries) == 0 {
		t.Fatal("no dashboard query found")
	}
	for _, f := range files {
		vars := map[string]string{"job": "vigie", "instance": instance, "__rate_interval": "1m"}
		// A row repeated over a variable gets one value per copy: its
		// queries run with the first, as in the first copy.
		repeated := map[string]bool{}
		for _, p := range f.Dashboard.Panels {
			if p.Repeat != "" {
				repeated[p.Repeat] = true
			}
		}
		for _, v := range f.Dashboard.Templating.List {
			if v.Type != "query" || v.Name == "job" || v.Name == "instance" {
				continue
			}
			if v.IncludeAll && !repeated[v.Name] {
				vars[v.Name] = ".*"
				continue
			}
			if q, ok := strings.CutPrefix(v.Definition, "query_result("); ok {
				value, err := r.queryResultVar(v, dashboards.Expand(strings.TrimSuffix(q, ")"), vars))
				if err != nil {
					r.errs = append(r.errs, fmt.Sprintf("%s: variable %s (%s) has no value: %v", f.Dashboard.UID, v.Name, v.Definition, err))
					value = ".*"
				}
				vars[v.Name] = value
				continue
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(v.Definition, "label_values("), ")")
			i := strings.LastIndex(inner, ",")
			sel, label := dashboards.Expand(inner[:i], vars), strings.TrimSpace(inner[i+1:])
			data, err := r.api("/api/v1/label/"+label+"/values", url.Values{"match[]": {sel}})
			var values []string
			if err == nil {
				err = json.Unmarshal(data, &values)
			}
			if err != nil || len(values) == 0 {
				r.errs = append(r.errs, fmt.Sprintf("%s: variable %s (%s) has no value: %v", f.Dashboard.UID, v.Name, v.Definition, err))
				vars[v.Name] = ".*"
				continue
			}
			vars[v.Name] = values[0]
		}
		for _, q := range dashboards.Queries([]dashboards.File{f}) {
			r.classify(q.Dashboard+"/"+q.Panel, dashboards.Expand(q.Expr, vars), allowed)
		}
	}
}

// queryResultVar resolves a query_result(expr) variable as Grafana does:
// each series of expr listed as dashboards.QueryResultText, the variable's
// regex taking the option's value from it. It returns the first value.
func (r *e2eRun) queryResultVar(v dashboards.Variable, expr string) (string, error) {
	re, err := dashboards.VarRegex(v.Regex)
	if err != nil {
		return "", err
	}
	data, err := r.api("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return "", err
	}
	var res struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return "", err
	}
	type option struct{ text, value string }
	var options []option
	for _, s := range res.Result {
		ts, _ := s.Value[0].(float64)
		val, _ := s.Value[1].(string)
		if text, value, ok := dashboards.VarOption(re, dashboards.QueryResultText(s.Metric, val, ts)); ok && value != "" {
			options = append(options, option{text, value})
		}
	}
	if len(options) == 0 {
		return "", fmt.Errorf("%d series, none matching %s", len(res.Result), v.Regex)
	}
	// Grafana's first option: sorted on the text (odd sorts ascending,
	// even ones descending; 5 and 6 case-insensitively), the query's order
	// with sort 0.
	if v.Sort > 0 {
		sort.SliceStable(options, func(i, j int) bool {
			a, b := options[i].text, options[j].text
			if v.Sort >= 5 {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			if v.Sort%2 == 0 {
				return a > b
			}
			return a < b
		})
	}
	return options[0].value, nil
}
