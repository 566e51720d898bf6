package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// PublisherOptions configures a collector's publisher. Zero fields take
// DefaultPublisherOptions' values.
type PublisherOptions struct {
	Connection Connection
	// Collector is the collector's name: its subjects are vigie.obs.NAME.*.
	Collector string
	// Heartbeat is the period of heartbeats (default 10s). The central
	// counts the collector lost after two missed.
	Heartbeat time.Duration
	// QueueBytes bounds the observations kept while NATS does not
	// acknowledge them (default 64 MiB, about 45 minutes of 2,000 devices
	// at the default intervals): past it the oldest are dropped, counted
	// in vigie_observations_dropped_total.
	QueueBytes int
	// Domain is the JetStream domain of the NATS leaf node the collector
	// publishes to ("" = the centrals' NATS); DomainCollectors are the
	// collectors that publish there, whose subjects the leaf's own stream
	// keeps while its link to the centrals is down.
	Domain           string
	DomainCollectors []string
	// Devices is how many devices the collector polls (in heartbeats).
	Devices int
	// Logger receives connection changes and failures (nil: discard).
	Logger *slog.Logger
	// Registerer receives vigie_observations_* (nil: not registered).
	Registerer prometheus.Registerer
}

// DefaultPublisherOptions returns the defaults.
func DefaultPublisherOptions() PublisherOptions {
	return PublisherOptions{Heartbeat: 10 * time.Second, QueueBytes: 64 << 20}
}

// batch is how many observations are published before their
// acknowledgements are awaited: the order of a collector's observations
// in the stream stays that of its polls, even across a reconnection.
const batch = 256

// Publisher encodes a collector's polls and publishes them, with its
// heartbeats, to JetStream. Observe queues (never blocks a poll); Run
// publishes in order, retrying from the first observation not
// acknowledged, so that nothing is lost while the queue holds.
type Publisher struct {
	opts PublisherOptions
	log  *slog.Logger
	m    *pubMetrics

	mu      sync.Mutex
	queue   []outMsg
	head    int
	bytes   int
	wake    chan struct{}
	scratch []snmp.IndexedTotals
	hbSeq   uint64
}

type outMsg struct {
	subject, id string
	data        []byte
}

