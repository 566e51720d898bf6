package trap

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector"
)

// metrics are the receiver's own series, every label value set at start
// so that a rate over them exists before the first notification.
type metrics struct {
	resultsVec, receivedVec, pollsVec *prometheus.CounterVec
	results                           map[string]prometheus.Counter
	received                          map[string]prometheus.Counter
	polls                             map[collector.Trigger]prometheus.Counter
	acks, ackFailures                 prometheus.Counter
	// discoveries is usmStatsUnknownEngineIDs, the value of the reports
	// that answer engine discovery.
	discoveries atomic.Uint32
}

func newMetrics() *metrics {
	m := &metrics{
		resultsVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_snmp_notifications_total",
			Help: "SNMP notifications (traps and informs) received, by result: accepted, or why dropped (unknown_source, rate_limited, malformed, wrong_version, bad_community, unknown_user, auth_failure, decryption_failure, not_a_notification); engine_discovery counts SNMPv3 discovery requests answered.",
		}, []string{"result"}),
		receivedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_snmp_notifications_received_total",
			Help: "SNMP notifications accepted from inventory devices, by type (the MIB's name: linkDown, linkUp, coldStart, warmStart, bgpEstablishedNotification, bgpBackwardTransNotification, cbgpFsmStateChange, cbgpBackwardTransition, or other).",
		}, []string{"type"}),
		pollsVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_snmp_notification_polls_total",
			Help: "Immediate polls asked because of a notification, by result: queued, or merged into one already queued for the device.",
		}, []string{"result"}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_snmp_informs_acknowledged_total",
			Help: "SNMP informs acknowledged (a response sent to the device).",
		}),
		ackFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_snmp_inform_acknowledgement_failures_total",
			Help: "SNMP informs accepted but not acknowledged (the response could not be built or sent): the device will resend them.",
		}),
		results:  map[string]prometheus.Counter{},
		received: map[string]prometheus.Counter{},
		polls:    map[collector.Trigger]prometheus.Counter{},
	}
	for _, r := range results {
		m.results[r] = m.resultsVec.WithLabelValues(r)
	}
	for _, t := range notificationTypeLabels() {
		m.received[t] = m.receivedVec.WithLabelValues(t)
	}
	for _, t := range []collector.Trigger{collector.TriggerQueued, collector.TriggerMerged, collector.TriggerUnknown} {
		m.polls[t] = m.pollsVec.WithLabelValues(string(t))
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.resultsVec, m.receivedVec, m.pollsVec, m.acks, m.ackFailures}
}
