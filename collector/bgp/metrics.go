package bgp

// metrics.go exposes the monitor's state to Prometheus. Values are read
// from the state at scrape time under the read lock; nothing is updated per
// route, and label values are the configured ones (bounded).

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	peerLabels = []string{"peer", "device", "role", "region"}

	descSessionUp = prometheus.NewDesc("vigie_bgp_session_up",
		"1 when vigie's BGP session with the peer is established.", peerLabels, nil)
	descUptime = prometheus.NewDesc("vigie_bgp_session_uptime_seconds",
		"Seconds since the session was last established (0 when down).", peerLabels, nil)
	descFlaps = prometheus.NewDesc("vigie_bgp_session_flaps_total",
		"Sessions that went down after being established.", peerLabels, nil)
	descReceived = prometheus.NewDesc("vigie_bgp_received_prefixes",
		"Paths held from the peer per family and route distinguisher; vrf is the inventory VRF's name (the RD when no VRF names it, \"\" for unicast, \"other\" past the per-peer bound).",
		[]string{"peer", "device", "family", "vrf", "rd"}, nil)
	descTrips = prometheus.NewDesc("vigie_bgp_max_prefix_trips_total",
		"Sessions torn down because the peer exceeded its max-prefix limit.", []string{"peer", "device"}, nil)
	descDefault = prometheus.NewDesc("vigie_bgp_default_route_present",
		"1 when the PFAI peer sends a default route (0.0.0.0/0 or ::/0).", []string{"peer", "device"}, nil)
	descCanary = prometheus.NewDesc("vigie_bgp_canary_present",
		"1 when the PFAI peer sends the canary prefix.", []string{"peer", "device", "prefix"}, nil)
	descPFAIDefault = prometheus.NewDesc("vigie_bgp_pfai_default_route_present",
		"1 when the PFAI router's default route is among the routes vigie receives, from the PFAI or reflected (by next hop or ORIGINATOR_ID); absent while no converged session could carry it.",
		[]string{"pfai", "region"}, nil)
	descPFAICanary = prometheus.NewDesc("vigie_bgp_pfai_canary_present",
		"1 when the canary prefix from the PFAI router is among the routes vigie receives; absent while unknown.",
		[]string{"pfai", "prefix"}, nil)
	descSitePaths = prometheus.NewDesc("vigie_bgp_site_prefix_paths",
		"Smallest number of paths over the site's prefixes (0 = a prefix is missing).", []string{"site", "region"}, nil)
	descSitesMissing = prometheus.NewDesc("vigie_bgp_sites_without_prefix",
		"Sites with at least one prefix that no peer sends.", nil, nil)
	descUpdates = prometheus.NewDesc("vigie_bgp_updates_received_total",
		"Paths received in UPDATE messages (announces and withdraws).", []string{"peer", "device"}, nil)
	descHeld = prometheus.NewDesc("vigie_bgp_paths_held",
		"Paths held over every peer (GoBGP's Adj-RIB-In, about 1 KiB each).", nil, nil)
	descMalformed = prometheus.NewDesc("vigie_bgp_malformed_updates_total",
		"Malformed UPDATEs from the peer that GoBGP repaired per RFC 7606, by handling.", []string{"peer", "device", "handling"}, nil)
	descSkipped = prometheus.NewDesc("vigie_bgp_paths_skipped_total",
		"Received paths not accounted, by reason (unsupported family, undecodable).", []string{"reason"}, nil)
)

// collector is the monitor's prometheus.Collector.
type collector struct{ m *Monitor }

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessionUp, descUptime, descFlaps, descReceived, descTrips,
		descDefault, descCanary, descPFAIDefault, descPFAICanary, descSitePaths, descSitesMissing, descUpdates, descHeld, descSkipped, descMalformed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: a monitor's series are those
// of its View (remote.go), its own or, for a mirror, the one it serves.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	var v *View
	if m.mirror {
		m.mu.RLock()
		v = m.remote
		m.mu.RUnlock()
	} else {
		v = m.liveView(false)
	}
	m.render(ch, v, m.opts.Now())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
