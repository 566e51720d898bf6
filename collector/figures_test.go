package collector

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	expo "github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestFleetFigures measures the collector against the full simulated fleet
// served by another process (collector/testdata/simfleet), so that the CPU
// and memory figures are vigie's alone. It is a measurement, not a check,
// and runs only when asked:
//
//	VIGIE_FLEET_FIGURES=1 flock /tmp/vigie-heavy.lock go test -tags gosnmp_nodebug \
//	    -run FleetFigures -v -timeout 30m ./collector/
//
// VIGIE_FLEET_SITES (default 14000: about 20,000 devices), VIGIE_FLEET_DURATION
// (measurement window after a first full interval, default 3m) and
// VIGIE_FLEET_CPUPROFILE (a file for a CPU profile of the window) tune it.
func TestFleetFigures(t *testing.T) {
	inv, longest, window := fleetForFigures(t)
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var opts Options
	e, _ := withExposition(t, inv, &opts, expo.Options{}, reg)
	opts.Logger, opts.Registerer = logger, reg
	c, err := New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	defer func() { cancel(); <-ret }()

	// The first pass includes every v3 engine discovery and key
	// localisation (about 25 ms of CPU per v3 device); measure the steady
	// state after two intervals.
	time.Sleep(2*longest + 5*time.Second)
	cpu0, wall0 := cpuTime(), time.Now()
	vb0, rq0, polls0 := testutil.ToFloat64(c.m.varbinds), testutil.ToFloat64(c.m.requests), pollCount(c)
	if f := os.Getenv("VIGIE_FLEET_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.StartCPUProfile(out)
		defer func() { pprof.StopCPUProfile(); _ = out.Close() }()
	}
	time.Sleep(window)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	vb, rq, polls := testutil.ToFloat64(c.m.varbinds)-vb0, testutil.ToFloat64(c.m.requests)-rq0, pollCount(c)-polls0
	failures := 0.0
	for _, rm := range c.m.roles {
		failures += testutil.ToFloat64(rm.failure)
	}

	steadyMem := memStatus()
	// One full scrape: Gather and text encoding of the registry, then the
	// per-device series as web writes them.
	s0 := time.Now()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	series := 0
	for _, mf := range mfs {
		series += len(mf.Metric)
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	n0 := buf.Len()
	if err := e.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.Bytes()[n0:]
	series += bytes.Count(text, []byte("\n")) - 2*bytes.Count(text, []byte("# TYPE "))
	scrape := time.Since(s0)

	t.Logf("fleet: %d devices, window %v", len(inv.Devices), wall.Round(time.Second))
	t.Logf("CPU: %.2f s over %.0f s wall = %.3f core", cpu.Seconds(), wall.Seconds(), cpu.Seconds()/wall.Seconds())
	t.Logf("polls: %.0f (%.0f/s, %.0f failed since start); varbinds %.0f (%.0f/s); requests %.0f", polls, polls/wall.Seconds(), failures, vb, vb/wall.Seconds(), rq)
	if vb > 0 && polls > 0 {
		t.Logf("CPU per varbind %.0f ns, per poll %.0f us, per request %.1f us", float64(cpu.Nanoseconds())/vb,
			float64(cpu.Microseconds())/polls, float64(cpu.Microseconds())/rq)
	}
	t.Logf("memory before the scrape: %s; after: %s", steadyMem, memStatus())
	t.Logf("scrape: %d series, %d bytes of text, Gather+encode %v", series, buf.Len(), scrape.Round(time.Millisecond))
}

func pollCount(c *Collector) float64 {
	n := 0.0
	for _, rm := range c.m.roles {
		n += testutil.ToFloat64(rm.success) + testutil.ToFloat64(rm.failure)
	}
	return n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func memStatus() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}

// fleetForFigures starts the full simulated fleet in its own process
// (collector/testdata/simfleet, stopped when the test ends) and returns its
// inventory, the longest poll interval and the measurement window. It skips
// unless VIGIE_FLEET_FIGURES is set: these are measurements, not checks.
func fleetForFigures(t *testing.T) (inv *inventory.Inventory, longest, window time.Duration) {
	t.Helper()
	if os.Getenv("VIGIE_FLEET_FIGURES") == "" {
		t.Skip("set VIGIE_FLEET_FIGURES=1 to measure the full fleet")
	}
	sites := sim.DefaultSites
	if v, err := strconv.Atoi(os.Getenv("VIGIE_FLEET_SITES")); err == nil {
		sites = v
	}
	window = 3 * time.Minute
	if v, err := time.ParseDuration(os.Getenv("VIGIE_FLEET_DURATION")); err == nil {
		window = v
	}
	bin := filepath.Join(t.TempDir(), "simfleet")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/simfleet").CombinedOutput(); err != nil {
		t.Fatalf("build simfleet: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-sites", strconv.Itoa(sites), "-seed", "7")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("simfleet did not print its port: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	inv = sim.Generate(sim.GenerateOptions{Seed: 7, Sites: sites})
	sim.SetPort(inv, uint16(port))
	for _, iv := range inv.Polling.Intervals {
		longest = max(longest, iv)
	}
	return inv, longest, window
}
