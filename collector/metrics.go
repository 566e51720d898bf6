package collector

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"google.golang.org/protobuf/proto"
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

// metrics holds the collector's own health metrics and the descriptors of
// the per-device series. Per-device series are const metrics rebuilt once
// per poll by the poll's goroutine and cached per device, so a scrape only
// copies pointers: no label is built or looked up at scrape time.
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

	// Per-device descriptors.
	up, duration, lastSuccess, uptime, reboots, devErrors, lldp, info          *prometheus.Desc
	ifOper, ifAdmin, ifSpeed, ifRx, ifTx, ifRxErr, ifTxErr, ifRxDrop, ifTxDrop *prometheus.Desc
	bgpState, bgpUp, bgpTransitions                                            *prometheus.Desc
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
	dev, ifl, bgp := devLabelNames, ifLabelNames, bgpLabelNames
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
			Help:    "Delay between a poll's scheduled start and its actual start (workers all busy).",
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

		up:          prometheus.NewDesc("vigie_device_up", "1 if the last poll got the device's system group, else 0.", dev, nil),
		duration:    prometheus.NewDesc("vigie_device_poll_duration_seconds", "Wall time of the device's last poll.", dev, nil),
		lastSuccess: prometheus.NewDesc("vigie_device_last_poll_success_timestamp_seconds", "Unix time of the end of the last successful poll.", dev, nil),
		uptime:      prometheus.NewDesc("vigie_device_uptime_seconds", "sysUpTime at the last successful poll.", dev, nil),
		reboots:     prometheus.NewDesc("vigie_device_reboots_total", "Reboots seen (sysUpTime going back) since vigie started.", dev, nil),
		devErrors: prometheus.NewDesc("vigie_device_poll_errors_total", "Poll failures and contained table problems of the device, by reason.",
			errLabelNames, nil),
		lldp: prometheus.NewDesc("vigie_device_lldp_neighbors", "LLDP neighbours in the last poll.", dev, nil),
		info: prometheus.NewDesc("vigie_device_info", "Inventory placement of the device and its sysName; always 1.",
			infoLabelNames, nil),

		ifOper:   prometheus.NewDesc("vigie_interface_oper_up", "1 if ifOperStatus is up(1).", ifl, nil),
		ifAdmin:  prometheus.NewDesc("vigie_interface_admin_up", "1 if ifAdminStatus is up(1).", ifl, nil),
		ifSpeed:  prometheus.NewDesc("vigie_interface_speed_bytes", "ifHighSpeed in bytes per second.", ifl, nil),
		ifRx:     prometheus.NewDesc("vigie_interface_receive_bytes_total", "Bytes received (ifHCInOctets, made monotonic by vigie).", ifl, nil),
		ifTx:     prometheus.NewDesc("vigie_interface_transmit_bytes_total", "Bytes sent (ifHCOutOctets, made monotonic by vigie).", ifl, nil),
		ifRxErr:  prometheus.NewDesc("vigie_interface_receive_errors_total", "ifInErrors, wraps and reboots folded in by vigie.", ifl, nil),
		ifTxErr:  prometheus.NewDesc("vigie_interface_transmit_errors_total", "ifOutErrors, wraps and reboots folded in by vigie.", ifl, nil),
		ifRxDrop: prometheus.NewDesc("vigie_interface_receive_discards_total", "ifInDiscards, wraps and reboots folded in by vigie.", ifl, nil),
		ifTxDrop: prometheus.NewDesc("vigie_interface_transmit_discards_total", "ifOutDiscards, wraps and reboots folded in by vigie.", ifl, nil),

		bgpState:       prometheus.NewDesc("vigie_device_bgp_peer_state", "bgpPeerState: idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6).", bgp, nil),
		bgpUp:          prometheus.NewDesc("vigie_device_bgp_peer_up", "1 if the session is established.", bgp, nil),
		bgpTransitions: prometheus.NewDesc("vigie_device_bgp_peer_established_transitions_total", "bgpPeerFsmEstablishedTransitions as the device reports it.", bgp, nil),
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
		m.lag, m.cycle, m.varbinds, m.requests, m.panics, (*deviceCollector)(m)}
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

// deviceCollector exposes the cached per-device series.
type deviceCollector metrics

