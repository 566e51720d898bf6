package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// TestCheckConfigUncollectedThroughBinary: `vigie check-config` on a
// simulated RIE whose collectors: section forgets the overseas regions
// warns once with how many devices nothing would poll and one of them
// (exit 0; 1 with --strict); the section covering every region gives no
// such warning.
func TestCheckConfigUncollectedThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	inv := fastInventory(40, 24)
	withShares := func(overseas bool) string {
		c := *inv
		c.Collectors = []inventory.CollectorShare{{Name: "mainland"}}
		if overseas {
			c.Collectors = append(c.Collectors, inventory.CollectorShare{Name: "overseas"})
		}
		for _, r := range inv.Regions {
			switch {
			case !r.Overseas:
				c.Collectors[0].Regions = append(c.Collectors[0].Regions, r.ID)
			case overseas:
				c.Collectors[1].Regions = append(c.Collectors[1].Regions, r.ID)
			}
		}
		return writeConfig(t, t.TempDir(), &c)
	}
	var left int
	var regions []string
	for i := range inv.Devices {
		if r := inv.DeviceRegion(&inv.Devices[i]); inv.Region(r) != nil && inv.Region(r).Overseas {
			left++
			if !containsString(regions, r) {
				regions = append(regions, r)
			}
		}
	}
	if left == 0 {
		t.Fatal("the simulated RIE has no overseas device")
	}
	check := func(args ...string) (string, int) {
		out, err := exec.Command(bin, append([]string{"check-config"}, args...)...).CombinedOutput()
		return string(out), exitCode(err)
	}

	partial := withShares(false)
	out, code := check(partial)
	want := fmt.Sprintf("collectors: warning: %d devices are polled by no collector (", left)
	if code != 0 || strings.Count(out, "polled by no collector") != 1 || !strings.Contains(out, want) || !strings.Contains(out, ", e.g. ") {
		t.Errorf("check-config on a section without the overseas regions: exit %d, want 0 and one warning with %q:\n%s", code, want, out)
	}
	if len(regions) <= 5 { // the warning names five regions at most
		for _, r := range regions {
			if !strings.Contains(out, "region "+r+": ") {
				t.Errorf("the warning does not name region %s:\n%s", r, out)
			}
		}
	}
	if out, code := check("--strict", partial); code != 1 || !strings.Contains(out, "polled by no collector") {
		t.Errorf("check-config --strict: exit %d, want 1:\n%s", code, out)
	}
	if out, code := check(withShares(true)); code != 0 || strings.Contains(out, "polled by no collector") {
		t.Errorf("check-config on a section covering every region: exit %d:\n%s", code, out)
	}
}
