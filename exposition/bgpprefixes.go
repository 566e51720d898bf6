package exposition

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// bgpPrefixLabelNames are the labels of vigie_device_bgp_peer_accepted_prefixes:
// a peer's, and family as in vigie_bgp_received_prefixes.
var bgpPrefixLabelNames = []string{"device", "role", "region", "peer", "peer_as", "family"}

// walkPrefixes puts the accepted prefixes of the device's BGP peers, per
// address family, in out: what the vendor peer tables (CISCO-BGP4-MIB,
// BGP4-V2-MIB-JUNIPER) count. A count whose peer is not among the poll's
// peers has no series: its peer_as would be unknown.
func (d *device) walkPrefixes(res *snmp.Poll, out *scratch) {
	peers := res.BGPPeers
	for i := range res.BGPPrefixes {
		x := &res.BGPPrefixes[i]
		j, ok := slices.BinarySearchFunc(peers, x.Remote, func(p snmp.BGPPeer, a netip.Addr) int { return p.Remote.Compare(a) })
		if !ok {
			continue
		}
		k := bgpPrefixKey{bgpKey{peer: x.Remote, as: peers[j].RemoteAS}, x.Family}
		l, found := d.bgpPrefixLabels[k]
		if !found {
			l = d.newLabel(deviceFamilies[famBGPAccepted], 3, d.inv.Name, string(d.inv.Role), d.region,
				x.Remote.String(), strconv.FormatUint(uint64(peers[j].RemoteAS), 10), x.Family)
			l.key = ""
			if d.bgpPrefixLabels == nil {
				d.bgpPrefixLabels = map[bgpPrefixKey]*label{}
			}
			d.bgpPrefixLabels[k] = l
		}
		out.add(famBGPAccepted, float64(x.Accepted), l)
	}
}
