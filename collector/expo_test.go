package collector

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	expo "github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/promtest"
	"github.com/vigie-rie/vigie/inventory"
)

// withExposition renders the per-device series of c's polls as the daemon
// does: opts.OnPoll hands each poll to a new exposition of inv, then to the
// OnPoll opts had. The Gatherer reads the registry then the exposition's
// text through Prometheus' parser, as a scrape would.
func withExposition(t testing.TB, inv *inventory.Inventory, opts *Options, eopts expo.Options, reg *prometheus.Registry) (*expo.Exposition, prometheus.Gatherer) {
	t.Helper()
	eopts.Registerer = reg
	e, err := expo.New(inv, nil, eopts)
	if err != nil {
		t.Fatal(err)
	}
	next := opts.OnPoll
	opts.OnPoll = func(p *snmp.Poll, st *snmp.DeviceState) {
		e.Poll(p, st)
		if next != nil {
			next(p, st)
		}
	}
	return e, prometheus.Gatherers{reg, promtest.Text(e)}
}
