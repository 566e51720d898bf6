package availability_test

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/store"
)

// churn is a simulated history of site states, written the way the live
// topology writes it (each change puts the closed interval and the new open
// one), with the seconds each site spent in each state to check against.
type churn struct {
	// changes in time order: at At, Site goes to State (with Cause).
	changes []change
	// want[site][state] is the seconds spent in state within [from, to).
	want map[string]map[string]int64
	// incidents[site] counts the isolations.
	incidents map[string]int
}

type change struct {
	At    time.Time
	Site  string
	State string
	Cause string
}

type episode struct {
	start, end   time.Time
	state, cause string
}

// makeChurn draws a realistic history for inv's sites over [from, to):
// per site about three short isolations a month (2 to 30 min, an access or
// the CE), two degradations a month (10 min to 4 h), two long isolations a
// year (2 to 48 h); each month one region loses its aggregation for 30 to
// 120 min; once a month vigie itself is stopped for 1 to 10 min (unobserved
// everywhere). Every site starts unobserved until vigie's first poll.
func makeChurn(inv *inventory.Inventory, from, to time.Time, seed uint64) *churn {
	rng := rand.New(rand.NewPCG(seed, 1))
	span := to.Sub(from)
	months := span.Hours() / (24 * 30)
	at := func() time.Time { return from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second) }
	dur := func(lo, hi time.Duration) time.Duration {
		return (lo + time.Duration(rng.Int64N(int64(hi-lo)))).Truncate(time.Second)
	}
	bySite := map[string][]episode{}
	// Fleet-wide: vigie stopped (unobserved), regional outages.
	var stops []episode
	for range max(1, int(months)) {
		s := at()
		stops = append(stops, episode{s, s.Add(dur(time.Minute, 10*time.Minute)), store.AvailUnobserved, ""})
	}
	byRegion := map[string][]string{}
	for _, s := range inv.Sites {
		byRegion[s.Region] = append(byRegion[s.Region], s.ID)
	}
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for range max(1, int(months)) {
		r := regions[rng.IntN(len(regions))]
		s := at()
		e := episode{s, s.Add(dur(30*time.Minute, 2*time.Hour)), store.AvailIsolated, "pop:pop-" + r}
		for _, id := range byRegion[r] {
			bySite[id] = append(bySite[id], e)
		}
	}
	for _, s := range inv.Sites {
		cause := "device:ce-" + s.ID
		if len(s.Access) > 0 && s.Access[0].Router != "" {
			cause = "device:" + s.Access[0].Router
		}
		access := "link:" + s.ID + "-access"
		if len(s.Access) > 0 {
			access = "link:" + s.Access[0].Device + ":" + s.Access[0].Interface + "--" + s.Access[0].Router + ":" + s.Access[0].RouterInterface
		}
		n := func(perMonth float64) int { return int(perMonth*months + rng.Float64()) }
		for range n(3) {
			s0 := at()
			c := access
			if rng.IntN(3) == 0 {
				c = cause
			}
			bySite[s.ID] = append(bySite[s.ID], episode{s0, s0.Add(dur(2*time.Minute, 30*time.Minute)), store.AvailIsolated, c})
		}
		for range n(2) {
			s0 := at()
			bySite[s.ID] = append(bySite[s.ID], episode{s0, s0.Add(dur(10*time.Minute, 4*time.Hour)), store.AvailDegraded, ""})
		}
		for range n(2.0 / 12) {
			s0 := at()
			bySite[s.ID] = append(bySite[s.ID], episode{s0, s0.Add(dur(2*time.Hour, 48*time.Hour)), store.AvailIsolated, cause})
		}
	}
	c := &churn{want: map[string]map[string]int64{}, incidents: map[string]int{}}
	for _, s := range inv.Sites {
		eps := append(bySite[s.ID], stops...)
		slices.SortFunc(eps, func(a, b episode) int { return a.start.Compare(b.start) })
		// The first poll comes 1 to 60 s after the window starts.
		first := from.Add(time.Duration(1+rng.IntN(60)) * time.Second)
		want := map[string]int64{}
		c.want[s.ID] = want
		cur, since := store.AvailUnobserved, from
		move := func(t time.Time, state, cause string) {
			want[cur] += int64(t.Sub(since) / time.Second)
			c.changes = append(c.changes, change{t, s.ID, state, cause})
			if state == store.AvailIsolated && cur != store.AvailIsolated {
				c.incidents[s.ID]++
			}
			cur, since = state, t
		}
		c.changes = append(c.changes, change{from, s.ID, store.AvailUnobserved, ""})
		move(first, store.AvailNominal, "")
		last := first
		for _, e := range eps {
			if !e.start.After(last) || !e.end.Before(to) {
				continue // overlaps the previous episode or the window's end
			}
			move(e.start, e.state, e.cause)
			move(e.end, store.AvailNominal, "")
			last = e.end
		}
		want[cur] += int64(to.Sub(since) / time.Second)
	}
	slices.SortStableFunc(c.changes, func(a, b change) int { return a.At.Compare(b.At) })
	return c
}

// write replays the changes into st as the topology does, flushing every
// flushEvery of simulated time; clock is the store's Now, moved along.
func (c *churn) write(st *store.Store, clock *time.Time, flushEvery time.Duration, end time.Time) error {
	open := map[string]store.Interval{}
	next := time.Time{}
	for _, ch := range c.changes {
		if next.IsZero() {
			next = ch.At.Add(flushEvery)
		}
		for !ch.At.Before(next) {
			*clock = next
			if err := st.Flush(); err != nil {
				return err
			}
			next = next.Add(flushEvery)
		}
		if prev, ok := open[ch.Site]; ok {
			prev.End = ch.At
			st.PutInterval(prev)
		}
		iv := store.Interval{Site: ch.Site, Start: ch.At, State: ch.State, Cause: ch.Cause}
		st.PutInterval(iv)
		open[ch.Site] = iv
	}
	*clock = end
	st.Beat(end)
	return st.Flush()
}
