package dashboards

// build.go lays panels out and fills in what every vigie dashboard shares:
// the datasource, job and instance variables, the links between the
// dashboards, units and descriptions. specs.go says what each dashboard
// shows.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// jobInstance is the matcher every selector carries, so that one Grafana
// shows one vigie of several (dashboard-linter's job and instance rules).
const jobInstance = `job=~"$job",instance=~"$instance"`

// sel expands the "{JI" shorthand of specs.go into the job and instance
// matchers: `vigie_device_up{JI,role="backbone"}`.
func sel(expr string) string {
	expr = strings.ReplaceAll(expr, "{JI}", "{"+jobInstance+"}")
	return strings.ReplaceAll(expr, "{JI,", "{"+jobInstance+",")
}

// builder accumulates the panels of one dashboard on Grafana's 24-column
// grid, left to right then top to bottom.
type builder struct {
	d      *Dashboard
	nextID int
	x, y   int
	rowH   int
}

func newDashboard(uid, title, description string, extraVars ...Variable) *builder {
	d := &Dashboard{
		UID: uid, Title: title, Description: description,
		Tags: []string{"vigie", "rie"}, Editable: true, GraphTooltip: 1, Refresh: "1m",
		SchemaVersion: schemaVersion, Version: 1,
		Time: TimeRange{From: "now-6h", To: "now"}, Timezone: "browser",
		TimePicker: TimePicker{RefreshIntervals: []string{"30s", "1m", "5m", "15m", "1h"}},
		Annotations: Annotations{List: []map[string]any{{
			"builtIn": 1, "datasource": map[string]string{"type": "grafana", "uid": "-- Grafana --"},
			"enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)",
			"name": "Annotations & Alerts", "type": "dashboard",
		}}},
		Links: []Link{{
			Title: "vigie dashboards", Type: "dashboards", Tags: []string{"vigie"}, AsDropdown: true,
			IncludeVars: true, KeepTime: true, Icon: "external link",
		}},
	}
	d.Templating.List = append([]Variable{
		{
			Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus",
			Description: "The Prometheus that scrapes vigie.", Refresh: 1, Current: map[string]any{}, Options: []any{},
		},
		queryVar("job", "Job", "label_values(vigie_sites, job)", false,
			"Prometheus job of the vigie instance(s)."),
		queryVar("instance", "Instance", `label_values(vigie_sites{job=~"$job"}, instance)`, false,
			"One vigie instance: an HA pair must not be summed."),
	}, extraVars...)
	return &builder{d: d, nextID: 1}
}

// queryVar is a Prometheus label_values variable.
func queryVar(name, label, query string, all bool, description string) Variable {
	v := Variable{
		Name: name, Label: label, Type: "query", Description: description,
		Query:      varQuery{Query: query, RefID: "PrometheusVariableQueryEditor-VariableQuery"},
		Definition: query, Datasource: &DataSourceRef{Type: "prometheus", UID: "${datasource}"},
		Refresh: 2, Sort: 1, Multi: all, IncludeAll: all, Current: map[string]any{}, Options: []any{},
	}
	if all {
		v.AllValue = ".*"
	}
	return v
}

// row starts a new row of panels.
func (b *builder) row(title string) {
	b.newline()
	f := false
	b.d.Panels = append(b.d.Panels, &Panel{ID: b.id(), Type: "row", Title: title, Collapsed: &f,
		GridPos: GridPos{H: 1, W: 24, X: 0, Y: b.y}, Panels: []*Panel{}})
	b.y++
}

func (b *builder) newline() {
	if b.x > 0 {
		b.x, b.y = 0, b.y+b.rowH
	}
	b.rowH = 0
}

func (b *builder) id() int {
	b.nextID++
	return b.nextID - 1
}

// add places p, w columns wide and h high.
func (b *builder) add(w, h int, p *Panel) {
	if b.x+w > 24 {
		b.newline()
	}
	p.ID = b.id()
	p.GridPos = GridPos{H: h, W: w, X: b.x, Y: b.y}
	b.x += w
	if h > b.rowH {
		b.rowH = h
	}
	b.d.Panels = append(b.d.Panels, p)
}

