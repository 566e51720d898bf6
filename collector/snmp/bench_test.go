package snmp

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// benchSim serves a small simulated fleet in-process and returns a target
// of each SNMP version. The responder runs in the same process: the figures
// include its CPU (TestFleetFigures in package collector separates them).
func benchSim(b *testing.B) (v2, v3 *Target) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 3, Sites: 60})
	simtest.Serve(b, inv, snmpagent.Options{Seed: 3, Sockets: 1, Logger: slog.New(slog.DiscardHandler)})
	pol := inv.Polling
	for i := range inv.Devices {
		d := inv.Devices[i]
		t, err := NewTarget(&d, inv.Profile(d.Profile), pol)
		if err != nil {
			b.Fatal(err)
		}
		if t.Version == inventory.SNMPv3 && v3 == nil && d.Role == inventory.RoleCollection {
			v3 = t
		}
		if t.Version == inventory.SNMPv2c && v2 == nil {
			v2 = t
		}
	}
	if v2 == nil || v3 == nil {
		b.Fatal("the simulated fleet lacks a v2c or v3 device")
	}
	return v2, v3
}

// BenchmarkPollSim polls one simulated device repeatedly (all tables): the
// per-poll cost of the whole path, ns/varbind included.
func BenchmarkPollSim(b *testing.B) {
	v2, v3 := benchSim(b)
	for _, tc := range []struct {
		name string
		t    *Target
	}{{"v2c", v2}, {"v3", v3}} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := NewPoller(Options{Sessions: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			st := NewDeviceState()
			if r := p.Poll(context.Background(), tc.t, st); r.Err != nil {
				b.Fatal(r.Err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			varbinds, requests := 0, 0
			for i := 0; i < b.N; i++ {
				r := p.Poll(context.Background(), tc.t, st)
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				varbinds += r.Varbinds
				requests += r.Requests
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(varbinds), "ns/varbind")
			b.ReportMetric(float64(varbinds)/float64(b.N), "varbinds/poll")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/poll")
		})
	}
}

// BenchmarkAccumulate is the per-poll cost of folding a 10-interface
// table into the device's totals (every counter moving, no event).
func BenchmarkAccumulate(b *testing.B) {
	st := NewDeviceState()
	ifs := make([]Interface, 10)
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for j := range ifs {
			n := uint64(i) * uint64(j+1)
			ifs[j] = Interface{Index: int32(j + 1), HighSpeed: 1000, InOctets: n << 10, OutOctets: n << 9,
				InErrors: n, OutErrors: n, InDiscards: n, OutDiscards: n,
				Has: ColHighSpeed | ColInOctets | ColOutOctets | ColInErrors | ColOutErrors | ColInDiscards | ColOutDiscards}
		}
		st.accumulate(ifs, at.Add(time.Duration(i)*time.Minute), false, true)
	}
}
