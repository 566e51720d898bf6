package topology

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/sim"
)

func TestRecordExternalEvent(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 20, Seed: 1})
	topo, err := New(inv, Options{}, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go topo.Run(ctx)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	topo.Record(Event{Time: at, Kind: "bgp_default_route_lost", Subject: "pfai-1/192.0.2.1", Detail: "withdrawn"})
	if err := topo.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := topo.Events(at, 10)
	if len(got) != 1 || got[0].Kind != "bgp_default_route_lost" || got[0].Subject != "pfai-1/192.0.2.1" {
		t.Fatalf("Events after Record = %+v, want the recorded BGP event", got)
	}
}
