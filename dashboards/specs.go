package dashboards

// specs.go says what each of vigie's dashboards shows. Queries use the
// "{JI" shorthand for the job and instance matchers (see sel), and only
// metrics listed in alerting/metrics.txt or recorded by
// alerting/rules/vigie-recording.rules.yml (the tests check both).

// All returns vigie's dashboards, keyed by file name.
func All() map[string]*builder {
	return map[string]*builder{
		"vigie-overview.json":  overview(),
		"vigie-backbone.json":  backbone(),
		"vigie-platforms.json": platforms(),
		"vigie-site.json":      site(),
		"vigie-bgp.json":       bgp(),
		"vigie-health.json":    health(),
		"vigie-devices.json":   devices(),
	}
}

func regionVar() Variable {
	return queryVar("region", "Region", `label_values(vigie_site_isolated{job=~"$job",instance=~"$instance"}, region)`, true,
		"Regions to show (ids: idf, ara, ... and overseas gua, reu, ...).")
}

// nodeGraph is a node-graph panel fed by two table queries, refIds
// "nodes" (fields id, title, mainstat) and "edges" (id, source, target):
// Grafana recognises the frames by those refIds and field names.
func nodeGraph(title, description, nodes, edges string) *Panel {
	n, e := tableQ(nodes), tableQ(edges)
	n.RefID, e.RefID = "nodes", "edges"
	p := panel("nodeGraph", title, "short", description, n, e)
	p.Options = map[string]any{"nodes": map[string]any{"mainStatUnit": "short"}, "edges": map[string]any{}}
	p.transform("organize", map[string]any{
		"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true, "Value #edges": true},
		"renameByName":  map[string]string{"Value #nodes": "mainstat"},
	})
	return p
}

