// Package topology is vigie's live model of the RIE: the inventory's
// declared devices and links, refreshed by every SNMP poll (reachability,
// IF-MIB oper status, LLDP neighbours, BGP4-MIB sessions), with the sources
// that vouch for each link and their disagreements, a history of change
// events, and the resilience analysis of what is failed now, published as
// immutable snapshots for the exposition package to render.
//
// One writer goroutine (Run) owns the state: Apply only queues a poll, so
// the pollers never wait on the model's locks; readers (Snapshot, Counts)
// take a read lock or read the last published analysis and routing.
package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/resilience"
	"github.com/vigie-rie/vigie/topology/store"
)

// engine is what the model needs from the resilience analysis.
type engine interface {
	// analyze computes the analysis of a failure set; changed names the one
	// link whose state changed since the previous call ("" if more changed),
	// so that the engine may recompute only what that link touches.
	analyze(f failureSet, changed string) (*Analysis, error)
	// whatIf analyses the live failures plus extra items ("internet",
	// "device:X", ...); a bad item is an error wrapping errBadRequest.
	whatIf(f failureSet, extra []string) (*resilience.WhatIf, error)
}

// failureSet is what is failed now: unreachable devices, and links down for
// a reason of their own (a link down only because its device is
// unreachable is explained by the device, so that the analysis names the
// device as the root cause once rather than each of its links).
type failureSet struct {
	Devices []string
	Links   []string
	// InternetLost: BGP says no PFAI has a default route left (see
	// RecordInternetLoss). The engine also concludes it when every
	// internet uplink is in Devices or Links.
	InternetLost bool
}

func (f failureSet) equal(o failureSet) bool {
	return slices.Equal(f.Devices, o.Devices) && slices.Equal(f.Links, o.Links) && f.InternetLost == o.InternetLost
}

type message struct {
	poll   *snmp.Poll
	event  *Event
	routes []bgp.SiteRouting // routes.go
	ics    []bgp.InterconnectRouting
	// routesAt is when routes or ics were observed (a BGP collector's
	// View), zero for now.
	routesAt time.Time
	// internet is BGP's verdict on the internet (RecordInternetLoss).
	internet *bool
	barrier  chan struct{}
	// unobserve marks devices unobserved (unobserved.go).
	unobserve *unobserve
	// partition rewrites a partitioned collector's cut (partition.go).
	partition *partition
	// vouch says what a witness reaches of a lost collector (witness.go).
	vouch *vouch
}

// Topology is the live model. Create it with New, start Run, feed it with
// Apply, read it through its snapshots; its own instrumentation is
// registered by New.
type Topology struct {
	inv  *inventory.Inventory
	opts Options
	log  *slog.Logger
	m    *metrics
	eng  engine

	in   chan message
	done chan struct{}
	// obsDirty: devices became unobserved, the sites' states must be
	// analysed again (unobserved.go).
	obsDirty bool
	// partitions wait, applied, for settlePartitions (partition.go).
	partitions []*partition
	// dueAt and liveAt date the changes waiting for the analysis and for
	// the availability update: on a central, the observation that made
	// them due (clock.go); zero when none waits.
	dueAt, liveAt time.Time

	// mu guards st; the writer holds it for writing while it applies a
	// batch of polls, readers for reading.
	mu sync.RWMutex
	st *model

	events   *ring
	rt       *routes // BGP's per-site routing verdicts (routes.go)
	analysis atomic.Pointer[Analysis]
	whatIfs  chan struct{}

	// Writer-only state. Dirty devices and links are listed as they are
	// marked, so that persisting a batch costs what changed, not a walk of
	// the 20,000 devices after every poll.
	dirtyLinks   map[*link]struct{}
	dirtyDevices []*device
	// Scratch space of applyLLDP, reused from poll to poll.
	lldpScratch []lldpEntry
	seenScratch map[*link]nbrVia
	nbrScratch  []nbr
	staged      int
	failed      failureSet // last analysed
	failDirty   bool
	// adopted is the analysis of the topology a reload replaced: the
	// first analysis after the reload keeps its sites' Since.
	adopted *Analysis
	// internetLost is BGP's last verdict: no PFAI default route left.
	internetLost bool
	changed      map[string]struct{} // links whose failure changed since the last analysis
	lastAnalyse  time.Time
	unknownLog   map[string]bool

	// More scratch space of applyLLDP and removeObserved, and the last log
	// line per device and bound (bounds.go).
	freshScratch   []freshNbr
	goneScratch    []*link
	touchedScratch map[*device]struct{}
	boundLog       map[boundKey]time.Time

	// Availability history (avail.go): per site, sorted by id as the
	// analysis is, the devices that observe it and its open interval;
	// whether a device was first polled to a verdict since the last
	// update, and the last beat staged.
	avail      []availSite
	availByID  map[string]int
	availDirty bool
	lastBeat   time.Time
	// announced lists the lost collectors ("collector:NAME") whose
	// collector_alive_locally event is written for the current loss and
	// verdict (witness.go); rebuilt from the events at a restore or reload.
	announced map[string]bool
}

