package snmp

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// simDevice is one simulated device and its target.
type simDevice struct {
	name string
	tg   *Target
}

// startFaultSim serves a small simulated fleet in-process and returns the
// agent and two devices with interfaces, LLDP neighbours and BGP peers
// (aggregation routers), polled with the given profile.
func startFaultSim(t *testing.T, profile string) (*snmpagent.Agent, [2]simDevice) {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Seed: 11, Sites: 40})
	a := simtest.Serve(t, inv, snmpagent.Options{Seed: 11, Sockets: 1, Logger: slog.New(slog.DiscardHandler)})
	var out [2]simDevice
	n := 0
	for i := range inv.Devices {
		d := inv.Devices[i]
		if d.Role != inventory.RoleCollection || d.Site != "" {
			continue // aggregation routers only: iBGP to the reflectors, eBGP to CEs
		}
		d.Profile = profile
		tg, err := NewTarget(&d, inv.Profile(profile), inv.Polling)
		if err != nil {
			t.Fatal(err)
		}
		tg.Tables = TableInterfaces | TableLLDP | TableBGP
		out[n] = simDevice{name: d.Name, tg: tg}
		if n++; n == len(out) {
			return a, out
		}
	}
	t.Fatalf("the simulated fleet has %d routers, want 2", n)
	return nil, out
}

// pollOK polls and fails the test unless the poll is clean and complete.
func pollOK(t *testing.T, p *Poller, tg *Target, st *DeviceState) *Poll {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := p.Poll(ctx, tg, st)
	if r.Err != nil || len(r.Problems) > 0 {
		t.Fatalf("%s: err %v problems %v", tg.Device, r.Err, r.Problems)
	}
	if len(r.Interfaces) == 0 || len(r.LLDP) == 0 || len(r.BGPPeers) == 0 {
		t.Fatalf("%s: %d interfaces, %d LLDP neighbours, %d BGP peers: want some of each",
			tg.Device, len(r.Interfaces), len(r.LLDP), len(r.BGPPeers))
	}
	return r
}

