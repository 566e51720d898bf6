package snmpagent

// This file turns an inventory into the simulated fleet: per device its
// interfaces (one per access link, declared link and interconnect end,
// plus "lo" and, on CEs, "lan0"), its LLDP neighbours and its BGP sessions.
// Only structure is built here, once; values that move with time are
// computed per request in mib.go.

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// AS numbers of the simulated BGP sessions: the RIE's own AS for
// aggregation, platforms and route reflectors; every site's CE shares one
// private AS (as-override, as in most MPLS VPNs).
const (
	rieAS  = 64600
	siteAS = 65001
)

// kind is what a device is, for its description and interface types.
type kind uint8

const (
	kindCE kind = iota
	kindAgg
	kindBackbone
	kindRR
	kindDC
	kindPFAI
	kindPFS
)

var kindDescr = [...]string{
	kindCE:       "vigie-sim customer edge router",
	kindAgg:      "vigie-sim aggregation router",
	kindBackbone: "vigie-sim backbone P/PE router",
	kindRR:       "vigie-sim route reflector",
	kindDC:       "vigie-sim datacentre edge router",
	kindPFAI:     "vigie-sim internet access platform router",
	kindPFS:      "vigie-sim service platform router",
}

// IANA ifType values used by the simulator.
const (
	ifTypeEthernet = 6
	ifTypeLoopback = 24
	ifTypeADSL     = 94
	ifTypeTunnel   = 131
)

// iface is one simulated interface.
type iface struct {
	name  string
	alias string
	typ   int32
	// speed in Mbit/s (ifHighSpeed).
	speed uint32
	// inRate and outRate are the octet rates (bytes/s) counters advance at;
	// errRate the error rate (errors/s).
	inRate, outRate, errRate float64
	// peerDev/peerIf are the device and interface at the other end of the
	// link (-1 when there is none in the inventory, e.g. an interconnect).
	peerDev, peerIf int32
	// lldp tells whether LLDP runs over the link (not over tunnels).
	lldp bool
}

// session is one BGP session of a device (bgpPeerTable row).
type session struct {
	remote, local, remoteID [4]byte
	remoteAS                uint32
	// ifIdx is the interface the session runs over (-1 = multi-hop iBGP).
	ifIdx int32
	// peer is the device at the other end of the session; -1 for a live
	// session with a peer outside the inventory (Options.BGPSessions).
	peer int32
	// base is the established-transitions count before the simulator started.
	base uint32
	// since is when a live session came up (peer -1 only).
	since time.Time
}

// device is one simulated agent: what it is, built once, plus its state.
type device struct {
	idx      int32
	name     string
	kind     kind
	descr    string
	objectID []uint32
	location string
	addr     [4]byte
	engineID []byte
	mac      [6]byte
	routerID [4]byte
	localAS  uint32
	ifaces   []iface
	sessions []session
	// uptime0 is how long the device had been up when the simulator started.
	uptime0 time.Duration

	state atomic.Pointer[state]
	keys  atomic.Pointer[[]userKeys]
}

// fleet is every simulated device, indexed by address and name.
type fleet struct {
	devices []*device
	byAddr  map[[4]byte]int32
	byName  map[string]int32
}

// splitmix64 is a fast deterministic hash for per-device values.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit returns a deterministic float in [0, 1) for (seed, a, b).
func unit(seed uint64, a, b int) float64 {
	return float64(splitmix64(seed^splitmix64(uint64(a)<<32|uint64(uint32(b))))>>11) / (1 << 53)
}

func ip4(a netip.Addr) [4]byte { return a.As4() }

func addU32(base [4]byte, n uint32) [4]byte {
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], binary.BigEndian.Uint32(base[:])+n)
	return out
}

func kindOf(d *inventory.Device) kind {
	switch {
	case d.Site != "":
		return kindCE
	case d.Datacentre != "":
		return kindDC
	case d.Role == inventory.RoleCollection:
		return kindAgg
	case d.Role == inventory.RolePFAI:
		return kindPFAI
	case d.Role == inventory.RolePFS:
		return kindPFS
	case strings.HasPrefix(d.Name, "rr-"):
		return kindRR
	default:
		return kindBackbone
	}
}

// speedOf is the nominal speed of an interface in Mbit/s.
func speedOf(t inventory.Technology, k kind) uint32 {
	switch t {
	case inventory.TechADSL:
		return 20
	case inventory.Tech4G:
		return 100
	case inventory.TechSatellite:
		return 10
	case inventory.TechTransoceanic:
		return 10000
	case inventory.TechFTTH:
		return 1000
	}
	if k == kindBackbone || k == kindRR || k == kindDC {
		return 100000
	}
	return 10000
}