// New builds the live model of inv. When opts.Store is set, the last
// persisted state is restored so that the API and metrics serve the last
// known topology at once, before the first polls come back. Its own
// instrumentation is registered on opts.Registerer (nil: not registered).
func New(inv *inventory.Inventory, opts Options) (*Topology, error) {
	if inv == nil {
		return nil, errors.New("topology: no inventory given")
	}
	opts.setDefaults()
	logger, reg := opts.Logger, opts.Registerer
	t := &Topology{
		inv: inv, opts: opts, log: logger,
		in:          make(chan message, opts.QueueSize),
		done:        make(chan struct{}),
		st:          newModel(inv),
		events:      newRing(opts.MaxEvents),
		rt:          newRoutes(inv),
		whatIfs:     make(chan struct{}, opts.MaxWhatIf),
		dirtyLinks:  map[*link]struct{}{},
		seenScratch: map[*link]nbrVia{},
		changed:     map[string]struct{}{},
		unknownLog:  map[string]bool{},

		touchedScratch: map[*device]struct{}{},
		boundLog:       map[boundKey]time.Time{},
	}
	t.availSites()
	eng, err := newEngine(inv, t.st)
	if err != nil {
		return nil, err
	}
	t.eng = eng
	t.m = newMetrics()
	if reg != nil {
		if err := t.m.register(reg); err != nil {
			return nil, fmt.Errorf("topology: registering metrics: %w", err)
		}
	}
	if opts.Store != nil && !opts.NoRestore {
		if err := t.restore(opts.Store); err != nil {
			return nil, err
		}
	}
	if opts.Store != nil && !opts.NoRestore {
		if err := t.restoreAvailability(opts.Store); err != nil {
			return nil, fmt.Errorf("topology: restoring availability from %s: %w", opts.Store.Path(), err)
		}
	}
	t.runAnalysis(opts.Now())
	return t, nil
}

// restore loads the persisted devices, links and recent events.
func (t *Topology) restore(s *store.Store) error {
	snap, err := s.Load()
	if err != nil {
		return fmt.Errorf("topology: restoring from %s: %w", s.Path(), err)
	}
	evs, err := s.LastEvents(t.opts.MaxEvents)
	if err != nil {
		return fmt.Errorf("topology: restoring events from %s: %w", s.Path(), err)
	}
	t.load(snap, evs)
	t.log.Info("topology restored from the store", "path", s.Path(), "devices", len(snap.Devices), "links", len(snap.Links), "events", len(evs))
	return nil
}

