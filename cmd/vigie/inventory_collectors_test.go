package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// TestInventoryDiffCollectorsThroughBinary: before restarting collectors
// with a new inventory, `vigie inventory diff` names the collectors added,
// removed or reshaped, each device that changes collector (with where it is
// declared), a device left to no collector, and the collectors to restart.
// On a simulated RIE split between three collectors, a region given to
// another collector moves exactly that region's devices.
func TestInventoryDiffCollectorsThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	data := filepath.Join("..", "..", "inventory", "testdata", "diff")
	base, old, next := filepath.Join(data, "collectors.base.yml"), filepath.Join(data, "collectors.old.yml"), filepath.Join(data, "collectors.new.yml")
	diff := func(args ...string) (string, int) {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"inventory", "diff"}, args...)...).CombinedOutput()
		return string(out), exitCode(err)
	}

	for _, tc := range []struct {
		name     string
		old, new string
		want     []string
		never    []string
	}{
		{"reshuffled", old, next, []string{
			"device agg-lyon-2 moved (" + old + ":17 -> " + next + ":20): collector lyon-2 -> mainland\n",
			"device agg-paris-1 re-addressed (", ": address 192.0.2.3 -> 192.0.2.33; collector mainland -> paris\n",
			"device ce-s0003 moved (", `: collector overseas -> ""` + "\n",
			"collector lyon-2 removed (" + old + ":",
			"collector antilles added (" + next + ":",
			"collector mainland changed (", ": regions [ara idf] -> [ara]\n",
			"10 changes: 4 device moved, 1 device re-addressed, 2 collector added, 1 collector removed, 2 collector changed\n",
			"collectors whose share changes (each reads it at start: restart them with the new inventory): antilles lyon-2 mainland overseas paris\n",
		}, []string{"device agg-lyon-1", "device agg-reu-1"}},
		{"section added", base, old, []string{"collector mainland added", "3 changes: 3 collector added\n",
			"restart them with the new inventory): lyon-2 mainland overseas\n"}, []string{"device "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := diff(tc.old, tc.new)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out, err := exec.Command(bin, "inventory", "diff", "--format", "json", old, next).Output()
		if code := exitCode(err); code != 1 {
			t.Fatalf("exit %d (%v), want 1", code, err)
		}
		var changes []inventory.Change
		if err := json.Unmarshal(out, &changes); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		moves := map[string]string{}
		for _, c := range changes {
			for _, f := range c.Fields {
				if c.Kind == "device" && f.Field == "collector" {
					moves[c.ID] = f.Old + ">" + f.New
				}
			}
		}
		want := map[string]string{"agg-gua-1": "overseas>antilles", "agg-lyon-2": "lyon-2>mainland", "agg-paris-1": "mainland>paris",
			"ce-s0001": "mainland>overseas", "ce-s0003": "overseas>"}
		if fmt.Sprint(moves) != fmt.Sprint(want) {
			t.Errorf("collector moves %v, want %v", moves, want)
		}
	})

	t.Run("a region to another collector", func(t *testing.T) {
		inv := fastInventory(60, 23)
		split := func(moved string) *inventory.Inventory {
			c := *inv
			c.Collectors = nil
			shares := map[string]*inventory.CollectorShare{}
			for _, n := range distCollectors {
				shares[n] = &inventory.CollectorShare{Name: n}
			}
			mainland := 0
			for _, r := range inv.Regions {
				n := "overseas"
				if !r.Overseas {
					n = distCollectors[mainland%2]
					mainland++
				}
				if r.ID == moved {
					n = "overseas"
				}
				shares[n].Regions = append(shares[n].Regions, r.ID)
			}
			for _, n := range distCollectors {
				c.Collectors = append(c.Collectors, *shares[n])
			}
			return &c
		}
		var region string
		for _, r := range inv.Regions {
			if !r.Overseas {
				region = r.ID
				break
			}
		}
		before, after := split(""), split(region)
		var want []string
		for i := range before.Devices {
			if before.DeviceRegion(&before.Devices[i]) == region {
				want = append(want, before.Devices[i].Name)
			}
		}
		if len(want) == 0 {
			t.Fatalf("region %s has no device", region)
		}
		a, b := writeConfig(t, t.TempDir(), before), writeConfig(t, t.TempDir(), after)
		out, code := diff(a, b)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "device ") && strings.HasSuffix(line, "collector mainland-a -> overseas") {
				got = append(got, strings.Fields(line)[1])
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("devices moved %v, want region %s's %v:\n%s", got, region, want, out)
		}
		if !strings.Contains(out, fmt.Sprintf("%d device moved, 2 collector changed\n", len(want))) ||
			!strings.HasSuffix(out, "restart them with the new inventory): mainland-a overseas\n") {
			t.Errorf("summary:\n%s", out)
		}
	})
}
