package topology

// witness.go: a lost collector's devices that another collector still
// reaches. While the central has lost collector X its devices are
// unobserved; a witness (a collector the inventory names among X's
// witnesses) probes them and reports those it reaches. Those stay
// unobserved (nobody polls their interfaces, nothing is invented) but are
// "alive locally", and a site whose unobserved access routers a witness
// reaches is reported partitioned from the centre, alive locally, rather
// than merely unobserved: still no failure, still no site alert. A device
// the witness cannot reach stays plainly unobserved: the witness may be
// cut too, which proves nothing (docs/distributed.md, "Witnesses").

import (
	"fmt"
	"time"
)

// EventAliveLocally records, once per loss of a collector, that a witness
// reaches some of its devices (its subject is "collector:NAME").
const EventAliveLocally EventKind = "collector_alive_locally"

// SiteAliveLocally is the To of an EventAliveLocally.
const SiteAliveLocally = "alive_locally"

type vouch struct {
	why, witness string
	devices      []string
	alive        map[string]bool
	at           time.Time
}

// Vouch says that witness, probing the devices of the lost collector that
// why names ("collector:NAME"), reaches alive among them at at: those
// still unobserved are alive locally until their next poll, or until the
// next Vouch of the same witness leaves them out. Vouch with no alive
// device withdraws what witness said. Safe from any goroutine.
func (t *Topology) Vouch(why, witness string, devices, alive []string, at time.Time) {
	v := &vouch{why: why, witness: witness, devices: devices, alive: make(map[string]bool, len(alive)), at: at}
	for _, d := range alive {
		v.alive[d] = true
	}
	select {
	case t.in <- message{vouch: v}:
	case <-t.done:
	}
}

// applyVouch runs on the writer goroutine with t.mu held.
func (t *Topology) applyVouch(v *vouch) {
	changed, before, now := 0, 0, 0
	for _, name := range v.devices {
		d := t.st.devices[name]
		if d == nil {
			continue
		}
		if d.vouched != "" {
			before++
		}
		want := d.vouched
		switch {
		case d.state == DeviceUnobserved && v.alive[name]:
			want = v.witness
		case d.vouched == v.witness:
			want = ""
		}
		if want != d.vouched {
			d.vouched = want
			changed++
		}
		if d.vouched != "" {
			now++
		}
	}
	if changed == 0 {
		return
	}
	t.obsDirty = true
	t.failuresChanged("")
	if now == 0 {
		delete(t.announced, v.why) // withdrawn: a new verdict is news again
		return
	}
	// One event per loss and verdict: not again when the verdict merely
	// changes, nor when a reload or restart of this central lost track of
	// it (announced comes back from the events).
	if before > 0 || t.announced[v.why] {
		return
	}
	sites := 0
	for i := range t.avail {
		if t.aliveLocally(&t.avail[i]) != "" {
			sites++
		}
	}
	t.emit(Event{Time: v.at, Kind: EventAliveLocally, Subject: v.why, From: string(DeviceUnobserved), To: SiteAliveLocally,
		Detail: fmt.Sprintf("witness %s reaches %d of its %d devices: %d sites partitioned from the centre, alive locally (not polled: no interface data)",
			v.witness, now, len(v.devices), sites)})
	t.noteAnnounced(EventAliveLocally, v.why)
}

// noteAnnounced keeps announced up to date with each event written or
// restored: a collector_alive_locally announces its collector's verdict,
// a devices_unobserved opens a new loss that is not announced yet.
func (t *Topology) noteAnnounced(kind EventKind, subject string) {
	switch kind {
	case EventAliveLocally:
		if t.announced == nil {
			t.announced = map[string]bool{}
		}
		t.announced[subject] = true
	case EventDevicesUnobserved:
		delete(t.announced, subject)
	}
}

// aliveLocally returns the witness that reaches one of the site's access
// routers when they are all unobserved, else "".
func (t *Topology) aliveLocally(as *availSite) string {
	w := ""
	for _, d := range as.devs {
		if d.state != DeviceUnobserved {
			return ""
		}
		if w == "" {
			w = d.vouched
		}
	}
	return w
}
