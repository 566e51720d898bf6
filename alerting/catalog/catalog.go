// Package catalog knows which metric names a PromQL query may use: the ones
// vigie exports (listed in alerting/metrics.txt) and the ones the recording
// rules produce. The rule and dashboard tests check every expression
// against it, so that a renamed metric breaks a test rather than a panel.
package catalog

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// validName is Prometheus' classic metric name syntax, which vigie keeps to.
var validName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// Metric is one line of metrics.txt: a metric family vigie exports.
type Metric struct {
	Name string
	// Type is gauge, counter or histogram.
	Type string
	// Labels are the family's label names, in file order.
	Labels []string
	// Line is the line number in the file, for error messages.
	Line int
}

// Catalog is the set of series names a query may select.
type Catalog struct {
	metrics map[string]Metric
	// series maps every selectable series name (a histogram's _bucket,
	// _sum and _count included) to its family.
	series map[string]string
}

// Load reads a metrics list: one "name{label,label} type" per line, "#"
// comments and blank lines ignored.
func Load(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: open the metrics list: %w", err)
	}
	defer f.Close()
	c := &Catalog{metrics: map[string]Metric{}, series: map[string]string{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("catalog: %s:%d: %w", path, n, err)
		}
		m.Line = n
		if prev, ok := c.metrics[m.Name]; ok {
			return nil, fmt.Errorf("catalog: %s:%d: %s already listed at line %d", path, n, m.Name, prev.Line)
		}
		c.add(m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("catalog: read %s: %w", path, err)
	}
	return c, nil
}

func parseLine(line string) (Metric, error) {
	open, close := strings.IndexByte(line, '{'), strings.IndexByte(line, '}')
	if open <= 0 || close < open {
		return Metric{}, fmt.Errorf("want `name{label,...} type`, got %q", line)
	}
	m := Metric{Name: line[:open], Type: strings.TrimSpace(line[close+1:])}
	if !validName.MatchString(m.Name) {
		return Metric{}, fmt.Errorf("%q is not a valid metric name", m.Name)
	}
	switch m.Type {
	case "gauge", "counter", "histogram":
	default:
		return Metric{}, fmt.Errorf("%s: type %q is not gauge, counter or histogram", m.Name, m.Type)
	}
	if m.Type == "counter" && !strings.HasSuffix(m.Name, "_total") {
		return Metric{}, fmt.Errorf("counter %s must end in _total (Prometheus naming)", m.Name)
	}
	for _, l := range strings.Split(line[open+1:close], ",") {
		if l = strings.TrimSpace(l); l != "" {
			m.Labels = append(m.Labels, l)
		}
	}
	return m, nil
}

func (c *Catalog) add(m Metric) {
	c.metrics[m.Name] = m
	c.series[m.Name] = m.Name
	if m.Type == "histogram" {
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			c.series[m.Name+s] = m.Name
		}
	}
}

// AddRecorded allows the series a recording rule produces.
func (c *Catalog) AddRecorded(names ...string) {
	for _, n := range names {
		c.add(Metric{Name: n, Type: "gauge"})
	}
}

// Allows says whether a query may select series of this name.
func (c *Catalog) Allows(name string) bool {
	_, ok := c.series[name]
	return ok
}

// Check compares the listed families with code, the families the code
// exports (exposition.Catalogue), and returns one error per difference,
// naming file (the list as the repository's root sees it) and line:
//   - a listed family the code exports with other labels or another type;
//   - a listed family the code does not export, unless its name is one of
//     prometheus (series Prometheus makes itself, like up);
//   - a vigie_ family of code that is not listed.
//
// Labels are compared as sets (a series' labels have no order). A family
// of code with no Type (registered, but no series to tell it) is compared
// by its labels only. Families of code outside vigie_ (the Go runtime's)
// need not be listed, but one listed must match.
func (c *Catalog) Check(file string, code []Metric, prometheus ...string) []error {
	exported := make(map[string]Metric, len(code))
	for _, m := range code {
		exported[m.Name] = m
	}
	var errs []error
	for _, m := range c.Metrics() {
		if m.Line == 0 { // recorded, not listed
			continue
		}
		e, ok := exported[m.Name]
		switch {
		case !ok && slices.Contains(prometheus, m.Name):
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: %s, but the code exports no %s: fix its name or remove it (and the rules/dashboards using it)",
				file, m.Line, m, m.Name))
		case !sameLabels(m.Labels, e.Labels) || (e.Type != "" && e.Type != m.Type):
			errs = append(errs, fmt.Errorf("%s:%d: %s, but the code exports %s: fix the file (and the rules/dashboards using it)",
				file, m.Line, m, e))
		}
	}
	for _, e := range code {
		if _, ok := c.metrics[e.Name]; !ok && strings.HasPrefix(e.Name, "vigie_") {
			hint := ""
			if e.Type == "" {
				hint = " (it had no series to tell its type: a _total is a counter)"
			}
			errs = append(errs, fmt.Errorf("%s: the code exports %s, which the file does not list: add it under its component's heading%s", file, e, hint))
		}
	}
	return errs
}

