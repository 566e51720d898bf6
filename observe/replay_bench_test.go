package observe

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// replayObservations is 10 minutes of one region's observations: a
// collector of 2,000 devices at the default intervals publishes about 35 a
// second (BENCHMARKS.md, distributed section).
const replayObservations = 35 * 600

// replaySample polls every device of a simulated RIE of 300 sites once and
// returns each first successful poll with its device's state.
func replaySample(b *testing.B) ([]*snmp.Poll, []*snmp.DeviceState) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 300, Seed: 9})
	agent := simtest.Serve(b, inv, snmpagent.Options{Seed: 9, Logger: slog.New(slog.DiscardHandler)})
	sim.SetPort(inv, uint16(agent.Port()))
	inv.Index()
	var mu sync.Mutex
	seen := map[string]bool{}
	var sample []*snmp.Poll
	var states []*snmp.DeviceState
	c, err := collector.New(inv, collector.Options{OnPoll: func(p *snmp.Poll, st *snmp.DeviceState) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[p.Device] && p.Err == nil {
			seen[p.Device] = true
			cp := *p
			sample = append(sample, &cp)
			states = append(states, st)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = c.Run(ctx) }()
	for first := time.Now(); time.Since(first) < 60*time.Second; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(sample)
		mu.Unlock()
		if n >= len(inv.Devices) {
			break
		}
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	if len(sample) == 0 {
		b.Fatal("no poll of the simulated RIE")
	}
	return sample, states
}

// BenchmarkReplay measures the catch-up after a cut: a collector whose
// queue holds 10 minutes of one region's polls (real polls of the
// simulated RIE, dated over the last 10 minutes) connects to a real
// nats-server, and the clock runs until a central's consumer has decoded
// and handed over every one of them (publish in batches of 256 with
// JetStream's acknowledgements, pull consumer, de-duplication). Run it
// under the bench lock:
//
//	go test -tags gosnmp_nodebug -run X -bench Replay -benchtime 1x ./observe
func BenchmarkReplay(b *testing.B) {
	sample, states := replaySample(b)
	srv := natstest.Start(b, natstest.Options{})
	pub, err := NewPublisher(PublisherOptions{Connection: Connection{URL: srv.URL()}, Collector: "reunion"})
	if err != nil {
		b.Fatal(err)
	}
	// The queue a cut left: every poll of the 10 minutes, in order.
	base := time.Now().Add(-10 * time.Minute)
	var bytes int
	for i := range replayObservations {
		p := *sample[i%len(sample)]
		p.Start = base.Add(time.Duration(i) * 10 * time.Minute / replayObservations)
		p.End = p.Start.Add(50 * time.Millisecond)
		pub.Observe(&p, states[i%len(sample)])
	}
	pub.mu.Lock()
	bytes = pub.bytes
	pub.mu.Unlock()
	con, err := NewConsumer(ConsumerOptions{Connection: Connection{URL: srv.URL()}, Durable: "central-a"})
	if err != nil {
		b.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	start := time.Now()
	go func() { _ = pub.Run(rctx) }()
	catchUp(rctx, b, con, start, "replayed")
	b.ReportMetric(float64(bytes)/(1<<20), "queued_MiB")
}

// catchUp runs con until it has handed over replayObservations polls, at
// most 2 minutes, and reports the time since start and the rate.
func catchUp(ctx context.Context, b *testing.B, con *Consumer, start time.Time, what string) {
	var got atomic.Int64
	go func() { _ = con.Run(ctx, func(*snmp.Poll, *snmp.DeviceState) { got.Add(1) }, func(string, bool) {}) }()
	for got.Load() < replayObservations && time.Since(start) < 120*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	if n := got.Load(); n < replayObservations {
		b.Fatalf("only %d of %d observations %s within %s", n, replayObservations, what, took)
	}
	b.ReportMetric(took.Seconds(), "catchup_s")
	b.ReportMetric(float64(replayObservations)/took.Seconds(), "obs/s")
}

// BenchmarkLeafReplay measures the catch-up of an overseas territory whose
// collector publishes to a NATS leaf node (docs/distributed.md, "Overseas:
// a NATS leaf node keeps the buffer"): the leaf's stream holds 10 minutes
// of one region's polls, acknowledged while the hub was unreachable; the
// hub starts, the leaf connects to it (reconnect every second), the
// centrals' stream sources the leaf's, and the clock runs until a central's
// consumer on the hub has decoded and handed over every one of them.
//
//	go test -tags gosnmp_nodebug -run X -bench LeafReplay -benchtime 1x ./observe
func BenchmarkLeafReplay(b *testing.B) {
	sample, states := replaySample(b)
	hubLeafPort := freeport.TCP(b)
	leaf := natstest.Start(b, natstest.Options{Domain: "reunion", Config: fmt.Sprintf(
		"leafnodes {\n  reconnect: 1\n  remotes: [{url: \"nats-leaf://127.0.0.1:%d\", deny_exports: [\"vigie.obs.reunion.>\"]}]\n}", hubLeafPort)})
	pub, err := NewPublisher(PublisherOptions{Connection: Connection{URL: leaf.URL()}, Collector: "reunion", Domain: "reunion"})
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-10 * time.Minute)
	for i := range replayObservations {
		p := *sample[i%len(sample)]
		p.Start = base.Add(time.Duration(i) * 10 * time.Minute / replayObservations)
		p.End = p.Start.Add(50 * time.Millisecond)
		pub.Observe(&p, states[i%len(sample)])
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pub.Run(ctx) }()
	// Everything acknowledged by the leaf: the cable is "down" (no hub).
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		pub.mu.Lock()
		left := len(pub.queue) - pub.head
		pub.mu.Unlock()
		if left == 0 {
			break
		}
		if time.Since(start) > 60*time.Second {
			b.Fatalf("the leaf acknowledged %d of %d observations within a minute", replayObservations-left, replayObservations)
		}
	}

	start := time.Now()
	hub := natstest.Start(b, natstest.Options{Domain: "hub", Config: fmt.Sprintf("leafnodes {\n  listen: \"127.0.0.1:%d\"\n}", hubLeafPort)})
	con, err := NewConsumer(ConsumerOptions{Connection: Connection{URL: hub.URL()}, Durable: "central-a", SourceDomains: []string{"reunion"}})
	if err != nil {
		b.Fatal(err)
	}
	catchUp(ctx, b, con, start, "sourced from the leaf")
}
