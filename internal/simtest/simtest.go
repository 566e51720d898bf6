// Package simtest serves a simulated fleet to tests: vigie-sim's SNMP
// agent, in-process, on a free loopback port, stopped when the test ends.
package simtest

import (
	"context"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// Serve starts an agent answering for inv's devices, points every device
// of inv at the agent's port, and stops the agent when tb ends; an error
// from the agent's loop fails the test then. opts.Port is normally 0.
func Serve(tb testing.TB, inv *inventory.Inventory, opts snmpagent.Options) *snmpagent.Agent {
	tb.Helper()
	a, err := snmpagent.New(inv, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("simulated SNMP agent: %v", err)
		}
	})
	sim.SetPort(inv, uint16(a.Port()))
	return a
}
