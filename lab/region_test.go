package lab

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/lab/internal/labgen"
)

// BenchmarkRegionLabUp brings up a whole region's lab (104 nodes: 4
// backbone, 1 datacentre, 8 aggregation routers, 91 sites, each router
// with FRR, snmpd and lldpd) until it has converged, and takes it down.
// Heavy (all cores for a minute or two): run it alone, as BENCHMARKS.md
// says, under both locks.
func BenchmarkRegionLabUp(b *testing.B) {
	if os.Geteuid() != 0 || CheckBinaries() != nil {
		b.Skip("needs root and the lab's Debian packages")
	}
	dir := b.TempDir()
	d := labgen.Region(91)
	if err := d.Write(dir); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "region.clab.yml")
	topo, err := LoadTopology(file)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d nodes, %d links", len(topo.Nodes), len(topo.Links))
	for b.Loop() {
		_ = Down(context.Background(), "region", Options{})
		start := time.Now()
		l, err := Up(context.Background(), file, Options{ReadyTimeout: 5 * time.Minute, Parallel: 8})
		if err != nil {
			b.Fatal(err)
		}
		up := time.Since(start)
		for _, p := range l.Phases {
			b.Logf("phase %-8s %5.1fs", p.Name, p.Duration.Seconds())
		}
		b.Logf("up and converged in %.1fs", up.Seconds())
		b.ReportMetric(up.Seconds(), "s/up")
		b.ReportMetric(float64(len(topo.Nodes)), "nodes")
		if err := l.Down(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
