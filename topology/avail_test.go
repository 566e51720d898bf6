package topology

import (
	"testing"
	"time"

	"github.com/vigie-rie/vigie/sim"
)

// BenchmarkUpdateAvailability is the availability history's cost per
// published analysis for the full RIE: each site's state compared with its
// open interval, nothing changed (the common case).
func BenchmarkUpdateAvailability(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{})
	for _, d := range h.topo.st.devices {
		d.live = true
	}
	now := time.Now()
	h.topo.updateAvailability(now)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.topo.updateAvailability(now)
	}
}
