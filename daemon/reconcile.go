package daemon

import (
	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// routerPeers converts a router's BGP4-MIB peer table, as the SNMP poll
// decoded it, into the rows the BGP monitor compares with its sessions. The
// conversion lives here, where both collectors meet, so that neither
// collector imports the other.
func routerPeers(rows []snmp.BGPPeer) []bgp.RouterPeer {
	out := make([]bgp.RouterPeer, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = bgp.RouterPeer{Remote: r.Remote, Local: r.Local, RemoteAS: r.RemoteAS, State: r.State}
	}
	return out
}
