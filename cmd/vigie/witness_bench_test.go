package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// BenchmarkWitnessRound: one probe round of a witness over a lost
// collector of about 2,000 simulated devices (one SNMPv3 Get each, 32 at
// once, through the real poller), and the size of the report it
// publishes. Run it alone (BENCHMARKS.md):
//
//	go test -tags gosnmp_nodebug ./cmd/vigie -run '^$' -bench WitnessRound -benchtime 5x
func BenchmarkWitnessRound(b *testing.B) {
	for k, v := range map[string]string{sim.EnvAuth: sim.DefaultAuthPassword, sim.EnvPriv: sim.DefaultPrivPassword,
		sim.EnvCommunity: sim.DefaultCommunity} {
		b.Setenv(k, v)
	}
	inv := sim.Generate(sim.GenerateOptions{Sites: 1400, Seed: 1})
	simtest.Serve(b, inv, snmpagent.Options{Seed: 1})
	lost := inventory.CollectorShare{Name: "lost", Witnesses: []string{"witness"}}
	for _, r := range inv.Regions {
		lost.Regions = append(lost.Regions, r.ID)
	}
	inv.Collectors = []inventory.CollectorShare{lost, {Name: "witness", Devices: []string{inv.Devices[0].Name}}}
	pub, err := observe.NewPublisher(observe.PublisherOptions{Collector: "witness"})
	if err != nil {
		b.Fatal(err)
	}
	w, closeW, err := newWitness(inv, "witness", observe.Connection{URL: "nats://127.0.0.1:1"}, time.Second, pub, nil,
		slog.New(slog.DiscardHandler))
	if err != nil || w == nil {
		b.Fatalf("newWitness: %v", err)
	}
	defer func() { _ = closeW() }()
	ctx := context.Background()
	var r observe.WitnessReport
	b.ResetTimer()
	for range b.N {
		r = w.Round(ctx, "lost")
	}
	b.StopTimer()
	if len(r.Reachable) != r.Probed {
		b.Fatalf("%d of %d simulated devices answered", len(r.Reachable), r.Probed)
	}
	b.ReportMetric(float64(r.Probed), "devices")
	b.ReportMetric(float64(len(observe.AppendWitness(nil, r))), "report-bytes")
}
