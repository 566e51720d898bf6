package snmp

import (
	"context"
	"testing"
)

// BenchmarkPollSimFirst is the first two polls of a device (a fresh state,
// as after vigie starts): what the per-device probes (the ifTable fallback
// columns, the CDP cache) cost once per device. ns/op is both polls.
func BenchmarkPollSimFirst(b *testing.B) {
	v2, _ := benchSim(b)
	p, err := NewPoller(Options{Sessions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	var varbinds, requests [2]int
	for i := 0; i < b.N; i++ {
		st := NewDeviceState()
		for k := range 2 {
			r := p.Poll(context.Background(), v2, st)
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			varbinds[k] += r.Varbinds
			requests[k] += r.Requests
		}
	}
	for k, name := range []string{"first", "second"} {
		b.ReportMetric(float64(varbinds[k])/float64(b.N), "varbinds/"+name)
		b.ReportMetric(float64(requests[k])/float64(b.N), "requests/"+name)
	}
}
