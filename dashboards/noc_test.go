package dashboards

import (
	"fmt"
	"strings"
	"testing"
)

func loadByUID(t *testing.T) map[string]File {
	t.Helper()
	files, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]File{}
	for _, f := range files {
		out[f.Dashboard.UID] = f
	}
	return out
}

func panelNamed(t *testing.T, f File, title string) *Panel {
	t.Helper()
	for _, p := range f.Panels() {
		if p.Title == title {
			return p
		}
	}
	t.Fatalf("%s: no panel %q", f.Path, title)
	return nil
}

// TestSiteSearchByName: the site variable lists each site by name (and
// commune and id, which the drop-down's search filters) with the site id
// as value, on the series Grafana gets from Prometheus.
func TestSiteSearchByName(t *testing.T) {
	site := loadByUID(t)[SiteDashboardUID]
	var v *Variable
	for i := range site.Dashboard.Templating.List {
		if site.Dashboard.Templating.List[i].Name == "site" {
			v = &site.Dashboard.Templating.List[i]
		}
	}
	if v == nil {
		t.Fatal("the site dashboard has no site variable")
	}
	re, err := VarRegex(v.Regex)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		metric       map[string]string
		text, value  string
		matchesQuery bool
	}{
		{name: "named site", metric: map[string]string{"commune": "Lyon", "contact": "GLPI-ARA", "department": "69", "instance": "127.0.0.1:9742",
			"job": "vigie", "lat": "", "lon": "", "ministry": "Intérieur", "name": `Préfecture du Rhône, "site" A`, "overseas": "false",
			"region": "ara", "search": `Préfecture du Rhône, "site" A · Lyon · s00047`, "site": "s00047"},
			text: `Préfecture du Rhône, "site" A · Lyon · s00047`, value: "s00047"},
		{name: "site without name nor commune", metric: map[string]string{"job": "vigie", "region": "reu", "overseas": "true",
			"search": " ·  · s00912", "site": "s00912"},
			text: " ·  · s00912", value: "s00912"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// label_join drops the metric name.
			line := QueryResultText(tc.metric, "1", 1796300000)
			text, value, ok := VarOption(re, line)
			if !ok || text != tc.text || value != tc.value {
				t.Errorf("%s on %s: text %q value %q (match %t), want %q %q", v.Regex, line, text, value, ok, tc.text, tc.value)
			}
		})
	}
	if !strings.Contains(v.Definition, "vigie_site_info") || !strings.Contains(v.Definition, `"search"`) {
		t.Errorf("site variable %s: want the search label joined onto vigie_site_info", v.Definition)
	}
	// An alert's ?var-site=<id> must find the site whatever the region:
	// the region variable defaults to All.
	for _, r := range site.Dashboard.Templating.List {
		if r.Name == "region" && (!r.IncludeAll || r.Current["value"] != "$__all") {
			t.Errorf("site dashboard's region variable: includeAll %t, current %v: want All by default", r.IncludeAll, r.Current)
		}
	}
	for _, title := range []string{"Site", "Accesses and circuits", "In this state since"} {
		if p := panelNamed(t, site, title); p.GridPos.Y > 2 {
			t.Errorf("panel %q at y=%d: want it at the top of the site dashboard", title, p.GridPos.Y)
		}
	}
}

// TestIsolatedSitesTable: the overview lists troubled sites by name with
// cause, circuits, operators and since-when, one row per site, each row
// linking to the site dashboard by id.
func TestIsolatedSitesTable(t *testing.T) {
	p := panelNamed(t, loadByUID(t)["vigie-overview"], "Isolated and degraded sites now")
	expr := p.Targets[0].Expr
	for _, m := range []string{"vigie_site_state_since_seconds", "vigie_site_isolation_cause", "vigie_site_info", "vigie_access_info"} {
		if !strings.Contains(expr, m) {
			t.Errorf("query lacks %s: %s", m, expr)
		}
	}
	if len(p.Transformations) < 2 || p.Transformations[0].ID != "groupBy" {
		t.Fatalf("transformations %+v: want a groupBy first (one row per site)", p.Transformations)
	}
	fields := p.Transformations[0].Options["fields"].(map[string]any)
	for _, l := range []string{"operator", "circuit"} {
		f, _ := fields[l].(map[string]any)
		if f["operation"] != "aggregate" || !strings.Contains(fmt.Sprint(f["aggregations"]), "uniqueValues") {
			t.Errorf("groupBy of %s = %v: want its unique values gathered on the site's row", l, f)
		}
	}
	if f, _ := fields["site"].(map[string]any); f["operation"] != "groupby" {
		t.Errorf("groupBy does not group by site: %v", fields["site"])
	}
	var links int
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o["properties"].([]any) {
			if prop := prop.(map[string]any); prop["id"] != "links" {
				continue
			}
			for _, l := range prop.(map[string]any)["value"].([]any) {
				url, _ := l.(map[string]any)["url"].(string)
				if !strings.HasPrefix(url, SiteDashboardPath+"?var-site=${__data.fields.site}") {
					t.Errorf("row link %s: want %s?var-site=<the row's site>", url, SiteDashboardPath)
				}
				links++
			}
		}
	}
	if links == 0 {
		t.Error("no link from a row to the site dashboard")
	}
}

// TestOverseasRows: the overview repeats a row per overseas territory, and
// every panel of that row is about the territory of its copy.
func TestOverseasRows(t *testing.T) {
	ov := loadByUID(t)["vigie-overview"]
	var vdef string
	for _, v := range ov.Dashboard.Templating.List {
		if v.Name == "territory" {
			vdef = v.Definition
		}
	}
	if !strings.Contains(vdef, `overseas="true"`) {
		t.Fatalf("territory variable %q: want the regions labelled overseas=\"true\"", vdef)
	}
	in, n := false, 0
	for _, p := range ov.Dashboard.Panels {
		if p.Type == "row" {
			in = p.Repeat == "territory"
			continue
		}
		if !in {
			continue
		}
		n++
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, `region=~"$territory"`) {
				t.Errorf("panel %q of the territory row: query %s ignores $territory", p.Title, tg.Expr)
			}
		}
	}
	if n == 0 {
		t.Error("no row repeated over $territory")
	}
}
