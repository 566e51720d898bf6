package sim

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(GenerateOptions{Seed: 42, Sites: 2000})
	b := Generate(GenerateOptions{Seed: 42, Sites: 2000})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two inventories generated from the same seed differ")
	}
	if fmt.Sprintf("%+v", a.Sites) != fmt.Sprintf("%+v", b.Sites) {
		t.Fatal("printed sites differ for the same seed")
	}
	c := Generate(GenerateOptions{Seed: 43, Sites: 2000})
	if reflect.DeepEqual(a.Sites, c.Sites) {
		t.Fatal("seeds 42 and 43 gave the same sites: the seed is not used")
	}
}

func TestGenerateShape(t *testing.T) {
	inv := Generate(GenerateOptions{Seed: 1})
	checkReferences(t, inv)

	roles := map[inventory.Role]int{}
	for _, d := range inv.Devices {
		roles[d.Role]++
	}
	t.Logf("devices %d, sites %d, links %d, roles %v", len(inv.Devices), len(inv.Sites), len(inv.Links), roles)
	if len(inv.Sites) != DefaultSites {
		t.Errorf("sites = %d, want %d", len(inv.Sites), DefaultSites)
	}
	if n := len(inv.Devices); n < 19000 || n > 21500 {
		t.Errorf("devices = %d, want about 20,000", n)
	}
	if n := roles[inventory.RoleBackbone]; n < 12+2+4 || n > 20+2+4 {
		t.Errorf("backbone devices = %d, want 12-20 routers + 2 RRs + 4 DC routers", n)
	}
	if roles[inventory.RolePFS] != 2 {
		t.Errorf("pfs devices = %d, want 2", roles[inventory.RolePFS])
	}

	prot := map[inventory.Protection]int{}
	ces, overseas, via := 0, 0, 0
	for _, s := range inv.Sites {
		prot[s.Protection]++
		if s.Overseas {
			overseas++
		}
		routers := map[string]bool{}
		for _, a := range s.Access {
			routers[a.Router] = true
			if a.ViaInternet {
				via++
			}
		}
		ces += len(routers)
	}
	n := float64(len(inv.Sites))
	for _, c := range []struct {
		p    inventory.Protection
		want float64
	}{
		{inventory.ProtectionSingle, shareSingle}, {inventory.ProtectionBackup, shareBackup},
		{inventory.ProtectionDual, shareDual}, {inventory.ProtectionDiverse, shareDiverse},
	} {
		if got := float64(prot[c.p]) / n; math.Abs(got-c.want) > 0.02 {
			t.Errorf("share of %v sites = %.3f, want %.2f", c.p, got, c.want)
		}
	}
	if got := float64(ces) / n; got < 1.3 || got > 1.5 {
		t.Errorf("CEs per site = %.2f, want about 1.4", got)
	}
	if got := float64(overseas) / n; got < 0.025 || got > 0.035 {
		t.Errorf("overseas share = %.3f, want about 0.03", got)
	}
	if via == 0 {
		t.Error("no access rides the internet")
	}
	kinds := map[inventory.InterconnectKind]int{}
	for _, ic := range inv.Interconnects {
		kinds[ic.Kind]++
	}
	if kinds[inventory.InterconnectInternet] != 2 || kinds[inventory.InterconnectTESTA] == 0 ||
		kinds[inventory.InterconnectRENATER] == 0 || kinds[inventory.InterconnectPartner] != 2 {
		t.Errorf("interconnects by kind = %v", kinds)
	}
}

