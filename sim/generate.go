// Package sim is vigie's fleet simulator: it generates a realistic RIE
// inventory (regions, PoPs, backbone, PFAI, PFS, 14,000 sites with their
// access links) deterministically from a seed, and serves every generated
// device as an SNMP agent at its own loopback address (package
// sim/snmpagent). It is a product, not a test hack: `vigie demo`, the
// collector's tests and its benchmarks all run against it.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/vigie-rie/vigie/inventory"
)

// Default secret values of the generated SNMP profiles. The inventory refers
// to them by environment variable (EnvAuth, EnvPriv, EnvCommunity); in-process
// users (`vigie demo`, tests) build Secrets from these constants with
// inventory.NewSecret, and `vigie-sim generate` writes them to sim.env.
const (
	DefaultAuthPassword = "vigie-sim-auth-key"
	DefaultPrivPassword = "vigie-sim-priv-key"
	DefaultCommunity    = "vigie-sim-community"
	DefaultUser         = "vigie"

	EnvAuth      = "VIGIE_SIM_AUTH"
	EnvPriv      = "VIGIE_SIM_PRIV"
	EnvCommunity = "VIGIE_SIM_COMMUNITY"

	// ProfileV3 and ProfileV2 are the names of the two generated profiles.
	ProfileV3 = "sim-v3"
	ProfileV2 = "sim-v2"

	// DefaultSites is the RIE's size (RIE.md: about 14,000 sites).
	DefaultSites = 14000
	// DefaultPort is the UDP port every simulated agent answers on. It is
	// not 161 so that the simulator runs without privileges.
	DefaultPort = 1161
	// MaxSites bounds GenerateOptions.Sites: site prefixes are /24s in 10/8.
	MaxSites = 65000
	// SitesPerPoP is about how many mainland sites one aggregation PoP serves.
	SitesPerPoP = 100
	// RIEAS is the RIE's own AS number; CEs use private 4-byte ASes.
	RIEAS = 64600
)

// GenerateOptions selects the inventory Generate builds. The zero value
// is valid and gives the default 14,000-site RIE with seed 0.
type GenerateOptions struct {
	// Seed makes the inventory reproducible: the same seed and options give
	// byte-identical inventories.
	Seed uint64
	// Sites is the number of sites (0 = DefaultSites, at most MaxSites).
	Sites int
	// Port is the SNMP port written in every device address (0 = DefaultPort).
	Port uint16
	// V3Fraction is the share of collection devices (CEs, aggregation)
	// polled over SNMPv3; backbone, PFAI and PFS devices always are.
	// 0 means the default 0.10; a negative value means none.
	V3Fraction float64
	// FirstAddress is the management address of the first device; the
	// others follow it (zero = 127.1.0.1). It must be in 127/8 but outside
	// 127.0.0.0/16; last octets 0 and 255 are skipped.
	FirstAddress netip.Addr
}

// DefaultGenerateOptions returns the defaults Generate gives the zero
// fields of its GenerateOptions: the full RIE, on the simulator's port,
// one collection device in ten polled over SNMPv3, from 127.1.0.1.
func DefaultGenerateOptions() GenerateOptions {
	return GenerateOptions{
		Sites:        DefaultSites,
		Port:         DefaultPort,
		V3Fraction:   0.10,
		FirstAddress: netip.AddrFrom4([4]byte{127, 1, 0, 1}),
	}
}

// setDefaults fills the zero fields of o from DefaultGenerateOptions. As
// always: a negative Sites takes the default and a larger one than
// MaxSites is cut to it; a negative V3Fraction means none; a FirstAddress
// outside 127/8 or inside 127.0.0.0/16 takes the default.
func (o *GenerateOptions) setDefaults() {
	d := DefaultGenerateOptions()
	if o.Sites <= 0 {
		o.Sites = d.Sites
	}
	o.Sites = min(o.Sites, MaxSites)
	if o.Port == 0 {
		o.Port = d.Port
	}
	switch {
	case o.V3Fraction == 0:
		o.V3Fraction = d.V3Fraction
	case o.V3Fraction < 0:
		o.V3Fraction = 0
	}
	if !o.FirstAddress.Is4() || o.FirstAddress.As4()[0] != 127 || o.FirstAddress.As4()[1] == 0 {
		o.FirstAddress = d.FirstAddress
	}
}

