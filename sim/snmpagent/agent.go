// Package snmpagent serves a whole simulated fleet as SNMP agents from one
// process: every device of an inventory answers at its own 127.x.y.z
// address, through a few UDP sockets bound to one port with IP_PKTINFO
// (the request's destination address says which device is asked, and the
// answer leaves from that same address). It speaks SNMPv2c and SNMPv3 USM
// (HMAC-MD5/SHA/SHA-2, AES-128), serves the system group, IF-MIB, LLDP-MIB
// and BGP4-MIB computed lazily from the inventory and the clock, and
// injects faults per device at run time.
package snmpagent

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigie-rie/vigie/internal/ber"
	"github.com/vigie-rie/vigie/inventory"
)

// Options configures an Agent. Zero fields take DefaultOptions' values:
// the zero value serves on 0.0.0.0, on a free port (see Agent.Port), with
// the simulator's default credentials.
type Options struct {
	// Listen is the address the sockets bind to (zero = 0.0.0.0). Requests
	// to addresses no device has are dropped and counted.
	Listen netip.Addr
	// Port is the UDP port (0 = pick a free one; see Agent.Port).
	Port int
	// Sockets is the number of SO_REUSEPORT sockets, each served by one
	// goroutine (0 = GOMAXPROCS).
	Sockets int
	// Seed makes the per-device values (uptimes, rates, engine ids) reproducible.
	Seed uint64
	// Community is the v2c community every device accepts.
	Community string
	// Users are the SNMPv3 users every device accepts.
	Users []User
	// MaxMessageSize bounds an answer in bytes (0 = 8192); SNMPv3
	// requesters may ask for less with msgMaxSize.
	MaxMessageSize int
	// Clock returns the current time (nil = time.Now); tests move it.
	Clock func() time.Time
	// Logger receives the agent's few log lines (nil: discard).
	Logger *slog.Logger
	// BGPSessions, when set, returns the established BGP sessions a device
	// has with peers outside the inventory: vigie's own route monitor,
	// peering with the speakers of package bgpsim. Each device's BGP4-MIB
	// shows them beside its inventory sessions, as a real router shows
	// every neighbour it has. It is called once per request that reads
	// the bgpPeerTable, from the serving goroutines.
	BGPSessions func(device string) []BGPSession
}

// BGPSession is one session of a simulated device with a peer the
// inventory does not describe, as its bgpPeerTable row shows it
// (established, since Since). IPv4 only, as the simulator.
type BGPSession struct {
	// Local is the device's end, Remote the peer's (the row's index).
	Local, Remote netip.Addr
	RemoteAS      uint32
	// RemoteID is the peer's BGP identifier.
	RemoteID netip.Addr
	Since    time.Time
}

// Agent is the simulated fleet's SNMP responder. Its fault methods may be
// called from any goroutine while it serves.
type Agent struct {
	opts      Options
	log       *slog.Logger
	fleet     *fleet
	mib       *mib
	users     []user
	community []byte
	clock     func() time.Time

	mu    sync.Mutex // serialises state changes (readers never lock)
	conns []*net.UDPConn
	port  int

	stats    stats
	usmStats [numUSMStats]atomic.Uint32
	// trace, when set by a test before Listen, sees every request.
	trace   func(pkt []byte)
	slowOut atomic.Int64

	// sc holds the cuts and the BGP side (cuts.go, routing.go).
	sc scenario
}

