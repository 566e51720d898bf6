package sim

import (
	"bytes"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// TestGeneratedInventoryLoads writes a generated RIE with inventory.Write
// and loads it back strictly with inventory.Parse: the generator must
// produce what the daemon accepts, warnings included.
func TestGeneratedInventoryLoads(t *testing.T) {
	for _, sites := range []int{50, 2000} {
		inv := Generate(GenerateOptions{Seed: 9, Sites: sites})
		var buf bytes.Buffer
		if err := inventory.Write(&buf, inv); err != nil {
			t.Fatal(err)
		}
		var warnings []inventory.Problem
		got, err := inventory.Parse("vigie.yml", buf.Bytes(), inventory.LoadOptions{
			OnWarning: func(p inventory.Problem) { warnings = append(warnings, p) },
		})
		if err != nil {
			t.Fatalf("%d sites: the generated inventory does not load: %v", sites, err)
		}
		for _, w := range warnings {
			if w.Field == "snmp_profiles[1].version" {
				continue // sim-v2 is v2c on purpose: the RIE still has such devices
			}
			t.Errorf("%d sites: warning: %v", sites, w)
		}
		if len(got.Devices) != len(inv.Devices) || len(got.Sites) != len(inv.Sites) || len(got.Links) != len(inv.Links) {
			t.Errorf("%d sites: loaded %d devices, %d sites, %d links; generated %d, %d, %d", sites,
				len(got.Devices), len(got.Sites), len(got.Links), len(inv.Devices), len(inv.Sites), len(inv.Links))
		}
		// Deterministic down to the bytes of the file.
		var again bytes.Buffer
		if err := inventory.Write(&again, Generate(GenerateOptions{Seed: 9, Sites: sites})); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Errorf("%d sites: two files written from seed 9 differ", sites)
		}
	}
}
