package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/inventory"
)

// collectParts are the optional parts of a collector beside its SNMP
// polls: the notification receiver (collect_traps.go).
type collectParts struct {
	traps collectTrapFlags
}

func (c *collectParts) register(fs *flag.FlagSet) { c.traps.register(fs) }

// open binds what must be refused at start (sockets, ports).
func (c *collectParts) open(logger *slog.Logger) error { return c.traps.open(logger) }

// start runs the parts until ctx ends; wait returns once they stopped.
func (c *collectParts) start(ctx context.Context, share *inventory.Inventory, coll *collector.Collector,
	reg prometheus.Registerer) (wait func(), err error) {
	return c.traps.start(ctx, share, coll, reg)
}

// close releases what open took, for parts that will not start.
func (c *collectParts) close() { c.traps.close() }