// DefaultOptions returns the defaults New gives the zero fields of its
// Options: every address, one socket per CPU, 8 KiB answers and the
// simulator's credentials.
func DefaultOptions() Options {
	return Options{
		Listen:         netip.IPv4Unspecified(),
		Sockets:        max(runtime.GOMAXPROCS(0), 1),
		MaxMessageSize: 8192,
		Community:      defaultCommunity,
		Users:          []User{{Name: defaultUser, AuthProtocol: "SHA", AuthPassword: defaultAuth, PrivPassword: defaultPriv}},
		Clock:          time.Now,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions; negative
// Sockets and MaxMessageSize take the default too, as they always have.
// MaxMessageSize is then held between 484 (the least an SNMP entity must
// accept, RFC 3417) and 65507 (the largest UDP payload).
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if !o.Listen.IsValid() {
		o.Listen = d.Listen
	}
	if o.Sockets <= 0 {
		o.Sockets = d.Sockets
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = d.MaxMessageSize
	}
	o.MaxMessageSize = min(max(o.MaxMessageSize, 484), 65507)
	if o.Community == "" {
		o.Community = d.Community
	}
	if o.Users == nil {
		o.Users = d.Users
	}
	if o.Clock == nil {
		o.Clock = d.Clock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// New builds the simulated fleet of inv. It does not open sockets yet.
func New(inv *inventory.Inventory, opts Options) (*Agent, error) {
	opts.setDefaults()
	a := &Agent{opts: opts, log: opts.Logger, clock: opts.Clock, community: []byte(opts.Community)}
	for _, u := range opts.Users {
		uu, err := newUser(u)
		if err != nil {
			return nil, err
		}
		a.users = append(a.users, uu)
	}
	f, err := newFleet(inv, opts.Seed, opts.Clock())
	if err != nil {
		return nil, err
	}
	a.fleet = f
	a.mib = newMIB(f)
	a.mib.extraBGP = opts.BGPSessions
	a.buildCutIndex(inv)
	return a, nil
}

// Defaults shared with package sim (kept here to avoid an import cycle).
const (
	defaultCommunity = "vigie-sim-community"
	defaultUser      = "vigie"
	defaultAuth      = "vigie-sim-auth-key"
	defaultPriv      = "vigie-sim-priv-key"
)

// Devices returns the number of devices served.
func (a *Agent) Devices() int { return len(a.fleet.devices) }

// Port returns the UDP port the agent listens on, once Listen returned.
func (a *Agent) Port() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.port
}

// Listen opens the sockets. Serve (or Run) then answers on them.
func (a *Agent) Listen() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conns != nil {
		return errors.New("snmpagent: already listening")
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1); serr != nil {
				return
			}
			// A larger buffer absorbs a poller's bursts; failure is harmless.
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	port := a.opts.Port
	for range a.opts.Sockets {
		pc, err := lc.ListenPacket(context.Background(), "udp4", netip.AddrPortFrom(a.opts.Listen, uint16(port)).String())
		if err != nil {
			for _, c := range a.conns {
				_ = c.Close()
			}
			a.conns = nil
			return fmt.Errorf("snmpagent: listen on %v port %d (choose another --port, or 0 for a free one): %w",
				a.opts.Listen, port, err)
		}
		c := pc.(*net.UDPConn)
		if port == 0 {
			port = c.LocalAddr().(*net.UDPAddr).Port
		}
		a.conns = append(a.conns, c)
	}
	a.port = port
	return nil
}

// Run listens (if Listen was not called) and serves until ctx is done.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	listening := a.conns != nil
	a.mu.Unlock()
	if !listening {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	return a.Serve(ctx)
}

// Serve answers requests until ctx is done, then closes the sockets.
func (a *Agent) Serve(ctx context.Context) error {
	a.mu.Lock()
	conns := a.conns
	a.mu.Unlock()
	if conns == nil {
		return errors.New("snmpagent: Serve called before Listen")
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.serveConn(c, uint64(i))
		}()
	}
	<-ctx.Done()
	for _, c := range conns {
		_ = c.Close()
	}
	wg.Wait()
	a.mu.Lock()
	a.conns = nil
	a.mu.Unlock()
	return nil
}

// worker holds one socket's reused buffers: the hot path allocates nothing.
type worker struct {
	a      *Agent
	conn   *net.UDPConn
	in     []byte
	oob    []byte
	outOOB []byte
	enc    ber.Encoder
	scoped ber.Encoder
	plain  []byte
	req    request
	view   view
	arena  []uint32
	oids   [][]uint32
	cur    [][]uint32
	val    value
	buf    []uint32
	digest [64]byte
	iv, ks [16]byte
	// The Response-PDU being encoded.
	e        *ber.Encoder
	budget   int
	pduStart int
	reqID    int32
	hashes   [numAuthProtos]hash.Hash
	salt     uint64
	rng      uint64
}

func (a *Agent) serveConn(c *net.UDPConn, id uint64) {
	w := a.newWorker(c, id)
	for {
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(w.in, w.oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			a.stats.drop(dropReadError)
			continue
		}
		dst, ok := pktinfoDst(w.oob[:oobn])
		if !ok {
			a.stats.drop(dropNoPktinfo)
			continue
		}
		w.handle(w.in[:n], from, dst)
	}
}

// newWorker allocates one socket's buffers, once.
func (a *Agent) newWorker(c *net.UDPConn, id uint64) *worker {
	w := &worker{
		a: a, conn: c,
		in:     make([]byte, 65536),
		oob:    make([]byte, 128),
		outOOB: make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo)),
		enc:    ber.Encoder{B: make([]byte, 0, 65536)},
		scoped: ber.Encoder{B: make([]byte, 0, 65536)},
		plain:  make([]byte, 65536),
		arena:  make([]uint32, 0, 4096),
		buf:    make([]uint32, 0, 64),
		salt:   splitmix64(a.opts.Seed ^ id<<56 ^ uint64(time.Now().UnixNano())),
		rng:    splitmix64(id + 1),
	}
	w.view.mib = a.mib
	binary.NativeEndian.PutUint64(w.outOOB[0:], uint64(unix.CmsgLen(unix.SizeofInet4Pktinfo)))
	binary.NativeEndian.PutUint32(w.outOOB[8:], unix.IPPROTO_IP)
	binary.NativeEndian.PutUint32(w.outOOB[12:], unix.IP_PKTINFO)
	return w
}

