package collector

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// Device states for vigie_collector_devices.
const (
	statePending = "pending" // not polled yet
	stateUp      = "up"      // last poll answered
	stateDown    = "down"    // last poll failed, not yet backing off
	stateBackoff = "backoff" // two or more failures in a row: polled less often
)

// allReasons are the label values of the error counters, created up front
// so that every series exists from the start.
var allReasons = []snmp.Reason{snmp.ReasonTimeout, snmp.ReasonAuth, snmp.ReasonMalformed, snmp.ReasonLoop,
	snmp.ReasonTooBig, snmp.ReasonRefused, snmp.ReasonOverrun, snmp.ReasonOther}

// metrics holds the collector's own health metrics (vigie_collector_*);
// per-device series are the exposition's (Options.OnPoll).
type metrics struct {
	c *Collector

	devices      *prometheus.GaugeVec
	polls        *prometheus.CounterVec
	pollErrors   *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	inFlight     prometheus.Gauge
	pollDuration *prometheus.HistogramVec
	lag          prometheus.Histogram
	cycle        *prometheus.GaugeVec
	varbinds     prometheus.Counter
	requests     prometheus.Counter
	panics       prometheus.CounterFunc

	roles map[inventory.Role]*roleMetrics
}

// roleMetrics caches the children of the per-role vectors: no label lookup
// per poll.
type roleMetrics struct {
	success, failure prometheus.Counter
	errs             map[snmp.Reason]prometheus.Counter
	skipped          prometheus.Counter
	duration         prometheus.Observer
	cycle            prometheus.Gauge
}

func (r *roleMetrics) errors(reason snmp.Reason) prometheus.Counter {
	if c, ok := r.errs[reason]; ok {
		return c
	}
	return r.errs[snmp.ReasonOther]
}

func newMetrics(c *Collector) *metrics {
	return &metrics{
		c: c,
		devices: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_collector_devices",
			Help: "Devices by polling state: up, down (last poll failed), backoff (failing, polled less often), pending (not polled yet)."}, []string{"state"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_collector_polls_total",
			Help: "Device polls completed, by role and result (success: the system group answered)."}, []string{"role", "result"}),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_collector_poll_errors_total",
			Help: "Poll failures and contained table problems, by role and reason."}, []string{"role", "reason"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigie_collector_polls_skipped_total",
			Help: "Polls not started because the previous poll of the same device was still running."}, []string{"role"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_collector_polls_in_flight",
			Help: "Polls running now (bounded by polling.workers)."}),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigie_collector_poll_duration_seconds",
			Help:    "Wall time of one device poll, by role.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"role"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigie_collector_poll_lag_seconds",
			Help:    "Delay between a poll's scheduled start and its actual start: up to the dispatch tick (0.1 s) normally, more when every worker is busy.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		cycle: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_collector_cycle_duration_seconds",
			Help: "Time the last full pass over the role's devices (those not backing off) took."}, []string{"role"}),
		varbinds: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_collector_varbinds_total",
			Help: "SNMP variable bindings decoded."}),
		requests: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_collector_requests_total",
			Help: "SNMP requests sent, retries included."}),
		panics: prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vigie_collector_decode_panics_total",
			Help: "Panics recovered while decoding SNMP answers (a device sent bytes that crashed a decoder)."},
			func() float64 {
				if c.poller == nil {
					return 0
				}
				return float64(c.poller.DecodePanics())
			}),
		roles: map[inventory.Role]*roleMetrics{},
	}
}

func (m *metrics) initRoles(roles map[inventory.Role]*roleState) {
	for role := range roles {
		r := string(role)
		rm := &roleMetrics{
			success:  m.polls.WithLabelValues(r, "success"),
			failure:  m.polls.WithLabelValues(r, "failure"),
			skipped:  m.skipped.WithLabelValues(r),
			duration: m.pollDuration.WithLabelValues(r),
			cycle:    m.cycle.WithLabelValues(r),
			errs:     map[snmp.Reason]prometheus.Counter{},
		}
		for _, reason := range allReasons {
			rm.errs[reason] = m.pollErrors.WithLabelValues(r, string(reason))
		}
		m.roles[role] = rm
	}
	for _, s := range []string{statePending, stateUp, stateDown, stateBackoff} {
		m.devices.WithLabelValues(s)
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.devices, m.polls, m.pollErrors, m.skipped, m.inFlight, m.pollDuration,
		m.lag, m.cycle, m.varbinds, m.requests, m.panics}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	var done []prometheus.Collector
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return err
		}
		done = append(done, c)
	}
	return nil
}

func (m *metrics) unregister(reg prometheus.Registerer) {
	for _, c := range m.collectors() {
		reg.Unregister(c)
	}
}
