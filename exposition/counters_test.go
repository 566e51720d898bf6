package exposition

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// simFleet polls inv's devices through the real SNMP poller, each with its
// own device state, handing every poll to the exposition it was made for.
type simFleet struct {
	poller  *snmp.Poller
	targets []*snmp.Target
	states  []*snmp.DeviceState
	expo    []*Exposition
}

func newSimFleet(t testing.TB, inv *inventory.Inventory, expo ...*Exposition) *simFleet {
	t.Helper()
	p, err := snmp.NewPoller(snmp.Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	f := &simFleet{poller: p, expo: expo}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		tg, err := snmp.NewTarget(d, inv.Profile(d.Profile), inv.Polling)
		if err != nil {
			t.Fatal(err)
		}
		f.targets = append(f.targets, tg)
		f.states = append(f.states, snmp.NewDeviceState())
	}
	return f
}

// round polls every device once, in inventory order, within a minute.
func (f *simFleet) round(t testing.TB) []*snmp.Poll {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := make([]*snmp.Poll, 0, len(f.targets))
	for i, tg := range f.targets {
		p := f.poller.Poll(ctx, tg, f.states[i])
		for _, e := range f.expo {
			e.Poll(p, f.states[i])
		}
		out = append(out, p)
	}
	return out
}

// writeText is what /metrics gets of e.
func writeText(t testing.TB, e *Exposition) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// simClock is the simulator's clock, moved by the test.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ifValues returns, for one device, a family's values by interface.
func ifValues(p parsed, family, device string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range p[family].series {
		if !strings.Contains(k, `device="`+device+`"`) {
			continue
		}
		_, rest, _ := strings.Cut(k, `interface="`)
		name, _, _ := strings.Cut(rest, `"`)
		out[name] = v
	}
	return out
}

// deviceValue returns a per-device family's value for one device.
func deviceValue(t *testing.T, p parsed, family, device string) float64 {
	t.Helper()
	for k, v := range p[family].series {
		if strings.Contains(k, `device="`+device+`"`) {
			return v
		}
	}
	t.Fatalf("%s has no series for %s", family, device)
	return 0
}

