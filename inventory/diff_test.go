package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiff compares testdata/diff/OLD.yml with NEW.yml for each case and
// the changes, one per line, with testdata/diff/NAME.diff
// (go test -run TestDiff -update rewrites them).
func TestDiff(t *testing.T) {
	for _, tc := range []struct{ name, old, new string }{
		// The same file: nothing.
		{"none", "none.old", "none.new"},
		// A moved access, a re-addressed CE, a ministry, a secret's
		// reference, a region added, an expected prefix gone; a link
		// written the other way round and SRLGs reordered are no change.
		{"changes", "changes.old", "changes.new"},
		// Backwards: the region is removed.
		{"reverse", "changes.new", "changes.old"},
		// Collectors added, removed and given other regions and PoPs;
		// each device polled by another collector is "moved", one
		// also re-addressed, one left to no collector.
		{"collectors", "collectors.old", "collectors.new"},
		// The section added to a one-box inventory: the collectors are
		// added, the devices do not each show as moved; and removed.
		{"collectors-added", "collectors.base", "collectors.old"},
		{"collectors-removed", "collectors.old", "collectors.base"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			load := func(name string) *Inventory {
				inv, err := Load(filepath.Join("testdata/diff", name+".yml"), LoadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return inv
			}
			var b strings.Builder
			changes := Diff(load(tc.old), load(tc.new))
			for _, c := range changes {
				b.WriteString(c.Kind + " " + c.ID + " " + c.Change)
				for _, f := range c.Fields {
					b.WriteString("; " + f.Field + ": " + f.Old + " -> " + f.New)
				}
				b.WriteString("\n")
			}
			b.WriteString(DiffSummary(changes) + "\n")
			if cs := CollectorsAffected(changes); len(cs) > 0 {
				b.WriteString("collectors affected: " + strings.Join(cs, " ") + "\n")
			}
			golden := filepath.Join("testdata/diff", tc.name+".diff")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("diff differs from %s\n--- got:\n%s--- want:\n%s", golden, b.String(), want)
			}
		})
	}
}

// TestDiffFullSize: the simulated-size RIE against itself is empty, and one
// moved access among 14,000 sites is that one change.
func TestDiffFullSize(t *testing.T) {
	prev, next := fullSize(14000), fullSize(14000)
	if c := Diff(prev, next); len(c) != 0 {
		t.Fatalf("identical inventories: %d changes, first %+v", len(c), c[0])
	}
	s := &next.Sites[7000]
	s.Access[0].Device = s.Access[len(s.Access)-1].Device + "-x"
	c := Diff(prev, next)
	if len(c) != 1 || c[0].Kind != "access" || c[0].Change != "moved" || !strings.HasPrefix(c[0].ID, s.ID+"/") {
		t.Fatalf("one access moved: got %+v", c)
	}
}

func BenchmarkDiffFullSize(b *testing.B) {
	prev, next := fullSize(14000), fullSize(14000)
	next.Sites[7000].Protection = ProtectionNone
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if c := Diff(prev, next); len(c) != 1 {
			b.Fatalf("%d changes", len(c))
		}
	}
	reportCPU(b, start)
}

// BenchmarkDiffFullSizeCollectors: the full-size RIE shared between one
// collector per region, one region given to its neighbour's collector.
func BenchmarkDiffFullSizeCollectors(b *testing.B) {
	split := func(inv *Inventory, moved int) {
		for i, r := range inv.Regions {
			c := CollectorShare{Name: "c-" + r.ID, Regions: []string{r.ID}}
			if i == moved {
				inv.Collectors[len(inv.Collectors)-1].Regions = append(inv.Collectors[len(inv.Collectors)-1].Regions, r.ID)
				continue
			}
			inv.Collectors = append(inv.Collectors, c)
		}
	}
	prev, next := fullSize(14000), fullSize(14000)
	split(prev, -1)
	split(next, 1)
	var moved int
	for _, c := range Diff(prev, next) {
		if c.Change == "moved" {
			moved++
		}
	}
	if moved == 0 {
		b.Fatal("no device moved")
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		Diff(prev, next)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(moved), "devices-moved")
}
