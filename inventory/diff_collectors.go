// This file compares the collectors: section: the collectors added,
// removed or given other regions, PoPs or devices, and each device that
// changes collector, which is what reloading the collectors will do.

package inventory

import (
	"maps"
	"slices"
	"strconv"
)

func collectorThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Collectors))
	for _, c := range inv.Collectors {
		t := thing{id: c.Name, line: c.Line}
		t.set("regions", list(c.Regions))
		t.set("pops", list(c.PoPs))
		t.set("devices", list(c.Devices))
		// A collector reads these at start too: changed, it must restart.
		t.set("bgp", strconv.FormatBool(c.BGP))
		t.set("witnesses", list(c.Witnesses))
		t.set("jetstream_domain", c.JetStreamDomain)
		out = append(out, t)
	}
	return out
}

// collectorOf returns what inv.CollectorOf returns, from maps built once:
// a diff of the whole RIE asks it of every device.
func collectorOf(inv *Inventory) func(*Device) string {
	byDevice, byPoP, byRegion := map[string]string{}, map[string]string{}, map[string]string{}
	// A name is given to one collector at most (the decoder refuses two);
	// the first keeps it, as CollectorOf does.
	for _, c := range inv.Collectors {
		for _, x := range []struct {
			m   map[string]string
			ids []string
		}{{byDevice, c.Devices}, {byPoP, c.PoPs}, {byRegion, c.Regions}} {
			for _, id := range x.ids {
				if _, taken := x.m[id]; !taken {
					x.m[id] = c.Name
				}
			}
		}
	}
	return func(d *Device) string {
		if c, ok := byDevice[d.Name]; ok {
			return c
		}
		if c, ok := byPoP[d.PoP]; ok && d.PoP != "" {
			return c
		}
		return byRegion[inv.DeviceRegion(d)]
	}
}

// CollectorsAffected returns, sorted, the collectors whose share the
// changes alter: added, removed or changed ones, and both ends of each
// device that moves. `vigie collect` reads its share at start, so these are
// the collectors to restart with the new inventory.
func CollectorsAffected(changes []Change) []string {
	set := map[string]bool{}
	for _, c := range changes {
		switch c.Kind {
		case "collector":
			set[c.ID] = true
		case "device":
			for _, f := range c.Fields {
				if f.Field == "collector" {
					set[f.Old], set[f.New] = true, true
				}
			}
		}
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}
