package topology

import (
	"slices"
	"strings"
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
	open         bool // an interval is open (false before the first update)
}

type availSite struct {
	id   string
	devs []*device
	cur  availCur
	// cut is the last unobserved interval, once closed (partition.go).
	cut availCut
}

// availSites lists the inventory's sites sorted by id, as the analysis
// lists them, with the devices whose polls tell vigie the site is
// observed: the CE routers of its accesses (the aggregation device when an
// access names no CE).
func (t *Topology) availSites() {
	t.avail = make([]availSite, len(t.inv.Sites))
	for i := range t.inv.Sites {
		s := &t.inv.Sites[i]
		as := availSite{id: s.ID}
		for _, a := range s.Access {
			name := a.Router
			if name == "" {
				name = a.Device
			}
			if d := t.st.devices[name]; d != nil {
				as.devs = append(as.devs, d)
			}
		}
		t.avail[i] = as
	}
	slices.SortFunc(t.avail, func(a, b availSite) int { return strings.Compare(a.id, b.id) })
	t.availByID = make(map[string]int, len(t.avail))
	for i := range t.avail {
		t.availByID[t.avail[i].id] = i
	}
}

// availSite returns the availability record of site id, or nil.
func (t *Topology) availSite(id string) *availSite {
	if i, ok := t.availByID[id]; ok {
		return &t.avail[i]
	}
	return nil
}

// restoreAvailability closes the intervals the previous run left open at
// the last time it wrote it observed (its beat) and opens an unobserved
// interval from there: the gap while vigie was down is explicit. A site
// the inventory no longer has keeps its interval closed at the beat.
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
			t.putInterval(iv)
		}
		as := t.availSite(iv.Site)
		if as == nil {
			if end.Unix() == iv.Start.Unix() { // nothing to keep: a zero-length open record
				iv.End = end
				t.putInterval(iv)
			}
			continue
		}
		// Same second: the open record is replaced by the unobserved one.
		as.cur = availCur{state: store.AvailUnobserved, since: end, open: true}
		t.putInterval(store.Interval{Site: iv.Site, Start: end, State: store.AvailUnobserved})
	}
	return nil
}

// adoptAvailability takes over prev's open intervals at a reload; those of
// sites the new inventory no longer has are closed now.
func (t *Topology) adoptAvailability(prev *Topology) {
	now := t.opts.Now().Truncate(time.Second)
	for i := range prev.avail {
		p := &prev.avail[i]
		if !p.cur.open {
			continue
		}
		if as := t.availSite(p.id); as != nil {
			as.cur = p.cur
		} else if now.After(p.cur.since) {
			t.putInterval(store.Interval{Site: p.id, Start: p.cur.since, End: now, State: p.cur.state, Cause: p.cur.cause})
		}
	}
}

// updateAvailability compares each site's state in the published analysis
// with its open interval and records the changes at now. It runs on the
// writer goroutine (or in New). It costs a walk of the sites per analysis,
// no allocation unless a site changed.
func (t *Topology) updateAvailability(now time.Time) {
	a := t.analysis.Load()
	if a == nil {
		return
	}
	t.availDirty = false
	defer t.analysed()
	// A central dates the changes by the observations (clock.go); a
	// site's interval never starts before its current one (below).
	now = t.dated(now).Truncate(time.Second)
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range a.Sites {
		s := &a.Sites[i]
		var as *availSite
		if i < len(t.avail) && t.avail[i].id == s.ID {
			as = &t.avail[i]
		} else if as = t.availSite(s.ID); as == nil {
			continue
		}
		state := store.AvailUnobserved
		for _, d := range as.devs {
			if d.live {
				state = s.State
				break
			}
		}
		cur := &as.cur
		if cur.open && cur.state == state && (state != SiteIsolated || causeIs(cur.cause, s)) {
			continue
		}
		cause := ""
		if state == SiteIsolated && s.Cause != "" {
			cause = s.CauseKind + ":" + s.Cause
		}
		if cur.open && cur.state == state && cur.cause == cause {
			continue
		}
		since := now
		if cur.open && now.After(cur.since) {
			t.putInterval(store.Interval{Site: s.ID, Start: cur.since, End: now, State: cur.state, Cause: cur.cause})
			if cur.state == store.AvailUnobserved {
				as.cut = availCut{start: cur.since, end: now, state: state, cause: cause}
			}
		} else if cur.open {
			// The same second, or a replayed observation older than the
			// interval: this state replaces that one.
			since = cur.since
			if cur.state == store.AvailUnobserved {
				as.cut = availCut{start: cur.since, end: cur.since, state: state, cause: cause}
			}
		}
		*cur = availCur{state: state, cause: cause, since: since, open: true}
		t.putInterval(store.Interval{Site: s.ID, Start: since, State: state, Cause: cause})
	}
}

// causeIs tells whether cause is s's "kind:cause" without building it.
func causeIs(cause string, s *SiteResult) bool {
	if s.Cause == "" {
		return cause == ""
	}
	return len(cause) == len(s.CauseKind)+1+len(s.Cause) && strings.HasPrefix(cause, s.CauseKind) &&
		cause[len(s.CauseKind)] == ':' && strings.HasSuffix(cause, s.Cause)
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
