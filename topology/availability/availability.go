// Package availability turns the per-site state intervals of the topology
// store into availability reports by site, region, department or ministry:
// the same code serves `vigie report availability` on a stopped vigie's file
// and /api/v1/reports/availability on a running one, so both give the same
// numbers.
//
// Availability is the share of the OBSERVED time a site was reachable
// (nominal or degraded): (nominal + degraded) / (nominal + degraded +
// isolated). Unobserved time (vigie stopped, the site's devices not polled
// yet, or before the history starts) is reported separately and left out of
// the ratio: vigie does not call up or down what it did not see.
package availability

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/store"
)

// Groupings, the values of --by and by=.
var Groupings = []string{"site", "region", "department", "ministry"}

// Formats, the values of --format and format=.
var Formats = []string{"text", "csv", "json", "html"}

// Query is one report's parameters.
type Query struct {
	From, To time.Time
	By       string
	Format   string
}

// MaxSpan bounds a report's window: the store keeps 13 months by default,
// a longer window would mostly be unobserved.
const MaxSpan = 2 * 366 * 24 * time.Hour

// ParseQuery reads the four parameters as an operator types them. Dates are
// YYYY-MM-DD (midnight UTC) or RFC 3339; to is exclusive. Empty by and
// format take "site" and "text". The error is one line naming the parameter
// and what to write.
func ParseQuery(from, to, by, format string) (Query, error) {
	var q Query
	var err error
	if q.From, err = parseDate("from", from); err != nil {
		return q, err
	}
	if q.To, err = parseDate("to", to); err != nil {
		return q, err
	}
	if !q.To.After(q.From) {
		return q, fmt.Errorf("to (%s) must be after from (%s): the window is [from, to)", to, from)
	}
	if q.To.Sub(q.From) > MaxSpan {
		return q, fmt.Errorf("the window %s to %s is longer than two years: the store keeps 13 months by default; ask for a shorter one", from, to)
	}
	q.By, q.Format = by, format
	if q.By == "" {
		q.By = "site"
	}
	if q.Format == "" {
		q.Format = "text"
	}
	if !slices.Contains(Groupings, q.By) {
		return q, fmt.Errorf("by %q is not a grouping: use one of %s", by, strings.Join(Groupings, ", "))
	}
	if !slices.Contains(Formats, q.Format) {
		return q, fmt.Errorf("format %q is not a format: use one of %s", format, strings.Join(Formats, ", "))
	}
	return q, nil
}

func parseDate(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is missing: give a date such as 2026-11-01 (UTC) or 2026-11-01T00:00:00+01:00", name)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a date: write YYYY-MM-DD (midnight UTC) or RFC 3339 such as 2026-11-01T00:00:00+01:00", name, s)
}

// Cause is one root cause of isolation in a group.
type Cause struct {
	Cause           string  `json:"cause"`
	Incidents       int     `json:"incidents"`
	IsolatedMinutes float64 `json:"isolated_minutes"`
	isolatedSeconds int64
}

// Row is one group's (or one site's) figures.
type Row struct {
	Group string `json:"group"`
	// Name is the site's name (by site only).
	Name  string `json:"name,omitempty"`
	Sites int    `json:"sites"`
	// Availability is in percent of the observed time; nil when nothing
	// was observed.
	Availability      *float64 `json:"availability_percent"`
	IsolatedMinutes   float64  `json:"isolated_minutes"`
	DegradedMinutes   float64  `json:"degraded_minutes"`
	NominalMinutes    float64  `json:"nominal_minutes"`
	UnobservedMinutes float64  `json:"unobserved_minutes"`
	// Incidents counts the isolations that overlap the window (one that
	// spans a stop of vigie counts once); Degradations the same for the
	// degraded state.
	Incidents    int     `json:"incidents"`
	Degradations int     `json:"degradations"`
	TopCauses    []Cause `json:"top_causes"`

	sec    [4]int64 // by store state index: unobserved, nominal, degraded, isolated
	causes map[string]*Cause
}

// Report is an availability report.
type Report struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	By     string    `json:"by"`
	Ratio  string    `json:"ratio"`
	Groups []Row     `json:"groups"`
	Total  Row       `json:"total"`
	// Sites holds each group's sites (not by site), for the HTML report.
	Sites map[string][]Row `json:"-"`
}

// RatioDoc says how the ratio is computed, in every output.
const RatioDoc = "availability = (nominal + degraded) / (nominal + degraded + isolated); unobserved time is excluded and shown apart"

