package observe

// witness.go: a second collector vouching for a lost one's devices. The
// inventory names, for a collector X, its witnesses: collectors that reach
// X's devices by another path (docs/distributed.md, "Witnesses"). A
// witness listens to X's heartbeats (a plain NATS subscription: what X
// publishes to JetStream reaches plain subscribers too); when it has heard
// none for two of X's periods, and is itself connected to NATS, it probes
// X's devices (one SNMP Get each, bounded concurrency) every probe period
// and publishes, on its own subject, which it reaches. It stops when X's
// heartbeats come back. The central, while it has lost X too, reports the
// devices a witness reaches as alive locally; a verdict older than two
// probe periods, or about a collector it has not lost, is ignored.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// KindWitness is a witness's report on a lost collector's devices.
const KindWitness Kind = 4

// WitnessSubject is the subject a witness publishes its reports on: its
// own, which its credentials allow.
func WitnessSubject(collector string) string { return SubjectPrefix + collector + ".witness" }

// WitnessReport is one probe round of a witness over a lost collector's
// devices.
type WitnessReport struct {
	// Time is when the round ended; Interval the probe period: a report
	// older than two periods says nothing any more.
	Time     time.Time
	Interval time.Duration
	// Of is the lost collector the witness vouches for.
	Of string
	// Probed is how many devices were probed, Reachable those that
	// answered (sorted).
	Probed    int
	Reachable []string
}

// AppendWitness appends the encoding of r to dst.
func AppendWitness(dst []byte, r WitnessReport) []byte {
	e := enc{b: append(dst, Version, byte(KindWitness))}
	e.i(r.Time.UnixNano())
	e.u(uint64(r.Interval))
	e.s(r.Of)
	e.u(uint64(r.Probed))
	e.n(len(r.Reachable), false)
	for _, d := range r.Reachable {
		e.s(d)
	}
	return e.b
}

// DecodeWitness reads a report written by AppendWitness.
func DecodeWitness(b []byte) (WitnessReport, error) {
	if k, err := Decode(b); err != nil {
		return WitnessReport{}, err
	} else if k != KindWitness {
		return WitnessReport{}, fmt.Errorf("observation kind %d, want a witness report", k)
	}
	d := dec{b: b[2:]}
	r := WitnessReport{Time: time.Unix(0, d.i()), Interval: time.Duration(min(d.u(), math.MaxInt64)), Of: d.s(),
		Probed: int(min(d.u(), math.MaxInt32))}
	// A name takes at least its length byte.
	if n, _ := d.count(1); n > 0 {
		r.Reachable = make([]string, 0, n)
		for range n {
			r.Reachable = append(r.Reachable, d.s())
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes after the witness report")
	}
	if d.err == nil && !validName(r.Of) {
		d.fail("a witness report on no valid collector name")
	}
	if d.err == nil && len(r.Reachable) > r.Probed {
		d.fail("a witness report with more devices reachable than probed")
	}
	if d.err != nil {
		return WitnessReport{}, fmt.Errorf("witness report: %w", d.err)
	}
	return r, nil
}

// Witness publishes a report through the publisher's queue: in order with
// the collector's other observations, kept while NATS is unreachable.
func (p *Publisher) Witness(r WitnessReport) {
	p.mu.Lock()
	p.push(outMsg{subject: WitnessSubject(p.opts.Collector),
		id:   p.opts.Collector + ".w." + r.Of + "." + strconv.FormatInt(r.Time.UnixNano(), 36),
		data: AppendWitness(nil, r)})
	p.mu.Unlock()
}

// WitnessOptions configures a collector's witness.
type WitnessOptions struct {
	Connection Connection
	// Collector is the witness's own name.
	Collector string
	// Of lists, for each collector this one vouches for, its devices.
	Of map[string][]string
	// Probe tells whether a device answers (one SNMP Get); it must return
	// within its own timeout.
	Probe func(ctx context.Context, device string) bool
	// Interval is the probe period (the poll interval); Heartbeat the
	// period assumed for a collector not heard yet (the witness's own).
	Interval, Heartbeat time.Duration
	// Concurrency bounds the probes at once (default 32).
	Concurrency int
	// Publisher carries the reports.
	Publisher *Publisher
	Logger    *slog.Logger
	// Registerer receives vigie_observations_witness_reachable_devices.
	Registerer prometheus.Registerer
}

// Witness watches the heartbeats of the collectors it vouches for and
// probes the devices of those lost.
type Witness struct {
	opts      WitnessOptions
	log       *slog.Logger
	reachable *prometheus.GaugeVec
	listening *prometheus.GaugeVec

	mu    sync.Mutex
	heard map[string]time.Time
	every map[string]time.Duration
	// refused holds the collectors whose heartbeat subscription the NATS
	// server refuses (its permissions): their silence proves nothing.
	refused map[string]bool
}

func newWitnessGauge() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_witness_reachable_devices",
		Help: "Devices of a collector this witness vouches for that answered its last probe round: present only while that collector's heartbeats are missing."},
		[]string{"collector"})
}

