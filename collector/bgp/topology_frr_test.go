package bgp_test

// The monitor's site verdicts feeding a live topology, against a real FRR
// route reflector stand-in that announces, then withdraws, a site's prefix
// while the site's CE keeps answering SNMP (fake polls). An external test
// package: the topology imports this package.

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/frrtest"
	"github.com/vigie-rie/vigie/internal/promtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology"
)

func TestFRRSiteUnroutedInTopology(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 12, Seed: 3})
	site, other := inv.Sites[0], inv.Sites[1]
	ce := site.Access[0].Router
	var rr string
	for _, d := range inv.Devices {
		if d.Role == inventory.RoleBackbone && strings.HasPrefix(d.Name, "rr-") {
			rr = d.Name
			break
		}
	}
	if ce == "" || rr == "" || len(site.Prefixes) != 1 {
		t.Fatalf("generated inventory: site %s has CE %q, prefixes %v; route reflector %q", site.ID, ce, site.Prefixes, rr)
	}
	prefix := site.Prefixes[0].String()

	// The live topology, fed by the monitor's verdicts and by fake polls
	// that say the CE answers SNMP.
	reg := prometheus.NewRegistry()
	topo, err := topology.New(inv, topology.Options{Debounce: 50 * time.Millisecond, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	exp := exposition.Topology(topo)
	if err := reg.Register(exp.Collector()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	topoDone := make(chan struct{})
	go func() { _ = topo.Run(ctx); close(topoDone) }()
	t.Cleanup(func() { cancel(); <-topoDone })
	pollCE := func() {
		now := time.Now()
		topo.Apply(&snmp.Poll{Device: ce, Start: now, End: now, System: snmp.System{Name: ce, Uptime: time.Hour}})
	}
	pollCE()

	// The route reflector stand-in: FRR, passive towards vigie.
	const rrAddr = "192.0.2.33"
	port := freeport.TCP(t)
	frrtest.AddAddress(t, "192.0.2.1")
	router := frrtest.Start(t, frrtest.Config{Name: "rr-site", BGPListen: rrAddr, BGPPort: port, BGPConf: fmt.Sprintf(`frr defaults traditional
hostname rr-site
router bgp 65000
 bgp router-id %s
 no bgp network import-check
 neighbor 192.0.2.1 remote-as 65000
 neighbor 192.0.2.1 passive
 neighbor 192.0.2.1 timers 3 9
 address-family ipv4 unicast
  neighbor 192.0.2.1 route-reflector-client
  network %s
 exit-address-family
`, rrAddr, prefix)})

	opts := bgp.DefaultOptions()
	opts.ListenAddresses = []string{"127.0.0.1"}
	opts.ConnectRetry, opts.HoldTime = time.Second, 9*time.Second
	// FRR sends End-of-RIB only to peers that advertise graceful restart,
	// which vigie does not: absence is trusted after the settle time.
	opts.RouteSettle = 3 * time.Second
	opts.OnRouting = topo.RecordRouting
	cfg := inventory.BGP{LocalAS: 65000, RouterID: netip.MustParseAddr("192.0.2.100"), Peers: []inventory.BGPPeer{{
		Device: rr, Address: netip.MustParseAddr(rrAddr), RemoteAS: 65000, Port: port,
		LocalAddress: netip.MustParseAddr("192.0.2.1")}}}
	opts.Registerer = reg
	m, err := bgp.New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithCancel(context.Background())
	monDone := make(chan struct{})
	go func() { _ = m.Run(mctx); close(monDone) }()
	t.Cleanup(func() { mcancel(); <-monDone })

	analysis := func() *topology.Analysis {
		t.Helper()
		pollCE()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := topo.Sync(sctx); err != nil {
			t.Fatal(err)
		}
		return topo.Analysis()
	}
	until := func(timeout time.Duration, what string, cond func(a *topology.Analysis) bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !cond(analysis()) {
			if time.Now().After(deadline) {
				a := analysis()
				t.Fatalf("%s: not true within %s (%s: %+v; %s: %+v)", what, timeout, site.ID, *a.Site(site.ID), other.ID, *a.Site(other.ID))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until(20*time.Second, site.ID+" routed, "+other.ID+" (whose prefix FRR never sent) unrouted after the settle time", func(a *topology.Analysis) bool {
		return a.Site(site.ID).Routing == "routed" && a.Site(other.ID).Routing == "unrouted"
	})

	router.Configure("router bgp 65000", "address-family ipv4 unicast", "no network "+prefix)
	start := time.Now()
	until(10*time.Second, site.ID+" unrouted and isolated while its CE answers SNMP", func(a *topology.Analysis) bool {
		s := a.Site(site.ID)
		return s.Routing == "unrouted" && s.Isolated && s.CauseKind == topology.CauseKindRouting
	})
	t.Logf("%s unrouted and isolated in the topology %s after FRR withdrew %s", site.ID, time.Since(start).Round(time.Millisecond), prefix)
	// What /metrics serves: the registry and the topology's text families.
	served := prometheus.Gatherers{reg, promtest.Text(exp)}
	if v := gauge(t, served, "vigie_topology_site_disagreements", map[string]string{"kind": topology.DisagreeUnroutedCEReachable}); v != 1 {
		t.Errorf("vigie_topology_site_disagreements{kind=unrouted_ce_reachable} = %v, want 1 (%s, whose CE answers)", v, site.ID)
	}
	if v := gauge(t, served, "vigie_site_isolated", map[string]string{"site": site.ID}); v != 1 {
		t.Errorf("vigie_site_isolated{site=%s} = %v, want 1", site.ID, v)
	}
	if v := gauge(t, served, "vigie_site_routed", map[string]string{"site": site.ID}); v != 0 {
		t.Errorf("vigie_site_routed{site=%s} = %v, want 0", site.ID, v)
	}
	var seen []string
	for _, e := range topo.Events(time.Time{}, 10000) {
		if e.Subject == site.ID {
			seen = append(seen, string(e.Kind)+":"+e.To)
		}
	}
	for _, want := range []string{"site_routing:unrouted", "disagreement:unrouted_ce_reachable", "site_state:isolated"} {
		if !slices.Contains(seen, want) {
			t.Errorf("events about %s: %v, want %s among them", site.ID, seen, want)
		}
	}

	router.Configure("router bgp 65000", "address-family ipv4 unicast", "network "+prefix)
	until(10*time.Second, site.ID+" routed again, no longer isolated", func(a *topology.Analysis) bool {
		s := a.Site(site.ID)
		return s.Routing == "routed" && !s.Isolated
	})
}

// gauge reads one series, -1 when absent.
func gauge(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func matches(m *dto.Metric, labels map[string]string) bool {
	have := map[string]string{}
	for _, lp := range m.GetLabel() {
		have[lp.GetName()] = lp.GetValue()
	}
	for k, v := range labels {
		if have[k] != v {
			return false
		}
	}
	return true
}
