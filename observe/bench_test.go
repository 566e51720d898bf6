package observe

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// udpRelay forwards SNMP between the collector and the simulated agent on
// loopback and counts the bytes both ways: what the observations replace.
type udpRelay struct {
	bytes atomic.Int64
}

func (r *udpRelay) serve(tb testing.TB, upstream int) int {
	// Every simulated device has its own 127/8 address: listen on all of
	// them and forward to the same address at the agent's port.
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		tb.Fatal(err)
	}
	pc := ipv4.NewPacketConn(front)
	if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
		tb.Fatal(err)
	}
	type key struct{ from, to netip.AddrPort }
	var mu sync.Mutex
	backs := map[key]*net.UDPConn{}
	tb.Cleanup(func() {
		front.Close()
		mu.Lock()
		for _, c := range backs {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		buf := make([]byte, 65536)
		for {
			n, cm, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if cm == nil || cm.Dst == nil {
				continue
			}
			r.bytes.Add(int64(n) + 28) // IPv4 and UDP headers
			fromAP := from.(*net.UDPAddr).AddrPort()
			dst, _ := netip.AddrFromSlice(cm.Dst.To4())
			k := key{fromAP, netip.AddrPortFrom(dst, uint16(upstream))}
			mu.Lock()
			back := backs[k]
			if back == nil {
				back, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(k.to))
				if err != nil {
					mu.Unlock()
					continue
				}
				backs[k] = back
				src := &net.UDPAddr{IP: cm.Dst}
				go func() {
					b := make([]byte, 65536)
					for {
						m, err := back.Read(b)
						if err != nil {
							return
						}
						r.bytes.Add(int64(m) + 28)
						_, _ = pc.WriteTo(b[:m], &ipv4.ControlMessage{Src: src.IP}, net.UDPAddrFromAddrPort(fromAP))
					}
				}()
			}
			mu.Unlock()
			_, _ = back.Write(buf[:n])
		}
	}()
	return front.LocalAddr().(*net.UDPAddr).Port
}

// BenchmarkObservations measures, on a simulated RIE of 300 sites, the
// bytes of an observation per device poll against the SNMP bytes of the
// same polls (second polls: steady state), then how many observations a
// second go through a real nats-server from a publisher to a central's
// consumer. Run it under the bench lock:
//
//	go test -tags gosnmp_nodebug -run X -bench Observations -benchtime 1x ./observe
func BenchmarkObservations(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 300, Seed: 9})
	agent := simtest.Serve(b, inv, snmpagent.Options{Seed: 9, Logger: slog.New(slog.DiscardHandler)})
	var relay udpRelay
	sim.SetPort(inv, uint16(relay.serve(b, agent.Port())))
	inv.Index()
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = 3 * time.Second
	}
	var mu sync.Mutex
	polls := map[string]int{}
	var encoded []byte
	var obsBytes, snmpBytes, counted int64
	var sample []*snmp.Poll
	var states []*snmp.DeviceState
	c, err := collector.New(inv, collector.Options{OnPoll: func(p *snmp.Poll, st *snmp.DeviceState) {
		mu.Lock()
		defer mu.Unlock()
		polls[p.Device]++
		if polls[p.Device] == 2 {
			encoded, _ = AppendPoll(encoded[:0], p, st, nil)
			obsBytes += int64(len(encoded))
			counted++
			if len(sample) < 2000 {
				cp := *p
				sample = append(sample, &cp)
				states = append(states, st)
			}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = c.Run(ctx) }()
	first := time.Now()
	for {
		mu.Lock()
		n := counted
		mu.Unlock()
		if n >= int64(len(inv.Devices)) || time.Since(first) > 60*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	// The SNMP bytes of the second round: half the total of two rounds
	// is a fair estimate (the first round discovers, as the second does).
	snmpBytes = relay.bytes.Load() / 2
	mu.Lock()
	b.ReportMetric(float64(obsBytes)/float64(counted), "obs_bytes/poll")
	b.ReportMetric(float64(snmpBytes)/float64(counted), "snmp_bytes/poll")
	mu.Unlock()

	srv := natstest.Start(b, natstest.Options{})
	pub, err := NewPublisher(PublisherOptions{Connection: Connection{URL: srv.URL()}, Collector: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	con, err := NewConsumer(ConsumerOptions{Connection: Connection{URL: srv.URL()}, Durable: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	go func() { _ = con.Run(rctx, func(*snmp.Poll, *snmp.DeviceState) { got.Add(1) }, func(string, bool) {}) }()
	go func() { _ = pub.Run(rctx) }()
	const total = 50000
	start := time.Now()
	base := time.Now()
	for i := range total {
		p := *sample[i%len(sample)]
		p.Start = base.Add(time.Duration(i) * time.Millisecond) // each a new poll of its device
		pub.Observe(&p, states[i%len(sample)])
	}
	for got.Load() < total && time.Since(start) < 120*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	b.ReportMetric(float64(got.Load())/time.Since(start).Seconds(), "obs/s")
}
