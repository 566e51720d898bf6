package bgpsim

// session.go is the BGP-4 wire side of one simulated router's session with
// vigie: a passive OPEN exchange, keepalives, and UPDATEs built with
// GoBGP's packet library (the same code that parses them in vigie).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// maxNLRIPerUpdate keeps every UPDATE well under the 4,096-byte limit: an
// IPv4 /24 takes 4 bytes, a VPNv4 one 16, and the attributes under 100.
const maxNLRIPerUpdate = 200

// ioTimeout bounds the OPEN exchange and every write: a peer that stops
// reading must not hold a simulator goroutine forever.
const ioTimeout = 10 * time.Second

// asTrans stands in for a 4-byte AS in the OPEN's 2-byte field (RFC 6793).
const asTrans = 23456

// caps is what the OPEN exchange negotiated.
type caps struct {
	peerAS uint32
	// peerID is vigie's BGP identifier, from its OPEN.
	peerID netip.Addr
	// ipv4 and vpnv4 say which families both sides carry.
	ipv4, vpnv4 bool
	// hold is the negotiated hold time (0: no keepalives, no hold timer).
	hold time.Duration
}

// session is one established session with vigie.
type session struct {
	conn net.Conn
	caps caps
	ebgp bool
	// id is the speaker's BGP identifier (originator of reflected routes).
	id netip.Addr
	// reflector adds ORIGINATOR_ID and CLUSTER_LIST, as a real RR does.
	reflector bool

	wmu    sync.Mutex // one writer at a time: keepalives and updates interleave
	closed bool
}

// readMsg reads one BGP message, checking the header before trusting its
// length (the bytes come from a peer).
func readMsg(r io.Reader) (*bgp.BGPMessage, error) {
	var hdr [bgp.BGP_HEADER_LENGTH]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	for _, b := range hdr[:16] {
		if b != 0xff {
			return nil, errors.New("bgp message header marker is not all ones")
		}
	}
	n := int(binary.BigEndian.Uint16(hdr[16:18]))
	if n < bgp.BGP_HEADER_LENGTH || n > bgp.BGP_MAX_MESSAGE_LENGTH {
		return nil, fmt.Errorf("bgp message length %d out of range 19-4096", n)
	}
	buf := make([]byte, n)
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[bgp.BGP_HEADER_LENGTH:]); err != nil {
		return nil, err
	}
	return bgp.ParseBGPMessage(buf)
}

// parseOpen extracts what the simulator needs from vigie's OPEN.
func parseOpen(m *bgp.BGPMessage, ourHold time.Duration) (caps, error) {
	o, ok := m.Body.(*bgp.BGPOpen)
	if !ok {
		return caps{}, fmt.Errorf("expected OPEN, got message type %d", m.Header.Type)
	}
	if o.Version != 4 {
		return caps{}, fmt.Errorf("unsupported BGP version %d", o.Version)
	}
	c := caps{peerAS: uint32(o.MyAS)}
	if id, ok := netip.AddrFromSlice(o.ID.To4()); ok {
		c.peerID = id
	}
	mp := false
	for _, p := range o.OptParams {
		pc, ok := p.(*bgp.OptionParameterCapability)
		if !ok {
			continue
		}
		for _, cp := range pc.Capability {
			switch v := cp.(type) {
			case *bgp.CapFourOctetASNumber:
				c.peerAS = v.CapValue
			case *bgp.CapMultiProtocol:
				mp = true
				switch v.CapValue {
				case bgp.RF_IPv4_UC:
					c.ipv4 = true
				case bgp.RF_IPv4_VPN:
					c.vpnv4 = true
				}
			}
		}
	}
	if !mp {
		c.ipv4 = true // RFC 4760: no capability means IPv4 unicast only
	}
	if o.HoldTime == 1 || o.HoldTime == 2 {
		return caps{}, fmt.Errorf("unacceptable hold time %d s", o.HoldTime)
	}
	c.hold = min(ourHold, time.Duration(o.HoldTime)*time.Second)
	return c, nil
}

// openMessage is the simulator's OPEN: the RIE's AS, the families vigie
// offered that the simulator carries, 4-octet AS numbers.
func openMessage(as uint32, id netip.Addr, hold time.Duration, c caps) *bgp.BGPMessage {
	cl := []bgp.ParameterCapabilityInterface{bgp.NewCapRouteRefresh(), bgp.NewCapFourOctetASNumber(as)}
	if c.ipv4 {
		cl = append(cl, bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC))
	}
	if c.vpnv4 {
		cl = append(cl, bgp.NewCapMultiProtocol(bgp.RF_IPv4_VPN))
	}
	myAS := uint16(as)
	if as > 0xffff {
		myAS = asTrans
	}
	return bgp.NewBGPOpenMessage(myAS, uint16(hold/time.Second), id.String(),
		[]bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(cl)})
}