// TestSimFloodMillionRows: a device claiming a 1,000,000-row ifTable has
// its interfaces cut at polling.max_rows (too_many_rows), within the poll's
// deadline, while its LLDP and BGP tables and another device polled at the
// same time are read as before.
func TestSimFloodMillionRows(t *testing.T) {
	a, devs := startFaultSim(t, sim.ProfileV2)
	flooded, other := devs[0], devs[1]
	maxRows := flooded.tg.MaxRows // polling.max_rows of the generated inventory
	if maxRows <= 0 || maxRows >= 1_000_000 {
		t.Fatalf("polling.max_rows %d does not cut a 1,000,000-row table", maxRows)
	}
	p := newTestPoller(t, 2)
	fst, ost := NewDeviceState(), NewDeviceState()
	before := pollOK(t, p, flooded.tg, fst)
	otherBefore := pollOK(t, p, other.tg, ost)
	if len(before.Interfaces) >= maxRows {
		t.Fatalf("healthy device already has %d interfaces", len(before.Interfaces))
	}

	if err := a.SetFaults(flooded.name, snmpagent.Faults{Flood: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	// The poll's bound: a poll that walked the whole flood would run into it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	otherDone := make(chan *Poll, 1)
	go func() { otherDone <- p.Poll(ctx, other.tg, ost) }()
	res := p.Poll(ctx, flooded.tg, fst)
	otherRes := <-otherDone

	if res.Err != nil || res.Reason != ReasonTooBig {
		t.Fatalf("flooded poll: reason %q err %v problems %v; want reason %q and no error", res.Reason, res.Err, res.Problems, ReasonTooBig)
	}
	if len(res.Problems) != 1 || res.Problems[0].Table != "interfaces" || !strings.Contains(res.Problems[0].Detail, "max_rows") {
		t.Errorf("problems %v, want one too_many_rows in interfaces naming polling.max_rows", res.Problems)
	}
	if len(res.Interfaces) != maxRows {
		t.Errorf("%d interfaces kept, want the table cut at %d", len(res.Interfaces), maxRows)
	}
	// About max_rows/max-repetitions GetBulks, not a million rows' worth.
	if limit := 4 * maxRows / flooded.tg.MaxRepetitions; res.Requests > limit+20 {
		t.Errorf("%d requests for a table cut at %d rows (max-repetitions %d)", res.Requests, maxRows, flooded.tg.MaxRepetitions)
	}
	if !slices.Equal(res.LLDP, before.LLDP) || !slices.Equal(res.BGPPeers, before.BGPPeers) {
		t.Errorf("flooded device's other tables changed:\nLLDP %+v\nwas  %+v\nBGP %+v\nwas %+v", res.LLDP, before.LLDP, res.BGPPeers, before.BGPPeers)
	}
	if otherRes.Err != nil || len(otherRes.Problems) > 0 || len(otherRes.Interfaces) != len(otherBefore.Interfaces) ||
		!slices.Equal(otherRes.LLDP, otherBefore.LLDP) || len(otherRes.BGPPeers) != len(otherBefore.BGPPeers) {
		t.Errorf("other device affected: err %v problems %v, %d interfaces (was %d), %d BGP peers (was %d)",
			otherRes.Err, otherRes.Problems, len(otherRes.Interfaces), len(otherBefore.Interfaces), len(otherRes.BGPPeers), len(otherBefore.BGPPeers))
	}

	// The fault gone, the next poll is whole again.
	if err := a.SetFaults(flooded.name, snmpagent.Faults{}); err != nil {
		t.Fatal(err)
	}
	if after := pollOK(t, p, flooded.tg, fst); len(after.Interfaces) != len(before.Interfaces) {
		t.Errorf("after the flood: %d interfaces, want %d", len(after.Interfaces), len(before.Interfaces))
	}
	if p.DecodePanics() != 0 {
		t.Errorf("decode panics %d", p.DecodePanics())
	}
}

// TestSimV3AuthFaults: SNMPv3 credentials that the device's USM refuses
// fail the poll with reason auth (never a timeout) and an error that says
// what to check, without leaking the secret.
func TestSimV3AuthFaults(t *testing.T) {
	a, devs := startFaultSim(t, sim.ProfileV3)
	good := devs[0].tg
	tests := []struct {
		name   string
		change func(tg *Target)
		secret string // must not appear in the error
		report string // the usmStats counter the agent refuses with
	}{
		{"unknown user", func(tg *Target) { tg.User = "nobody-here" }, "", "unknown_user_names"},
		{"wrong auth key", func(tg *Target) { tg.AuthPassword = inventory.NewSecret("wrong-auth-key-1", "test") }, "wrong-auth-key-1", "wrong_digests"},
		{"wrong priv key", func(tg *Target) { tg.PrivPassword = inventory.NewSecret("wrong-priv-key-1", "test") }, "wrong-priv-key-1", "decryption_errors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPoller(t, 1)
			for _, known := range []bool{false, true} {
				st := NewDeviceState()
				if known {
					// The engine is already known when the credentials change.
					pollOK(t, p, good, st)
				}
				tg := *good
				tc.change(&tg)
				reports := a.Stats().Reports[tc.report]
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				res := p.Poll(ctx, &tg, st)
				cancel()
				t.Logf("engine known %v: reason %s, %d requests, err: %v", known, res.Reason, res.Requests, res.Err)
				if res.Err == nil || res.Reason != ReasonAuth || !errors.Is(res.Err, ErrAuth) {
					t.Fatalf("engine known %v: reason %q err %v; want an auth failure", known, res.Reason, res.Err)
				}
				msg := res.Err.Error()
				if !strings.Contains(msg, "check that the profile's username") || strings.Contains(msg, "\n") ||
					(tc.secret != "" && strings.Contains(msg, tc.secret)) {
					t.Errorf("error does not say what to check in one line without the secret: %q", msg)
				}
				// The agent refused for the reason under test (not for a
				// side effect of the change).
				if got := a.Stats().Reports[tc.report]; got == reports {
					t.Errorf("the agent sent no %s report: the fault was not exercised", tc.report)
				}
				// A report is an answer: no retry loop until the timeout.
				if res.Requests > 2+good.Retries {
					t.Errorf("%d requests: the refusal was retried like a timeout", res.Requests)
				}
			}
		})
	}
}

// TestSimV3NotInTimeWindow: after the device reboots (its engine boots
// increase and its engine time restarts), its answers are notInTimeWindow
// reports until vigie takes the new boots and time; the poll after the
// reboot, or at worst the next one, succeeds and sees the reboot.
func TestSimV3NotInTimeWindow(t *testing.T) {
	a, devs := startFaultSim(t, sim.ProfileV3)
	d := devs[0]
	p := newTestPoller(t, 1)
	st := NewDeviceState()
	first := pollOK(t, p, d.tg, st)
	pollOK(t, p, d.tg, st)
	reports := a.Stats().Reports["not_in_time_windows"]
	if err := a.Reboot(d.name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := p.Poll(ctx, d.tg, st)
	t.Logf("poll after the reboot: reason %q, %d requests, err %v", res.Reason, res.Requests, res.Err)
	if res.Err != nil {
		if res.Reason != ReasonAuth && res.Reason != ReasonNone {
			t.Errorf("first poll after the reboot: reason %q err %v; want success or an auth (time window) failure", res.Reason, res.Err)
		}
		res = pollOK(t, p, d.tg, st)
	} else if len(res.Problems) > 0 {
		t.Fatalf("poll after the reboot: problems %v", res.Problems)
	}
	if got := a.Stats().Reports["not_in_time_windows"]; got == reports {
		t.Errorf("the agent sent no notInTimeWindow report after the reboot: the re-sync was not exercised")
	}
	if res.System.Uptime >= first.System.Uptime {
		t.Errorf("uptime %v after the reboot, was %v: the poll did not reach the rebooted engine", res.System.Uptime, first.System.Uptime)
	}
	if st.Reboots() != 1 {
		t.Errorf("reboots seen %d, want 1", st.Reboots())
	}
	// And it stays in sync: the new boots and time are kept in the
	// device's state, so the next poll gets no report.
	synced := a.Stats().Reports["not_in_time_windows"]
	pollOK(t, p, d.tg, st)
	if got := a.Stats().Reports["not_in_time_windows"]; got != synced {
		t.Errorf("%d more notInTimeWindow reports on the poll after the re-sync: the new engine boots and time were not kept", got-synced)
	}
}

// TestDecoderPanicRecovered forces a panic in the LLDP decoder of a
// session (its visit function, swapped for one that panics on the first
// neighbour): the poll survives, the panic is counted where
// vigie_collector_decode_panics_total reads it, the LLDP table is reported
// malformed and the interfaces and BGP peers are kept.
func TestDecoderPanicRecovered(t *testing.T) {
	_, devs := startFaultSim(t, sim.ProfileV2)
	d := devs[0]
	p := newTestPoller(t, 1)
	st := NewDeviceState()
	before := pollOK(t, p, d.tg, st)

	s := p.all[0]
	lldp := &s.tables[tableSlotLLDP]
	orig := lldp.visit
	lldp.visit = func(col int, index []uint32, v *varbind) { panic("forced by the test") }
	res := p.Poll(context.Background(), d.tg, st)
	lldp.visit = orig

	if res.Err != nil {
		t.Fatalf("poll failed on a decoder panic: %v", res.Err)
	}
	if got := p.DecodePanics(); got != 1 {
		t.Errorf("decode panics %d, want 1", got)
	}
	if res.Reason != ReasonMalformed || len(res.Problems) != 1 || res.Problems[0].Table != "lldp" ||
		!strings.Contains(res.Problems[0].Detail, "forced by the test") {
		t.Errorf("reason %q problems %v, want one malformed problem in lldp carrying the panic", res.Reason, res.Problems)
	}
	if len(res.LLDP) != 0 {
		t.Errorf("%d LLDP neighbours kept from a table whose decoder panicked", len(res.LLDP))
	}
	if !slices.EqualFunc(res.Interfaces, before.Interfaces, func(a, b Interface) bool { return a.Index == b.Index && a.Name == b.Name }) ||
		!slices.Equal(res.BGPPeers, before.BGPPeers) || res.System.Name != before.System.Name {
		t.Errorf("other tables lost: %d interfaces (was %d), %d BGP peers (was %d), system %q (was %q)",
			len(res.Interfaces), len(before.Interfaces), len(res.BGPPeers), len(before.BGPPeers), res.System.Name, before.System.Name)
	}
	// The session is sound afterwards.
	if again := pollOK(t, p, d.tg, st); len(again.LLDP) != len(before.LLDP) {
		t.Errorf("next poll: %d LLDP neighbours, want %d", len(again.LLDP), len(before.LLDP))
	}
	if got := p.DecodePanics(); got != 1 {
		t.Errorf("decode panics %d after a clean poll, want still 1", got)
	}
}
