package bgp

import (
	"encoding/binary"
	"net/netip"
	"testing"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// FuzzDecode feeds arbitrary protobuf bytes to vigie's path decoder: GoBGP
// builds them from a peer's UPDATE, so they must never make it panic, and
// whatever the generic unmarshaller reads, vigie's wire parser reads alike.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte{0x08, 0x18, 0x12, 0x08, '1', '0', '.', '1', '.', '0', '.', '0'}, []byte{}, false)
	f.Add(uint8(2), []byte{0x0a, 0x01, 0x64, 0x18, 0x18}, []byte{0x08, 0x01}, true)
	for kind, rd := range []proto.Message{&api.RouteDistinguisherTwoOctetASN{Admin: 65000, Assigned: 100},
		&api.RouteDistinguisherIPAddress{Admin: "192.0.2.1", Assigned: 7}, &api.RouteDistinguisherFourOctetASN{Admin: 4200000000, Assigned: 9}} {
		a, err := anypb.New(rd)
		if err != nil {
			f.Fatal(err)
		}
		b, err := proto.Marshal(&api.LabeledVPNIPAddressPrefix{Labels: []uint32{100}, Rd: a, PrefixLen: 24, Prefix: "10.1.0.0"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(2+kind%2), b, []byte{}, false)
	}
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
		if want, ok := refDecode(k >= 2, nlri); ok && (err != nil || r.prefix != want.prefix || r.rd != want.rd) {
			t.Fatalf("decoded %+v (%v); the generic unmarshaller reads prefix %s rd %x", r, err, want.prefix, want.rd)
		}
	})
}

// refDecode reads an NLRI with the generic protobuf unmarshaller, as vigie
// did before it parsed the wire format itself; ok is false when it fails.
func refDecode(vpn bool, b []byte) (r route, ok bool) {
	var addr string
	var plen uint32
	if !vpn {
		var m api.IPAddressPrefix
		if proto.Unmarshal(b, &m) != nil {
			return r, false
		}
		addr, plen = m.Prefix, m.PrefixLen
	} else {
		var m api.LabeledVPNIPAddressPrefix
		if proto.Unmarshal(b, &m) != nil || m.Rd == nil {
			return r, false
		}
		addr, plen = m.Prefix, m.PrefixLen
		var two api.RouteDistinguisherTwoOctetASN
		var ip api.RouteDistinguisherIPAddress
		var four api.RouteDistinguisherFourOctetASN
		switch {
		case is(m.Rd, "apipb.RouteDistinguisherTwoOctetASN") && proto.Unmarshal(m.Rd.Value, &two) == nil:
			r.rd = uint64(two.Admin&0xffff)<<32 | uint64(two.Assigned)
		case is(m.Rd, "apipb.RouteDistinguisherIPAddress") && proto.Unmarshal(m.Rd.Value, &ip) == nil:
			a, err := netip.ParseAddr(ip.Admin)
			if err != nil || !a.Is4() {
				return r, false
			}
			b := a.As4()
			r.rd = 1<<48 | uint64(binary.BigEndian.Uint32(b[:]))<<16 | uint64(ip.Assigned&0xffff)
		case is(m.Rd, "apipb.RouteDistinguisherFourOctetASN") && proto.Unmarshal(m.Rd.Value, &four) == nil:
			r.rd = 2<<48 | uint64(four.Admin)<<16 | uint64(four.Assigned&0xffff)
		default:
			return r, false
		}
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return r, false
	}
	if r.prefix, err = a.Unmap().Prefix(int(plen)); err != nil {
		return r, false
	}
	return r, true
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