func newListeningGauge() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigie_observations_witness_listening",
		Help: "1 while this witness is subscribed to the heartbeats of a collector it vouches for, 0 while the NATS server refuses that subscription (its permissions lack the subject): it cannot tell that collector lost and does not probe for it."},
		[]string{"collector"})
}

// NewWitness checks opts; Run listens and probes.
func NewWitness(opts WitnessOptions) (*Witness, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.Interval <= 0 || opts.Heartbeat <= 0 || opts.Probe == nil || opts.Publisher == nil {
		return nil, fmt.Errorf("witness %s: a probe, a publisher and positive periods are needed", opts.Collector)
	}
	w := &Witness{opts: opts, log: opts.Logger, reachable: newWitnessGauge(), listening: newListeningGauge(),
		heard: map[string]time.Time{}, every: map[string]time.Duration{}, refused: map[string]bool{}}
	if opts.Registerer != nil {
		for _, g := range []prometheus.Collector{w.reachable, w.listening} {
			if err := opts.Registerer.Register(g); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// onServerError handles the server's asynchronous errors on the witness's
// connection. A refused heartbeat subscription is logged once, with what
// to add to the server's configuration, until the subscription holds.
func (w *Witness) onServerError(err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		for of := range w.opts.Of {
			subj := HeartbeatSubject(of)
			if !strings.Contains(err.Error(), `"`+subj+`"`) {
				continue
			}
			w.listening.WithLabelValues(of).Set(0)
			w.mu.Lock()
			was := w.refused[of]
			w.refused[of] = true
			w.mu.Unlock()
			if !was {
				w.log.Error(`NATS refuses this witness the heartbeats of a collector it vouches for: it cannot tell that collector lost and does not probe its devices; add the subject to this user's "subscribe: {allow: [...]}" in the server's authorization and reload the server (docs/distributed.md, "Security"); the witness retries by itself`,
					"collector", of, "subject", subj, "witness", w.opts.Collector, "err", err)
			}
			return
		}
	}
	w.log.Warn("NATS server error", "err", err)
}

// isRefused tells whether the server refuses the subscription to of's
// heartbeats.
func (w *Witness) isRefused(of string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused[of]
}

// resubscribe tries again a subscription the server refused: fixing its
// permissions and reloading it (nats-server --signal reload) is then
// enough, without restarting the witness. The server answers a refused
// subscription before the PONG of Flush, so that once Flush returns a new
// refusal is the connection's last error.
func (w *Witness) resubscribe(nc *nats.Conn, of string, sub **nats.Subscription) {
	if *sub != nil {
		_ = (*sub).Unsubscribe()
	}
	before := nc.LastError()
	s, err := nc.Subscribe(HeartbeatSubject(of), func(m *nats.Msg) { w.onHeartbeat(of, m.Data) })
	if err != nil {
		return
	}
	*sub = s
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		return
	}
	if last := nc.LastError(); last != before && errors.Is(last, nats.ErrPermissionViolation) &&
		strings.Contains(last.Error(), `"`+HeartbeatSubject(of)+`"`) {
		return
	}
	w.mu.Lock()
	w.refused[of] = false
	w.heard[of] = time.Now() // a grace of two periods from now
	w.mu.Unlock()
	w.listening.WithLabelValues(of).Set(1)
	w.log.Info("witness: the NATS server now allows the subscription to a collector's heartbeats", "collector", of,
		"subject", HeartbeatSubject(of))
}

// Run listens to the heartbeats until ctx ends and, for each collector
// lost, probes its devices.
func (w *Witness) Run(ctx context.Context) error {
	conn := w.opts.Connection
	if conn.Name == "" {
		conn.Name = "vigie collect " + w.opts.Collector + " (witness)"
	}
	// A later option wins: this connection's server errors come here.
	conn.Options = append(slices.Clone(conn.Options), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		w.onServerError(err)
	}))
	nc, err := conn.connect(func(bool) {}, w.log) // the publisher logs the connection's changes
	if err != nil {
		return err
	}
	defer nc.Close()
	w.mu.Lock()
	for of := range w.opts.Of {
		w.heard[of] = time.Now() // a grace of two periods from the start
	}
	w.mu.Unlock()
	subs := map[string]*nats.Subscription{}
	for of := range w.opts.Of {
		w.listening.WithLabelValues(of).Set(1) // until the server refuses it
		sub, err := nc.Subscribe(HeartbeatSubject(of), func(m *nats.Msg) { w.onHeartbeat(of, m.Data) })
		if err != nil {
			return fmt.Errorf("witness: subscribing to %s: %w", HeartbeatSubject(of), err)
		}
		subs[of] = sub
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, of := range slices.Sorted(maps.Keys(w.opts.Of)) {
		wg.Add(1)
		sub := subs[of]
		go func() {
			defer wg.Done()
			w.watch(ctx, nc, of, &sub)
		}()
	}
	w.log.Info("witness listening", "vouches_for", slices.Sorted(maps.Keys(w.opts.Of)))
	<-ctx.Done()
	return nil
}

