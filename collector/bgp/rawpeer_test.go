package bgp

// rawpeer_test.go is a minimal BGP speaker driven byte by byte: it opens a
// session with vigie (OPEN and KEEPALIVE built with GoBGP's packet library)
// and then writes UPDATEs the test crafts, broken ones included, or large
// pre-built batches for the benchmark.

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// rawPeer is one session with vigie from the test's side.
type rawPeer struct {
	t        testing.TB
	conn     net.Conn
	addPath  bool
	wmu      sync.Mutex
	notified atomic.Bool // vigie sent a NOTIFICATION
	closed   chan struct{}
}

// dialRaw connects from local to vigie at remote and completes the OPEN
// exchange announcing as, IPv4 unicast, VPNv4, 4-octet AS and, if addPath,
// ADD-PATH send for IPv4 unicast.
func dialRaw(t testing.TB, local, remote string, as uint32, addPath bool) *rawPeer {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	var conn net.Conn
	var err error
	// vigie may not be listening yet: retry for a few seconds.
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err = d.Dial("tcp", remote)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("raw peer %s: dial %s: %v", local, remote, err)
	}
	p := &rawPeer{t: t, conn: conn, addPath: addPath, closed: make(chan struct{})}
	t.Cleanup(func() { conn.Close() })
	caps := []bgp.ParameterCapabilityInterface{
		bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC),
		bgp.NewCapMultiProtocol(bgp.RF_IPv4_VPN),
		bgp.NewCapFourOctetASNumber(as),
	}
	if addPath {
		caps = append(caps, bgp.NewCapAddPath([]*bgp.CapAddPathTuple{bgp.NewCapAddPathTuple(bgp.RF_IPv4_UC, bgp.BGP_ADD_PATH_SEND)}))
	}
	open := bgp.NewBGPOpenMessage(bgp.AS_TRANS, 90, local, []bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(caps)})
	p.writeMsg(open)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if m := p.read(); m == nil || m.Header.Type != bgp.BGP_MSG_OPEN {
		t.Fatalf("raw peer %s: want OPEN from vigie, got %v", local, m)
	}
	p.writeMsg(bgp.NewBGPKeepAliveMessage())
	if m := p.read(); m == nil || m.Header.Type != bgp.BGP_MSG_KEEPALIVE {
		t.Fatalf("raw peer %s: want KEEPALIVE from vigie, got %v", local, m)
	}
	_ = conn.SetReadDeadline(time.Time{})
	// Drain what vigie sends (keepalives; a NOTIFICATION when it resets).
	go func() {
		defer close(p.closed)
		for {
			m := p.read()
			if m == nil {
				return
			}
			if m.Header.Type == bgp.BGP_MSG_NOTIFICATION {
				p.notified.Store(true)
			}
		}
	}()
	// Keep the session alive: vigie's test hold time is 9 s.
	go func() {
		tk := time.NewTicker(2 * time.Second)
		defer tk.Stop()
		for {
			select {
			case <-p.closed:
				return
			case <-tk.C:
				p.writeMsg(bgp.NewBGPKeepAliveMessage())
			}
		}
	}()
	return p
}

// read returns the next message from vigie, or nil when the session ends.
func (p *rawPeer) read() *bgp.BGPMessage {
	hdr := make([]byte, bgp.BGP_HEADER_LENGTH)
	if _, err := io.ReadFull(p.conn, hdr); err != nil {
		return nil
	}
	n := int(binary.BigEndian.Uint16(hdr[16:18]))
	if n < bgp.BGP_HEADER_LENGTH {
		return nil
	}
	buf := make([]byte, n)
	copy(buf, hdr)
	if _, err := io.ReadFull(p.conn, buf[bgp.BGP_HEADER_LENGTH:]); err != nil {
		return nil
	}
	m, err := bgp.ParseBGPMessage(buf)
	if err != nil {
		return nil
	}
	return m
}

func (p *rawPeer) writeMsg(m *bgp.BGPMessage) {
	b, err := m.Serialize()
	if err != nil {
		p.t.Fatalf("serialize: %v", err)
	}
	p.write(b)
}

// write sends raw bytes; errors are ignored (vigie may have reset).
func (p *rawPeer) write(b []byte) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = p.conn.Write(b)
}

// Attribute builders (RFC 4271 section 4.3), by hand so that they can be
// broken on purpose.
func attrOrigin(v byte) []byte { return []byte{0x40, 1, 1, v} }

func attrASPath(asns ...uint32) []byte {
	b := []byte{0x40, 2, byte(2 + 4*len(asns)), 2, byte(len(asns))}
	for _, a := range asns {
		b = binary.BigEndian.AppendUint32(b, a)
	}
	return b
}

func attrNextHop(a string) []byte {
	ip := netip.MustParseAddr(a).As4()
	return append([]byte{0x40, 3, 4}, ip[:]...)
}

// nlri4 encodes an IPv4 prefix, with a path identifier when id >= 0.
func nlri4(p string, id int) []byte {
	pf := netip.MustParsePrefix(p)
	var b []byte
	if id >= 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(id))
	}
	a := pf.Addr().As4()
	return append(append(b, byte(pf.Bits())), a[:(pf.Bits()+7)/8]...)
}

// update frames an UPDATE from its withdrawn routes, attributes and NLRI.
func update(withdrawn, attrs, nlri []byte) []byte {
	n := bgp.BGP_HEADER_LENGTH + 2 + len(withdrawn) + 2 + len(attrs) + len(nlri)
	b := make([]byte, 16, n)
	for i := range b {
		b[i] = 0xff
	}
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = append(b, bgp.BGP_MSG_UPDATE)
	b = binary.BigEndian.AppendUint16(b, uint16(len(withdrawn)))
	b = append(b, withdrawn...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(attrs)))
	b = append(b, attrs...)
	return append(b, nlri...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
