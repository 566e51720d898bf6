// Package dashboards holds vigie's Grafana dashboards (the *.json files
// here, generated from specs.go), their provisioning files (provisioning/)
// and the code that reads the JSON back: the tests lint every panel and
// parse every query, and alerting's end-to-end check runs every query
// against a Prometheus scraping a real vigie.
//
// Regenerate the JSON after changing specs.go:
//
//	go test ./dashboards -run TestGenerated -update
package dashboards

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Generate returns every dashboard's JSON, keyed by file name.
func Generate() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range All() {
		j, err := b.JSON()
		if err != nil {
			return nil, err
		}
		out[name] = j
	}
	return out, nil
}

// File is a dashboard file as read back from disk, independently of the
// generator, so that hand edits are checked too.
type File struct {
	Path      string
	Dashboard Dashboard
	// Raw is the decoded JSON, for checks on fields the model omits.
	Raw map[string]any
}

// Load reads every *.json dashboard of dir, in name order.
func Load(dir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("dashboards: list %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("dashboards: no *.json in %s", dir)
	}
	sort.Strings(paths)
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("dashboards: read: %w", err)
		}
		f := File{Path: p}
		if err := json.Unmarshal(b, &f.Raw); err != nil {
			return nil, fmt.Errorf("dashboards: %s is not valid JSON: %w", p, err)
		}
		if err := json.Unmarshal(b, &f.Dashboard); err != nil {
			return nil, fmt.Errorf("dashboards: %s does not match Grafana's dashboard model: %w", p, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// Panels returns the dashboard's panels, those inside collapsed rows
// included, rows excluded.
func (f File) Panels() []*Panel {
	var out []*Panel
	var walk func([]*Panel)
	walk = func(ps []*Panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(f.Dashboard.Panels)
	return out
}

// Query is one PromQL query of one panel.
type Query struct {
	Dashboard string // the dashboard's uid
	PanelID   int
	Panel     string // the panel's title
	RefID     string
	Expr      string
	// Instant is true for instant queries (stats, tables), false for range
	// queries (graphs).
	Instant bool
}

// String names the query for error messages.
func (q Query) String() string {
	return fmt.Sprintf("%s panel %d %q query %s", q.Dashboard, q.PanelID, q.Panel, q.RefID)
}

// Queries returns every panel query of the files.
func Queries(files []File) []Query {
	var out []Query
	for _, f := range files {
		for _, p := range f.Panels() {
			for _, t := range p.Targets {
				out = append(out, Query{Dashboard: f.Dashboard.UID, PanelID: p.ID, Panel: p.Title,
					RefID: t.RefID, Expr: t.Expr, Instant: t.Instant && !t.Range})
			}
		}
	}
	return out
}

// grafanaVar matches Grafana's variable syntaxes: $name, ${name},
// ${name:format} and [[name]].
var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// Expand replaces Grafana's variables in expr by values, so that the
// query can be parsed or sent to Prometheus. Grafana's built-in interval
// variables get fixed durations unless vars sets them; a variable with no
// value becomes ".*" (Grafana's "All" for vigie's regex matchers).
func Expand(expr string, vars map[string]string) string {
	builtin := map[string]string{
		"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
		"__interval_ms": "60000", "__range_s": "3600",
	}
	return grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := builtin[name]; ok {
			return v
		}
		if strings.HasPrefix(name, "__") {
			return m
		}
		return ".*"
	})
}

// VarRegex compiles a variable's regex as Grafana stores it, between
// slashes (/re/ or /re/flags; only the i flag is understood), so that the
// checks apply it as Grafana would. Go's regexp reads JavaScript's named
// groups (?<name>re).
func VarRegex(re string) (*regexp.Regexp, error) {
	i := strings.LastIndex(re, "/")
	if !strings.HasPrefix(re, "/") || i < 1 {
		return nil, fmt.Errorf("dashboards: variable regex %q: want /regex/ as Grafana stores it", re)
	}
	body, flags := re[1:i], re[i+1:]
	if strings.Trim(flags, "i") != "" {
		return nil, fmt.Errorf("dashboards: variable regex %q: flags %q: only i is understood", re, flags)
	}
	if flags == "i" {
		body = "(?i)" + body
	}
	r, err := regexp.Compile(body)
	if err != nil {
		return nil, fmt.Errorf("dashboards: variable regex %q: %w", re, err)
	}
	return r, nil
}

// QueryResultText is how Grafana lists one series of a query_result(...)
// variable: `name{l1="v1",l2="v2"} value timestamp_ms`, labels in name
// order as Prometheus returns them.
func QueryResultText(metric map[string]string, value string, unixSeconds float64) string {
	var b strings.Builder
	b.WriteString(metric["__name__"])
	names := make([]string, 0, len(metric))
	for k := range metric {
		if k != "__name__" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, k, metric[k]) // unescaped, as Grafana writes it
	}
	fmt.Fprintf(&b, "} %s %d", value, int64(unixSeconds*1000))
	return b.String()
}

// VarOption applies a variable's regex to one listed text as Grafana
// does: the named groups text and value when the regex has them (either
// defaults to the other), else the first group for both, else the whole
// text. ok is false when the regex does not match: Grafana drops the text.
func VarOption(re *regexp.Regexp, s string) (text, value string, ok bool) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	if ti, vi := re.SubexpIndex("text"), re.SubexpIndex("value"); ti >= 0 || vi >= 0 {
		if ti >= 0 {
			text = m[ti]
		}
		if vi >= 0 {
			value = m[vi]
		}
		return cmp.Or(text, value), cmp.Or(value, text), true
	}
	if len(m) > 1 {
		return m[1], m[1], true
	}
	return s, s, true
}