func overview() *builder {
	b := newDashboard("vigie-overview", "vigie / National overview",
		"The RIE at a glance: sites connected, degraded or isolated by region, the isolated and degraded sites by name, protection levels, internet-cut readiness, the root causes of isolation and a row per overseas territory.",
		regionVar(), territoryVar())
	b.row("National")
	b.add(8, 5, panel("stat", "Sites by state", "short",
		"All sites, by state: nominal (designed protection), degraded (connected, below its designed protection), isolated (no path to any datacentre).",
		instantQ(`vigie_sites{JI,state="nominal"}`, "nominal"), instantQ(`vigie_sites{JI,state="degraded"}`, "degraded"),
		instantQ(`vigie_sites{JI,state="isolated"}`, "isolated")).thresholds("blue"))
	b.add(4, 5, panel("stat", "Isolated sites", "short",
		"Sites with no path to any datacentre now.",
		instantQ(`:vigie_sites_isolated:sum{JI}`, "isolated")).thresholds("green", 1, "red"))
	b.add(4, 5, panel("stat", "Internet-cut exposure", "short",
		"Sites that a total loss of internet (PFAI and accesses riding the internet removed) would cut off from the datacentres. 0 is the goal.",
		instantQ(`:vigie_sites_isolated_if_internet_cut:sum{JI}`, "sites")).thresholds("green", 1, "orange"))
	b.add(4, 5, panel("stat", "Devices answering SNMP", "percentunit",
		"Share of the devices vigie polls that answered their last poll.",
		instantQ(`sum(region_role:vigie_devices_up:sum{JI}) / sum(region_role:vigie_devices:count{JI})`, "up")).
		thresholds("red", 0.9, "orange", 0.99, "green").minMax(0, 1))
	b.add(4, 5, panel("stat", "Datacentres connected", "none",
		"Whether every production datacentre reaches every other over the surviving backbone.",
		instantQ(`vigie_backbone_datacentres_connected{JI}`, "datacentres")).
		mapValues("1", "connected", "green", "0", "SPLIT", "red"))
	b.add(24, 9, isolatedNowTable())

	b.row("By region")
	b.add(12, 9, panel("table", "Sites per region", "short",
		"Sites of each region by state (vigie_region_sites).",
		tableQ(`sum by (region, state) (vigie_region_sites{JI,region=~"$region"})`)).
		transform("groupingToMatrix", map[string]any{"columnField": "state", "rowField": "region", "valueField": "Value"}))
	b.add(12, 9, panel("bargauge", "Share of sites connected, by region", "percentunit",
		"Share of the region's sites that reach at least one datacentre.",
		instantQ(`sort(region:vigie_sites_connected:ratio{JI,region=~"$region"})`, "{{region}}")).
		thresholds("red", 0.95, "orange", 0.999, "green").minMax(0, 1))
	b.add(12, 8, panel("timeseries", "Isolated sites by region", "short",
		"Isolated sites over time, stacked by region.",
		rangeQ(`region:vigie_sites_isolated:sum{JI,region=~"$region"}`, "{{region}}")).stacked())
	b.add(12, 8, panel("timeseries", "Degraded sites by region", "short",
		"Connected sites below their designed protection, stacked by region.",
		rangeQ(`region:vigie_sites_degraded:sum{JI,region=~"$region"}`, "{{region}}")).stacked())

	b.row("Protection levels")
	b.add(8, 8, panel("bargauge", "Sites per effective protection level", "short",
		"Sites by the protection they have now: level 0 none, 1 single, 2 backup, 3 dual, 4 diverse.",
		instantQ(`sort_desc(sum by (level) (region_level:vigie_site_protection_effective:count{JI,region=~"$region"}))`, "level {{level}}")).
		thresholds("blue"))
	b.add(8, 8, panel("bargauge", "Sites per designed protection level", "short",
		"Sites by the protection they were designed for: level 0 none, 1 single, 2 backup, 3 dual, 4 diverse.",
		instantQ(`sort_desc(sum by (level) (region_level:vigie_site_protection_designed:count{JI,region=~"$region"}))`, "level {{level}}")).
		thresholds("blue"))
	b.add(8, 8, panel("table", "Sites below their designed protection", "short",
		"Connected sites that lost redundancy: designed and effective levels (0 none ... 4 diverse). Empty when every site has its designed protection.",
		tableQ(`vigie_site_protection_effective{JI,region=~"$region"} < vigie_site_protection_designed{JI,region=~"$region"}`)).
		protection())

	b.row("Internet-cut readiness")
	b.add(12, 8, panel("bargauge", "Sites an internet cut would isolate, by region", "short",
		"Per region, the sites that would lose every path to the datacentres if the internet were lost (planning: the RIE must survive it).",
		instantQ(`sort_desc(region:vigie_sites_isolated_if_internet_cut:sum{JI,region=~"$region"})`, "{{region}}")).
		thresholds("green", 1, "orange"))
	b.add(12, 8, panel("stat", "Partner interconnects surviving an internet cut", "percentunit",
		"TESTA, RENATER and partner interconnects that keep a path to the datacentres without the internet.",
		instantQ(`sum(vigie_interconnect_survives_internet_cut{JI,kind!="internet"}) / count(vigie_interconnect_survives_internet_cut{JI,kind!="internet"})`, "surviving")).
		thresholds("red", 1, "green").minMax(0, 1))

	b.row("Root causes of isolation")
	b.add(12, 12, nodeGraph("Root causes of isolation",
		"Each failure that isolates sites (router, PoP, link, shared-risk group) linked to the sites behind it; the main stat of a cause is its number of sites. Empty when no site is isolated.",
		`label_replace(label_replace(cause:vigie_sites_isolated:count{JI}, "id", "$1", "cause", "(.*)"), "title", "$1", "cause_kind", "(.*)")`+
			` or label_replace(label_replace(vigie_site_isolation_cause{JI,region=~"$region"}, "id", "$1", "site", "(.*)"), "title", "site", "", "")`,
		`label_join(label_replace(label_replace(vigie_site_isolation_cause{JI,region=~"$region"}, "source", "$1", "cause", "(.*)"), "target", "$1", "site", "(.*)"), "id", "->", "source", "target")`))
	b.add(12, 12, panel("table", "Root causes now", "short",
		"Failures that isolate sites, with the number of sites behind each. One page per row (VigieIsolationRootCause). Empty when no site is isolated.",
		tableQ(`sort_desc(cause:vigie_sites_isolated:count{JI})`)).
		transform("organize", map[string]any{"renameByName": map[string]string{"Value": "sites isolated"}}))

	overseasRows(b)
	return b
}

