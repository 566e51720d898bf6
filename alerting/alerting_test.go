package alerting

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigie-rie/vigie/alerting/catalog"
)

var update = flag.Bool("update", false, "rewrite generated test files (tests/storm.test.yml, metrics.txt)")

// Debian's Prometheus and Alertmanager tools, as scripts/deps.sh installs them.
const (
	promtoolPath     = "/usr/bin/promtool"
	amtoolPath       = "/usr/bin/amtool"
	alertmanagerPath = "/usr/bin/prometheus-alertmanager"
	prometheusPath   = "/usr/bin/prometheus"
)

const runbookPrefix = "https://github.com/vigie-rie/vigie/blob/main/alerting/runbooks/"

// binary returns path when it exists. A missing tool skips the test on a
// developer's machine and fails it in CI (CI=true), where scripts/deps.sh
// must have installed it.
func binary(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing in CI: run scripts/deps.sh (Debian packages prometheus, prometheus-alertmanager): %v", path, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus prometheus-alertmanager); skipping", path)
	}
	return path
}

// run runs a tool and fails the test with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("rules/*.rules.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files in rules/: %v", err)
	}
	return paths
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := binary(t, promtoolPath)
	out := run(t, promtool, append([]string{"check", "rules"}, ruleFiles(t)...)...)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules did not report SUCCESS:\n%s", out)
	}
}

func TestPromtoolUnitTests(t *testing.T) {
	promtool := binary(t, promtoolPath)
	tests, err := filepath.Glob("tests/*.test.yml")
	if err != nil || len(tests) == 0 {
		t.Fatalf("no unit tests in tests/: %v", err)
	}
	// promtool resolves rule_files relative to each test file.
	run(t, promtool, append([]string{"test", "rules"}, tests...)...)
}

func TestAmtoolCheckConfig(t *testing.T) {
	amtool := binary(t, amtoolPath)
	out := run(t, amtool, "check-config", "alertmanager.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("amtool check-config did not report SUCCESS:\n%s", out)
	}
}

// TestAlertmanagerRouting checks where typical alerts go, with amtool's
// own routing code.
func TestAlertmanagerRouting(t *testing.T) {
	amtool := binary(t, amtoolPath)
	for _, tc := range []struct {
		labels   []string
		receiver string
	}{
		{[]string{"alertname=VigieIsolationRootCause", "severity=critical", "role=collection", "region=ara"}, "oncall-collection"},
		// Overseas is the label the rules set from vigie's region series,
		// not a list of region ids: a territory the file never names is
		// routed to its on-call, and a region id alone routes nowhere special.
		{[]string{"alertname=VigieSiteIsolated", "severity=critical", "role=collection", "region=reu", "overseas=true"}, "oncall-overseas"},
		{[]string{"alertname=VigieSiteIsolated", "severity=critical", "role=collection", "region=terr-nouveau", "overseas=true"}, "oncall-overseas"},
		{[]string{"alertname=VigiePoPDown", "severity=critical", "role=collection", "region=ncl", "overseas=true", "cause_kind=pop", "cause=pop-noumea-1"}, "oncall-overseas"},
		{[]string{"alertname=VigieSiteIsolated", "severity=critical", "role=collection", "region=ara", "overseas=false"}, "oncall-collection"},
		{[]string{"alertname=VigieSiteIsolated", "severity=critical", "role=collection", "region=reu"}, "oncall-collection"},
		{[]string{"alertname=VigieMaintenance", "severity=info", "role=collection", "region=national", "site=S-ly-1", "window=CHG-1"}, "blackhole"},
		// Scenario cuts: the internet (national, the PFAI's on-call), an
		// overseas cable (the territory's), a backbone split (national).
		{[]string{"alertname=VigieIsolationRootCause", "severity=critical", "role=pfai", "region=national", "cause_kind=internet", "cause=internet"}, "oncall-platforms"},
		{[]string{"alertname=VigieIsolationRootCause", "severity=critical", "role=collection", "region=myt", "overseas=true", "cause_kind=srlg", "cause=cable-myt-1"}, "oncall-overseas"},
		{[]string{"alertname=VigieIsolationRootCause", "severity=critical", "role=collection", "region=national", "cause_kind=srlg", "cause=trunk-1+trunk-2"}, "oncall-collection"},
		{[]string{"alertname=VigieRouterDown", "severity=critical", "role=backbone", "region=idf"}, "oncall-backbone"},
		{[]string{"alertname=VigieInterconnectDown", "severity=critical", "role=pfs", "region=national"}, "oncall-platforms"},
		{[]string{"alertname=VigieInternetDefaultRouteLost", "severity=critical", "role=pfai", "region=national"}, "oncall-platforms"},
		{[]string{"alertname=VigieSiteRedundancyLost", "severity=warning", "role=collection", "region=ara"}, "noc-tickets"},
		{[]string{"alertname=VigieSitesIsolatedIfInternetCut", "severity=warning", "role=collection", "region=reu"}, "planning"},
		{[]string{"alertname=VigieInterconnectDependsOnInternet", "severity=warning", "role=pfs", "region=national"}, "planning"},
		{[]string{"alertname=VigieDown", "severity=critical", "role=vigie", "region=national"}, "oncall-vigie"},
		{[]string{"alertname=VigiePollerLagging", "severity=warning", "role=vigie", "region=national"}, "vigie-maintainers"},
		{[]string{"alertname=Whatever", "severity=info", "role=collection", "region=ara"}, "blackhole"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml",
			"--verify.receivers=" + tc.receiver}, tc.labels...)
		cmd := exec.Command(amtool, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%v: want receiver %s: %v\n%s", tc.labels, tc.receiver, err, out)
		}
	}
}

