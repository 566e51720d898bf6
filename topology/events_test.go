package topology

import (
	"testing"
	"time"
)

// A partitioned collector's replayed events are added after newer live
// ones; the history serves them in time order, also across the ring's wrap.
func TestEventsSinceInTimeOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	at := func(min int, subject string) Event {
		return Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: EventSiteState, Subject: subject}
	}
	r := newRing(5)
	// Live events at 0 and 10, then the replay of 2..4, then live 11: the
	// first (0) falls out of the ring.
	for _, e := range []Event{at(0, "live-0"), at(10, "live-10"), at(2, "replayed-2"), at(4, "replayed-4a"), at(4, "replayed-4b"), at(11, "live-11")} {
		r.add(e)
	}
	for _, tc := range []struct {
		since time.Time
		limit int
		want  []string
	}{
		{time.Time{}, 10, []string{"replayed-2", "replayed-4a", "replayed-4b", "live-10", "live-11"}},
		{time.Time{}, 1, []string{"replayed-2"}},
		{t0.Add(4 * time.Minute), 2, []string{"replayed-4a", "replayed-4b"}},
		{t0.Add(5 * time.Minute), 10, []string{"live-10", "live-11"}},
		{t0.Add(12 * time.Minute), 10, nil},
	} {
		var got []string
		for _, e := range r.since(tc.since, tc.limit) {
			got = append(got, e.Subject)
		}
		if len(got) != len(tc.want) {
			t.Errorf("since %s limit %d: %q, want %q", tc.since.Format("15:04"), tc.limit, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("since %s limit %d: %q, want %q", tc.since.Format("15:04"), tc.limit, got, tc.want)
				break
			}
		}
	}
}
