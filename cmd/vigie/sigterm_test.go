package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/internal/storetest"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
)

// stopBound is how long `vigie run` may take to exit after SIGTERM: polls
// see the cancelled context and end at once, then one store commit. It is
// the figure docs/reliability.md promises, with a wide margin for a loaded
// machine; the measured time is logged.
const stopBound = 15 * time.Second

// TestSIGTERMUnderLoad stops `vigie run` with SIGTERM while it polls a
// fleet at the shortest interval, with slow devices holding polls in flight
// and a link just taken down. vigie must exit 0 within stopBound, release
// the store (it reopens, lock free, consistency check passed) and have
// written the last state: every event the API served before the signal,
// every device's last poll, the link down.
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon on a few hundred devices")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(300, 11)
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 11})
	// One device in 20 answers slowly: at any moment some polls are in flight.
	for i := 0; i < len(inv.Devices); i += 20 {
		if err := agent.SetFaults(inv.Devices[i].Name, snmpagent.Faults{Slow: 1500 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	config, db := writeConfig(t, dir, inv), filepath.Join(dir, "vigie.db")
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := simEnv()
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", env, &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", db, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	getJSON := func(path string, v any) bool {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + path)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(v) == nil
	}
	var view exposition.TopologyView
	vigie.waitFor(60*time.Second, "every device polled", func() bool {
		if !getJSON("/api/v1/topology", &view) {
			return false
		}
		for _, n := range view.Nodes {
			if n.Declared && n.LastPoll.IsZero() {
				return false
			}
		}
		return true
	})
	// Take an access link down and wait for vigie to see it.
	var down exposition.LinkView
	for _, l := range view.Links {
		if l.Kind == topology.KindAccess && l.State == topology.LinkUp && l.B != nil && l.A.Interface != "" {
			down = l
			break
		}
	}
	if down.ID == "" {
		t.Fatal("no access link up to take down")
	}
	if err := agent.SetLink(down.A.Device, down.A.Interface, false); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(60*time.Second, "link "+down.ID+" seen down", func() bool {
		if !getJSON("/api/v1/topology", &view) {
			return false
		}
		for _, l := range view.Links {
			if l.ID == down.ID {
				return l.State == topology.LinkDown
			}
		}
		return false
	})
	var events struct{ Events []topology.Event }
	if !getJSON("/api/v1/events?limit=1000", &events) || len(events.Events) == 0 {
		t.Fatal("no events served before the signal")
	}

	took, err := vigie.stop(stopBound)
	if err != nil {
		t.Fatalf("vigie run exited with %v after SIGTERM, want status 0\nlogs:\n%s", err, stderr.String())
	}
	t.Logf("vigie run exited 0 %v after SIGTERM (bound %v), %d devices", took.Round(time.Millisecond), stopBound, len(inv.Devices))
	logs := stderr.String()
	if !strings.Contains(logs, "vigie stopped") {
		t.Errorf("no \"vigie stopped\" line: the daemon did not go through its shutdown\n%s", logs)
	}
	for _, bad := range []string{"closing the store", "last changes lost", "store write failed"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the shutdown logged %q:\n%s", bad, logs)
		}
	}

	// The file is closed (lock free: Open does not wait), consistent (Open
	// checks it) and holds the last state.
	st, err := store.Open(db, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopening the store after SIGTERM: %v", err)
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]time.Time{}
	for _, d := range snap.Devices {
		seen[d.Name] = d.Seen
	}
	for _, n := range view.Nodes {
		if n.Declared && seen[n.Name].Before(n.LastPoll) {
			t.Errorf("device %s: the store has its poll of %v, the API served one of %v before the signal", n.Name, seen[n.Name], n.LastPoll)
		}
	}
	var linkState string
	for _, l := range snap.Links {
		if l.ID == down.ID {
			linkState = l.State
		}
	}
	if linkState != string(topology.LinkDown) {
		t.Errorf("link %s is %q in the store, want down", down.ID, linkState)
	}
	missing, stored, err := storetest.MissingEvents(st, events.Events)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range missing {
		if i < 5 {
			t.Errorf("event served before the signal is not in the store: %+v", e)
		}
	}
	t.Logf("store after the stop: %d devices, %d links, %d events (%d served by the API before the signal, %d missing)",
		len(snap.Devices), len(snap.Links), stored, len(events.Events), len(missing))
}
