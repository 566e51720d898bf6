package bgpsim

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestFollowCuts drives the speakers from the SNMP simulator's cuts and
// power switches, and checks what vigie's real route monitor receives.
func TestFollowCuts(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 150, Seed: 7})
	agent, err := snmpagent.New(inv, snmpagent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := startFleet(t, inv)
	if ch := agent.SetRouting(f); ch != (snmpagent.RoutingChange{}) {
		t.Errorf("attaching to a healthy network changed %+v", ch)
	}
	m := startMonitor(t, f.Config(65010, netip.MustParseAddr("127.0.0.1")), inv)
	eventually(t, "every session established", func() string { return allEstablished(m) })
	eventually(t, "every site routed twice", func() string { return sitePaths(m, inv, 2, nil) })

	// Sites whose every access rides the internet, from the inventory.
	cutOff := map[string]int{}
	for _, s := range inv.Sites {
		all := true
		for _, a := range s.Access {
			all = all && a.ViaInternet
		}
		if all {
			cutOff[s.ID] = 0
		}
	}
	if len(cutOff) == 0 {
		t.Fatal("no site rides the internet alone")
	}
	// A site withdrawn by hand before the cut stays withdrawn after the restore.
	byHand := inv.Sites[0].ID
	if _, ok := cutOff[byHand]; ok {
		t.Fatalf("site %s rides the internet alone; pick another", byHand)
	}
	if err := f.WithdrawSite(byHand, true); err != nil {
		t.Fatal(err)
	}
	cutOff[byHand] = 0

	rep, err := agent.Cut("internet")
	if err != nil {
		t.Fatal(err)
	}
	want := snmpagent.RouteCount{DefaultRoutes: 2, Canaries: 2 * len(DefaultCanaries), SitePaths: 2 * (len(cutOff) - 1), Sites: len(cutOff) - 1}
	if rep.Routes.Withdrawn != want || rep.Routes.Announced != (snmpagent.RouteCount{}) {
		t.Errorf("internet cut: routes %+v, want withdrawn %+v", rep.Routes, want)
	}
	internet := func(want bool) func() string {
		return func() string {
			for _, p := range m.Peers() {
				if p.Role != string(inventory.RolePFAI) {
					continue
				}
				if p.DefaultRoute != want {
					return fmt.Sprintf("%s: default route %v, want %v", p.Device, p.DefaultRoute, want)
				}
				for c, ok := range p.Canaries {
					if ok != want {
						return fmt.Sprintf("%s: canary %s %v, want %v", p.Device, c, ok, want)
					}
				}
			}
			return ""
		}
	}
	eventually(t, "no default route, no canary", internet(false))
	eventually(t, "the sites riding the internet alone unrouted", func() string { return sitePaths(m, inv, 2, cutOff) })

	back, err := agent.Restore("internet")
	if err != nil {
		t.Fatal(err)
	}
	if back.Routes.Announced != want {
		t.Errorf("restore: routes %+v, want announced %+v", back.Routes, want)
	}
	eventually(t, "default routes and canaries back", internet(true))
	eventually(t, "every site routed again but the one withdrawn by hand", func() string {
		return sitePaths(m, inv, 2, map[string]int{byHand: 0})
	})

	// A route reflector powered off: its speaker stops, the sites keep the
	// other reflector's path; on again, it listens and vigie reconnects.
	if err := agent.SetPower("rr-1", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rr-1 down", func() string {
		if p := peerByDevice(m, "rr-1"); p.Established {
			return "rr-1 still established"
		}
		return ""
	})
	for _, s := range f.Speakers() {
		if s.Device == "rr-1" && (s.Listening || !s.PoweredOff) {
			t.Errorf("rr-1 powered off: %+v", s)
		}
	}
	if err := f.Start("rr-1"); err == nil {
		t.Error("Start of a powered-off speaker succeeded")
	}
	if err := agent.SetPower("rr-1", true); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Speakers() {
		if s.Device == "rr-1" && (!s.Listening || s.PoweredOff) {
			t.Errorf("rr-1 powered on: %+v", s)
		}
	}
}

// BenchmarkCutInternet14000 is one internet cut and its restore on the
// full RIE, with the BGP speakers following (no session open): the cost of
// a control call, most of it the reachability walk from each reflector.
func BenchmarkCutInternet14000(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 1})
	agent, err := snmpagent.New(inv, snmpagent.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(inv, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	agent.SetRouting(f)
	b.ResetTimer()
	for b.Loop() {
		cut, err := agent.Cut("internet")
		if err != nil || cut.Routes.Withdrawn.Sites == 0 {
			b.Fatalf("%+v, %v", cut, err)
		}
		if _, err := agent.Restore("internet"); err != nil {
			b.Fatal(err)
		}
	}
}
