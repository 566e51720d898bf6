package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkFlush measures the batched write path: one transaction per
// batch of link updates plus events, as the topology's writer flushes them.
// ns/op is per batch; the change/s metric is what matters.
func BenchmarkFlush(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{MaxEvents: 10_000})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ids := make([]string, 5000)
			for i := range ids {
				ids[i] = fmt.Sprintf("agg-%04d:eth%d--ce-%05d:eth0", i/10, i%10, i)
			}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range size {
					id := ids[(n*size+i)%len(ids)]
					s.PutLink(Link{ID: id, Kind: "access", State: "up", Sources: []string{"declared", "lldp", "ifmib"},
						A: Endpoint{Device: id[:8], Interface: "eth1", Status: "up"}, B: Endpoint{Device: "ce", Interface: "eth0", Status: "up"}})
					if i%10 == 0 {
						s.AddEvent(Event{Time: now, Kind: "link_up", Subject: id, From: "down", To: "up"})
					}
				}
				if err := s.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}
