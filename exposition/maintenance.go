package exposition

// maintenance.go renders the inventory's planned-works windows: what each
// active window names, and every site it covers, so that the alerting rules
// and Alertmanager keep the works from paging (alerting/rules, the
// VigieMaintenance alert and its inhibitions).

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/resilience"
)

var (
	famMaintenanceActive = newFamily("vigie_maintenance_active", Gauge,
		"1 for each site, PoP, device or shared-risk group a declared planned-works window names, while the window is open.",
		"kind", "id", "window")
	famSiteInMaintenance = newFamily("vigie_site_in_maintenance", Gauge,
		"1 for each site an open planned-works window covers: named in it, or cut off from the datacentres if everything the window names failed.",
		"site", "window")

	maintenanceFamilies = []*Family{famMaintenanceActive, famSiteInMaintenance}
)

// maintenanceItem is one thing a window names.
type maintenanceItem struct{ kind, id string }

// window is one declared window with what it covers, computed once per
// inventory: the works do not change while the inventory does not.
type window struct {
	id         string
	start, end time.Time
	items      []maintenanceItem
	sites      []string // named, or cut off by the works; sorted
}

// maintenanceWindows computes what each window of inv covers. A site is
// covered when the window names it, or when the declared topology with
// everything the window names removed leaves it without a path to the
// datacentres (a PoP's single-homed sites, those behind a device or a duct
// the works take down). A site the works only deprive of its redundancy is
// not covered: if its other access fails during the works, that is an
// outage to page for. Windows already over are left out.
func maintenanceWindows(inv *inventory.Inventory, now time.Time) ([]window, error) {
	var ws []window
	var g *resilience.Graph
	var before *resilience.Result // the declared topology with nothing failed
	for _, m := range inv.Maintenance {
		if !m.End.After(now) {
			continue
		}
		w := window{id: m.ID, start: m.Start, end: m.End}
		var works resilience.Failures
		for _, s := range m.Sites {
			w.items = append(w.items, maintenanceItem{"site", s})
			w.sites = append(w.sites, s)
		}
		for _, p := range m.PoPs {
			w.items = append(w.items, maintenanceItem{"pop", p})
			works.PoPs = append(works.PoPs, p)
		}
		for _, d := range m.Devices {
			w.items = append(w.items, maintenanceItem{"device", d})
			works.Devices = append(works.Devices, d)
		}
		for _, s := range m.SRLGs {
			w.items = append(w.items, maintenanceItem{"srlg", s})
			works.SRLGs = append(works.SRLGs, s)
		}
		if len(works.Items()) > 0 {
			if g == nil {
				var err error
				if g, err = resilience.Build(inv); err != nil {
					return nil, fmt.Errorf("exposition: maintenance window %q: %w", m.ID, err)
				}
				before = g.Analyze(resilience.Failures{})
			}
			// Both results list every site in the same (id) order; only the
			// sites the works touch are recomputed.
			after := g.Reanalyze(before, works, nil)
			for k := range after.Sites {
				if after.Sites[k].Isolated && !before.Sites[k].Isolated {
					w.sites = append(w.sites, after.Sites[k].ID)
				}
			}
		}
		slices.Sort(w.sites)
		w.sites = slices.Compact(w.sites)
		ws = append(ws, w)
	}
	return ws, nil
}

// writeMaintenance writes the series of the windows open at now.
func writeMaintenance(tw *textWriter, ws []window, now time.Time) {
	open := make([]*window, 0, len(ws))
	for i := range ws {
		if w := &ws[i]; !now.Before(w.start) && now.Before(w.end) {
			open = append(open, w)
		}
	}
	if len(open) == 0 {
		return
	}
	tw.header(famMaintenanceActive)
	for _, w := range open {
		for _, it := range w.items {
			tw.series(famMaintenanceActive, 1, it.kind, it.id, w.id)
		}
	}
	first := true
	for _, w := range open {
		for _, s := range w.sites {
			if first {
				tw.header(famSiteInMaintenance)
				first = false
			}
			tw.series(famSiteInMaintenance, 1, s, w.id)
		}
	}
}
