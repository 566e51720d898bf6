package collector

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

// TestFleetTextFigures is TestFleetFigures with the per-device series
// exposed as text (what the daemon serves): same fleet, same window, then
// one full scrape as web's handler does it, streamed (not buffered), plain
// and gzipped. A measurement, run only when asked:
//
//	VIGIE_FLEET_FIGURES=1 VIGIE_FLEET_DURATION=120s flock /tmp/vigie-heavy.lock go test -tags gosnmp_nodebug \
//	    -run FleetTextFigures -v -timeout 30m ./collector/
func TestFleetTextFigures(t *testing.T) {
	inv, longest, window := fleetForFigures(t)
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := New(inv, Options{}, logger, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ExposeAsText(reg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	defer func() { cancel(); <-ret }()

	time.Sleep(2*longest + 5*time.Second)
	cpu0, wall0 := cpuTime(), time.Now()
	vb0, polls0 := testutil.ToFloat64(c.m.varbinds), pollCount(c)
	time.Sleep(window)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	vb, polls := testutil.ToFloat64(c.m.varbinds)-vb0, pollCount(c)-polls0
	steadyMem := memStatus()

	scrape := func(gz bool) (lines, size int64, took, cpuTook time.Duration) {
		cw := &countingWriter{}
		var out io.Writer = cw
		var z *gzip.Writer
		if gz {
			z, _ = gzip.NewWriterLevel(cw, gzip.BestSpeed)
			out = z
		}
		lw := &lineCounter{w: out}
		bw := bufio.NewWriterSize(lw, 64<<10)
		c0, s0 := cpuTime(), time.Now()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		enc := expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.WriteText(bw); err != nil {
			t.Fatal(err)
		}
		_ = bw.Flush()
		if z != nil {
			_ = z.Close()
		}
		return lw.lines, cw.n, time.Since(s0), cpuTime() - c0
	}
	lines, size, took, cpuTook := scrape(false)
	afterMem := memStatus()
	_, gzSize, gzTook, gzCPU := scrape(true)

	t.Logf("fleet: %d devices, window %v", len(inv.Devices), wall.Round(time.Second))
	t.Logf("CPU: %.2f s over %.0f s wall = %.3f core; polls %.0f (%.0f/s); varbinds %.0f/s", cpu.Seconds(), wall.Seconds(),
		cpu.Seconds()/wall.Seconds(), polls, polls/wall.Seconds(), vb/wall.Seconds())
	t.Logf("memory before the scrape: %s; after: %s", steadyMem, afterMem)
	t.Logf("scrape (text path, streamed): %d lines, %d bytes, %v wall, %v CPU", lines, size, took.Round(time.Millisecond), cpuTook.Round(time.Millisecond))
	t.Logf("scrape gzip BestSpeed: %d bytes, %v wall, %v CPU; memory after: %s", gzSize, gzTook.Round(time.Millisecond), gzCPU.Round(time.Millisecond), memStatus())
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// lineCounter counts lines on their way (sample lines plus HELP/TYPE).
type lineCounter struct {
	w     io.Writer
	lines int64
}

func (l *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			l.lines++
		}
	}
	return l.w.Write(p)
}
