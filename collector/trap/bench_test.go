package trap

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector"
)

// BenchmarkReceive sends real UDP notifications on loopback to a running
// receiver (from a known device's address, within its rate) and waits for
// each to be handled: ns/op is the time per notification at a window of
// 64 in flight, cpu-ns/op the process's CPU (receiver and sender) per
// notification.
func BenchmarkReceive(b *testing.B) {
	seeds := seedPackets(b)
	for _, bc := range []struct {
		name string
		pkt  []byte
		from string
	}{
		{"v2c-trap", seeds[0], v2Addr},
		{"v3-authPriv-trap", seeds[4], v3Addr},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{Listen: "127.0.0.1:0", Rate: 1e9, Burst: 1e9}
			r, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			var handled atomic.Int64
			v, err := r.View(testInventory(), func(string) collector.Trigger { handled.Add(1); return collector.TriggerMerged })
			if err != nil {
				b.Fatal(err)
			}
			r.Use(v)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			defer func() { cancel(); <-done }()
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(bc.from), 0)))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			to := net.UDPAddrFromAddrPort(r.Addr())
			const window = 64
			wait := func(n int64) {
				deadline := time.Now().Add(30 * time.Second)
				for handled.Load() < n {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d notifications handled in 30 s (results: %v)", handled.Load(), n, r.m.results)
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			for i := range b.N {
				if _, err := conn.WriteToUDP(bc.pkt, to); err != nil {
					b.Fatal(err)
				}
				if i >= window {
					wait(int64(i - window + 1))
				}
			}
			wait(int64(b.N))
			b.StopTimer()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