// TestCountersThroughSim polls simulated devices twice through the real
// poller: an operator's clear counters between the polls
// adds nothing and is counted, whether the device says so
// (ifCounterDiscontinuityTime) or not (the counters went down); a real
// Counter32 wrap is still counted as traffic; the columns a device lacks
// have no series.
func TestCountersThroughSim(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 7, Sites: 8})
	clock := &simClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 7, Sockets: 1, Clock: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	inv.Index()
	var ces []string
	for _, d := range inv.Devices {
		if d.Site != "" && d.Address.Addr().Is4() {
			ces = append(ces, d.Name)
		}
	}
	if len(ces) < 5 {
		t.Fatalf("%d CE routers in the simulated fleet, want 5", len(ces))
	}
	told, silent, partial, wrapping, healthy := ces[0], ces[1], ces[2], ces[3], ces[4]
	for dev, f := range map[string]snmpagent.Faults{
		silent:   {Missing: "ifCounterDiscontinuityTime"},
		partial:  {Missing: "ifInErrors,ifHCInOctets,ifHighSpeed,ifSpeed"},
		wrapping: {WrapIn: 30 * time.Second},
	} {
		if err := agent.SetFaults(dev, f); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(inv, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newSimFleet(t, inv, e)
	polls := map[string]*snmp.Poll{}
	round := func() {
		for _, p := range f.round(t) {
			if p.Err != nil || len(p.Problems) > 0 {
				t.Fatalf("poll %s: %v %v", p.Device, p.Err, p.Problems)
			}
			polls[p.Device] = p
		}
	}
	round()
	before := parse(t, writeText(t, e))
	rawBefore := map[string]snmp.Interface{}
	for _, ifc := range polls[wrapping].Interfaces {
		rawBefore[ifc.Name] = ifc
	}

	clock.Add(time.Minute)
	for _, dev := range []string{told, silent} {
		if err := agent.ClearCounters(dev, ""); err != nil {
			t.Fatal(err)
		}
	}
	round()
	text := writeText(t, e)
	after := parse(t, text)

	// Cleared: nothing added, and counted.
	for _, dev := range []string{told, silent} {
		for _, fam := range []string{"vigie_interface_receive_errors_total", "vigie_interface_transmit_errors_total",
			"vigie_interface_receive_bytes_total", "vigie_interface_receive_discards_total"} {
			was := ifValues(before, fam, dev)
			now := ifValues(after, fam, dev)
			if len(now) == 0 || len(now) != len(was) {
				t.Errorf("%s: %s has %d interfaces after the clear, %d before", dev, fam, len(now), len(was))
			}
			for ifName, v := range now {
				if v != was[ifName] {
					t.Errorf("%s %s: %s went from %v to %v across a clear counters, want unchanged", dev, ifName, fam, was[ifName], v)
				}
			}
		}
	}
	wantReason := map[string]snmp.DiscontinuityReason{told: snmp.DiscontinuityTime, silent: snmp.DiscontinuityDecrease}
	for dev, reason := range wantReason {
		events := polls[dev].Discontinuities
		if len(events) == 0 {
			t.Errorf("%s: no discontinuity reported after clear counters", dev)
		}
		for _, e := range events {
			if e.Reason != reason {
				t.Errorf("%s: discontinuity %+v, want reason %s", dev, e, reason)
			}
		}
		if got := deviceValue(t, after, "vigie_device_counters_discontinuities_total", dev); got != float64(len(events)) {
			t.Errorf("%s: vigie_device_counters_discontinuities_total = %v, want %d", dev, got, len(events))
		}
	}
	// ifCounterDiscontinuityTime is per interface: every one was cleared.
	if n, want := len(polls[told].Discontinuities), len(polls[told].Interfaces); n != want {
		t.Errorf("%s: %d interfaces discontinuous, want all %d", told, n, want)
	}

	// A real wrap is traffic: counted, a small increase, no discontinuity.
	wrapped := 0
	errs0, errs1 := ifValues(before, "vigie_interface_receive_errors_total", wrapping), ifValues(after, "vigie_interface_receive_errors_total", wrapping)
	for _, ifc := range polls[wrapping].Interfaces {
		if ifc.InErrors >= rawBefore[ifc.Name].InErrors {
			continue
		}
		wrapped++
		want := float64(ifc.InErrors + 1<<32 - rawBefore[ifc.Name].InErrors)
		if got := errs1[ifc.Name] - errs0[ifc.Name]; got != want || got > 1e6 {
			t.Errorf("%s %s: ifInErrors wrapped %d -> %d; the total grew by %v, want %v", wrapping, ifc.Name,
				rawBefore[ifc.Name].InErrors, ifc.InErrors, got, want)
		}
	}
	if wrapped == 0 {
		t.Errorf("%s: no ifInErrors wrapped between the polls", wrapping)
	}
	for _, dev := range []string{wrapping, healthy, partial} {
		if got := deviceValue(t, after, "vigie_device_counters_discontinuities_total", dev); got != 0 {
			t.Errorf("%s: %v counter discontinuities, want 0", dev, got)
		}
	}

	// What the device lacks has no series; what it has is there.
	for fam, want := range map[string]bool{
		"vigie_interface_receive_errors_total": false, "vigie_interface_receive_bytes_total": false,
		"vigie_interface_speed_bytes": false, "vigie_interface_transmit_errors_total": true,
		"vigie_interface_transmit_bytes_total": true, "vigie_interface_oper_up": true,
	} {
		if n := len(ifValues(after, fam, partial)); (n > 0) != want {
			t.Errorf("%s: %d series of %s, want them present: %v", partial, n, fam, want)
		}
		if n := len(ifValues(after, fam, healthy)); n == 0 {
			t.Errorf("%s: no series of %s", healthy, fam)
		}
	}
	checkHeaders(t, text)
	promtoolCheck(t, text)
}
