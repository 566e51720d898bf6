package topology

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/internal/textformat"
)

// The analysis families: one series per site (14,000 on the full RIE) or
// per region, bridge and interconnect. They are rendered as text from the
// published Analysis at each scrape (WriteText): nothing is held between
// scrapes but the Analysis itself, where const metrics held about 30 MB.
// Names and help texts are a contract with the alerting rules, the
// dashboards and README's table: change them only together.
var (
	famDesigned = newFamily("vigie_site_protection_designed",
		"Access protection the site was designed for: 0 none, 1 single, 2 backup, 3 dual, 4 diverse.", "site", "region")
	famEffective = newFamily("vigie_site_protection_effective",
		"Access protection the site has now, from the links that are up (0..4).", "site", "region")
	famPaths = newFamily("vigie_site_disjoint_paths",
		"SRLG-disjoint paths from the site to the datacentres under the current failures: the fewest devices, shared-risk groups or links whose loss cuts it off (3 means 3 or more).", "site", "region")
	famSPOFs = newFamily("vigie_site_spofs",
		"Single elements (device, link, shared-risk group) whose failure alone would isolate the site.", "site", "region")
	famIsolated = newFamily("vigie_site_isolated",
		"1 when the site cannot reach any datacentre now.", "site", "region")
	famIsolatedInternet = newFamily("vigie_site_isolated_if_internet_cut",
		"1 when the site would be cut off from the datacentres by a total loss of internet.", "site", "region")
	famCause = newFamily("vigie_site_isolation_cause",
		"1 for an isolated site, labelled with the root cause of its isolation, so that one alert fires per cause.",
		"site", "region", "cause_kind", "cause")
	famRegionSites = newFamily("vigie_region_sites",
		"Sites of the region by state: nominal, degraded (effective below designed protection) or isolated.", "region", "state")
	famSites = newFamily("vigie_sites",
		"Sites by state: nominal, degraded or isolated.", "state")
	famBridges = newFamily("vigie_backbone_bridges",
		"Backbone links whose loss alone splits the backbone.")
	famArticulations = newFamily("vigie_backbone_articulation_points",
		"Backbone routers whose loss alone splits the backbone.")
	famBridgeInfo = newFamily("vigie_backbone_bridge_info",
		"1 for each backbone link that is a bridge (a single point of failure of the backbone).", "link")
	famDCConnected = newFamily("vigie_backbone_datacentres_connected",
		"1 when every datacentre reaches every other through the surviving backbone.")
	famICUp = newFamily("vigie_interconnect_up",
		"1 when the partner or internet interconnect is up and attached to the surviving backbone.", "interconnect", "kind")
	famICSurvives = newFamily("vigie_interconnect_survives_internet_cut",
		"1 when the interconnect would stay reachable from the datacentres after a total loss of internet.", "interconnect", "kind")

	textFamilies = []*family{famDesigned, famEffective, famPaths, famSPOFs, famIsolated, famIsolatedInternet,
		famCause, famRegionSites, famSites, famBridges, famArticulations, famBridgeInfo, famDCConnected,
		famICUp, famICSurvives}
)

// family is one gauge family exposed as text. Its Desc only reserves the
// name in the registry (Describe), so that no collector can register it
// twice; header is its HELP and TYPE lines.
type family struct {
	name   string
	labels []string
	order  []int // label indices in name order, the order client_golang writes them
	desc   *prometheus.Desc
	header []byte
}

func newFamily(name, help string, labels ...string) *family {
	f := &family{name: name, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil),
		header: textformat.Header(name, help, "gauge")}
	for i := range labels {
		f.order = append(f.order, i)
	}
	slices.SortFunc(f.order, func(i, j int) int { return strings.Compare(labels[i], labels[j]) })
	return f
}

// Model counts, computed at scrape time from the model under the read lock:
// a few series, gathered from the registry.
var (
	descNodes = prometheus.NewDesc("vigie_topology_nodes",
		"Devices in the live topology (inventory devices and names only LLDP reports).", nil, nil)
	descDevices = prometheus.NewDesc("vigie_topology_devices",
		"Inventory devices by SNMP reachability: unknown, reachable, unreachable.", []string{"state"}, nil)
	descLinks = prometheus.NewDesc("vigie_topology_links",
		"Links of the live topology vouched for by each source: declared, lldp, ifmib, bgp.", []string{"source"}, nil)
	descLinkStates = prometheus.NewDesc("vigie_topology_link_states",
		"Links of the live topology by state: up, down, unknown.", []string{"state"}, nil)
	descDisagreements = prometheus.NewDesc("vigie_topology_disagreements",
		"Links on which the sources disagree, by kind: declared_not_seen, undeclared_neighbor, wrong_neighbor.", []string{"kind"}, nil)
)

