package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// ConsumerOptions configures a central's consumer.
type ConsumerOptions struct {
	Connection Connection
	// Durable names the central's durable consumer: each central has its
	// own, so that two centrals each see every observation, and one
	// restarted resumes where it stopped.
	Durable string
	// SourceDomains are the JetStream domains of the leaf nodes that
	// collectors publish to (inventory JetStreamDomains): the stream
	// sources each one's.
	SourceDomains []string
	// Logger receives connection changes and bad messages (nil: discard).
	Logger *slog.Logger
}

// Consumer reads every collector's observations from JetStream and hands
// each poll, with the device's state as its collector had it, to the same
// path as a local collector's polls.
type Consumer struct {
	opts ConsumerOptions
	log  *slog.Logger
	m    *conMetrics

	// Owned by the message handler (JetStream calls it for one message
	// at a time).
	states map[string]*snmp.DeviceState
	last   map[string]time.Time // device -> Start of the last poll applied

	badLogged time.Time

	mu         sync.Mutex
	heartbeats map[string]Heartbeat
	seen       map[string]*seenCollector
	// onPartition hears what a lost collector's replay showed (partition.go).
	onPartition func(collector string, from, to time.Time, alive []string)
	// onBGP hears the BGP Views of the collector running the sessions (bgp.go).
	onBGP func(collector string, v *bgp.View)
	// wit holds the witnesses' verdicts on lost collectors (witness.go).
	wit witnessed
}

// seenCollector is when a collector was last heard from, and whether it
// is counted lost.
type seenCollector struct {
	at       time.Time
	interval time.Duration
	lost     bool
	lostAt   time.Time
	// replay is set from the moment a lost collector is heard again until
	// its replay reaches that moment (partition.go).
	replay *replay
}

// NewConsumer checks opts; Run connects.
func NewConsumer(opts ConsumerOptions) (*Consumer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if !validName(opts.Durable) {
		return nil, fmt.Errorf("--observations.consumer %q: name this central with lower-case letters, digits, '-' and '_' (each central needs its own, e.g. central-a)", opts.Durable)
	}
	return &Consumer{opts: opts, log: opts.Logger, m: newConMetrics(), states: map[string]*snmp.DeviceState{},
		last: map[string]time.Time{}, heartbeats: map[string]Heartbeat{}, seen: map[string]*seenCollector{}}, nil
}

// ackEvery is how many messages are handled before they are acknowledged
// together (AckAll); a timer acknowledges a quieter stream.
const ackEvery = 256