// TestAlertConventions checks the monitoring-mixin conventions on every
// alert, and that each has a runbook and each runbook an alert.
func TestAlertConventions(t *testing.T) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	alerts := Alerts(files)
	if len(alerts) < 20 {
		t.Fatalf("found %d alerts, want the 20-odd of issue 6", len(alerts))
	}
	name := regexp.MustCompile(`^Vigie[A-Z][A-Za-z0-9]+$`)
	seen := map[string]bool{}
	for _, a := range alerts {
		if !name.MatchString(a.Alert) {
			t.Errorf("%s: alert names are CamelCase with the prefix Vigie", a.Alert)
		}
		if seen[a.Alert] {
			t.Errorf("%s: defined twice", a.Alert)
		}
		seen[a.Alert] = true
		switch a.Labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("%s: severity %q, want critical, warning or info", a.Alert, a.Labels["severity"])
		}
		for _, k := range []string{"summary", "description", "summary_fr", "description_fr", "runbook_url"} {
			if strings.TrimSpace(a.Annotations[k]) == "" {
				t.Errorf("%s: no %s annotation", a.Alert, k)
			}
		}
		if want := runbookPrefix + a.Alert + ".md"; a.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", a.Alert, a.Annotations["runbook_url"], want)
		}
		// The NOC works in French: every runbook exists in English and in
		// French (runbooks/fr/), each titled with the alert's name.
		for _, dir := range []string{"runbooks", "runbooks/fr"} {
			rb, err := os.ReadFile(filepath.Join(dir, a.Alert+".md"))
			if err != nil {
				t.Errorf("%s: no runbook in %s/: %v", a.Alert, dir, err)
			} else if !bytes.HasPrefix(rb, []byte("# "+a.Alert)) {
				t.Errorf("%s/%s.md must start with the title \"# %s\"", dir, a.Alert, a.Alert)
			}
		}
		for _, k := range []string{"summary", "summary_fr"} {
			if n := summaryLength(a.Annotations[k]); n > 120 {
				t.Errorf("%s: %s is about %d characters: keep it to one line a half-awake person reads", a.Alert, k, n)
			}
		}
	}
	books, _ := filepath.Glob("runbooks/*.md")
	fr, _ := filepath.Glob("runbooks/fr/*.md")
	books = append(books, fr...)
	for _, b := range books {
		n := strings.TrimSuffix(filepath.Base(b), ".md")
		if n != "README" && !seen[n] {
			t.Errorf("%s: runbook for no alert", b)
		}
	}
}

// templateAction is one {{ ... }} of an annotation template.
var templateAction = regexp.MustCompile(`{{.*?}}`)

// summaryLength estimates the length of a rendered summary: the template's
// text, each value it prints counted as 12 characters, its control actions
// (with, range, if, end) as nothing, and only the first branch of an
// if/with ... else (a site's name, else its id: one is printed). A list
// printed in a range (a site's circuits) counts once.
func summaryLength(tmpl string) int {
	n := 0
	var skipping []bool // per open block: inside its else branch
	skip := func() bool { return slices.Contains(skipping, true) }
	rest := tmpl
	for {
		loc := templateAction.FindStringIndex(rest)
		text := rest
		if loc != nil {
			text = rest[:loc[0]]
		}
		if !skip() {
			n += len([]rune(text))
		}
		if loc == nil {
			return n
		}
		f := strings.Fields(strings.Trim(rest[loc[0]:loc[1]], "{} -"))
		rest = rest[loc[1]:]
		switch {
		case len(f) == 0:
		case f[0] == "with" || f[0] == "range" || f[0] == "if":
			skipping = append(skipping, false)
		case f[0] == "else" && len(skipping) > 0:
			skipping[len(skipping)-1] = true
		case f[0] == "end" && len(skipping) > 0:
			skipping = skipping[:len(skipping)-1]
		case !skip():
			n += 12
		}
	}
}

