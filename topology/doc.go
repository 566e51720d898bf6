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
// other end), cdp (the same from CISCO-CDP-MIB's cache: LLDP and CDP are
// read as one neighbour table, so that everything below about LLDP holds
// for CDP-only routers too; a protocol not read in a poll keeps its last
// table), ifmib (an end's oper status is known), bgp (an end's
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
// The topology publishes snapshots (Analysis, Routing, Counts, Snapshot,
// Events): the exposition package renders them as the per-site, region,
// backbone, interconnect and model-count families and as the JSON API.
// The topology registers only its own instrumentation:
//
//	vigie_topology_changes_total{kind}                    counter, kind = EventKind
//	vigie_topology_unknown_device_polls_total             counter
//	vigie_topology_device_bound_drops_total{device,bound} counter
//	vigie_resilience_analysis_duration_seconds            histogram
//	vigie_store_write_errors_total                        counter (package store)
//	vigie_store_batch_duration_seconds                    histogram (package store)
//	vigie_store_pending_changes                           gauge (package store)
//	vigie_store_dropped_events_total                      counter (package store)
package topology