// metrics holds the topology's registry metrics. The analysis families are
// not among them: WriteText renders them from the published Analysis. The
// model counts are computed at scrape time under the read lock, a few
// counters over the links with no label building.
type metrics struct {
	t                *Topology
	changes          *prometheus.CounterVec
	analysisDuration prometheus.Histogram
	unknownPolls     prometheus.Counter
	boundDrops       *prometheus.CounterVec
}

func newMetrics(t *Topology) *metrics {
	m := &metrics{
		t: t,
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
	for _, c := range []prometheus.Collector{m.changes, m.analysisDuration, m.unknownPolls, m.boundDrops, m} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector. It also describes the text
// families, which Collect never sends, so that their names stay reserved.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range textFamilies {
		ch <- f.desc
	}
	for _, d := range []*prometheus.Desc{descNodes, descDevices, descLinks, descLinkStates, descDisagreements} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	t := m.t
	var nodes int
	devStates := map[DeviceState]int{DeviceUnknown: 0, DeviceReachable: 0, DeviceUnreachable: 0}
	var sources [4]int
	linkStates := map[LinkState]int{LinkUp: 0, LinkDown: 0, LinkUnknown: 0}
	disagree := map[string]int{}
	for _, k := range Disagreements {
		disagree[k] = 0
	}
	t.mu.RLock()
	nodes = len(t.st.devices)
	for _, d := range t.st.devices {
		if d.inv != nil {
			devStates[d.state]++
		}
	}
	for _, l := range t.st.links {
		if l.declared {
			sources[0]++
		}
		if l.a.lldp || l.b.lldp {
			sources[1]++
		}
		if l.a.status != statusUnknown || (l.b.device != "" && l.b.status != statusUnknown) {
			sources[2]++
		}
		if l.a.bgp || l.b.bgp {
			sources[3]++
		}
		linkStates[l.state]++
		if l.disagreement != "" {
			disagree[l.disagreement]++
		}
	}
	t.mu.RUnlock()
	ch <- prometheus.MustNewConstMetric(descNodes, prometheus.GaugeValue, float64(nodes))
	for s, n := range devStates {
		ch <- prometheus.MustNewConstMetric(descDevices, prometheus.GaugeValue, float64(n), string(s))
	}
	for i, s := range Sources {
		ch <- prometheus.MustNewConstMetric(descLinks, prometheus.GaugeValue, float64(sources[i]), string(s))
	}
	for s, n := range linkStates {
		ch <- prometheus.MustNewConstMetric(descLinkStates, prometheus.GaugeValue, float64(n), string(s))
	}
	for k, n := range disagree {
		ch <- prometheus.MustNewConstMetric(descDisagreements, prometheus.GaugeValue, float64(n), k)
	}
}

