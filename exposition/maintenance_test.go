package exposition

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestMaintenanceSeries checks which sites each kind of window covers in
// the small inventory (S1 single-homed on agg-lyon-1, S2 dual-homed on
// agg-lyon-1 and agg-lyon-2 through ducts a and b, S3 on agg-lyon-2 and
// pfai-1 in another PoP), and that a window is rendered only while open.
func TestMaintenanceSeries(t *testing.T) {
	// Windows over when New runs are dropped: these are in the future.
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	end := start.Add(4 * time.Hour)
	for _, tc := range []struct {
		name string
		m    inventory.Maintenance
		at   time.Time
		want []string
	}{
		{"device isolates its single-homed site only", inventory.Maintenance{Devices: []string{"agg-lyon-1"}}, start, []string{
			`vigie_maintenance_active{id="agg-lyon-1",kind="device",window="W"} 1`,
			`vigie_site_in_maintenance{site="S1",window="W"} 1`,
		}},
		{"both ducts of a dual-homed site", inventory.Maintenance{SRLGs: []string{"duct-a", "duct-b"}}, start, []string{
			`vigie_maintenance_active{id="duct-a",kind="srlg",window="W"} 1`,
			`vigie_maintenance_active{id="duct-b",kind="srlg",window="W"} 1`,
			`vigie_site_in_maintenance{site="S2",window="W"} 1`,
		}},
		{"a PoP: the sites with no access elsewhere", inventory.Maintenance{PoPs: []string{"pop-lyon"}}, end.Add(-time.Second), []string{
			`vigie_maintenance_active{id="pop-lyon",kind="pop",window="W"} 1`,
			`vigie_site_in_maintenance{site="S1",window="W"} 1`,
			`vigie_site_in_maintenance{site="S2",window="W"} 1`,
		}},
		{"a site named, and a device", inventory.Maintenance{Sites: []string{"S3"}, Devices: []string{"agg-lyon-2"}}, start, []string{
			`vigie_maintenance_active{id="S3",kind="site",window="W"} 1`,
			`vigie_maintenance_active{id="agg-lyon-2",kind="device",window="W"} 1`,
			`vigie_site_in_maintenance{site="S3",window="W"} 1`,
		}},
		{"not yet open", inventory.Maintenance{Devices: []string{"agg-lyon-1"}}, start.Add(-time.Second), nil},
		{"closed", inventory.Maintenance{Devices: []string{"agg-lyon-1"}}, end, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := loadInventory(t, "small.json")
			tc.m.ID, tc.m.Start, tc.m.End = "W", start, end
			inv.Maintenance = []inventory.Maintenance{tc.m}
			e, err := New(inv, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			e.now = func() time.Time { return tc.at }
			if got := maintenanceLines(t, e); !slices.Equal(got, tc.want) {
				t.Errorf("at %s:\n got %q\nwant %q", tc.at.Format(time.RFC3339), got, tc.want)
			}
		})
	}
}

// TestMaintenanceOverWindowsDropped checks that a window over when the
// inventory is loaded costs nothing at scrape time.
func TestMaintenanceOverWindowsDropped(t *testing.T) {
	inv := loadInventory(t, "small.json")
	inv.Maintenance = []inventory.Maintenance{{ID: "old", Start: time.Now().Add(-2 * time.Hour), End: time.Now().Add(-time.Hour), Devices: []string{"agg-lyon-1"}}}
	e, err := New(inv, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.windows) != 0 {
		t.Errorf("kept %d windows over at load, want none", len(e.windows))
	}
}

func maintenanceLines(t *testing.T, e *Exposition) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := e.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "vigie_maintenance_") || strings.HasPrefix(l, "vigie_site_in_maintenance") {
			out = append(out, l)
		}
	}
	return out
}

// BenchmarkMaintenanceWindows measures what a reload of the full RIE costs
// per planned-works window that names a PoP (one graph build, shared by the
// windows, then one what-if each): go test -run '^$' -bench MaintenanceWindows ./exposition
func BenchmarkMaintenanceWindows(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 14000, Seed: 1})
	start := time.Now().Add(time.Hour)
	for i, p := range inv.PoPs {
		if i == 4 {
			break
		}
		inv.Maintenance = append(inv.Maintenance, inventory.Maintenance{ID: "W-" + p.ID, Start: start, End: start.Add(time.Hour), PoPs: []string{p.ID}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var covered int
	for range b.N {
		ws, err := maintenanceWindows(inv, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		covered = 0
		for _, w := range ws {
			covered += len(w.sites)
		}
	}
	b.ReportMetric(float64(covered), "sites_covered")
}
