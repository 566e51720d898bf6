package collector

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// fullRow is an interface row with every column answered.
const fullRow = snmp.ColAdminStatus | snmp.ColOperStatus | snmp.ColHighSpeed | snmp.ColInOctets | snmp.ColOutOctets |
	snmp.ColInErrors | snmp.ColOutErrors | snmp.ColInDiscards | snmp.ColOutDiscards

// benchPoll is a device with 10 interfaces and 2 BGP peers.
func benchPoll(name string) *snmp.Poll {
	now := time.Now()
	p := &snmp.Poll{Device: name, Start: now, End: now.Add(3 * time.Millisecond),
		System: snmp.System{Name: name, Uptime: time.Hour}}
	for i := 1; i <= 10; i++ {
		p.Interfaces = append(p.Interfaces, snmp.Interface{Index: int32(i), Name: fmt.Sprintf("GigabitEthernet0/%d", i),
			AdminUp: true, OperStatus: 1, HighSpeed: 1000, InOctets: uint64(i) << 30, OutOctets: uint64(i) << 29, Has: fullRow})
	}
	for i := 1; i <= 2; i++ {
		p.BGPPeers = append(p.BGPPeers, snmp.BGPPeer{Remote: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), State: 6, RemoteAS: 64600})
	}
	return p
}

// filledCollector returns a collector whose n devices each had one poll.
func filledCollector(b *testing.B, n int) (*Collector, *prometheus.Registry) {
	inv := testInventory(n, time.Minute, anyAddr)
	reg := prometheus.NewRegistry()
	c, err := New(inv, Options{Sessions: 1, Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.poller.Close() })
	for _, d := range c.devices {
		p := benchPoll(d.name)
		d.state = snmp.NewDeviceState()
		c.record(d, p)
	}
	return c, reg
}

// BenchmarkRecord is the collector's own per-poll cost: its metrics and log
// lines (the exposition's is exposition.BenchmarkPoll).
func BenchmarkRecord(b *testing.B) {
	c, _ := filledCollector(b, 1)
	d := c.devices[0]
	p := benchPoll(d.name)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.record(d, p)
	}
}

var _ = context.Background

// BenchmarkFleetPass polls every device of a ~5,000-device simulated fleet
// once per iteration through one Poller with 64 sessions (the simulator
// runs in-process: its CPU is included; TestFleetFigures separates it).
//
//	flock /tmp/vigie-heavy.lock go test -tags gosnmp_nodebug -run XXX -bench FleetPass -benchtime 3x ./collector/
func BenchmarkFleetPass(b *testing.B) {
	inv, _ := startSim(b, 3400)
	var targets []*snmp.Target
	for i := range inv.Devices {
		d := &inv.Devices[i]
		t, err := snmp.NewTarget(d, inv.Profile(d.Profile), inv.Polling)
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, t)
	}
	states := make([]*snmp.DeviceState, len(targets))
	for i := range states {
		states[i] = snmp.NewDeviceState()
	}
	p, err := snmp.NewPoller(snmp.Options{Sessions: 64})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	pass := func() (varbinds, failed int) {
		work := make(chan int)
		type res struct{ vb, failed int }
		out := make(chan res, 64)
		for w := 0; w < 64; w++ {
			go func() {
				r := res{}
				for i := range work {
					pl := p.Poll(context.Background(), targets[i], states[i])
					r.vb += pl.Varbinds
					if pl.Err != nil {
						r.failed++
					}
				}
				out <- r
			}()
		}
		for i := range targets {
			work <- i
		}
		close(work)
		for w := 0; w < 64; w++ {
			r := <-out
			varbinds += r.vb
			failed += r.failed
		}
		return
	}
	pass() // engine discovery and key localisation happen once, outside the timing
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		vb, failed := pass()
		if failed > 0 {
			b.Fatalf("%d polls failed", failed)
		}
		total += vb
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/varbind")
	b.ReportMetric(float64(len(targets)*b.N)/b.Elapsed().Seconds(), "polls/s")
}