// Adopt takes over the state of prev, the topology of the configuration
// a reload replaces: device states, links (observed ones too) and the
// event history, so that a reload loses nothing, with or without a store.
// Call it after prev's Run has returned and before t's Run starts. Links
// the new inventory no longer declares are dropped (and deleted from the
// store), as at a restore.
func (t *Topology) Adopt(prev *Topology) {
	prev.mu.RLock()
	var snap store.Snapshot
	for _, d := range prev.st.devices {
		if d.inv != nil {
			snap.Devices = append(snap.Devices, d.record())
		}
	}
	for _, l := range prev.st.links {
		snap.Links = append(snap.Links, l.record())
	}
	prev.mu.RUnlock()
	t.adoptAvailability(prev)
	t.lastBeat = prev.lastBeat
	for name, d := range prev.st.devices {
		if nd := t.st.devices[name]; nd != nil && d.live {
			nd.live = true // still observed: a reload is no blind time
		}
	}
	vouched := map[string]string{}
	prev.mu.RLock()
	for name, d := range prev.st.devices {
		if d.vouched != "" {
			vouched[name] = d.vouched
		}
	}
	prev.mu.RUnlock()
	old := prev.events.since(time.Time{}, len(prev.events.buf))
	evs := make([]store.Event, 0, min(len(old), t.opts.MaxEvents))
	for _, e := range old[max(0, len(old)-t.opts.MaxEvents):] {
		evs = append(evs, store.Event{Time: e.Time, Kind: string(e.Kind), Subject: e.Subject, From: e.From, To: e.To, Detail: e.Detail})
	}
	t.mu.Lock()
	t.load(snap, evs)
	// A witness's verdict holds across the reload: its sites stay alive
	// locally without waiting for its next round (witness.go).
	for name, w := range vouched {
		if d := t.st.devices[name]; d != nil && d.state == DeviceUnobserved {
			d.vouched = w
		}
	}
	t.mu.Unlock()
	// The analysis New made is of the empty model: drop it so that this
	// one is made whatever the failed set.
	t.analysis.Store(nil)
	t.adopted = prev.Analysis() // dates the states the reload finds unchanged
	t.runAnalysis(t.opts.Now())
	t.log.Info("topology state carried over the reload", "devices", len(snap.Devices), "links", len(snap.Links), "events", len(evs))
}

// load applies stored (or handed over) devices, links and events, oldest
// event first, to a model that has not started.
func (t *Topology) load(snap store.Snapshot, evs []store.Event) {
	m := t.st
	for _, r := range snap.Devices {
		d := m.devices[r.Name]
		if d == nil || d.inv == nil {
			continue // no longer in the inventory
		}
		d.state, d.sysName, d.uptime = DeviceState(r.State), r.SysName, time.Duration(r.Uptime)
		d.reason, d.polls, d.seen, d.since = r.Reason, r.Polls, r.Seen, r.Since
		if d.state == "" {
			d.state = DeviceUnknown
		}
	}
	lldpPolled := t.inv.Polling.Tables == nil || slices.Contains(t.inv.Polling.Tables, "lldp")
	held := map[string]int{} // observed links restored per inventory device
	// drop deletes a link record that must not come back from the store
	// (none when the state is handed over in memory).
	drop := func(id string) {
		if t.opts.Store != nil {
			t.opts.Store.DeleteLink(id)
			t.staged++ // so that the next flush writes it
		}
	}
	for _, r := range snap.Links {
		l := m.links[r.ID]
		if l == nil && r.Kind == string(KindObserved) && !t.restorable(r, lldpPolled, held) {
			drop(r.ID)
			continue
		}
		if l == nil && r.Kind == string(KindObserved) {
			l = &link{id: r.ID, kind: KindObserved, a: end{device: r.A.Device, iface: r.A.Interface},
				b: end{device: r.B.Device, iface: r.B.Interface}}
			m.links[r.ID] = l
			for _, e := range []string{r.A.Device, r.B.Device} {
				d := m.devices[e]
				if d == nil {
					d = &device{name: e, state: DeviceUnknown, bgp: map[string]bool{}}
					m.devices[e] = d
				}
				d.links = append(d.links, l)
			}
		}
		if l == nil {
			drop(r.ID) // declared by an older inventory
			continue
		}
		l.a.status, l.b.status = orUnknown(r.A.Status), orUnknown(r.B.Status)
		lldp, bgp := slices.Contains(r.Sources, string(SourceLLDP)), slices.Contains(r.Sources, string(SourceBGP))
		cdp := slices.Contains(r.Sources, string(SourceCDP))
		l.a.lldp, l.a.bgp = lldp || cdp, bgp
		if lldp {
			l.a.via |= viaLLDP
		}
		if cdp {
			l.a.via |= viaCDP
		}
		l.state, l.since = LinkState(r.State), r.Since
		if l.state == "" {
			l.state = LinkUnknown
		}
		l.lldpMissed, l.disagreement = r.LLDPMissed, r.Disagreement
	}
	for _, e := range evs {
		t.events.add(Event{Time: e.Time, Kind: EventKind(e.Kind), Subject: e.Subject, From: e.From, To: e.To, Detail: e.Detail})
		t.noteAnnounced(EventKind(e.Kind), e.Subject)
	}
	t.failed = t.failures()
}

