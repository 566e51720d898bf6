package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/vigie-rie/vigie/inventory"
)

// loadGCPercent is the garbage collector's target (GOGC) while a collector
// loads the inventory: the peak of a 2,000-device collector's load on the
// full RIE goes from about 105 to 85 MiB for some 0.2 s more CPU
// (BENCHMARKS.md, "Loading the inventory").
const loadGCPercent = 40

// loadShare loads the inventory at config and returns the share of the
// collector name, and the whole inventory when the collector needs it (it
// runs the BGP sessions, which judge every site, or witnesses another
// collector's devices); else nil. The whole inventory is checked, as `vigie run` checks it,
// but only the share is kept: on the full RIE the load's garbage and the
// 14,000 sites take some 80 MiB that a collector of one region must not
// keep, nor let the garbage collector's target grow from (the next
// collection would wait for the heap to double from there).
func loadShare(config, name string, logger *slog.Logger) (share, whole *inventory.Inventory, err error) {
	// The load's garbage (its YAML pieces, see inventory/stream.go) would
	// otherwise let the heap grow to twice the whole inventory before it is
	// collected: collect more often while loading, and only then.
	// An operator's lower GOGC (or GOGC=off) is kept.
	prev := debug.SetGCPercent(loadGCPercent)
	if prev < loadGCPercent {
		debug.SetGCPercent(prev)
	}
	defer debug.SetGCPercent(prev)
	inv, err := inventory.Load(config, inventory.LoadOptions{
		ResolveSecrets: true,
		OnWarning:      func(p inventory.Problem) { logger.Warn("inventory", "problem", p.String()) },
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w\n(fix the inventory; vigie check-config --secrets %s lists every problem)", err, config)
	}
	if inv.Collector(name) == nil {
		return nil, nil, fmt.Errorf("--collector %q: %s declares no such collector; add it to its collectors: section, e.g. collectors: [{name: %s, regions: [...]}]", name, config, name)
	}
	share = inv.Share(name)
	if len(share.Devices) == 0 {
		return nil, nil, fmt.Errorf("--collector %q: the collectors: section of %s gives it no device", name, config)
	}
	if c := inv.Collector(name); c.BGP || len(inv.VouchesFor(name)) > 0 {
		return share, inv, nil
	}
	// Collect the load's garbage now and give its pages back to the system.
	debug.FreeOSMemory()
	return share, nil, nil
}
