package bgp

// Per-PFAI verdicts against real FRR routers: a PFAI stand-in whose default
// route reaches vigie only through a route reflector stand-in.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/frrtest"
	"github.com/vigie-rie/vigie/inventory"
)

// pfaiBehindReflector starts an FRR PFAI stand-in (AS 65000) announcing a
// default route and a canary to an FRR route reflector stand-in, which
// peers with vigie: over iBGP as a route-reflector client when vigieAS is
// 65000, else over eBGP (the lab's case). It returns the PFAI router and
// vigie's monitor, once vigie's session is up.
func pfaiBehindReflector(t *testing.T, vigieAS uint32) (*frrtest.Router, *harness) {
	t.Helper()
	const pfaiID = "10.255.0.21" // the PFAI's router id, its inventory address
	// The PFAI's next hop: not local (FRR drops paths whose next hop is one
	// of its own addresses, and every router here shares the namespace),
	// resolvable (a kernel route zebra learns), in no inventory address.
	const pfaiNH = "10.255.99.1"
	rrPort, pfaiPort := freeport.TCP(t), freeport.TCP(t)
	frrtest.AddAddress(t, "192.0.2.1")
	// The reflector: passive towards both, each a route-reflector client.
	rrConf := `frr defaults traditional
hostname rr
router bgp 65000
 bgp router-id 192.0.2.32
 no bgp network import-check
 no bgp ebgp-requires-policy
 neighbor 192.0.2.1 remote-as VIGIEAS
 neighbor 192.0.2.1 passive
 neighbor 192.0.2.1 timers 3 9
 neighbor 192.0.2.21 remote-as 65000
 neighbor 192.0.2.21 passive
 neighbor 192.0.2.21 timers 3 9
 address-family ipv4 unicast
  RRCLIENT
  neighbor 192.0.2.21 route-reflector-client
 exit-address-family
`
	rrConf = strings.ReplaceAll(rrConf, "VIGIEAS", fmt.Sprint(vigieAS))
	rrClient := ""
	if vigieAS == 65000 {
		rrClient = "neighbor 192.0.2.1 route-reflector-client"
	}
	rrConf = strings.ReplaceAll(rrConf, "RRCLIENT", rrClient)
	frrtest.Start(t, frrtest.Config{Name: "rr", BGPListen: "192.0.2.32", BGPPort: rrPort, BGPConf: rrConf,
		Setup: [][]string{{"ip", "route", "replace", "10.255.99.0/24", "dev", "lo"}}})
	pfaiConf := fmt.Sprintf(`frr defaults traditional
hostname pfai
router bgp 65000
 bgp router-id %s
 no bgp network import-check
 neighbor 192.0.2.32 remote-as 65000
 neighbor 192.0.2.32 port %d
 neighbor 192.0.2.32 update-source 192.0.2.21
 neighbor 192.0.2.32 timers 3 9
 address-family ipv4 unicast
  network 0.0.0.0/0
  network 198.51.100.0/24
  neighbor 192.0.2.32 route-map nh out
 exit-address-family
route-map nh permit 10
 set ip next-hop %s
`, pfaiID, rrPort, pfaiNH)
	pfai := frrtest.Start(t, frrtest.Config{Name: "pfai", BGPListen: "192.0.2.21", BGPPort: pfaiPort, BGPConf: pfaiConf})

	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop-paris", Region: "idf"}},
		Devices: []inventory.Device{
			{Name: "rr-1", Role: inventory.RoleBackbone, PoP: "pop-paris"},
			// The next hop is in no inventory address: only the
			// ORIGINATOR_ID the reflector adds names pfai-a.
			{Name: "pfai-a", Role: inventory.RolePFAI, PoP: "pop-paris", Address: netip.MustParseAddrPort(pfaiID + ":161")},
			{Name: "pfai-b", Role: inventory.RolePFAI, PoP: "pop-paris", Address: netip.MustParseAddrPort("10.255.0.22:161")},
		},
		Interconnects: []inventory.Interconnect{
			{ID: "ix-a", Kind: inventory.InterconnectInternet, Device: "pfai-a"},
			{ID: "ix-b", Kind: inventory.InterconnectInternet, Device: "pfai-b"},
		},
	}
	inv.Index()
	peer := inventory.BGPPeer{Device: "rr-1", Address: netip.MustParseAddr("192.0.2.32"), RemoteAS: 65000, Port: rrPort,
		LocalAddress: netip.MustParseAddr("192.0.2.1")}
	opts := testOptions()
	opts.RouteSettle = 5 * time.Second
	cfg := vigieConfig(peer)
	cfg.LocalAS = vigieAS
	h := startMonitor(t, cfg, inv, opts)
	h.waitEvent(t, EventPeerUp, "192.0.2.32", 20*time.Second)
	return pfai, h
}

