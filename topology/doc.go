// # Rules of the live model
//
// Devices. A device is reachable once a poll answers its system group, and
// unreachable after Options.UnreachableAfter (default 2) failed polls in a
// row; a poll skipped by the collector as an overrun says nothing. A
// sysUpTime lower than the previous poll's is a reboot.
//
// Links. Declared links come from the inventory (site accesses, links,
// interconnect attachments) and carry the resilience engine's LinkID. A
// link is down if either end's device is unreachable, or either end's
// interface (found by ifName, then ifDescr) has ifOperStatus down, dormant,
// notPresent or lowerLayerDown; up if an end's interface is up or LLDP sees
// it; unknown otherwise (never failed in the analysis). The failures
// analysed are the unreachable devices plus the links down for a reason of
// their own, so that a dead router is the one cause of its sites' isolation.
//
// Sources. declared (inventory), lldp (an end's last LLDP table names the
// other end), ifmib (an end's oper status is known), bgp (an end's
// BGP4-MIB shows an established session with the other end's device, the
// peer matched by address or BGP identifier against management addresses).
//
// Disagreements. wrong_neighbor: LLDP on a declared port names another
// device. declared_not_seen: neither end sees the link and every end whose
// LLDP is polled missed it Options.LLDPMissLimit polls in a row while it was
// not down. undeclared_neighbor: an LLDP neighbour with no declared link
// (kept as an "observed" link, "lldp:A:P--B:Q", until no end reports it).
//
// Analyses. A change of the failed set schedules an analysis at most once
// per Options.Debounce; it is incremental (resilience.Reanalyze) and is run
// twice: live, and live plus an internet cut.
//
// # Metrics
//
//	vigie_site_protection_designed{site,region}           gauge 0..4
//	vigie_site_protection_effective{site,region}          gauge 0..4
//	vigie_site_disjoint_paths{site,region}                gauge
//	vigie_site_spofs{site,region}                         gauge
//	vigie_site_isolated{site,region}                      gauge 0/1
//	vigie_site_isolated_if_internet_cut{site,region}      gauge 0/1
//	vigie_site_isolation_cause{site,region,cause_kind,cause} 1, isolated sites only
//	vigie_region_sites{region,state}                      gauge, state nominal|degraded|isolated
//	vigie_sites{state}                                    gauge
//	vigie_backbone_bridges, vigie_backbone_articulation_points  gauge
//	vigie_backbone_bridge_info{link}                      1 per bridge
//	vigie_backbone_datacentres_connected                  gauge 0/1
//	vigie_interconnect_up{interconnect,kind}              gauge 0/1
//	vigie_interconnect_survives_internet_cut{interconnect,kind} gauge 0/1
//	vigie_topology_nodes                                  gauge
//	vigie_topology_devices{state}                         gauge unknown|reachable|unreachable
//	vigie_topology_links{source}                          gauge declared|lldp|ifmib|bgp
//	vigie_topology_link_states{state}                     gauge up|down|unknown
//	vigie_topology_disagreements{kind}                    gauge
//	vigie_topology_changes_total{kind}                    counter, kind = EventKind
//	vigie_topology_unknown_device_polls_total             counter
//	vigie_resilience_analysis_duration_seconds            histogram
//	vigie_store_write_errors_total                        counter (package store)
//	vigie_store_batch_duration_seconds                    histogram (package store)
//	vigie_store_pending_changes                           gauge (package store)
//	vigie_store_dropped_events_total                      counter (package store)
//
// The analysis families (vigie_site_*, vigie_region_sites, vigie_sites,
// vigie_backbone_*, vigie_interconnect_*) are written as text by WriteText,
// from the last published Analysis, at each scrape: 14,000 sites' series
// cost a few milliseconds per scrape and no memory between scrapes. The
// registry reserves their names and serves the rest.
package topology