func backbone() *builder {
	b := newDashboard("vigie-backbone", "vigie / Backbone",
		"The backbone that carries the sites' traffic to the State's datacentres: single points of failure (bridges, articulation routers), datacentre connectivity, backbone routers and links.")
	b.row("Single points of failure")
	b.add(6, 5, panel("stat", "Bridge links", "short",
		"Backbone links whose loss alone splits the backbone.",
		instantQ(`vigie_backbone_bridges{JI}`, "bridges")).thresholds("green", 1, "orange"))
	b.add(6, 5, panel("stat", "Articulation routers", "short",
		"Backbone routers whose loss alone splits the backbone.",
		instantQ(`vigie_backbone_articulation_points{JI}`, "articulation points")).thresholds("green", 1, "orange"))
	b.add(6, 5, panel("stat", "Datacentres connected", "none",
		"Whether every datacentre reaches every other over the surviving backbone.",
		instantQ(`vigie_backbone_datacentres_connected{JI}`, "datacentres")).mapValues("1", "connected", "green", "0", "SPLIT", "red"))
	b.add(6, 5, panel("stat", "Backbone routers up", "percentunit",
		"Share of backbone routers answering SNMP.",
		instantQ(`sum(region_role:vigie_devices_up:sum{JI,role="backbone"}) / sum(region_role:vigie_devices:count{JI,role="backbone"})`, "up")).
		thresholds("red", 0.99, "green").minMax(0, 1))
	b.add(12, 8, panel("timeseries", "Single points of failure over time", "short",
		"Bridges and articulation points: a rise means a link or router lost its backup path (VigieBackboneBridgeAppeared).",
		rangeQ(`vigie_backbone_bridges{JI}`, "bridges"), rangeQ(`vigie_backbone_articulation_points{JI}`, "articulation points")))
	b.add(12, 8, panel("table", "Bridge links now", "short",
		"Each backbone link that is a bridge. Empty when the backbone has none.",
		tableQ(`vigie_backbone_bridge_info{JI}`)).
		transform("organize", map[string]any{"excludeByName": map[string]bool{"Value": true}}))

	b.row("Routers and links")
	b.add(12, 9, panel("table", "Backbone routers", "none",
		"Every backbone router and whether it answered its last poll.",
		tableQ(`vigie_device_up{JI,role="backbone"}`)).mapValues("1", "up", "green", "0", "DOWN", "red"))
	b.add(12, 9, panel("table", "Backbone interfaces down", "short",
		"Backbone interfaces administratively up but operationally down, per router.",
		tableQ(`sort_desc(sum by (device) ((vigie_interface_oper_up{JI,role="backbone"} == bool 0) * on (job, instance, device, interface) vigie_interface_admin_up{JI,role="backbone"}))`)).
		thresholds("green", 1, "red"))
	b.add(12, 8, panel("timeseries", "Backbone traffic received, by router", "Bps",
		"Bytes per second received on all interfaces of each backbone router.",
		rangeQ(`sum by (device) (rate(vigie_interface_receive_bytes_total{JI,role="backbone"}[$__rate_interval]))`, "{{device}}")))
	b.add(12, 8, panel("timeseries", "Backbone traffic sent, by router", "Bps",
		"Bytes per second sent on all interfaces of each backbone router.",
		rangeQ(`sum by (device) (rate(vigie_interface_transmit_bytes_total{JI,role="backbone"}[$__rate_interval]))`, "{{device}}")))
	b.add(12, 8, panel("timeseries", "Interface errors, top 10", "short",
		"Input plus output errors per second on the backbone's ten worst interfaces (VigieInterfaceErrors).",
		rangeQ(`topk(10, sum by (device, interface) (rate(vigie_interface_receive_errors_total{JI,role="backbone"}[$__rate_interval]) + rate(vigie_interface_transmit_errors_total{JI,role="backbone"}[$__rate_interval])))`, "{{device}} {{interface}}")))
	b.add(12, 8, panel("timeseries", "Interface discards, top 10", "short",
		"Input plus output discards per second (congestion) on the backbone's ten worst interfaces.",
		rangeQ(`topk(10, sum by (device, interface) (rate(vigie_interface_receive_discards_total{JI,role="backbone"}[$__rate_interval]) + rate(vigie_interface_transmit_discards_total{JI,role="backbone"}[$__rate_interval])))`, "{{device}} {{interface}}")))
	b.add(24, 8, panel("table", "Backbone LLDP neighbours", "short",
		"LLDP neighbours each backbone router reports: a router with fewer than its declared links has a link down or LLDP off.",
		tableQ(`vigie_device_lldp_neighbors{JI,role="backbone"}`)))
	return b
}

