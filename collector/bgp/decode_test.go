package bgp

import (
	"errors"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// apiPath builds an API path the way GoBGP's watcher does (apiutil is the
// same marshalling code).
func apiPath(t testing.TB, nlri bgp.AddrPrefixInterface, withdraw bool, attrs ...bgp.PathAttributeInterface) *api.Path {
	t.Helper()
	p, err := apiutil.NewPath(nlri, withdraw, attrs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecode(t *testing.T) {
	nh := bgp.NewPathAttributeNextHop("192.0.2.7")
	origin := bgp.NewPathAttributeOrigin(0)
	labels := *bgp.NewMPLSLabelStack(100)
	vpn4 := bgp.NewLabeledVPNIPAddrPrefix(24, "10.1.0.0", labels, bgp.NewRouteDistinguisherTwoOctetAS(65000, 100))
	vpn4ip := bgp.NewLabeledVPNIPAddrPrefix(24, "10.1.0.0", labels, bgp.NewRouteDistinguisherIPAddressAS("192.0.2.1", 7))
	vpn6 := bgp.NewLabeledVPNIPv6AddrPrefix(48, "2001:db8:1::", labels, bgp.NewRouteDistinguisherFourOctetAS(4200000000, 9))
	v6 := bgp.NewIPv6AddrPrefix(32, "2001:db8::")
	tests := []struct {
		name string
		path *api.Path
		want route
	}{
		{"ipv4", apiPath(t, bgp.NewIPAddrPrefix(24, "10.1.0.0"), false, origin, nh),
			route{fam: famIPv4, prefix: pfx("10.1.0.0/24"), nextHop: ip("192.0.2.7")}},
		{"ipv4 default withdraw", apiPath(t, bgp.NewIPAddrPrefix(0, "0.0.0.0"), true),
			route{fam: famIPv4, prefix: pfx("0.0.0.0/0"), withdraw: true}},
		{"ipv6 mp_reach", apiPath(t, v6, false, origin, bgp.NewPathAttributeMpReachNLRI("2001:db8::7", []bgp.AddrPrefixInterface{v6})),
			route{fam: famIPv6, prefix: pfx("2001:db8::/32"), nextHop: ip("2001:db8::7")}},
		{"vpnv4 rd type 0", apiPath(t, vpn4, false, origin, bgp.NewPathAttributeMpReachNLRI("192.0.2.8", []bgp.AddrPrefixInterface{vpn4})),
			route{fam: famVPNv4, rd: 65000<<32 | 100, prefix: pfx("10.1.0.0/24"), nextHop: ip("192.0.2.8")}},
		{"vpnv4 rd type 1", apiPath(t, vpn4ip, true),
			route{fam: famVPNv4, rd: 1<<48 | 0xc0000201<<16 | 7, prefix: pfx("10.1.0.0/24"), withdraw: true}},
		{"vpnv6 rd type 2", apiPath(t, vpn6, true),
			route{fam: famVPNv6, rd: 2<<48 | 4200000000<<16 | 9, prefix: pfx("2001:db8:1::/48"), withdraw: true}},
	}
	var d decoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.decode(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			d.attrs(tc.path, &got, true)
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("unsupported family", func(t *testing.T) {
		p := apiPath(t, bgp.NewIPAddrPrefix(24, "10.1.0.0"), true)
		p.Family = &api.Family{Afi: api.Family_AFI_L2VPN, Safi: api.Family_SAFI_EVPN}
		if _, err := d.decode(p); !errors.Is(err, errUnsupported) {
			t.Fatal("EVPN path decoded; want errUnsupported")
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	vpn4 := bgp.NewLabeledVPNIPAddrPrefix(24, "10.1.0.0", *bgp.NewMPLSLabelStack(100), bgp.NewRouteDistinguisherTwoOctetAS(65000, 100))
	p := apiPath(b, vpn4, false, bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeMpReachNLRI("192.0.2.8", []bgp.AddrPrefixInterface{vpn4}),
		bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(2, []uint32{65001, 65002})}))
	var d decoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.decode(p); err != nil {
			b.Fatal(err)
		}
	}
}
