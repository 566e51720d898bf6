package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// series returns the label sets of family's series in a /metrics text.
func series(t *testing.T, text, family string) []map[string]string {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	var out []map[string]string
	if mf := mfs[family]; mf != nil {
		for _, m := range mf.GetMetric() {
			ls := map[string]string{}
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			out = append(out, ls)
		}
	}
	return out
}

// withLabel returns the series of ss whose label k is v.
func withLabel(ss []map[string]string, k, v string) []map[string]string {
	var out []map[string]string
	for _, s := range ss {
		if s[k] == v {
			out = append(out, s)
		}
	}
	return out
}

// coord is how vigie_site_info writes a latitude or longitude.
func coord(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }

// TestPlacesThroughRun: `vigie run` over a simulated fleet exposes, for the
// NOC, each site's name, commune, department, ministry, contact and
// position (vigie_site_info), each access's operator and circuit
// (vigie_access_info), the circuit the agents answer as ifAlias
// (vigie_interface_info) and overseas on the site series. A site whose
// only access is cut is then isolated, and Prometheus's own evaluator
// (promtool), fed the scraped series, joins the page to the site's name and
// to the cut circuit with group_left. A reload that renames the site
// replaces its info series, leaving no stale one.
func TestPlacesThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	promtool := toolPath(t, "promtool")
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(24, 20) // s00024 is in La Réunion
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 20})
	var target *inventory.Site
	for i := range inv.Sites {
		if s := &inv.Sites[i]; len(s.Access) == 1 && s.Access[0].Router != "" && !s.Access[0].ViaInternet {
			target = s
			break
		}
	}
	if target == nil {
		t.Fatal("the simulated fleet has no site with one access: the test needs one")
	}
	config := writeConfig(t, dir, inv)
	port := freeport.TCP(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))

	// Every site's facts as the inventory says, and the access circuits
	// in ifAlias once the aggregation routers are polled.
	access := inv.Sites[0].Access[0]
	var text string
	vigie.waitFor(30*time.Second, "vigie_interface_info with the circuit of "+access.Device+" "+access.Interface, func() bool {
		var ok bool
		text, ok = httpGet(url)
		return ok && len(withLabel(withLabel(series(t, text, "vigie_interface_info"), "device", access.Device), "alias", access.Circuit)) == 1
	})
	infos := series(t, text, "vigie_site_info")
	if len(infos) != len(inv.Sites) {
		t.Errorf("%d vigie_site_info series, want one per site (%d)", len(infos), len(inv.Sites))
	}
	overseas := 0
	for _, s := range inv.Sites {
		got := withLabel(infos, "site", s.ID)
		want := map[string]string{"site": s.ID, "name": s.Name, "region": s.Region, "department": s.Department,
			"ministry": s.Ministry, "overseas": strconv.FormatBool(s.Overseas), "commune": s.Commune,
			"lat": coord(s.Lat), "lon": coord(s.Lon), "contact": s.Contact}
		if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
			t.Errorf("site %s: vigie_site_info %v, want %v", s.ID, got, want)
		}
		if s.Commune == "" || s.Ministry == "" {
			t.Errorf("site %s: the simulator gave no commune or ministry: %+v", s.ID, s)
		}
		if s.Overseas {
			overseas++
		}
		iso := withLabel(series(t, text, "vigie_site_isolated"), "site", s.ID)
		if len(iso) != 1 || iso[0]["overseas"] != strconv.FormatBool(s.Overseas) {
			t.Errorf("site %s (overseas %v): vigie_site_isolated %v", s.ID, s.Overseas, iso)
		}
	}
	if overseas == 0 {
		t.Error("no overseas site in the fleet: the test needs one")
	}
	circuits := series(t, text, "vigie_access_info")
	if c := withLabel(circuits, "site", target.ID); len(c) != 1 || c[0]["circuit"] != target.Access[0].Circuit ||
		c[0]["operator"] != target.Access[0].Operator || c[0]["circuit"] == "" {
		t.Errorf("site %s: vigie_access_info %v, want its one access with circuit %q", target.ID, c, target.Access[0].Circuit)
	}

	// Cut the target's only access: vigie pages for it.
	a := target.Access[0]
	if _, err := agent.Cut("link:" + a.Router + "--" + a.Device); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(30*time.Second, "site "+target.ID+" isolated", func() bool {
		var ok bool
		text, ok = httpGet(url)
		iso := withLabel(series(t, text, "vigie_site_isolated"), "site", target.ID)
		return ok && len(iso) == 1 && strings.Contains(text, `vigie_site_isolated{overseas="false",region="`+target.Region+`",site="`+target.ID+`"} 1`)
	})
	checkJoin(t, promtool, dir, text, target)

	// A reload renaming the site: the new name only.
	renamed := `Préfecture "annexe" \ ` + target.Commune
	old := target.Name
	target.Name = renamed
	writeConfig(t, dir, inv)
	if err := vigie.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(30*time.Second, "vigie_site_info with the new name of "+target.ID, func() bool {
		var ok bool
		text, ok = httpGet(url)
		return ok && len(withLabel(series(t, text, "vigie_site_info"), "name", renamed)) == 1
	})
	if got := withLabel(series(t, text, "vigie_site_info"), "site", target.ID); len(got) != 1 {
		t.Errorf("after the rename, site %s has %d vigie_site_info series, want 1 (old name %q): %v", target.ID, len(got), old, got)
	}
	if _, err := vigie.stop(15 * time.Second); err != nil {
		t.Errorf("vigie run: %v\n%s", err, stderr.String())
	}
}

