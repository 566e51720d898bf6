package bgp

// view.go holds the values the monitor hands out: snapshots of peers and
// sites for the topology and the API, and the events it reports.

import (
	"net/netip"
	"time"
)

// PeerStatus is a snapshot of one configured session, as vigie sees it.
type PeerStatus struct {
	// Address is the configured address of the router (the peer label).
	Address netip.Addr
	Device  string
	Role    string
	Region  string
	// State is GoBGP's session state in lower case: idle, connect, active,
	// opensent, openconfirm, established.
	State       string
	Established bool
	// Since is when the session last became established (zero if never).
	Since time.Time
	// Changed is when vigie last saw the session become established or go
	// down (zero if never): Reconcile does not compare a router's table
	// read before it.
	Changed time.Time
	// LocalAddress is vigie's end of the session, as the router sees it in
	// its BGP4-MIB bgpPeerRemoteAddr (learned once established).
	LocalAddress netip.Addr
	// RemoteID is the router's BGP identifier.
	RemoteID netip.Addr
	// Flaps counts sessions that went down after being established.
	Flaps uint64
	// MaxPrefixTrips counts sessions torn down by the max-prefix limit.
	MaxPrefixTrips uint64
	// MalformedUpdates counts UPDATEs GoBGP repaired per RFC 7606
	// (treat-as-withdraw, attribute discard, family disabled).
	MalformedUpdates uint64
	// Updates counts UPDATE-carried paths received (announces and withdraws).
	Updates uint64
	// Prefixes is the count of paths held per family and VRF.
	Prefixes []FamilyCount
	// DefaultRoute says whether the peer currently sends 0.0.0.0/0 or ::/0.
	DefaultRoute bool
	// Canaries says, for each configured canary, whether the peer sends it.
	Canaries map[netip.Prefix]bool
	// LastError is the last reason a connection attempt failed, while the
	// session is down (for the API; never a label).
	LastError string
}

// Uptime is how long the session has been established (0 when down).
func (p PeerStatus) Uptime(now time.Time) time.Duration {
	if !p.Established {
		return 0
	}
	return now.Sub(p.Since)
}

// FamilyCount is a number of paths held for one family and VRF.
type FamilyCount struct {
	Family string // inventory.Family* name
	// VRF is the name of the inventory VRF the route distinguisher belongs
	// to, else the RD itself; "" for unicast families, "other" past
	// Options.MaxVRFsPerPeer.
	VRF string
	// RD is the route distinguisher as routers print it ("65000:100"), ""
	// for unicast families, "other" past Options.MaxVRFsPerPeer.
	RD       string
	Prefixes int
}

// SiteRoutes says whether a site's prefixes are routed, and how diversely.
type SiteRoutes struct {
	Site     string
	Region   string
	Prefixes []PrefixRoutes
	// Missing counts the site's prefixes that no peer sends.
	Missing int
	// MinPaths is the smallest path count over the site's prefixes: 0 means
	// a prefix is missing, 1 that one path is all that is left for one.
	MinPaths int
}

// PrefixRoutes counts the paths heard for one site prefix, over every peer,
// family and VRF (exact prefix match).
type PrefixRoutes struct {
	Prefix   netip.Prefix
	Paths    int // distinct (peer, VRF, ADD-PATH id) paths
	NextHops int // distinct next-hop addresses among them
	Peers    int // distinct peers sending it
}

// RoutingState is what BGP says of a site, a bounded set (label values).
type RoutingState string

// Routing states of a site.
const (
	// RoutingUnknown: BGP says nothing. No converged session that should
	// carry the site's prefixes is established, or the site has no
	// prefixes in the inventory (such sites are never reported).
	RoutingUnknown RoutingState = "unknown"
	// RoutingRouted: every prefix of the site is in the routes received.
	RoutingRouted RoutingState = "routed"
	// RoutingPartlyRouted: some prefixes are, some are missing.
	RoutingPartlyRouted RoutingState = "partly_routed"
	// RoutingUnrouted: every prefix vigie can judge is missing, according
	// to a converged session that should carry it.
	RoutingUnrouted RoutingState = "unrouted"
)

// RoutingStates lists every routing state.
var RoutingStates = []RoutingState{RoutingUnknown, RoutingRouted, RoutingPartlyRouted, RoutingUnrouted}

// SiteRouting is the routing verdict of one site, as handed to the
// topology through Options.OnRouting each time it changes.
type SiteRouting struct {
	Site   string
	Region string
	State  RoutingState
	// Prefixes is the number of prefixes the inventory gives the site;
	// Missing those a converged session vouches are absent; Unknown those
	// no converged session can vouch for (present prefixes are the rest).
	Prefixes, Missing, Unknown int
	// Paths and NextHops are the fewest paths and distinct next hops over
	// the site's judged prefixes (0 when one is missing).
	Paths, NextHops int
}

// PFAIRoutes says whether one PFAI router's internet routes are among the
// routes vigie receives, whether from the PFAI itself or reflected by the
// route reflectors (matched by next hop or ORIGINATOR_ID against the
// PFAI's inventory addresses).
type PFAIRoutes struct {
	Device string
	Region string
	// Known is false while no converged session could carry them: then
	// DefaultRoute and Canaries say nothing.
	Known        bool
	DefaultRoute bool
	// DefaultPaths counts the paths of 0.0.0.0/0 and ::/0 from this PFAI.
	DefaultPaths int
	Canaries     map[netip.Prefix]bool
}

// EventKind says what happened; it is a bounded set.
type EventKind string

// Event kinds reported through Options.OnEvent.
const (
	EventPeerUp           EventKind = "peer_up"
	EventPeerDown         EventKind = "peer_down"
	EventMaxPrefix        EventKind = "max_prefix"
	EventDefaultRouteLost EventKind = "default_route_lost"
	EventDefaultRouteBack EventKind = "default_route_back"
	// EventPFAIDefaultRouteLost and Back: a PFAI router's default route
	// left or came back to the routes vigie receives, whichever session
	// carries it (Event.Device is the PFAI, Peer is unset).
	EventPFAIDefaultRouteLost EventKind = "pfai_default_route_lost"
	EventPFAIDefaultRouteBack EventKind = "pfai_default_route_back"
	// EventDiscrepancy is a disagreement between a router's BGP4-MIB and
	// vigie's own session with it, reported by Monitor.Reconcile when it
	// first appears.
	EventDiscrepancy EventKind = "discrepancy"
)

// Event is one change worth telling the topology and the alerting about.
type Event struct {
	Kind   EventKind
	Time   time.Time
	Peer   netip.Addr
	Device string
	// Family is set for max-prefix trips (the family that overflowed).
	Family string
	// Detail is a human sentence for logs and the API, never a label.
	Detail string
}

// InternetLost reports whether the verdicts say the RIE has lost the
// internet: every PFAI router's routes are known and none has a default
// route left. A PFAI vigie cannot judge (no converged session could carry
// its routes) keeps the answer false: an unknown is not a loss.
func InternetLost(rs []PFAIRoutes) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if !r.Known || r.DefaultRoute {
			return false
		}
	}
	return true
}