// restorable tells whether a persisted observed link may come back: one of
// its ends must be an inventory device whose LLDP is polled (no other poll
// would ever remove it), within that device's MaxNeighbors (a store
// written with a larger bound, or by a vigie that leaked, does not bring
// back more than the bound). held counts the links restored per device.
func (t *Topology) restorable(r store.Link, lldpPolled bool, held map[string]int) bool {
	if !lldpPolled {
		return false
	}
	var ends []string
	for _, e := range []string{r.A.Device, r.B.Device} {
		if d := t.st.devices[e]; d != nil && d.inv != nil && !slices.Contains(ends, e) {
			if held[e] >= t.opts.MaxNeighbors {
				return false
			}
			ends = append(ends, e)
		}
	}
	for _, e := range ends {
		held[e]++
	}
	return len(ends) > 0
}

func orUnknown(s string) string {
	if s == "" {
		return statusUnknown
	}
	return s
}

// Apply queues one poll result for the model. It is cheap and safe from
// many goroutines; it blocks only while the queue is full (back-pressure on
// the pollers) and returns at once once Run has stopped.
func (t *Topology) Apply(p *snmp.Poll) {
	if p == nil {
		return
	}
	select {
	case t.in <- message{poll: p}:
	case <-t.done:
	}
}

// Record queues an event observed by another component (the BGP monitor)
// for the change log, the store and vigie_topology_changes_total. Like
// Apply, it is safe from any goroutine and returns at once after Run stopped.
func (t *Topology) Record(e Event) {
	select {
	case t.in <- message{event: &e}:
	case <-t.done:
	}
}

// RecordInternetLoss queues BGP's verdict on the internet: lost is true
// when no PFAI router's default route is left among the routes vigie
// receives. While it holds, the failed links that ride the internet are
// explained by the internet (cause_kind and cause "internet"), once,
// rather than each site by its own tunnel. Safe from any goroutine.
func (t *Topology) RecordInternetLoss(lost bool) {
	select {
	case t.in <- message{internet: &lost}:
	case <-t.done:
	}
}