// Generate builds a realistic RIE inventory, deterministically from
// opts.Seed, and indexes it. For 14,000 sites it holds about 20,000 devices:
// one or two CEs per site, two aggregation routers per PoP of about 100
// sites, a 2-edge-connected backbone (ring plus chords) with two route
// reflectors and two datacentres, the PFAI with its internet interconnects
// and VPN concentrators, and the PFS with TESTA, RENATER and partners.
// Overseas regions reach the mainland over one or two transoceanic links.
func Generate(opts GenerateOptions) *inventory.Inventory { return generate(opts, true) }

// generate is Generate, with or without the geography (geography.go).
func generate(opts GenerateOptions, withPlaces bool) *inventory.Inventory {
	opts.setDefaults()
	b := &builder{
		opts: opts,
		rng:  rand.New(rand.NewPCG(opts.Seed, 0x5649474945534d31)), // "VIGIESM1"
		inv:  &inventory.Inventory{},
		addr: opts.FirstAddress,
	}
	b.inv.Devices = make([]inventory.Device, 0, opts.Sites*3/2+400)
	b.ports = make([]ports, 0, cap(b.inv.Devices))
	b.inv.Sites = make([]inventory.Site, 0, opts.Sites)
	b.profiles()
	b.regions()
	b.backbone()
	b.platforms()
	b.vrfs()
	b.sites()
	if withPlaces {
		b.places()
	}
	b.inv.Index()
	return b.inv
}

// portStyle says how a device names its interfaces, by kind of device.
type portStyle uint8

const (
	styleCE portStyle = iota
	styleAgg
	styleBackbone
	styleConcentrator
)

// ports counts the interfaces handed out on one device.
type ports struct {
	style         portStyle
	access, trunk int
}

type builder struct {
	opts  GenerateOptions
	rng   *rand.Rand
	inv   *inventory.Inventory
	ports []ports
	addr  netip.Addr

	bb        []int            // backbone router device indexes, in ring order
	bbRegion  []string         // region of each backbone router
	homes     map[string][]int // region -> its backbone routers (positions in bb)
	conc      [2]int           // VPN concentrators where via-internet accesses land
	regionIdx map[string]int
}

func (b *builder) profiles() {
	v3 := inventory.DefaultProfile()
	v3.Name = ProfileV3
	v3.Version = inventory.SNMPv3
	v3.Username = DefaultUser
	v3.AuthProtocol = "SHA"
	v3.AuthPassword = inventory.NewSecret(DefaultAuthPassword, "env:"+EnvAuth)
	v3.PrivProtocol = "AES"
	v3.PrivPassword = inventory.NewSecret(DefaultPrivPassword, "env:"+EnvPriv)
	v2 := inventory.DefaultProfile()
	v2.Name = ProfileV2
	v2.Version = inventory.SNMPv2c
	v2.AuthProtocol, v2.PrivProtocol = "", ""
	v2.Community = inventory.NewSecret(DefaultCommunity, "env:"+EnvCommunity)
	b.inv.Profiles = []inventory.SNMPProfile{v3, v2}
	b.inv.Polling = inventory.DefaultPolling()
	b.inv.Agent = inventory.Agent{Listen: "127.0.0.1:9742", History: inventory.DefaultHistory}
}

func (b *builder) regions() {
	b.regionIdx = make(map[string]int, len(regionSpecs))
	for i, r := range regionSpecs {
		b.regionIdx[r.id] = i
		b.inv.Regions = append(b.inv.Regions, inventory.Region{ID: r.id, Name: r.name, Overseas: r.overseas})
	}
}

// nextAddr hands out management addresses in order, skipping last octets
// 0 and 255 so that no address looks like a network or broadcast address.
func (b *builder) nextAddr() netip.Addr {
	a := b.addr
	for {
		b.addr = b.addr.Next()
		last := b.addr.As4()[3]
		if last != 0 && last != 255 {
			break
		}
	}
	return a
}

