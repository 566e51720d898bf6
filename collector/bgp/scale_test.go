package bgp

// scale_test.go measures the monitor at RIE scale: several raw sessions
// inject IPv4 and VPNv4 paths in pre-built UPDATEs, and the benchmark
// reports the time to converge, memory per 100k paths and the CPU of a full
// withdraw / re-announce storm. Run it alone and under the shared lock:
//
//	flock /tmp/vigie-heavy.lock go test -run '^$' -bench Convergence -benchtime 1x ./collector/bgp/
//
// VIGIE_BGP_BENCH_V4 (paths per IPv4 session, 5 sessions) and
// VIGIE_BGP_BENCH_VPN (VPNv4 paths, one session) set the size; the
// defaults (20,000 and 20,000) keep a run short. VIGIE_BGP_BENCH_HEAPPROFILE
// names a file that receives the heap profile once converged (what is held,
// unlike -memprofile, which is written after the monitor stopped), and
// NAME.peak the one of the GC that marked the most during convergence.
//
// The injector runs in this process: its pre-built messages are allocated
// before the first reading, so the deltas count the monitor only; the peak
// heap is sampled during convergence because the RSS right after it is the
// peak's (the runtime returns freed pages to the system only gradually).

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/inventory"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// v4Updates packs n /24 announcements (or withdraws) into UPDATEs of up to
// 800 prefixes each.
func v4Updates(n int, nextHop string, as uint32, withdraw bool) [][]byte {
	attrs := cat(attrOrigin(0), attrASPath(as, 64512, 64513), attrNextHop(nextHop))
	var out [][]byte
	for start := 0; start < n; start += 800 {
		var nl []byte
		for i := start; i < min(start+800, n); i++ {
			nl = append(nl, 24, byte(20+i>>16), byte(i>>8), byte(i))
		}
		if withdraw {
			out = append(out, update(nl, nil, nil))
		} else {
			out = append(out, update(nil, attrs, nl))
		}
	}
	return out
}

// vpnUpdates packs n VPNv4 /24s over 10 route distinguishers into UPDATEs
// of 200 prefixes, with GoBGP's packet library.
func vpnUpdates(tb testing.TB, n int, nextHop string, as uint32, withdraw bool) [][]byte {
	var out [][]byte
	for start := 0; start < n; start += 200 {
		var nl []bgp.AddrPrefixInterface
		for i := start; i < min(start+200, n); i++ {
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], uint32(10<<24|i<<8))
			rd := bgp.NewRouteDistinguisherTwoOctetAS(uint16(as), uint32(i%10))
			nl = append(nl, bgp.NewLabeledVPNIPAddrPrefix(24, netip.AddrFrom4(a).String(), *bgp.NewMPLSLabelStack(uint32(100 + i%10)), rd))
		}
		var attrs []bgp.PathAttributeInterface
		if withdraw {
			attrs = []bgp.PathAttributeInterface{bgp.NewPathAttributeMpUnreachNLRI(nl)}
		} else {
			attrs = []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
				bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(2, []uint32{as})}),
				bgp.NewPathAttributeMpReachNLRI(nextHop, nl)}
		}
		b, err := bgp.NewBGPUpdateMessage(nil, attrs, nil).Serialize()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssBytes reads VmRSS from /proc/self/status.
func rssBytes() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}

