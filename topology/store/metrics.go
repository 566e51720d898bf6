package store

import "github.com/prometheus/client_golang/prometheus"

// metrics are the store's own; names are kept stable for alerting rules.
type metrics struct {
	writeErrors prometheus.Counter
	batch       prometheus.Histogram
	pending     prometheus.Gauge
	dropped     prometheus.Counter
	recreated   prometheus.Counter
	replaced    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_store_write_errors_total",
			Help: "Batched commits to the topology store that failed (full disk, I/O error); the changes are kept and retried.",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigie_store_batch_duration_seconds",
			Help:    "Time to commit one batch of topology changes to the store (one transaction, one fsync).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_store_pending_changes",
			Help: "Changes held in memory because the last commit failed.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_store_dropped_events_total",
			Help: "Events dropped from memory because commits kept failing and the pending bound was reached.",
		}),
		recreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_store_file_recreated_total",
			Help: "Times the store file was found deleted while vigie ran and recreated from the open copy (nothing lost; find what deletes it).",
		}),
		replaced: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_store_file_replaced",
			Help: "1 while the store path holds another file than the one vigie writes (restart vigie or move that file away).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.writeErrors, m.batch, m.pending, m.dropped, m.recreated, m.replaced)
	}
	return m
}

// Register adds the store's metrics to reg as well: a reloaded daemon
// keeps the open store and serves its metrics from its own registry.
func (s *Store) Register(reg prometheus.Registerer) error {
	m := s.m
	for _, c := range []prometheus.Collector{m.writeErrors, m.batch, m.pending, m.dropped, m.recreated, m.replaced} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
