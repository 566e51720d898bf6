package observe

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPartitionOrDown: a lost collector heard again is reported
// partitioned when its replay brings heartbeats of the same process or
// successful polls dated inside the cut, down when its first heartbeat
// shows a restart; the replay ends at the first message dated after the
// reconnection, and the gauge holds the devices seen alive.
func TestPartitionOrDown(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	type msg struct {
		device string // "" for a heartbeat
		at     time.Duration
		ok     bool
		seq    uint64
	}
	cases := []struct {
		name  string
		msgs  []msg // replayed after the collector is heard again at t0+60s
		alive []string
		calls int
	}{
		{"partitioned", []msg{{"", 25 * time.Second, true, 12}, {"ce-1", 30 * time.Second, true, 0},
			{"ce-2", 31 * time.Second, false, 0}, {"agg-1", 40 * time.Second, true, 0}, {"", 61 * time.Second, true, 20},
			{"ce-2", 65 * time.Second, true, 0}}, []string{"agg-1", "ce-1"}, 1},
		{"heartbeats only", []msg{{"", 25 * time.Second, true, 12}, {"", 70 * time.Second, true, 13}}, nil, 1},
		{"restarted", []msg{{"", 59 * time.Second, true, 1}, {"ce-1", 59 * time.Second, true, 0}}, nil, 0},
		// Behind a leaf node the observations of the process killed during
		// the cut survive it, and come before the new process's.
		{"restarted behind a leaf", []msg{{"", 25 * time.Second, true, 12}, {"ce-1", 30 * time.Second, true, 0},
			{"", 40 * time.Second, true, 1}, {"ce-2", 45 * time.Second, true, 0}, {"", 50 * time.Second, true, 2},
			{"", 61 * time.Second, true, 4}}, []string{"ce-1", "ce-2"}, 1},
		{"polls before the loss only", []msg{{"ce-1", 10 * time.Second, true, 0}, {"", 61 * time.Second, true, 11}}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConsumer(ConsumerOptions{Durable: "central-a"})
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			var alive []string
			c.OnPartition(func(collector string, from, to time.Time, a []string) {
				calls++
				alive = a
				if collector != "reunion" || !from.Equal(t0.Add(20*time.Second)) || !to.Equal(t0.Add(60*time.Second)) {
					t.Errorf("partition of %s from %s to %s", collector, from, to)
				}
			})
			noop := func(string, bool) {}
			c.heard("reunion", t0, noop)
			c.heartbeats["reunion"] = Heartbeat{Time: t0, Seq: 10}
			c.seen["reunion"].interval = 5 * time.Second
			c.watch(t0.Add(20*time.Second), noop)
			if !c.seen["reunion"].lost {
				t.Fatal("not lost after four heartbeat periods")
			}
			c.heard("reunion", t0.Add(60*time.Second), noop)
			for _, m := range tc.msgs {
				c.replayed("reunion", m.device, t0.Add(m.at), m.ok, m.device != "", m.seq)
			}
			if calls != tc.calls || !slices.Equal(alive, tc.alive) {
				t.Errorf("%d partition calls with %v alive, want %d with %v", calls, alive, tc.calls, tc.alive)
			}
			if got := testutil.ToFloat64(c.m.partitioned.WithLabelValues("reunion")); got != float64(len(tc.alive)) {
				t.Errorf("vigie_observations_collector_partitioned_devices = %v, want %d", got, len(tc.alive))
			}
			if c.seen["reunion"].replay != nil {
				t.Error("the replay did not end")
			}
		})
	}
}