func (b *builder) addDevice(name string, role inventory.Role, style portStyle, site, pop, dc string) int {
	profile := ProfileV3
	if role == inventory.RoleCollection && b.rng.Float64() >= b.opts.V3Fraction {
		profile = ProfileV2
	}
	b.inv.Devices = append(b.inv.Devices, inventory.Device{
		Name: name, Role: role, Site: site, PoP: pop, Datacentre: dc,
		Address: netip.AddrPortFrom(b.nextAddr(), b.opts.Port),
		Profile: profile,
	})
	b.ports = append(b.ports, ports{style: style})
	return len(b.inv.Devices) - 1
}

// accessPort names the next interface of device d facing a site.
func (b *builder) accessPort(d int) string {
	p := &b.ports[d]
	n := p.access
	p.access++
	switch p.style {
	case styleCE:
		return fmt.Sprintf("eth%d", n+1)
	case styleConcentrator:
		return fmt.Sprintf("tun%d", n)
	default:
		return fmt.Sprintf("ge-0/%d/%d", n/48, n%48)
	}
}

// trunkPort names the next interface of device d facing the network.
func (b *builder) trunkPort(d int) string {
	p := &b.ports[d]
	n := p.trunk
	p.trunk++
	switch p.style {
	case styleCE:
		return fmt.Sprintf("eth%d", 100+n)
	case styleBackbone:
		return fmt.Sprintf("et-0/0/%d", n)
	default:
		return fmt.Sprintf("xe-1/0/%d", n)
	}
}

func (b *builder) link(a, z int, tech inventory.Technology, srlgs ...string) {
	b.inv.Links = append(b.inv.Links, inventory.Link{
		A:          inventory.Endpoint{Device: b.inv.Devices[a].Name, Interface: b.trunkPort(a)},
		B:          inventory.Endpoint{Device: b.inv.Devices[z].Name, Interface: b.trunkPort(z)},
		Technology: tech,
		SRLGs:      srlgs,
	})
}

func (b *builder) pop(id, name, region string) {
	b.inv.PoPs = append(b.inv.PoPs, inventory.PoP{ID: id, Name: name, Region: region})
}

// backbone builds the backbone ring with chords, the route reflectors and
// the datacentres. A ring has no bridge; chords shorten paths.
func (b *builder) backbone() {
	n := min(max(12+b.opts.Sites/3500, 12), len(backboneCities))
	b.homes = make(map[string][]int)
	for i := range n {
		c := backboneCities[i]
		pop := "pop-bb-" + c.id
		b.pop(pop, "Backbone "+c.id, c.region)
		d := b.addDevice("bb-"+c.id, inventory.RoleBackbone, styleBackbone, "", pop, "")
		b.bb = append(b.bb, d)
		b.bbRegion = append(b.bbRegion, c.region)
		b.homes[c.region] = append(b.homes[c.region], i)
	}
	duct := func(i, j int) string { return fmt.Sprintf("duct-bb-%02d-%02d", i, j) }
	for i := range n {
		j := (i + 1) % n
		b.link(b.bb[i], b.bb[j], inventory.TechFibre, duct(i, j))
	}
	// Chords between routers at least three hops apart on the ring.
	chords := map[[2]int]bool{}
	for len(chords) < n/2 {
		i := b.rng.IntN(n)
		j := (i + 3 + b.rng.IntN(n-5)) % n
		k := [2]int{min(i, j), max(i, j)}
		if chords[k] {
			continue
		}
		chords[k] = true
		b.link(b.bb[k[0]], b.bb[k[1]], inventory.TechFibre, duct(k[0], k[1]))
	}
	// Route reflectors, each attached to two adjacent backbone routers.
	for r, at := range []int{0, n / 2} {
		d := b.addDevice(fmt.Sprintf("rr-%d", r+1), inventory.RoleBackbone, styleBackbone, "",
			b.inv.Devices[b.bb[at]].PoP, "")
		b.link(d, b.bb[at], inventory.TechFibre, fmt.Sprintf("duct-rr-%d-a", r+1))
		b.link(d, b.bb[(at+1)%n], inventory.TechFibre, fmt.Sprintf("duct-rr-%d-b", r+1))
	}
	// Two datacentres, each with two routers on two different backbone routers.
	dcs := []struct {
		id, name, region string
		at               [2]int
	}{
		{"dc-nord", "Centre serveur Nord", "idf", [2]int{0, n - 1}},
		{"dc-sud", "Centre serveur Sud", "ara", [2]int{4, 5}},
	}
	for _, dc := range dcs {
		b.inv.Datacentres = append(b.inv.Datacentres, inventory.Datacentre{ID: dc.id, Name: dc.name, Region: dc.region})
		r1 := b.addDevice(dc.id+"-r1", inventory.RoleBackbone, styleBackbone, "", "", dc.id)
		r2 := b.addDevice(dc.id+"-r2", inventory.RoleBackbone, styleBackbone, "", "", dc.id)
		b.link(r1, b.bb[dc.at[0]], inventory.TechFibre, "duct-"+dc.id+"-a")
		b.link(r2, b.bb[dc.at[1]], inventory.TechFibre, "duct-"+dc.id+"-b")
		b.link(r1, r2, inventory.TechFibre, "room-"+dc.id)
	}
}

