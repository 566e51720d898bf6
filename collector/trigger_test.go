package collector

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// TestPollNow: with an hour-long interval, only PollNow can explain a
// second poll. Requests merge while one is queued, a request during a
// running poll queues exactly one more, unknown names are said so, and
// no more than MaxTriggered triggered polls run at once.
func TestPollNow(t *testing.T) {
	inv := testInventory(6, time.Hour, anyAddr)
	reg := prometheus.NewPedanticRegistry()
	c := newTestCollector(t, inv, Options{MaxTriggered: 2, DispatchTick: -1}, reg, nil)
	pc := newPollCounter()
	release := make(chan struct{})
	var running, most atomic.Int32
	c.pollFn = pc.wrap(func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return okPoll(ctx, t, st)
	})
	if got := c.PollNow("nope"); got != TriggerUnknown {
		t.Fatalf("PollNow(unknown) = %s, want %s", got, TriggerUnknown)
	}
	// Asked before Run: kept until it starts.
	if got := c.PollNow("d000"); got != TriggerQueued {
		t.Fatalf("PollNow(d000) = %s, want %s", got, TriggerQueued)
	}
	if got := c.PollNow("d000"); got != TriggerMerged {
		t.Fatalf("second PollNow(d000) while queued = %s, want %s", got, TriggerMerged)
	}
	for _, d := range []string{"d001", "d002", "d003"} {
		if got := c.PollNow(d); got != TriggerQueued {
			t.Fatalf("PollNow(%s) = %s", d, got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-ret
	}()
	waitUntil(t, "two triggered polls running", func() bool { return running.Load() == 2 })
	// d000 runs (first asked): a new request queues one follow-up.
	if pc.get("d000") != 1 {
		t.Fatalf("d000 polled %d times, want 1 running", pc.get("d000"))
	}
	if got := c.PollNow("d000"); got != TriggerQueued {
		t.Fatalf("PollNow(d000) while it runs = %s, want %s", got, TriggerQueued)
	}
	if got := c.PollNow("d000"); got != TriggerMerged {
		t.Fatalf("PollNow(d000) again = %s, want %s", got, TriggerMerged)
	}
	close(release)
	waitUntil(t, "every triggered poll done", func() bool {
		return pc.get("d000") == 2 && pc.get("d001") == 1 && pc.get("d002") == 1 && pc.get("d003") == 1 && running.Load() == 0
	})
	if m := most.Load(); m > 2 {
		t.Errorf("%d triggered polls ran at once, want at most MaxTriggered=2", m)
	}
	if pc.maxActive > 1 {
		t.Errorf("%d polls of one device ran at once", pc.maxActive)
	}
	for _, d := range []string{"d004", "d005"} {
		if n := pc.get(d); n != 0 {
			t.Errorf("%s polled %d times: only triggered devices may be, the interval is an hour", d, n)
		}
	}
	if n := testutil.ToFloat64(c.m.polls.WithLabelValues("collection", "success")); n != 5 {
		t.Errorf("vigie_collector_polls_total{result=success} = %v, want the 5 triggered polls", n)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
