// Package collector is vigie's fleet scheduler: it polls every inventory
// device over SNMP at its role's interval, with bounded concurrency, first
// polls spread over the interval, no stacking of overrunning polls and
// exponential back-off of unreachable devices. It hands each poll out
// (Options.OnPoll: the exposition keeps its series, the topology applies
// it) and keeps none itself; its own metrics are vigie_collector_*.
package collector

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// Options tunes the collector. Zero fields take DefaultOptions' values.
type Options struct {
	// OnPoll, if set, receives every completed poll with the device's
	// state after it. It is called from the poll's goroutine, in order for
	// one device, concurrently for different devices; it holds a worker
	// slot, so it must be quick (render, or hand off to a buffered channel).
	// Neither the Poll nor the state may be modified, and the state only
	// read during the call: the next poll of the device updates it. The
	// state is passed rather than copied into the Poll because what the
	// exposition needs of it (reboots, discontinuities, monotonic totals of
	// every interface) would cost a copy per poll that only it reads.
	OnPoll func(*snmp.Poll, *snmp.DeviceState)
	// PollTimeout bounds one poll (default 90% of the device's interval):
	// always shorter than the interval so that polls do not stack.
	PollTimeout time.Duration
	// LogEvery is how often a persisting failure of one device is logged
	// again (default 1h); a new kind of failure is logged at once.
	LogEvery time.Duration
	// Sessions is the number of SNMP sessions (default Polling.Workers).
	Sessions int
	// DispatchTick groups poll starts: a device due at t starts at the
	// first tick (Run's start + k*DispatchTick) at or after t. Polls that
	// start together send together and their answers come back together,
	// so the process wakes once per tick rather than around every poll; at
	// the full fleet that more than halved the daemon's CPU
	// (docs/collector-performance.md). Default 100ms, and never more than
	// 1% of the shortest interval; negative starts each poll when due.
	DispatchTick time.Duration
	// MaxTriggered bounds the polls asked by PollNow running at once
	// (default DefaultMaxTriggered, never more than the workers).
	MaxTriggered int
	// Logger receives one line per distinct failure per device, and the
	// poller's rare events (nil: discard).
	Logger *slog.Logger
	// Registerer receives the vigie_collector_* metrics (nil: not
	// registered).
	Registerer prometheus.Registerer
}

