package dashboards

// noc.go holds what the NOC and the on-call reach first (issue 16): the
// isolated and degraded sites by name with their cause, circuits and
// since-when, the site dashboard found by name or from an alert's link,
// and a row per overseas territory. Names and places come from the info
// series (vigie_site_info, vigie_access_info), joined at query time.

import "strings"

// SiteDashboardUID is the site dashboard's uid: alert annotations link to
// SiteDashboardPath with ?var-site=<site id>, so it must never change.
const SiteDashboardUID = "vigie-site"

// SiteDashboardPath is the site dashboard's path under Grafana's base URL.
// Grafana resolves /d/<uid> whatever the slug after it.
const SiteDashboardPath = "/d/" + SiteDashboardUID + "/vigie-site-detail"

// siteLink is the data link from a table row that has a site column to the
// site dashboard, keeping the data source, vigie instance and time range.
func siteLink() map[string]any {
	return map[string]any{
		"title": "Site detail of ${__data.fields.site}",
		"url": SiteDashboardPath + "?var-site=${__data.fields.site}" +
			"&${datasource:queryparam}&${job:queryparam}&${instance:queryparam}&${__url_time_range}",
	}
}

// troubledSites is one series per isolated or degraded site of the
// selected regions, valued with the time its state began in milliseconds
// (Grafana's dateTime units), labelled state, cause_kind and cause (those
// two for isolated sites), and the place and whom from vigie_site_info.
func troubledSites() string {
	isolated := `label_replace(1000 * vigie_site_state_since_seconds{JI,region=~"$region"}` +
		` * on (job, instance, site) group_left (cause_kind, cause) vigie_site_isolation_cause{JI}, "state", "isolated", "", "")`
	degraded := `label_replace(1000 * (vigie_site_state_since_seconds{JI,region=~"$region"}` +
		` and on (job, instance, site) (vigie_site_protection_effective{JI} < vigie_site_protection_designed{JI})` +
		` unless on (job, instance, site) (vigie_site_isolated{JI} == 1)), "state", "degraded", "", "")`
	return `((` + isolated + ` or ` + degraded + `)` +
		` * on (job, instance, site) group_left (name, commune, department, ministry, contact) vigie_site_info{JI})`
}

// troubledLabels are the labels of troubledSites' series, the table's
// columns (and the groupBy transformation's keys).
var troubledLabels = []string{"site", "name", "state", "cause_kind", "cause", "commune", "department", "region", "ministry", "contact"}

// isolatedNowTable lists the isolated and degraded sites, one row each,
// with the circuits and operators of their accesses.
func isolatedNowTable() *Panel {
	// One series per access of a troubled site (the access's operator and
	// circuit with the site's labels), and the site alone when it has no
	// declared access: the groupBy transformation folds them to a row.
	expr := `vigie_access_info{JI} * on (job, instance, site) group_left (` + strings.Join(troubledLabels[1:], ", ") + `) ` +
		troubledSites() + ` or on (job, instance, site) ` + troubledSites()
	p := panel("table", "Isolated and degraded sites now", "short",
		"Every site cut off from the datacentres (isolated) or below its designed protection (degraded) now: its name and place, the cause vigie holds responsible, the operators and circuit ids of its accesses (to quote to the operator), whom to call (contact) and since when. A click on a site opens its dashboard. Empty when every site is nominal.",
		tableQ(expr))
	fields := map[string]any{}
	for _, l := range troubledLabels {
		fields[l] = map[string]any{"operation": "groupby", "aggregations": []string{}}
	}
	for _, l := range []string{"operator", "circuit"} {
		fields[l] = map[string]any{"operation": "aggregate", "aggregations": []string{"uniqueValues"}}
	}
	fields["Value"] = map[string]any{"operation": "aggregate", "aggregations": []string{"max"}}
	// panel() starts tables with an organize that only hides columns; the
	// groupBy must come first, so the organize that names them is last.
	p.Transformations = []Transformation{{ID: "groupBy", Options: map[string]any{"fields": fields}}}
	// Grafana names an aggregate "<field> (<reducer>)"; organize orders
	// by those names, then renames.
	order := map[string]int{}
	for i, c := range []string{"name", "site", "state", "cause_kind", "cause", "operator (uniqueValues)", "circuit (uniqueValues)",
		"Value (max)", "commune", "department", "region", "ministry", "contact"} {
		order[c] = i
	}
	p.transform("organize", map[string]any{
		"renameByName": map[string]string{"operator (uniqueValues)": "operators", "circuit (uniqueValues)": "circuits", "Value (max)": "since"},
		"indexByName":  order,
	})
	p.Options["sortBy"] = []map[string]any{{"displayName": "since", "desc": false}}
	p.FieldConfig.Overrides = []map[string]any{
		{"matcher": map[string]any{"id": "byName", "options": "since"},
			"properties": []map[string]any{{"id": "unit", "value": "dateTimeFromNow"}}},
		{"matcher": map[string]any{"id": "byName", "options": "site"},
			"properties": []map[string]any{{"id": "links", "value": []map[string]any{siteLink()}}}},
		{"matcher": map[string]any{"id": "byName", "options": "name"},
			"properties": []map[string]any{{"id": "links", "value": []map[string]any{siteLink()}}}},
		{"matcher": map[string]any{"id": "byName", "options": "state"},
			"properties": []map[string]any{{"id": "mappings", "value": []Mapping{{Type: "value", Options: map[string]MappingValue{
				"isolated": {Text: "ISOLATED", Color: "red", Index: 0}, "degraded": {Text: "degraded", Color: "orange", Index: 1}}}}},
				{"id": "custom.cellOptions", "value": map[string]any{"type": "color-text"}}}},
	}
	return p
}