// WriteText writes the analysis families of the last published Analysis,
// then the per-site routing families (routes.go), in the Prometheus text
// format 0.0.4 (web.TextWriter): HELP and TYPE once per family with at
// least one series, then its series. Both are immutable once published, so
// this needs no lock; lines go out in chunks of about 32 KiB.
// It stops at the first write error (a client gone away) and returns it.
func (t *Topology) WriteText(w io.Writer) error {
	a := t.analysis.Load()
	if a == nil {
		return t.rt.writeText(w)
	}
	tw := textWriter{w: w, buf: make([]byte, 0, 40<<10)}
	site := func(f *family, value func(s *SiteResult) int) {
		if len(a.Sites) == 0 {
			return
		}
		tw.header(f)
		for i := range a.Sites {
			s := &a.Sites[i]
			tw.series(f, value(s), s.ID, s.Region)
		}
	}
	site(famDesigned, func(s *SiteResult) int { return s.Designed })
	site(famEffective, func(s *SiteResult) int { return s.Effective })
	site(famPaths, func(s *SiteResult) int { return s.DisjointPaths })
	site(famSPOFs, func(s *SiteResult) int { return len(s.SPOFs) })
	site(famIsolated, func(s *SiteResult) int { return b2i(s.Isolated) })
	site(famIsolatedInternet, func(s *SiteResult) int { return b2i(s.IsolatedIfInternetCut) })
	first := true
	for i := range a.Sites {
		if s := &a.Sites[i]; s.Isolated {
			if first {
				tw.header(famCause)
				first = false
			}
			tw.series(famCause, 1, s.ID, s.Region, s.CauseKind, s.Cause)
		}
	}

	// Roll-ups, regions in name order.
	total := [3]int{}
	byRegion := map[string]*[3]int{}
	for i := range a.Sites {
		s := &a.Sites[i]
		r := byRegion[s.Region]
		if r == nil {
			r = new([3]int)
			byRegion[s.Region] = r
		}
		k := stateIndex(s.State)
		r[k]++
		total[k]++
	}
	if len(byRegion) > 0 {
		tw.header(famRegionSites)
		for _, r := range slices.Sorted(maps.Keys(byRegion)) {
			for k, st := range SiteStates {
				tw.series(famRegionSites, byRegion[r][k], r, st)
			}
		}
	}
	tw.header(famSites)
	for k, st := range SiteStates {
		tw.series(famSites, total[k], st)
	}

	tw.header(famBridges)
	tw.series(famBridges, len(a.Bridges))
	tw.header(famArticulations)
	tw.series(famArticulations, len(a.ArticulationPoints))
	tw.header(famDCConnected)
	tw.series(famDCConnected, b2i(a.DatacentresConnected))
	if len(a.Bridges) > 0 {
		tw.header(famBridgeInfo)
		for _, b := range slices.Compact(slices.Sorted(slices.Values(a.Bridges))) {
			tw.series(famBridgeInfo, 1, b)
		}
	}
	if len(a.Interconnects) > 0 {
		tw.header(famICUp)
		for _, ic := range a.Interconnects {
			tw.series(famICUp, b2i(ic.Up), ic.ID, ic.Kind)
		}
		tw.header(famICSurvives)
		for _, ic := range a.Interconnects {
			tw.series(famICSurvives, b2i(ic.SurvivesInternetCut), ic.ID, ic.Kind)
		}
	}
	if err := tw.flush(); err != nil {
		return err
	}
	return t.rt.writeText(w)
}

// stateIndex is the index of a site state in SiteStates.
func stateIndex(state string) int {
	switch state {
	case SiteDegraded:
		return 1
	case SiteIsolated:
		return 2
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// textWriter buffers text exposition lines and hands them to w in chunks;
// after a write error it drops everything and flush returns the error.
type textWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (tw *textWriter) header(f *family) {
	tw.buf = append(tw.buf, f.header...)
	tw.maybeFlush()
}

// series writes one line with an integer value.
func (tw *textWriter) series(f *family, value int, labelValues ...string) {
	b := appendName(tw.buf, f, labelValues)
	b = strconv.AppendInt(b, int64(value), 10)
	tw.buf = append(b, '\n')
	tw.maybeFlush()
}

// appendLine appends one line with a float value.
func appendLine(b []byte, f *family, value float64, labelValues ...string) []byte {
	b = appendName(b, f, labelValues)
	b = textformat.AppendValue(b, value)
	return append(b, '\n')
}

// appendName appends a line's start: the family's name, its labels (values
// given in the order the family declares them, written in name order) and
// the space before the value.
func appendName(b []byte, f *family, labelValues []string) []byte {
	b = append(b, f.name...)
	if len(labelValues) > 0 {
		b = append(b, '{')
		for n, i := range f.order {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.labels[i]...)
			b = append(b, '=', '"')
			b = textformat.AppendLabelValue(b, labelValues[i])
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

func (tw *textWriter) maybeFlush() {
	if len(tw.buf) >= 32<<10 {
		_ = tw.flush()
	}
}

func (tw *textWriter) flush() error {
	if tw.err == nil && len(tw.buf) > 0 {
		if _, err := tw.w.Write(tw.buf); err != nil {
			tw.err = fmt.Errorf("topology: writing metrics: %w", err)
		}
	}
	tw.buf = tw.buf[:0]
	return tw.err
}
