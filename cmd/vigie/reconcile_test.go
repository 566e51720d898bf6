package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology"
)

// TestRunReportsRouterBGPDiscrepancy runs `vigie run` peering (passively)
// with a simulated PFAI router whose BGP4-MIB calls vigie's session
// established while no BGP speaker ever connects: the router's SNMP view
// and vigie's own disagree, and the operator reads it as one
// bgp_discrepancy event naming the router and what to check. It drives the
// whole path: the SNMP poll's peer table, the daemon's conversion, the BGP
// monitor's comparison, the topology's event log and /api/v1/events.
func TestRunReportsRouterBGPDiscrepancy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := withBGPListen(t, fastInventory(3, 23), freeport.TCP(t))
	pfai := inv.Device(inv.BGP.Peers[0].Device)
	vigieAddr := netip.MustParseAddr("127.0.0.1") // where vigie's session comes from, as the router sees it
	simtest.Serve(t, inv, snmpagent.Options{Seed: 23, BGPSessions: func(device string) []snmpagent.BGPSession {
		if device != pfai.Name {
			return nil
		}
		return []snmpagent.BGPSession{{Local: pfai.Address.Addr(), Remote: vigieAddr, RemoteAS: inv.BGP.LocalAS,
			RemoteID: inv.BGP.RouterID, Since: time.Now().Add(-time.Hour)}}
	}})
	config := filepath.Join(dir, "vigie.yml")
	port := freeport.TCP(t)
	writeInventory(t, config, inv, filepath.Join(dir, "vigie.db"), fmt.Sprintf("127.0.0.1:%d", port))

	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String, "run", "--config", config)
	client := &http.Client{Timeout: 5 * time.Second}
	var got []topology.Event
	vigie.waitFor(60*time.Second, "a bgp_discrepancy event for "+pfai.Name, func() bool {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/events?limit=1000", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct{ Events []topology.Event }
		if json.NewDecoder(resp.Body).Decode(&body) != nil {
			return false
		}
		got = got[:0]
		for _, e := range body.Events {
			if e.Kind == "bgp_discrepancy" {
				got = append(got, e)
			}
		}
		return len(got) > 0
	})
	want := pfai.Name + "/" + pfai.Address.Addr().String()
	if len(got) != 1 || got[0].Subject != want ||
		!strings.Contains(got[0].Detail, "reports its session with vigie (127.0.0.1) established") {
		t.Errorf("discrepancy events %+v, want one for %s saying the router reports vigie's session established", got, want)
	}
	if _, err := vigie.stop(30 * time.Second); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}
