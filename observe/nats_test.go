package observe

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/natstest"
)

// received collects what a consumer hands out.
type received struct {
	mu    sync.Mutex
	polls []snmp.Poll
}

func (r *received) onPoll(p *snmp.Poll, _ *snmp.DeviceState) {
	r.mu.Lock()
	r.polls = append(r.polls, *p)
	r.mu.Unlock()
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.polls)
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestThroughNATS: a collector's polls reach a central through a real
// nats-server in order; while the server is down they are queued, and
// once it is back they are replayed with nothing lost and nothing twice.
// A poll published twice (a retry after a lost acknowledgement) is
// applied once.
func TestThroughNATS(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	reg := prometheus.NewRegistry()
	pub, err := NewPublisher(PublisherOptions{Connection: Connection{URL: srv.URL()}, Collector: "reunion",
		Heartbeat: time.Second, Devices: 1, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	con, err := NewConsumer(ConsumerOptions{Connection: Connection{URL: srv.URL()}, Durable: "central-a"})
	if err != nil {
		t.Fatal(err)
	}
	var got received
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = pub.Run(ctx) }()
	go func() { defer wg.Done(); _ = con.Run(ctx, got.onPoll, func(string, bool) {}) }()
	defer func() { cancel(); wg.Wait() }()

	start := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	st := snmp.NewDeviceState()
	poll := func(i int) *snmp.Poll {
		at := start.Add(time.Duration(i) * time.Minute)
		return &snmp.Poll{Device: "ce-reu-1", Start: at, End: at.Add(time.Millisecond), System: snmp.System{Uptime: time.Duration(i) * time.Minute}}
	}
	for i := range 20 {
		pub.Observe(poll(i), st)
	}
	pub.Observe(poll(19), st) // published twice: stored once
	waitUntil(t, 20*time.Second, "20 polls at the central", func() bool { return got.count() >= 20 })
	waitUntil(t, 10*time.Second, "a heartbeat at the central", func() bool { _, ok := con.Heartbeats()["reunion"]; return ok })

	srv.Stop()
	for i := 20; i < 50; i++ {
		pub.Observe(poll(i), st)
	}
	waitUntil(t, 10*time.Second, "the publisher sees NATS gone", func() bool {
		return testutil.ToFloat64(pub.m.connected) == 0
	})
	if q := pub.Queued(); q < 30 {
		t.Errorf("%d observations queued while NATS is down, want the 30 polls at least", q)
	}
	srv.Start()
	waitUntil(t, 30*time.Second, "the 30 queued polls replayed", func() bool { return got.count() >= 50 })
	time.Sleep(500 * time.Millisecond) // anything extra (a duplicate) would arrive now

	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.polls) != 50 {
		t.Fatalf("central applied %d polls, want 50 (each once)", len(got.polls))
	}
	for i, p := range got.polls {
		if want := poll(i).Start; !p.Start.Equal(want) {
			t.Fatalf("poll %d: start %s, want %s (in order, no gap)", i, p.Start, want)
		}
	}
	if pub.Queued() != 0 {
		t.Errorf("%d observations still queued", pub.Queued())
	}
	if d := testutil.ToFloat64(con.m.invalid); d != 0 {
		t.Errorf("%v observations refused", d)
	}
}
