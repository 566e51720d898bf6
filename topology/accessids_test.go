package topology

import (
	"slices"
	"strings"
	"testing"
)

// TestAccessIDs: AccessIDs gives, per site and in the order of its access
// list, the ids SiteLinks (the API) gives its access links, each naming
// the access's own device, so that vigie_access_info joins on what a page
// names.
func TestAccessIDs(t *testing.T) {
	h := newHarness(t, Options{})
	ids := h.topo.AccessIDs()
	n := 0
	for _, s := range h.inv.Sites {
		got := ids[s.ID]
		var api []string
		for _, l := range h.topo.SiteLinks(s.ID) {
			if l.Kind == KindAccess {
				api = append(api, l.ID)
			}
		}
		if len(got) != len(s.Access) || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(api))) {
			t.Errorf("site %s: access ids %v, want the %d of the API %v", s.ID, got, len(s.Access), api)
			continue
		}
		for j, id := range got {
			if a := &s.Access[j]; !strings.Contains(id, a.Device) || a.Router != "" && !strings.Contains(id, a.Router) {
				t.Errorf("site %s: access %d (%s--%s) has id %q", s.ID, j, a.Router, a.Device, id)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("the test inventory has no access link")
	}
}
