// This file checks the collectors: section against the devices: a device
// that no collector names, by itself, its PoP or its region, is polled by
// nobody once vigie runs distributed.

package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// uncollected warns, once for the section, about the devices that no
// collector polls: how many, in which regions, and one of them with its
// line, so that the gap is found before the collectors start. It runs
// once the inventory is indexed.
func (d *decoder) uncollected(line int, p fpath) {
	inv := d.inv
	if len(inv.Collectors) == 0 {
		return
	}
	collector := collectorOf(inv)
	var first *Device
	n := 0
	perRegion := map[string]int{}
	for i := range inv.Devices {
		dev := &inv.Devices[i]
		if collector(dev) != "" {
			continue
		}
		if n++; first == nil {
			first = dev
		}
		perRegion[inv.DeviceRegion(dev)]++
	}
	if n == 0 {
		return
	}
	regions := make([]string, 0, len(perRegion))
	for r := range perRegion {
		regions = append(regions, r)
	}
	slices.SortFunc(regions, func(a, b string) int {
		return cmp.Or(cmp.Compare(perRegion[b], perRegion[a]), cmp.Compare(a, b))
	})
	var where []string
	for i, r := range regions {
		if i == 5 {
			where = append(where, fmt.Sprintf("%d more regions", len(regions)-5))
			break
		}
		name := "region " + r
		if r == "" {
			name = "no region"
		}
		where = append(where, fmt.Sprintf("%s: %d", name, perRegion[r]))
	}
	devices := "devices are"
	if n == 1 {
		devices = "device is"
	}
	d.warnf(line, p, "%d %s polled by no collector (%s), e.g. %s at line %d: give their regions, PoPs or the devices themselves to a collector, or nothing polls them when vigie runs distributed",
		n, devices, strings.Join(where, ", "), first.Name, first.Line)
}