// newFleet builds the simulated fleet from an inventory. Devices whose
// management address is not IPv4 are skipped (the simulator answers on
// IPv4 loopback addresses).
func newFleet(inv *inventory.Inventory, seed uint64, start time.Time) (*fleet, error) {
	f := &fleet{
		byAddr: make(map[[4]byte]int32, len(inv.Devices)),
		byName: make(map[string]int32, len(inv.Devices)),
	}
	f.devices = make([]*device, 0, len(inv.Devices))
	all := make([]device, len(inv.Devices))
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if !d.Address.Addr().Is4() {
			continue
		}
		dev := &all[i]
		dev.idx = int32(len(f.devices))
		dev.name = d.Name
		dev.kind = kindOf(d)
		dev.descr = fmt.Sprintf("%s, vigie-sim 1.0 (role %s)", kindDescr[dev.kind], d.Role)
		dev.objectID = []uint32{1, 3, 6, 1, 4, 1, 32473, 1, uint32(dev.kind) + 1}
		dev.location = inv.DeviceRegion(d)
		dev.addr = ip4(d.Address.Addr())
		if prev, dup := f.byAddr[dev.addr]; dup {
			return nil, fmt.Errorf("snmpagent: devices %q and %q share address %v: give every device its own 127.x.y.z",
				f.devices[prev].name, d.Name, d.Address.Addr())
		}
		n := uint32(dev.idx)
		dev.engineID = binary.BigEndian.AppendUint32([]byte{0x80, 0x00, 0x7e, 0xd9, 0x05}, n) // 32473, octets
		dev.engineID = binary.BigEndian.AppendUint32(dev.engineID, uint32(seed))
		dev.mac = [6]byte{0x02, 0x76, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		dev.routerID = addU32([4]byte{172, 16, 0, 0}, n+1)
		dev.localAS = rieAS
		if dev.kind == kindCE {
			dev.localAS = siteAS
		}
		// Up between one hour and 200 days when the simulator starts.
		dev.uptime0 = time.Hour + time.Duration(unit(seed, int(n), -1)*200*24*float64(time.Hour))
		dev.ifaces = append(dev.ifaces, iface{name: "lo", alias: "loopback", typ: ifTypeLoopback, speed: 0,
			peerDev: -1, peerIf: -1})
		f.byAddr[dev.addr] = dev.idx
		f.byName[dev.name] = dev.idx
		f.devices = append(f.devices, dev)
	}
	get := func(name string) *device {
		if i, ok := f.byName[name]; ok {
			return f.devices[i]
		}
		return nil
	}
	port := func(d *device, name, alias string, t inventory.Technology, tunnel bool) int32 {
		typ := int32(ifTypeEthernet)
		switch {
		case tunnel:
			typ = ifTypeTunnel
		case t == inventory.TechADSL:
			typ = ifTypeADSL
		}
		d.ifaces = append(d.ifaces, iface{name: name, alias: alias, typ: typ, speed: speedOf(t, d.kind),
			peerDev: -1, peerIf: -1})
		return int32(len(d.ifaces) - 1)
	}
	connect := func(a *device, ai int32, b *device, bi int32, lldp bool) {
		a.ifaces[ai].peerDev, a.ifaces[ai].peerIf, a.ifaces[ai].lldp = b.idx, bi, lldp
		b.ifaces[bi].peerDev, b.ifaces[bi].peerIf, b.ifaces[bi].lldp = a.idx, ai, lldp
	}
	// Access links: an interface on each end and an eBGP session over it.
	p2p := uint32(0)
	for si := range inv.Sites {
		s := &inv.Sites[si]
		for _, al := range s.Access {
			ce, agg := get(al.Router), get(al.Device)
			if ce == nil || agg == nil {
				continue
			}
			ceIf := al.RouterInterface
			if ceIf == "" {
				ceIf = fmt.Sprintf("eth%d", len(ce.ifaces))
			}
			aggIf := al.Interface
			if aggIf == "" {
				aggIf = fmt.Sprintf("ge-0/9/%d", len(agg.ifaces))
			}
			ceAlias := fmt.Sprintf("%s access to %s %s", al.Technology, agg.name, aggIf)
			aggAlias := fmt.Sprintf("site %s %s %s", s.ID, ce.name, ceIf)
			if al.Circuit != "" {
				// What operators write in ifAlias: the carrier's circuit
				// id, which vigie_interface_info then joins to the access.
				ceAlias, aggAlias = al.Circuit, al.Circuit
			}
			ci := port(ce, ceIf, ceAlias, al.Technology, al.ViaInternet)
			ai := port(agg, aggIf, aggAlias, al.Technology, al.ViaInternet)
			connect(ce, ci, agg, ai, !al.ViaInternet)
			aggAddr := addU32([4]byte{100, 64, 0, 0}, 2*p2p)
			ceAddr := addU32([4]byte{100, 64, 0, 0}, 2*p2p+1)
			p2p++
			base := 1 + uint32(unit(seed, int(ce.idx), int(ci))*4)
			ce.sessions = append(ce.sessions, session{remote: aggAddr, local: ceAddr, remoteID: agg.routerID, peer: agg.idx,
				remoteAS: agg.localAS, ifIdx: ci, base: base})
			agg.sessions = append(agg.sessions, session{remote: ceAddr, local: aggAddr, remoteID: ce.routerID, peer: ce.idx,
				remoteAS: ce.localAS, ifIdx: ai, base: base})
		}
	}
	for _, l := range inv.Links {
		a, b := get(l.A.Device), get(l.B.Device)
		if a == nil || b == nil {
			continue
		}
		ai := port(a, l.A.Interface, fmt.Sprintf("%s to %s %s", l.Technology, b.name, l.B.Interface), l.Technology, l.ViaInternet)
		bi := port(b, l.B.Interface, fmt.Sprintf("%s to %s %s", l.Technology, a.name, l.A.Interface), l.Technology, l.ViaInternet)
		connect(a, ai, b, bi, !l.ViaInternet)
	}
	for _, ic := range inv.Interconnects {
		if d := get(ic.Device); d != nil {
			port(d, ic.Interface, fmt.Sprintf("%s interconnect %s", ic.Kind, ic.ID), inventory.TechFibre, false)
		}
	}
	// iBGP: aggregation, platforms and datacentre edges peer with every
	// route reflector over loopbacks.
	var rrs []*device
	for _, d := range f.devices {
		if d.kind == kindRR {
			rrs = append(rrs, d)
		}
	}
	for _, d := range f.devices {
		switch d.kind {
		case kindAgg, kindPFAI, kindPFS, kindDC:
		default:
			continue
		}
		for _, rr := range rrs {
			base := 1 + uint32(unit(seed, int(d.idx), int(rr.idx))*3)
			d.sessions = append(d.sessions, session{remote: rr.routerID, local: d.routerID, remoteID: rr.routerID, peer: rr.idx,
				remoteAS: rieAS, ifIdx: -1, base: base})
			rr.sessions = append(rr.sessions, session{remote: d.routerID, local: rr.routerID, remoteID: d.routerID, peer: d.idx,
				remoteAS: rieAS, ifIdx: -1, base: base})
		}
	}
	for _, d := range f.devices {
		if d.kind == kindCE {
			d.ifaces = append(d.ifaces, iface{name: "lan0", alias: "site LAN", typ: ifTypeEthernet, speed: 1000,
				peerDev: -1, peerIf: -1})
		}
		for i := range d.ifaces {
			it := &d.ifaces[i]
			if it.speed == 0 {
				continue
			}
			// Links run at 2-40 % of their speed, each direction its own rate.
			bps := float64(it.speed) * 125000
			it.inRate = bps * (0.02 + 0.38*unit(seed, int(d.idx), 2*i))
			it.outRate = bps * (0.02 + 0.38*unit(seed, int(d.idx), 2*i+1))
			it.errRate = 0.05 * unit(seed, int(d.idx), -2-i)
		}
		slices.SortFunc(d.sessions, func(a, b session) int {
			return cmp.Compare(binary.BigEndian.Uint32(a.remote[:]), binary.BigEndian.Uint32(b.remote[:]))
		})
		d.sessions = slices.CompactFunc(d.sessions, func(a, b session) bool { return a.remote == b.remote })
		st := &state{boot: start.Add(-d.uptime0), boots: 1 + int32(unit(seed, int(d.idx), -3)*20)}
		d.state.Store(st)
	}
	return f, nil
}

// ifIndexOf returns the index in d.ifaces of the interface named name, or -1.
func (d *device) ifIndexOf(name string) int32 {
	for i := range d.ifaces {
		if d.ifaces[i].name == name {
			return int32(i)
		}
	}
	return -1
}
