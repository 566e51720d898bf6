// Package promtest lets tests read what /metrics serves as Prometheus would,
// including the families vigie writes as text (web.TextWriter) beside the
// registry.
package promtest

import (
	"bytes"
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TextWriter is what web.TextWriter asks of a text exposition.
type TextWriter interface {
	WriteText(w io.Writer) error
}

// Text gathers what w writes, parsed by Prometheus' own text parser: a
// family that does not parse is an error, as it would be for a scrape.
func Text(w TextWriter) prometheus.Gatherer { return textGatherer{w} }

type textGatherer struct{ w TextWriter }

func (g textGatherer) Gather() ([]*dto.MetricFamily, error) {
	var buf bytes.Buffer
	if err := g.w.WriteText(&buf); err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		return nil, fmt.Errorf("the text exposition does not parse: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		out = append(out, mf)
	}
	return out, nil
}
