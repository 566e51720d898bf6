package daemon

// bgpremote.go: a central whose BGP sessions a regional collector runs
// (the inventory's collectors: entry with bgp: true, docs/distributed.md).
// Its monitor is then a mirror that opens no session and serves the Views
// the collector publishes; a lost collector leaves BGP unobserved, every
// verdict unknown and no vigie_bgp_* series, rather than sessions down.

import (
	"sync/atomic"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
)

// BGPSource is a Source that also hands on the BGP Views of the collector
// running the sessions (observe.Consumer).
type BGPSource interface {
	Source
	OnBGP(fn func(collector string, v *bgp.View))
}

// newBGPMonitor builds the BGP monitor: a mirror on a central whose
// inventory gives the sessions to a collector, else one that runs them.
func newBGPMonitor(inv *inventory.Inventory, opts Options, bopts bgp.Options) (*bgp.Monitor, error) {
	if opts.Source != nil && inv.BGPCollector() != "" {
		return bgp.NewMirror(inv.BGP, inv, bopts)
	}
	return bgp.New(inv.BGP, inv, bopts)
}

// bgpRefusedLogged rate-limits the lines about Views refused (once a
// minute across daemons: a collector of another inventory sends many).
var bgpRefusedLogged atomic.Int64

// onBGPView applies a View from collector to the mirror.
func (d *Daemon) onBGPView(collector string, v *bgp.View) {
	if d.bgp == nil || !d.bgp.Mirror() {
		return
	}
	var err error
	if want := d.inv.BGPCollector(); collector != want {
		err = errWrongBGPCollector
	} else {
		// The View's verdicts are dated by its time: a partitioned
		// collector's replayed Views keep the history of the cut.
		d.viewMu.Lock()
		if !v.Time.IsZero() {
			d.viewAt.Store(v.Time.UnixNano())
		}
		err = d.bgp.Apply(v)
		d.viewAt.Store(0)
		d.viewMu.Unlock()
	}
	if err == nil {
		return
	}
	if now := time.Now().Unix(); now-bgpRefusedLogged.Load() >= 60 {
		bgpRefusedLogged.Store(now)
		d.log.Warn("BGP view refused", "collector", collector, "bgp_collector", d.inv.BGPCollector(), "err", err)
	}
}

type bgpError string

func (e bgpError) Error() string { return string(e) }

const errWrongBGPCollector = bgpError("this collector is not the one the inventory's collectors: section gives the BGP sessions to (bgp: true); run its sessions on one collector only")

// bgpCollectorLost makes BGP unobserved when the collector running the
// sessions is lost; its next View, once it is heard again, restores it.
func (d *Daemon) bgpCollectorLost(collector string) {
	if d.bgp == nil || !d.bgp.Mirror() || collector != d.inv.BGPCollector() {
		return
	}
	d.log.Warn("the collector running the BGP sessions is lost: BGP is unobserved (no vigie_bgp_* series, every routing verdict unknown) until it is heard again", "collector", collector)
	d.viewMu.Lock()
	d.bgp.Unobserve()
	d.viewMu.Unlock()
}

// adoptBGP gives a reloaded central's mirror the View its predecessor
// served, so that BGP stays observed across the reload (a View of
// another configuration is refused: the collector's next one will do).
func (d *Daemon) adoptBGP(prev *Daemon) {
	if d.bgp == nil || prev.bgp == nil || !d.bgp.Mirror() || !prev.bgp.Mirror() {
		return
	}
	if v := prev.bgp.View(); v != nil {
		again := *v
		again.Events = nil // told already
		_ = d.bgp.Apply(&again)
	}
}
