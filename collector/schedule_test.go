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
