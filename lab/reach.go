// This file checks reachability inside a running lab with real packets,
// from a node's namespace: what the routers' tables say is only half the
// story, forwarding on every hop and the way back are the other half.

package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// reachPort is where Reach knocks: the discard port, on which no lab
// daemon listens, so the far end answers a reset.
const reachPort = 9

// Reach says whether a node reaches dst with packets sourced from src, an
// address of the node (a site's LAN address, so that the way back is routed
// as the site's traffic is). It opens a TCP connection from inside the
// node's namespace: a reset or an accept from dst proves both directions;
// a timeout, an ICMP unreachable or no route is an error that says which.
// It waits at most timeout (default 3 s).
func (l *Lab) Reach(ctx context.Context, node string, src, dst netip.Addr, timeout time.Duration) error {
	if l.Topo.Node(node) == nil {
		return fmt.Errorf("lab: no node %q in %s", node, l.Topo.Name)
	}
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
	var err error
	// The socket is made on the thread inside the node's namespace and
	// stays there; connecting may then finish on any thread.
	if nerr := inNetns(NodeNetns(l.Topo.Name, node), func() error {
		var c net.Conn
		c, err = d.DialContext(ctx, "tcp", netip.AddrPortFrom(dst, reachPort).String())
		if err == nil {
			c.Close()
		}
		return nil
	}); nerr != nil {
		return nerr
	}
	switch {
	case err == nil, errors.Is(err, unix.ECONNREFUSED):
		return nil
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return fmt.Errorf("lab: %s has no address %s to send from: %w", node, src, err)
	}
	return fmt.Errorf("lab: %s (from %s) does not reach %s: %w", node, src, dst, err)
}
