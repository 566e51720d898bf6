package discover

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
)

// BenchmarkCrawl crawls a simulated RIE of 1,000 sites (the agent in the
// same process, on loopback) from one aggregation router, unbounded, at
// the default concurrency: time and memory of a crawl, and what its
// Result keeps.
func BenchmarkCrawl(b *testing.B) {
	inv, _, p := fleet(b, 1000, 49)
	seed := deviceNamed(inv, "agg-")
	opts := Options{Seeds: []netip.AddrPort{seed.Address}, Port: seed.Address.Port(), Profile: p,
		MaxDevices: 100000, MaxDepth: 1000}
	var res *Result
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if res, err = Crawl(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(res.Failures) > 0 {
		b.Fatalf("%d failures: %+v", len(res.Failures), res.Failures[0])
	}
	var before, after runtime.MemStats
	res = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, _ = Crawl(context.Background(), opts)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(len(res.Devices)), "devices")
	b.ReportMetric(float64(len(res.Links)), "links")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(res.Devices)), "retained-B/device")
	runtime.KeepAlive(res)
}
