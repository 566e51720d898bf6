package daemon

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestRouterPeers checks that every column the BGP monitor compares reaches
// it from the SNMP poll's row: a column lost on the way would turn a
// misconfigured router into a silent one (the AS check needs RemoteAS, a
// session that never came up is found by Local).
func TestRouterPeers(t *testing.T) {
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		name string
		in   []snmp.BGPPeer
		want []bgp.RouterPeer
	}{
		{"no rows", nil, []bgp.RouterPeer{}},
		{"every compared column", []snmp.BGPPeer{
			{Remote: ip("192.0.2.100"), Local: ip("192.0.2.1"), State: 6, AdminUp: true, RemoteAS: 65000,
				RemoteID: ip("192.0.2.100"), FSMEstablishedTransitions: 3, FSMEstablishedTime: time.Hour},
			{Remote: ip("2001:db8::9"), Local: ip("2001:db8::1"), State: 3, RemoteAS: 4200000000},
		}, []bgp.RouterPeer{
			{Remote: ip("192.0.2.100"), Local: ip("192.0.2.1"), State: 6, RemoteAS: 65000},
			{Remote: ip("2001:db8::9"), Local: ip("2001:db8::1"), State: 3, RemoteAS: 4200000000},
		}},
	} {
		if got := routerPeers(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
