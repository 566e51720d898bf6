package topology

import (
	"time"

	"github.com/vigie-rie/vigie/topology/store"
)

// Availability history (issue 16): each change of a site's state, as the
// analysis publishes it, closes the site's open interval in the store and
// opens the next, with the root cause the analysis names. A site is
// "unobserved" until one of its devices has been polled to a verdict since
// this vigie started: after a restart the stored device states are a memory,
// not an observation. The time vigie was down is unobserved too (restore).

// beatEvery is how often the time up to which vigie observed is written: a
// crash loses at most that much of the last intervals (they end at the last
// beat, the rest is unobserved).
const beatEvery = 15 * time.Second

type availCur struct {
	state, cause string
	since        time.Time
}

// siteDevices lists, per site, the devices whose polls tell vigie the site
// is observed: the CE routers of its accesses (the aggregation device when
// an access names no CE).
func (t *Topology) siteDevices() map[string][]*device {
	out := make(map[string][]*device, len(t.inv.Sites))
	for i := range t.inv.Sites {
		s := &t.inv.Sites[i]
		for _, a := range s.Access {
			name := a.Router
			if name == "" {
				name = a.Device
			}
			if d := t.st.devices[name]; d != nil {
				out[s.ID] = append(out[s.ID], d)
			}
		}
	}
	return out
}

// restoreAvailability closes the intervals the previous run left open at
// the last time it wrote it observed (its beat) and opens an unobserved
// interval from there: the gap while vigie was down is explicit.
func (t *Topology) restoreAvailability(s *store.Store) error {
	open, beat, err := s.OpenIntervals()
	if err != nil {
		return err
	}
	for _, iv := range open {
		end := iv.Start
		if beat.After(end) {
			end = beat
		}
		end = end.Truncate(time.Second)
		if end.Unix() > iv.Start.Unix() {
			iv.End = end
			s.PutInterval(iv)
			t.staged++
		}
		// Same second: the open record is replaced by the unobserved one.
		t.avail[iv.Site] = &availCur{state: store.AvailUnobserved, since: end}
		s.PutInterval(store.Interval{Site: iv.Site, Start: end, State: store.AvailUnobserved})
		t.staged++
	}
	return nil
}

// updateAvailability compares each site's state in the published analysis
// with its open interval and records the changes at now. It runs on the
// writer goroutine (or in New).
func (t *Topology) updateAvailability(now time.Time) {
	a := t.analysis.Load()
	if a == nil {
		return
	}
	t.availDirty = false
	now = now.Truncate(time.Second)
	seen := make(map[string]bool, len(a.Sites))
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range a.Sites {
		s := &a.Sites[i]
		seen[s.ID] = true
		state, cause := store.AvailUnobserved, ""
		for _, d := range t.siteDevs[s.ID] {
			if d.live {
				state = s.State
				break
			}
		}
		if state == SiteIsolated && s.Cause != "" {
			cause = s.CauseKind + ":" + s.Cause
		}
		cur := t.avail[s.ID]
		if cur != nil && cur.state == state && cur.cause == cause {
			continue
		}
		if cur != nil && now.After(cur.since) {
			t.putInterval(store.Interval{Site: s.ID, Start: cur.since, End: now, State: cur.state, Cause: cur.cause})
		}
		since := now
		if cur != nil && !now.After(cur.since) {
			since = cur.since // the same second: this state replaces that one
		}
		t.avail[s.ID] = &availCur{state: state, cause: cause, since: since}
		t.putInterval(store.Interval{Site: s.ID, Start: since, State: state, Cause: cause})
	}
	for id, cur := range t.avail {
		if !seen[id] { // no longer in the inventory
			if now.After(cur.since) {
				t.putInterval(store.Interval{Site: id, Start: cur.since, End: now, State: cur.state, Cause: cur.cause})
			}
			delete(t.avail, id)
		}
	}
}

func (t *Topology) putInterval(iv store.Interval) {
	if t.opts.Store != nil {
		t.opts.Store.PutInterval(iv)
		t.staged++
	}
}

// beat stages the time up to which vigie observed, every beatEvery.
func (t *Topology) beat(now time.Time, force bool) {
	if t.opts.Store == nil || (!force && now.Sub(t.lastBeat) < beatEvery) {
		return
	}
	t.lastBeat = now
	t.opts.Store.Beat(now)
	t.staged++
}

// markLive notes d's first verdict since start: its sites become observed.
func (t *Topology) markLive(d *device) {
	if !d.live {
		d.live = true
		t.availDirty = true
	}
}