func (w *Witness) onHeartbeat(of string, data []byte) {
	h, err := DecodeHeartbeat(data)
	if err != nil {
		return // the central counts what it cannot read
	}
	w.mu.Lock()
	w.heard[of] = time.Now() // its arrival: a replayed heartbeat says it is back
	if h.Interval > 0 {
		w.every[of] = h.Interval
	}
	w.mu.Unlock()
}

// lost reports whether of has missed two heartbeat periods at now.
func (w *Witness) lost(of string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	every := w.every[of]
	if every <= 0 {
		every = w.opts.Heartbeat
	}
	return now.Sub(w.heard[of]) > lostAfter*every
}

// watch probes of's devices every Interval while of is lost and this
// witness is connected (cut itself, it would hear no one: that proves
// nothing).
func (w *Witness) watch(ctx context.Context, nc *nats.Conn, of string, sub **nats.Subscription) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	probing, next, retry := false, time.Time{}, time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			refused := w.isRefused(of)
			if refused && nc.IsConnected() && !now.Before(retry) {
				retry = now.Add(min(w.opts.Interval, time.Minute))
				w.resubscribe(nc, of, sub)
				refused = w.isRefused(of)
			}
			lost := nc.IsConnected() && !refused && w.lost(of, now)
			if !lost {
				if probing {
					probing = false
					w.reachable.DeleteLabelValues(of)
					why := "collector heard again"
					if refused {
						why = "the server refuses its heartbeats"
					}
					w.log.Info("witness: "+why+"; probing stopped", "collector", of)
				}
				continue
			}
			if !probing {
				probing, next = true, now
				w.log.Warn("witness: no heartbeat from a collector for two periods; probing its devices", "collector", of,
					"devices", len(w.opts.Of[of]))
			}
			if now.Before(next) {
				continue
			}
			next = now.Add(w.opts.Interval)
			r := w.Round(ctx, of)
			if ctx.Err() != nil {
				return
			}
			w.reachable.WithLabelValues(of).Set(float64(len(r.Reachable)))
			w.opts.Publisher.Witness(r)
		}
	}
}

// Round probes every device of of, Concurrency at once: what Run does
// every Interval while of is lost.
func (w *Witness) Round(ctx context.Context, of string) WitnessReport {
	devs := w.opts.Of[of]
	ok := make([]bool, len(devs))
	sem := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	for i, d := range devs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok[i] = w.opts.Probe(ctx, d)
		}()
	}
	wg.Wait()
	r := WitnessReport{Time: time.Now(), Interval: w.opts.Interval, Of: of, Probed: len(devs)}
	for i, d := range devs {
		if ok[i] {
			r.Reachable = append(r.Reachable, d)
		}
	}
	slices.Sort(r.Reachable)
	return r
}

// witnessed is a central's record of the witnesses' verdicts: for each
// lost collector, what each witness reaches. Guarded by Consumer.mu.
type witnessed struct {
	verdicts map[string]map[string]verdict // lost collector -> witness
	// pending holds the last fresh report of each witness on a collector
	// this central does not count lost (yet): the witness may see the
	// heartbeats missing a moment before the central does.
	pending map[[2]string]WitnessReport // {collector, witness}
	// refusedLogged rate-limits the log of refused witnesses.
	refusedLogged time.Time
	// onWitness hears each verdict, and its withdrawal (alive nil).
	onWitness func(collector, witness string, alive []string) bool
}

type verdict struct {
	at       time.Time // arrival
	interval time.Duration
}

// OnWitness sets fn to hear what a witness reaches of a collector this
// central has lost, at each of its reports, and nil alive when the verdict
// is withdrawn (the collector heard again, or the witness silent for two
// probe periods). fn returns false to refuse a witness the inventory does
// not name for that collector. It runs in the message handler or the
// watch loop and must not block. The daemon of each configuration sets it
// before Run.
func (c *Consumer) OnWitness(fn func(collector, witness string, alive []string) bool) {
	c.mu.Lock()
	c.wit.onWitness = fn
	c.mu.Unlock()
}