// Describe implements prometheus.Collector.
func (dc *deviceCollector) Describe(ch chan<- *prometheus.Desc) {
	m := (*metrics)(dc)
	for _, d := range []*prometheus.Desc{m.up, m.duration, m.lastSuccess, m.uptime, m.reboots, m.devErrors, m.lldp, m.info,
		m.ifOper, m.ifAdmin, m.ifSpeed, m.ifRx, m.ifTx, m.ifRxErr, m.ifTxErr, m.ifRxDrop, m.ifTxDrop,
		m.bgpState, m.bgpUp, m.bgpTransitions} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it only sends what each
// device's last poll built.
func (dc *deviceCollector) Collect(ch chan<- prometheus.Metric) {
	// Devices in name order and, in build, interfaces in name order: the
	// registry sorts every family by label values, and sorted input makes
	// that sort nearly linear (a third of a full scrape's CPU otherwise).
	for _, d := range dc.c.sorted {
		if p := d.scraped.Load(); p != nil {
			ms := *p
			for i := range ms {
				ch <- &ms[i]
			}
		}
	}
}

// deviceSeries builds one device's series. Its label values are made once
// (per device at New, per interface and BGP peer at first sight) and reused.
type deviceSeries struct {
	m          *metrics
	labels     *labelSet // device, role, region
	infoLabels *labelSet
	errLabels  map[snmp.Reason]*labelSet
	errCounts  map[snmp.Reason]uint64
	lastOK     float64
	ifLabels   map[int32]*labelSet // ifIndex -> device, role, region, ifName
	bgpLabels  map[bgpKey]*labelSet
	prevCap    int
	order      []int
}

type bgpKey struct {
	peer netip.Addr
	as   uint32
}

func newDeviceSeries(m *metrics, d *inventory.Device, region string) *deviceSeries {
	s := &deviceSeries{m: m, labels: newLabelSet(devLabelNames, d.Name, string(d.Role), region),
		errLabels: map[snmp.Reason]*labelSet{}, errCounts: map[snmp.Reason]uint64{},
		ifLabels: map[int32]*labelSet{}, bgpLabels: map[bgpKey]*labelSet{}}
	s.infoLabels = newLabelSet(infoLabelNames, d.Name, string(d.Role), region, d.Site, d.PoP, d.Datacentre, "")
	for _, r := range allReasons {
		s.errLabels[r] = newLabelSet(errLabelNames, d.Name, string(d.Role), region, string(r))
	}
	return s
}

func (s *deviceSeries) countError(r snmp.Reason) {
	if _, ok := s.errLabels[r]; !ok {
		r = snmp.ReasonOther
	}
	s.errCounts[r]++
}

func (s *deviceSeries) ifLabel(i *snmp.Interface) *labelSet {
	l, ok := s.ifLabels[i.Index]
	if !ok || l.values[3] != i.Name {
		v := s.labels.values
		l = newLabelSet(ifLabelNames, v[0], v[1], v[2], i.Name)
		s.ifLabels[i.Index] = l
	}
	return l
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// build makes the device's series from its last poll. A failed poll keeps
// only device-level series: interface and BGP values would be stale.
func (s *deviceSeries) build(res *snmp.Poll, st *snmp.DeviceState, level InterfaceLevel) []series {
	m := s.m
	out := make([]series, 0, max(s.prevCap, 16))
	gauge := func(d *prometheus.Desc, v float64, l *labelSet) {
		out = append(out, series{desc: d, pairs: l.pairs, value: v})
	}
	counter := func(d *prometheus.Desc, v float64, l *labelSet) {
		out = append(out, series{desc: d, pairs: l.pairs, value: v, counter: true})
	}
	ok := res.Err == nil
	gauge(m.up, b2f(ok), s.labels)
	gauge(m.duration, res.End.Sub(res.Start).Seconds(), s.labels)
	counter(m.reboots, float64(st.Reboots()), s.labels)
	for _, r := range allReasons {
		if n := s.errCounts[r]; n > 0 {
			counter(m.devErrors, float64(n), s.errLabels[r])
		}
	}
	if ok {
		s.lastOK = float64(res.End.UnixMilli()) / 1000
		if v := s.infoLabels.values; v[6] != res.System.Name {
			s.infoLabels = newLabelSet(infoLabelNames, v[0], v[1], v[2], v[3], v[4], v[5], res.System.Name)
		}
	}
	if s.lastOK > 0 {
		gauge(m.lastSuccess, s.lastOK, s.labels)
	}
	gauge(m.info, 1, s.infoLabels)
	if !ok {
		s.prevCap = len(out)
		seal(out)
		return out
	}
	gauge(m.uptime, res.System.Uptime.Seconds(), s.labels)
	gauge(m.lldp, float64(len(res.LLDP)), s.labels)
	if level != InterfacesNone {
		s.order = s.order[:0]
		for i := range res.Interfaces {
			s.order = append(s.order, i)
		}
		ifs := res.Interfaces
		slices.SortFunc(s.order, func(a, b int) int { return strings.Compare(ifs[a].Name, ifs[b].Name) })
		for _, i := range s.order {
			ifc := &res.Interfaces[i]
			if level == InterfacesUp && !ifc.AdminUp {
				continue
			}
			l := s.ifLabel(ifc)
			gauge(m.ifOper, b2f(ifc.OperUp()), l)
			gauge(m.ifAdmin, b2f(ifc.AdminUp), l)
			gauge(m.ifSpeed, float64(ifc.HighSpeed)*1e6/8, l)
			if t, ok := st.Totals(ifc.Index); ok {
				counter(m.ifRx, float64(t.InOctets), l)
				counter(m.ifTx, float64(t.OutOctets), l)
				counter(m.ifRxErr, float64(t.InErrors), l)
				counter(m.ifTxErr, float64(t.OutErrors), l)
				counter(m.ifRxDrop, float64(t.InDiscards), l)
				counter(m.ifTxDrop, float64(t.OutDiscards), l)
			}
		}
	}
	for i := range res.BGPPeers {
		p := &res.BGPPeers[i]
		k := bgpKey{peer: p.Remote, as: p.RemoteAS}
		l, found := s.bgpLabels[k]
		if !found {
			v := s.labels.values
			l = newLabelSet(bgpLabelNames, v[0], v[1], v[2], p.Remote.String(), strconv.FormatUint(uint64(p.RemoteAS), 10))
			s.bgpLabels[k] = l
		}
		gauge(m.bgpState, float64(p.State), l)
		gauge(m.bgpUp, b2f(p.Established()), l)
		counter(m.bgpTransitions, float64(p.FSMEstablishedTransitions), l)
	}
	// Forget labels of interfaces and peers gone for good, so that churn
	// does not grow the maps.
	if len(s.ifLabels) > 2*len(res.Interfaces)+16 {
		keep := make(map[int32]*labelSet, len(res.Interfaces))
		for i := range res.Interfaces {
			if l, ok := s.ifLabels[res.Interfaces[i].Index]; ok {
				keep[res.Interfaces[i].Index] = l
			}
		}
		s.ifLabels = keep
	}
	if len(s.bgpLabels) > 2*len(res.BGPPeers)+16 {
		clear(s.bgpLabels)
	}
	s.prevCap = len(out)
	seal(out)
	return out
}

// Label names of the per-device families (fixed lists, never mutated).
var (
	devLabelNames  = []string{"device", "role", "region"}
	errLabelNames  = []string{"device", "role", "region", "reason"}
	ifLabelNames   = []string{"device", "role", "region", "interface"}
	bgpLabelNames  = []string{"device", "role", "region", "peer", "peer_as"}
	infoLabelNames = []string{"device", "role", "region", "site", "pop", "datacentre", "sys_name"}
)

// labelSet is one series' label values with their protobuf pairs, built
// once and shared by every family and every poll that uses them: a poll
// allocates no label, a scrape copies a slice header.
type labelSet struct {
	values []string
	pairs  []*dto.LabelPair
}

func newLabelSet(names []string, values ...string) *labelSet {
	l := &labelSet{values: values, pairs: make([]*dto.LabelPair, len(names))}
	for i := range names {
		l.pairs[i] = &dto.LabelPair{Name: proto.String(names[i]), Value: proto.String(values[i])}
	}
	// The exposition wants pairs sorted by name.
	slices.SortFunc(l.pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return l
}

// series is one cached sample: a prometheus.Metric whose labels are shared
// and whose protobuf value is built at poll time, so that a scrape
// allocates nothing per series.
type series struct {
	desc    *prometheus.Desc
	pairs   []*dto.LabelPair
	value   float64
	counter bool
	g       *dto.Gauge
	c       *dto.Counter
}

// seal builds the protobuf values of out in two allocations.
func seal(out []series) {
	nc := 0
	for i := range out {
		if out[i].counter {
			nc++
		}
	}
	cs := make([]dto.Counter, nc)
	gs := make([]dto.Gauge, len(out)-nc)
	for i := range out {
		m := &out[i]
		if m.counter {
			m.c = &cs[len(cs)-nc]
			m.c.Value = &m.value
			nc--
		} else {
			m.g = &gs[0]
			m.g.Value = &m.value
			gs = gs[1:]
		}
	}
}

// Desc implements prometheus.Metric.
func (m *series) Desc() *prometheus.Desc { return m.desc }

// Write implements prometheus.Metric.
func (m *series) Write(out *dto.Metric) error {
	out.Label = m.pairs
	if m.counter {
		out.Counter = m.c
	} else {
		out.Gauge = m.g
	}
	return nil
}
