package observe

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-rie/vigie/internal/natstest"
)

// TestWitnessCodec: a report reads back as written; damaged or
// inconsistent ones are refused with a reason.
func TestWitnessCodec(t *testing.T) {
	for _, r := range []WitnessReport{
		{Time: time.Unix(1764806400, 123), Interval: time.Minute, Of: "reunion", Probed: 3, Reachable: []string{"ce-reu-1", "ce-reu-2"}},
		{Time: time.Unix(1764806400, 0), Interval: 5 * time.Second, Of: "mainland-a", Probed: 2000},
	} {
		got, err := DecodeWitness(AppendWitness(nil, r))
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !got.Time.Equal(r.Time) || got.Interval != r.Interval || got.Of != r.Of || got.Probed != r.Probed || !slices.Equal(got.Reachable, r.Reachable) {
			t.Errorf("read back %+v, want %+v", got, r)
		}
	}
	good := AppendWitness(nil, WitnessReport{Time: time.Unix(1, 0), Interval: time.Second, Of: "reunion", Probed: 1, Reachable: []string{"ce"}})
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing", append(slices.Clone(good), 0), "trailing bytes"},
		{"a heartbeat", AppendHeartbeat(nil, Heartbeat{Time: time.Unix(1, 0)}), "want a witness report"},
		{"no collector", AppendWitness(nil, WitnessReport{Time: time.Unix(1, 0), Interval: time.Second, Of: "Bad Name"}), "no valid collector"},
		{"more reachable than probed", AppendWitness(nil, WitnessReport{Time: time.Unix(1, 0), Of: "a", Probed: 1, Reachable: []string{"x", "y"}}), "more devices reachable"},
		{"another version", append([]byte{Version + 1}, good[1:]...), "version"},
	} {
		if _, err := DecodeWitness(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeWitness: no input makes the decoder panic, and what it reads
// writes back the same.
func FuzzDecodeWitness(f *testing.F) {
	f.Add(AppendWitness(nil, WitnessReport{Time: time.Unix(1, 0), Interval: time.Second, Of: "reunion", Probed: 2, Reachable: []string{"a"}}))
	f.Add(AppendWitness(nil, WitnessReport{Of: "a"}))
	f.Add(AppendHeartbeat(nil, Heartbeat{Time: time.Unix(1, 0), Devices: 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeWitness(b)
		if err != nil {
			return
		}
		if again := AppendWitness(nil, r); string(again) != string(b) {
			// Varints have one shortest form; a longer one reads the same.
			if _, err := DecodeWitness(again); err != nil {
				t.Fatalf("re-encoding a decoded report: %v", err)
			}
		}
	})
}

// TestWitnessThroughNATS: collector "reunion" publishes heartbeats, a
// witness listens to them through a real nats-server. While they come
// the witness probes nothing; once reunion stops, the witness probes its
// devices and the central, which has lost reunion too, hears which it
// reaches (not the one that does not answer). A witness the inventory
// does not name is refused. Heartbeats back, the verdict is withdrawn.
func TestWitnessThroughNATS(t *testing.T) {
	srv := natstest.Start(t, natstest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn := Connection{URL: srv.URL()}

	reunion, err := NewPublisher(PublisherOptions{Connection: conn, Collector: "reunion", Heartbeat: time.Second, Devices: 3})
	if err != nil {
		t.Fatal(err)
	}
	wpub, err := NewPublisher(PublisherOptions{Connection: conn, Collector: "reunion-b", Heartbeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var probes sync.Map
	wit, err := NewWitness(WitnessOptions{Connection: conn, Collector: "reunion-b", Publisher: wpub,
		Of:       map[string][]string{"reunion": {"ce-reu-1", "ce-reu-2", "ce-reu-3"}},
		Interval: time.Second, Heartbeat: time.Second, Concurrency: 2,
		Probe: func(_ context.Context, d string) bool {
			n, _ := probes.LoadOrStore(d, new(int))
			*n.(*int)++ // one probe of a device at a time: one round at a time
			return d != "ce-reu-2"
		}})
	if err != nil {
		t.Fatal(err)
	}
	con, err := NewConsumer(ConsumerOptions{Connection: conn, Durable: "central-a"})
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		of, witness string
		alive       []string
	}
	var mu sync.Mutex
	var calls []call
	con.OnWitness(func(of, witness string, alive []string) bool {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{of, witness, alive})
		return witness == "reunion-b"
	})
	last := func() (call, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(calls) == 0 {
			return call{}, 0
		}
		return calls[len(calls)-1], len(calls)
	}

	var wg sync.WaitGroup
	rctx, stopReunion := context.WithCancel(ctx)
	for _, run := range []func(){
		func() { _ = reunion.Run(rctx) },
		func() { _ = wpub.Run(ctx) },
		func() { _ = wit.Run(ctx) },
		func() { _ = con.Run(ctx, (&received{}).onPoll, func(string, bool) {}) },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	defer func() { cancel(); wg.Wait() }()

	waitUntil(t, 10*time.Second, "reunion's heartbeats at the central", func() bool { _, ok := con.Heartbeats()["reunion"]; return ok })
	time.Sleep(3 * time.Second) // three heartbeat periods: the witness must not probe
	if _, probed := probes.Load("ce-reu-1"); probed {
		t.Fatal("the witness probed while reunion's heartbeats came")
	}

	stopReunion()
	waitUntil(t, 20*time.Second, "the witness's verdict on reunion at the central", func() bool {
		c, _ := last()
		return c.of == "reunion" && len(c.alive) > 0
	})
	if c, _ := last(); c.witness != "reunion-b" || !slices.Equal(c.alive, []string{"ce-reu-1", "ce-reu-3"}) {
		t.Errorf("verdict %+v, want reunion-b reaching ce-reu-1 and ce-reu-3 (ce-reu-2 does not answer)", c)
	}
	if v := testutil.ToFloat64(con.m.vouched.WithLabelValues("reunion", "reunion-b")); v != 2 {
		t.Errorf("vigie_observations_collector_vouched_devices = %v, want 2", v)
	}
	if v := testutil.ToFloat64(wit.reachable.WithLabelValues("reunion")); v != 2 {
		t.Errorf("vigie_observations_witness_reachable_devices at the witness = %v, want 2", v)
	}

	// A report from a collector the inventory does not name as a witness.
	forger, err := NewPublisher(PublisherOptions{Connection: conn, Collector: "mainland", Heartbeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	forger.Witness(WitnessReport{Time: time.Now(), Interval: time.Minute, Of: "reunion", Probed: 1, Reachable: []string{"ce-reu-2"}})
	invalid := testutil.ToFloat64(con.m.invalid)
	fctx, stopForger := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); _ = forger.Run(fctx) }()
	waitUntil(t, 10*time.Second, "the report of a witness not named refused", func() bool { return testutil.ToFloat64(con.m.invalid) > invalid })
	stopForger()
	if n := testutil.CollectAndCount(con.m.vouched); n != 1 {
		t.Errorf("%d vouched series, want reunion-b's only", n)
	}

	// Heartbeats back: the central withdraws the verdict.
	reunion2, err := NewPublisher(PublisherOptions{Connection: conn, Collector: "reunion", Heartbeat: time.Second, Devices: 3})
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = reunion2.Run(ctx) }()
	waitUntil(t, 20*time.Second, "the verdict withdrawn once reunion is heard again", func() bool {
		c, _ := last()
		return c.of == "reunion" && c.witness == "reunion-b" && c.alive == nil && testutil.CollectAndCount(con.m.vouched) == 0
	})
	waitUntil(t, 10*time.Second, "the witness stops probing", func() bool { return testutil.CollectAndCount(wit.reachable) == 0 })
}

// TestWitnessReportBeforeLoss: a witness may count a collector lost a
// moment before the central does. Its fresh report waits and is applied
// when the central counts the collector lost; a stale one never is, nor
// one replayed from long ago.
func TestWitnessReportBeforeLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		age  time.Duration // of the report when the collector is counted lost
		want bool
	}{
		{"fresh", 0, true},
		{"older than two probe periods", 3 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConsumer(ConsumerOptions{Durable: "central-a"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			c.OnWitness(func(of, witness string, alive []string) bool {
				got = append(got, of+"/"+witness+"/"+strings.Join(alive, ","))
				return true
			})
			start := time.Now()
			noop := func(string, bool) {}
			c.heard("reunion", start, noop)
			c.seen["reunion"].interval = time.Second
			lostAt := start.Add(3 * time.Second)
			c.witnessReport("reunion-b", AppendWitness(nil, WitnessReport{Time: lostAt.Add(-tc.age), Interval: time.Second,
				Of: "reunion", Probed: 2, Reachable: []string{"ce-reu-1"}}))
			if len(got) != 0 {
				t.Fatalf("a report applied while the central still hears reunion: %v", got)
			}
			c.watch(lostAt, noop) // counted lost
			if applied := len(got) == 1 && got[0] == "reunion/reunion-b/ce-reu-1"; applied != tc.want {
				t.Errorf("applied %v, want %v", got, tc.want)
			}
			if len(c.wit.pending) != 0 {
				t.Errorf("pending reports left: %v", c.wit.pending)
			}
		})
	}
}
