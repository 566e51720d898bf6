package exposition

// catalogue.go lists every family vigie exports, for the checks that keep
// alerting/metrics.txt (hence the rules and dashboards) true to the code.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Registry is what Catalogue reads: a *prometheus.Registry is one. Describe
// gives every registered family, with or without series; Gather gives the
// type of those with series.
type Registry interface {
	prometheus.Gatherer
	Describe(chan<- *prometheus.Desc)
}

// maxLabels bounds the search for a described family's label count.
const maxLabels = 32

// Catalogue returns every family vigie exports through reg, sorted by
// name: the families declared here (Families, with their type even when
// they have no series) and every other family registered in reg, the
// components' own instrumentation (vigie_collector_*, vigie_store_*,
// vigie_bgp_*, vigie_config_*, vigie_build_info) and the Go runtime's.
//
// A registered family is read from what the registry gathers (type, help,
// label names of its first series) and, when it has no series yet (a vector
// no device has touched, like vigie_topology_device_bound_drops_total),
// from its description alone: its name, help and labels are known, its
// Kind is "" (the registry keeps no type for a family without series).
// Labels of registered families are in name order, the order the registry
// gives them. A family declared here that the registry gathers with
// another type or other labels is an error: the declaration is wrong.
func Catalogue(reg Registry) ([]Family, error) {
	byName := map[string]*Family{}
	for _, f := range families {
		byName[f.Name] = &Family{Name: f.Name, Help: f.Help, Kind: f.Kind, Labels: slices.Clone(f.Labels)}
	}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		reg.Describe(ch)
		close(ch)
	}()
	var described []*prometheus.Desc
	for d := range ch {
		described = append(described, d)
	}
	for _, d := range described {
		f, err := describedFamily(d)
		if err != nil {
			return nil, err
		}
		if _, ok := byName[f.Name]; !ok {
			byName[f.Name] = &f
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("exposition: gathering the registry for the catalogue: %w", err)
	}
	for _, mf := range mfs {
		g := gatheredFamily(mf)
		f, ok := byName[g.Name]
		switch {
		case !ok:
			byName[g.Name] = &g
		case f.Kind == "":
			f.Kind = g.Kind
		case f.Kind != g.Kind || !sameLabels(f.Labels, g.Labels):
			return nil, fmt.Errorf("exposition: %s is declared %s{%s} but gathered as %s{%s}: fix its declaration",
				g.Name, f.Kind, strings.Join(f.Labels, ","), g.Kind, strings.Join(g.Labels, ","))
		}
	}
	out := make([]Family, 0, len(byName))
	for _, f := range byName {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// gatheredFamily reads a family the registry gathered.
func gatheredFamily(mf *dto.MetricFamily) Family {
	f := Family{Name: mf.GetName(), Help: mf.GetHelp(), Kind: Kind(strings.ToLower(mf.GetType().String()))}
	if ms := mf.GetMetric(); len(ms) > 0 {
		for _, l := range ms[0].GetLabel() {
			f.Labels = append(f.Labels, l.GetName())
		}
	}
	return f
}

// describedFamily reads a family from its description. A Desc shows
// nothing of itself but its String, whose format is not a contract; so it
// is gathered instead, from a throwaway registry holding one series of it
// with empty label values (their count found by trying: a Desc refuses any
// other).
func describedFamily(d *prometheus.Desc) (Family, error) {
	if err := d.Err(); err != nil {
		return Family{}, fmt.Errorf("exposition: a registered family is invalid: %w", err)
	}
	for n := 0; n <= maxLabels; n++ {
		m, err := prometheus.NewConstMetric(d, prometheus.UntypedValue, 0, make([]string, n)...)
		if err != nil {
			continue
		}
		r := prometheus.NewRegistry()
		if err := r.Register(oneMetric{d, m}); err != nil {
			return Family{}, fmt.Errorf("exposition: reading the description %s: %w", d, err)
		}
		mfs, err := r.Gather()
		if err != nil || len(mfs) != 1 {
			return Family{}, fmt.Errorf("exposition: reading the description %s: %d families, %v", d, len(mfs), err)
		}
		f := gatheredFamily(mfs[0])
		f.Kind = ""
		return f, nil
	}
	return Family{}, fmt.Errorf("exposition: %s has more than %d labels", d, maxLabels)
}

// oneMetric is a collector of one series, for describedFamily.
type oneMetric struct {
	d *prometheus.Desc
	m prometheus.Metric
}

func (o oneMetric) Describe(ch chan<- *prometheus.Desc) { ch <- o.d }
func (o oneMetric) Collect(ch chan<- prometheus.Metric) { ch <- o.m }

// sameLabels says whether two families have the same label names, in any
// order (a series' labels have none).
func sameLabels(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
