package snmp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Poller. Zero fields take DefaultOptions' values.
type Options struct {
	// Sessions is the most sessions (a socket and a 64 KiB receive buffer
	// each, twice that once one has polled SNMPv3) open at once, and so
	// the number of polls that can run at once. Default 64. They are
	// opened as polls need them, not up front.
	Sessions int
	// Logger receives the poller's rare events (max-repetitions halved,
	// decoder panics). Per-poll failures are in the Poll, for the caller
	// to log at its own rate.
	Logger *slog.Logger
}

// DefaultOptions returns the defaults NewPoller gives the zero fields of
// its Options. The collector passes its own Sessions (the inventory's
// Polling.Workers).
func DefaultOptions() Options {
	return Options{Sessions: 64}
}

// setDefaults fills the zero fields of o from DefaultOptions; a negative
// Sessions takes the default too, as it always has. A nil Logger discards.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.Sessions <= 0 {
		o.Sessions = d.Sessions
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Poller polls devices through a bounded pool of sessions. It is safe for
// concurrent use; Poll blocks while every session is busy.
//
// A session holds up to about 200 KiB once it has polled large devices
// (its 64 KiB receive buffer, gosnmp's for v3, its decoders' scratch
// space), so the pool opens
// sessions only when every open one is busy, and lends the most recently
// returned one first: a fleet whose polls overlap twenty at a time keeps
// about twenty sessions warm, whatever Options.Sessions allows. A session
// left idle for sessionIdle (the bottom of the stack: polls no longer need
// that many at once) is closed, so that a burst (a slow minute, a wave of
// timeouts) does not hold its sessions for the daemon's life.
type Poller struct {
	log *slog.Logger
	// slots holds one token per poll holding a session: at most
	// Options.Sessions at once.
	slots chan struct{}

	mu     sync.Mutex
	idle   []*session // a stack: the last returned is lent first
	all    []*session
	closed bool
	// now is the clock of idle times (tests replace it).
	now func() time.Time

	decodePanics atomic.Uint64
}

// sessionIdle is how long a session may stay unused before it is closed:
// longer than the longest default polling interval, so that a burst that
// comes back every interval keeps its sessions.
const sessionIdle = 2 * time.Minute

// errPollerClosed is the error of a Poll after Close.
var errPollerClosed = errors.New("the SNMP poller is closed (vigie is stopping)")

// NewPoller opens one session at once, so that a host that cannot open a
// UDP socket is refused at start-up, and the others, up to opts.Sessions,
// when polls need them.
func NewPoller(opts Options) (*Poller, error) {
	opts.setDefaults()
	p := &Poller{log: opts.Logger, slots: make(chan struct{}, opts.Sessions), now: time.Now}
	s, err := newSession()
	if err != nil {
		return nil, err
	}
	p.all = append(p.all, s)
	p.idle = append(p.idle, s)
	return p, nil
}

// Close releases every session's socket. Call it once no Poll is running;
// a Poll after Close fails at once.
func (p *Poller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, s := range p.all {
		errs = append(errs, s.close())
	}
	p.all, p.idle, p.closed = nil, nil, true
	return errors.Join(errs...)
}

// take lends a session to a poll that holds a slot: the idle one returned
// last, or a new one when every open session is busy. A poll of an SNMPv3
// device (v3) prefers a session that has a gosnmp client already, a v2c
// poll one that has none, so that only as many sessions as there are v3
// polls at once carry gosnmp's buffer.
func (p *Poller) take(v3 bool) (*session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPollerClosed
	}
	if n := len(p.idle); n > 0 {
		i := n - 1
		for j := n - 1; j >= 0; j-- {
			if (p.idle[j].gs != nil) == v3 {
				i = j
				break
			}
		}
		// Removing from the middle keeps the stack ordered by idle time.
		s := p.idle[i]
		copy(p.idle[i:], p.idle[i+1:])
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		return s, nil
	}
	s, err := newSession()
	if err != nil {
		return nil, err
	}
	p.all = append(p.all, s)
	return s, nil
}