func platforms() *builder {
	b := newDashboard("vigie-platforms", "vigie / PFAI and PFS",
		"The internet access platform (PFAI: default routes, canaries, uplinks) and the service platform (PFS: VRFs, TESTA, RENATER and partner interconnects), with their readiness for an internet cut.")
	b.row("Interconnects")
	b.add(12, 10, nodeGraph("Interconnects of the RIE",
		"The RIE in the middle, each interconnect around it (main stat 1 up, 0 down), by kind: internet (PFAI), testa, renater, partner (PFS).",
		`label_replace(label_replace(vigie_interconnect_up{JI}, "id", "$1", "interconnect", "(.*)"), "title", "$1", "kind", "(.*)")`+
			` or label_replace(label_replace(max by (job, instance) (vigie_interconnect_up{JI}) * 0 + 1, "id", "RIE", "", ""), "title", "RIE", "", "")`,
		`label_join(label_replace(label_replace(vigie_interconnect_up{JI}, "source", "RIE", "", ""), "target", "$1", "interconnect", "(.*)"), "id", "->", "source", "target")`))
	b.add(12, 10, panel("table", "Interconnects", "none",
		"Every interconnect, up or down now.",
		tableQ(`vigie_interconnect_up{JI}`)).mapValues("1", "up", "green", "0", "DOWN", "red"))
	b.add(12, 6, panel("bargauge", "Interconnects up, by kind", "short",
		"Interconnects up over interconnects declared, per kind.",
		instantQ(`kind:vigie_interconnects_up:sum{JI}`, "{{kind}} up"), instantQ(`kind:vigie_interconnects:count{JI}`, "{{kind}} declared")).
		thresholds("blue"))
	b.add(12, 6, panel("table", "Interconnects surviving an internet cut", "none",
		"Whether each interconnect keeps its path to the datacentres without the internet (internet uplinks never do; TESTA, RENATER and partners must).",
		tableQ(`vigie_interconnect_survives_internet_cut{JI}`)).mapValues("1", "survives", "green", "0", "lost", "orange"))

	b.row("PFAI: internet")
	// Per PFAI router, not per session: vigie usually peers with the route
	// reflectors only, and then has no session with a PFAI.
	b.add(6, 6, panel("stat", "PFAIs with a default route", "short",
		"PFAI routers whose default route is among the routes vigie receives, directly or reflected. 0 means the RIE has lost the internet.",
		instantQ(`:vigie_bgp_pfai_default_route_present:sum{JI}`, "PFAIs")).thresholds("red", 1, "orange", 2, "green"))
	b.add(9, 6, panel("table", "Default route per PFAI", "none",
		"Whether each PFAI's 0.0.0.0/0 or ::/0 is among the routes vigie receives, directly or reflected (empty while unknown).",
		tableQ(`vigie_bgp_pfai_default_route_present{JI}`)).mapValues("1", "present", "green", "0", "MISSING", "red"))
	b.add(9, 6, panel("table", "Internet canaries per PFAI", "none",
		"Whether each PFAI's canary prefixes (well-known internet prefixes) are among the routes vigie receives (empty while unknown).",
		tableQ(`vigie_bgp_pfai_canary_present{JI}`)).mapValues("1", "present", "green", "0", "MISSING", "orange"))
	b.add(12, 8, panel("timeseries", "PFAI traffic", "Bps",
		"Bytes per second received and sent on the PFAI routers.",
		rangeQ(`sum by (device) (rate(vigie_interface_receive_bytes_total{JI,role="pfai"}[$__rate_interval]))`, "{{device}} in"),
		rangeQ(`sum by (device) (rate(vigie_interface_transmit_bytes_total{JI,role="pfai"}[$__rate_interval]))`, "{{device}} out")))
	b.add(12, 8, panel("timeseries", "PFAI routers up", "short",
		"PFAI routers answering SNMP.",
		rangeQ(`sum(region_role:vigie_devices_up:sum{JI,role="pfai"})`, "up"), rangeQ(`sum(region_role:vigie_devices:count{JI,role="pfai"})`, "declared")))

	b.row("PFS: services and VRFs")
	b.add(12, 8, panel("timeseries", "PFS traffic", "Bps",
		"Bytes per second received and sent on the PFS routers.",
		rangeQ(`sum by (device) (rate(vigie_interface_receive_bytes_total{JI,role="pfs"}[$__rate_interval]))`, "{{device}} in"),
		rangeQ(`sum by (device) (rate(vigie_interface_transmit_bytes_total{JI,role="pfs"}[$__rate_interval]))`, "{{device}} out")))
	b.add(12, 8, panel("table", "Prefixes per peer, family and VRF", "short",
		"Paths vigie holds from each BGP peer, by address family and VRF (its name from the inventory's vrfs:, else its route distinguisher): a ministry's VRF going to zero shows here.",
		tableQ(`sum by (device, family, vrf) (vigie_bgp_received_prefixes{JI})`)))
	b.add(24, 7, panel("table", "PFS routers' BGP peers", "none",
		"BGP4-MIB state of each PFS router's peers (partners, route reflectors): 6 is established.",
		tableQ(`vigie_device_bgp_peer_state{JI,role="pfs"}`)).
		mapValues("1", "idle", "red", "2", "connect", "orange", "3", "active", "orange", "4", "opensent", "orange", "5", "openconfirm", "orange", "6", "established", "green"))
	return b
}

