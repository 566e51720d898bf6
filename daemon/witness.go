package daemon

import (
	"slices"
	"time"
)

// WitnessSource is a Source that also tells what a witness (a collector
// the inventory names among a lost collector's witnesses) reaches of that
// collector's devices while the central has lost it (docs/distributed.md,
// "Witnesses"), and when that verdict is withdrawn (alive nil).
type WitnessSource interface {
	Source
	OnWitness(fn func(collector, witness string, alive []string) bool)
}

// onWitness hands the topology a witness's verdict on a lost collector's
// devices. A witness the inventory does not name for that collector is
// refused: any collector may publish on its own subject, only the
// inventory says whose devices it may vouch for.
func (d *Daemon) onWitness(collector, witness string, alive []string) bool {
	c := d.inv.Collector(collector)
	if c == nil || !slices.Contains(c.Witnesses, witness) {
		return false
	}
	var devs []string
	for i := range d.inv.Devices {
		if d.inv.CollectorOf(&d.inv.Devices[i]) == collector {
			devs = append(devs, d.inv.Devices[i].Name)
		}
	}
	// Only its own devices: a witness cannot vouch for anyone else's.
	alive = slices.DeleteFunc(slices.Clone(alive), func(n string) bool {
		dev := d.inv.Device(n)
		return dev == nil || d.inv.CollectorOf(dev) != collector
	})
	d.topo.Vouch("collector:"+collector, witness, devs, alive, time.Now())
	return true
}
