package exposition

// topology.go is the topology's side of /metrics: the text families
// (sites.go, routing.go) written after the registry's, and a few model
// counts and roll-ups gathered from the registry, all from the snapshots
// the topology publishes.

import (
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/topology"
)

// The families gathered from the registry: a few series each, computed at
// scrape time from topology.Counts and the last topology.Routing. They are
// declared with newFamily like the text families, so that Families (and
// the catalogue the rules are checked against) knows their type and labels
// even while they have no series.
var (
	famNodes = newFamily("vigie_topology_nodes", Gauge,
		"Devices in the live topology (inventory devices and names only LLDP reports).")
	famDevices = newFamily("vigie_topology_devices", Gauge,
		"Inventory devices by SNMP reachability: unknown, reachable, unreachable.", "state")
	famLinks = newFamily("vigie_topology_links", Gauge,
		"Links of the live topology vouched for by each source: declared, lldp, ifmib, bgp.", "source")
	famLinkStates = newFamily("vigie_topology_link_states", Gauge,
		"Links of the live topology by state: up, down, unknown.", "state")
	famDisagreements = newFamily("vigie_topology_disagreements", Gauge,
		"Links on which the sources disagree, by kind: declared_not_seen, undeclared_neighbor, wrong_neighbor.", "kind")
	famSitesRouting = newFamily("vigie_sites_routing", Gauge,
		"Sites with prefixes in the inventory by BGP routing state: routed, partly_routed, unrouted, unknown.",
		"state")
	famSiteDisagreements = newFamily("vigie_topology_site_disagreements", Gauge,
		"Sites on which BGP and SNMP disagree, by kind: unrouted_ce_reachable, routed_ce_unreachable.",
		"kind")

	famCableUp = newFamily("vigie_transoceanic_link_up", Gauge,
		"1 when the transoceanic link (inventory technology transoceanic) is up, 0 when down; absent while unknown. region is the overseas region it serves.",
		"link", "region")

	gatheredFamilies = []*Family{famNodes, famDevices, famLinks, famLinkStates, famDisagreements,
		famSitesRouting, famSiteDisagreements, famCableUp}
)

// TopologyExposition is what vigie shows of one live topology: its text
// families, its registry collector and its JSON API.
type TopologyExposition struct{ t *topology.Topology }

// Topology returns the exposition of t.
func Topology(t *topology.Topology) TopologyExposition { return TopologyExposition{t} }

// WriteText writes the topology's text families (web.TextWriter).
func (e TopologyExposition) WriteText(w io.Writer) error { return writeTopology(w, e.t) }

// Collector returns the collector to register in the registry /metrics
// gathers: the model counts and routing roll-ups, and the reservation of
// the text families' names.
func (e TopologyExposition) Collector() prometheus.Collector { return newTopologyCollector(e.t) }

// API returns the handler of /api/v1 (api.go).
func (e TopologyExposition) API() http.Handler { return newAPI(e.t) }

// writeTopology writes the analysis families of t's last published
// Analysis, then the per-site routing families of its last Routing, in the
// Prometheus text format 0.0.4: HELP and TYPE once per family with at
// least one series, then its series. Both snapshots are immutable, so this
// needs no lock; lines go out in chunks of about 32 KiB. It stops at the
// first write error (a client gone away) and returns it.
func writeTopology(w io.Writer, t *topology.Topology) error {
	tw := newTextWriter(w)
	inv := t.Inventory()
	if a := t.Analysis(); a != nil {
		writeAnalysis(tw, a, inv)
	}
	writeRouting(tw, t.Routing(), inv)
	return tw.flush()
}

type topologyCollector struct{ t *topology.Topology }

func newTopologyCollector(t *topology.Topology) prometheus.Collector { return topologyCollector{t} }

// Describe implements prometheus.Collector. It also describes the text
// families, which Collect never sends, so that their names stay reserved.
func (c topologyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, fs := range [][]*Family{analysisFamilies, routingFamilies} {
		for _, f := range fs {
			ch <- f.desc
		}
	}
	for _, f := range gatheredFamilies {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector.
func (c topologyCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(f *Family, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(f.desc, prometheus.GaugeValue, float64(v), labels...)
	}
	n := c.t.Counts()
	gauge(famNodes, n.Nodes)
	for s, v := range n.Devices {
		gauge(famDevices, v, string(s))
	}
	for s, v := range n.Links {
		gauge(famLinks, v, string(s))
	}
	for s, v := range n.LinkStates {
		gauge(famLinkStates, v, string(s))
	}
	for k, v := range n.Disagreements {
		gauge(famDisagreements, v, k)
	}
	for _, c := range n.Cables {
		if c.State != topology.LinkUnknown {
			gauge(famCableUp, b2i(c.State == topology.LinkUp), c.ID, c.Region)
		}
	}
	if r := c.t.Routing(); r != nil {
		for s, v := range r.States {
			gauge(famSitesRouting, v, string(s))
		}
		for k, v := range r.Disagreements {
			gauge(famSiteDisagreements, v, k)
		}
	}
}
