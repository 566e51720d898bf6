package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/demo"
	"github.com/vigie-rie/vigie/internal/demotest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology"
)

func site(d *demo.Demo, id string) *topology.SiteResult {
	return d.Daemon.Topology().Analysis().Site(id)
}

func TestDemoEndToEnd(t *testing.T) {
	const interval = time.Second
	d, _ := demotest.Start(t, demo.Options{Sites: 120, Seed: 7, Interval: interval})
	inv := d.Inventory
	n := float64(len(inv.Devices))

	demotest.Eventually(t, 30*time.Second, "every simulated device polled up", func() bool {
		v, _ := demotest.Gauge(t, d, "vigie_collector_devices", map[string]string{"state": "up"})
		return v == n
	})
	if err := d.Daemon.Topology().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	demotest.Eventually(t, 10*time.Second, "an analysis with every site nominal", func() bool {
		a := d.Daemon.Topology().Analysis()
		if a == nil {
			return false
		}
		for _, s := range a.Sites {
			if s.State != "nominal" {
				return false
			}
		}
		return true
	})

	// After more LLDP polls than the miss limit, the simulated LLDP tables
	// and the inventory agree: tunnelled accesses are not expected in LLDP.
	time.Sleep(5 * interval)
	for _, kind := range []string{"declared_not_seen", "undeclared_neighbor", "wrong_neighbor"} {
		if v, _ := demotest.Gauge(t, d, "vigie_topology_disagreements", map[string]string{"kind": kind}); v != 0 {
			t.Errorf("vigie_topology_disagreements{kind=%q} = %v on a healthy simulated RIE, want 0", kind, v)
		}
	}

	// A dual-homed site loses one access: degraded, not isolated.
	var dual *inventory.Site
	for i := range inv.Sites {
		s := &inv.Sites[i]
		if s.Protection >= inventory.ProtectionDual && len(s.Access) == 2 && !s.Access[0].ViaInternet {
			dual = s
			break
		}
	}
	if dual == nil {
		t.Fatal("the simulated RIE has no dual-fibre site")
	}
	acc := dual.Access[0]
	if err := d.Agent.SetLink(acc.Device, acc.Interface, false); err != nil {
		t.Fatal(err)
	}
	// Within one poll cycle (plus the debounce of the analysis).
	demotest.Eventually(t, 3*interval+2*time.Second, "site "+dual.ID+" degraded after its access went down", func() bool {
		s := site(d, dual.ID)
		return s != nil && s.State == "degraded" && s.Effective < s.Designed
	})
	eff, ok := demotest.Gauge(t, d, "vigie_site_protection_effective", map[string]string{"site": dual.ID})
	des, _ := demotest.Gauge(t, d, "vigie_site_protection_designed", map[string]string{"site": dual.ID})
	if !ok || eff >= des {
		t.Errorf("metrics of %s: effective %v designed %v, want effective < designed", dual.ID, eff, des)
	}
	if iso, _ := demotest.Gauge(t, d, "vigie_site_isolated", map[string]string{"site": dual.ID}); iso != 0 {
		t.Errorf("%s isolated with one of two accesses up", dual.ID)
	}
	if err := d.Agent.SetLink(acc.Device, acc.Interface, true); err != nil {
		t.Fatal(err)
	}
	demotest.Eventually(t, 3*interval+2*time.Second, "site "+dual.ID+" nominal after restore", func() bool {
		s := site(d, dual.ID)
		return s != nil && s.State == "nominal"
	})

	// An aggregation router stops answering: the sites whose every access
	// lands on it are isolated, with that router as their one cause.
	landings := map[string][]string{} // device -> sites with every access on it
	for _, s := range inv.Sites {
		only := s.Access[0].Device
		for _, a := range s.Access {
			if a.Device != only {
				only = ""
			}
		}
		if only != "" && inv.Device(only).PoP != "" {
			landings[only] = append(landings[only], s.ID)
		}
	}
	var agg string
	for dev, sites := range landings {
		if agg == "" || len(sites) > len(landings[agg]) || (len(sites) == len(landings[agg]) && dev < agg) {
			agg = dev
		}
	}
	if agg == "" {
		t.Fatal("no aggregation router carries a single-homed site")
	}
	if err := d.Agent.SetFaults(agg, snmpagent.Faults{Timeout: true}); err != nil {
		t.Fatal(err)
	}
	victims := landings[agg]
	demotest.Eventually(t, 15*time.Second, agg+" down isolates its single-homed sites", func() bool {
		for _, id := range victims {
			if s := site(d, id); s == nil || !s.Isolated {
				return false
			}
		}
		return true
	})
	for _, id := range victims {
		s := site(d, id)
		if s.CauseKind != "device" || s.Cause != agg {
			t.Errorf("site %s isolated with cause %s %q, want device %q", id, s.CauseKind, s.Cause, agg)
		}
		if v, ok := demotest.Gauge(t, d, "vigie_site_isolation_cause", map[string]string{"site": id, "cause": agg}); !ok || v != 1 {
			t.Errorf("vigie_site_isolation_cause{site=%q, cause=%q} = %v, %v; want 1", id, agg, v, ok)
		}
	}

	// The same, through HTTP.
	srv := httptest.NewServer(d.Daemon.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `vigie_site_isolated{overseas="false",region="`; !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	resp, err = srv.Client().Get(srv.URL + "/api/v1/sites/" + victims[0])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("/api/v1/sites/%s: %v", victims[0], err)
	}
	resp.Body.Close()
	if !strings.Contains(strings.ToLower(toJSON(got)), `"isolated":true`) {
		t.Errorf("/api/v1/sites/%s = %s, want isolated", victims[0], toJSON(got))
	}
	// The simulator's controls answer under /sim/ on vigie's own port.
	resp, err = srv.Client().Get(srv.URL + "/sim/faults")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), agg) {
		t.Errorf("GET /sim/faults = %d %s, want 200 listing %s", resp.StatusCode, body, agg)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