// JSON returns the dashboard as Grafana imports it.
func (b *builder) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b.d); err != nil {
		return nil, fmt.Errorf("dashboards: encode %s: %w", b.d.UID, err)
	}
	return buf.Bytes(), nil
}

// Target constructors: a range query for graphs, an instant one for stats
// and bar gauges, an instant table for tables.
func rangeQ(expr, legend string) Target {
	return Target{Datasource: datasource(), Expr: sel(expr), LegendFormat: legend, Range: true, EditorMode: "code"}
}

func instantQ(expr, legend string) Target {
	return Target{Datasource: datasource(), Expr: sel(expr), LegendFormat: legend, Instant: true, EditorMode: "code"}
}

func tableQ(expr string) Target {
	return Target{Datasource: datasource(), Expr: sel(expr), Format: "table", Instant: true, EditorMode: "code", LegendFormat: "__auto"}
}

// panel builds a panel of any type with its queries (refIds A, B, ...
// unless already set).
func panel(typ, title, unit, description string, targets ...Target) *Panel {
	for i := range targets {
		if targets[i].RefID == "" {
			targets[i].RefID = string(rune('A' + i))
		}
	}
	ds := datasource()
	p := &Panel{
		Type: typ, Title: title, Description: description, Datasource: &ds, Targets: targets,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit, Mappings: []Mapping{}}, Overrides: []map[string]any{}},
		Options:     map[string]any{},
	}
	switch typ {
	case "stat":
		p.Options = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode": "background", "graphMode": "none", "justifyMode": "auto", "textMode": "auto", "orientation": "auto"}
	case "timeseries":
		p.Options = map[string]any{"legend": map[string]any{"displayMode": "table", "placement": "right", "showLegend": true,
			"calcs": []string{"lastNotNull", "max"}}, "tooltip": map[string]any{"mode": "multi", "sort": "desc"}}
		p.FieldConfig.Defaults.Custom = map[string]any{"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": false}
	case "bargauge":
		p.Options = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"displayMode": "gradient", "orientation": "horizontal", "showUnfilled": true, "valueMode": "color"}
	case "table":
		p.Options = map[string]any{"showHeader": true, "cellHeight": "sm", "footer": map[string]any{"show": false}}
		p.Transformations = []Transformation{{ID: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true}}}}
	}
	return p
}

// thresholds colours a panel: base colour, then colour from each value.
func (p *Panel) thresholds(base string, steps ...any) *Panel {
	t := &Thresholds{Mode: "absolute", Steps: []Step{{Color: base}}}
	for i := 0; i+1 < len(steps); i += 2 {
		v := toFloat(steps[i])
		t.Steps = append(t.Steps, Step{Color: steps[i+1].(string), Value: &v})
	}
	p.FieldConfig.Defaults.Thresholds = t
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "thresholds"}
	return p
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("dashboards: threshold %v is not a number", v))
}

// mapValues maps values to texts and colours ("0", "down", "red", ...).
func (p *Panel) mapValues(kv ...string) *Panel {
	m := Mapping{Type: "value", Options: map[string]MappingValue{}}
	for i := 0; i+2 < len(kv); i += 3 {
		m.Options[kv[i]] = MappingValue{Text: kv[i+1], Color: kv[i+2], Index: i / 3}
	}
	p.FieldConfig.Defaults.Mappings = append(p.FieldConfig.Defaults.Mappings, m)
	return p
}

// minMax bounds a gauge or bar gauge.
func (p *Panel) minMax(lo, hi float64) *Panel {
	p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max = &lo, &hi
	return p
}

// stacked stacks a time series' lines.
func (p *Panel) stacked() *Panel {
	p.FieldConfig.Defaults.Custom["stacking"] = map[string]any{"mode": "normal", "group": "A"}
	p.FieldConfig.Defaults.Custom["fillOpacity"] = 60
	return p
}

// transform appends a transformation.
func (p *Panel) transform(id string, options map[string]any) *Panel {
	p.Transformations = append(p.Transformations, Transformation{ID: id, Options: options})
	return p
}

// protection maps vigie's protection levels to their inventory words.
func (p *Panel) protection() *Panel {
	return p.mapValues("0", "none", "red", "1", "single", "orange", "2", "backup", "yellow",
		"3", "dual", "green", "4", "diverse", "dark-green")
}
