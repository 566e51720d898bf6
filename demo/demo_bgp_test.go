package demo_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/demo"
	"github.com/vigie-rie/vigie/internal/demotest"
	"github.com/vigie-rie/vigie/inventory"
)

// TestDemoBGP runs a demo with its simulated BGP speakers and checks, on
// vigie's own /metrics registry, what the BGP panels and alerts read.
func TestDemoBGP(t *testing.T) {
	d, _ := demotest.Start(t, demo.Options{Sites: 120, Seed: 7, Interval: time.Second, BGP: true})
	if d.BGP == nil || len(d.Inventory.BGP.Peers) == 0 {
		t.Fatal("a demo with BGP has no simulated speakers or no bgp: peers")
	}
	var edges []string
	for _, p := range d.Inventory.BGP.Peers {
		if dev := d.Inventory.Device(p.Device); dev != nil && dev.Role == inventory.RolePFAI {
			edges = append(edges, p.Device)
		}
	}
	if len(edges) != 2 {
		t.Fatalf("peers with internet edges %v, want 2", edges)
	}

	demotest.Eventually(t, 20*time.Second, "vigie_bgp_session_up == 1 for every peer", func() bool {
		for _, p := range d.Inventory.BGP.Peers {
			if v, ok := demotest.Gauge(t, d, "vigie_bgp_session_up", map[string]string{"device": p.Device}); !ok || v != 1 {
				return false
			}
		}
		return true
	})
	demotest.Eventually(t, 10*time.Second, "a default route from every internet edge, every site prefix routed", func() bool {
		for _, e := range edges {
			if v, _ := demotest.Gauge(t, d, "vigie_bgp_default_route_present", map[string]string{"device": e}); v != 1 {
				return false
			}
		}
		for _, s := range d.Inventory.Sites {
			if v, _ := demotest.Gauge(t, d, "vigie_bgp_site_prefix_paths", map[string]string{"site": s.ID}); v < 1 {
				return false
			}
		}
		v, ok := demotest.Gauge(t, d, "vigie_bgp_sites_without_prefix", nil)
		return ok && v == 0
	})
	// The monitor's verdicts reach the topology: every site routed there,
	// and each internet edge's default route known per PFAI.
	demotest.Eventually(t, 10*time.Second, "every site routed in the topology, each edge's default route present per PFAI", func() bool {
		for _, e := range edges {
			if v, _ := demotest.Gauge(t, d, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": e}); v != 1 {
				return false
			}
		}
		v, _ := demotest.Gauge(t, d, "vigie_sites_routing", map[string]string{"state": "routed"})
		return int(v) == len(d.Inventory.Sites)
	})

	// Through the fleet's control endpoint. (The daemon mounts it under
	// /sim/bgp/ in Options.Extra, but package web routes only /api/v1/ to
	// that mux: /sim/ is not reachable through d.Daemon.Handler() yet.)
	srv := httptest.NewServer(d.BGP.Handler())
	defer srv.Close()
	post := func(path string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
	}
	post("/default/" + edges[0] + "?state=withdrawn")
	demotest.Eventually(t, 10*time.Second, "the withdrawn default route at 0, the other edge's at 1", func() bool {
		v0, _ := demotest.Gauge(t, d, "vigie_bgp_default_route_present", map[string]string{"device": edges[0]})
		v1, _ := demotest.Gauge(t, d, "vigie_bgp_default_route_present", map[string]string{"device": edges[1]})
		p0, _ := demotest.Gauge(t, d, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": edges[0]})
		p1, _ := demotest.Gauge(t, d, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": edges[1]})
		return v0 == 0 && v1 == 1 && p0 == 0 && p1 == 1
	})
	site := d.Inventory.Sites[3].ID
	post("/site/" + site + "?state=withdrawn")
	demotest.Eventually(t, 10*time.Second, "the withdrawn site's prefix at 0 paths", func() bool {
		v, _ := demotest.Gauge(t, d, "vigie_bgp_site_prefix_paths", map[string]string{"site": site})
		n, _ := demotest.Gauge(t, d, "vigie_bgp_sites_without_prefix", nil)
		return v == 0 && n == 1
	})
	// VRFs by name; a partner's prefix withdrawn turns its interconnect
	// down, with the reason, while its attachment stays up.
	if v, ok := demotest.Gauge(t, d, "vigie_bgp_received_prefixes", map[string]string{"device": "pfs-1", "vrf": "testa"}); !ok || v != 1 {
		t.Errorf(`vigie_bgp_received_prefixes{device="pfs-1",vrf="testa"} = %v (present %t), want 1`, v, ok)
	}
	post("/interconnect/partner-caisse?state=withdrawn")
	demotest.Eventually(t, 20*time.Second, "partner-caisse down for its missing prefix", func() bool {
		up, _ := demotest.Gauge(t, d, "vigie_interconnect_up", map[string]string{"interconnect": "partner-caisse"})
		why, _ := demotest.Gauge(t, d, "vigie_interconnect_down_reason", map[string]string{"interconnect": "partner-caisse", "reason": "prefixes_missing"})
		return up == 0 && why == 1
	})
	post("/default/" + edges[0] + "?state=announced")
	demotest.Eventually(t, 10*time.Second, "the default route back", func() bool {
		v, _ := demotest.Gauge(t, d, "vigie_bgp_default_route_present", map[string]string{"device": edges[0]})
		return v == 1
	})
}