// witnessReport applies a report that witness published. It runs in the
// message handler.
func (c *Consumer) witnessReport(witness string, data []byte) {
	r, err := DecodeWitness(data)
	if err != nil {
		c.bad(witness, err)
		return
	}
	c.m.received.WithLabelValues(witness, "witness").Inc()
	now := time.Now()
	c.mu.Lock()
	s := c.seen[r.Of]
	// A report replayed late says nothing about now; one on a collector
	// this central hears waits (pending) in case it counts it lost soon.
	fresh := now.Sub(r.Time) <= lostAfter*r.Interval
	if !fresh || r.Of == witness {
		c.mu.Unlock()
		return
	}
	if s == nil || !s.lost {
		if c.wit.pending == nil {
			c.wit.pending = map[[2]string]WitnessReport{}
		}
		c.wit.pending[[2]string{r.Of, witness}] = r
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.accept(witness, r, now)
}

// pendingReport is a witness's report waiting for the central to count
// its collector lost.
type pendingReport struct {
	witness string
	r       WitnessReport
}

// pendingFor takes the fresh pending reports on the collectors just
// counted lost, and drops the stale ones. Called with c.mu held.
func (c *Consumer) pendingFor(lost []string, now time.Time) []pendingReport {
	var out []pendingReport
	for k, r := range c.wit.pending {
		if now.Sub(r.Time) > lostAfter*r.Interval {
			delete(c.wit.pending, k)
			continue
		}
		for _, name := range lost {
			if k[0] == name {
				out = append(out, pendingReport{witness: k[1], r: r})
				delete(c.wit.pending, k)
			}
		}
	}
	return out
}

// accept hands a fresh report on a lost collector to the daemon and keeps
// its verdict.
func (c *Consumer) accept(witness string, r WitnessReport, now time.Time) {
	c.mu.Lock()
	fn := c.wit.onWitness
	c.mu.Unlock()
	if fn == nil {
		return
	}
	if !fn(r.Of, witness, r.Reachable) {
		c.refusedWitness(witness, r.Of)
		return
	}
	c.mu.Lock()
	if c.wit.verdicts == nil {
		c.wit.verdicts = map[string]map[string]verdict{}
	}
	if c.wit.verdicts[r.Of] == nil {
		c.wit.verdicts[r.Of] = map[string]verdict{}
	}
	if _, had := c.wit.verdicts[r.Of][witness]; !had {
		c.log.Warn("a witness reaches devices of a lost collector: they are alive locally, partitioned from the centre",
			"collector", r.Of, "witness", witness, "reachable", len(r.Reachable), "probed", r.Probed)
	}
	c.wit.verdicts[r.Of][witness] = verdict{at: now, interval: r.Interval}
	c.m.vouched.WithLabelValues(r.Of, witness).Set(float64(len(r.Reachable)))
	c.mu.Unlock()
}

func (c *Consumer) refusedWitness(witness, of string) {
	c.m.invalid.Inc()
	c.mu.Lock()
	now, last := time.Now(), c.wit.refusedLogged
	if now.Sub(last) >= time.Minute {
		c.wit.refusedLogged = now
	}
	c.mu.Unlock()
	if now.Sub(last) >= time.Minute {
		c.log.Warn("witness report refused (counted in vigie_observations_invalid_total): the inventory does not name this witness for the collector; add it to the collector's witnesses:",
			"collector", of, "witness", witness)
	}
}

// unvouch forgets the verdicts on collector, heard again (its own polls
// tell from now on), and returns them for withdraw. Called with c.mu held.
func (c *Consumer) unvouch(collector string) [][2]string {
	var out [][2]string
	for w := range c.wit.verdicts[collector] {
		c.m.vouched.DeleteLabelValues(collector, w)
		out = append(out, [2]string{collector, w})
	}
	delete(c.wit.verdicts, collector)
	return out
}

// expireVerdicts forgets the verdicts of witnesses silent for two probe
// periods and returns them. Called with c.mu held.
func (c *Consumer) expireVerdicts(now time.Time) [][2]string {
	var out [][2]string
	for of, ws := range c.wit.verdicts {
		for w, v := range ws {
			if now.Sub(v.at) > lostAfter*v.interval {
				delete(ws, w)
				c.m.vouched.DeleteLabelValues(of, w)
				out = append(out, [2]string{of, w})
			}
		}
		if len(ws) == 0 {
			delete(c.wit.verdicts, of)
		}
	}
	return out
}

// withdraw tells the daemon of the verdicts withdrawn, logging why (if
// not "").
func (c *Consumer) withdraw(expired [][2]string, why string) {
	if len(expired) == 0 {
		return
	}
	c.mu.Lock()
	fn := c.wit.onWitness
	c.mu.Unlock()
	for _, x := range expired {
		if why != "" {
			c.log.Warn(why, "collector", x[0], "witness", x[1])
		}
		if fn != nil {
			fn(x[0], x[1], nil)
		}
	}
}