// platforms builds the PFAI (internet edges and VPN concentrators) and the
// PFS (partner interconnects in their VRFs).
func (b *builder) platforms() {
	n := len(b.bb)
	var pfai [2]int
	for i, at := range []int{0, n / 2} {
		pop := b.inv.Devices[b.bb[at]].PoP
		d := b.addDevice(fmt.Sprintf("pfai-%d", i+1), inventory.RolePFAI, styleBackbone, "", pop, "")
		pfai[i] = d
		b.link(d, b.bb[at], inventory.TechFibre, fmt.Sprintf("duct-pfai-%d-a", i+1))
		b.link(d, b.bb[(at+n-1)%n], inventory.TechFibre, fmt.Sprintf("duct-pfai-%d-b", i+1))
		b.inv.Interconnects = append(b.inv.Interconnects, inventory.Interconnect{
			ID: fmt.Sprintf("internet-%d", i+1), Name: fmt.Sprintf("Internet transit %d", i+1),
			Kind: inventory.InterconnectInternet, Device: b.inv.Devices[d].Name, Interface: b.trunkPort(d),
			SRLGs: []string{fmt.Sprintf("transit-%d", i+1)},
		})
	}
	for i := range 2 {
		pop := b.inv.Devices[pfai[i]].PoP
		d := b.addDevice(fmt.Sprintf("vpn-%d", i+1), inventory.RolePFAI, styleConcentrator, "", pop, "")
		b.conc[i] = d
		b.link(d, pfai[0], inventory.TechFibre, fmt.Sprintf("room-vpn-%d-a", i+1))
		b.link(d, pfai[1], inventory.TechFibre, fmt.Sprintf("room-vpn-%d-b", i+1))
	}
	for i, at := range []int{1, n/2 + 1} {
		pop := b.inv.Devices[b.bb[at]].PoP
		name := fmt.Sprintf("pfs-%d", i+1)
		d := b.addDevice(name, inventory.RolePFS, styleBackbone, "", pop, "")
		b.link(d, b.bb[at], inventory.TechFibre, fmt.Sprintf("duct-pfs-%d-a", i+1))
		b.link(d, b.bb[(at+1)%n], inventory.TechFibre, fmt.Sprintf("duct-pfs-%d-b", i+1))
		partner := []string{"partner-caisse", "partner-operateur"}[i]
		for _, ic := range []struct {
			id, name, vrf string
			kind          inventory.InterconnectKind
		}{
			{fmt.Sprintf("testa-%d", i+1), "TESTA-ng", "testa", inventory.InterconnectTESTA},
			{fmt.Sprintf("renater-%d", i+1), "RENATER", "renater", inventory.InterconnectRENATER},
			{partner, "Partner " + partner[len("partner-"):], partner, inventory.InterconnectPartner},
		} {
			b.inv.Interconnects = append(b.inv.Interconnects, inventory.Interconnect{
				ID: ic.id, Name: ic.name, Kind: ic.kind, Device: name, Interface: b.trunkPort(d),
				VRF: ic.vrf, SRLGs: []string{"xc-" + ic.id},
			})
		}
	}
}

