package snmpagent

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// dropReason says why a request got no answer. The set is fixed: it is a
// metric label.
type dropReason int

const (
	dropReadError dropReason = iota
	dropNoPktinfo
	dropUnknownAddress
	dropFaultTimeout
	dropMalformed
	dropBadCommunity
	dropUSM
	dropPanic
	dropSlowBacklog
	dropWriteError
	dropPoweredOff
	numDrop
)

var dropNames = [numDrop]string{
	dropReadError:      "read_error",
	dropNoPktinfo:      "no_pktinfo",
	dropUnknownAddress: "unknown_address",
	dropFaultTimeout:   "fault_timeout",
	dropMalformed:      "malformed_request",
	dropBadCommunity:   "bad_community",
	dropUSM:            "usm_failure_unreportable",
	dropPanic:          "panic",
	dropSlowBacklog:    "slow_backlog",
	dropWriteError:     "write_error",
	dropPoweredOff:     "powered_off",
}

const (
	statV2c = 0
	statV3  = 1
)

var versionNames = [2]string{"2c", "3"}

// pduNames by the low nibble of the PDU tag.
var pduNames = [8]string{0: "get", 1: "getnext", 3: "set", 5: "getbulk"}

var usmNames = [numUSMStats]string{
	usmUnsupportedSecLevels: "unsupported_sec_levels",
	usmNotInTimeWindows:     "not_in_time_windows",
	usmUnknownUserNames:     "unknown_user_names",
	usmUnknownEngineIDs:     "unknown_engine_ids",
	usmWrongDigests:         "wrong_digests",
	usmDecryptionErrors:     "decryption_errors",
}

// stats counts what the agent did, lock-free.
type stats struct {
	servedBy [2][8]atomic.Uint64
	drops    [numDrop]atomic.Uint64
	reports  [numUSMStats]atomic.Uint64
}

func (s *stats) drop(r dropReason)        { s.drops[r].Add(1) }
func (s *stats) served(ver int, typ byte) { s.servedBy[ver][typ&7].Add(1) }
func (s *stats) report(stat int)          { s.reports[stat].Add(1) }

// Stats is a snapshot of the agent's counters, for tests and /metrics.
type Stats struct {
	// Served counts answered requests by version ("2c", "3") then PDU
	// ("get", "getnext", "getbulk", "set").
	Served map[string]map[string]uint64
	// Dropped counts unanswered requests by reason (e.g. "fault_timeout",
	// "bad_community", "unknown_address", "malformed_request").
	Dropped map[string]uint64
	// Reports counts USM Report PDUs sent, by usmStats counter
	// (e.g. "unknown_engine_ids", "wrong_digests").
	Reports map[string]uint64
}

// Stats returns the agent's counters.
func (a *Agent) Stats() Stats {
	s := Stats{Served: map[string]map[string]uint64{}, Dropped: map[string]uint64{}, Reports: map[string]uint64{}}
	for v, name := range versionNames {
		s.Served[name] = map[string]uint64{}
		for t, pn := range pduNames {
			if pn != "" {
				s.Served[name][pn] = a.stats.servedBy[v][t].Load()
			}
		}
	}
	for r, name := range dropNames {
		s.Dropped[name] = a.stats.drops[r].Load()
	}
	for r, name := range usmNames {
		if name != "" {
			s.Reports[name] = a.stats.reports[r].Load()
		}
	}
	return s
}

var (
	descServed = prometheus.NewDesc("vigie_sim_requests_total",
		"SNMP requests answered by the simulated fleet, by SNMP version and PDU type.", []string{"version", "pdu"}, nil)
	descDropped = prometheus.NewDesc("vigie_sim_requests_dropped_total",
		"SNMP requests the simulated fleet did not answer, by reason.", []string{"reason"}, nil)
	descReports = prometheus.NewDesc("vigie_sim_usm_reports_total",
		"SNMPv3 USM Report PDUs sent, by usmStats counter.", []string{"report"}, nil)
	descDevices = prometheus.NewDesc("vigie_sim_devices",
		"Devices the simulator serves.", nil, nil)
	descFaulty = prometheus.NewDesc("vigie_sim_faulty_devices",
		"Devices with at least one fault set.", nil, nil)
)

// Describe implements prometheus.Collector.
func (a *Agent) Describe(ch chan<- *prometheus.Desc) {
	ch <- descServed
	ch <- descDropped
	ch <- descReports
	ch <- descDevices
	ch <- descFaulty
}

// Collect implements prometheus.Collector, so that `vigie-sim serve`
// exposes its own counters.
func (a *Agent) Collect(ch chan<- prometheus.Metric) {
	s := a.Stats()
	for v, byPDU := range s.Served {
		for p, n := range byPDU {
			ch <- prometheus.MustNewConstMetric(descServed, prometheus.CounterValue, float64(n), v, p)
		}
	}
	for r, n := range s.Dropped {
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(n), r)
	}
	for r, n := range s.Reports {
		ch <- prometheus.MustNewConstMetric(descReports, prometheus.CounterValue, float64(n), r)
	}
	ch <- prometheus.MustNewConstMetric(descDevices, prometheus.GaugeValue, float64(len(a.fleet.devices)))
	ch <- prometheus.MustNewConstMetric(descFaulty, prometheus.GaugeValue, float64(len(a.FaultyDevices())))
}
