// Package exposition owns what vigie shows the outside: every metric family
// it renders in the Prometheus text format (per device, interface and BGP
// peer from the polls; per site, region, backbone and interconnect from the
// topology's published analyses; per site from the routing verdicts) and
// the JSON of /api/v1. It sits between topology and web: the collector
// hands it polls, the topology publishes immutable snapshots, and it is the
// one writer of the text and JSON that web serves.
//
// The components' own instrumentation (vigie_collector_*, vigie_store_*,
// vigie_bgp_* ...) stays with them, registered in the daemon's registry;
// Families lists the families rendered here, and Catalogue, the list the
// alerting rules and dashboards are checked against (alerting/metrics.txt
// must match it), is built from both.
package exposition
