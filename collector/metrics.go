package collector

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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

	// descs are the per-device families' descriptors, built from the
	// families table so that both expositions say the same HELP and TYPE.
	descs [numFamilies]*prometheus.Desc
	// text says per-device series are rendered as text exposition at poll
	// time (ExposeAsText) rather than cached as const metrics.
	text atomic.Bool
	// expo holds the rendered headers and scratch buffers of the text path.
	expo *exposition
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
		descs: familyDescs(),
		expo:  newExposition(),
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
	for _, d := range dc.descs {
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
// It is owned by the goroutine of the device's running poll, except text,
// which scrapes read.
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
	// text is the device's last poll rendered as text exposition, one
	// chunk per family. textMu guards the pointer and its readers count:
	// a poll rewrites it in place when no scrape holds it, else replaces it.
	textMu sync.Mutex
	text   *rendered
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

// build turns the device's last poll into its exposed series: rendered as
// text (stored in s.text, nil returned) once ExposeAsText was called, else
// as cached const metrics for the registry.
func (s *deviceSeries) build(res *snmp.Poll, st *snmp.DeviceState, level InterfaceLevel) []series {
	if s.m.text.Load() {
		s.render(res, st, level)
		return nil
	}
	m := s.m
	out := make([]series, 0, max(s.prevCap, 16))
	s.walk(res, st, level, func(fam int, v float64, l *labelSet) {
		out = append(out, series{desc: m.descs[fam], pairs: l.dtoPairs(), value: v, counter: families[fam].counter})
	})
	s.prevCap = len(out)
	seal(out)
	return out
}

// walk calls emit for every series of the device's last poll. A failed
// poll keeps only device-level series: interface and BGP values would be
// stale. Interfaces come in name order; of two interfaces with the same
// name only the first (lowest position in the walk) is exposed, as two
// series with the same labels would be rejected.
func (s *deviceSeries) walk(res *snmp.Poll, st *snmp.DeviceState, level InterfaceLevel, emit func(fam int, v float64, l *labelSet)) {
	ok := res.Err == nil
	emit(famUp, b2f(ok), s.labels)
	emit(famDuration, res.End.Sub(res.Start).Seconds(), s.labels)
	emit(famReboots, float64(st.Reboots()), s.labels)
	emit(famDiscontinuities, float64(st.CounterDiscontinuities()), s.labels)
	for _, r := range allReasons {
		if n := s.errCounts[r]; n > 0 {
			emit(famErrors, float64(n), s.errLabels[r])
		}
	}
	if ok {
		s.lastOK = float64(res.End.UnixMilli()) / 1000
		if v := s.infoLabels.values; v[6] != res.System.Name {
			s.infoLabels = newLabelSet(infoLabelNames, v[0], v[1], v[2], v[3], v[4], v[5], res.System.Name)
		}
	}
	if s.lastOK > 0 {
		emit(famLastSuccess, s.lastOK, s.labels)
	}
	emit(famInfo, 1, s.infoLabels)
	if !ok {
		return
	}
	emit(famUptime, res.System.Uptime.Seconds(), s.labels)
	emit(famLLDP, float64(len(res.LLDP)), s.labels)
	if level != InterfacesNone {
		s.order = s.order[:0]
		for i := range res.Interfaces {
			s.order = append(s.order, i)
		}
		ifs := res.Interfaces
		slices.SortStableFunc(s.order, func(a, b int) int { return strings.Compare(ifs[a].Name, ifs[b].Name) })
		prev := -1
		for _, i := range s.order {
			ifc := &res.Interfaces[i]
			if level == InterfacesUp && !ifc.AdminUp {
				continue
			}
			if prev >= 0 && ifs[prev].Name == ifc.Name {
				continue
			}
			prev = i
			// A column the device did not answer has no series: a 0
			// would claim a measurement (no errors, speed 0).
			l := s.ifLabel(ifc)
			if ifc.Has.Contains(snmp.ColOperStatus) {
				emit(famIfOper, b2f(ifc.OperUp()), l)
			}
			if ifc.Has.Contains(snmp.ColAdminStatus) {
				emit(famIfAdmin, b2f(ifc.AdminUp), l)
			}
			if ifc.Has.Contains(snmp.ColHighSpeed) {
				emit(famIfSpeed, float64(ifc.HighSpeed)*1e6/8, l)
			}
			if t, ok := st.Totals(ifc.Index); ok {
				for _, c := range [...]struct {
					col snmp.Columns
					fam int
					v   uint64
				}{
					{snmp.ColInOctets, famIfRx, t.InOctets}, {snmp.ColOutOctets, famIfTx, t.OutOctets},
					{snmp.ColInErrors, famIfRxErr, t.InErrors}, {snmp.ColOutErrors, famIfTxErr, t.OutErrors},
					{snmp.ColInDiscards, famIfRxDrop, t.InDiscards}, {snmp.ColOutDiscards, famIfTxDrop, t.OutDiscards},
				} {
					if t.Has.Contains(c.col) {
						emit(c.fam, float64(c.v), l)
					}
				}
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
		emit(famBGPState, float64(p.State), l)
		emit(famBGPUp, b2f(p.Established()), l)
		emit(famBGPTransitions, float64(p.FSMEstablishedTransitions), l)
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
}

// Label names of the per-device families (fixed lists, never mutated).
var (
	devLabelNames  = []string{"device", "role", "region"}
	errLabelNames  = []string{"device", "role", "region", "reason"}
	ifLabelNames   = []string{"device", "role", "region", "interface"}
	bgpLabelNames  = []string{"device", "role", "region", "peer", "peer_as"}
	infoLabelNames = []string{"device", "role", "region", "site", "pop", "datacentre", "sys_name"}
)

// labelSet is one series' label values, shared by every family and every
// poll that uses them. Their protobuf pairs (registry path) or their text
// form (text path) are made at first use, by the device's poll goroutine,
// and never change after: a poll allocates no label.
type labelSet struct {
	names  []string
	values []string
	pairs  []*dto.LabelPair
	text   []byte // `{a="x",b="y"} `, names sorted, values escaped
}

func newLabelSet(names []string, values ...string) *labelSet {
	return &labelSet{names: names, values: values}
}

// sortedIndexes returns the positions of l's labels in name order: both
// expositions list labels sorted by name.
func (l *labelSet) sortedIndexes() []int {
	idx := make([]int, len(l.names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(l.names[a], l.names[b]) })
	return idx
}

func (l *labelSet) dtoPairs() []*dto.LabelPair {
	if l.pairs == nil {
		l.pairs = make([]*dto.LabelPair, len(l.names))
		for j, i := range l.sortedIndexes() {
			l.pairs[j] = &dto.LabelPair{Name: proto.String(l.names[i]), Value: proto.String(l.values[i])}
		}
	}
	return l.pairs
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
