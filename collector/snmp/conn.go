package snmp

import (
	"net"
	"net/netip"
	"time"
)

// retargetConn is the net.Conn a session hands to gosnmp: one unconnected
// UDP socket whose peer is set per poll. gosnmp then keeps one receive
// buffer per session instead of one socket and 64 KiB per device.
//
// It deliberately does not implement net.PacketConn, so that gosnmp uses
// Read and Write, where the peer is enforced.
type retargetConn struct {
	c      *net.UDPConn
	remote netip.AddrPort
	// stray counts datagrams dropped because they came from another peer
	// (late answers of a previous device).
	stray uint64
}

func newRetargetConn() (*retargetConn, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		return nil, err
	}
	return &retargetConn{c: c}, nil
}

// setRemote points the connection at the next device.
func (r *retargetConn) setRemote(a netip.AddrPort) {
	r.remote = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Read returns the next datagram from the current peer, dropping others.
func (r *retargetConn) Read(b []byte) (int, error) {
	for {
		n, from, err := r.c.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, err
		}
		if from.Port() == r.remote.Port() && from.Addr().Unmap() == r.remote.Addr() {
			return n, nil
		}
		r.stray++
	}
}

// Write sends b to the current peer.
func (r *retargetConn) Write(b []byte) (int, error) {
	return r.c.WriteToUDPAddrPort(b, r.remote)
}

func (r *retargetConn) Close() error         { return r.c.Close() }
func (r *retargetConn) LocalAddr() net.Addr  { return r.c.LocalAddr() }
func (r *retargetConn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(r.remote) }
func (r *retargetConn) SetDeadline(t time.Time) error {
	return r.c.SetDeadline(t)
}
func (r *retargetConn) SetReadDeadline(t time.Time) error  { return r.c.SetReadDeadline(t) }
func (r *retargetConn) SetWriteDeadline(t time.Time) error { return r.c.SetWriteDeadline(t) }