func site() *builder {
	// All regions by default, so that a link with only ?var-site=<id>
	// finds the site among the variable's options.
	region := regionVar()
	region.Multi = false
	region.Current = map[string]any{"selected": true, "text": "All", "value": "$__all"}
	b := newDashboard(SiteDashboardUID, "vigie / Site detail",
		"One site in detail, found by name: where it is and whom to call, its accesses and circuits, is it connected and since when, with what protection (designed and effective), how many disjoint paths and single points of failure, its routers and their interfaces.",
		region, siteSearchVar())
	const s = `site="$site"`
	sitePlace(b)
	b.row("State")
	b.add(4, 5, panel("stat", "Connected", "none", "Whether the site reaches at least one datacentre now.",
		instantQ(`vigie_site_isolated{JI,`+s+`}`, "site")).mapValues("0", "connected", "green", "1", "ISOLATED", "red"))
	b.add(4, 5, panel("stat", "Designed protection", "none", "The protection level the site's access was designed for.",
		instantQ(`vigie_site_protection_designed{JI,`+s+`}`, "designed")).protection())
	b.add(4, 5, panel("stat", "Effective protection", "none", "The protection level the site has now, from the links that are up.",
		instantQ(`vigie_site_protection_effective{JI,`+s+`}`, "effective")).protection())
	b.add(4, 5, panel("stat", "Disjoint paths", "short", "Edge-disjoint paths from the site to the datacentres under the current failures.",
		instantQ(`vigie_site_disjoint_paths{JI,`+s+`}`, "paths")).thresholds("red", 1, "orange", 2, "green"))
	b.add(4, 5, panel("stat", "Single points of failure", "short", "Elements (device, link, shared-risk group) whose failure alone would isolate the site.",
		instantQ(`vigie_site_spofs{JI,`+s+`}`, "spofs")).thresholds("green", 1, "orange"))
	b.add(4, 5, panel("stat", "After an internet cut", "none", "Whether the site would stay connected to the datacentres after a total loss of internet.",
		instantQ(`vigie_site_isolated_if_internet_cut{JI,`+s+`}`, "internet cut")).mapValues("0", "survives", "green", "1", "cut off", "orange"))
	b.add(12, 7, panel("timeseries", "Protection over time", "short",
		"Designed and effective protection level (0 none, 1 single, 2 backup, 3 dual, 4 diverse) and disjoint paths.",
		rangeQ(`vigie_site_protection_designed{JI,`+s+`}`, "designed"), rangeQ(`vigie_site_protection_effective{JI,`+s+`}`, "effective"),
		rangeQ(`vigie_site_disjoint_paths{JI,`+s+`}`, "disjoint paths")))
	b.add(6, 7, panel("stat", "Paths to the site's prefixes", "short",
		"Smallest number of BGP paths vigie sees over the site's LAN prefixes (0: a prefix is missing from the backbone).",
		instantQ(`vigie_bgp_site_prefix_paths{JI,`+s+`}`, "paths")).thresholds("red", 1, "orange", 2, "green"))
	b.add(6, 7, panel("stat", "Routed in BGP", "percentunit",
		"Share of the site's prefixes present in the backbone routes vigie receives (empty while BGP cannot tell, e.g. no converged session). 0 with the CE answering SNMP is a routing fault: the site is reported isolated.",
		instantQ(`vigie_site_routed{JI,`+s+`}`, "routed")).thresholds("red", 0.99, "green").minMax(0, 1))
	b.add(6, 7, panel("table", "Cause of isolation", "none",
		"When the site is isolated, the failure vigie holds responsible. Empty when the site is connected.",
		tableQ(`vigie_site_isolation_cause{JI,`+s+`}`)).
		transform("organize", map[string]any{"excludeByName": map[string]bool{"Value": true}}))
	b.add(6, 7, panel("stat", "Availability, 30 days", "percentunit",
		"Share of the last 30 days the site was not isolated, of the time vigie observed it (recording rule site:vigie_site_available:ratio_30d: the last 720 full hours; degraded counts as available). For a month's figures by region, department or ministry: vigie report availability (docs/availability.md).",
		instantQ(`site:vigie_site_available:ratio_30d{JI,`+s+`}`, "30 days")).
		thresholds("red", 0.99, "orange", 0.999, "green").minMax(0, 1))

	b.row("Routers")
	b.add(24, 6, panel("table", "Routers of the site", "none",
		"The site's routers (CE), whether they answer SNMP, and their uptime.",
		tableQ(`vigie_device_up{JI} * on (job, instance, device) group_left (sys_name) vigie_device_info{JI,`+s+`}`)).
		mapValues("1", "up", "green", "0", "DOWN", "red"))
	b.add(12, 8, panel("timeseries", "Traffic received", "Bps", "Bytes per second received on each interface of the site's routers.",
		rangeQ(`rate(vigie_interface_receive_bytes_total{JI}[$__rate_interval]) * on (job, instance, device) group_left () max by (job, instance, device) (vigie_device_info{JI,`+s+`})`, "{{device}} {{interface}}")))
	b.add(12, 8, panel("timeseries", "Traffic sent", "Bps", "Bytes per second sent on each interface of the site's routers.",
		rangeQ(`rate(vigie_interface_transmit_bytes_total{JI}[$__rate_interval]) * on (job, instance, device) group_left () max by (job, instance, device) (vigie_device_info{JI,`+s+`})`, "{{device}} {{interface}}")))
	b.add(12, 8, panel("timeseries", "Interface errors", "short", "Input and output errors per second on the site's routers.",
		rangeQ(`(rate(vigie_interface_receive_errors_total{JI}[$__rate_interval]) + rate(vigie_interface_transmit_errors_total{JI}[$__rate_interval])) * on (job, instance, device) group_left () max by (job, instance, device) (vigie_device_info{JI,`+s+`})`, "{{device}} {{interface}}")))
	b.add(12, 8, panel("table", "Interfaces", "none", "Operational state of each interface of the site's routers, with its speed.",
		tableQ(`vigie_interface_oper_up{JI} * on (job, instance, device) group_left () max by (job, instance, device) (vigie_device_info{JI,`+s+`})`)).
		mapValues("1", "up", "green", "0", "down", "red"))
	b.add(24, 7, panel("timeseries", "Poll duration of the site's routers", "s", "How long vigie's last poll of each router took.",
		rangeQ(`vigie_device_poll_duration_seconds{JI} * on (job, instance, device) group_left () max by (job, instance, device) (vigie_device_info{JI,`+s+`})`, "{{device}}")))
	return b
}