// siteSearchVar is the site dashboard's site variable: its value is the
// site id (so that ?var-site=<id> from an alert selects it), its text the
// site's name, commune and id, which the drop-down's search box filters as
// the operator types. Grafana shows query_result's series as
// `name{label="value",...} value timestamp` with labels in name order,
// from which the regex's named groups take the text and the value.
func siteSearchVar() Variable {
	q := `query_result(label_join(vigie_site_info{job=~"$job",instance=~"$instance",region=~"$region"}, "search", " · ", "name", "commune", "site"))`
	v := queryVar("site", "Site", q, false,
		"The site to show: type part of its name, its commune or its id. An alert's link sets it by id (?var-site=<id>).")
	// search and site are the last two labels in name order; the text is
	// taken greedily, as a name may hold quotes (Grafana does not escape).
	v.Regex = `/search="(?<text>.*)", ?site="(?<value>[^"]*)"/`
	v.Sort = 5 // alphabetical, case-insensitive, on the text
	return v
}

// sitePlace is the first row of the site dashboard: where the site is and
// whom to call, and its accesses with their operator and circuit id.
func sitePlace(b *builder) {
	const s = `site="$site"`
	b.row("Where and whom")
	b.add(14, 4, panel("table", "Site", "none",
		"The site's name, place, ministry and contact reference (vigie_site_info): what to tell whoever goes there or takes the call.",
		tableQ(`vigie_site_info{JI,`+s+`}`)).
		transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Value": true, "lat": true, "lon": true},
			"indexByName":   map[string]int{"name": 0, "site": 1, "address": 2, "commune": 3, "department": 4, "region": 5, "overseas": 6, "ministry": 7, "contact": 8},
		}))
	b.add(6, 4, panel("table", "Accesses and circuits", "none",
		"The site's access links (vigie_access_info): operator and circuit id to quote when opening a ticket, and technology.",
		tableQ(`vigie_access_info{JI,`+s+`}`)).
		transform("organize", map[string]any{
			"excludeByName": map[string]bool{"Value": true, "site": true},
			"indexByName":   map[string]int{"access": 0, "operator": 1, "circuit": 2, "technology": 3},
		}))
	since := panel("stat", "In this state since", "dateTimeFromNow",
		"When the site entered its current state (nominal, degraded or isolated), as vigie saw it; vigie's start or reload for the state it found then.",
		instantQ(`1000 * vigie_site_state_since_seconds{JI,`+s+`}`, "since")).thresholds("blue")
	since.Options["colorMode"] = "none"
	b.add(4, 4, since)
}

// territoryVar selects the overseas regions the overview repeats a row for.
func territoryVar() Variable {
	return queryVar("territory", "Overseas territory",
		`label_values(vigie_region_sites{job=~"$job",instance=~"$instance",overseas="true"}, region)`, true,
		"Overseas regions (DROM and COM) to show a row for, each reached over its own few transoceanic links.")
}

// overseasRows adds one row per selected overseas territory: its sites by
// state, the state of its transoceanic links and of the routers they land
// on.
func overseasRows(b *builder) {
	// overseas="true" too: should a copy get All, it still shows only
	// the territories.
	const t = `region=~"$territory",overseas="true"`
	b.repeatRow("Overseas: $territory", "territory")
	b.add(6, 6, panel("stat", "Sites by state", "short",
		"The territory's sites: nominal, degraded (below their designed protection) or isolated (no path to any datacentre).",
		instantQ(`sum by (state) (vigie_region_sites{JI,`+t+`})`, "{{state}}")).thresholds("blue"))
	b.add(6, 6, panel("bargauge", "Share of sites connected", "percentunit",
		"Share of the territory's sites that reach at least one datacentre over its transoceanic links.",
		instantQ(`sum(vigie_region_sites{JI,`+t+`,state!="isolated"}) / sum(vigie_region_sites{JI,`+t+`})`, "connected")).
		thresholds("red", 0.95, "orange", 0.999, "green").minMax(0, 1))
	b.add(6, 6, panel("table", "Transoceanic links", "none",
		"The territory's transoceanic links (inventory technology transoceanic), up or down: few links, each a shared risk for every site behind it. A link vigie cannot tell yet is not listed.",
		tableQ(`vigie_transoceanic_link_up{JI,region=~"$territory"}`)).
		mapValues("1", "up", "green", "0", "CUT", "red"))
	b.add(6, 6, panel("table", "The territory's PoP routers", "none",
		"Whether the routers of the territory's PoP, where its transoceanic links land, answer vigie's polls from the mainland. Both silent with the sites isolated: the cables are cut, or vigie can no longer see across them.",
		tableQ(`vigie_device_up{JI,region=~"$territory"} * on (job, instance, device) group_left (pop) vigie_device_info{JI,region=~"$territory",pop!=""}`)).
		mapValues("1", "up", "green", "0", "DOWN", "red").
		transform("organize", map[string]any{"excludeByName": map[string]bool{"role": true}}))
}

// repeatRow starts a row repeated over variable: Grafana copies the row
// and the panels up to the next row once per selected value.
func (b *builder) repeatRow(title, variable string) {
	b.row(title)
	b.d.Panels[len(b.d.Panels)-1].Repeat = variable
}
