package exposition

import (
	"bytes"
	"math"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// TestSameBytesAsExpfmt: what vigie writes itself is what client_golang's
// own encoder writes for the same family.
func TestSameBytesAsExpfmt(t *testing.T) {
	for _, tc := range []struct {
		help, label string
		value       float64
	}{
		{"plain", "ge-0/0/1", 1},
		{"back\\slash and\nnewline", `quote " back\slash` + "\nnewline", 0},
		{"values", "x", -1},
		{"values", "x", 1e21},
		{"values", "x", 0.000123},
		{"values", "x", math.Inf(1)},
		{"values", "x", math.Inf(-1)},
		{"values", "x", math.NaN()},
		{"values", "x", 3600},
		{"values", "x", 999999},
		{"values", "x", 1e6},
		{"values", "x", 1234567},
		{"values", "x", 12.5},
		{"values", "x", math.Copysign(0, -1)},
		{"values", "x", -42},
		{"invalid UTF-8", "caf\xe9", 42},
	} {
		mf := &dto.MetricFamily{Name: proto.String("vigie_test"), Help: proto.String(tc.help), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Label: []*dto.LabelPair{{Name: proto.String("l"), Value: proto.String(tc.label)}},
				Gauge: &dto.Gauge{Value: proto.Float64(tc.value)}}}}
		var want bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&want, mf); err != nil {
			t.Fatal(err)
		}
		got := textHeader("vigie_test", tc.help, "gauge")
		got = append(got, `vigie_test{l="`...)
		got = appendLabelValue(got, tc.label)
		got = append(got, `"} `...)
		got = appendValue(got, tc.value)
		got = append(got, '\n')
		if tc.label == "caf\xe9" {
			// expfmt writes the invalid byte as is; vigie replaces it so
			// that the scrape parses.
			if !bytes.Contains(got, []byte("caf\uFFFD")) {
				t.Errorf("invalid UTF-8 not replaced: %q", got)
			}
			continue
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("help %q label %q value %v:\n got %q\nwant %q", tc.help, tc.label, tc.value, got, want.Bytes())
		}
	}
}