func TestFRRPFAIDefaultThroughReflector(t *testing.T) {
	pfai, h := pfaiBehindReflector(t, vigieAS)

	pfaiRoutes := func(name string) PFAIRoutes {
		for _, pr := range h.m.PFAIRoutes() {
			if pr.Device == name {
				return pr
			}
		}
		t.Fatalf("no PFAI %s", name)
		return PFAIRoutes{}
	}
	eventually(t, 30*time.Second, "pfai-a's reflected default route and canary present, pfai-b's known absent", func() bool {
		a, b := pfaiRoutes("pfai-a"), pfaiRoutes("pfai-b")
		return a.DefaultRoute && a.Canaries[netip.MustParsePrefix("198.51.100.0/24")] && b.Known && !b.DefaultRoute
	})
	if v, ok := metric(t, h.reg, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": "pfai-a", "region": "idf"}); !ok || v != 1 {
		t.Errorf("vigie_bgp_pfai_default_route_present{pfai-a} = %v (exists %v), want 1", v, ok)
	}
	if v, ok := metric(t, h.reg, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": "pfai-b"}); !ok || v != 0 {
		t.Errorf("vigie_bgp_pfai_default_route_present{pfai-b} = %v (exists %v), want 0", v, ok)
	}
	// vigie peers with no PFAI: the per-peer metric cannot say any of this.
	if _, ok := metric(t, h.reg, "vigie_bgp_default_route_present", nil); ok {
		t.Errorf("vigie_bgp_default_route_present exists without a PFAI peer")
	}

	pfai.Configure("router bgp 65000", "address-family ipv4 unicast", "no network 0.0.0.0/0")
	e := h.waitEvent(t, EventPFAIDefaultRouteLost, "", 15*time.Second)
	if e.Device != "pfai-a" || !strings.Contains(e.Detail, "pfai-a") {
		t.Errorf("lost event %+v, want one for pfai-a that names it", e)
	}
	if v, _ := metric(t, h.reg, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": "pfai-a"}); v != 0 {
		t.Errorf("vigie_bgp_pfai_default_route_present{pfai-a} = %v after the withdraw, want 0", v)
	}
	if !pfaiRoutes("pfai-a").Canaries[netip.MustParsePrefix("198.51.100.0/24")] {
		t.Errorf("pfai-a's canary vanished with its default route; only the default was withdrawn")
	}
	pfai.Configure("router bgp 65000", "address-family ipv4 unicast", "network 0.0.0.0/0")
	h.waitEvent(t, EventPFAIDefaultRouteBack, "", 15*time.Second)
}

// TestFRRPFAIDefaultThroughEBGPReflector: the lab's case. Over eBGP the
// reflector sets itself as next hop and drops ORIGINATOR_ID, so no PFAI can
// be named: vigie says nothing per PFAI while a default route is left, and
// sees the internet cut (every PFAI absent, each reported) when none is.
func TestFRRPFAIDefaultThroughEBGPReflector(t *testing.T) {
	pfai, h := pfaiBehindReflector(t, 65099)
	eventually(t, 30*time.Second, "the default route received and the settle time over", func() bool {
		p := h.peer(t, "192.0.2.32")
		return p.DefaultRoute && time.Since(p.Since) > 6*time.Second
	})
	h.m.refreshRouting()
	for _, pr := range h.m.PFAIRoutes() {
		if pr.Known || len(pr.Canaries) != 0 {
			t.Errorf("%s: %+v, want unknown: the reflected paths cannot be attributed", pr.Device, pr)
		}
	}
	if _, ok := metric(t, h.reg, "vigie_bgp_pfai_default_route_present", nil); ok {
		t.Errorf("vigie_bgp_pfai_default_route_present exposed while no PFAI can be told apart")
	}

	pfai.Configure("router bgp 65000", "address-family ipv4 unicast", "no network 0.0.0.0/0")
	lost := map[string]bool{}
	for len(lost) < 2 {
		e := h.waitEvent(t, EventPFAIDefaultRouteLost, "", 15*time.Second)
		lost[e.Device] = true
	}
	if !lost["pfai-a"] || !lost["pfai-b"] {
		t.Errorf("lost events for %v, want pfai-a and pfai-b", lost)
	}
	for _, name := range []string{"pfai-a", "pfai-b"} {
		if v, ok := metric(t, h.reg, "vigie_bgp_pfai_default_route_present", map[string]string{"pfai": name}); !ok || v != 0 {
			t.Errorf("vigie_bgp_pfai_default_route_present{pfai=%s} = %v (exists %v) with no default route left, want 0", name, v, ok)
		}
	}
}
