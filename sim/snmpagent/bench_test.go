package snmpagent

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// capture records the requests a gosnmp client sends for one GetBulk of
// 25 repetitions of ifName on an aggregation router, so that benchmarks
// replay them without a client in the loop.
func capture(b *testing.B, v3 bool) (*fixture, *device, []byte) {
	b.Helper()
	f := startAgent(b, 200, Options{})
	var mu sync.Mutex
	var last []byte
	f.agent.trace = func(pkt []byte) {
		mu.Lock()
		last = slices.Clone(pkt)
		mu.Unlock()
	}
	agg := f.dev(b, func(d *inventory.Device) bool { return d.Name == "agg-idf-01-1" })
	var g *gosnmp.GoSNMP
	if v3 {
		g = v3client(b, f, agg.Address.Addr(), sim.DefaultUser, sim.DefaultAuthPassword, sim.DefaultPrivPassword, gosnmp.SHA)
	} else {
		g = v2client(b, f, agg.Address.Addr())
	}
	r, err := g.GetBulk([]string{".1.3.6.1.2.1.31.1.1.1.1"}, 0, 25)
	if err != nil {
		b.Fatal(err)
	}
	if len(r.Variables) != 25 {
		b.Fatalf("GetBulk gave %d varbinds, want 25", len(r.Variables))
	}
	f.agent.trace = nil
	d := f.agent.fleet.devices[f.agent.fleet.byName[agg.Name]]
	return f, d, last
}

// BenchmarkAnswerGetBulk25 measures the agent's CPU per GetBulk of 25
// varbinds, decode to encode, without the socket.
func BenchmarkAnswerGetBulk25(b *testing.B) {
	for _, v3 := range []bool{false, true} {
		name := "v2c"
		if v3 {
			name = "v3-authPriv-SHA-AES"
		}
		b.Run(name, func(b *testing.B) {
			f, d, pkt := capture(b, v3)
			w := f.agent.newWorker(nil, 9)
			buf := make([]byte, len(pkt))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, pkt) // the v3 path zeroes the digest in place
				if _, ok := w.answer(d, d.state.Load(), buf); !ok {
					b.Fatal("no answer")
				}
			}
			b.ReportMetric(25*float64(b.N)/b.Elapsed().Seconds(), "varbinds/s")
		})
	}
}

// BenchmarkRoundTripGetBulk25 measures requests/s over loopback with a
// gosnmp client in the same process (both share the CPU).
func BenchmarkRoundTripGetBulk25(b *testing.B) {
	f := startAgent(b, 200, Options{})
	agg := f.dev(b, func(d *inventory.Device) bool { return d.Name == "agg-idf-01-1" })
	g := v2client(b, f, agg.Address.Addr())
	b.ReportAllocs()
	for b.Loop() {
		r, err := g.GetBulk([]string{".1.3.6.1.2.1.31.1.1.1.1"}, 0, 25)
		if err != nil || len(r.Variables) != 25 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkFleetStartup builds the default 20,000-device fleet, as
// `vigie-sim serve` does before it opens its sockets.
func BenchmarkFleetStartup(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 1})
	var heap float64
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		a, err := New(inv, Options{Clock: func() time.Time { return time.Unix(1e9, 0) }})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		heap = float64(m1.HeapAlloc-m0.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(a)
	}
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(float64(len(inv.Devices)), "devices")
}
