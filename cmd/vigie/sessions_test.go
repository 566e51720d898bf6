package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// sockets counts the sockets a process holds, from /proc/<pid>/fd.
func sockets(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read the child's file descriptors: %v", err)
	}
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// TestSessionsOnDemandThroughRun: `vigie run` with polling.workers at 256
// polls a small simulated fleet, whose polls never overlap 256 at a time.
// Each SNMP session is a socket and about 200 KiB of buffers, so the
// daemon must hold the sessions its polls use at once, not one per worker:
// on the full RIE that difference was about 50 MB of the heap. Every
// device must still be polled, v2c and v3 alike.
func TestSessionsOnDemandThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(6, 23)
	const workers = 256
	inv.Polling.Workers = workers
	simtest.Serve(t, inv, snmpagent.Options{Seed: 23})
	config := writeConfig(t, dir, inv)
	written, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), fmt.Sprintf("workers: %d", workers)) {
		t.Fatalf("the written configuration does not set workers to %d:\n%s", workers, written)
	}
	port := freeport.TCP(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", filepath.Join(dir, "vigie.db"), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))

	// Two polls of every device: the first ones, spread over the
	// interval, then a round where each device has its state.
	want := 2 * float64(len(inv.Devices))
	var m map[string]map[string]float64
	vigie.waitFor(60*time.Second, fmt.Sprintf("%v successful polls", want), func() bool {
		m = scrape(metricsURL)
		return sumOf(m["vigie_collector_polls_total"], `result="success"`) >= want
	})
	for _, dev := range inv.Devices {
		if up := ofDevice(m, "vigie_device_up", dev.Name)[""]; up != 1 {
			t.Errorf("device %s (profile %s): vigie_device_up %v after two rounds of polls, want 1", dev.Name, dev.Profile, up)
		}
	}
	n := sockets(t, vigie.cmd.Process.Pid)
	t.Logf("%d devices, workers %d: %d sockets", len(inv.Devices), workers, n)
	// The daemon's other sockets (web listener, scrapes, store) are a
	// handful; one session per worker would be 256 on its own.
	if n >= workers/2 {
		t.Errorf("vigie run holds %d sockets for %d devices: SNMP sessions are opened per worker (%d), not per poll in flight", n, len(inv.Devices), workers)
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}

// sumOf sums the series of a family whose labels contain must.
func sumOf(series map[string]float64, must string) float64 {
	total := 0.0
	for k, v := range series {
		if strings.Contains(k, must) {
			total += v
		}
	}
	return total
}
