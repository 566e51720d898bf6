package bgp

// reconcile.go compares what a router says of its sessions (its BGP4-MIB
// peer table, read by whoever polls the router) with vigie's own sessions to
// it. A router that calls vigie's session Established while vigie sees it
// down (or the reverse) is lying, stuck, or not the router vigie thinks it
// is: an operator should look.

import (
	"fmt"
	"net/netip"
)

// RouterPeer is one row of a router's own BGP peer table, as its SNMP agent
// reports it (BGP4-MIB bgpPeerTable). The monitor takes only the columns the
// comparison needs, in its own type, so that it does not depend on how the
// SNMP collector decodes or stores the table: the daemon converts.
type RouterPeer struct {
	Remote   netip.Addr // bgpPeerRemoteAddr: the neighbour's address
	Local    netip.Addr // bgpPeerLocalAddr: the router's end of the session
	RemoteAS uint32     // bgpPeerRemoteAs
	State    int        // bgpPeerState: idle(1) ... established(6)
}

// Established reports whether the router calls the session established(6).
func (p *RouterPeer) Established() bool { return p.State == 6 }

// DiscrepancyKind is a bounded label value.
type DiscrepancyKind string

// Discrepancy kinds.
const (
	// RouterOnly: the router reports the session Established, vigie does not.
	RouterOnly DiscrepancyKind = "router_only"
	// VigieOnly: vigie's session is Established, the router's row is not
	// (or the router has no row for vigie at all).
	VigieOnly DiscrepancyKind = "vigie_only"
	// ASMismatch: the router's row for vigie names another remote AS than
	// vigie's local AS: the inventory or the router is misconfigured.
	ASMismatch DiscrepancyKind = "as_mismatch"
)

// Discrepancy is one disagreement between a router's BGP4-MIB and vigie.
type Discrepancy struct {
	Kind   DiscrepancyKind
	Device string
	// Peer is the router's address of the session (vigie's configured peer).
	Peer netip.Addr
	// RouterState is the row's bgpPeerState (0 when the router has no row).
	RouterState int
	// VigieState is vigie's session state (PeerStatus.State).
	VigieState string
	Detail     string
}

// ReconcileView is the pure comparison behind Monitor.Reconcile: for every
// session in view with device, it finds the router's row for vigie in mib
// and reports where they disagree. A row is vigie's when its remote address
// is vigie's end of the session, or, when that is not known (the session
// never came up), when its local address is the configured peer address and
// its remote AS is vigie's. Rows for the router's other neighbours are
// ignored: vigie only knows its own sessions.
func ReconcileView(device string, localAS uint32, mib []RouterPeer, view []PeerStatus) []Discrepancy {
	var out []Discrepancy
	for _, ps := range view {
		if ps.Device != device {
			continue
		}
		row := findRow(mib, ps, localAS)
		d := Discrepancy{Device: device, Peer: ps.Address, VigieState: ps.State}
		if row != nil {
			d.RouterState = row.State
		}
		switch {
		case row == nil && ps.Established:
			d.Kind = VigieOnly
			d.Detail = fmt.Sprintf("vigie's session with %s (%s) is established but the router's BGP4-MIB has no row for vigie; check that SNMP polls the right router", device, ps.Address)
			out = append(out, d)
			continue
		case row == nil:
			continue
		}
		if row.RemoteAS != 0 && localAS != 0 && row.RemoteAS != localAS {
			k := d
			k.Kind = ASMismatch
			k.Detail = fmt.Sprintf("%s's BGP4-MIB row for vigie (%s) has remote AS %d, vigie runs AS %d; fix the router's neighbor statement or vigie's bgp.local_as", device, row.Remote, row.RemoteAS, localAS)
			out = append(out, k)
		}
		switch {
		case row.Established() && !ps.Established:
			d.Kind = RouterOnly
			d.Detail = fmt.Sprintf("%s reports its session with vigie (%s) established, vigie sees it %s; vigie may be listening on another address or port, or the router shows a stale state", device, row.Remote, ps.State)
			out = append(out, d)
		case !row.Established() && ps.Established:
			d.Kind = VigieOnly
			d.Detail = fmt.Sprintf("vigie's session with %s (%s) is established, the router reports state %d; the SNMP view may be stale or from another router", device, ps.Address, row.State)
			out = append(out, d)
		}
	}
	return out
}

// findRow returns the MIB row describing vigie's session ps, or nil.
func findRow(mib []RouterPeer, ps PeerStatus, localAS uint32) *RouterPeer {
	if ps.LocalAddress.IsValid() {
		for i := range mib {
			if mib[i].Remote == ps.LocalAddress {
				return &mib[i]
			}
		}
	}
	for i := range mib {
		if mib[i].Local == ps.Address && (localAS == 0 || mib[i].RemoteAS == localAS) {
			return &mib[i]
		}
	}
	return nil
}