// TestRuleMetricsKnown checks that rules use only metrics vigie exports
// (metrics.txt) or that recording rules produce.
func TestRuleMetricsKnown(t *testing.T) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Records(files) {
		cat.AddRecorded(r.Record)
	}
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				bad, err := cat.Unknown(r.Expr)
				if err != nil {
					t.Errorf("%s %s%s: %v", f.Path, r.Alert, r.Record, err)
					continue
				}
				if len(bad) > 0 {
					t.Errorf("%s %s%s: uses %v, neither in metrics.txt nor recorded", f.Path, r.Alert, r.Record, bad)
				}
			}
		}
	}
}

// unitTestFile is the part of a promtool test file the coverage check reads.
type unitTestFile struct {
	Tests []struct {
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertTested checks that each alert has a promtool case where it
// fires and one where it does not, and that firing alerts carry severity,
// role and region (static or from their series).
func TestEveryAlertTested(t *testing.T) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	firing, silent := map[string]int{}, map[string]int{}
	paths, _ := filepath.Glob("tests/*.test.yml")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f unitTestFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tc := range f.Tests {
			for _, at := range tc.AlertRuleTest {
				if len(at.ExpAlerts) == 0 {
					silent[at.Alertname]++
				}
				for _, ea := range at.ExpAlerts {
					firing[at.Alertname]++
					for _, k := range []string{"severity", "role", "region"} {
						if ea.ExpLabels[k] == "" {
							t.Errorf("%s: %s at %s fires without a %s label", p, at.Alertname, at.EvalTime, k)
						}
					}
				}
			}
		}
	}
	var missing []string
	for _, a := range Alerts(files) {
		if firing[a.Alert] == 0 {
			missing = append(missing, a.Alert+" (firing)")
		}
		if silent[a.Alert] == 0 {
			missing = append(missing, a.Alert+" (not firing)")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("alerts without a promtool unit test case: %s", strings.Join(missing, ", "))
	}
}

// TestStormTestUpToDate keeps tests/storm.test.yml equal to what
// stormTest generates (go test ./alerting -run Storm -update rewrites it).
func TestStormTestUpToDate(t *testing.T) {
	const path = "tests/storm.test.yml"
	want := stormTest(stormSites)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./alerting -run Storm -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./alerting -run Storm -update", path)
	}
}

// TestAlertDurationsDocumented keeps what docs/alerting.md's table, each
// runbook and each description say of an alert's wait equal to the rule's
// "for": an on-call reading "3 minutes" for a rule that waits 4 looks for a
// fault in the inhibition that is not there.
func TestAlertDurationsDocumented(t *testing.T) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/alerting.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (Vigie[A-Za-z0-9]+) \| [^|]+ \| [^|]+ \| ([^|]+) \|`)
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = strings.TrimSpace(m[2])
	}
	// "for N minutes" in prose; "over N minutes" and "in N minutes" are
	// windows of the expression, not the rule's wait.
	prose := regexp.MustCompile(`\bfor (\d+) minutes?\b`)
	for _, a := range Alerts(files) {
		want := a.For
		if want == "" {
			want = "-"
		}
		if got, ok := documented[a.Alert]; !ok {
			t.Errorf("docs/alerting.md: no row for %s in the alerts table", a.Alert)
		} else if got != want {
			t.Errorf("docs/alerting.md: %s waits %s, the rule says for: %s", a.Alert, got, want)
		}
		if !strings.HasSuffix(a.For, "m") {
			continue
		}
		minutes := strings.TrimSuffix(a.For, "m")
		rb, _ := os.ReadFile(filepath.Join("runbooks", a.Alert+".md"))
		meaning, _, _ := strings.Cut(string(rb), "\n## Impact")
		for where, text := range map[string]string{"runbooks/" + a.Alert + ".md (What it means)": meaning,
			"its description annotation": a.Annotations["description"]} {
			for _, m := range prose.FindAllStringSubmatch(text, -1) {
				if m[1] != minutes {
					t.Errorf("%s: %s says %q, the rule says for: %s", a.Alert, where, m[0], a.For)
				}
			}
		}
	}
}

// TestCauseFiresFirst keeps the staggered waits the inhibition rules rely
// on (alertmanager.yml rules 1 and 1b): a cause must be active before the
// alerts it inhibits, or Alertmanager flushes them as new groups first.
func TestCauseFiresFirst(t *testing.T) {
	files, err := LoadRules("rules")
	if err != nil {
		t.Fatal(err)
	}
	wait := map[string]time.Duration{}
	for _, a := range Alerts(files) {
		d, err := time.ParseDuration(a.For)
		if err == nil {
			wait[a.Alert] = d
		}
	}
	order := []string{"VigieIsolationRootCause", "VigiePoPDown", "VigieSiteIsolated", "VigieRouterDown", "VigieDeviceUnreachable"}
	for i := 1; i < len(order); i++ {
		a, b := order[i-1], order[i]
		if wait[a] == 0 || wait[b] == 0 || wait[a] >= wait[b] {
			t.Errorf("%s waits %s, %s %s: the first must fire strictly before the second it inhibits", a, wait[a], b, wait[b])
		}
	}
}
