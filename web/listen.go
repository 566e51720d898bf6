// This file binds the server's sockets apart from Run: a taken port is then
// a start-up (or reload) error that names the address before anything
// runs, and a reloaded daemon keeps the sockets of the one it replaces
// (binding the same address twice fails, and closing then rebinding would
// refuse scrapes in between).

package web

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/vsock"
)

// Listeners are bound sockets for Options.Listeners. Whoever called Listen
// closes them (Close), after every Server serving on them has returned
// from Run: a Server never closes them itself.
type Listeners struct {
	socks []*socket
}

// socket is one bound address, shared by pointer between the Listeners of
// a daemon and those of its successor; the last Close closes it.
type socket struct {
	addr string // as configured, e.g. ":9742"
	l    deadlineListener
	mu   sync.Mutex
	refs int
}

// acquire adds a user; false if the last one already closed the socket.
func (s *socket) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		return false
	}
	s.refs++
	return true
}

func (s *socket) release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs--; s.refs == 0 {
		return s.l.Close()
	}
	return nil
}

type deadlineListener interface {
	net.Listener
	SetDeadline(time.Time) error
}

// Listen binds every address. A socket of prev bound to the same address
// (same string) is shared rather than bound again: it stays open until
// both prev and the new Listeners are closed. On error nothing new stays
// bound; the error names the address and what to do.
func Listen(addrs []string, prev *Listeners) (*Listeners, error) {
	if len(addrs) == 0 {
		addrs = []string{DefaultListen}
	}
	ls := &Listeners{}
	for _, a := range addrs {
		if s := prev.find(a); s != nil && s.acquire() {
			ls.socks = append(ls.socks, s)
			continue
		}
		l, err := bind(a)
		if err != nil {
			_ = ls.Close()
			return nil, err
		}
		ls.socks = append(ls.socks, &socket{addr: a, l: l, refs: 1})
	}
	return ls, nil
}

func bind(addr string) (deadlineListener, error) {
	if strings.HasPrefix(addr, "vsock://") {
		port, err := parseVsockPort(addr)
		if err != nil {
			return nil, fmt.Errorf("web: listen address %q: %w (want vsock://:PORT)", addr, err)
		}
		l, err := vsock.Listen(port, nil)
		if err != nil {
			return nil, fmt.Errorf("web: cannot listen on %s: %w", addr, err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		hint := "check the address (--web.listen-address, or agent.listen in the inventory)"
		if errors.Is(err, syscall.EADDRINUSE) {
			_, port, _ := net.SplitHostPort(addr)
			hint = fmt.Sprintf("another process (another vigie?) listens there: stop it (ss -ltnp 'sport = :%s' names it) or choose another address (--web.listen-address, or agent.listen in the inventory)", port)
		}
		return nil, fmt.Errorf("web: cannot listen on %s: %w: %s", addr, unwrapOp(err), hint)
	}
	return l.(*net.TCPListener), nil
}

// unwrapOp keeps the reason of a *net.OpError, whose text repeats the
// address the message already names.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		var se interface{ Unwrap() error }
		if errors.As(oe.Err, &se) && se.Unwrap() != nil {
			return se.Unwrap() // *os.SyscallError: "bind: address already in use" -> the errno
		}
		return oe.Err
	}
	return err
}

func parseVsockPort(addr string) (uint32, error) {
	_, p, err := net.SplitHostPort(strings.TrimPrefix(addr, "vsock://"))
	if err != nil {
		return 0, err
	}
	var port uint32
	if _, err := fmt.Sscanf(p, "%d", &port); err != nil {
		return 0, fmt.Errorf("port %q: %w", p, err)
	}
	return port, nil
}

func (ls *Listeners) find(addr string) *socket {
	if ls == nil {
		return nil
	}
	for _, s := range ls.socks {
		if s.addr == addr {
			return s
		}
	}
	return nil
}

// Addrs returns the bound addresses (with the port chosen for ":0").
func (ls *Listeners) Addrs() []string {
	out := make([]string, len(ls.socks))
	for i, s := range ls.socks {
		out[i] = s.l.Addr().String()
	}
	return out
}

// Close releases the sockets: each is closed once no other Listeners
// shares it. Call it once.
func (ls *Listeners) Close() error {
	if ls == nil {
		return nil
	}
	var errs []error
	for _, s := range ls.socks {
		errs = append(errs, s.release())
	}
	return errors.Join(errs...)
}

// views returns a listener per socket for one Server's Run: closing a view
// (http.Server.Shutdown does) ends that server's Accept without closing
// the socket, which the next server serves on.
func (ls *Listeners) views() []net.Listener {
	out := make([]net.Listener, len(ls.socks))
	for i, s := range ls.socks {
		// A previous server's shutdown left the deadline in the past.
		_ = s.l.SetDeadline(time.Time{})
		out[i] = &view{deadlineListener: s.l}
	}
	return out
}

type view struct {
	deadlineListener
	closed atomic.Bool
}

func (v *view) Accept() (net.Conn, error) {
	c, err := v.deadlineListener.Accept()
	if err != nil && v.closed.Load() {
		return nil, net.ErrClosed
	}
	return c, err
}

// Close wakes a blocked Accept (a deadline in the past) and leaves the
// socket open.
func (v *view) Close() error {
	if v.closed.CompareAndSwap(false, true) {
		return v.SetDeadline(time.Now())
	}
	return nil
}