// pktinfoDst finds the request's destination address in IP_PKTINFO.
func pktinfoDst(oob []byte) ([4]byte, bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		l := int(binary.NativeEndian.Uint64(oob[0:]))
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if l < unix.SizeofCmsghdr || l > len(oob) {
			return [4]byte{}, false
		}
		if level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && l >= unix.CmsgLen(unix.SizeofInet4Pktinfo) {
			var a [4]byte
			copy(a[:], oob[unix.SizeofCmsghdr+8:unix.SizeofCmsghdr+12]) // ipi_addr: the header's destination
			return a, true
		}
		oob = oob[min(unix.CmsgSpace(l-unix.SizeofCmsghdr), len(oob)):]
	}
	return [4]byte{}, false
}

// handle answers one datagram sent to dst, recovering from any panic so
// that one bad packet never stops the fleet.
func (w *worker) handle(pkt []byte, from netip.AddrPort, dst [4]byte) {
	a := w.a
	defer func() {
		if r := recover(); r != nil {
			a.stats.drop(dropPanic)
			a.log.Error("snmpagent: recovered from a panic while answering; request dropped",
				"from", from, "to", netip.AddrFrom4(dst), "panic", r)
		}
	}()
	if a.trace != nil {
		a.trace(pkt)
	}
	di, ok := a.fleet.byAddr[dst]
	if !ok {
		a.stats.drop(dropUnknownAddress)
		return
	}
	d := a.fleet.devices[di]
	st := d.state.Load()
	if st.faults.Timeout {
		a.stats.drop(dropFaultTimeout)
		return
	}
	if st.off {
		a.stats.drop(dropPoweredOff)
		return
	}
	out, ok := w.answer(d, st, pkt)
	if !ok {
		return
	}
	switch st.faults.Malformed {
	case MalformTruncate:
		out = out[:len(out)/2]
	case MalformGarbage:
		for i := 2; i < len(out); i++ {
			w.rng = splitmix64(w.rng)
			out[i] = byte(w.rng)
		}
		out[1] = 0x84 // an unsupported length form: undecodable on purpose
	}
	if st.faults.Slow > 0 {
		if a.slowOut.Add(1) > 100_000 {
			a.slowOut.Add(-1)
			a.stats.drop(dropSlowBacklog)
			return
		}
		msg := append([]byte(nil), out...)
		oob := append([]byte(nil), w.outOOB...)
		copy(oob[unix.SizeofCmsghdr+4:], dst[:])
		conn := w.conn
		time.AfterFunc(st.faults.Slow, func() {
			defer a.slowOut.Add(-1)
			if _, _, err := conn.WriteMsgUDPAddrPort(msg, oob, from); err != nil {
				a.stats.drop(dropWriteError)
			}
		})
		return
	}
	copy(w.outOOB[unix.SizeofCmsghdr+4:], dst[:]) // ipi_spec_dst: answer from the device's address
	if _, _, err := w.conn.WriteMsgUDPAddrPort(out, w.outOOB, from); err != nil {
		a.stats.drop(dropWriteError)
	}
}

// answer decodes a request and encodes the answer into w.enc.
func (w *worker) answer(d *device, st *state, pkt []byte) ([]byte, bool) {
	a := w.a
	r := &w.req
	if err := decodeMessage(pkt, r); err != nil {
		a.stats.drop(dropMalformed)
		return nil, false
	}
	now := a.clock()
	w.view.reset(d, st, now)
	switch r.version {
	case versionV2c:
		if !hmac.Equal(r.community, a.community) {
			a.stats.drop(dropBadCommunity)
			return nil, false
		}
		e := &w.enc
		e.B = e.B[:0]
		m := e.Open(tagSequence)
		e.Int(tagInteger, versionV2c)
		e.Bytes(tagOctetString, r.community)
		budget := a.opts.MaxMessageSize - len(e.B) - 8
		if !w.respond(&r.pdu, e, budget) {
			return nil, false
		}
		e.Close(m)
		a.stats.served(statV2c, r.pdu.typ)
		return e.B, true
	default:
		return w.answerV3(d, st, pkt, now)
	}
}

