package inventory

import (
	"reflect"
	"testing"
	"time"
)

func TestMaintenanceDecoded(t *testing.T) {
	inv, err := Load("testdata/good/maintenance.yml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Maintenance{
		{ID: "CHG-1001", Start: time.Date(2030, 12, 5, 21, 0, 0, 0, time.UTC), End: time.Date(2030, 12, 6, 1, 0, 0, 0, time.UTC),
			Reason: "Replacement of the aggregation router's line cards", Devices: []string{"agg-lyon-1"}},
		{ID: "CHG-1002", Start: time.Date(2030, 1, 10, 8, 0, 0, 0, time.UTC), End: time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC),
			Sites: []string{"S-0001"}, PoPs: []string{"pop-lyon"}, SRLGs: []string{"duct-lyon-7"}},
	}
	if !reflect.DeepEqual(inv.Maintenance, want) {
		t.Errorf("maintenance:\n got %+v\nwant %+v", inv.Maintenance, want)
	}
}

func TestMaintenanceActive(t *testing.T) {
	m := Maintenance{Start: time.Date(2030, 1, 10, 8, 0, 0, 0, time.UTC), End: time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{m.Start.Add(-time.Second), false},
		{m.Start, true},
		{m.End.Add(-time.Second), true},
		{m.End, false},
	} {
		if got := m.Active(tc.at); got != tc.want {
			t.Errorf("Active(%s) = %t, want %t", tc.at.Format(time.RFC3339), got, tc.want)
		}
	}
}

// TestMaintenancePastWarning checks that only a window that ended more
// than a week ago is reported, and as a warning.
func TestMaintenancePastWarning(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	end := time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
	doc := []byte(`snmp_profiles:
  - {name: default, username: vigie, auth_password: {env: A}, priv_password: {env: P}}
regions: [{id: ara}]
pops: [{id: pop-lyon, region: ara}]
devices: [{name: agg-lyon-1, role: collection, pop: pop-lyon, address: 192.0.2.1}]
maintenance: [{id: CHG-1, start: 2030-01-10T08:00:00Z, end: 2030-01-10T12:00:00Z, devices: [agg-lyon-1]}]
`)
	for _, tc := range []struct {
		now      time.Time
		warnings int
	}{
		{end.Add(-time.Hour), 0},
		{end.Add(6 * 24 * time.Hour), 0},
		{end.Add(8 * 24 * time.Hour), 1},
	} {
		now = func() time.Time { return tc.now }
		var ws []Problem
		if _, err := Parse("m.yml", doc, LoadOptions{OnWarning: func(p Problem) { ws = append(ws, p) }}); err != nil {
			t.Fatalf("now %s: %v", tc.now, err)
		}
		if len(ws) != tc.warnings {
			t.Errorf("now %s: %d warnings %v, want %d", tc.now, len(ws), ws, tc.warnings)
		}
	}
}
