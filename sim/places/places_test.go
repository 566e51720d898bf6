package places

import (
	"strings"
	"testing"
)

// TestEmbeddedData: the embedded files parse, every department has a
// name, communes and a position on the right side of the world.
func TestEmbeddedData(t *testing.T) {
	deps, err := parse(prefecturesTSV, communesTSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 107 { // 96 mainland, 5 DROM, 6 COM
		t.Errorf("%d departments, want 107", len(deps))
	}
	seen := map[string]bool{}
	for _, d := range deps {
		if d.Name == "" || d.Region == "" || len(d.Communes) == 0 || d.Population <= 0 {
			t.Errorf("department %s: %+v is incomplete", d.Code, d)
		}
		overseas := strings.HasPrefix(d.Code, "97") || strings.HasPrefix(d.Code, "98")
		if mainland := d.Lat > 41 && d.Lat < 51.2 && d.Lon > -5.2 && d.Lon < 9.6; mainland == overseas {
			t.Errorf("department %s at %g,%g: overseas %v", d.Code, d.Lat, d.Lon, overseas)
		}
		for _, c := range d.Communes {
			if !strings.HasPrefix(c.Code, d.Code[:2]) || c.Name == "" || len(c.PostalCode) != 5 || seen[c.Code] {
				t.Errorf("department %s: commune %+v", d.Code, c)
			}
			seen[c.Code] = true
		}
	}
	if got := Departments(); len(got) != len(deps) {
		t.Errorf("Departments() = %d departments, want %d", len(got), len(deps))
	}
}

// TestParseErrors: a damaged file says which file, line and what.
func TestParseErrors(t *testing.T) {
	const pref = "# comment\n69\tara\t45.764\t4.836\tLyon\n"
	const com = "69\tRhône\t69123\tLyon\t69001\t520774\n"
	for _, tc := range []struct {
		name, pref, com, want string
	}{
		{"ok", pref, com, ""},
		{"fields", "69\tara\t45.7\n", com, "prefectures.tsv:1: 3 fields, want 5"},
		{"position", "69\tara\tnord\t4.8\tLyon\n", com, `prefectures.tsv:1: department 69: bad position "nord" "4.8"`},
		{"twice", pref + pref[10:], com, "prefectures.tsv:3: department 69 listed twice"},
		{"unknown department", pref, "75\tParis\t75056\tParis\t75001\t2100000\n", "communes.tsv:1: department 75 is not in prefectures.tsv"},
		{"population", pref, "69\tRhône\t69123\tLyon\t69001\tmany\n", `communes.tsv:1: commune 69123: bad population "many"`},
		{"no commune", pref, "", "department 69 has no commune in communes.tsv: run gen.sh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.pref, tc.com)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("parse: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("parse: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
