package bgp

// decode.go turns GoBGP's API paths (protobuf Any values) into vigie's
// compact route. Only the four families vigie asks for are decoded; other
// NLRI types are skipped and counted by the caller.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/vigie-rie/vigie/inventory"
)

// errUnsupported marks a path of a family vigie does not account.
var errUnsupported = errors.New("unsupported family or NLRI type")

// decoder reuses its protobuf messages between paths: one decoder per
// goroutine (the monitor has exactly one event consumer). The NLRI, read
// for every path, is parsed from the wire format directly (wire.go): the
// generic unmarshaller allocated a dozen objects per path on the goroutine
// GoBGP's own conversions already keep busy.
type decoder struct {
	nh      api.NextHopAttribute
	mpReach api.MpReachNLRIAttribute
	orig    api.OriginatorIdAttribute
	opts    proto.UnmarshalOptions
}

// is reports whether the Any holds the message of that name ("apipb.X").
func is(a *anypb.Any, name string) bool {
	return a != nil && isType(a.TypeUrl, name)
}

// isType reports whether an Any's type URL names that message.
func isType(url, name string) bool {
	return strings.HasSuffix(url, name) && len(url) > len(name) && url[len(url)-len(name)-1] == '/'
}

// familyOf maps an API family to vigie's.
func familyOf(f *api.Family) family {
	if f == nil {
		return 0
	}
	switch {
	case f.Afi == api.Family_AFI_IP && f.Safi == api.Family_SAFI_UNICAST:
		return famIPv4
	case f.Afi == api.Family_AFI_IP6 && f.Safi == api.Family_SAFI_UNICAST:
		return famIPv6
	case f.Afi == api.Family_AFI_IP && f.Safi == api.Family_SAFI_MPLS_VPN:
		return famVPNv4
	case f.Afi == api.Family_AFI_IP6 && f.Safi == api.Family_SAFI_MPLS_VPN:
		return famVPNv6
	}
	return 0
}

// apiFamily is the inverse of familyOf.
func apiFamily(f family) *api.Family {
	switch f {
	case famIPv4:
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	case famIPv6:
		return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
	case famVPNv4:
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_MPLS_VPN}
	case famVPNv6:
		return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_MPLS_VPN}
	}
	return nil
}

// decode converts one API path's NLRI: family, route distinguisher,
// prefix, ADD-PATH identifier. The attributes are left to attrs, which the
// caller runs only for the prefixes it tracks: most paths need no next hop,
// and skipping them keeps GoBGP's event goroutine (where vigie's decoding
// runs) ahead of the updates it queues.
func (d *decoder) decode(p *api.Path) (route, error) {
	r := route{fam: familyOf(p.Family), pathID: p.Identifier, withdraw: p.IsWithdraw}
	var (
		addr []byte
		plen uint32
	)
	switch r.fam {
	case famIPv4, famIPv6:
		if !is(p.Nlri, "apipb.IPAddressPrefix") {
			return r, errUnsupported
		}
		// IPAddressPrefix: prefix_len = 1, prefix = 2.
		err := wireFields(p.Nlri.Value, func(n protowire.Number, t protowire.Type, v uint64, b []byte) {
			switch {
			case n == 1 && t == protowire.VarintType:
				plen = uint32(v)
			case n == 2 && t == protowire.BytesType:
				addr = b
			}
		})
		if err != nil {
			return r, fmt.Errorf("decode prefix: %w", err)
		}
	case famVPNv4, famVPNv6:
		if !is(p.Nlri, "apipb.LabeledVPNIPAddressPrefix") {
			return r, errUnsupported
		}
		// LabeledVPNIPAddressPrefix: rd = 2 (an Any), prefix_len = 3,
		// prefix = 4.
		var rdAny []byte
		err := wireFields(p.Nlri.Value, func(n protowire.Number, t protowire.Type, v uint64, b []byte) {
			switch {
			case n == 2 && t == protowire.BytesType:
				rdAny = b
			case n == 3 && t == protowire.VarintType:
				plen = uint32(v)
			case n == 4 && t == protowire.BytesType:
				addr = b
			}
		})
		if err != nil {
			return r, fmt.Errorf("decode vpn prefix: %w", err)
		}
		rd, err := decodeRD(rdAny)
		if err != nil {
			return r, err
		}
		r.rd = rd
	default:
		return r, errUnsupported
	}
	a, err := netip.ParseAddr(string(addr))
	if err != nil {
		return r, fmt.Errorf("decode prefix %q: %w", addr, err)
	}
	pfx, err := a.Unmap().Prefix(int(plen))
	if err != nil {
		return r, fmt.Errorf("decode prefix %s/%d: %w", addr, plen, err)
	}
	r.prefix = pfx
	return r, nil
}