// Update rewrites the list at path to match code, as Check wants it, and
// returns the new text: a line whose family code exports with other labels
// or another type is rewritten with the code's, a line of a family code
// lacks is removed (unless it is one of prometheus), and an unlisted vigie_
// family is inserted after the listed one that shares the most words of
// its name (under its component's heading). Comments, blank lines and the
// order of the rest stay.
func Update(path string, code []Metric, prometheus ...string) ([]byte, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	exported := make(map[string]Metric, len(code))
	for _, m := range code {
		exported[m.Name] = m
	}
	// names[i] is the family on line i, "" for comments and blank lines.
	names := make([]string, len(lines))
	for _, m := range c.metrics {
		names[m.Line-1] = m.Name
	}
	var out []string
	var outNames []string
	for i, line := range lines {
		m, listed := c.metrics[names[i]]
		e, ok := exported[names[i]]
		switch {
		case !listed:
		case !ok && slices.Contains(prometheus, m.Name):
		case !ok:
			continue
		case !sameLabels(m.Labels, e.Labels) || (e.Type != "" && e.Type != m.Type):
			if e.Type == "" {
				e.Type = m.Type
			}
			line = e.String() + "\n"
		}
		out = append(out, line)
		outNames = append(outNames, names[i])
	}
	for _, e := range code {
		if _, ok := c.metrics[e.Name]; ok || !strings.HasPrefix(e.Name, "vigie_") {
			continue
		}
		if e.Type == "" {
			if !strings.HasSuffix(e.Name, "_total") {
				return nil, fmt.Errorf("catalog: %s has no series to tell its type: add it to %s by hand", e.Name, path)
			}
			e.Type = "counter"
		}
		at, best := len(out)-1, -1
		for i, n := range outNames {
			if n == "" {
				continue
			}
			if w := sharedWords(n, e.Name); w >= best {
				at, best = i, w
			}
		}
		out = slices.Insert(out, at+1, e.String()+"\n")
		outNames = slices.Insert(outNames, at+1, e.Name)
	}
	return []byte(strings.Join(out, "")), nil
}

// sharedWords counts the leading words two metric names share.
func sharedWords(a, b string) int {
	wa, wb := strings.Split(a, "_"), strings.Split(b, "_")
	n := 0
	for n < len(wa) && n < len(wb) && wa[n] == wb[n] {
		n++
	}
	return n
}

// String writes m as a line of the list: name{label,...} type, with "?"
// for an unknown type.
func (m Metric) String() string {
	t := m.Type
	if t == "" {
		t = "?"
	}
	return m.Name + "{" + strings.Join(m.Labels, ",") + "} " + t
}

func sameLabels(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Metrics returns the listed families, sorted by name.
func (c *Catalog) Metrics() []Metric {
	out := make([]Metric, 0, len(c.metrics))
	for _, m := range c.metrics {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Unknown returns the series names expr selects that the catalog does not
// allow, sorted and without duplicates. A selector with no literal metric
// name ({__name__=~"..."}) is reported as an error: nobody could check it.
func (c *Catalog) Unknown(expr string) ([]string, error) {
	names, err := MetricNames(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !c.Allows(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// MetricNames parses a PromQL expression and returns the metric names its
// selectors use, sorted and without duplicates.
func MetricNames(expr string) ([]string, error) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("catalog: parse %q: %w", expr, err)
	}
	seen := map[string]bool{}
	var bad error
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name == "" {
			bad = fmt.Errorf("catalog: selector %s in %q names no metric: use a literal name so it can be checked", vs, expr)
			return nil
		}
		seen[vs.Name] = true
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// Selector is one vector selector of a query, as the linters see it.
type Selector struct {
	// Name is the metric name ("" when the selector names none).
	Name string
	// Matchers are the label matchers other than the name, as PromQL
	// writes them: job=~"vigie".
	Matchers []string
	// InRate is true when the selector is the range of rate, irate,
	// increase, resets or changes: where a counter belongs.
	InRate bool
}

// Selectors parses expr and returns its vector selectors, in order.
func Selectors(expr string) ([]Selector, error) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("catalog: parse %q: %w", expr, err)
	}
	var out []Selector
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := Selector{Name: vs.Name}
		for _, m := range vs.LabelMatchers {
			if m.Name != "__name__" {
				s.Matchers = append(s.Matchers, m.String())
			}
		}
		if len(path) >= 2 {
			if _, ok := path[len(path)-1].(*parser.MatrixSelector); ok {
				if c, ok := path[len(path)-2].(*parser.Call); ok {
					switch c.Func.Name {
					case "rate", "irate", "increase", "resets", "changes":
						s.InRate = true
					}
				}
			}
		}
		out = append(out, s)
		return nil
	})
	return out, nil
}
