package snmp

import (
	"context"
	"testing"
)

// BenchmarkPollSimFirst is the first poll of a device (a fresh state, as
// after vigie starts): what the per-device probes (the ifTable fallback
// columns, the CDP cache) cost once per device.
func BenchmarkPollSimFirst(b *testing.B) {
	v2, _ := benchSim(b)
	p, err := NewPoller(Options{Sessions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	varbinds, requests := 0, 0
	for i := 0; i < b.N; i++ {
		r := p.Poll(context.Background(), v2, NewDeviceState())
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		varbinds += r.Varbinds
		requests += r.Requests
	}
	b.ReportMetric(float64(varbinds)/float64(b.N), "varbinds/poll")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/poll")
}
