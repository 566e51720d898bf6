package lab

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology/resilience"
)

// TestInventoryMatchesTopology loads each lab's vigie.yml with the real
// loader and checks that it describes the same routers, addresses, links
// and shared-risk groups as the containerlab file: what vigie predicts is
// only worth comparing with the lab if both describe one network.
func TestInventoryMatchesTopology(t *testing.T) {
	for _, dir := range []string{"mini", "rie-slice"} {
		t.Run(dir, func(t *testing.T) {
			topo, err := LoadTopology(filepath.Join(dir, dir+".clab.yml"))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := inventory.Load(filepath.Join(dir, "vigie.yml"), inventory.LoadOptions{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			find := func(a, b inventory.Endpoint) *Link {
				ea, eb := Endpoint{a.Device, a.Interface}, Endpoint{b.Device, b.Interface}
				for _, l := range topo.Links {
					if (l.A == ea && l.B == eb) || (l.A == eb && l.B == ea) {
						return l
					}
				}
				return nil
			}
			covered := map[*Link]bool{}
			for _, d := range inv.Devices {
				n := topo.Node(d.Name)
				if n == nil {
					t.Errorf("device %s is not a lab node", d.Name)
					continue
				}
				if d.Address.Addr() != n.MgmtAddr {
					t.Errorf("device %s polled at %s, but its lab mgmt address is %s", d.Name, d.Address, n.MgmtAddr)
				}
				if n.Binds[bindSnmpd] == "" {
					t.Errorf("device %s runs no snmpd in the lab", d.Name)
				}
			}
			for _, il := range inv.Links {
				l := find(il.A, il.B)
				if l == nil {
					t.Errorf("inventory link %v-%v is not in the lab", il.A, il.B)
					continue
				}
				covered[l] = true
				if !slices.Equal(il.SRLGs, l.SRLGs) {
					t.Errorf("link %s: SRLGs %v in the inventory, %v in the lab", l, il.SRLGs, l.SRLGs)
				}
			}
			for _, s := range inv.Sites {
				for _, a := range s.Access {
					l := find(inventory.Endpoint{Device: a.Router, Interface: a.RouterInterface}, inventory.Endpoint{Device: a.Device, Interface: a.Interface})
					if l == nil {
						t.Errorf("site %s: access %s:%s -> %s:%s is not in the lab", s.ID, a.Router, a.RouterInterface, a.Device, a.Interface)
						continue
					}
					covered[l] = true
					if a.ViaInternet != l.Internet {
						t.Errorf("site %s: access %s via_internet %v, but the lab link's internet flag is %v", s.ID, l, a.ViaInternet, l.Internet)
					}
					if !slices.Equal(a.SRLGs, l.SRLGs) {
						t.Errorf("site %s: access %s SRLGs %v, lab %v", s.ID, l, a.SRLGs, l.SRLGs)
					}
				}
			}
			for _, ic := range inv.Interconnects {
				var l *Link
				for _, x := range topo.Links {
					if x.Has(Endpoint{ic.Device, ic.Interface}) {
						l = x
					}
				}
				if l == nil {
					t.Errorf("interconnect %s: %s:%s has no lab link", ic.ID, ic.Device, ic.Interface)
					continue
				}
				covered[l] = true
				far := l.A.Node
				if far == ic.Device {
					far = l.B.Node
				}
				if isInternet := topo.Node(far).Role() == "internet"; isInternet != (ic.Kind == inventory.InterconnectInternet) {
					t.Errorf("interconnect %s (%s) reaches %s, whose role is %q", ic.ID, ic.Kind, far, topo.Node(far).Role())
				}
			}
			for _, l := range topo.Links {
				if !covered[l] {
					t.Errorf("lab link %s is in no link, access or interconnect of the inventory", l)
				}
			}
			for _, p := range inv.BGP.Peers {
				if n := topo.Node(p.Device); n == nil || n.MgmtAddr != p.Address {
					t.Errorf("BGP peer %s at %s is not that lab node's mgmt address", p.Device, p.Address)
				}
			}
		})
	}
}

// TestDesignedProtectionHolds analyses each lab's inventory with vigie's
// resilience engine, nothing failed: every site must have the protection
// it is declared with, or the lab's design claims more than it gives (as
// S-12 once did: "diverse" with both fibres behind one transoceanic cable).
// The mini lab has no datacentre, so no site of it has a path to judge.
func TestDesignedProtectionHolds(t *testing.T) {
	for _, dir := range []string{"rie-slice"} {
		t.Run(dir, func(t *testing.T) {
			g := labGraph(t, dir)
			r := g.Analyze(resilience.Failures{})
			for _, s := range r.Sites {
				if s.Effective != s.Designed || s.Isolated {
					t.Errorf("site %s: designed %s, effective %s with nothing failed (paths %d, SPOFs %v): fix the design in lab/internal/labgen",
						s.ID, s.Designed, s.Effective, s.Paths, s.SPOFs)
				}
			}
		})
	}
}

// TestRIESliceOverseasCables checks the overseas design with what-ifs:
// each Réunion cable alone isolates only the site that hangs on it alone
// (S-11), and S-12 needs both cables cut.
func TestRIESliceOverseasCables(t *testing.T) {
	g := labGraph(t, "rie-slice")
	for _, tc := range []struct {
		fail     []string
		isolated []string
	}{
		{[]string{"srlg:cable-safe"}, []string{"S-11"}},
		{[]string{"srlg:cable-metiss"}, nil},
		{[]string{"srlg:cable-safe", "srlg:cable-metiss"}, []string{"S-11", "S-12"}},
		{[]string{"pop:pop-reunion"}, []string{"S-11"}},
	} {
		var f resilience.Failures
		for _, x := range tc.fail {
			if err := f.Add(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Check(f); err != nil {
			t.Fatal(err)
		}
		w := g.WhatIf(resilience.Failures{}, f)
		if !slices.Equal(w.Isolated, tc.isolated) {
			t.Errorf("what-if %v isolates %v, want %v", tc.fail, w.Isolated, tc.isolated)
		}
	}
	r := g.Analyze(resilience.Failures{})
	// Its one CE caps its paths at 1 and is its only single point of
	// failure: no PoP, cable or duct is.
	if s := r.Site("S-12"); s == nil || !slices.Equal(s.SPOFs, []string{"device:s12-reunion"}) {
		t.Errorf("S-12: %+v, want its CE as its only single point of failure", s)
	}
}

func labGraph(t *testing.T, dir string) *resilience.Graph {
	t.Helper()
	inv, err := inventory.Load(filepath.Join(dir, "vigie.yml"), inventory.LoadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	g, err := resilience.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
