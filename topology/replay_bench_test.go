package topology

import (
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// BenchmarkCentralReplay measures what a central's writer does with a
// partitioned region's buffer (clock.go): on the full fleet, the overseas
// collector's devices lost, then 10 minutes of their polls (each device
// once a minute, spread over the minute) applied at once, one live poll of
// another device among every 60 replayed (as they arrive during a replay),
// and one of the region's aggregation routers dark for 2 of those minutes.
// A replay is analysed at each debounce of poll time while changes are
// pending: it reports the engine's analyses (the others only recompute
// the unobserved sites), the replayed polls per second and the CPU time.
func BenchmarkCentralReplay(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	var regions []string
	for _, r := range inv.Regions {
		if r.Overseas {
			regions = append(regions, r.ID)
		}
	}
	inv.Collectors = []inventory.CollectorShare{{Name: "overseas", Regions: regions}}
	inv.Index()
	var lost, rest []string
	mine := map[string]bool{}
	for _, d := range inv.Share("overseas").Devices {
		lost = append(lost, d.Name)
		mine[d.Name] = true
	}
	for _, d := range inv.Devices {
		if !mine[d.Name] {
			rest = append(rest, d.Name)
		}
	}
	agg := ""
	for _, d := range inv.Devices {
		if mine[d.Name] && d.Role == "collection" && d.PoP != "" {
			agg = d.Name
			break
		}
	}
	if len(lost) == 0 || agg == "" {
		b.Fatalf("the simulated RIE has %d overseas devices, aggregation router %q", len(lost), agg)
	}
	b.Logf("%d devices replayed, %d live, %s dark for 2 minutes", len(lost), len(rest), agg)
	var analyses, replayed float64
	var took, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarnessInv(b, inv, Options{Distributed: true, Debounce: time.Second, QueueSize: 1 << 15})
		h.round()
		h.topo.Unobserve("collector:overseas", lost, h.now)
		h.sync()
		start := h.now
		var polls []*snmp.Poll
		for minute := range 10 {
			for j, d := range lost {
				h.nowMu.Lock() // the writer reads the clock
				h.now = start.Add(time.Duration(minute)*time.Minute + time.Duration(j)*time.Minute/time.Duration(len(lost)))
				h.nowMu.Unlock()
				if d == agg && minute >= 4 && minute < 6 {
					polls = append(polls, h.failed(d))
				} else {
					polls = append(polls, h.poll(d))
				}
			}
		}
		h.nowMu.Lock()
		h.now = start.Add(10 * time.Minute)
		h.nowMu.Unlock()
		live := make([]*snmp.Poll, 0, len(polls)/60+1)
		for k := 0; k < len(polls)/60+1; k++ {
			live = append(live, h.poll(rest[k%len(rest)]))
		}
		before := analysisCount(h)
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime(b)
		for k, p := range polls {
			h.topo.Apply(p)
			if k%60 == 59 {
				h.topo.Apply(live[k/60])
			}
		}
		h.sync()
		took += time.Since(t0)
		cpu += cpuTime(b) - c0
		b.StopTimer()
		analyses += float64(analysisCount(h) - before)
		replayed += float64(len(polls))
		h.stop()
		b.StartTimer()
	}
	b.ReportMetric(analyses/float64(b.N), "analyses/op")
	b.ReportMetric(replayed/took.Seconds(), "polls/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op") // the process's, whatever else loads the machine
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func analysisCount(h *harness) uint64 {
	var m dto.Metric
	if err := h.topo.m.analysisDuration.Write(&m); err != nil {
		h.t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}
