package collector

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// startSim generates a fleet of about the given number of sites and serves
// it from one in-process simulator on a free port; device addresses are
// rewritten to that port.
func startSim(tb testing.TB, sites int) (*inventory.Inventory, *snmpagent.Agent) {
	tb.Helper()
	inv := sim.Generate(sim.GenerateOptions{Seed: 7, Sites: sites})
	a := simtest.Serve(tb, inv, snmpagent.Options{Seed: 7, Sockets: 2, Logger: slog.New(slog.DiscardHandler)})
	inv.Index()
	return inv, a
}

// TestSimFleetEndToEnd polls a simulated fleet of about 5,000 devices (v2c
// and v3) once each and checks that every device answered every table.
// It takes a few CPU seconds: run it by hand under
// flock /tmp/vigie-heavy.lock go test -run SimFleet ./collector/
func TestSimFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end fleet test skipped in -short mode")
	}
	inv, _ := startSim(t, 3400)
	n := len(inv.Devices)
	if n < 4500 {
		t.Fatalf("simulated fleet has %d devices, want about 5,000", n)
	}
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = 5 * time.Second
	}
	inv.Polling.Workers = 64
	reg := prometheus.NewRegistry()
	polled := make(chan *snmp.Poll, n*2)
	c, err := New(inv, Options{OnPoll: func(p *snmp.Poll, _ *snmp.DeviceState) { polled <- p }, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*snmp.Poll{}
	var failed, v3, withIfs, withLLDP, withBGP int
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	deadline := time.After(60 * time.Second)
	for len(seen) < n {
		select {
		case p := <-polled:
			if _, dup := seen[p.Device]; dup {
				continue
			}
			seen[p.Device] = p
			if p.Err != nil || len(p.Problems) > 0 {
				failed++
				if failed < 5 {
					t.Errorf("%s: %v %v", p.Device, p.Err, p.Problems)
				}
			}
			if len(p.Interfaces) > 0 {
				withIfs++
			}
			if len(p.LLDP) > 0 {
				withLLDP++
			}
			if len(p.BGPPeers) > 0 {
				withBGP++
			}
		case <-deadline:
			t.Fatalf("only %d of %d devices polled in 60s", len(seen), n)
		}
	}
	cancel()
	if err := <-ret; err != nil {
		t.Fatal(err)
	}
	for i := range inv.Devices {
		if p := inv.Profile(inv.Devices[i].Profile); p != nil && p.Version == inventory.SNMPv3 {
			v3++
		}
	}
	t.Logf("%d devices (%d over v3): %d failed, %d with interfaces, %d with LLDP neighbours, %d with BGP peers",
		n, v3, failed, withIfs, withLLDP, withBGP)
	if failed > 0 || withIfs != n || withLLDP == 0 || withBGP == 0 || v3 == 0 {
		t.Errorf("fleet poll incomplete")
	}
	if up := testutil.ToFloat64(c.m.devices.WithLabelValues(stateUp)); int(up) != n {
		t.Errorf("devices up %v, want %d", up, n)
	}
}
