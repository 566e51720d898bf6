package collector

// This file is the "poll this device now" entry point: a notification
// receiver (collector/trap) asks for an immediate poll of one device, and
// the scheduler loop starts it ahead of the regular ones, bounded.

import "sync/atomic"

// Trigger says what PollNow did with a request; its values are the
// result label of the callers' counters.
type Trigger string

const (
	// TriggerQueued: a poll of the device is queued and will start as soon
	// as a worker is free (and the device's running poll, if any, ended).
	TriggerQueued Trigger = "queued"
	// TriggerMerged: a poll of the device was already queued; this request
	// joins it rather than queueing a second one.
	TriggerMerged Trigger = "merged"
	// TriggerUnknown: the inventory has no device of that name.
	TriggerUnknown Trigger = "unknown_device"
)

// DefaultMaxTriggered is the default bound on triggered polls running at
// once (Options.MaxTriggered): a storm of notifications (a PoP reboot
// makes every router behind it send linkDown) takes a few workers, never
// the fleet's regular polls.
const DefaultMaxTriggered = 16

// triggerState is the per-device part of PollNow, shared between the
// callers of PollNow and the scheduler loop (hence atomic).
type triggerState struct {
	// wanted is set by PollNow and cleared by the loop when the triggered
	// poll starts: while set, requests merge into the queued one.
	wanted atomic.Bool
}

// PollNow asks for a poll of the named device as soon as possible, outside
// its schedule, so that what a notification announced (a link down, a
// reboot) shows within seconds instead of at the next poll. It never
// blocks. At most one triggered poll per device is pending: requests made
// while one is queued merge into it; a request made while the device's
// poll runs queues one more poll, started when the running one ends (the
// running poll may have read the device before the event). Triggered polls
// take regular workers, at most Options.MaxTriggered at once, and are
// counted like any poll. A request made before Run starts waits for it.
func (c *Collector) PollNow(name string) Trigger {
	d, ok := c.byName[name]
	if !ok {
		return TriggerUnknown
	}
	if !d.trig.wanted.CompareAndSwap(false, true) {
		return TriggerMerged
	}
	// The channel has room for every device and a device is in it at most
	// once (wanted), so this send never blocks.
	c.trigger <- d
	return TriggerQueued
}

// nextTriggered removes and returns the first queued device that may start
// now (its previous poll ended), or nil.
func (c *Collector) nextTriggered() *device {
	for i, d := range c.triggered {
		if d.running {
			continue
		}
		c.triggered = append(c.triggered[:i], c.triggered[i+1:]...)
		return d
	}
	return nil
}