// give returns a session taken by take, and closes the sessions that have
// been idle for sessionIdle, keeping one.
func (p *Poller) give(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = s.close() // Close ran during the poll: it closed it already
		return
	}
	now := p.now()
	s.idleSince = now
	p.idle = append(p.idle, s)
	// The stack's bottom is the session idle the longest.
	for len(p.idle) > 1 && now.Sub(p.idle[0].idleSince) >= sessionIdle {
		old, n := p.idle[0], len(p.idle)
		copy(p.idle, p.idle[1:])
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if err := old.close(); err != nil {
			p.log.Debug("close an idle SNMP session", "err", err)
		}
		if i := slices.Index(p.all, old); i >= 0 {
			p.all = slices.Delete(p.all, i, i+1)
		}
	}
}

// OpenSessions returns how many sessions are open: about the most polls
// that ran at once in the last sessionIdle, at least 1 (0 after Close).
func (p *Poller) OpenSessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all)
}

// DecodePanics returns how many panics were recovered while decoding
// answers (in gosnmp or in vigie's decoders) since the poller started.
func (p *Poller) DecodePanics() uint64 { return p.decodePanics.Load() }

func isDecodePanic(err error) bool { return errors.Is(err, errDecodePanic) }

// halve reduces the device's GetBulk size after a timeout or tooBig.
func (p *Poller) halve(t *Target, st *DeviceState) {
	old := st.maxRep
	st.maxRep = max(1, st.maxRep/2)
	st.cleanPolls = 0
	p.log.Info("device timed out on a large GetBulk answer: halving its max-repetitions",
		"device", t.Device, "from", old, "to", st.maxRep)
}

// Poll polls one device: the system group, then the tables in t.Tables.
// It never returns nil and never panics on what the device sends; st is
// updated (engine, counters, adaptive bulk size) and must not be used by
// another Poll at the same time. ctx bounds the whole poll.
func (p *Poller) Poll(ctx context.Context, t *Target, st *DeviceState) *Poll {
	res := &Poll{Device: t.Device, Start: time.Now()}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		res.End = time.Now()
		res.Err = fmt.Errorf("device %s: no free SNMP session before the poll's deadline: %w", t.Device, ctx.Err())
		res.Reason = ReasonTimeout
		return res
	}
	defer func() { <-p.slots }()
	v3 := t.Version == "3"
	s, err := p.take(v3)
	if err == nil {
		defer p.give(s)
		if v3 {
			err = s.openV3()
		}
	}
	if err != nil {
		res.End = time.Now()
		res.Err = fmt.Errorf("device %s: %w", t.Device, err)
		res.Reason = ReasonOther
		return res
	}
	s.begin(ctx, t, st)
	// A cancelled poll (shutdown, deadline) must not sit in a blocking read
	// until the profile's timeout: wake the socket up.
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetReadDeadline(time.Now()) })
	p.poll(ctx, s, t, st, res)
	stop()
	s.end(t, st)
	res.Requests, res.Varbinds = s.requests, s.varbinds
	res.End = time.Now()
	if res.Err == nil && len(res.Problems) > 0 {
		res.Reason = res.Problems[0].Reason
	}
	return res
}