// checkReferences asserts that every name the inventory mentions resolves,
// that addresses and interfaces are unique, and that SRLGs follow the
// protection the site was designed for.
func checkReferences(t *testing.T, inv *inventory.Inventory) {
	t.Helper()
	addrs := map[[4]byte]string{}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if inv.Device(d.Name) != d {
			t.Fatalf("device %q is not unique", d.Name)
		}
		a := d.Address.Addr().As4()
		if a[0] != 127 || a[1] == 0 {
			t.Fatalf("device %q: address %v outside 127/8 minus 127.0/16", d.Name, d.Address)
		}
		if prev, ok := addrs[a]; ok {
			t.Fatalf("devices %q and %q share address %v", prev, d.Name, d.Address)
		}
		addrs[a] = d.Name
		if inv.Profile(d.Profile) == nil {
			t.Fatalf("device %q: unknown profile %q", d.Name, d.Profile)
		}
		where := 0
		if d.Site != "" {
			where++
			if inv.Site(d.Site) == nil {
				t.Fatalf("device %q: unknown site %q", d.Name, d.Site)
			}
		}
		if d.PoP != "" {
			where++
			if inv.PoP(d.PoP) == nil {
				t.Fatalf("device %q: unknown PoP %q", d.Name, d.PoP)
			}
		}
		if d.Datacentre != "" {
			where++
			if inv.Datacentre(d.Datacentre) == nil {
				t.Fatalf("device %q: unknown datacentre %q", d.Name, d.Datacentre)
			}
		}
		if where != 1 {
			t.Fatalf("device %q stands in %d places", d.Name, where)
		}
		if inv.DeviceRegion(d) == "" {
			t.Fatalf("device %q has no region", d.Name)
		}
	}
	ifaces := map[[2]string]bool{}
	useIface := func(dev, ifname string) {
		t.Helper()
		if inv.Device(dev) == nil {
			t.Fatalf("unknown device %q", dev)
		}
		if ifname == "" {
			t.Fatalf("device %q: empty interface name", dev)
		}
		k := [2]string{dev, ifname}
		if ifaces[k] {
			t.Fatalf("device %q: interface %q used twice", dev, ifname)
		}
		ifaces[k] = true
	}
	for _, s := range inv.Sites {
		if inv.Region(s.Region) == nil {
			t.Fatalf("site %q: unknown region %q", s.ID, s.Region)
		}
		if len(s.Prefixes) != 1 || s.Prefixes[0].Bits() != 24 {
			t.Fatalf("site %q: prefixes %v, want one /24", s.ID, s.Prefixes)
		}
		for _, a := range s.Access {
			useIface(a.Router, a.RouterInterface)
			useIface(a.Device, a.Interface)
			if inv.Device(a.Router).Site != s.ID {
				t.Fatalf("site %q: access router %q belongs to site %q", s.ID, a.Router, inv.Device(a.Router).Site)
			}
			if inv.Device(a.Device).Site != "" {
				t.Fatalf("site %q: access lands on another site's router %q", s.ID, a.Device)
			}
		}
		want := map[inventory.Protection]int{inventory.ProtectionSingle: 1, inventory.ProtectionBackup: 2,
			inventory.ProtectionDual: 2, inventory.ProtectionDiverse: 2}[s.Protection]
		if len(s.Access) != want {
			t.Fatalf("site %q (%v): %d accesses, want %d", s.ID, s.Protection, len(s.Access), want)
		}
		if s.Protection == inventory.ProtectionDiverse {
			for _, x := range s.Access[0].SRLGs {
				for _, y := range s.Access[1].SRLGs {
					if x == y {
						t.Fatalf("diverse site %q: both accesses in SRLG %q", s.ID, x)
					}
				}
			}
			if s.Access[0].Device == s.Access[1].Device {
				t.Fatalf("diverse site %q: both accesses on %q", s.ID, s.Access[0].Device)
			}
		}
	}
	for _, l := range inv.Links {
		useIface(l.A.Device, l.A.Interface)
		useIface(l.B.Device, l.B.Interface)
		if len(l.SRLGs) == 0 {
			t.Fatalf("link %v-%v has no SRLG", l.A, l.B)
		}
	}
	for _, ic := range inv.Interconnects {
		useIface(ic.Device, ic.Interface)
	}
	for _, p := range inv.PoPs {
		if inv.Region(p.Region) == nil {
			t.Fatalf("PoP %q: unknown region %q", p.ID, p.Region)
		}
	}
}

