package collector

import (
	"fmt"
	"testing"
	"time"
)

// TestFirstDueSpread: 6,000 devices' first polls fall evenly over the
// interval (no thundering herd) and the same on every start.
func TestFirstDueSpread(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n, buckets = 6000, 12
	interval := time.Minute
	var count [buckets]int
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("ce-%05d", i)
		d := firstDue(start, name, interval)
		if d.Before(start) || !d.Before(start.Add(interval)) {
			t.Fatalf("%s: first due %v outside the interval", name, d)
		}
		if again := firstDue(start, name, interval); !again.Equal(d) {
			t.Fatalf("%s: not deterministic", name)
		}
		count[d.Sub(start)*buckets/interval]++
	}
	for b, c := range count {
		if c < n/buckets*3/4 || c > n/buckets*5/4 {
			t.Errorf("bucket %d has %d first polls, want about %d: %v", b, c, n/buckets, count)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	iv, capd := time.Minute, 10*time.Minute
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, // one lost poll: normal interval
		{2, 2 * time.Minute}, {3, 4 * time.Minute}, {4, 8 * time.Minute},
		{5, 10 * time.Minute}, {6, 10 * time.Minute}, {60, 10 * time.Minute}, // capped, no overflow
	}
	for _, tc := range tests {
		if got := retryDelay(iv, capd, tc.failures); got != tc.want {
			t.Errorf("retryDelay(%d failures) = %v, want %v", tc.failures, got, tc.want)
		}
	}
	if got := retryDelay(time.Hour, time.Minute, 3); got != time.Hour {
		t.Errorf("cap below the interval: got %v, want the interval", got)
	}
}

func TestNextSlot(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := 30 * time.Second
	tests := []struct {
		due, now time.Duration
		want     time.Duration
	}{
		{due: 10 * time.Second, now: 0, want: 10 * time.Second},                // still ahead
		{due: 10 * time.Second, now: 10 * time.Second, want: 40 * time.Second}, // due now: next slot
		{due: 10 * time.Second, now: 95 * time.Second, want: 100 * time.Second},
	}
	for _, tc := range tests {
		if got := nextSlot(t0.Add(tc.due), t0.Add(tc.now), iv); !got.Equal(t0.Add(tc.want)) {
			t.Errorf("nextSlot(%v, %v) = %v, want %v", tc.due, tc.now, got.Sub(t0), tc.want)
		}
	}
}

// TestDispatchTicks: a device due between two ticks starts at the next one,
// one due on a tick starts on it, and no tick means no waiting.
func TestDispatchTicks(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	tests := []struct {
		at, tick      time.Duration
		before, after time.Duration
	}{
		{at: 0, tick: 100 * ms, before: 0, after: 0},
		{at: 1 * ms, tick: 100 * ms, before: 0, after: 100 * ms},
		{at: 100 * ms, tick: 100 * ms, before: 100 * ms, after: 100 * ms},
		{at: 250 * ms, tick: 100 * ms, before: 200 * ms, after: 300 * ms},
		{at: 59_999 * ms, tick: 100 * ms, before: 59_900 * ms, after: 60_000 * ms},
		{at: 250 * ms, tick: 0, before: 250 * ms, after: 250 * ms},
		{at: -5 * ms, tick: 100 * ms, before: -5 * ms, after: -5 * ms}, // before start: as is
	}
	for _, tc := range tests {
		if got := tickAtOrBefore(t0, t0.Add(tc.at), tc.tick); !got.Equal(t0.Add(tc.before)) {
			t.Errorf("tickAtOrBefore(%v, tick %v) = %v, want %v", tc.at, tc.tick, got.Sub(t0), tc.before)
		}
		if got := tickAtOrAfter(t0, t0.Add(tc.at), tc.tick); !got.Equal(t0.Add(tc.after)) {
			t.Errorf("tickAtOrAfter(%v, tick %v) = %v, want %v", tc.at, tc.tick, got.Sub(t0), tc.after)
		}
	}
}

// TestDispatchTickCapped: the default tick, an asked one, none, and the cap
// at 1% of the shortest interval.
func TestDispatchTickCapped(t *testing.T) {
	devs := func(ivs ...time.Duration) []*device {
		var out []*device
		for _, iv := range ivs {
			out = append(out, &device{interval: iv})
		}
		return out
	}
	tests := []struct {
		asked time.Duration
		devs  []*device
		want  time.Duration
	}{
		{0, devs(time.Minute, 30*time.Second), DefaultOptions().DispatchTick},
		{250 * time.Millisecond, devs(time.Minute), 250 * time.Millisecond},
		{-1, devs(time.Minute), 0},
		{0, devs(time.Minute, 2*time.Second), 20 * time.Millisecond},
		{0, devs(20 * time.Millisecond), 200 * time.Microsecond},
		{0, nil, DefaultOptions().DispatchTick},
	}
	for _, tc := range tests {
		if got := dispatchTick(tc.asked, tc.devs); got != tc.want {
			t.Errorf("dispatchTick(%v, %d devices) = %v, want %v", tc.asked, len(tc.devs), got, tc.want)
		}
	}
}