func bgp() *builder {
	b := newDashboard("vigie-bgp", "vigie / BGP",
		"BGP as vigie sees it: its own listen-only sessions with the routers (GoBGP), the routes they carry, and each router's own peers (BGP4-MIB).")
	b.row("vigie's sessions")
	b.add(6, 5, panel("stat", "Sessions established", "percentunit", "Share of vigie's BGP sessions that are established.",
		instantQ(`sum(vigie_bgp_session_up{JI}) / count(vigie_bgp_session_up{JI})`, "established")).
		thresholds("red", 0.99, "green").minMax(0, 1))
	b.add(6, 5, panel("stat", "Sites without a route", "short", "Sites with at least one LAN prefix that no peer announces.",
		instantQ(`vigie_bgp_sites_without_prefix{JI}`, "sites")).thresholds("green", 1, "red"))
	b.add(6, 5, panel("stat", "Sites by routing state", "short", "Sites with prefixes in the inventory by BGP verdict: routed, partly routed, unrouted, unknown (no converged session could tell).",
		instantQ(`vigie_sites_routing{JI}`, "{{state}}")).thresholds("blue"))
	b.add(6, 5, panel("table", "Internet default route, per PFAI", "none", "Whether each PFAI's default route is among the routes vigie receives, directly or reflected (empty while unknown). None present = internet cut (VigieInternetDefaultRouteLost).",
		tableQ(`vigie_bgp_pfai_default_route_present{JI}`)).mapValues("1", "present", "green", "0", "MISSING", "red"))
	b.add(12, 5, panel("table", "Sessions", "none", "Each of vigie's BGP sessions: up or down.",
		tableQ(`vigie_bgp_session_up{JI}`)).mapValues("1", "established", "green", "0", "DOWN", "red"))
	b.add(12, 8, panel("timeseries", "Session uptime", "s", "Time since each session was last established (0 when down).",
		rangeQ(`vigie_bgp_session_uptime_seconds{JI}`, "{{device}} {{peer}}")))
	b.add(12, 8, panel("timeseries", "Session flaps", "short", "Sessions that went down after being established, per interval.",
		rangeQ(`sum by (device, peer) (increase(vigie_bgp_session_flaps_total{JI}[$__rate_interval]))`, "{{device}} {{peer}}")))
	b.add(12, 8, panel("timeseries", "Prefixes received, by peer and family", "short", "Paths vigie holds per peer and address family.",
		rangeQ(`sum by (device, family) (vigie_bgp_received_prefixes{JI})`, "{{device}} {{family}}")))
	b.add(12, 8, panel("timeseries", "Max-prefix trips", "short", "Sessions vigie tore down because the peer exceeded its max-prefix limit, per interval.",
		rangeQ(`sum by (device, peer) (increase(vigie_bgp_max_prefix_trips_total{JI}[$__rate_interval]))`, "{{device}} {{peer}}")))

	b.row("Routers' own peers (BGP4-MIB)")
	b.add(8, 8, panel("bargauge", "Router BGP peers down, by role", "short", "BGP peers not established on the routers, per role.",
		instantQ(`sum by (role) (1 - vigie_device_bgp_peer_up{JI})`, "{{role}}")).thresholds("green", 1, "red"))
	b.add(16, 8, panel("timeseries", "Peer established transitions", "short", "How often the routers' BGP peers (re)establish, per interval: flapping sessions show here.",
		rangeQ(`sum by (device) (increase(vigie_device_bgp_peer_established_transitions_total{JI}[$__rate_interval]))`, "{{device}}")))
	b.add(24, 8, panel("table", "Peers not established", "none", "BGP4-MIB state of every router peer that is not established (6). Empty when all are.",
		tableQ(`vigie_device_bgp_peer_state{JI} != 6`)).
		mapValues("1", "idle", "red", "2", "connect", "orange", "3", "active", "orange", "4", "opensent", "orange", "5", "openconfirm", "orange"))
	return b
}

