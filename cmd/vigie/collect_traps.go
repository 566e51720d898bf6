package main

// collect_traps.go: SNMP notifications at a regional collector. Devices
// send their traps and informs to the collector that polls them (the one
// near them, reachable when the centre is not); a notification triggers
// the immediate poll (Collector.PollNow) whose result is published as
// every poll is, so the central sees it within seconds.

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/collector/trap"
	"github.com/vigie-rie/vigie/inventory"
)

// collectTrapFlags are collect's notification flags, those of run.
type collectTrapFlags struct {
	listen, engine string
	recv           *trap.Receiver
}

func (f *collectTrapFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.listen, "snmp.trap-listen-address", "", "UDP address to receive SNMP traps and informs on, such as :162 (needs CAP_NET_BIND_SERVICE)\n"+
		"or 127.0.0.1:9162; a notification from one of this collector's devices polls it at once and the poll is published (docs/traps.md). Default: off")
	fs.StringVar(&f.engine, "snmp.trap-engine-id", fmt.Sprintf("%x", trap.DefaultEngineID), "SNMPv3 engine ID (hex) that v3 informs are sent to")
}

// open binds the listen address, so that a taken or privileged port
// stops the collector at start with the reason.
func (f *collectTrapFlags) open(logger *slog.Logger) error {
	if f.listen == "" {
		return nil
	}
	engine, err := hex.DecodeString(strings.TrimPrefix(f.engine, "0x"))
	if err != nil {
		return fmt.Errorf("--snmp.trap-engine-id=%q: want hexadecimal octets, such as %x", f.engine, trap.DefaultEngineID)
	}
	f.recv, err = trap.New(trap.Options{Listen: f.listen, EngineID: engine, Logger: logger.With("component", "notifications")})
	return err
}

// start points the receiver at the collector's own devices and their
// credentials (a notification from another collector's device is counted
// as from an unknown source) and receives until ctx ends; wait returns
// when the receiver has stopped. Its counters go to reg.
func (f *collectTrapFlags) start(ctx context.Context, share *inventory.Inventory, coll *collector.Collector,
	reg prometheus.Registerer) (wait func(), err error) {
	if f.recv == nil {
		return func() {}, nil
	}
	v, err := f.recv.View(share, coll.PollNow)
	if err != nil {
		return nil, err
	}
	for _, c := range f.recv.Collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the notification receiver's metrics: %w", err)
		}
	}
	f.recv.Use(v)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.recv.Run(ctx)
	}()
	return func() { <-done }, nil
}

// close releases the socket of a receiver that will not run.
func (f *collectTrapFlags) close() {
	if f.recv != nil {
		_ = f.recv.Close()
	}
}