// respond appends the Response-PDU answering p, keeping it under budget
// bytes. It reports false when the request cannot be answered at all.
func (w *worker) respond(p *pdu, e *ber.Encoder, budget int) bool {
	a := w.a
	if !w.decodeOIDs(p.varbinds) {
		a.stats.drop(dropMalformed)
		return false
	}
	w.e, w.budget, w.pduStart = e, budget, len(e.B)
	w.reqID = p.reqID
	if w.view.st.faults.Malformed == MalformRequestID {
		w.reqID++
	}
	s, vl := w.head(errNoError, 0)
	tooBig := false
	v := &w.view
	switch p.typ {
	case pduGet:
		for _, oid := range w.oids {
			a.mib.get(v, oid, &w.val, w.buf)
			if !w.put(oid) {
				tooBig = true
				break
			}
		}
	case pduGetNext:
		w.ensureCur(len(w.oids))
		for i, oid := range w.oids {
			w.cur[i] = a.mib.next(v, oid, w.cur[i], &w.val, w.buf)
			if !w.put(w.cur[i]) {
				tooBig = true
				break
			}
		}
	case pduGetBulk:
		tooBig = !w.bulk(p)
	default: // Set: the simulator is read-only.
		s, vl = w.head(errNotWritable, 1)
		for _, oid := range w.oids {
			w.val = value{tag: tagNull}
			w.put(oid)
		}
	}
	if tooBig {
		s, vl = w.head(errTooBig, 0)
	}
	e.Close(vl)
	e.Close(s)
	return true
}

// decodeOIDs decodes every requested OID into the worker's arena.
func (w *worker) decodeOIDs(list []byte) bool {
	w.arena = w.arena[:0]
	w.oids = w.oids[:0]
	for len(list) > 0 {
		c, rest, err := nextVarbind(list)
		if err != nil {
			return false
		}
		start := len(w.arena)
		arcs, err := ber.AppendOIDArcs(w.arena[start:], c)
		if err != nil {
			return false
		}
		if len(arcs) <= cap(w.arena)-start {
			// Decoded in place; otherwise append gave the OID its own array.
			w.arena = w.arena[:start+len(arcs)]
			arcs = w.arena[start : start+len(arcs) : start+len(arcs)]
		}
		w.oids = append(w.oids, arcs)
		list = rest
	}
	return true
}

// head (re)starts the Response-PDU with an error status and opens its
// varbind list.
func (w *worker) head(status, index int64) (pduStart, listStart int) {
	e := w.e
	e.B = e.B[:w.pduStart]
	s := e.Open(pduResponse)
	e.Int(tagInteger, int64(w.reqID))
	e.Int(tagInteger, status)
	e.Int(tagInteger, index)
	return s, e.Open(tagSequence)
}

// put appends one varbind (oid, w.val) unless it would break the budget.
func (w *worker) put(oid []uint32) bool {
	e := w.e
	mark := len(e.B)
	vb := e.Open(tagSequence)
	e.OID(oid)
	appendValue(e, &w.val)
	e.Close(vb)
	if len(e.B)-w.pduStart > w.budget {
		e.B = e.B[:mark]
		return false
	}
	return true
}

func (w *worker) ensureCur(n int) {
	for len(w.cur) < n {
		w.cur = append(w.cur, make([]uint32, 0, 32))
	}
}

// maxRepetitions caps a GetBulk's max-repetitions.
const maxRepetitions = 1000

// bulk answers a GetBulk (RFC 3416 4.2.3): non-repeaters once, then the
// repeaters interleaved, stopping at the size budget. It reports false
// only when not even the non-repeaters fit.
func (w *worker) bulk(p *pdu) bool {
	a := w.a
	v := &w.view
	n := len(w.oids)
	nonRep := min(max(int(p.errStatus), 0), n)
	reps := min(max(int(p.errIndex), 0), maxRepetitions)
	w.ensureCur(n)
	for i := range nonRep {
		w.cur[i] = a.mib.next(v, w.oids[i], w.cur[i], &w.val, w.buf)
		if !w.put(w.cur[i]) {
			return false
		}
	}
	for i := nonRep; i < n; i++ {
		w.cur[i] = append(w.cur[i][:0], w.oids[i]...)
	}
	for r := 0; r < reps && nonRep < n; r++ {
		allEnd := true
		for i := nonRep; i < n; i++ {
			// next reads the OID before it overwrites it: one buffer serves both.
			w.cur[i] = a.mib.next(v, w.cur[i], w.cur[i], &w.val, w.buf)
			if !w.put(w.cur[i]) {
				return true // truncated answers are how GetBulk handles size
			}
			if w.val.tag != tagEndOfMibView {
				allEnd = false
			}
		}
		if allEnd {
			break
		}
	}
	return true
}
