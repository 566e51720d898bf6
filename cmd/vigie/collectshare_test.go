package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestCollectShareRefused: `vigie collect` refuses, in one line naming the
// file and what to add, a collector the inventory does not declare or that
// polls no device, before it connects anywhere.
func TestCollectShareRefused(t *testing.T) {
	inv := fastInventory(20, 1)
	count := map[string]int{}
	for i := range inv.Devices {
		count[inv.DeviceRegion(&inv.Devices[i])]++
	}
	var busy, empty string
	for _, r := range inv.Regions {
		if count[r.ID] > 0 && busy == "" {
			busy = r.ID
		}
		if count[r.ID] == 0 && empty == "" {
			empty = r.ID
		}
	}
	if busy == "" || empty == "" {
		t.Fatalf("the simulated RIE of 20 sites has no region with devices (%q) or none without (%q)", busy, empty)
	}
	inv.Collectors = []inventory.CollectorShare{{Name: "busy", Regions: []string{busy}}, {Name: "idle", Regions: []string{empty}}}
	config := writeConfig(t, t.TempDir(), inv)
	t.Setenv(sim.EnvAuth, sim.DefaultAuthPassword)
	t.Setenv(sim.EnvPriv, sim.DefaultPrivPassword)
	t.Setenv(sim.EnvCommunity, sim.DefaultCommunity)
	for _, tc := range []struct{ collector, want string }{
		{"nobody", `--collector "nobody": ` + config + ` declares no such collector; add it to its collectors: section`},
		{"idle", `--collector "idle": the collectors: section of ` + config + ` gives it no device`},
	} {
		err := cmdCollect(context.Background(), []string{"--config", config, "--collector", tc.collector,
			"--observations", "nats://127.0.0.1:1", "--web.listen-address", "127.0.0.1:0"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("collect --collector %s: %v, want one line with %q", tc.collector, err, tc.want)
		}
	}
}