func (p *Poller) poll(ctx context.Context, s *session, t *Target, st *DeviceState, res *Poll) {
	if st.maxRep <= 0 || st.maxRep > t.MaxRepetitions {
		st.maxRep = t.MaxRepetitions
	}
	s.walking = s.walking[:0]
	for slot, flag := range [tableSlots]Tables{TableInterfaces, TableInterfaces, TableLLDP, TableBGP, TableLLDP, TableBGP, TableBGP, TableHealth} {
		if t.Tables&flag == 0 || (slot == tableSlotIf32 && st.if32 != if32Needed) {
			continue
		}
		if isVendorBGPSlot(slot) && !s.planVendorBGP(slot, st) {
			continue
		}
		if slot == tableSlotCDP && t.Tables&TableNeighborAddrs == 0 && (st.cdpSkip > 0 || !st.cdpAsked) {
			// The first poll goes without: the second knows every
			// table's rows, so the probe costs its columns a few
			// repetitions rather than max-repetitions each.
			st.cdpSkip = max(st.cdpSkip, 1) - 1
			st.cdpAsked = true
			continue
		}
		if slot == tableSlotCDP && st.rowHint[slot] == 0 && !st.cdpSeen {
			// Expect an empty cache (most devices have no CDP), so that
			// the probe rides along at the other tables' sizes; a cache
			// with rows costs one more request, as a table that grew.
			st.rowHint[slot] = 1
		}
		if slot == tableSlotHealth && !s.planHealth(st) {
			continue
		}
		w := &s.tables[slot]
		w.slot = slot
		w.hint = &st.rowHint[slot]
		s.walking = append(s.walking, w)
	}
	if t.Tables&(TableLLDP|TableNeighborAddrs) == TableLLDP|TableNeighborAddrs {
		s.manHint = 0
		s.manWalk.hint = &s.manHint
		// Its decoder is reset here only: a refused first GetBulk (the
		// errSystemRefused path below) decodes nothing.
		s.mand.reset()
		s.walking = append(s.walking, &s.manWalk)
	}
	defer func() {
		for _, w := range s.walking {
			w.hint = nil // the session outlives this device's state
		}
	}()
	s.ifd.reset(st.prevIfs)
	s.lldpd.reset()
	s.bgpd.reset()
	s.cdpd.reset()
	s.cbgpd.reset()
	s.jbgpd.reset()
	s.hd.reset()
	halvedBefore := st.maxRep

	// A device that answered its last poll gets the system group as
	// non-repeaters of the first GetBulk: one request fewer. Otherwise (first
	// poll, device that failed, no tables) a Get comes first, so that a
	// silent device costs retries+1 small requests and nothing more.
	var walkErr error
	walked := false
	if st.answered && len(s.walking) > 0 {
		walkErr = p.walk(ctx, s, s.walking, t, st, &res.System)
		switch {
		case errors.Is(walkErr, errSystemRefused):
			res.System = System{}
			s.ifd.reset(st.prevIfs)
			s.lldpd.reset()
			s.bgpd.reset()
			s.cdpd.reset()
			s.cbgpd.reset()
			s.jbgpd.reset()
			s.hd.reset()
		case errors.Is(walkErr, errSystem):
			st.answered = false
			res.Reason = classify(walkErr)
			res.Err = fmt.Errorf("device %s (%s): %w", t.Device, t.Addr, walkErr)
			return
		default:
			walked = true
		}
	}
	if !walked {
		sys, err := s.request(ctx, t, pduGet, 0, 0, s.sysOIDs, s.sysNames[:len(s.sysOIDs)])
		if err != nil {
			st.answered = false
			res.Reason = classify(err)
			if isDecodePanic(err) {
				p.decodePanics.Add(1)
			}
			res.Err = fmt.Errorf("device %s (%s): system group: %w", t.Device, t.Addr, err)
			return
		}
		s.varbinds += len(sys.vars)
		if err := p.decodeSystem(sys.vars, &res.System, false, &st.prevSys); err != nil {
			st.answered = false
			res.Reason = classify(err)
			res.Err = fmt.Errorf("device %s (%s): %w", t.Device, t.Addr, err)
			return
		}
		if len(s.walking) > 0 {
			walkErr = p.walk(ctx, s, s.walking, t, st, nil)
		}
	}
	st.answered = true
	st.prevSys = res.System
	rebooted := st.observeUptime(res.System.Uptime, res.Start)

	// The fallback columns are part of the interface table: a problem in
	// either makes the table incomplete.
	ifComplete := true
	for _, w := range s.walking {
		if w.slot == tableSlotInterfaces || w.slot == tableSlotIf32 {
			ifComplete = ifComplete && len(w.problems) == 0 && !w.failed
		}
	}
	var vendorPeers []BGPPeer
	for _, w := range s.walking {
		res.Problems = append(res.Problems, w.problems...)
		if w.failed && len(w.problems) == 0 {
			// The device stopped answering during an earlier table: this
			// one counts as not walked, as if the poll had stopped there.
			continue
		}
		switch w.slot {
		case tableSlotInterfaces:
			if s.ifd.bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "interfaces", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%d values of the wrong type or index skipped", s.ifd.bad)})
			}
			res.Interfaces = s.ifd.finish()
			// The decoder is done with the old names: their array is reused.
			st.prevIfs = appendIfTexts(st.prevIfs[:0], res.Interfaces)
			res.Discontinuities = st.accumulate(res.Interfaces, res.Start, rebooted, ifComplete)
			if ifComplete {
				// Whether the next polls need the fallback columns: a device
				// that gains or loses ifXTable (an agent upgrade) is
				// followed, since a device still reading them sees its
				// ifHC* columns, and one not reading them sees rows without.
				st.if32 = if32Skip
				if needs32(res.Interfaces) {
					st.if32 = if32Needed
				}
			}
		case tableSlotLLDP:
			if s.lldpd.bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "lldp", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%d values of the wrong type or index skipped", s.lldpd.bad)})
			}
			res.LLDP = s.lldpd.finish(ifNameOf(res.Interfaces), st.prevLLDP)
			st.prevLLDP = res.LLDP
		case tableSlotCDP:
			if s.cdpd.bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "cdp", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%d values of the wrong type or index skipped", s.cdpd.bad)})
			}
			res.CDP = s.cdpd.finish(ifNameOf(res.Interfaces))
			switch {
			case len(res.CDP) > 0:
				st.cdpSeen = true
			case !st.cdpSeen && len(w.problems) == 0:
				// No CISCO-CDP-MIB (or CDP off): look again later.
				st.cdpSkip = cdpRetryPolls
			}
		case tableSlotBGP:
			if s.bgpd.bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "bgp", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%d values of the wrong type or index skipped", s.bgpd.bad)})
			}
			res.BGPPeers = s.bgpd.finish()
		case tableSlotCiscoBGP, tableSlotJuniperBGP:
			peers, pfx, bad := s.finishVendorBGP(w, st)
			if bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "bgp", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%s: %d values of the wrong type or index skipped", vendorBGPTable(w.slot), bad)})
			}
			vendorPeers = append(vendorPeers, peers...)
			res.BGPPrefixes = append(res.BGPPrefixes, pfx...)
		case tableSlotLLDPManAddr:
			if s.mand.bad > 0 {
				res.Problems = append(res.Problems, Problem{Table: "lldp", Reason: ReasonMalformed,
					Detail: fmt.Sprintf("%d lldpRemManAddrTable indexes of the wrong shape skipped", s.mand.bad)})
			}
			// The LLDP table comes first in s.walking: its decoder still
			// holds the neighbours' indexes.
			res.LLDPManAddrs = s.mand.finish(&s.lldpd, res.LLDP != nil)
		case tableSlotHealth:
			res.Health = p.finishHealth(ctx, s, t, st, w, res)
		}
	}
	if len(vendorPeers) > 0 {
		res.BGPPeers = mergeBGPPeers(res.BGPPeers, vendorPeers)
		slices.SortStableFunc(res.BGPPrefixes, comparePrefixes)
	}
	// Grow back towards the profile's size after a run of clean polls, so
	// that one bad minute does not slow a device down forever.
	if walkErr == nil && st.maxRep == halvedBefore && st.maxRep < t.MaxRepetitions {
		st.cleanPolls++
		if st.cleanPolls >= 10 {
			st.maxRep = min(t.MaxRepetitions, st.maxRep*2)
			st.cleanPolls = 0
		}
	}
}

// decodeSystem runs decodeSystem under recover: the bytes came from the
// network.
func (p *Poller) decodeSystem(vars []varbind, sys *System, next bool, prev *System) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.decodePanics.Add(1)
			err = fmt.Errorf("%w: system group: %v", errDecodePanic, r)
		}
	}()
	bad, err := decodeSystem(vars, sys, next, prev)
	if err != nil {
		if errors.Is(err, errNoSystem) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if bad > 0 && sys.Uptime == 0 && sys.Name == "" {
		return fmt.Errorf("%w: system group: %d values of the wrong type", ErrMalformed, bad)
	}
	return nil
}

// ifNameOf returns the ifName of an ifIndex among ifs (sorted by index), ""
// if the poll did not see it: how LLDP and CDP name their local ports.
func ifNameOf(ifs []Interface) func(idx int32) string {
	return func(idx int32) string {
		if i, ok := slices.BinarySearchFunc(ifs, idx, func(a Interface, b int32) int { return int(a.Index) - int(b) }); ok {
			return ifs[i].Name
		}
		return ""
	}
}