// ministryVRFs are per-ministry VRFs of the PFS without an interconnect:
// the PFS routers announce one service prefix in each (sim/bgpsim).
var ministryVRFs = []string{"min-economie", "min-education", "min-interieur", "min-justice", "min-sante"}

// vrfs declares the interconnects' VRFs and the ministries', numbered from 1 in name order
// with route distinguishers RIEAS:n (what the simulated PFS routers
// announce, sim/bgpsim), and gives each interconnect in a VRF the prefix
// its partner announces there, so vigie names the VRFs and judges the
// interconnects by BGP.
func (b *builder) vrfs() {
	names := slices.Clone(ministryVRFs)
	for _, ic := range b.inv.Interconnects {
		if ic.VRF != "" && !slices.Contains(names, ic.VRF) {
			names = append(names, ic.VRF)
		}
	}
	slices.Sort(names)
	for i, n := range names {
		b.inv.VRFs = append(b.inv.VRFs, inventory.VRF{Name: n, RDs: []inventory.RD{VRFRD(uint32(i + 1))}})
	}
	for i := range b.inv.Interconnects {
		ic := &b.inv.Interconnects[i]
		if j := slices.Index(names, ic.VRF); ic.VRF != "" && j >= 0 {
			ic.Prefixes = []netip.Prefix{PartnerPrefix(uint32(j + 1))}
		}
	}
}

// VRFRD is the route distinguisher of the simulated VRF number n: RIEAS:n.
func VRFRD(n uint32) inventory.RD { return inventory.RD(uint64(RIEAS)<<32 | uint64(n)) }

// PartnerPrefix is the prefix the partner of the simulated VRF number n
// (from 1) announces: one /24 each in 198.18.0.0/15 (RFC 2544, never
// routed), for up to 512 VRFs.
func PartnerPrefix(n uint32) netip.Prefix {
	n--
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(n>>8), byte(n), 0}), 24)
}

// regionSites splits the sites between regions by weight (largest
// remainder), giving every overseas region at least two sites and keeping
// about 3 % of the sites overseas.
func (b *builder) regionSites() []int {
	total := b.opts.Sites
	overseas := max(int(math.Round(float64(total)*0.03)), 0)
	var wMain, wOver float64
	for _, r := range regionSpecs {
		if r.overseas {
			wOver += r.weight
		} else {
			wMain += r.weight
		}
	}
	counts := make([]int, len(regionSpecs))
	rem := make([]float64, len(regionSpecs))
	share := func(overseasPart bool, n int, w float64) {
		given := 0
		for i, r := range regionSpecs {
			if r.overseas != overseasPart {
				continue
			}
			x := float64(n) * r.weight / w
			counts[i] = int(x)
			rem[i] = x - float64(counts[i])
			given += counts[i]
		}
		for given < n {
			best := -1
			for i, r := range regionSpecs {
				if r.overseas == overseasPart && (best < 0 || rem[i] > rem[best]) {
					best = i
				}
			}
			counts[best]++
			rem[best] = -1
			given++
		}
	}
	share(true, overseas, wOver)
	// Tiny fleets (tests) still get a few sites overseas.
	for i, r := range regionSpecs {
		if r.overseas && counts[i] < 2 && overseas >= 2*len(regionSpecs) {
			counts[i] = 2
		}
	}
	over := 0
	for i, r := range regionSpecs {
		if r.overseas {
			over += counts[i]
		}
	}
	if over > total {
		over = 0
		for i, r := range regionSpecs {
			if r.overseas {
				counts[i] = 0
			}
		}
	}
	share(false, total-over, wMain)
	return counts
}

