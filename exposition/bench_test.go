package exposition

import (
	"bufio"
	"fmt"
	"runtime"
	"testing"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// fleetDevices × the 44 series of benchPoll other than
// vigie_interface_info is the full RIE's 1.16M per-device series of before
// issue 16; benchSeries counts those 10 too (the full RIE has 1.25M now).
const (
	fleetDevices = 26_400
	benchSeries  = 54
)

// fleetInventory returns n collection routers.
func fleetInventory(n int) *inventory.Inventory {
	inv := &inventory.Inventory{Regions: []inventory.Region{{ID: "bretagne"}}, PoPs: []inventory.PoP{{ID: "rennes", Region: "bretagne"}}}
	for i := range n {
		inv.Devices = append(inv.Devices, inventory.Device{Name: fmt.Sprintf("rtr-%05d", i), Role: inventory.RoleCollection, PoP: "rennes"})
	}
	inv.Index()
	return inv
}

// filled returns an exposition of n devices that each had benchPoll.
func filled(tb testing.TB, n int) *Exposition { return filledInv(tb, fleetInventory(n)) }

func filledInv(tb testing.TB, inv *inventory.Inventory) *Exposition {
	e, err := New(inv, nil, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range e.sorted {
		e.Poll(benchPoll(d.inv.Name), snmp.NewDeviceState())
	}
	return e
}

// BenchmarkPoll is the per-poll cost of keeping a device's series (54:
// 10 interfaces, 2 BGP peers).
//
//	go test -tags gosnmp_nodebug -run XXX -bench . -benchmem ./exposition/
func BenchmarkPoll(b *testing.B) {
	e := filled(b, 1)
	p, st := benchPoll(e.sorted[0].inv.Name), snmp.NewDeviceState()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Poll(p, st)
	}
}

// countingWriter counts what a scrape writes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkScrapeFleet is one /metrics scrape of the per-device families
// at the full RIE's size (1.16M series), through a buffered writer as web
// hands it.
func BenchmarkScrapeFleet(b *testing.B) {
	e := filled(b, fleetDevices)
	var cw countingWriter
	bw := bufio.NewWriterSize(&cw, 32<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		cw.n = 0
		bw.Reset(&cw)
		if err := e.WriteText(bw); err != nil {
			b.Fatal(err)
		}
		_ = bw.Flush()
	}
	b.ReportMetric(float64(cw.n), "bytes/scrape")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(fleetDevices*benchSeries), "ns/series")
}

// BenchmarkRetained measures the heap an exposition keeps per device
// (54 series) once every device was polled: labels and snapshot.
func BenchmarkRetained(b *testing.B) {
	const n = 5000
	for range b.N {
		inv := fleetInventory(n)
		before := liveHeap()
		e := filledInv(b, inv)
		after := liveHeap()
		runtime.KeepAlive(e)
		b.ReportMetric(float64(after-before)/n, "B/device")
		b.ReportMetric(float64(after-before)/n/benchSeries, "B/series")
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