// TestBackboneHasNoBridge removes each link between infrastructure devices
// in turn and checks, with a plain DFS, that every infrastructure device is
// still reached from the first backbone router; overseas PoPs are left out
// (a single transoceanic cable is a bridge by design).
func TestBackboneHasNoBridge(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		for _, sites := range []int{300, DefaultSites} {
			inv := Generate(GenerateOptions{Seed: seed, Sites: sites})
			core := map[string]bool{}
			for _, d := range inv.Devices {
				if d.Role != inventory.RoleCollection {
					core[d.Name] = true
				}
			}
			var edges [][2]string
			for _, l := range inv.Links {
				if core[l.A.Device] && core[l.B.Device] {
					edges = append(edges, [2]string{l.A.Device, l.B.Device})
				}
			}
			for skip := range edges {
				adj := map[string][]string{}
				for i, e := range edges {
					if i != skip {
						adj[e[0]] = append(adj[e[0]], e[1])
						adj[e[1]] = append(adj[e[1]], e[0])
					}
				}
				seen := map[string]bool{}
				stack := []string{inv.Devices[0].Name}
				for len(stack) > 0 {
					n := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					if seen[n] {
						continue
					}
					seen[n] = true
					stack = append(stack, adj[n]...)
				}
				if len(seen) != len(core) {
					t.Fatalf("seed %d, %d sites: link %v is a bridge of the backbone", seed, sites, edges[skip])
				}
			}
		}
	}
}

// TestPoPsDualHomed checks that every mainland aggregation PoP reaches two
// different backbone routers and every overseas PoP one or two over
// transoceanic links.
func TestPoPsDualHomed(t *testing.T) {
	inv := Generate(GenerateOptions{Seed: 7})
	up := map[string]map[string]bool{}
	cables := map[string]int{}
	for _, l := range inv.Links {
		a, b := inv.Device(l.A.Device), inv.Device(l.B.Device)
		if a.Role == inventory.RoleCollection && b.Role == inventory.RoleBackbone {
			if up[a.PoP] == nil {
				up[a.PoP] = map[string]bool{}
			}
			up[a.PoP][b.Name] = true
			if l.Technology == inventory.TechTransoceanic {
				cables[a.PoP]++
			}
		}
	}
	for _, p := range inv.PoPs {
		if p.ID[:7] == "pop-bb-" {
			continue
		}
		overseas := inv.Region(p.Region).Overseas
		switch {
		case overseas && (cables[p.ID] < 1 || cables[p.ID] > 2):
			t.Errorf("overseas PoP %q has %d transoceanic links", p.ID, cables[p.ID])
		case !overseas && len(up[p.ID]) != 2:
			t.Errorf("PoP %q reaches %d backbone routers, want 2", p.ID, len(up[p.ID]))
		}
	}
}

func TestGenerateSmall(t *testing.T) {
	for _, sites := range []int{1, 10, 50} {
		inv := Generate(GenerateOptions{Seed: 1, Sites: sites})
		if len(inv.Sites) != sites {
			t.Errorf("%d sites asked, %d generated", sites, len(inv.Sites))
		}
		checkReferences(t, inv)
	}
}

func TestV3Fraction(t *testing.T) {
	for _, c := range []struct {
		frac       float64
		low, high  float64
		coreIsV3   bool
		wantAnyV2c bool
	}{
		{0, 0.05, 0.15, true, true},
		{-1, 0, 0, true, true},
		{1, 1, 1, true, false},
	} {
		inv := Generate(GenerateOptions{Seed: 3, Sites: 3000, V3Fraction: c.frac})
		var coll, v3 int
		for _, d := range inv.Devices {
			if d.Role != inventory.RoleCollection {
				if d.Profile != ProfileV3 {
					t.Errorf("V3Fraction %v: %s device %q uses %q", c.frac, d.Role, d.Name, d.Profile)
				}
				continue
			}
			coll++
			if d.Profile == ProfileV3 {
				v3++
			}
		}
		if got := float64(v3) / float64(coll); got < c.low || got > c.high {
			t.Errorf("V3Fraction %v: %.3f of collection devices on v3, want [%v, %v]", c.frac, got, c.low, c.high)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		inv := Generate(GenerateOptions{Seed: 1})
		if len(inv.Devices) == 0 {
			b.Fatal("empty inventory")
		}
	}
}

func TestSetPort(t *testing.T) {
	inv := Generate(GenerateOptions{Sites: 20})
	SetPort(inv, 40000)
	for _, d := range inv.Devices {
		if d.Address.Port() != 40000 || !d.Address.Addr().Is4() {
			t.Fatalf("device %q at %v after SetPort(40000)", d.Name, d.Address)
		}
	}
}