// heapPeak samples the heap until stop is closed and returns, on done,
// the peak of its size (live objects and garbage not yet swept) and of the
// live heap marked by a GC: when the latter exceeds the final live heap,
// updates queued inside GoBGP raised the GC goal.
func heapPeak(stop <-chan struct{}) <-chan [2]uint64 {
	done := make(chan [2]uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var peak [2]uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak[0] = max(peak[0], s[0].Value.Uint64())
			if live := s[1].Value.Uint64(); live > peak[1] {
				peak[1] = live
				// The heap profile is as of the last GC: the one that marked
				// this peak.
				if name := os.Getenv("VIGIE_BGP_BENCH_HEAPPROFILE"); name != "" {
					if f, err := os.Create(name + ".peak"); err == nil {
						_ = pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				}
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// waitHeld waits until the monitor holds want paths (bounded).
func waitHeld(b *testing.B, m *Monitor, want int, limit time.Duration) time.Duration {
	start := time.Now()
	for m.PathsHeld() != want {
		if time.Since(start) > limit {
			b.Fatalf("holds %d paths after %s, want %d", m.PathsHeld(), limit, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func BenchmarkConvergence(b *testing.B) {
	perV4 := envInt("VIGIE_BGP_BENCH_V4", 20000)
	vpn := envInt("VIGIE_BGP_BENCH_VPN", 20000)
	const v4Sessions = 5
	total := v4Sessions*perV4 + vpn
	addrs := []string{"127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44", "127.0.0.45"}
	const vpnAddr = "127.0.0.46"

	// Pre-build every message so that the injector costs only writes.
	announce := make([][][]byte, v4Sessions+1)
	withdraw := make([][][]byte, v4Sessions+1)
	for i, a := range addrs {
		announce[i] = v4Updates(perV4, a, uint32(65100+i), false)
		withdraw[i] = v4Updates(perV4, a, uint32(65100+i), true)
	}
	announce[v4Sessions] = vpnUpdates(b, vpn, vpnAddr, 65200, false)
	withdraw[v4Sessions] = vpnUpdates(b, vpn, vpnAddr, 65200, true)

	for b.Loop() {
		runtime.GC()
		rss0 := rssBytes()
		var ms0 runtime.MemStats
		runtime.ReadMemStats(&ms0)

		port := freeport.TCP(b)
		var peers []inventory.BGPPeer
		for i, a := range addrs {
			peers = append(peers, inventory.BGPPeer{Device: "inj" + strconv.Itoa(i), Address: netip.MustParseAddr(a), RemoteAS: uint32(65100 + i), Passive: true})
		}
		peers = append(peers, inventory.BGPPeer{Device: "inj-vpn", Address: netip.MustParseAddr(vpnAddr), RemoteAS: 65200, Passive: true,
			Families: []string{inventory.FamilyVPNv4}})
		cfg := vigieConfig(peers...)
		cfg.ListenPort = port
		h := startMonitor(b, cfg, nil, testOptions())
		// GoBGP listens before its peers are added and closes a connection
		// from a peer it does not know yet: dial once the last is added.
		eventually(b, 20*time.Second, "every injector peer configured", func() bool {
			return strings.Count(h.logs.String(), "BGP peer configured") == len(peers)
		})
		listen := "127.0.0.1:" + strconv.Itoa(port)
		raws := make([]*rawPeer, 0, len(peers))
		for _, p := range peers {
			raws = append(raws, dialRaw(b, p.Address.String(), listen, p.RemoteAS, false))
		}
		eventually(b, 20*time.Second, "every injector session established", func() bool {
			for _, p := range h.m.Peers() {
				if !p.Established {
					return false
				}
			}
			return true
		})

		send := func(msgs [][][]byte) {
			var wg sync.WaitGroup
			for i, r := range raws {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, m := range msgs[i] {
						r.write(m)
					}
				}()
			}
			wg.Wait()
		}
		stop := make(chan struct{})
		peakc := heapPeak(stop)
		cpu0 := cpuTime()
		send(announce)
		converge := waitHeld(b, h.m, total, 10*time.Minute)
		cpuConverge := cpuTime() - cpu0
		close(stop)
		peak := <-peakc

		runtime.GC()
		rss1 := rssBytes()
		var ms1 runtime.MemStats
		runtime.ReadMemStats(&ms1)
		if name := os.Getenv("VIGIE_BGP_BENCH_HEAPPROFILE"); name != "" {
			f, err := os.Create(name)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}

		cpu1 := cpuTime()
		t0 := time.Now()
		send(withdraw)
		waitHeld(b, h.m, 0, 10*time.Minute)
		send(announce)
		waitHeld(b, h.m, total, 10*time.Minute)
		storm := time.Since(t0)
		cpuStorm := cpuTime() - cpu1

		per100k := float64(total) / 100000
		b.ReportMetric(converge.Seconds(), "converge-s")
		b.ReportMetric(cpuConverge.Seconds(), "converge-cpu-s")
		b.ReportMetric((rss1-rss0)/per100k/(1<<20), "rss-MiB/100k-paths")
		b.ReportMetric(float64(ms1.HeapInuse-ms0.HeapInuse)/per100k/(1<<20), "heap-MiB/100k-paths")
		b.ReportMetric(float64(peak[0]-ms0.HeapAlloc)/per100k/(1<<20), "peak-heap-MiB/100k-paths")
		b.ReportMetric(float64(peak[1]-ms0.HeapAlloc)/per100k/(1<<20), "peak-live-MiB/100k-paths")
		b.ReportMetric(storm.Seconds(), "storm-s")
		b.ReportMetric(cpuStorm.Seconds(), "storm-cpu-s")
		b.ReportMetric(float64(cpuStorm.Microseconds())/float64(2*total), "storm-cpu-us/path")
		b.Logf("%d paths (%d IPv4 over %d sessions, %d VPNv4 over 1): converged in %s (%s CPU), RSS %+.0f MiB, heap %+.0f MiB; withdraw+re-announce storm %s (%s CPU)",
			total, v4Sessions*perV4, v4Sessions, vpn, converge.Round(time.Millisecond), cpuConverge.Round(time.Millisecond),
			(rss1-rss0)/(1<<20), float64(ms1.HeapInuse-ms0.HeapInuse)/(1<<20), storm.Round(time.Millisecond), cpuStorm.Round(time.Millisecond))
		if m, _ := metric(b, h.reg, "vigie_bgp_received_prefixes", map[string]string{"peer": vpnAddr, "vrf": fmt.Sprintf("65200:%d", 3)}); int(m) != vpn/10 {
			b.Errorf("VPN RD 65200:3 holds %v paths, want %d", m, vpn/10)
		}
	}
}
