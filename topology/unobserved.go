package topology

// unobserved.go: devices no one observes. A distributed vigie's central
// (docs/distributed.md) learns from a collector's heartbeats that it is
// lost; the devices it polls are then neither up nor down but unobserved,
// and so are the sites whose access routers are all unobserved. Nothing
// unobserved counts as a failure: the resilience analysis does not see a
// lost collector as a cut, and no site pages for it (its collector does).

import (
	"strconv"
	"time"
)

// DeviceUnobserved: the collector that polls the device is lost; its last
// observation is too old to say anything.
const DeviceUnobserved DeviceState = "unobserved"

// SiteUnobserved is the state of a site whose access routers are all
// unobserved.
const SiteUnobserved = "unobserved"

// EventDevicesUnobserved records, once for all of them, that the devices
// a collector polls became unobserved (its subject is "collector:NAME").
const EventDevicesUnobserved EventKind = "devices_unobserved"

// siteStatesDistributed are the site states of a central fed by collectors.
var siteStatesDistributed = []string{SiteNominal, SiteDegraded, SiteIsolated, SiteUnobserved}

// States returns the site states the analysis counts: SiteStates, and
// SiteUnobserved when the topology is fed by collectors.
func (a *Analysis) States() []string {
	if a.distributed {
		return siteStatesDistributed
	}
	return SiteStates
}

type unobserve struct {
	why     string
	devices []string
	at      time.Time
}

// Unobserve marks devices unobserved at at, as why (a subject such as
// "collector:reunion") says. Each becomes observed again with its next
// poll. Safe from any goroutine; returns at once after Run stopped.
func (t *Topology) Unobserve(why string, devices []string, at time.Time) {
	select {
	case t.in <- message{unobserve: &unobserve{why: why, devices: devices, at: at}}:
	case <-t.done:
	}
}

// applyUnobserve runs on the writer goroutine with t.mu held.
func (t *Topology) applyUnobserve(u *unobserve) {
	n := 0
	for _, name := range u.devices {
		d := t.st.devices[name]
		if d == nil || d.inv == nil || d.state == DeviceUnobserved {
			continue
		}
		n++
		// No event per device: the cause is one lost collector.
		d.state, d.since, d.failures, d.reason, d.live = DeviceUnobserved, u.at, 0, "", false
		t.markDirty(d)
		for _, l := range d.links {
			if mine, _ := l.ends(d.name); mine.status != statusUnknown {
				mine.status, l.dirty = statusUnknown, true
			}
		}
		t.refreshLinks(d, u.at)
	}
	if n == 0 {
		return
	}
	t.emit(Event{Time: u.at, Kind: EventDevicesUnobserved, Subject: u.why, To: string(DeviceUnobserved),
		Detail: strconv.Itoa(n) + " devices: no heartbeat from their collector"})
	t.noteAnnounced(EventDevicesUnobserved, u.why) // witness.go
	t.failuresChanged("")
	t.obsDirty, t.availDirty = true, true
}

// unobservedSites sets the state of the sites whose access routers are
// all unobserved. It runs on the writer goroutine.
func (t *Topology) unobservedSites(a *Analysis) {
	t.obsDirty = false
	if !t.opts.Distributed {
		return
	}
	a.distributed = true
	for i := range a.Sites {
		s := &a.Sites[i]
		as := t.availSite(s.ID)
		if as == nil || len(as.devs) == 0 {
			continue
		}
		all := true
		for _, d := range as.devs {
			if d.state != DeviceUnobserved {
				all = false
				break
			}
		}
		if all {
			s.State = SiteUnobserved
		}
		s.Witness = ""
		if all {
			s.Witness = t.aliveLocally(as) // witness.go
		}
	}
}

// observedAgain notes that an unobserved device was polled again: its
// sites' states must be analysed again.
func (t *Topology) observedAgain() {
	t.obsDirty, t.failDirty, t.availDirty = true, true, true
}
