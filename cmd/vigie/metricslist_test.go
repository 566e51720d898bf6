package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/alerting/catalog"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
)

// TestDemoMetricsAreListed starts `vigie demo` as a newcomer does and reads
// its /metrics as Prometheus would: every vigie_ family it serves must be
// in alerting/metrics.txt, the list the alerting rules and dashboards are
// checked against, with the same type and label names. The list used to
// lack 16 families the binary served (vigie_topology_devices, the store's,
// vigie_bgp_updates_received_total, vigie_build_info ...), so no rule or
// panel could use them. (alerting's TestMetricsListMatchesCode checks the
// other direction too, against the code's catalogue.)
func TestDemoMetricsAreListed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the demo")
	}
	list, err := catalog.Load("../../alerting/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]catalog.Metric{}
	for _, m := range list.Metrics() {
		listed[m.Name] = m
	}

	bin := buildVigie(t)
	port := freeport.TCP(t)
	var stdout, stderr logbuf.Buffer
	logs := func() string { return stdout.String() + stderr.String() }
	demo := startVigie(t, bin, "", nil, &stdout, &stderr, logs,
		"demo", "--sites", "30", "--interval", "2s", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	client := &http.Client{Timeout: 10 * time.Second}
	var body string
	demo.waitFor(60*time.Second, "every device polled and the BGP sessions up", func() bool {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, `vigie_collector_devices{state="pending"} 0`) &&
			strings.Contains(body, `vigie_bgp_session_up{`)
	})
	parser := expfmt.NewTextParser(model.UTF8Validation)
	served, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	n := 0
	for _, name := range slices.Sorted(maps.Keys(served)) {
		mf := served[name]
		if !strings.HasPrefix(name, "vigie_") {
			continue
		}
		n++
		var labels []string
		if len(mf.GetMetric()) > 0 {
			for _, l := range mf.GetMetric()[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
		}
		got := catalog.Metric{Name: name, Type: strings.ToLower(mf.GetType().String()), Labels: labels}
		m, ok := listed[name]
		switch {
		case !ok:
			t.Errorf("vigie demo serves %s, which alerting/metrics.txt does not list", got)
		case m.Type != got.Type || !slices.Equal(slices.Sorted(slices.Values(m.Labels)), labels):
			t.Errorf("alerting/metrics.txt:%d: %s, but vigie demo serves %s", m.Line, m, got)
		}
	}
	if n < 60 {
		t.Errorf("vigie demo served %d vigie_ families, want the 60-odd of a demo with BGP", n)
	}
	if _, err := demo.stop(30 * time.Second); err != nil {
		t.Errorf("vigie demo exited with %v after SIGTERM\n%s", err, logs())
	}
}
