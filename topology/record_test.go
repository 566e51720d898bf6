package topology

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology/resilience"
	"github.com/vigie-rie/vigie/topology/store"
)

func TestRecordExternalEvent(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 20, Seed: 1})
	topo, err := New(inv, Options{Registerer: prometheus.NewRegistry()})
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

func TestStoredFailures(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 20, Seed: 1})
	g, err := resilience.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	links := g.Links()
	// Two links: one on a device that is unreachable, one on healthy ends.
	dead := inv.Sites[0].Access[0].Device
	var onDead, healthy resilience.LinkID
	for _, id := range links {
		s := string(id)
		switch {
		case onDead == "" && strings.Contains(s, dead+":"):
			onDead = id
		case healthy == "" && !strings.Contains(s, dead+":") && strings.Contains(s, "--"):
			healthy = id
		}
	}
	ends := func(id resilience.LinkID) (store.Endpoint, store.Endpoint) {
		a, b, _ := strings.Cut(string(id), "--")
		da, _, _ := strings.Cut(a, ":")
		db, _, _ := strings.Cut(b, ":")
		return store.Endpoint{Device: da}, store.Endpoint{Device: db}
	}
	a1, b1 := ends(onDead)
	a2, b2 := ends(healthy)
	snap := store.Snapshot{
		Devices: []store.Device{{Name: dead, State: "unreachable"}, {Name: "ce-gone", State: "unreachable"}},
		Links: []store.Link{
			{ID: string(onDead), A: a1, B: b1, State: "down"},
			{ID: string(healthy), A: a2, B: b2, State: "down"},
			{ID: "x:1--y:2", State: "down"},
		},
	}
	got := StoredFailures(g, snap)
	if !slices.Equal(got.Devices, []string{dead}) || !slices.Equal(got.Links, []string{string(healthy)}) {
		t.Errorf("StoredFailures = devices %v links %v; want devices [%s] (unknown ce-gone dropped) and links [%s] (the link on the dead device is explained by it)",
			got.Devices, got.Links, dead, healthy)
	}
}
