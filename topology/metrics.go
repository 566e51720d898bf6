package topology

import "github.com/prometheus/client_golang/prometheus"

// metrics is the topology's own instrumentation. What the model holds
// (per-site analysis, routing verdicts, model counts) is published as
// snapshots and rendered by the exposition package.
type metrics struct {
	changes          *prometheus.CounterVec
	analysisDuration prometheus.Histogram
	unknownPolls     prometheus.Counter
	boundDrops       *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_topology_changes_total",
			Help: "Changes of the live topology, by kind of event.",
		}, []string{"kind"}),
		analysisDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigie_resilience_analysis_duration_seconds",
			Help:    "Time of one resilience analysis of the live failures (full or incremental).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		unknownPolls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_topology_unknown_device_polls_total",
			Help: "Polls handed to the topology for a device the inventory does not declare (ignored).",
		}),
		// Series appear only for the devices that hit a bound: the
		// device label is bounded by the inventory.
		boundDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_topology_device_bound_drops_total",
			Help: "LLDP neighbours (bound=neighbors) or events (bound=events) of one device left out because the device hit its bound (agent.max_lldp_neighbors, agent.max_device_events_per_minute).",
		}, []string{"device", "bound"}),
	}
	for _, k := range EventKinds {
		m.changes.WithLabelValues(string(k))
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.changes, m.analysisDuration, m.unknownPolls, m.boundDrops} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
