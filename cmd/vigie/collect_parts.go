package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
)

// collectParts are the optional parts of a collector beside its SNMP
// polls: the notification receiver (collect_traps.go) and the BGP
// sessions (collect_bgp.go).
type collectParts struct {
	traps collectTrapFlags
	bgp   *collectBGP
}

func (c *collectParts) register(fs *flag.FlagSet) { c.traps.register(fs) }

// open binds what must be refused at start (sockets, ports). inv is the
// whole inventory, name the collector's.
func (c *collectParts) open(inv *inventory.Inventory, name string, logger *slog.Logger) error {
	if err := c.traps.open(logger); err != nil {
		return err
	}
	var err error
	if c.bgp, err = openBGP(inv, name, logger); err != nil {
		c.traps.close()
	}
	return err
}

// start runs the parts until ctx ends; wait returns once they stopped.
func (c *collectParts) start(ctx context.Context, share *inventory.Inventory, coll *collector.Collector,
	pub *observe.Publisher, reg prometheus.Registerer, fail func(error)) (wait func(), err error) {
	trapsWait, err := c.traps.start(ctx, share, coll, reg)
	if err != nil {
		return nil, err
	}
	bgpDone := make(chan struct{})
	if c.bgp == nil {
		close(bgpDone)
	} else {
		go func() {
			defer close(bgpDone)
			if err := c.bgp.run(ctx, pub); err != nil {
				fail(err)
			}
		}()
	}
	return func() { trapsWait(); <-bgpDone }, nil
}

// close releases what open took, for parts that will not start.
func (c *collectParts) close() { c.traps.close() }
