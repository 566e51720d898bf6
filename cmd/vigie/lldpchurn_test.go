package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestLLDPChurnStaysBounded runs `vigie run` with a store on a simulated
// fleet where one aggregation router reports 200 LLDP neighbours the
// inventory does not know, all different at every poll, with the bounds set
// low (50 neighbours, 100 events a minute). Across polls the live topology
// (/api/v1/topology) holds at most 50 observed links and 50 extra nodes;
// /metrics counts the drops for that device and the log names the device
// and the setting to raise; the store holds at most 50 observed links and
// no more of that device's events than its budget. Once the device is
// healed, a restart on the same file and one poll leave no stale
// neighbour, in the API or the file. (Before the fix, every second stale
// neighbour stayed, the store grew at each poll and a restart brought them
// back.)
func TestLLDPChurnStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon for several polls")
	}
	const maxNeighbours, maxEvents, churn = 50, 100, 200
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(10, 14)
	inv.Agent.MaxLLDPNeighbors, inv.Agent.MaxDeviceEvents = maxNeighbours, maxEvents
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 14})
	dev := ""
	for _, d := range inv.Devices {
		if strings.HasPrefix(d.Name, "agg-") {
			dev = d.Name
			break
		}
	}
	if dev == "" {
		t.Fatal("no aggregation router in the simulated fleet")
	}
	if err := agent.SetFaults(dev, snmpagent.Faults{LLDPChurn: churn}); err != nil {
		t.Fatal(err)
	}
	config, db := writeConfig(t, dir, inv), filepath.Join(dir, "vigie.db")
	env := simEnv()
	client := &http.Client{Timeout: 10 * time.Second}

	// run starts vigie, waits for polls of dev, checks the live topology
	// after each, and stops vigie. It returns the last view.
	run := func(polls int, check func(v exposition.TopologyView)) (exposition.TopologyView, string, time.Duration) {
		t.Helper()
		port := freeport.TCP(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		var stderr logbuf.Buffer
		start := time.Now()
		vigie := startVigie(t, bin, "", env, &stderr, &stderr, stderr.String,
			"run", "--config", config, "--db", db, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
		var view exposition.TopologyView
		seen := map[time.Time]bool{}
		vigie.waitFor(time.Duration(polls+6)*inventory.MinInterval, fmt.Sprintf("%d polls of %s", polls, dev), func() bool {
			resp, err := client.Get(base + "/api/v1/topology")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var v exposition.TopologyView
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil {
				return false
			}
			view = v
			check(v)
			for _, n := range v.Nodes {
				if n.Name == dev && !n.LastPoll.IsZero() && n.LastPoll.After(start) {
					seen[n.LastPoll] = true
				}
			}
			return len(seen) >= polls
		})
		metrics := ""
		if resp, err := client.Get(base + "/metrics"); err == nil {
			b := new(bytes.Buffer)
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			metrics = b.String()
		}
		if _, err := vigie.stop(stopBound); err != nil {
			t.Fatalf("vigie run exited with %v after SIGTERM\nlogs:\n%s", err, stderr.String())
		}
		return view, metrics + "\n#LOGS\n" + stderr.String(), time.Since(start)
	}
	observed := func(v exposition.TopologyView) (links, extraNodes int) {
		for _, l := range v.Links {
			if l.Kind == topology.KindObserved {
				links++
			}
		}
		for _, n := range v.Nodes {
			if !n.Declared {
				extraNodes++
			}
		}
		return links, extraNodes
	}

	// Three polls of the churning device (each one shows 200 new neighbours).
	most := 0
	_, out, took := run(3, func(v exposition.TopologyView) {
		links, nodes := observed(v)
		most = max(most, links)
		if links > maxNeighbours || nodes > maxNeighbours {
			t.Errorf("the live topology holds %d observed links and %d nodes LLDP alone names; bound %d", links, nodes, maxNeighbours)
		}
	})
	if most == 0 {
		t.Error("no observed link ever served: the churning neighbours did not reach the topology")
	}
	metrics, logs, _ := strings.Cut(out, "\n#LOGS\n")
	for _, bound := range []string{"neighbors", "events"} {
		if v := counter(t, metrics, "vigie_topology_device_bound_drops_total", map[string]string{"device": dev, "bound": bound}); v <= 0 {
			t.Errorf("vigie_topology_device_bound_drops_total{device=%q,bound=%q} = %v, want > 0", dev, bound, v)
		}
	}
	for _, want := range []string{"device=" + dev, "bound=neighbors", "setting=agent.max_lldp_neighbors", "bound=events",
		"setting=agent.max_device_events_per_minute"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no log line says %q\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, "hit its bound"); n != 2 {
		t.Errorf("%d bound log lines, want 2 (one per bound: logged once an hour per device)", n)
	}

	// The file: at most the bound of observed links, and of the device's
	// LLDP events no more than its budget over the run.
	links, events := storeCounts(t, db, dev)
	t.Logf("after %v of churn: %d observed links in the store, %d events about %s's neighbours", took.Round(time.Second), links, events, dev)
	if links > maxNeighbours {
		t.Errorf("%d observed links in the store, bound %d", links, maxNeighbours)
	}
	if budget := maxEvents + int(float64(maxEvents)*took.Minutes()) + 1; events > budget {
		t.Errorf("%d events of %s's LLDP in the store over %v, budget %d", events, dev, took, budget)
	}

	// Healed, restarted on the same file: one poll clears what was restored.
	if err := agent.SetFaults(dev, snmpagent.Faults{}); err != nil {
		t.Fatal(err)
	}
	last, _, _ := run(1, func(exposition.TopologyView) {})
	if links, nodes := observed(last); links != 0 || nodes != 0 {
		t.Errorf("after a restart and a poll of the healed device: %d observed links, %d nodes LLDP alone names; want none", links, nodes)
	}
	if links, _ := storeCounts(t, db, dev); links != 0 {
		t.Errorf("after a restart and a poll of the healed device: %d observed links in the store, want none", links)
	}
}

// storeCounts opens a stopped vigie's store and counts its observed links
// and the events about dev's churning neighbours.
func storeCounts(t *testing.T, path, dev string) (links, events int) {
	t.Helper()
	st, err := store.Open(path, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopening the store: %v", err)
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range snap.Links {
		if l.Kind == string(topology.KindObserved) {
			links++
		}
	}
	evs, err := st.Events(time.Time{}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.Subject, dev+":churn") || strings.HasPrefix(e.Subject, "lldp:"+dev+":churn") {
			events++
		}
	}
	return links, events
}

// counter returns the value of one series of a /metrics text, or -1.
func counter(t *testing.T, text, name string, labels map[string]string) float64 {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		return m.GetCounter().GetValue()
	}
	return -1
}
