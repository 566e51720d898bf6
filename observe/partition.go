package observe

// partition.go: "partitioned from the centre, alive locally". A central
// counts a collector lost when it hears nothing from it; it cannot tell
// then whether the collector is down or only cut from NATS. A collector
// cut from NATS goes on polling and queues its observations, in order;
// when it comes back they are replayed before anything newer. So once the
// replay reaches the reconnection (the first heartbeat or poll dated after
// it), the central knows what the collector saw while it was cut: its
// buffered heartbeats say it was alive, its successful polls which
// devices were reachable. A collector that was down (killed, restarted)
// has no buffered observation of the cut: it was lost, not partitioned.

import (
	"slices"
	"time"
)

// Partition is what a lost collector's replayed observations showed about
// the time it was lost.
type Partition struct {
	Collector string
	// From is when the central counted the collector lost; To when it
	// heard from it again.
	From, To time.Time
	// Alive are the devices its buffered polls, dated inside [From, To),
	// showed reachable; empty when it was down (or saw nothing alive).
	Alive []string
	// Heartbeats tells whether buffered heartbeats dated inside the cut
	// arrived: the collector ran meanwhile.
	Heartbeats bool
}

// Partitioned reports whether the collector was partitioned from the
// centre, alive locally, rather than down.
func (p Partition) Partitioned() bool { return len(p.Alive) > 0 || p.Heartbeats }

// replay is the state of a lost collector heard again, until its replay
// reaches the reconnection.
type replay struct {
	from, to time.Time
	alive    map[string]bool
	hb       bool
	// seq is the sequence number of the last heartbeat heard before the
	// loss: a heartbeat numbered after it comes from the same process.
	seq uint64
}

// OnPartition sets fn to be called, once per loss of a collector that
// turns out to have been partitioned (Partition.Partitioned), when its
// replay has reached its reconnection, with the devices it saw alive
// meanwhile. fn runs in the message handler and must not block. The daemon
// of each configuration sets it before Run.
func (c *Consumer) OnPartition(fn func(collector string, from, to time.Time, alive []string)) {
	c.mu.Lock()
	c.onPartition = fn
	c.mu.Unlock()
}

// replayed notes one replayed poll (at is its start, ok its success) or
// heartbeat (poll false, seq its number) of collector, and ends the replay
// when at is after the reconnection, or at once when the heartbeat shows a
// restarted collector (numbered from 1 again: a restarted collector has
// nothing queued from before, it was down). It runs in the message handler.
func (c *Consumer) replayed(collector string, device string, at time.Time, ok, poll bool, seq uint64) {
	c.mu.Lock()
	s := c.seen[collector]
	if s == nil || s.replay == nil {
		c.mu.Unlock()
		return
	}
	r := s.replay
	restarted := !poll && seq <= r.seq
	if restarted && at.Before(r.to) && (r.hb || len(r.alive) > 0) {
		// Restarted during the cut, after observations of the process
		// before it came in: they were kept outside it, on its NATS leaf
		// node (jetstream_domain). The replay goes on with the new process.
		r.seq, r.hb = seq, true
		c.mu.Unlock()
		return
	}
	if at.Before(r.to) && !restarted {
		if !at.Before(r.from) {
			if !poll {
				r.hb = true
			} else if ok {
				r.alive[device] = true
			}
		}
		c.mu.Unlock()
		return
	}
	s.replay = nil
	if restarted {
		r.hb = false
		clear(r.alive)
	}
	p := Partition{Collector: collector, From: r.from, To: r.to, Heartbeats: r.hb}
	for d := range r.alive {
		p.Alive = append(p.Alive, d)
	}
	slices.Sort(p.Alive)
	fn := c.onPartition
	c.m.partitioned.WithLabelValues(collector).Set(float64(len(p.Alive)))
	c.mu.Unlock()
	if p.Partitioned() {
		c.log.Warn("collector was partitioned from the centre, alive locally: its buffered observations are replayed",
			"collector", collector, "lost", r.from, "heard_again", r.to, "devices_alive", len(p.Alive))
	} else {
		c.log.Warn("collector was down: no buffered observation of the time it was lost", "collector", collector,
			"lost", r.from, "heard_again", r.to)
	}
	if fn != nil && p.Partitioned() {
		fn(p.Collector, p.From, p.To, p.Alive)
	}
}