func health() *builder {
	b := newDashboard("vigie-health", "vigie / vigie health",
		"vigie watching itself: scrape, poller throughput, failures, lag and skips, decoding, topology analysis and its store.")
	b.row("Poller")
	b.add(4, 5, panel("stat", "vigie up", "none", "Whether Prometheus scrapes vigie.",
		instantQ(`up{JI}`, "{{instance}}")).mapValues("1", "up", "green", "0", "DOWN", "red"))
	b.add(10, 5, panel("stat", "Devices by poll state", "short", "Devices by scheduler state: up, down, in back-off, not yet polled.",
		instantQ(`vigie_collector_devices{JI}`, "{{state}}")).thresholds("blue"))
	b.add(10, 5, panel("stat", "Poll failure ratio, by role", "percentunit", "Share of polls that failed over 5 minutes (VigiePollFailuresHigh at 20 %).",
		instantQ(`role:vigie_collector_poll_failures:ratio_rate5m{JI}`, "{{role}}")).thresholds("green", 0.05, "orange", 0.2, "red"))
	b.add(12, 8, panel("timeseries", "Polls per second", "ops", "Device polls completed per second, by role and result.",
		rangeQ(`sum by (role, result) (rate(vigie_collector_polls_total{JI}[$__rate_interval]))`, "{{role}} {{result}}")))
	b.add(12, 8, panel("timeseries", "Poll errors per second", "ops", "Failed polls per second by role and reason (timeout, auth, ...). Empty until a poll has failed.",
		rangeQ(`sum by (role, reason) (rate(vigie_collector_poll_errors_total{JI}[$__rate_interval]))`, "{{role}} {{reason}}")))
	b.add(12, 8, panel("timeseries", "Poll duration", "s", "p50 and p99 of a device poll's duration, by role.",
		rangeQ(`histogram_quantile(0.5, sum by (role, le) (rate(vigie_collector_poll_duration_seconds_bucket{JI}[$__rate_interval])))`, "{{role}} p50"),
		rangeQ(`histogram_quantile(0.99, sum by (role, le) (rate(vigie_collector_poll_duration_seconds_bucket{JI}[$__rate_interval])))`, "{{role}} p99")))
	b.add(12, 8, panel("timeseries", "Poll lag", "s", "How late polls start after their due time: p50 and p90. Up to 0.1 s is the dispatch tick polls start on; more means every worker is busy (VigiePollerLagging at 30 s).",
		rangeQ(`histogram_quantile(0.5, sum by (le) (rate(vigie_collector_poll_lag_seconds_bucket{JI}[$__rate_interval])))`, "p50"),
		rangeQ(`histogram_quantile(0.9, sum by (le) (rate(vigie_collector_poll_lag_seconds_bucket{JI}[$__rate_interval])))`, "p90")))
	b.add(8, 8, panel("timeseries", "Polls skipped per second", "ops", "Polls skipped because the device's previous poll was still running, by role.",
		rangeQ(`sum by (role) (rate(vigie_collector_polls_skipped_total{JI}[$__rate_interval]))`, "{{role}}")))
	b.add(8, 8, panel("timeseries", "Polls in flight", "short", "Device polls running at once (bounded by polling.workers).",
		rangeQ(`vigie_collector_polls_in_flight{JI}`, "in flight")))
	b.add(8, 8, panel("timeseries", "Cycle duration", "s", "Time to poll every device of a role once.",
		rangeQ(`vigie_collector_cycle_duration_seconds{JI}`, "{{role}}")))
	b.add(12, 8, panel("timeseries", "SNMP requests and varbinds per second", "ops", "SNMP requests sent and varbinds decoded per second.",
		rangeQ(`rate(vigie_collector_requests_total{JI}[$__rate_interval])`, "requests"),
		rangeQ(`rate(vigie_collector_varbinds_total{JI}[$__rate_interval])`, "varbinds")))
	b.add(12, 8, panel("timeseries", "Decoder panics recovered", "short", "Malformed answers that made a decoder panic (recovered), per interval: each is a bug to report.",
		rangeQ(`increase(vigie_collector_decode_panics_total{JI}[$__rate_interval])`, "panics")))

	b.row("Topology and store")
	b.add(6, 5, panel("stat", "Topology nodes", "short", "Devices in the live topology.",
		instantQ(`vigie_topology_nodes{JI}`, "nodes")).thresholds("blue"))
	b.add(9, 5, panel("stat", "Links by source", "short", "Links of the live topology vouched for by each source (declared, lldp, cdp, ifmib, bgp).",
		instantQ(`vigie_topology_links{JI}`, "{{source}}")).thresholds("blue"))
	b.add(9, 5, panel("stat", "Topology disagreements", "short", "Links on which the inventory and the network disagree, by kind (VigieTopologyDisagreement).",
		instantQ(`vigie_topology_disagreements{JI}`, "{{kind}}")).thresholds("green", 1, "orange"))
	b.add(6, 5, panel("stat", "Sites where BGP and SNMP disagree", "short", "Sites unrouted in BGP while their CE answers SNMP, or routed while it is silent (its management path is what is broken).",
		instantQ(`vigie_topology_site_disagreements{JI}`, "{{kind}}")).thresholds("green", 1, "orange"))
	b.add(8, 8, panel("timeseries", "Topology changes per second", "ops", "Changes applied to the live topology, by kind.",
		rangeQ(`sum by (kind) (rate(vigie_topology_changes_total{JI}[$__rate_interval]))`, "{{kind}}")))
	b.add(8, 8, panel("timeseries", "Resilience analysis duration", "s", "p50 and p99 of one resilience analysis (bridges, articulation points, per-site paths).",
		rangeQ(`histogram_quantile(0.5, sum by (le) (rate(vigie_resilience_analysis_duration_seconds_bucket{JI}[$__rate_interval])))`, "p50"),
		rangeQ(`histogram_quantile(0.99, sum by (le) (rate(vigie_resilience_analysis_duration_seconds_bucket{JI}[$__rate_interval])))`, "p99")))
	b.add(8, 8, panel("timeseries", "Store write errors", "short", "Failed writes to vigie's bbolt store, per interval (VigieStoreWriteErrors).",
		rangeQ(`increase(vigie_store_write_errors_total{JI}[$__rate_interval])`, "errors")))
	return b
}
