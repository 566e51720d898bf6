package topology

import (
	"time"
)

// Bounds on what one device's LLDP table can add to the model, its store
// and its history. Whatever the inventory declares is never bounded: it is
// already bounded by the inventory, and it is what an operator needs in a
// crisis. What a device reports beyond it (neighbours the inventory does
// not declare, and the events they cause) is, so that one misbehaving
// device (a port facing a hypervisor farm, a buggy LLDP agent, a flood)
// cannot grow the model and the store without limit or flush everyone
// else's events out of the history.

// Values of the bound label of vigie_topology_device_bound_drops_total.
const (
	boundNeighbors = "neighbors"
	boundEvents    = "events"
)

// boundSetting names the configuration key that raises each bound, for the
// log line.
var boundSetting = map[string]string{
	boundNeighbors: "agent.max_lldp_neighbors",
	boundEvents:    "agent.max_device_events_per_minute",
}

// boundLogEvery is how often one device's hitting one bound is logged.
const boundLogEvery = time.Hour

// emitBounded records an event caused by what device d's LLDP reports
// beyond the inventory, within d's budget of MaxDeviceEvents a minute: a
// token bucket holding up to MaxDeviceEvents, refilled at MaxDeviceEvents a
// minute of poll time. Past the budget the event is left out of the
// history, the store and vigie_topology_changes_total (which stays the count
// of events recorded: the soak checks the store holds them all), and the
// drop is counted in vigie_topology_device_bound_drops_total. d nil records
// e unbounded.
func (t *Topology) emitBounded(d *device, e Event) {
	if d == nil {
		t.emit(e)
		return
	}
	limit := float64(t.opts.MaxDeviceEvents)
	switch {
	case d.evAt.IsZero():
		d.evTokens = limit
		d.evAt = e.Time
	case e.Time.After(d.evAt):
		d.evTokens = min(limit, d.evTokens+limit*e.Time.Sub(d.evAt).Minutes())
		d.evAt = e.Time
	}
	if d.evTokens >= 1 {
		d.evTokens--
		t.emit(e)
		return
	}
	t.boundHit(d, boundEvents, 1, e.Time, t.opts.MaxDeviceEvents)
}

// boundHit counts n items of device d dropped by bound, and logs it at
// most once per boundLogEvery per device and bound.
func (t *Topology) boundHit(d *device, bound string, n int, now time.Time, limit int) {
	t.m.boundDrops.WithLabelValues(d.name, bound).Add(float64(n))
	k := boundKey{d.name, bound}
	if last, ok := t.boundLog[k]; ok && now.Sub(last) < boundLogEvery && !now.Before(last) {
		return
	}
	t.boundLog[k] = now
	what := "LLDP neighbours the inventory does not declare"
	if bound == boundEvents {
		what = "events a minute caused by LLDP neighbours"
	}
	t.log.Warn("device hit its bound: the extra is dropped (counted in vigie_topology_device_bound_drops_total; logged once an hour per device); declare its neighbours in the inventory, fix the device, or raise "+boundSetting[bound],
		"device", d.name, "bound", bound, "limit", limit, "what", what, "setting", boundSetting[bound])
}

type boundKey struct{ device, bound string }
