package topology

import (
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric descriptors. Names are a contract with the alerting rules and the
// dashboards: change them only together.
var (
	descDesigned = prometheus.NewDesc("vigie_site_protection_designed",
		"Access protection the site was designed for: 0 none, 1 single, 2 backup, 3 dual, 4 diverse.", []string{"site", "region"}, nil)
	descEffective = prometheus.NewDesc("vigie_site_protection_effective",
		"Access protection the site has now, from the links that are up (0..4).", []string{"site", "region"}, nil)
	descPaths = prometheus.NewDesc("vigie_site_disjoint_paths",
		"SRLG-disjoint paths from the site to the datacentres under the current failures: the fewest devices, shared-risk groups or links whose loss cuts it off (3 means 3 or more).", []string{"site", "region"}, nil)
	descSPOFs = prometheus.NewDesc("vigie_site_spofs",
		"Single elements (device, link, shared-risk group) whose failure alone would isolate the site.", []string{"site", "region"}, nil)
	descIsolated = prometheus.NewDesc("vigie_site_isolated",
		"1 when the site cannot reach any datacentre now.", []string{"site", "region"}, nil)
	descIsolatedInternet = prometheus.NewDesc("vigie_site_isolated_if_internet_cut",
		"1 when the site would be cut off from the datacentres by a total loss of internet.", []string{"site", "region"}, nil)
	descCause = prometheus.NewDesc("vigie_site_isolation_cause",
		"1 for an isolated site, labelled with the root cause of its isolation, so that one alert fires per cause.",
		[]string{"site", "region", "cause_kind", "cause"}, nil)
	descRegionSites = prometheus.NewDesc("vigie_region_sites",
		"Sites of the region by state: nominal, degraded (effective below designed protection) or isolated.", []string{"region", "state"}, nil)
	descSites = prometheus.NewDesc("vigie_sites",
		"Sites by state: nominal, degraded or isolated.", []string{"state"}, nil)
	descBridges = prometheus.NewDesc("vigie_backbone_bridges",
		"Backbone links whose loss alone splits the backbone.", nil, nil)
	descArticulations = prometheus.NewDesc("vigie_backbone_articulation_points",
		"Backbone routers whose loss alone splits the backbone.", nil, nil)
	descBridgeInfo = prometheus.NewDesc("vigie_backbone_bridge_info",
		"1 for each backbone link that is a bridge (a single point of failure of the backbone).", []string{"link"}, nil)
	descDCConnected = prometheus.NewDesc("vigie_backbone_datacentres_connected",
		"1 when every datacentre reaches every other through the surviving backbone.", nil, nil)
	descICUp = prometheus.NewDesc("vigie_interconnect_up",
		"1 when the partner or internet interconnect is up and attached to the surviving backbone.", []string{"interconnect", "kind"}, nil)
	descICSurvives = prometheus.NewDesc("vigie_interconnect_survives_internet_cut",
		"1 when the interconnect would stay reachable from the datacentres after a total loss of internet.", []string{"interconnect", "kind"}, nil)

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

// metrics holds the topology's metrics. The per-site const metrics are
// built once per analysis (and only for the sites whose result changed),
// never per scrape; the topology counts are computed at scrape time under
// the read lock, a few counters over the links with no label building.
type metrics struct {
	t                *Topology
	changes          *prometheus.CounterVec
	analysisDuration prometheus.Histogram
	unknownPolls     prometheus.Counter

	built     atomic.Pointer[[]prometheus.Metric]
	siteCache map[string]siteMetrics // writer only
}

type siteMetrics struct {
	key     siteKey
	metrics []prometheus.Metric
}

// siteKey is what the per-site metrics depend on.
type siteKey struct {
	region                            string
	designed, effective, paths, spofs int
	isolated, isolatedInternet        bool
	causeKind, cause                  string
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
		siteCache: map[string]siteMetrics{},
	}
	for _, k := range EventKinds {
		m.changes.WithLabelValues(string(k))
	}
	empty := []prometheus.Metric{}
	m.built.Store(&empty)
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.changes, m.analysisDuration, m.unknownPolls, m} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDesigned, descEffective, descPaths, descSPOFs, descIsolated,
		descIsolatedInternet, descCause, descRegionSites, descSites, descBridges, descArticulations,
		descBridgeInfo, descDCConnected, descICUp, descICSurvives, descNodes, descDevices, descLinks,
		descLinkStates, descDisagreements} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, x := range *m.built.Load() {
		ch <- x
	}
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

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// publish builds the analysis metrics; it runs on the writer goroutine once
// per analysis. Sites whose result did not change keep their metrics.
func (m *metrics) publish(a *Analysis) {
	out := make([]prometheus.Metric, 0, len(*m.built.Load())+16)
	seen := make(map[string]bool, len(a.Sites))
	region := map[string]map[string]int{}
	total := map[string]int{SiteNominal: 0, SiteDegraded: 0, SiteIsolated: 0}
	for i := range a.Sites {
		s := &a.Sites[i]
		seen[s.ID] = true
		k := siteKey{region: s.Region, designed: s.Designed, effective: s.Effective, paths: s.DisjointPaths,
			spofs: len(s.SPOFs), isolated: s.Isolated, isolatedInternet: s.IsolatedIfInternetCut}
		if s.Isolated {
			k.causeKind, k.cause = s.CauseKind, s.Cause
		}
		c, ok := m.siteCache[s.ID]
		if !ok || c.key != k {
			lv := []string{s.ID, s.Region}
			c = siteMetrics{key: k, metrics: []prometheus.Metric{
				prometheus.MustNewConstMetric(descDesigned, prometheus.GaugeValue, float64(k.designed), lv...),
				prometheus.MustNewConstMetric(descEffective, prometheus.GaugeValue, float64(k.effective), lv...),
				prometheus.MustNewConstMetric(descPaths, prometheus.GaugeValue, float64(k.paths), lv...),
				prometheus.MustNewConstMetric(descSPOFs, prometheus.GaugeValue, float64(k.spofs), lv...),
				prometheus.MustNewConstMetric(descIsolated, prometheus.GaugeValue, b2f(k.isolated), lv...),
				prometheus.MustNewConstMetric(descIsolatedInternet, prometheus.GaugeValue, b2f(k.isolatedInternet), lv...),
			}}
			if k.isolated {
				c.metrics = append(c.metrics, prometheus.MustNewConstMetric(descCause, prometheus.GaugeValue, 1,
					s.ID, s.Region, k.causeKind, k.cause))
			}
			m.siteCache[s.ID] = c
		}
		out = append(out, c.metrics...)
		if region[s.Region] == nil {
			region[s.Region] = map[string]int{SiteNominal: 0, SiteDegraded: 0, SiteIsolated: 0}
		}
		region[s.Region][s.State]++
		total[s.State]++
	}
	for id := range m.siteCache {
		if !seen[id] {
			delete(m.siteCache, id)
		}
	}
	for r, states := range region {
		for st, n := range states {
			out = append(out, prometheus.MustNewConstMetric(descRegionSites, prometheus.GaugeValue, float64(n), r, st))
		}
	}
	for st, n := range total {
		out = append(out, prometheus.MustNewConstMetric(descSites, prometheus.GaugeValue, float64(n), st))
	}
	out = append(out,
		prometheus.MustNewConstMetric(descBridges, prometheus.GaugeValue, float64(len(a.Bridges))),
		prometheus.MustNewConstMetric(descArticulations, prometheus.GaugeValue, float64(len(a.ArticulationPoints))),
		prometheus.MustNewConstMetric(descDCConnected, prometheus.GaugeValue, b2f(a.DatacentresConnected)))
	for _, b := range slices.Compact(slices.Sorted(slices.Values(a.Bridges))) {
		out = append(out, prometheus.MustNewConstMetric(descBridgeInfo, prometheus.GaugeValue, 1, b))
	}
	for _, ic := range a.Interconnects {
		out = append(out,
			prometheus.MustNewConstMetric(descICUp, prometheus.GaugeValue, b2f(ic.Up), ic.ID, ic.Kind),
			prometheus.MustNewConstMetric(descICSurvives, prometheus.GaugeValue, b2f(ic.SurvivesInternetCut), ic.ID, ic.Kind))
	}
	m.built.Store(&out)
}
