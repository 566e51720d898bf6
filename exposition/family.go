package exposition

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind is a family's type in the text format.
type Kind string

// The kinds vigie renders itself, and the histogram of the components'
// instrumentation; Catalogue names the others as the text format does.
const (
	Gauge     Kind = "gauge"
	Counter   Kind = "counter"
	Histogram Kind = "histogram"
)

// Family is one metric family vigie exports: its name, help, type and
// label names. Every family of the package is declared once, in a
// package-level table, so that the names the rules and dashboards are
// checked against come from one place (Families, Catalogue).
type Family struct {
	Name   string
	Help   string
	Kind   Kind
	Labels []string

	order  []int // label positions in name order, the order expfmt writes them
	header []byte
	desc   *prometheus.Desc
}

// families is every family declared with newFamily, in declaration order.
var families []*Family

func newFamily(name string, kind Kind, help string, labels ...string) *Family {
	f := &Family{Name: name, Help: help, Kind: kind, Labels: labels,
		header: textHeader(name, help, string(kind)),
		desc:   prometheus.NewDesc(name, help, labels, nil)}
	for i := range labels {
		f.order = append(f.order, i)
	}
	slices.SortFunc(f.order, func(i, j int) int { return strings.Compare(labels[i], labels[j]) })
	families = append(families, f)
	return f
}

// Families returns every family the package renders, written as text or
// gathered through its registry collector, in declaration order.
func Families() []*Family { return slices.Clone(families) }

// appendLabels appends `{a="x",b="y"} ` for values given in the order the
// family declares its labels, written in name order; just " " when the
// family has no label.
func (f *Family) appendLabels(b []byte, values ...string) []byte {
	if len(f.Labels) > 0 {
		b = append(b, '{')
		for n, i := range f.order {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.Labels[i]...)
			b = append(b, '=', '"')
			b = appendLabelValue(b, values[i])
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

// textWriter buffers text exposition lines and hands them to w in chunks of
// about 32 KiB; after a write error it drops everything and flush returns
// the error.
type textWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newTextWriter(w io.Writer) *textWriter {
	return &textWriter{w: w, buf: make([]byte, 0, 40<<10)}
}

func (tw *textWriter) header(f *Family) {
	tw.buf = append(tw.buf, f.header...)
	tw.maybeFlush()
}

// series writes one line with an integer value.
func (tw *textWriter) series(f *Family, value int, labelValues ...string) {
	b := append(tw.buf, f.Name...)
	b = f.appendLabels(b, labelValues...)
	b = strconv.AppendInt(b, int64(value), 10)
	tw.buf = append(b, '\n')
	tw.maybeFlush()
}

// float writes one line with a float value.
func (tw *textWriter) float(f *Family, value float64, labelValues ...string) {
	b := append(tw.buf, f.Name...)
	b = f.appendLabels(b, labelValues...)
	b = appendValue(b, value)
	tw.buf = append(b, '\n')
	tw.maybeFlush()
}

func (tw *textWriter) maybeFlush() {
	if len(tw.buf) >= 32<<10 {
		_ = tw.flush()
	}
}

func (tw *textWriter) flush() error {
	if tw.err == nil && len(tw.buf) > 0 {
		if _, err := tw.w.Write(tw.buf); err != nil {
			tw.err = fmt.Errorf("exposition: writing metrics: %w", err)
		}
	}
	tw.buf = tw.buf[:0]
	return tw.err
}
