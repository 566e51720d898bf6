package exposition

// sites.go renders the topology's published Analysis: one series per site
// (14,000 on the full RIE), the region and RIE roll-ups, the backbone and
// the interconnects. They are rendered at each scrape: nothing is held
// between scrapes but the Analysis itself.

import (
	"maps"
	"slices"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// The analysis families. Names and help texts are a contract with the
// alerting rules, the dashboards and README's table: change them only
// together. Site and region series carry overseas="true"|"false", so that
// the overseas territories (a transoceanic cable away, other operators,
// other hours) can be selected or left out without a list of regions.
var (
	famDesigned = newFamily("vigie_site_protection_designed", Gauge,
		"Access protection the site was designed for: 0 none, 1 single, 2 backup, 3 dual, 4 diverse.", "site", "region", "overseas")
	famEffective = newFamily("vigie_site_protection_effective", Gauge,
		"Access protection the site has now, from the links that are up (0..4).", "site", "region", "overseas")
	famPaths = newFamily("vigie_site_disjoint_paths", Gauge,
		"SRLG-disjoint paths from the site to the datacentres under the current failures: the fewest devices, shared-risk groups or links whose loss cuts it off (3 means 3 or more).", "site", "region", "overseas")
	famSPOFs = newFamily("vigie_site_spofs", Gauge,
		"Single elements (device, link, shared-risk group) whose failure alone would isolate the site.", "site", "region", "overseas")
	famIsolated = newFamily("vigie_site_isolated", Gauge,
		"1 when the site cannot reach any datacentre now.", "site", "region", "overseas")
	famIsolatedInternet = newFamily("vigie_site_isolated_if_internet_cut", Gauge,
		"1 when the site would be cut off from the datacentres by a total loss of internet.", "site", "region", "overseas")
	famCause = newFamily("vigie_site_isolation_cause", Gauge,
		"1 for an isolated site, labelled with the root cause of its isolation, so that one alert fires per cause.",
		"site", "region", "overseas", "cause_kind", "cause")
	famStateSince = newFamily("vigie_site_state_since_seconds", Gauge,
		"Unix time at which the site entered its current state (nominal, degraded or isolated): when vigie saw it change, or vigie's start or reload for the state it found.",
		"site", "region", "overseas")
	famRegionSites = newFamily("vigie_region_sites", Gauge,
		"Sites of the region by state: nominal, degraded (effective below designed protection) or isolated.", "region", "overseas", "state")
	famSites = newFamily("vigie_sites", Gauge,
		"Sites by state: nominal, degraded or isolated.", "state")
	famBridges = newFamily("vigie_backbone_bridges", Gauge,
		"Backbone links whose loss alone splits the backbone.")
	famArticulations = newFamily("vigie_backbone_articulation_points", Gauge,
		"Backbone routers whose loss alone splits the backbone.")
	famBridgeInfo = newFamily("vigie_backbone_bridge_info", Gauge,
		"1 for each backbone link that is a bridge (a single point of failure of the backbone).", "link")
	famDCConnected = newFamily("vigie_backbone_datacentres_connected", Gauge,
		"1 when every datacentre reaches every other through the surviving backbone.")
	famICUp = newFamily("vigie_interconnect_up", Gauge,
		"1 when the interconnect is attached to the surviving backbone and, if BGP judges it (expected prefixes or bgp_peer), its session is established and its expected prefixes received in its VRF.", "interconnect", "kind")
	famICDown = newFamily("vigie_interconnect_down_reason", Gauge,
		"1 for a down interconnect, labelled with why: detached (attachment or backbone path down), bgp_session_down, prefixes_missing.", "interconnect", "kind", "reason")
	famICMissing = newFamily("vigie_interconnect_prefixes_missing", Gauge,
		"Expected prefixes of the interconnect that BGP vouches are not received in its VRF; absent while BGP cannot tell or the inventory expects none.", "interconnect", "kind", "vrf")
	famICSurvives = newFamily("vigie_interconnect_survives_internet_cut", Gauge,
		"1 when the interconnect would stay reachable from the datacentres after a total loss of internet.", "interconnect", "kind")

	analysisFamilies = []*Family{famDesigned, famEffective, famPaths, famSPOFs, famIsolated, famIsolatedInternet,
		famCause, famStateSince, famRegionSites, famSites, famBridges, famArticulations, famBridgeInfo, famDCConnected,
		famICUp, famICDown, famICMissing, famICSurvives}
)

// writeAnalysis writes the analysis families of a: HELP and TYPE once per
// family with at least one series, then its series, sites in the
// analysis's order and regions in name order. inv says which sites and
// regions are overseas; a region it does not know is overseas when one of
// its sites is.
func writeAnalysis(tw *textWriter, a *topology.Analysis, inv *inventory.Inventory) {
	// One lookup per site and scrape, shared by the site families.
	over := make([]bool, len(a.Sites))
	for i := range a.Sites {
		over[i] = isOverseas(inv, a.Sites[i].ID)
	}
	site := func(f *Family, value func(s *topology.SiteResult) int) {
		if len(a.Sites) == 0 {
			return
		}
		tw.header(f)
		for i := range a.Sites {
			s := &a.Sites[i]
			tw.series(f, value(s), s.ID, s.Region, overseas(over[i]))
		}
	}
	site(famDesigned, func(s *topology.SiteResult) int { return s.Designed })
	site(famEffective, func(s *topology.SiteResult) int { return s.Effective })
	site(famPaths, func(s *topology.SiteResult) int { return s.DisjointPaths })
	site(famSPOFs, func(s *topology.SiteResult) int { return len(s.SPOFs) })
	site(famIsolated, func(s *topology.SiteResult) int { return b2i(s.Isolated) })
	site(famIsolatedInternet, func(s *topology.SiteResult) int { return b2i(s.IsolatedIfInternetCut) })
	site(famStateSince, func(s *topology.SiteResult) int { return int(s.Since.Unix()) })
	first := true
	for i := range a.Sites {
		if s := &a.Sites[i]; s.Isolated {
			if first {
				tw.header(famCause)
				first = false
			}
			tw.series(famCause, 1, s.ID, s.Region, overseas(over[i]), s.CauseKind, s.Cause)
		}
	}
	writeAliveLocally(tw, a, over) // witness.go

	total := [4]int{}
	byRegion := map[string]*[4]int{}
	regionOver := map[string]bool{}
	for i := range a.Sites {
		s := &a.Sites[i]
		r := byRegion[s.Region]
		if r == nil {
			r = new([4]int)
			byRegion[s.Region] = r
			if reg := inv.Region(s.Region); reg != nil {
				regionOver[s.Region] = reg.Overseas
			}
		}
		if inv.Region(s.Region) == nil && over[i] {
			regionOver[s.Region] = true
		}
		k := stateIndex(s.State)
		r[k]++
		total[k]++
	}
	if len(byRegion) > 0 {
		tw.header(famRegionSites)
		for _, r := range slices.Sorted(maps.Keys(byRegion)) {
			for k, st := range a.States() {
				tw.series(famRegionSites, byRegion[r][k], r, overseas(regionOver[r]), st)
			}
		}
	}
	tw.header(famSites)
	for k, st := range a.States() {
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
		first := true
		for _, ic := range a.Interconnects {
			if ic.Reason != "" {
				if first {
					tw.header(famICDown)
					first = false
				}
				tw.series(famICDown, 1, ic.ID, ic.Kind, ic.Reason)
			}
		}
		first = true
		for _, ic := range a.Interconnects {
			if ic.PrefixesJudged() {
				if first {
					tw.header(famICMissing)
					first = false
				}
				tw.series(famICMissing, ic.PrefixesMissing, ic.ID, ic.Kind, ic.VRF)
			}
		}
		tw.header(famICSurvives)
		for _, ic := range a.Interconnects {
			tw.series(famICSurvives, b2i(ic.SurvivesInternetCut), ic.ID, ic.Kind)
		}
	}
}

// stateIndex is the index of a site state in topology.SiteStates.
func stateIndex(state string) int {
	switch state {
	case topology.SiteDegraded:
		return 1
	case topology.SiteIsolated:
		return 2
	case topology.SiteUnobserved:
		return 3
	}
	return 0
}

// isOverseas says whether inv's site id is overseas.
func isOverseas(inv *inventory.Inventory, id string) bool {
	s := inv.Site(id)
	return s != nil && s.Overseas
}

// overseas is the overseas label's value.
func overseas(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