// NewPublisher checks opts; Run connects.
func NewPublisher(opts PublisherOptions) (*Publisher, error) {
	d := DefaultPublisherOptions()
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = d.Heartbeat
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = d.QueueBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if !validName(opts.Collector) {
		return nil, fmt.Errorf("--collector %q: use lower-case letters, digits, '-' and '_', as in the inventory's collectors: section", opts.Collector)
	}
	p := &Publisher{opts: opts, log: opts.Logger, m: newPubMetrics(), wake: make(chan struct{}, 1)}
	if opts.Registerer != nil {
		if err := p.m.register(opts.Registerer); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Observe queues one poll and the device's state after it. It is the
// collector's OnPoll: quick, and never blocking on NATS.
func (p *Publisher) Observe(poll *snmp.Poll, st *snmp.DeviceState) {
	p.mu.Lock()
	var data []byte
	data, p.scratch = AppendPoll(nil, poll, st, p.scratch)
	p.push(outMsg{subject: PollSubject(p.opts.Collector), id: MsgID(p.opts.Collector, poll.Device, poll.Start), data: data})
	p.mu.Unlock()
}

func (p *Publisher) heartbeat(now time.Time) {
	p.mu.Lock()
	p.hbSeq++
	h := Heartbeat{Time: now, Interval: p.opts.Heartbeat, Devices: p.opts.Devices, Seq: p.hbSeq}
	p.push(outMsg{subject: HeartbeatSubject(p.opts.Collector),
		id: p.opts.Collector + ".hb." + strconv.FormatInt(now.UnixNano(), 36), data: AppendHeartbeat(nil, h)})
	p.mu.Unlock()
}

// push appends m, dropping the oldest past the bound. Called with mu held.
func (p *Publisher) push(m outMsg) {
	p.queue = append(p.queue, m)
	p.bytes += len(m.data)
	for p.bytes > p.opts.QueueBytes && len(p.queue)-p.head > 1 {
		p.bytes -= len(p.queue[p.head].data)
		p.queue[p.head] = outMsg{}
		p.head++
		p.m.dropped.Inc()
	}
	p.m.queued.Set(float64(len(p.queue) - p.head))
	p.m.queueBytes.Set(float64(p.bytes))
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// peek copies up to n queued messages from the head.
func (p *Publisher) peek(dst []outMsg, n int) []outMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	end := min(len(p.queue), p.head+n)
	return append(dst[:0], p.queue[p.head:end]...)
}

// done removes the first n queued messages, which JetStream stored.
func (p *Publisher) done(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < n && p.head < len(p.queue); i++ {
		p.bytes -= len(p.queue[p.head].data)
		p.queue[p.head] = outMsg{}
		p.head++
	}
	// Compact once the dead prefix dominates.
	if p.head > 1024 && p.head*2 > len(p.queue) {
		p.queue = append(p.queue[:0], p.queue[p.head:]...)
		p.head = 0
	}
	p.m.queued.Set(float64(len(p.queue) - p.head))
	p.m.queueBytes.Set(float64(p.bytes))
}

// streamConfig is the stream the collector makes if it is missing: the
// centrals' one, or its leaf node's.
func (p *Publisher) streamConfig() jetstream.StreamConfig {
	if p.opts.Domain != "" {
		cs := p.opts.DomainCollectors
		if !slices.Contains(cs, p.opts.Collector) {
			cs = append(slices.Clone(cs), p.opts.Collector)
		}
		return leafStreamConfig(cs)
	}
	return streamConfig(nil)
}

// Run connects to NATS and publishes until ctx ends; a connection lost
// meanwhile is retried for ever while the queue buffers. On the way out
// it tries, for a few seconds, to publish what is queued.
func (p *Publisher) Run(ctx context.Context) error {
	nc, js, err := p.opts.Connection.open("vigie collect "+p.opts.Collector, p.m.connected,
		"observations are queued until it comes back", p.log)
	if err != nil {
		return err
	}
	if p.opts.Domain != "" {
		// The leaf node's own JetStream, by its domain: its stream keeps
		// what the collector publishes while the cable is down.
		if js, err = jetstream.NewWithDomain(nc, p.opts.Domain); err != nil {
			nc.Close()
			return err
		}
	}
	defer nc.Close()
	// The central normally creates the stream; a collector started first
	// does, if its credentials allow it.
	ensured, tried := false, time.Time{}
	tick := time.NewTicker(p.opts.Heartbeat)
	defer tick.Stop()
	p.heartbeat(time.Now())
	var buf []outMsg
	var logged time.Time
	for {
		// A collector's credentials may not allow it (permissions give it
		// its own subjects only): try once a minute, never in the way.
		if !ensured && nc.IsConnected() && time.Since(tried) > time.Minute {
			tried = time.Now()
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := ensureStream(sctx, js, p.streamConfig())
			cancel()
			ensured = err == nil || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount)
		}
		buf = p.peek(buf, batch)
		if len(buf) > 0 && nc.IsConnected() {
			n, err := p.publish(ctx, js, buf)
			p.done(n)
			if err != nil && ctx.Err() == nil {
				p.m.errors.Inc()
				if time.Since(logged) > time.Minute {
					logged = time.Now()
					p.log.Warn("publishing observations failed; retrying, they stay queued", "queued", len(buf)-n, "err", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			if n == len(buf) && ctx.Err() == nil {
				continue
			}
		}
		select {
		case <-ctx.Done():
			p.flush(js, nc)
			return nil
		case <-p.wake:
		case now := <-tick.C:
			p.heartbeat(now)
		case <-time.After(time.Second):
			// Reconnected meanwhile: try again.
		}
	}
}

// publish sends msgs and waits for their acknowledgements; it returns how
// many from the first were stored (a failed one and those after it are
// retried, and JetStream drops those it already stored by their id).
func (p *Publisher) publish(ctx context.Context, js jetstream.JetStream, msgs []outMsg) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var sendErr error
	for _, m := range msgs {
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: m.subject, Data: m.data}, jetstream.WithMsgID(m.id))
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
			p.m.published.Inc()
			p.m.bytes.Add(float64(len(msgs[i].data)))
		case err := <-f.Err():
			return i, err
		case <-timeout.C:
			return i, errors.New("no acknowledgement from JetStream within 10s")
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(futures), sendErr
}

// flush publishes what is queued at shutdown, for at most 5 seconds.
func (p *Publisher) flush(js jetstream.JetStream, nc *nats.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var buf []outMsg
	for nc.IsConnected() && ctx.Err() == nil {
		buf = p.peek(buf, batch)
		if len(buf) == 0 {
			return
		}
		n, err := p.publish(ctx, js, buf)
		p.done(n)
		if err != nil {
			break
		}
	}
	if left := p.Queued(); left > 0 {
		p.log.Warn("stopping with observations not published", "queued", left)
	}
}

// Queued returns how many observations wait for JetStream.
func (p *Publisher) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) - p.head
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))) {
			return false
		}
	}
	return true
}
