// Package demotest runs `vigie demo` in process for tests: the daemon's
// tests that need a polled fleet (a full disk, a deleted store file, the
// README's metric table) and the demo's own tests start it the same way and
// read its /metrics the same way.
package demotest

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/demo"
)

// Start runs a demo until stop is called or the test ends. stop is
// idempotent and waits (30 s at most) for Run to return; an error from Run
// fails the test.
func Start(t *testing.T, opts demo.Options) (d *demo.Demo, stop func()) {
	t.Helper()
	// A free port, not the default :9742: other packages' tests (and a
	// developer's own vigie) may hold it while this one runs.
	if len(opts.Daemon.ListenAddresses) == 0 {
		opts.Daemon.ListenAddresses = []string{"127.0.0.1:0"}
	}
	d, err := demo.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("demo Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("demo did not stop within 30 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// Gauge returns the value of the metric name whose labels include want, as
// /metrics serves it (registry families and the text families of the
// collector and the topology).
func Gauge(t *testing.T, d *demo.Demo, name string, want map[string]string) (float64, bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	d.Daemon.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics (%d) does not parse: %v", rec.Code, err)
	}
	if mf := mfs[name]; mf != nil {
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range want {
				if labelValue(m, k) != v {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			}
		}
	}
	return 0, false
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// HistogramCount returns the sample count of the histogram name in the
// daemon's registry (0 when it has no sample yet).
func HistogramCount(t *testing.T, d *demo.Demo, name string) uint64 {
	t.Helper()
	mfs, err := d.Daemon.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 && mf.GetMetric()[0].Histogram != nil {
			return mf.GetMetric()[0].Histogram.GetSampleCount()
		}
	}
	return 0
}

// Eventually polls cond every 100 ms until it holds, and fails the test
// when within passes first.
func Eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
