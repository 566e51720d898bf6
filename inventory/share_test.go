package inventory

import (
	"slices"
	"testing"
)

// TestShareSites: a collector's share keeps the sites its devices stand in
// or give access to, and no other, so that `vigie collect` need not keep
// the whole RIE; the full inventory is left as it was.
func TestShareSites(t *testing.T) {
	doc := collectorsBase + `  - {name: ce-lyon, role: collection, site: s-lyon, address: 192.0.2.10}
  - {name: ce-reu, role: collection, site: s-reu, address: 192.0.2.11}
  - {name: ce-lyon-2, role: collection, site: s-lyon-2, address: 192.0.2.12}
sites:
  - {id: s-lyon, name: Lyon, region: ara, protection: single, access: [{technology: fibre, router: ce-lyon, device: agg-lyon-1}]}
  - {id: s-reu, name: Saint-Denis, region: reu, protection: single, access: [{technology: fibre, router: ce-reu, device: agg-reu-1}]}
  - {id: s-lyon-2, name: Villeurbanne, region: ara, protection: single, access: [{technology: fibre, router: ce-lyon-2, device: agg-lyon-2}]}
collectors:
  - {name: mainland, regions: [ara]}
  - {name: reunion, regions: [reu], devices: [agg-lyon-2]}
`
	inv, err := Parse("vigie.yml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		collector      string
		devices, sites []string
	}{
		// s-lyon-2's CE is mainland's, the aggregation it lands on reunion's:
		// both shares hold the site.
		{"mainland", []string{"agg-lyon-1", "ce-lyon", "ce-lyon-2"}, []string{"s-lyon", "s-lyon-2"}},
		{"reunion", []string{"agg-lyon-2", "agg-reu-1", "ce-reu"}, []string{"s-reu", "s-lyon-2"}},
		{"nobody", nil, nil},
	} {
		s := inv.Share(tc.collector)
		var devs, sites []string
		for _, d := range s.Devices {
			devs = append(devs, d.Name)
		}
		for _, x := range s.Sites {
			sites = append(sites, x.ID)
			if s.Site(x.ID) == nil {
				t.Errorf("Share(%s).Site(%s) = nil: the share is not indexed", tc.collector, x.ID)
			}
		}
		slices.Sort(devs)
		if !slices.Equal(devs, tc.devices) || !slices.Equal(sites, tc.sites) {
			t.Errorf("Share(%s): devices %v and sites %v, want %v and %v", tc.collector, devs, sites, tc.devices, tc.sites)
		}
	}
	if len(inv.Devices) != 6 || len(inv.Sites) != 3 || inv.Site("s-reu") == nil {
		t.Errorf("the full inventory changed: %d devices, %d sites", len(inv.Devices), len(inv.Sites))
	}
}
