package topology

import (
	"slices"
	"sync"
	"time"
)

// EventKind is a bounded set of change kinds, used as a metric label.
type EventKind string

// Event kinds.
const (
	EventLinkUp              EventKind = "link_up"
	EventLinkDown            EventKind = "link_down"
	EventDeviceReachable     EventKind = "device_reachable"
	EventDeviceUnreachable   EventKind = "device_unreachable"
	EventDeviceReboot        EventKind = "device_reboot"
	EventLLDPNeighborNew     EventKind = "lldp_neighbor_new"
	EventLLDPNeighborLost    EventKind = "lldp_neighbor_lost"
	EventDisagreement        EventKind = "disagreement"
	EventDisagreementCleared EventKind = "disagreement_cleared"
	EventBGPSessionUp        EventKind = "bgp_session_up"
	EventBGPSessionDown      EventKind = "bgp_session_down"
	EventSiteState           EventKind = "site_state"
)

// EventKinds lists every kind, so that the change counter shows zeros.
var EventKinds = []EventKind{EventLinkUp, EventLinkDown, EventDeviceReachable, EventDeviceUnreachable,
	EventDeviceReboot, EventLLDPNeighborNew, EventLLDPNeighborLost, EventDisagreement,
	EventDisagreementCleared, EventBGPSessionUp, EventBGPSessionDown, EventSiteState, EventSiteRouting}

// Event is one change of the live topology: Subject (a link id, a device
// name, a site id) went From one state To another; Detail says why.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    EventKind `json:"kind"`
	Subject string    `json:"subject"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// ring is the bounded in-memory history the API serves. The writer appends;
// API goroutines read.
type ring struct {
	mu   sync.RWMutex
	buf  []Event
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]Event, n)} }

func (r *ring) add(e Event) {
	r.mu.Lock()
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// since returns up to limit events at or after t, oldest first by their
// own time: a partitioned collector's replayed events arrive after newer
// live ones, and are served where they belong.
func (r *ring) since(t time.Time, limit int) []Event {
	r.mu.RLock()
	out := []Event{} // an empty list in JSON, never null
	add := func(es []Event) {
		for _, e := range es {
			if !e.Time.Before(t) {
				out = append(out, e)
			}
		}
	}
	if r.full {
		add(r.buf[r.next:])
	}
	add(r.buf[:r.next])
	r.mu.RUnlock()
	// Stable: events of one time keep their order of arrival. The ring is
	// nearly sorted already, which pdqsort's insertion runs make cheap.
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