// aggPoPs builds a region's aggregation PoPs: two aggregation routers each,
// the PoP dual-homed to two different backbone routers. An overseas region
// gets a single PoP whose routers reach the mainland over transoceanic
// links, each its own SRLG.
func (b *builder) aggPoPs(ri, sites int) [][2]int {
	r := regionSpecs[ri]
	npops := max(1, (sites+SitesPerPoP/2)/SitesPerPoP)
	if r.overseas {
		npops = 1
	}
	homes := b.homesOf(r.id)
	n := len(b.bb)
	out := make([][2]int, 0, npops)
	for p := range npops {
		popID := fmt.Sprintf("pop-%s-%02d", r.id, p+1)
		b.pop(popID, fmt.Sprintf("%s PoP %d", r.name, p+1), r.id)
		a1 := b.addDevice(fmt.Sprintf("agg-%s-%02d-1", r.id, p+1), inventory.RoleCollection, styleAgg, "", popID, "")
		a2 := b.addDevice(fmt.Sprintf("agg-%s-%02d-2", r.id, p+1), inventory.RoleCollection, styleAgg, "", popID, "")
		b.link(a1, a2, inventory.TechFibre, "room-"+popID)
		if r.overseas {
			// Transoceanic cables land at two spread-out mainland routers.
			first := b.rng.IntN(n)
			second := (first + n/2) % n
			b.link(a1, b.bb[first], inventory.TechTransoceanic, fmt.Sprintf("cable-%s-1", r.id))
			if r.cables > 1 {
				b.link(a2, b.bb[second], inventory.TechTransoceanic, fmt.Sprintf("cable-%s-2", r.id))
			}
		} else {
			primary := homes[p%len(homes)]
			secondary := (primary + 1) % n
			if p%2 == 1 {
				secondary = (primary + n - 1) % n
			}
			b.link(a1, b.bb[primary], inventory.TechFibre, fmt.Sprintf("duct-%s-up1", popID))
			b.link(a2, b.bb[secondary], inventory.TechFibre, fmt.Sprintf("duct-%s-up2", popID))
		}
		out = append(out, [2]int{a1, a2})
	}
	return out
}

// homesOf returns the backbone routers (positions in b.bb) serving a region.
func (b *builder) homesOf(region string) []int {
	for range len(regionSpecs) {
		if h := b.homes[region]; len(h) > 0 {
			return h
		}
		region = regionSpecs[b.regionIdx[region]].fallback
		if region == "" {
			break
		}
	}
	return []int{0}
}

// sites builds every site with its CEs and access links.
func (b *builder) sites() {
	counts := b.regionSites()
	seq := 0
	for ri, r := range regionSpecs {
		n := counts[ri]
		if n == 0 {
			continue
		}
		pops := b.aggPoPs(ri, n)
		for j := range n {
			seq++
			p := j * len(pops) / n
			b.site(seq, r, pops, p)
		}
	}
}

// Protection mix of RIE sites (see the package documentation).
const (
	shareSingle  = 0.35
	shareBackup  = 0.30
	shareDual    = 0.20
	shareDiverse = 0.15
)