// Run consumes until ctx ends, handing polls to onPoll (one at a time).
// It may be called again after it returns (a reload): the durable
// consumer resumes after the last acknowledged observation.
func (c *Consumer) Run(ctx context.Context, onPoll func(*snmp.Poll, *snmp.DeviceState), onCollector func(string, bool)) error {
	// A daemon that replaces another (a reload) learns which collectors
	// are lost.
	c.mu.Lock()
	for name, s := range c.seen {
		if s.lost {
			onCollector(name, false)
		}
	}
	c.mu.Unlock()
	nc, js, err := c.opts.Connection.open("vigie run "+c.opts.Durable, c.m.connected,
		"observations wait in JetStream until it comes back", c.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	var cons jetstream.Consumer
	for attempt := 0; ; attempt++ {
		cons, err = c.consumer(ctx, js)
		if err == nil {
			break
		}
		if attempt%30 == 0 {
			c.log.Warn("cannot attach to the observation stream yet; retrying", "stream", StreamName, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	c.seedHeartbeats(ctx, js) // seed.go

	var mu sync.Mutex
	var pending jetstream.Msg
	n := 0
	ack := func() {
		if pending != nil {
			_ = pending.Ack()
			pending, n = nil, 0
		}
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		c.handle(msg, onPoll, onCollector)
		mu.Lock()
		pending = msg
		if n++; n >= ackEvery {
			ack()
		}
		mu.Unlock()
	}, jetstream.PullMaxMessages(2*ackEvery), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, nats.ErrConnectionClosed) {
			c.log.Debug("consuming observations", "err", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("consuming %s: %w", StreamName, err)
	}
	c.log.Info("consuming observations", "stream", StreamName, "consumer", c.opts.Durable)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			cc.Stop()
			select {
			case <-cc.Closed():
			case <-time.After(5 * time.Second):
			}
			mu.Lock()
			ack()
			mu.Unlock()
			return nil
		case now := <-t.C:
			mu.Lock()
			ack()
			mu.Unlock()
			c.watch(now, onCollector)
		}
	}
}

// SetSourceDomains replaces the leaf nodes' JetStream domains the stream
// sources: a reloaded inventory's (JetStreamDomains). The next Run (the
// reloaded daemon's) adds the sources the stream lacks; none is removed.
func (c *Consumer) SetSourceDomains(domains []string) {
	c.mu.Lock()
	c.opts.SourceDomains = slices.Clone(domains)
	c.mu.Unlock()
}

func (c *Consumer) consumer(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.mu.Lock()
	domains := c.opts.SourceDomains
	c.mu.Unlock()
	if _, err := ensureStream(sctx, js, streamConfig(domains)); err != nil {
		return nil, err
	}
	return js.CreateOrUpdateConsumer(sctx, StreamName, jetstream.ConsumerConfig{
		Durable:       c.opts.Durable,
		Description:   "vigie central " + c.opts.Durable,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       time.Minute,
		MaxAckPending: 16 * ackEvery,
		FilterSubject: SubjectPrefix + ">",
	})
}

// handle applies one message. A collector is known by its subject, which
// the server's permissions tie to its credentials, never by the payload.
func (c *Consumer) handle(msg jetstream.Msg, onPoll func(*snmp.Poll, *snmp.DeviceState), onCollector func(string, bool)) {
	collector, kind, ok := collectorOf(msg.Subject())
	if !ok {
		c.m.invalid.Inc()
		return
	}
	c.heard(collector, time.Now(), onCollector)
	data := msg.Data()
	switch kind {
	case "poll":
		o, err := DecodePoll(data)
		if err != nil {
			c.bad(collector, err)
			return
		}
		c.m.received.WithLabelValues(collector, "poll").Inc()
		dev := o.Poll.Device
		if last, seen := c.last[dev]; seen && !o.Poll.Start.After(last) {
			c.m.duplicates.Inc()
			return
		}
		c.last[dev] = o.Poll.Start
		st := c.states[dev]
		if st == nil {
			st = snmp.NewDeviceState()
			c.states[dev] = st
		}
		st.SetRemote(o.Reboots, o.Discontinuities, o.Totals)
		onPoll(&o.Poll, st)
		c.replayed(collector, dev, o.Poll.Start, o.Poll.Err == nil, true, 0)
	case "hb":
		h, err := DecodeHeartbeat(data)
		if err != nil {
			c.bad(collector, err)
			return
		}
		c.m.received.WithLabelValues(collector, "heartbeat").Inc()
		c.mu.Lock()
		if h.Interval > 0 {
			c.seen[collector].interval = h.Interval
		}
		if prev, ok := c.heartbeats[collector]; !ok || h.Time.After(prev.Time) {
			c.heartbeats[collector] = h
			c.m.heartbeat.WithLabelValues(collector).Set(float64(h.Time.UnixNano()) / 1e9)
			c.m.devices.WithLabelValues(collector).Set(float64(h.Devices))
		}
		c.mu.Unlock()
		c.replayed(collector, "", h.Time, true, false, h.Seq)
	case "bgp":
		c.handleBGP(collector, data)
	case "witness":
		c.witnessReport(collector, data)
	default:
		c.m.invalid.Inc()
	}
}

func (c *Consumer) bad(collector string, err error) {
	c.m.invalid.Inc()
	// One line a minute at most: a flood of bad messages is counted.
	if now := time.Now(); now.Sub(c.badLogged) >= time.Minute {
		c.badLogged = now
		c.log.Warn("observation refused (counted in vigie_observations_invalid_total)", "collector", collector, "err", err)
	}
}

// Heartbeats returns each collector's last heartbeat.
func (c *Consumer) Heartbeats() map[string]Heartbeat {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]Heartbeat, len(c.heartbeats))
	for k, v := range c.heartbeats {
		out[k] = v
	}
	return out
}

// lostAfter is how many heartbeat periods without a word from a collector
// make it lost.
const lostAfter = 2

// heard notes a message from collector at now (its arrival: replayed
// observations say the collector is alive again, whatever their age).
func (c *Consumer) heard(collector string, now time.Time, onCollector func(string, bool)) {
	c.mu.Lock()
	s := c.seen[collector]
	if s == nil {
		s = &seenCollector{}
		c.seen[collector] = s
	}
	s.at = now
	back := s.lost
	s.lost = false
	if back {
		s.replay = &replay{from: s.lostAt, to: now, alive: map[string]bool{}, seq: c.heartbeats[collector].Seq}
	}
	var unvouched [][2]string
	if back {
		unvouched = c.unvouch(collector) // witness.go
	}
	c.m.up.WithLabelValues(collector).Set(1)
	c.mu.Unlock()
	c.withdraw(unvouched, "")
	if back {
		c.log.Info("collector heard again", "collector", collector)
		onCollector(collector, true)
	}
}

// watch counts lost the collectors not heard from for lostAfter periods.
// Only a collector whose heartbeat period is known (one heartbeat seen)
// can be lost.
func (c *Consumer) watch(now time.Time, onCollector func(string, bool)) {
	var lost []string
	c.mu.Lock()
	for name, s := range c.seen {
		if !s.lost && s.interval > 0 && now.Sub(s.at) > lostAfter*s.interval {
			s.lost, s.lostAt, s.replay = true, now, nil
			c.m.up.WithLabelValues(name).Set(0)
			lost = append(lost, name)
		}
	}
	expired := c.expireVerdicts(now) // witness.go
	pending := c.pendingFor(lost, now)
	c.mu.Unlock()
	c.withdraw(expired, "a witness has not reported for two probe periods: its verdict is withdrawn")
	for _, name := range lost {
		c.log.Warn("collector lost: no word from it for two heartbeat periods", "collector", name)
		onCollector(name, false)
	}
	for _, p := range pending {
		c.accept(p.witness, p.r, now)
	}
}
