package observe

import (
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
)

// pubMetrics are a collector's publishing metrics.
type pubMetrics struct {
	connected  prometheus.Gauge
	queued     prometheus.Gauge
	queueBytes prometheus.Gauge
	published  prometheus.Counter
	bytes      prometheus.Counter
	dropped    prometheus.Counter
	errors     prometheus.Counter
}

func newPubMetrics() *pubMetrics {
	return &pubMetrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_observations_nats_connected",
			Help: "1 while the connection to NATS is up, else 0."}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_observations_queued",
			Help: "Observations waiting for JetStream's acknowledgement (buffered while NATS is unreachable)."}),
		queueBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_observations_queued_bytes",
			Help: "Bytes of the observations waiting for JetStream's acknowledgement."}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_published_total",
			Help: "Observations (polls and heartbeats) JetStream stored."}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_published_bytes_total",
			Help: "Bytes of the observations JetStream stored (encoded payloads)."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_dropped_total",
			Help: "Observations dropped, oldest first, because the queue passed its bound while NATS was unreachable."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_publish_errors_total",
			Help: "Failed publishing attempts (the observations stay queued and are retried)."}),
	}
}

func (m *pubMetrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.connected, m.queued, m.queueBytes, m.published, m.bytes, m.dropped, m.errors} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// conMetrics are a central's consuming metrics.
type conMetrics struct {
	connected  prometheus.Gauge
	received   *prometheus.CounterVec
	duplicates prometheus.Counter
	invalid    prometheus.Counter
	heartbeat  *prometheus.GaugeVec
	devices    *prometheus.GaugeVec
	up         *prometheus.GaugeVec
	// partitioned: what a lost collector's buffered observations showed
	// once replayed (partition.go).
	partitioned *prometheus.GaugeVec
	// vouched: what witnesses reach of lost collectors (witness.go).
	vouched *prometheus.GaugeVec
}

func newConMetrics() *conMetrics {
	return &conMetrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_observations_nats_connected",
			Help: "1 while the connection to NATS is up, else 0."}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_observations_received_total",
			Help: "Observations received from each collector, by kind (poll, heartbeat, bgp)."}, []string{"collector", "kind"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_duplicates_total",
			Help: "Poll observations dropped because one of the same device as recent or more was already applied (a replay)."}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_observations_invalid_total",
			Help: "Messages on the observation subjects that could not be decoded (another version, or damaged)."}),
		heartbeat: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_collector_heartbeat_timestamp_seconds",
			Help: "When each collector's last heartbeat was sent (Unix time)."}, []string{"collector"}),
		devices: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_collector_devices",
			Help: "How many devices each collector says it polls (from its last heartbeat)."}, []string{"collector"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_collector_up",
			Help: "1 while a collector is heard from, 0 once it is lost (no word for two heartbeat periods: its devices are unobserved)."}, []string{"collector"}),
		partitioned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_collector_partitioned_devices",
			Help: "Devices that a collector's buffered observations, replayed after it was lost, showed reachable during the cut: >0 the collector was partitioned from the centre with its devices alive locally, 0 it was down (or saw nothing alive)."}, []string{"collector"}),
		vouched: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_collector_vouched_devices",
			Help: "Devices of a lost collector that a witness (another collector) reached in its last probe round: alive locally, partitioned from the centre. Present only while the collector is lost and the witness reports."}, []string{"collector", "witness"}),
	}
}

// Collectors returns the central's metrics, for the daemon's registry
// (built again at each reload).
func (c *Consumer) Collectors() []prometheus.Collector {
	m := c.m
	return []prometheus.Collector{m.connected, m.received, m.duplicates, m.invalid, m.heartbeat, m.devices, m.up, m.partitioned, m.vouched}
}

// redact returns u without its password, for logs.
func redact(u string) string {
	x, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return x.Redacted()
}

// Described returns unregistered copies of every vigie_observations_*
// family a collector or a central exports, once each: for the catalogue the
// alerting rules are checked against (alerting/metrics.txt), which a demo
// (one box, no NATS) would not show.
func Described() []prometheus.Collector {
	p, c := newPubMetrics(), newConMetrics()
	return []prometheus.Collector{p.connected, p.queued, p.queueBytes, p.published, p.bytes, p.dropped, p.errors,
		c.received, c.duplicates, c.invalid, c.heartbeat, c.devices, c.up, c.partitioned, c.vouched, newWitnessGauge(), newListeningGauge()}
}
