package main

// witness.go: `vigie collect` as a witness of the collectors whose
// witnesses: name it (docs/distributed.md, "Witnesses").

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
)

// witnessProbes bounds the probes a witness runs at once: a lost region's
// 2,000 devices at one Get each, two seconds of timeout, take about two
// minutes at worst, the default poll interval of a collection device.
const witnessProbes = 32

// newWitness returns the witness of the collectors that name name among
// their witnesses, publishing through pub, or nil when none does. Its
// probe is one SNMP Get of the system group with each device's profile.
func newWitness(inv *inventory.Inventory, name string, conn observe.Connection, heartbeat time.Duration,
	pub *observe.Publisher, reg prometheus.Registerer, logger *slog.Logger) (*observe.Witness, func() error, error) {
	if inv == nil { // loadShare keeps the whole inventory only for a BGP collector or a witness
		return nil, func() error { return nil }, nil
	}
	vouched := inv.VouchesFor(name)
	if len(vouched) == 0 {
		return nil, func() error { return nil }, nil
	}
	pol, def := inv.Polling, inventory.DefaultPolling()
	type probe struct {
		t  *snmp.Target
		st *snmp.DeviceState
	}
	targets := map[string]probe{}
	of := map[string][]string{}
	var interval time.Duration
	for _, c := range vouched {
		for i := range inv.Devices {
			d := &inv.Devices[i]
			if inv.CollectorOf(d) != c {
				continue
			}
			t, err := snmp.NewTarget(d, inv.Profile(d.Profile), pol)
			if err != nil {
				return nil, nil, fmt.Errorf("witness of %s: %w", c, err)
			}
			t.Tables = 0 // the system group only: one Get
			targets[d.Name] = probe{t: t, st: snmp.NewDeviceState()}
			of[c] = append(of[c], d.Name)
			iv := pol.Intervals[d.Role]
			if iv <= 0 {
				iv = def.Intervals[d.Role]
			}
			if iv > 0 && (interval == 0 || iv < interval) {
				interval = iv
			}
		}
	}
	if interval <= 0 {
		interval = time.Minute
	}
	poller, err := snmp.NewPoller(snmp.Options{Sessions: witnessProbes, Logger: logger.With("component", "witness")})
	if err != nil {
		return nil, nil, err
	}
	w, err := observe.NewWitness(observe.WitnessOptions{Connection: conn, Collector: name, Of: of,
		Interval: interval, Heartbeat: heartbeat, Concurrency: witnessProbes, Publisher: pub,
		Logger: logger.With("component", "witness"), Registerer: reg,
		Probe: func(ctx context.Context, dev string) bool {
			p := targets[dev]
			// Each device is probed by one round at a time: its state is its own.
			return poller.Poll(ctx, p.t, p.st).Err == nil
		}})
	if err != nil {
		_ = poller.Close()
		return nil, nil, err
	}
	return w, poller.Close, nil
}
