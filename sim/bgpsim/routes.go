package bgpsim

// routes.go decides what each simulated router announces, from the
// inventory alone, so that the same inventory always gives the same RIB.

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// Kind says which part of the RIE a speaker stands in for, and so what it
// announces.
type Kind string

// Speaker kinds.
const (
	// KindReflector is a backbone route reflector: every site's prefixes.
	KindReflector Kind = "route-reflector"
	// KindInternetEdge is a PFAI edge router: the default route and canaries.
	KindInternetEdge Kind = "internet-edge"
	// KindServices is a PFS router: its interconnects' VRF routes.
	KindServices Kind = "services"
)

// Documentation and benchmarking ranges only (RFC 5737, RFC 2544, RFC
// 5398): the simulated internet and partners never name a real network,
// even though nothing leaves the process's loopback sessions.
var (
	defaultRoute = netip.MustParsePrefix("0.0.0.0/0")
	// DefaultCanaries are the internet prefixes every internet edge
	// announces beside its default route (TEST-NET-1 and TEST-NET-2).
	DefaultCanaries = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
	}
)

const (
	// docAS is the first documentation AS (RFC 5398): the simulated
	// internet transits are docAS+i, and every internet route originates
	// in lastDocAS.
	docAS     = 64496
	lastDocAS = 64511
	// labelBase is the first MPLS label of the VRF routes.
	labelBase = 1000
	// maxVRFs bounds the VRFs numbered into 198.18.0.0/15 (one /24 each).
	maxVRFs = 512
)

// route is one path a speaker announces.
type route struct {
	prefix  netip.Prefix
	nextHop netip.Addr
	// vrf is the VRF number (route distinguisher RIEAS:vrf), 0 for the
	// global table.
	vrf uint32
	// asPath is the path beyond the RIE (internet routes only).
	asPath []uint32
	// site is the index of the site the prefix belongs to, -1 if none.
	site int
	// isDefault marks the default route, which WithdrawDefault controls.
	isDefault bool
}

// speakerKind returns what device d stands in for, or "" when vigie does
// not peer with it.
func speakerKind(d *inventory.Device, internet map[string]bool) Kind {
	switch {
	case strings.HasPrefix(d.Name, "rr-"):
		return KindReflector
	case d.Role == inventory.RolePFAI && internet[d.Name]:
		return KindInternetEdge
	case d.Role == inventory.RolePFS:
		return KindServices
	}
	return ""
}

// derivedAddr maps a 127.a.b.c management address to 100.64+a%64.b.c in
// the shared address space (RFC 6598): a next hop that names the router
// without being a loopback address, which BGP speakers refuse as a next hop.
func derivedAddr(a netip.Addr) netip.Addr {
	b := a.As4()
	return netip.AddrFrom4([4]byte{100, 64 | b[1]&63, b[2], b[3]})
}

// vrfNumbers numbers the inventory's VRFs: by their route distinguisher
// RIEAS:n when the inventory declares them (vrfs:, as sim.Generate does),
// else from 1 in name order, so that one VRF has one route distinguisher
// on every PFS router.
func vrfNumbers(inv *inventory.Inventory) map[string]uint32 {
	out := map[string]uint32{}
	for _, v := range inv.VRFs {
		for _, rd := range v.RDs {
			if n := rd & 0xffffffff; rd>>32 == rieAS && n >= 1 && n <= maxVRFs {
				out[v.Name] = uint32(n)
				break
			}
		}
	}
	var names []string
	for _, ic := range inv.Interconnects {
		if _, numbered := out[ic.VRF]; ic.VRF != "" && !numbered && !slices.Contains(names, ic.VRF) {
			names = append(names, ic.VRF)
		}
	}
	slices.Sort(names)
	used := map[uint32]bool{}
	for _, n := range out {
		used[n] = true
	}
	next := uint32(1)
	for _, n := range names {
		for used[next] {
			next++
		}
		if next > maxVRFs {
			break
		}
		out[n], used[next] = next, true
	}
	return out
}

// vrfPrefix is the prefix a VRF's partner network is simulated with.
func vrfPrefix(vrf uint32) netip.Prefix { return sim.PartnerPrefix(vrf) }

// routesFor computes what the speaker for device d announces.
func routesFor(inv *inventory.Inventory, d *inventory.Device, kind Kind, edge int, vrfs map[string]uint32) []route {
	self := derivedAddr(d.Address.Addr())
	switch kind {
	case KindReflector:
		out := make([]route, 0, len(inv.Sites))
		for i := range inv.Sites {
			s := &inv.Sites[i]
			nh := self
			if len(s.Access) > 0 {
				if agg := inv.Device(s.Access[0].Device); agg != nil && agg.Address.Addr().Is4() {
					nh = derivedAddr(agg.Address.Addr())
				}
			}
			for _, p := range s.Prefixes {
				if p.Addr().Is4() {
					out = append(out, route{prefix: p.Masked(), nextHop: nh, site: i})
				}
			}
		}
		return out
	case KindInternetEdge:
		path := []uint32{docAS + uint32(edge%15), lastDocAS}
		out := []route{{prefix: defaultRoute, nextHop: self, asPath: path, site: -1, isDefault: true}}
		for _, c := range DefaultCanaries {
			out = append(out, route{prefix: c, nextHop: self, asPath: path, site: -1})
		}
		return out
	case KindServices:
		var out []route
		for _, ic := range inv.Interconnects {
			if ic.Device != d.Name || ic.VRF == "" {
				continue
			}
			v, ok := vrfs[ic.VRF]
			if !ok || slices.ContainsFunc(out, func(r route) bool { return r.vrf == v }) {
				continue
			}
			out = append(out, route{prefix: vrfPrefix(v), nextHop: self, vrf: v, site: -1})
		}
		// The VRFs no interconnect uses (a ministry's) have their service
		// prefix on every PFS router.
		for _, vr := range inv.VRFs {
			v, ok := vrfs[vr.Name]
			if !ok || slices.ContainsFunc(inv.Interconnects, func(ic inventory.Interconnect) bool { return ic.VRF == vr.Name }) {
				continue
			}
			out = append(out, route{prefix: vrfPrefix(v), nextHop: self, vrf: v, site: -1})
		}
		return out
	}
	return nil
}
