package exposition

import (
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// TestSetDefaults: every role missing from InterfaceMetrics takes
// InterfacesAll, the given ones are kept, and the caller's map is not
// written to.
func TestSetDefaults(t *testing.T) {
	given := map[inventory.Role]InterfaceLevel{inventory.RoleCollection: InterfacesUp}
	o := Options{InterfaceMetrics: given}
	o.setDefaults()
	for _, r := range inventory.Roles {
		want := InterfacesAll
		if r == inventory.RoleCollection {
			want = InterfacesUp
		}
		if o.InterfaceMetrics[r] != want {
			t.Errorf("role %s: level %q, want %q", r, o.InterfaceMetrics[r], want)
		}
	}
	if len(given) != 1 {
		t.Errorf("the caller's map was written to: %v", given)
	}
}
