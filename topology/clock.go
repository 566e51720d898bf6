package topology

// clock.go: the time a central dates its site-state changes by. A single
// box analyses its polls as they come back, so the analysis runs when the
// polls were made (give or take the debounce) and its site changes are
// dated by the wall clock, as before. A central may apply polls made long
// before: a partitioned collector's buffered polls, or its own durable
// consumer's after a restart. Dated by the wall clock, every site change of
// such a replay would fall at the replay. So a central (Options.Distributed)
// dates them by the observations that caused them: the end of the first
// poll (or the loss of a collector) that made the analysis due, never
// later than now, and for a site never before its current state began.
// A replay is analysed at the same steps in poll time as a live stream:
// a poll made more than a Debounce away from the pending changes has them
// analysed first. A central that replays then records the history of one
// that never stopped (TestCentralHA, TestPartitionedCollector).

import (
	"slices"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// analysisDue reports whether a change waits for the resilience analysis.
func (t *Topology) analysisDue() bool { return t.failDirty || t.obsDirty || t.rt.dirty }

// observedAt is when msg's observation was made: a poll's end, a loss of
// collector's time, a BGP View's time, now for the rest; never later than
// now.
func (t *Topology) observedAt(msg *message, now time.Time) time.Time {
	at := now
	switch {
	case msg.poll != nil && !msg.poll.End.IsZero():
		at = msg.poll.End
	case msg.unobserve != nil && !msg.unobserve.at.IsZero():
		at = msg.unobserve.at
	case (msg.routes != nil || msg.ics != nil) && !msg.routesAt.IsZero():
		at = msg.routesAt // a BGP collector's View (routes.go)
	}
	if at.After(now) {
		return now // a collector's clock ahead of ours
	}
	return at
}

// noteDue dates the changes msg made due, when none was due before it
// (dueBefore, liveBefore). Only a central dates by the observations.
func (t *Topology) noteDue(msg *message, dueBefore, liveBefore bool) {
	if !t.opts.Distributed {
		return
	}
	if !dueBefore && t.analysisDue() {
		t.dueAt = t.observedAt(msg, t.opts.Now())
	}
	if !liveBefore && t.availDirty {
		t.liveAt = t.observedAt(msg, t.opts.Now())
	}
}

// apart reports whether poll p was made more than a Debounce away from
// the changes pending: a replay's changes must then be analysed before p
// is applied, as a live stream would have had them analysed.
func (t *Topology) apart(p *snmp.Poll) bool {
	if !t.opts.Distributed || p == nil {
		return false
	}
	at := t.observedAt(&message{poll: p}, t.opts.Now())
	far := func(pending time.Time) bool {
		d := at.Sub(pending)
		return !pending.IsZero() && (d > t.opts.Debounce || -d > t.opts.Debounce)
	}
	return (t.analysisDue() && far(t.dueAt)) || (t.availDirty && far(t.liveAt))
}

// analysePending runs the analysis and the availability update that are
// due. It runs on the writer goroutine, without t.mu.
func (t *Topology) analysePending() {
	now := t.opts.Now()
	if t.analysisDue() {
		t.runAnalysis(now)
	}
	if t.availDirty {
		t.updateAvailability(now)
	}
}

// dated is the time the changes of an analysis (or availability update)
// running at now are dated by: now on a single box; on a central, the
// observation that made them due.
func (t *Topology) dated(now time.Time) time.Time {
	switch {
	case !t.opts.Distributed:
		return now
	case !t.dueAt.IsZero() && !t.dueAt.After(now):
		return t.dueAt
	case !t.liveAt.IsZero() && !t.liveAt.After(now):
		return t.liveAt
	}
	return now
}

// analysed forgets the dates of the changes no longer pending.
func (t *Topology) analysed() {
	if !t.analysisDue() {
		t.dueAt = time.Time{}
	}
	if !t.availDirty {
		t.liveAt = time.Time{}
	}
}

// floorSince dates each site whose state changed since prev no earlier than the start of its current availability interval: a replayed
// observation older than what the central already recorded for the site
// (its loss, its restart) takes effect then, so that a site's history
// never goes back.
func (t *Topology) floorSince(a, prev *Analysis) {
	for i := range a.Sites {
		s := &a.Sites[i]
		if p := prev.siteAt(i, s.ID); p != nil && p.State == s.State {
			continue
		}
		if as := t.availSite(s.ID); as != nil && as.cur.open && s.Since.Before(as.cur.since) {
			s.Since = as.cur.since
		}
	}
}

// overlay is prev again, for an analysis whose failures and BGP verdicts
// did not change, only which devices are observed: a lost collector's
// devices heard again one by one, as its replay has them, each debounce of
// poll time. The engine would give prev's result again (102 ms on the full
// fleet, BENCHMARKS.md); the caller only recomputes the states and the
// unobserved sites on top of it.
func overlay(prev *Analysis, now time.Time) *Analysis {
	a := *prev // the same sites in the same order: its index too
	a.Sites = slices.Clone(prev.Sites)
	a.Time, a.Duration = now, 0
	return &a
}
