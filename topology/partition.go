package topology

// partition.go: a lost collector that was only cut from the centre. While
// it is lost its sites are unobserved; once its buffered observations have
// replayed, the central knows they were alive locally: the availability
// history has no gap for a cut of the centre's own view
// (docs/distributed.md). The replayed polls date the sites' changes by
// their own times (clock.go), so a site's intervals inside the cut follow
// what they showed; what is left is the site's unobserved interval from
// the loss to its first replayed poll. A site whose first replayed poll was
// made before the loss had it replaced at once; for the others it is
// rewritten here, with the state that first poll gave.

import (
	"fmt"
	"time"

	"github.com/vigie-rie/vigie/topology/store"
)

// EventCollectorPartitioned records that a lost collector was partitioned
// from the centre, alive locally (its subject is "collector:NAME").
const EventCollectorPartitioned EventKind = "collector_partitioned"

// SitePartitioned is the To of an EventCollectorPartitioned: the sites
// were "partitioned from the centre, alive locally".
const SitePartitioned = "partitioned"

type partition struct {
	why      string
	alive    map[string]bool
	from, to time.Time
}

// availCut is a site's last unobserved interval, closed when the site was
// observed again (end == start: replaced by an observation older than it),
// with the state that followed it.
type availCut struct {
	start, end   time.Time
	state, cause string
}

// Partitioned says that the collector named by why, lost from from to
// to, was cut from the centre only: alive are the devices its replayed
// polls showed reachable meanwhile. Call it after the replay, once its
// polls were applied: the unobserved intervals of the sites of those
// devices that began in the cut are rewritten with the state that followed
// them, and one event records the partition. Safe from any goroutine.
func (t *Topology) Partitioned(why string, alive []string, from, to time.Time) {
	p := &partition{why: why, alive: make(map[string]bool, len(alive)), from: from, to: to}
	for _, d := range alive {
		p.alive[d] = true
	}
	select {
	case t.in <- message{partition: p}:
	case <-t.done:
	}
}

// settlePartitions analyses what the replayed polls changed, so that each
// site's interval after its cut is known, then rewrites the cuts. It runs
// on the writer goroutine, without t.mu.
func (t *Topology) settlePartitions() {
	t.analysePending()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.partitions {
		from := p.from.Truncate(time.Second)
		n := 0
		for i := range t.avail {
			as := &t.avail[i]
			c := as.cut
			if c.end.IsZero() || c.start.Before(from) || !c.start.Before(p.to) {
				continue
			}
			seen := false
			for _, d := range as.devs {
				if p.alive[d.name] {
					seen = true
					break
				}
			}
			if !seen {
				continue
			}
			if c.end.After(c.start) {
				// Same key (site, start): the unobserved record is replaced.
				t.putInterval(store.Interval{Site: as.id, Start: c.start, End: c.end, State: c.state, Cause: c.cause})
			} // else a replayed poll older than the loss already replaced it
			as.cut = availCut{}
			n++
		}
		t.emit(Event{Time: p.to, Kind: EventCollectorPartitioned, Subject: p.why, From: string(DeviceUnobserved), To: SitePartitioned,
			Detail: fmt.Sprintf("cut from the centre from %s to %s (%s), alive locally: its buffered polls show %d devices reachable; %d sites' unobserved intervals rewritten with their observed state",
				p.from.UTC().Format(time.RFC3339), p.to.UTC().Format(time.RFC3339), p.to.Sub(p.from).Truncate(time.Second), len(p.alive), n)})
	}
	t.partitions = t.partitions[:0]
}
