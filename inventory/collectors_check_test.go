package inventory

import (
	"strings"
	"testing"
)

// TestUncollectedWarning: a collectors: section that leaves devices to no
// collector gives one warning with their number, their regions and one of
// them with its line; a section that covers every device, or no section,
// gives none.
func TestUncollectedWarning(t *testing.T) {
	for _, tc := range []struct {
		name, section string
		want          string // "" for no warning
	}{
		{"every device covered", "collectors:\n  - {name: mainland, regions: [ara]}\n  - {name: reunion, regions: [reu]}\n", ""},
		{"no section", "", ""},
		{"a region left out", "collectors:\n  - {name: mainland, regions: [ara]}\n",
			"vigie.yml:10: collectors: warning: 1 device is polled by no collector (region reu: 1), e.g. agg-reu-1 at line 8: give their regions, PoPs or the devices themselves to a collector"},
		{"a PoP and a device named, the rest of the region left out", "collectors:\n  - {name: lyon, pops: [pop-lyon], devices: [agg-reu-1]}\n",
			"vigie.yml:10: collectors: warning: 1 device is polled by no collector (region ara: 1), e.g. agg-lyon-2 at line 7"},
		{"only a device named", "collectors:\n  - {name: one, devices: [agg-lyon-1]}\n",
			"2 devices are polled by no collector (region ara: 1, region reu: 1), e.g. agg-lyon-2 at line 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var warnings []string
			_, err := Parse("vigie.yml", []byte(collectorsBase+tc.section), LoadOptions{OnWarning: func(p Problem) {
				if strings.Contains(p.Msg, "collector") {
					warnings = append(warnings, p.String())
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(warnings) != 0:
				t.Errorf("warnings %q, want none", warnings)
			case tc.want != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.want)):
				t.Errorf("warnings %q, want one with %q", warnings, tc.want)
			}
		})
	}
}