// checkJoin runs promtool's rule-test evaluator on the series of text a
// page and the info series need, with the joins a dashboard or an alert
// template makes: the isolated site's name and commune, and the operator
// and circuit of the access that cut it off.
func checkJoin(t *testing.T, promtool, dir, text string, target *inventory.Site) {
	t.Helper()
	var in bytes.Buffer
	for _, fam := range []string{"vigie_site_isolated", "vigie_site_isolation_cause", "vigie_site_info", "vigie_access_info"} {
		for _, s := range series(t, text, fam) {
			value := "1"
			if fam == "vigie_site_isolated" && s["site"] != target.ID {
				value = "0"
			}
			fmt.Fprintf(&in, "      - series: %s\n        values: '%s'\n", yamlQuote(fam+promLabels(s)), value+"x5")
		}
	}
	a := target.Access[0]
	test := fmt.Sprintf(`rule_files: []
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    promql_expr_test:
      - expr: max by (site, name, commune) ((vigie_site_isolated == 1) * on (site) group_left (name, commune) vigie_site_info)
        eval_time: 2m
        exp_samples:
          - labels: %s
            value: 1
      - expr: max by (site, operator, circuit) (label_replace(vigie_site_isolation_cause{cause_kind="link"}, "access", "$1", "cause", "(.*)") * on (site, access) group_left (operator, circuit) vigie_access_info)
        eval_time: 2m
        exp_samples:
          - labels: %s
            value: 1
`, in.String(),
		yamlQuote(promLabels(map[string]string{"site": target.ID, "name": target.Name, "commune": target.Commune})),
		yamlQuote(promLabels(map[string]string{"site": target.ID, "operator": a.Operator, "circuit": a.Circuit})))
	path := filepath.Join(dir, "join.test.yml")
	if err := os.WriteFile(path, []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s\ncause series: %v", err, out, withLabel(series(t, text, "vigie_site_isolation_cause"), "site", target.ID))
	}
}

// promLabels writes ls as a PromQL label set, in name order.
func promLabels(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(ls[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// yamlQuote quotes s as a YAML single-quoted scalar.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// toolPath returns the path of a Debian test peer (scripts/deps.sh), or
// skips the test without it; under CI=true its absence fails the test.
func toolPath(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("/usr/bin", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing in CI: run scripts/deps.sh: %v", path, err)
		}
		t.Skipf("%s not installed (scripts/deps.sh); skipping", path)
	}
	return path
}
