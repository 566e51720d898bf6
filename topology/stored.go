package topology

import (
	"slices"

	"github.com/vigie-rie/vigie/topology/resilience"
	"github.com/vigie-rie/vigie/topology/store"
)

// StoredFailures returns the failed set a stored topology describes, by the
// same rule as the live model: unreachable devices, and declared links down
// for a reason of their own (a link down because an end's device is
// unreachable is explained by that device). Items the graph does not know
// (the inventory changed since the file was written) are left out.
func StoredFailures(g *resilience.Graph, snap store.Snapshot) resilience.Failures {
	var f resilience.Failures
	unreachable := make(map[string]bool)
	for _, d := range snap.Devices {
		if d.State == string(DeviceUnreachable) {
			unreachable[d.Name] = true
			f.Devices = append(f.Devices, d.Name)
		}
	}
	known := make(map[resilience.LinkID]bool)
	for _, id := range g.Links() {
		known[id] = true
	}
	for _, l := range snap.Links {
		if l.State != string(LinkDown) || !known[resilience.LinkID(l.ID)] ||
			unreachable[l.A.Device] || unreachable[l.B.Device] {
			continue
		}
		f.Links = append(f.Links, l.ID)
	}
	slices.Sort(f.Devices)
	slices.Sort(f.Links)
	if g.Check(f) != nil {
		// A device the inventory no longer has: keep only what it knows.
		var kept resilience.Failures
		for _, d := range f.Devices {
			if g.Check(resilience.Failures{Devices: []string{d}}) == nil {
				kept.Devices = append(kept.Devices, d)
			}
		}
		kept.Links = f.Links
		f = kept
	}
	return f
}