// attrs fills an announce's next hop and, if originator, its
// ORIGINATOR_ID (RFC 4456): the router id of the router that put the path
// into the route reflectors' cluster, zero when the path was not
// reflected. Withdraws carry no attributes.
func (d *decoder) attrs(p *api.Path, r *route, originator bool) {
	if r.withdraw {
		return
	}
	for _, at := range p.Pattrs {
		switch {
		case originator && is(at, "apipb.OriginatorIdAttribute"):
			if d.opts.Unmarshal(at.Value, &d.orig) == nil {
				a, _ := netip.ParseAddr(d.orig.Id)
				r.originator = a.Unmap()
			}
		case is(at, "apipb.NextHopAttribute"):
			if d.opts.Unmarshal(at.Value, &d.nh) == nil {
				r.nextHop, _ = netip.ParseAddr(d.nh.NextHop)
			}
		case is(at, "apipb.MpReachNLRIAttribute"):
			if d.opts.Unmarshal(at.Value, &d.mpReach) == nil && len(d.mpReach.NextHops) > 0 {
				r.nextHop, _ = netip.ParseAddr(d.mpReach.NextHops[0])
			}
		}
	}
}

// decodeRD packs a route distinguisher, an Any in wire format, into its
// 8-byte wire value (RFC 4364 section 4.2), which keeps the path key small.
func decodeRD(any []byte) (uint64, error) {
	// Any: type_url = 1, value = 2.
	var url, val []byte
	err := wireFields(any, func(n protowire.Number, t protowire.Type, _ uint64, b []byte) {
		switch {
		case n == 1 && t == protowire.BytesType:
			url = b
		case n == 2 && t == protowire.BytesType:
			val = b
		}
	})
	if err != nil {
		return 0, fmt.Errorf("decode rd: %w", err)
	}
	// The three RD messages: admin = 1 (a number, or an IPv4 address
	// for type 1), assigned = 2.
	var admin, assigned uint64
	var adminIP []byte
	err = wireFields(val, func(n protowire.Number, t protowire.Type, v uint64, b []byte) {
		switch {
		case n == 1 && t == protowire.VarintType:
			admin = uint64(uint32(v))
		case n == 1 && t == protowire.BytesType:
			adminIP = b
		case n == 2 && t == protowire.VarintType:
			assigned = uint64(uint32(v))
		}
	})
	if err != nil {
		return 0, fmt.Errorf("decode rd: %w", err)
	}
	switch {
	case isType(string(url), "apipb.RouteDistinguisherTwoOctetASN"):
		return admin&0xffff<<32 | assigned, nil
	case isType(string(url), "apipb.RouteDistinguisherIPAddress"):
		ip, err := netip.ParseAddr(string(adminIP))
		if err != nil || !ip.Is4() {
			return 0, fmt.Errorf("decode rd admin %q: not an IPv4 address", adminIP)
		}
		b := ip.As4()
		return 1<<48 | uint64(binary.BigEndian.Uint32(b[:]))<<16 | assigned&0xffff, nil
	case isType(string(url), "apipb.RouteDistinguisherFourOctetASN"):
		return 2<<48 | admin<<16 | assigned&0xffff, nil
	}
	return 0, fmt.Errorf("decode rd: %w", errUnsupported)
}

// rdString formats a packed route distinguisher the way routers print it
// ("65000:100", "192.0.2.1:7"); it is the vrf label value. Unicast routes
// (rd 0) have the empty VRF, the global table.
func rdString(rd uint64) string {
	if rd == 0 {
		return ""
	}
	if rd == rdOverflow {
		return "other"
	}
	return inventory.RD(rd).String()
}