// DefaultOptions returns the production defaults, which New gives the zero
// fields of its Options. Sessions is left 0: New takes the inventory's
// Polling.Workers then, one session per worker.
func DefaultOptions() Options {
	return Options{
		LogEvery: time.Hour,
		// A poll starts at most 0.1 s after its slot, 0.17% of the
		// shortest default interval (capped at 1% of the shortest one).
		DispatchTick: 100 * time.Millisecond,
		MaxTriggered: DefaultMaxTriggered,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions. A negative
// LogEvery takes the default too, as it always has; a negative
// DispatchTick is kept (it means no tick, see Options.DispatchTick).
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.LogEvery <= 0 {
		o.LogEvery = d.LogEvery
	}
	if o.DispatchTick == 0 {
		o.DispatchTick = d.DispatchTick
	}
	if o.MaxTriggered <= 0 {
		o.MaxTriggered = d.MaxTriggered
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Collector polls the fleet. Create it with New, start it with Run.
type Collector struct {
	opts    Options
	log     *slog.Logger
	pol     inventory.Polling
	devices []*device
	byName  map[string]*device
	roles   map[inventory.Role]*roleState
	poller  *snmp.Poller
	m       *metrics
	// pollFn polls one device; tests replace it.
	pollFn func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll
	// trigger carries PollNow's requests to the scheduler loop, which
	// keeps them in triggered until they start (trigger.go).
	trigger   chan *device
	triggered []*device

	running atomic.Bool
}

// roleState follows passes over a role's devices for the cycle metric.
type roleState struct {
	role      inventory.Role
	devices   int
	pass      uint64
	passStart time.Time
	remaining int
}

// device is the collector's per-device record. Fields are grouped by
// owner: the scheduler loop, or the goroutine of the device's running poll
// (never two at once, as polls of one device do not overlap).
type device struct {
	idx      int
	name     string
	role     inventory.Role
	target   *snmp.Target
	interval time.Duration

	// Owned by the scheduler loop.
	due        time.Time
	heapIdx    int
	running    bool
	polled     bool
	failures   int
	lastPass   uint64
	stateLabel string
	skipLogged time.Time
	// triggeredRun says the running poll is one PollNow asked for.
	triggeredRun bool

	// Shared with PollNow's callers.
	trig triggerState

	// Owned by the poll goroutine.
	state  *snmp.DeviceState
	logged map[string]time.Time // failure key -> last logged
}

// New prepares the collector for every device of inv. It opens the SNMP
// sessions (sockets) now; they are closed when Run returns.
func New(inv *inventory.Inventory, opts Options) (*Collector, error) {
	opts.setDefaults()
	logger, reg := opts.Logger, opts.Registerer
	pol := inv.Polling
	def := inventory.DefaultPolling()
	if pol.Workers <= 0 {
		pol.Workers = def.Workers
	}
	if pol.MaxBackoff <= 0 {
		pol.MaxBackoff = def.MaxBackoff
	}
	if pol.MaxRows <= 0 {
		pol.MaxRows = def.MaxRows
	}
	if pol.Tables == nil {
		pol.Tables = def.Tables
	}
	if opts.Sessions <= 0 {
		opts.Sessions = pol.Workers
	}
	c := &Collector{opts: opts, log: logger, pol: pol, byName: make(map[string]*device, len(inv.Devices)),
		roles: make(map[inventory.Role]*roleState)}
	c.m = newMetrics(c)
	c.trigger = make(chan *device, len(inv.Devices))
	for i := range inv.Devices {
		d := &inv.Devices[i]
		t, err := snmp.NewTarget(d, inv.Profile(d.Profile), pol)
		if err != nil {
			return nil, fmt.Errorf("collector: %w", err)
		}
		interval := pol.Intervals[d.Role]
		if interval <= 0 {
			interval = def.Intervals[d.Role]
		}
		if interval <= 0 {
			interval = time.Minute
		}
		dev := &device{idx: i, name: d.Name, role: d.Role, target: t, interval: interval,
			heapIdx: -1, state: snmp.NewDeviceState(), logged: map[string]time.Time{}}
		if _, dup := c.byName[d.Name]; dup {
			return nil, fmt.Errorf("collector: device %q appears twice in the inventory", d.Name)
		}
		c.byName[d.Name] = dev
		c.devices = append(c.devices, dev)
		r := c.roles[d.Role]
		if r == nil {
			r = &roleState{role: d.Role}
			c.roles[d.Role] = r
		}
		r.devices++
	}
	c.m.initRoles(c.roles)
	if reg != nil {
		if err := c.m.register(reg); err != nil {
			return nil, fmt.Errorf("collector: register metrics: %w", err)
		}
	}
	p, err := snmp.NewPoller(snmp.Options{Sessions: opts.Sessions, Logger: logger})
	if err != nil {
		if reg != nil {
			c.m.unregister(reg)
		}
		return nil, fmt.Errorf("collector: %w", err)
	}
	c.poller = p
	c.pollFn = p.Poll
	return c, nil
}

// Close releases the SNMP sockets of a collector that will not Run (a
// daemon refused at start-up or by a reload); Run fails afterwards. It
// does nothing once Run has started: Run closes them.
func (c *Collector) Close() error {
	if c.running.CompareAndSwap(false, true) && c.poller != nil {
		return c.poller.Close()
	}
	return nil
}

// completion is what a finished poll tells the scheduler loop.
type completion struct {
	d   *device
	ok  bool
	end time.Time
	// cut says shutdown ended the poll: it says nothing about the device.
	cut bool
	// triggered says PollNow asked for the poll.
	triggered bool
}

// Run polls the fleet until ctx is cancelled, then waits for the polls in
// flight to end (they are cancelled too) and closes the SNMP sessions. It
// returns nil on a normal shutdown. Run may be called once.
func (c *Collector) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("collector: Run called twice")
	}
	defer func() {
		if c.poller != nil {
			_ = c.poller.Close()
		}
	}()
	start := time.Now()
	h := make(deviceHeap, 0, len(c.devices))
	for _, d := range c.devices {
		d.due = firstDue(start, d.name, d.interval)
		d.stateLabel = statePending
		h = append(h, d)
		d.heapIdx = len(h) - 1
	}
	heap.Init(&h)
	tick := dispatchTick(c.opts.DispatchTick, c.devices)
	for _, r := range c.roles {
		r.passStart, r.remaining = start, r.devices
	}
	c.m.devices.WithLabelValues(statePending).Set(float64(len(c.devices)))

	var wg sync.WaitGroup
	done := make(chan completion, c.pol.Workers)
	inFlight, trigInFlight := 0, 0
	maxTriggered := min(c.opts.MaxTriggered, c.pol.Workers)
	launch := func(d *device, triggered bool) {
		d.running, d.triggeredRun = true, triggered
		inFlight++
		c.m.inFlight.Set(float64(inFlight))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, cut := c.pollOne(ctx, d)
			done <- completion{d: d, ok: ok, end: time.Now(), cut: cut, triggered: triggered}
		}()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	c.log.Info("collector started", "devices", len(c.devices), "workers", c.pol.Workers, "dispatch_tick", tick)

	for {
		now := time.Now()
		// Polls asked by PollNow first, bounded: they are few and urgent.
		for inFlight < c.pol.Workers && trigInFlight < maxTriggered {
			d := c.nextTriggered()
			if d == nil {
				break
			}
			d.trig.wanted.Store(false)
			trigInFlight++
			launch(d, true)
		}
		// Dispatch every device due by the last tick while a worker is free.
		cutoff := tickAtOrBefore(start, now, tick)
		for h.Len() > 0 && inFlight < c.pol.Workers {
			d := h[0]
			if d.due.After(cutoff) {
				break
			}
			heap.Pop(&h)
			c.visit(d, now)
			if d.running {
				// A triggered poll is a fresh poll: the slot is not lost.
				if !d.triggeredRun {
					c.skip(d, now)
				}
				d.due = nextSlot(d.due, now, d.interval)
				heap.Push(&h, d)
				continue
			}
			scheduled := d.due
			d.due = nextSlot(d.due.Add(d.interval), now, d.interval)
			heap.Push(&h, d)
			c.m.lag.Observe(now.Sub(scheduled).Seconds())
			launch(d, false)
		}
		wait := time.Hour
		if h.Len() > 0 && inFlight < c.pol.Workers {
			wait = max(0, time.Until(tickAtOrAfter(start, h[0].due, tick)))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			// Drain: polls see the cancelled context and end quickly.
			go func() { wg.Wait(); close(done) }()
			for cm := range done {
				c.complete(cm)
			}
			c.m.inFlight.Set(0)
			c.log.Info("collector stopped")
			return nil
		case d := <-c.trigger:
			c.triggered = append(c.triggered, d)
		case cm := <-done:
			inFlight--
			if cm.triggered {
				trigInFlight--
			}
			c.m.inFlight.Set(float64(inFlight))
			c.complete(cm)
			// Back-off moves the next poll later than the grid slot.
			if !cm.ok && !cm.cut && cm.d.failures >= 2 && cm.d.heapIdx >= 0 {
				if next := cm.end.Add(retryDelay(cm.d.interval, c.pol.MaxBackoff, cm.d.failures)); next.After(cm.d.due) {
					cm.d.due = next
					heap.Fix(&h, cm.d.heapIdx)
				}
			}
		case <-timer.C:
		}
	}
}

// visit counts d as visited in its role's current pass, closing the pass
// (and setting the cycle metric) when every device had its turn.
func (c *Collector) visit(d *device, now time.Time) {
	r := c.roles[d.role]
	if d.lastPass == r.pass+1 {
		return
	}
	d.lastPass = r.pass + 1
	r.remaining--
	if r.remaining <= 0 {
		c.m.roles[d.role].cycle.Set(now.Sub(r.passStart).Seconds())
		r.pass++
		r.passStart = now
		// Devices in back-off are not expected in the next pass.
		r.remaining = 0
		for _, x := range c.devices {
			if x.role == d.role && x.failures < 2 {
				r.remaining++
			}
		}
	}
}

// skip records a poll not started because the previous one still runs.
func (c *Collector) skip(d *device, now time.Time) {
	c.m.roles[d.role].skipped.Inc()
	if now.Sub(d.skipLogged) >= c.opts.LogEvery {
		d.skipLogged = now
		c.log.Warn("poll skipped: the previous poll of this device is still running",
			"device", d.name, "role", d.role, "interval", d.interval)
	}
}

// complete updates the scheduler's view of a device after its poll.
func (c *Collector) complete(cm completion) {
	d := cm.d
	d.running, d.triggeredRun = false, false
	if cm.cut {
		return
	}
	d.polled = true
	if cm.ok {
		d.failures = 0
	} else {
		d.failures++
	}
	st := stateUp
	switch {
	case cm.ok:
	case d.failures >= 2:
		st = stateBackoff
	default:
		st = stateDown
	}
	if st != d.stateLabel {
		c.m.devices.WithLabelValues(d.stateLabel).Dec()
		c.m.devices.WithLabelValues(st).Inc()
		d.stateLabel = st
	}
}

// pollOne runs one poll of d in the calling goroutine and reports success,
// or that shutdown cut it short.
func (c *Collector) pollOne(ctx context.Context, d *device) (ok, cut bool) {
	timeout := c.opts.PollTimeout
	if timeout <= 0 {
		timeout = d.interval * 9 / 10
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	res := c.pollFn(pctx, d.target, d.state)
	cancel()
	if ctx.Err() != nil {
		// Cut short by shutdown: not the device's fault, not counted.
		return res.Err == nil, true
	}
	// The poll is not kept here: its interfaces and LLDP table live on in
	// the device's state (the next poll reuses their strings), and OnPoll
	// consumers keep what they need.
	c.record(d, res)
	if c.opts.OnPoll != nil {
		c.opts.OnPoll(res, d.state)
	}
	return res.Err == nil, false
}

// record turns a poll into the collector's metrics and log lines.
func (c *Collector) record(d *device, res *snmp.Poll) {
	rm := c.m.roles[d.role]
	dur := res.End.Sub(res.Start).Seconds()
	rm.duration.Observe(dur)
	c.m.varbinds.Add(float64(res.Varbinds))
	c.m.requests.Add(float64(res.Requests))
	if res.Err == nil {
		rm.success.Inc()
	} else {
		rm.failure.Inc()
		rm.errors(res.Reason).Inc()
	}
	for _, p := range res.Problems {
		rm.errors(p.Reason).Inc()
	}
	c.logPoll(d, res)
}

// logPoll logs a failure once per distinct kind per device, again at most
// every LogEvery while it lasts, and logs the recovery.
func (c *Collector) logPoll(d *device, res *snmp.Poll) {
	now := res.End
	if res.Err != nil {
		key := "poll:" + string(res.Reason)
		if now.Sub(d.logged[key]) >= c.opts.LogEvery {
			clear(d.logged)
			d.logged[key] = now
			c.log.Warn("device poll failed", "device", d.name, "role", d.role, "address", d.target.Addr,
				"reason", res.Reason, "err", res.Err)
		}
		return
	}
	if hasPollFailure(d.logged) {
		c.log.Info("device answers again", "device", d.name, "role", d.role)
		for k := range d.logged {
			if strings.HasPrefix(k, "poll:") {
				delete(d.logged, k)
			}
		}
	}
	if len(res.Discontinuities) > 0 {
		// Mostly an operator's `clear counters`: worth a line, not a
		// line per interface (a clear without argument clears them all).
		const key = "counters:discontinuity"
		if now.Sub(d.logged[key]) >= c.opts.LogEvery {
			d.logged[key] = now
			first := &res.Discontinuities[0]
			args := []any{"device", d.name, "interfaces", len(res.Discontinuities), "interface", first.Interface,
				"reason", first.Reason}
			if first.Counter != "" {
				args = append(args, "counter", first.Counter)
			}
			c.log.Info("interface counters discontinuous (cleared or replaced): nothing added to their totals for this poll", args...)
		}
	}
	for _, p := range res.Problems {
		key := p.Table + ":" + string(p.Reason)
		if now.Sub(d.logged[key]) >= c.opts.LogEvery {
			d.logged[key] = now
			c.log.Warn("device table problem contained", "device", d.name, "table", p.Table,
				"reason", p.Reason, "detail", p.Detail)
		}
	}
}

func hasPollFailure(m map[string]time.Time) bool {
	for k := range m {
		if strings.HasPrefix(k, "poll:") {
			return true
		}
	}
	return false
}