// Sync waits until every poll queued before it has been applied, the
// resilience analysis is up to date (debounce skipped) and the store
// flushed. Tests and the end-to-end harness call it; it returns ctx's error
// if ctx ends first or errStopped once Run has stopped.
func (t *Topology) Sync(ctx context.Context) error {
	b := make(chan struct{})
	select {
	case t.in <- message{barrier: b}:
	case <-t.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-b:
		return nil
	case <-t.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errStopped = errors.New("topology: Run has stopped")

// Run owns the writer goroutine until ctx ends: it applies queued polls in
// batches, flushes the store every FlushInterval or FlushChanges changes,
// and re-runs the resilience analysis, at most once per Debounce, when the
// failed set changed. It flushes the store one last time before it returns.
func (t *Topology) Run(ctx context.Context) error {
	defer close(t.done)
	flush := time.NewTicker(t.opts.FlushInterval)
	defer flush.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	armed := false
	for {
		select {
		case <-ctx.Done():
			// What was queued before the stop (polls, BGP events) is
			// applied and written too: a SIGTERM loses nothing vigie had
			// already received. The queue is bounded, so this is too.
			for len(t.in) > 0 {
				for _, b := range t.applyQueued(<-t.in) {
					close(b)
				}
			}
			if t.availDirty {
				t.updateAvailability(t.opts.Now())
			}
			t.beat(t.opts.Now(), true)
			t.flushStore()
			return nil
		case msg := <-t.in:
			barriers := t.applyQueued(msg)
			if len(t.partitions) > 0 {
				t.settlePartitions()
			}
			if t.availDirty && !t.failDirty {
				// A site's first verdict that changed no failure: the
				// published analysis already holds its state.
				t.updateAvailability(t.opts.Now())
			}
			if len(barriers) > 0 {
				if t.failDirty {
					t.runAnalysis(t.opts.Now())
				}
				if t.availDirty {
					t.updateAvailability(t.opts.Now())
				}
				t.beat(t.opts.Now(), true)
				t.flushStore()
				for _, b := range barriers {
					close(b)
				}
				continue
			}
			if t.staged >= t.opts.FlushChanges {
				t.flushStore()
			}
			if t.failDirty && !armed {
				wait := t.opts.Debounce - time.Since(t.lastAnalyse)
				debounce.Reset(max(wait, 0))
				armed = true
			}
		case <-debounce.C:
			armed = false
			if t.failDirty {
				t.runAnalysis(t.opts.Now())
			}
		case <-flush.C:
			t.beat(t.opts.Now(), false)
			t.flushStore()
		}
	}
}

// applyQueued applies msg and what is queued behind it, up to 1,000
// messages under one lock, stages the changes for the store and returns the
// barriers met on the way.
func (t *Topology) applyQueued(msg message) (barriers []chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for n := 0; ; n++ {
		if t.apart(msg.poll) {
			// A replay: analyse what is pending before a poll made a
			// Debounce away from it (clock.go).
			t.mu.Unlock()
			t.analysePending()
			t.mu.Lock()
		}
		due, live := t.analysisDue(), t.availDirty
		switch {
		case msg.barrier != nil:
			barriers = append(barriers, msg.barrier)
		case msg.event != nil:
			t.emit(*msg.event)
		case msg.routes != nil:
			t.applyRouting(msg.routes, msg.routesAt)
		case msg.ics != nil:
			t.applyInterconnects(msg.ics, msg.routesAt)
		case msg.unobserve != nil:
			t.applyUnobserve(msg.unobserve)
		case msg.partition != nil:
			t.partitions = append(t.partitions, msg.partition)
		case msg.vouch != nil:
			t.applyVouch(msg.vouch)
		case msg.internet != nil:
			if *msg.internet != t.internetLost {
				t.internetLost = *msg.internet
				t.failDirty = true
			}
		default:
			t.applyPoll(msg.poll)
		}
		t.noteDue(&msg, due, live)
		if n == 1000 || len(t.in) == 0 {
			break
		}
		msg = <-t.in
	}
	t.persist()
	return barriers
}

// emit records an event: in-memory history, store, change counter.
func (t *Topology) emit(e Event) {
	t.events.add(e)
	t.m.changes.WithLabelValues(string(e.Kind)).Inc()
	if t.opts.Store != nil {
		t.opts.Store.AddEvent(store.Event{Time: e.Time, Kind: string(e.Kind), Subject: e.Subject, From: e.From, To: e.To, Detail: e.Detail})
		t.staged++
	}
	t.log.Debug("topology change", "kind", e.Kind, "subject", e.Subject, "from", e.From, "to", e.To, "detail", e.Detail)
}

// failuresChanged notes that the failed set may have changed because of
// link id ("" for a device).
func (t *Topology) failuresChanged(id string) {
	t.failDirty = true
	t.changed[id] = struct{}{}
}

// persist stages dirty devices and links in the store.
func (t *Topology) persist() {
	for l := range t.dirtyLinks {
		l.dirty = false
		if t.opts.Store != nil {
			if t.st.links[l.id] == l { // not removed since, nor replaced by a new link of that id
				t.opts.Store.PutLink(l.record())
				t.staged++
			}
		}
	}
	clear(t.dirtyLinks)
	for _, d := range t.dirtyDevices {
		d.dirty = false
		if t.opts.Store != nil && d.inv != nil {
			t.opts.Store.PutDevice(d.record())
			t.staged++
		}
	}
	clear(t.dirtyDevices) // drop the pointers: the backing array is reused
	t.dirtyDevices = t.dirtyDevices[:0]
}

// markDirty lists d for the next persist.
func (t *Topology) markDirty(d *device) {
	if !d.dirty {
		d.dirty = true
		t.dirtyDevices = append(t.dirtyDevices, d)
	}
}

func (t *Topology) flushStore() {
	if t.opts.Store == nil || t.staged == 0 {
		return
	}
	if err := t.opts.Store.Flush(); err != nil {
		// The store logs and counts it, and keeps the batch for the next
		// tick; the model goes on serving from memory.
		return
	}
	t.staged = 0
}

// failures computes the live failure set, sorted.
func (t *Topology) failures() failureSet {
	f := failureSet{InternetLost: t.internetLost}
	for _, d := range t.st.devices {
		if d.inv != nil && d.state == DeviceUnreachable {
			f.Devices = append(f.Devices, d.name)
		}
	}
	for _, l := range t.st.links {
		if !l.declared || l.state != LinkDown {
			continue
		}
		if t.endUnreachable(&l.a) || t.endUnreachable(&l.b) {
			continue
		}
		f.Links = append(f.Links, l.id)
	}
	slices.Sort(f.Devices)
	slices.Sort(f.Links)
	return f
}

func (t *Topology) endUnreachable(e *end) bool {
	d := t.st.devices[e.device]
	return d != nil && d.state == DeviceUnreachable
}

// runAnalysis analyses the live failures and publishes the result and the
// metrics built from it. It runs on the writer goroutine (or in New).
func (t *Topology) runAnalysis(now time.Time) {
	t.mu.RLock()
	f := t.failures()
	t.mu.RUnlock()
	changed := ""
	if len(t.changed) == 1 {
		for id := range t.changed {
			changed = id
		}
	}
	prev := t.analysis.Load()
	t.failDirty = false
	clear(t.changed)
	t.lastAnalyse = time.Now()
	if prev != nil && f.equal(t.failed) && !t.rt.dirty && !t.obsDirty {
		if t.availDirty {
			t.updateAvailability(now)
		}
		t.analysed()
		return // a flap that came back before the debounce fired
	}
	var a *Analysis
	if prev != nil && f.equal(t.failed) && !t.rt.dirty {
		// Only which devices are observed changed (clock.go).
		a = overlay(prev, now)
	} else {
		start := time.Now()
		var err error
		a, err = t.eng.analyze(f, changed)
		took := time.Since(start)
		if err != nil {
			t.log.Error("resilience analysis failed; serving the previous one", "err", err)
			return
		}
		t.m.analysisDuration.Observe(took.Seconds())
		a.Time, a.Duration = now, took
		t.routingVerdicts(a)
	}
	a.index()
	t.unobservedSites(a)
	dated := prev
	if dated == nil {
		dated, t.adopted = t.adopted, nil // the first analysis after a reload
	}
	at := t.dated(now) // now, but on a central (clock.go)
	a.carrySince(dated, at)
	if t.opts.Distributed {
		t.floorSince(a, dated)
	}
	if prev != nil {
		for i := range a.Sites {
			s := &a.Sites[i]
			if p := prev.siteAt(i, s.ID); p != nil && p.State != s.State {
				t.emit(Event{Time: s.Since, Kind: EventSiteState, Subject: s.ID, From: p.State, To: s.State, Detail: s.CauseKind + ":" + s.Cause})
			}
		}
	}
	t.failed = f
	t.analysis.Store(a)
	t.updateAvailability(now)
	t.analysed()
}

// Analysis returns the last published resilience analysis.
func (t *Topology) Analysis() *Analysis { return t.analysis.Load() }

// Events returns up to limit recent events at or after since, oldest first.
func (t *Topology) Events(since time.Time, limit int) []Event { return t.events.since(since, limit) }