func (b *builder) site(seq int, r regionSpec, pops [][2]int, p int) {
	id := fmt.Sprintf("s%05d", seq)
	s := inventory.Site{
		ID:       id,
		Name:     fmt.Sprintf("%s %s %d", siteKinds[b.rng.IntN(len(siteKinds))], r.name, seq),
		Region:   r.id,
		Overseas: r.overseas,
		Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(seq >> 8), byte(seq), 0}), 24)},
	}
	u := b.rng.Float64()
	switch {
	case u < shareSingle:
		s.Protection = inventory.ProtectionSingle
	case u < shareSingle+shareBackup:
		s.Protection = inventory.ProtectionBackup
	case u < shareSingle+shareBackup+shareDual:
		s.Protection = inventory.ProtectionDual
	default:
		s.Protection = inventory.ProtectionDiverse
	}
	// Half of the backup and dual sites have a second CE; diverse always.
	ces := 1
	switch s.Protection {
	case inventory.ProtectionBackup, inventory.ProtectionDual:
		if b.rng.IntN(2) == 0 {
			ces = 2
		}
	case inventory.ProtectionDiverse:
		ces = 2
	}
	ce := [2]int{}
	for k := range ces {
		ce[k] = b.addDevice(fmt.Sprintf("ce-%s-%d", id, k+1), inventory.RoleCollection, styleCE, id, "", "")
	}
	if ces == 1 {
		ce[1] = ce[0]
	}
	agg := pops[p]
	// Sites alternate between the two routers of their PoP for single accesses.
	first := agg[b.rng.IntN(2)]
	duct := func(k int) string { return fmt.Sprintf("duct-%s-%d", id, k) }
	entry := func(k int) string { return fmt.Sprintf("entry-%s-%d", id, k) }
	switch s.Protection {
	case inventory.ProtectionSingle:
		tech, via := b.singleTech(r)
		b.access(&s, ce[0], first, tech, via, duct(1))
	case inventory.ProtectionBackup:
		tech := inventory.TechFibre
		if b.rng.IntN(2) == 0 {
			tech = inventory.TechFTTH
		}
		b.access(&s, ce[0], first, tech, false, duct(1))
		if b.rng.IntN(2) == 0 {
			b.access(&s, ce[1], b.conc[b.rng.IntN(2)], inventory.Tech4G, true, "radio-"+id)
		} else {
			other := agg[0]
			if other == first {
				other = agg[1]
			}
			b.access(&s, ce[1], other, inventory.Tech4G, false, "radio-"+id)
		}
	case inventory.ProtectionDual:
		// A third of dual-fibre sites secretly share a duct or building entry.
		if b.rng.IntN(3) == 0 {
			shared := duct(1)
			if b.rng.IntN(2) == 0 {
				shared = entry(1)
			}
			b.access(&s, ce[0], agg[0], inventory.TechFibre, false, shared)
			b.access(&s, ce[1], agg[1], inventory.TechFibre, false, shared)
		} else {
			b.access(&s, ce[0], agg[0], inventory.TechFibre, false, duct(1))
			b.access(&s, ce[1], agg[1], inventory.TechFibre, false, duct(2))
		}
	case inventory.ProtectionDiverse:
		second := agg[1]
		// Half of the diverse sites land on two distinct PoPs when the region has them.
		if len(pops) > 1 && b.rng.IntN(2) == 0 {
			second = pops[(p+1)%len(pops)][1]
		}
		b.access(&s, ce[0], agg[0], inventory.TechFibre, false, duct(1), entry(1))
		b.access(&s, ce[1], second, inventory.TechFibre, false, duct(2), entry(2))
	}
	b.inv.Sites = append(b.inv.Sites, s)
}

// singleTech draws the technology of a single-access site; some 4G and ADSL
// accesses are tunnelled over a public operator's internet.
func (b *builder) singleTech(r regionSpec) (inventory.Technology, bool) {
	u := b.rng.Float64()
	switch {
	case r.overseas && u < 0.10:
		return inventory.TechSatellite, false
	case u < 0.30:
		return inventory.TechFibre, false
	case u < 0.60:
		return inventory.TechFTTH, false
	case u < 0.80:
		return inventory.TechADSL, b.rng.IntN(2) == 0
	default:
		return inventory.Tech4G, b.rng.IntN(2) == 0
	}
}

func (b *builder) access(s *inventory.Site, ce, dev int, tech inventory.Technology, via bool, srlgs ...string) {
	if via && dev != b.conc[0] && dev != b.conc[1] {
		// Tunnelled accesses land on a PFAI-side concentrator.
		dev = b.conc[b.rng.IntN(2)]
	}
	s.Access = append(s.Access, inventory.AccessLink{
		Technology:      tech,
		Router:          b.inv.Devices[ce].Name,
		RouterInterface: b.accessPort(ce),
		Device:          b.inv.Devices[dev].Name,
		Interface:       b.accessPort(dev),
		SRLGs:           slices.Clone(srlgs),
		ViaInternet:     via,
	})
}

// SetPort points every device of inv at another SNMP port, for tests that
// serve the fleet on a free port (snmpagent.Options{Port: 0}) and then poll
// the inventory's addresses.
func SetPort(inv *inventory.Inventory, port uint16) {
	for i := range inv.Devices {
		d := &inv.Devices[i]
		d.Address = netip.AddrPortFrom(d.Address.Addr(), port)
	}
}
