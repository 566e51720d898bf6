package bgp

import (
	"testing"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/protobuf/types/known/anypb"
)

// FuzzDecode feeds arbitrary protobuf bytes to vigie's path decoder: GoBGP
// builds them from a peer's UPDATE, so they must never make it panic.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte{0x08, 0x18, 0x12, 0x08, '1', '0', '.', '1', '.', '0', '.', '0'}, []byte{}, false)
	f.Add(uint8(2), []byte{0x0a, 0x01, 0x64, 0x18, 0x18}, []byte{0x08, 0x01}, true)
	names := []string{"apipb.IPAddressPrefix", "apipb.IPAddressPrefix", "apipb.LabeledVPNIPAddressPrefix", "apipb.LabeledVPNIPAddressPrefix"}
	fams := []family{famIPv4, famIPv6, famVPNv4, famVPNv6}
	f.Fuzz(func(t *testing.T, kind uint8, nlri, attr []byte, withdraw bool) {
		k := int(kind) % len(names)
		p := &api.Path{
			Family:     apiFamily(fams[k]),
			Nlri:       &anypb.Any{TypeUrl: "type.googleapis.com/" + names[k], Value: nlri},
			Pattrs:     []*anypb.Any{{TypeUrl: "type.googleapis.com/apipb.MpReachNLRIAttribute", Value: attr}, {TypeUrl: "type.googleapis.com/apipb.NextHopAttribute", Value: attr}},
			IsWithdraw: withdraw,
		}
		var d decoder
		r, err := d.decode(p)
		if err == nil && !r.prefix.IsValid() {
			t.Fatalf("decoded %+v without error but with an invalid prefix", r)
		}
		d.attrs(p, &r, true)
	})
}

// FuzzGoBGPParse runs the pinned GoBGP's message parser (the code that reads
// every byte a peer sends to vigie's speaker) on arbitrary input, with and
// without ADD-PATH: a panic here is a crash of vigie's BGP monitor.
func FuzzGoBGPParse(f *testing.F) {
	good := cat(attrOrigin(0), attrASPath(65031), attrNextHop("192.0.2.1"))
	f.Add(update(nil, good, nlri4("10.1.0.0/24", -1)), false)
	f.Add(update(nil, good, nlri4("10.1.0.0/24", 7)), true)
	f.Add(update(nil, cat([]byte{0x40, 1, 2, 0, 0}, attrASPath(65031)), nlri4("10.3.0.0/24", -1)), false)
	f.Add(update(nlri4("10.2.0.0/24", -1), nil, nil), false)
	opts := &bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_RECEIVE}}
	f.Fuzz(func(t *testing.T, data []byte, addPath bool) {
		if len(data) > 4096 {
			return
		}
		if addPath {
			_, _ = bgp.ParseBGPMessage(data, opts)
		} else {
			_, _ = bgp.ParseBGPMessage(data)
		}
	})
}