// send writes messages under the write lock, with a deadline.
func (s *session) send(msgs ...*bgp.BGPMessage) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	for _, m := range msgs {
		b, err := m.Serialize()
		if err != nil {
			return fmt.Errorf("encode bgp message: %w", err)
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
		if _, err := s.conn.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// close sends a Cease NOTIFICATION with subcode (best effort) and closes.
func (s *session) close(subcode uint8) {
	if subcode != 0 {
		_ = s.send(bgp.NewBGPNotificationMessage(bgp.BGP_ERROR_CEASE, subcode, nil))
	}
	s.wmu.Lock()
	s.closed = true
	s.wmu.Unlock()
	_ = s.conn.Close()
}

// announce sends routes (or withdraws them) in as few UPDATEs as the
// attributes allow.
func (s *session) announce(rs []route, withdraw bool) error {
	return s.send(s.updates(rs, withdraw)...)
}

// endOfRIB marks the end of the initial announcement for every family the
// session carries (RFC 4724 recommends it even without graceful restart):
// vigie then trusts the speaker's silence about a prefix at once instead of
// after its settle time, as with routers that send it.
func (s *session) endOfRIB() []*bgp.BGPMessage {
	var out []*bgp.BGPMessage
	if s.caps.ipv4 {
		out = append(out, bgp.NewEndOfRib(bgp.RF_IPv4_UC))
	}
	if s.caps.vpnv4 {
		out = append(out, bgp.NewEndOfRib(bgp.RF_IPv4_VPN))
	}
	return out
}

// groupKey gathers routes that share their attributes into one UPDATE.
type groupKey struct {
	nextHop netip.Addr
	vpn     bool
	path    string
}

// updates builds the UPDATEs for rs. VRF routes go as VPNv4 when the
// session carries it, else as plain IPv4 (the monitor then sees the
// partner prefixes in its global count); routes of a family the session
// does not carry are left out.
func (s *session) updates(rs []route, withdraw bool) []*bgp.BGPMessage {
	groups := map[groupKey][]route{}
	var order []groupKey
	for _, r := range rs {
		vpn := r.vrf != 0 && s.caps.vpnv4
		if !vpn && !s.caps.ipv4 {
			continue
		}
		k := groupKey{nextHop: r.nextHop, vpn: vpn, path: fmt.Sprint(r.asPath)}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []*bgp.BGPMessage
	for _, k := range order {
		g := groups[k]
		for len(g) > 0 {
			n := min(len(g), maxNLRIPerUpdate)
			out = append(out, s.update(g[:n], k.vpn, withdraw))
			g = g[n:]
		}
	}
	return out
}

// update builds one UPDATE for routes that share next hop, family and path.
func (s *session) update(rs []route, vpn, withdraw bool) *bgp.BGPMessage {
	if vpn {
		nlri := make([]bgp.AddrPrefixInterface, len(rs))
		for i, r := range rs {
			label := uint32(labelBase) + r.vrf
			if withdraw {
				label = 0x800000 // RFC 8277: the withdrawal's compatibility label
			}
			nlri[i] = bgp.NewLabeledVPNIPAddrPrefix(uint8(r.prefix.Bits()), r.prefix.Addr().String(),
				*bgp.NewMPLSLabelStack(label), bgp.NewRouteDistinguisherTwoOctetAS(uint16(rieAS), r.vrf))
		}
		if withdraw {
			return bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeMpUnreachNLRI(nlri)}, nil)
		}
		attrs := s.attrs(rs[0])
		attrs = append(attrs, bgp.NewPathAttributeMpReachNLRI(rs[0].nextHop.String(), nlri),
			bgp.NewPathAttributeExtendedCommunities([]bgp.ExtendedCommunityInterface{
				bgp.NewTwoOctetAsSpecificExtended(bgp.EC_SUBTYPE_ROUTE_TARGET, uint16(rieAS), rs[0].vrf, true)}))
		return bgp.NewBGPUpdateMessage(nil, attrs, nil)
	}
	nlri := make([]*bgp.IPAddrPrefix, len(rs))
	for i, r := range rs {
		nlri[i] = bgp.NewIPAddrPrefix(uint8(r.prefix.Bits()), r.prefix.Addr().String())
	}
	if withdraw {
		return bgp.NewBGPUpdateMessage(nlri, nil, nil)
	}
	attrs := append(s.attrs(rs[0]), bgp.NewPathAttributeNextHop(rs[0].nextHop.String()))
	return bgp.NewBGPUpdateMessage(nil, attrs, nlri)
}

// attrs are the attributes every announced route carries: iBGP gets
// LOCAL_PREF (and, from a reflector, ORIGINATOR_ID and CLUSTER_LIST);
// eBGP gets the RIE's AS in front of the path.
func (s *session) attrs(r route) []bgp.PathAttributeInterface {
	path := r.asPath
	if s.ebgp {
		path = append([]uint32{rieAS}, path...)
	}
	var segs []bgp.AsPathParamInterface
	if len(path) > 0 {
		segs = []bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, path)}
	}
	a := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP), bgp.NewPathAttributeAsPath(segs)}
	if !s.ebgp {
		a = append(a, bgp.NewPathAttributeLocalPref(100))
		if s.reflector {
			a = append(a, bgp.NewPathAttributeOriginatorId(r.nextHop.String()),
				bgp.NewPathAttributeClusterList([]string{s.id.String()}))
		}
	}
	return a
}