// Compute builds the report from the store's intervals. inv gives the
// sites' names and groups (nil: by site only, from the store alone). An
// interval still open ends at openEnd: now on a running vigie, the last
// beat on a stopped one's file; time after it is unobserved.
func Compute(st *store.Store, inv *inventory.Inventory, q Query, openEnd time.Time) (*Report, error) {
	if inv == nil && q.By != "site" {
		return nil, fmt.Errorf("by %s needs the inventory: give --config FILE", q.By)
	}
	sites := map[string]*Row{}
	var order []string
	site := func(id string) *Row {
		r := sites[id]
		if r == nil {
			r = &Row{Group: id, Sites: 1}
			sites[id] = r
			order = append(order, id)
		}
		return r
	}
	var groupOf map[string]string
	if inv != nil {
		groupOf = make(map[string]string, len(inv.Sites))
		for i := range inv.Sites {
			s := &inv.Sites[i]
			site(s.ID).Name = s.Name
			groupOf[s.ID] = groupKey(s, q.By)
		}
	}
	type run struct{ lastObserved string }
	runs := map[string]*run{}
	err := st.Intervals(q.From, q.To, func(iv store.Interval) error {
		r := site(iv.Site)
		end := iv.End
		if end.IsZero() {
			end = openEnd
		}
		start := maxTime(iv.Start, q.From)
		end = minTime(end, q.To)
		secs := int64(end.Sub(start) / time.Second)
		ru := runs[iv.Site]
		if ru == nil {
			ru = &run{}
			runs[iv.Site] = ru
		}
		if secs < 0 {
			secs = 0
		}
		idx := slices.Index([]string{store.AvailUnobserved, store.AvailNominal, store.AvailDegraded, store.AvailIsolated}, iv.State)
		if idx <= 0 {
			return nil // unobserved: it is what the observed states leave
		}
		r.sec[idx] += secs
		newRun := ru.lastObserved != iv.State
		ru.lastObserved = iv.State
		switch iv.State {
		case store.AvailIsolated:
			if newRun {
				r.Incidents++
			}
			c := r.cause(iv.Cause)
			c.isolatedSeconds += secs
			if newRun {
				c.Incidents++
			}
		case store.AvailDegraded:
			if newRun {
				r.Degradations++
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNoAvailability) {
		err = nil // an older file: every site unobserved
	}
	if err != nil {
		return nil, err
	}
	window := int64(q.To.Sub(q.From) / time.Second)
	rep := &Report{From: q.From, To: q.To, By: q.By, Ratio: RatioDoc}
	groups := map[string]*Row{}
	var gorder []string
	total := &Row{Group: "total"}
	slices.Sort(order)
	for _, id := range order {
		r := sites[id]
		r.sec[0] = max(window-r.sec[1]-r.sec[2]-r.sec[3], 0)
		r.finish()
		total.add(r)
		if q.By == "site" {
			rep.Groups = append(rep.Groups, *r)
			continue
		}
		g, ok := groupOf[id]
		if !ok {
			g = "(not in the inventory)"
		}
		gr := groups[g]
		if gr == nil {
			gr = &Row{Group: g}
			groups[g] = gr
			gorder = append(gorder, g)
		}
		gr.add(r)
		if rep.Sites == nil {
			rep.Sites = map[string][]Row{}
		}
		rep.Sites[g] = append(rep.Sites[g], *r)
	}
	slices.Sort(gorder)
	for _, g := range gorder {
		groups[g].finish()
		rep.Groups = append(rep.Groups, *groups[g])
	}
	total.finish()
	rep.Total = *total
	return rep, nil
}

func groupKey(s *inventory.Site, by string) string {
	var v string
	switch by {
	case "region":
		v = s.Region
	case "department":
		v = s.Department
	case "ministry":
		v = s.Ministry
	default:
		return s.ID
	}
	if v == "" {
		return "(none)"
	}
	return v
}

func (r *Row) cause(c string) *Cause {
	if c == "" {
		c = "unknown"
	}
	if r.causes == nil {
		r.causes = map[string]*Cause{}
	}
	x := r.causes[c]
	if x == nil {
		x = &Cause{Cause: c}
		r.causes[c] = x
	}
	return x
}

// add folds a site's (finished) row into a group's.
func (r *Row) add(s *Row) {
	r.Sites += s.Sites
	for i := range r.sec {
		r.sec[i] += s.sec[i]
	}
	r.Incidents += s.Incidents
	r.Degradations += s.Degradations
	for _, c := range s.causes {
		x := r.cause(c.Cause)
		x.Incidents += c.Incidents
		x.isolatedSeconds += c.isolatedSeconds
	}
}

// topCauses is how many causes a row lists.
const topCauses = 3

func (r *Row) finish() {
	r.UnobservedMinutes = minutes(r.sec[0])
	r.NominalMinutes = minutes(r.sec[1])
	r.DegradedMinutes = minutes(r.sec[2])
	r.IsolatedMinutes = minutes(r.sec[3])
	if obs := r.sec[1] + r.sec[2] + r.sec[3]; obs > 0 {
		a := float64(r.sec[1]+r.sec[2]) * 100 / float64(obs)
		r.Availability = &a
	}
	cs := make([]Cause, 0, len(r.causes))
	for _, c := range r.causes {
		c.IsolatedMinutes = minutes(c.isolatedSeconds)
		cs = append(cs, *c)
	}
	slices.SortFunc(cs, func(a, b Cause) int {
		if a.isolatedSeconds != b.isolatedSeconds {
			return cmp.Compare(b.isolatedSeconds, a.isolatedSeconds)
		}
		return strings.Compare(a.Cause, b.Cause)
	})
	r.TopCauses = cs[:min(len(cs), topCauses)]
}

func minutes(s int64) float64 { return float64(s) / 60 }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
