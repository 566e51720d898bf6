// This file decodes the sections that refer to devices: sites and their
// access links, backbone links, partner interconnects and BGP.

package inventory

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	siteKeys = []string{"id", "name", "region", "overseas", "protection", "prefixes", "access",
		"address", "commune", "department", "ministry", "contact", "lat", "lon"}
	accessKeys = []string{"technology", "router", "router_interface", "device", "interface", "srlgs", "via_internet", "operator", "circuit"}
	// ProtectionWords lists the protection levels in the file's words, from
	// none to the best.
	ProtectionWords = []string{"none", "single", "backup", "dual", "diverse"}
)

func (d *decoder) siteList(n *yaml.Node, p fpath) {
	if c := d.count(n); c > 0 {
		d.inv.Sites = make([]Site, 0, c)
	}
	d.list(n, p, "[{id: S-0001, region: ara, protection: single, access: [...]}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		s := Site{Line: item.Line}
		var hasID, hasRegion, hasOverseas, hasProtection, hasLat, hasLon bool
		var overseasLine, coordLine int
		var access *yaml.Node
		ok := d.fields(item, q, "a site", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "id":
				s.ID, _ = d.name(v, r, "site id")
				hasID = true
			case "name":
				s.Name, _ = d.str(v, r)
			case "region":
				s.Region, _ = d.regionRef(v, r, "site")
				hasRegion = true
			case "overseas":
				s.Overseas, _ = d.boolean(v, r)
				hasOverseas = true
				overseasLine = v.Line
			case "protection":
				hasProtection = true
				if w, ok := d.enum(v, r, "protection", ProtectionWords); ok {
					s.Protection = ProtectionNames[w]
				}
			case "prefixes":
				s.Prefixes = d.prefixes(v, r)
			case "address":
				s.Address, _ = d.str(v, r)
			case "commune":
				s.Commune, _ = d.str(v, r)
			case "department":
				s.Department, _ = d.department(v, r)
			case "ministry":
				s.Ministry, _ = d.str(v, r)
			case "contact":
				s.Contact, _ = d.contact(v, r)
			case "lat":
				s.Lat, hasLat = d.float(v, r, -90, 90)
				coordLine = v.Line
			case "lon":
				s.Lon, hasLon = d.float(v, r, -180, 180)
				coordLine = v.Line
			case "access":
				access = v
				s.Access = make([]AccessLink, 0, d.count(v))
			default:
				d.unknown(k, q, siteKeys)
			}
		})
		if !ok {
			return
		}
		if !hasID {
			d.missing(s.Line, q.k("id"), "missing id: every site needs one (its CE devices refer to it)")
		}
		if !hasRegion {
			d.missing(s.Line, q.k("region"), "missing region: say which region site %q is in", s.ID)
		} else if j, found := d.regions[s.Region]; found {
			ro := d.inv.Regions[j].Overseas
			switch {
			case !hasOverseas:
				s.Overseas = ro
			case s.Overseas != ro:
				d.warnf(overseasLine, q.k("overseas"), "site %q says overseas: %t but its region %q says overseas: %t; fix one of them (or leave the site's out: it follows its region)", s.ID, s.Overseas, s.Region, ro)
			}
		}
		if hasLat != hasLon {
			d.errf(coordLine, q.k("lat"), "site %q gives only one of lat and lon: give both (WGS84 degrees) or neither", s.ID)
		}
		s.HasCoords = hasLat && hasLon
		if !hasProtection {
			d.missing(s.Line, q.k("protection"), "missing protection: say what site %q's access was designed for: one of %s", s.ID, joinWords(ProtectionWords))
		}
		if access != nil {
			d.accessList(access, q.k("access"), &s)
		}
		if len(s.Access) == 0 {
			s.Access = nil
		}
		if len(s.Access) == 0 && (access == nil || isEmpty(d.deref(access))) {
			d.errf(s.Line, q.k("access"), "site %q has no access link: declare at least one under access:", s.ID)
		}
		d.checkProtection(&s, q)
		if s.ID == "" {
			return
		}
		if j, dup := d.sites[s.ID]; dup {
			d.errf(s.Line, q.k("id"), "duplicate site %q (first declared at line %d): remove or rename one", s.ID, d.inv.Sites[j].Line)
			return
		}
		d.sites[s.ID] = len(d.inv.Sites)
		d.inv.Sites = append(d.inv.Sites, s)
	})
}

func (d *decoder) accessList(n *yaml.Node, p fpath, s *Site) {
	d.list(n, p, "[{technology: fibre, router: ce-1, device: agg-1}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		a := AccessLink{Line: item.Line}
		var hasTech, hasRouter, hasDevice bool
		ok := d.fields(item, q, "an access link", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "technology":
				hasTech = true
				if w, ok := d.enum(v, r, "technology", techWords); ok {
					a.Technology = Technology(w)
				}
			case "router":
				hasRouter = true
				name, dev, found := d.deviceRef(v, r)
				a.Router = name
				if !found {
					d.errf(v.Line, r, "site %q access leaves from unknown router %q (declare the site's CE under devices: with site: %s)", s.ID, name, s.ID)
				}
				if dev != nil && dev.Site != s.ID {
					where := dev.Site
					if where == "" {
						where = cmpOr(dev.PoP, dev.Datacentre)
						d.errf(v.Line, r, "router %q stands at %q, not at site %q: an access's router is one of the site's CEs (a device with site: %s)", name, where, s.ID, s.ID)
					} else {
						d.errf(v.Line, r, "router %q is a CE of site %q, not of site %q: sites never share routers", name, where, s.ID)
					}
				}
			case "router_interface":
				a.RouterInterface, _ = d.str(v, r)
			case "device":
				hasDevice = true
				name, dev, found := d.deviceRef(v, r)
				a.Device = name
				if !found {
					d.errf(v.Line, r, "site %q access lands on unknown device %q (declare it under devices:)", s.ID, name)
				}
				switch {
				case dev == nil || dev.Site == "":
				case dev.Site == s.ID:
					d.errf(v.Line, r, "site %q access lands on %q, one of its own CEs: device is where the access lands (an aggregation or backbone device), router the site's CE", s.ID, name)
				default:
					d.errf(v.Line, r, "site %q access lands on %q, a CE of site %q: an access lands on an aggregation or backbone device, never on another site (sites are leaves)", s.ID, name, dev.Site)
				}
			case "interface":
				a.Interface, _ = d.str(v, r)
			case "srlgs":
				a.SRLGs = d.strs(v, r, "SRLG")
			case "via_internet":
				a.ViaInternet, _ = d.boolean(v, r)
			case "operator":
				a.Operator, _ = d.str(v, r)
			case "circuit":
				a.Circuit, _ = d.str(v, r)
			default:
				d.unknown(k, q, accessKeys)
			}
		})
		if !ok {
			return
		}
		if !hasTech {
			d.missing(a.Line, q.k("technology"), "missing technology: use one of %s", joinWords(Technologies))
		}
		if !hasRouter {
			d.missing(a.Line, q.k("router"), "missing router: name the site's CE the access leaves from")
		}
		if !hasDevice {
			d.missing(a.Line, q.k("device"), "missing device: name the aggregation device the access lands on")
		}
		s.Access = append(s.Access, a)
	})
}

// checkProtection warns when a site's declared protection cannot hold with
// the accesses it declares: the designed level would then be a lie that the
// dashboards repeat.
func (d *decoder) checkProtection(s *Site, q fpath) {
	n := len(s.Access)
	if s.Protection >= ProtectionBackup && n < 2 {
		d.warnf(s.Line, q.k("protection"), "site %q is declared %s but has %d access link(s): a %s site has at least two", s.ID, s.Protection, n, s.Protection)
		return
	}
	if s.Protection != ProtectionDiverse {
		return
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for _, g := range s.Access[i].SRLGs {
				if slices.Contains(s.Access[j].SRLGs, g) {
					d.warnf(s.Access[j].Line, q.k("access").i(j).k("srlgs"), "site %q is declared diverse but accesses %d and %d share SRLG %q: they can fail together", s.ID, i, j, g)
					return
				}
			}
		}
	}
}

// isEmpty reports whether a node is null or an empty list.
func isEmpty(n *yaml.Node) bool {
	return (n.Kind == yaml.ScalarNode && n.Tag == "!!null") || (n.Kind == yaml.SequenceNode && len(n.Content) == 0)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	linkKeys     = []string{"a", "b", "technology", "srlgs", "via_internet"}
	endpointKeys = []string{"device", "interface"}
)

func (d *decoder) linkList(n *yaml.Node, p fpath) {
	d.list(n, p, "[{a: {device: p-1}, b: {device: p-2}}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		l := Link{Line: item.Line}
		var hasA, hasB bool
		ok := d.fields(item, q, "a link", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "a":
				l.A, _ = d.endpoint(v, r)
				hasA = true
			case "b":
				l.B, _ = d.endpoint(v, r)
				hasB = true
			case "technology":
				if w, ok := d.enum(v, r, "technology", techWords); ok {
					l.Technology = Technology(w)
				}
			case "srlgs":
				l.SRLGs = d.strs(v, r, "SRLG")
			case "via_internet":
				l.ViaInternet, _ = d.boolean(v, r)
			default:
				d.unknown(k, q, linkKeys)
			}
		})
		if !ok {
			return
		}
		if !hasA {
			d.missing(l.Line, q.k("a"), "missing end a: write a: {device: NAME, interface: IFNAME}")
		}
		if !hasB {
			d.missing(l.Line, q.k("b"), "missing end b: write b: {device: NAME, interface: IFNAME}")
		}
		if hasA && hasB && l.A.Device != "" && l.A.Device == l.B.Device {
			d.errf(l.Line, q, "link joins device %q to itself: one end is wrong", l.A.Device)
		}
		d.inv.Links = append(d.inv.Links, l)
	})
}

func (d *decoder) endpoint(n *yaml.Node, p fpath) (Endpoint, bool) {
	var e Endpoint
	var hasDevice bool
	line := n.Line
	ok := d.fields(n, p, "an endpoint", func(key string, k, v *yaml.Node) {
		switch key {
		case "device":
			hasDevice = true
			var found bool
			if e.Device, _, found = d.deviceRef(v, p.k(key)); !found {
				d.errf(v.Line, p.k(key), "link end on unknown device %q (declare it under devices:)", e.Device)
			}
		case "interface":
			e.Interface, _ = d.str(v, p.k(key))
		default:
			d.unknown(k, p, endpointKeys)
		}
	})
	if ok && !hasDevice {
		d.missing(line, p.k("device"), "missing device: name the device at this end of the link")
	}
	return e, ok
}

var (
	interconnectKeys = []string{"id", "name", "kind", "device", "interface", "vrf", "srlgs", "prefixes", "bgp_peer"}
	// InterconnectKinds lists the valid interconnect kinds.
	InterconnectKinds = []InterconnectKind{InterconnectInternet, InterconnectTESTA, InterconnectRENATER, InterconnectPartner}
)

func (d *decoder) interconnectList(n *yaml.Node, p fpath) {
	ids := map[string]int{}
	bgpPeerLines := map[int]int{}
	d.icPeerLines = bgpPeerLines
	d.list(n, p, "[{id: ix-1, kind: internet, device: pfai-1}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		x := Interconnect{Line: item.Line}
		var hasID, hasKind, hasDevice, vrfUndeclared bool
		var prefixesLine int
		var dev *Device
		var devLine int
		ok := d.fields(item, q, "an interconnect", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "id":
				x.ID, _ = d.name(v, r, "interconnect id")
				hasID = true
			case "name":
				x.Name, _ = d.str(v, r)
			case "kind":
				hasKind = true
				if w, ok := d.enum(v, r, "interconnect kind", kindWords); ok {
					x.Kind = InterconnectKind(w)
				}
			case "device":
				hasDevice = true
				devLine = v.Line
				var found bool
				if x.Device, dev, found = d.deviceRef(v, r); !found {
					d.errf(v.Line, r, "interconnect on unknown device %q (declare it under devices:)", x.Device)
				}
			case "interface":
				x.Interface, _ = d.str(v, r)
			case "vrf":
				x.VRF, _ = d.str(v, r)
				switch _, known := d.vrfs[x.VRF]; {
				case x.VRF == "" || known:
				case d.vrfs != nil:
					hint := ""
					if c := Closest(x.VRF, slices.Collect(maps.Keys(d.vrfs))); c != "" {
						hint = fmt.Sprintf(" (did you mean %q?)", c)
					}
					d.errf(v.Line, r, "interconnect in unknown VRF %q%s: declare it under vrfs: with its route distinguishers, or fix the name", x.VRF, hint)
				default:
					// Without a vrfs: section the name is free text, as
					// before VRFs had RDs; expected prefixes need one
					// (checked below).
					vrfUndeclared = true
				}
			case "prefixes":
				x.Prefixes = d.prefixes(v, r)
				prefixesLine = v.Line
			case "bgp_peer":
				x.BGPPeer, _ = d.addr(v, r)
				bgpPeerLines[len(d.inv.Interconnects)] = v.Line
			case "srlgs":
				x.SRLGs = d.strs(v, r, "SRLG")
			default:
				d.unknown(k, q, interconnectKeys)
			}
		})
		if !ok {
			return
		}
		if !hasKind {
			d.missing(x.Line, q.k("kind"), "missing kind: use one of %s", joinWords(InterconnectKinds))
		}
		if vrfUndeclared && len(x.Prefixes) > 0 {
			// A warning, not an error: inventories written before vrfs:
			// existed still load, and the verdict says what is missing.
			d.warnf(prefixesLine, q.k("prefixes"), "interconnect %q expects prefixes in VRF %q, but there is no vrfs: section: BGP paths carry a route distinguisher, not a name, so they will show as missing; declare the VRF under vrfs: with its RDs", x.ID, x.VRF)
		}
		if !hasDevice {
			d.missing(x.Line, q.k("device"), "missing device: name the PFAI or PFS router the interconnect hangs on")
		}
		if dev != nil && x.Kind != "" {
			want := RolePFS
			if x.Kind == InterconnectInternet {
				want = RolePFAI
			}
			if dev.Role != want && dev.Role != "" {
				d.warnf(devLine, q.k("device"), "%s interconnect on %q, a %s device: %s interconnects hang on %s devices, and the internet-cut analysis relies on it", x.Kind, x.Device, dev.Role, x.Kind, want)
			}
		}
		if !hasID {
			d.missing(x.Line, q.k("id"), "missing id: every interconnect needs one")
		}
		if x.ID == "" {
			return
		}
		if j, dup := ids[x.ID]; dup {
			d.errf(x.Line, q.k("id"), "duplicate interconnect %q (first declared at line %d): remove or rename one", x.ID, d.inv.Interconnects[j].Line)
			return
		}
		ids[x.ID] = len(d.inv.Interconnects)
		d.inv.Interconnects = append(d.inv.Interconnects, x)
	})
}

// interconnectPeers checks, once the bgp section is read, that each
// interconnect's bgp_peer is one of vigie's sessions, and that the
// session its expected prefixes are judged from (bgp_peer, else vigie's
// session with its device) carries their family: else BGP could never
// tell whether they are received.
func (d *decoder) interconnectPeers(p fpath) {
	for i := range d.inv.Interconnects {
		x := &d.inv.Interconnects[i]
		var peer *BGPPeer
		for j := range d.inv.BGP.Peers {
			pc := &d.inv.BGP.Peers[j]
			if x.BGPPeer.IsValid() && pc.Address == x.BGPPeer || !x.BGPPeer.IsValid() && peer == nil && pc.Device == x.Device {
				peer = pc
			}
		}
		if x.BGPPeer.IsValid() && peer == nil {
			d.errf(d.icPeerLines[i], p.i(i).k("bgp_peer"), "interconnect %q names bgp_peer %s, which is not one of vigie's sessions: declare it under bgp.peers, or remove bgp_peer", x.ID, x.BGPPeer)
			continue
		}
		if peer == nil {
			continue
		}
		for _, pf := range x.Prefixes {
			want := FamilyIPv4Unicast
			switch {
			case x.VRF != "" && pf.Addr().Is4():
				want = FamilyVPNv4
			case x.VRF != "":
				want = FamilyVPNv6
			case pf.Addr().Is6():
				want = FamilyIPv6Unicast
			}
			if !slices.Contains(peer.Families, want) {
				d.errf(x.Line, p.i(i).k("prefixes"), "interconnect %q expects %s, judged from vigie's session %s with %s, which does not carry %s: add it to that peer's families (or name another session in bgp_peer)", x.ID, pf, peer.Address, peer.Device, want)
				break
			}
		}
	}
}

var (
	bgpKeys  = []string{"local_as", "router_id", "listen_port", "canaries", "route_settle", "peers"}
	peerKeys = []string{"device", "address", "remote_as", "local_address", "port", "families", "password", "max_prefixes", "ttl_security", "add_path", "passive"}
	// BGPFamilies lists the address families a peer may carry.
	BGPFamilies = []string{FamilyIPv4Unicast, FamilyIPv6Unicast, FamilyVPNv4, FamilyVPNv6}
)

func (d *decoder) bgp(n *yaml.Node, p fpath) {
	b := &d.inv.BGP
	b.Line = n.Line
	var hasRouterID, hasLocalAS, asOK bool
	ok := d.fields(n, p, "the bgp section", func(key string, k, v *yaml.Node) {
		r := p.k(key)
		switch key {
		case "local_as":
			hasLocalAS = true
			if x, ok := d.integer(v, r, 0, math.MaxUint32); ok {
				b.LocalAS, asOK = uint32(x), true
			}
		case "router_id":
			hasRouterID = true
			if a, ok := d.addr(v, r); ok {
				if !a.Is4() {
					d.errf(v.Line, r, "router_id must be an IPv4 address: BGP identifiers are 32 bits")
				}
				b.RouterID = a
			}
		case "listen_port":
			if x, ok := d.integer(v, r, 0, 65535); ok {
				b.ListenPort = int(x)
			}
		case "canaries":
			b.Canaries = d.prefixes(v, r)
		case "route_settle":
			if x, ok := d.duration(v, r, time.Second, ""); ok {
				b.RouteSettle = x
			}
		case "peers":
			d.peerList(v, r)
		default:
			d.unknown(k, p, bgpKeys)
		}
	})
	if !ok {
		return
	}
	if len(b.Peers) > 0 && b.LocalAS == 0 {
		if !hasLocalAS {
			d.missing(b.Line, p.k("local_as"), "bgp has peers but no local_as: give vigie's AS number (or remove the peers to disable BGP)")
		} else if asOK {
			d.errf(b.Line, p.k("local_as"), "local_as 0 disables BGP, but peers are declared: give vigie's AS number or remove the peers")
		}
	}
	if b.LocalAS != 0 && !hasRouterID {
		d.missing(b.Line, p.k("router_id"), "missing router_id: give vigie's BGP identifier, an IPv4 address such as its loopback")
	}
}

func (d *decoder) peerList(n *yaml.Node, p fpath) {
	seen := map[netip.Addr]int{}
	d.list(n, p, "[{device: rr-1, address: 192.0.2.1, remote_as: 65000}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		x := BGPPeer{Line: item.Line, Port: 179, Families: []string{FamilyIPv4Unicast}}
		var hasDevice, hasAddr, hasAS bool
		ok := d.fields(item, q, "a BGP peer", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "device":
				hasDevice = true
				var found bool
				if x.Device, _, found = d.deviceRef(v, r); !found {
					d.errf(v.Line, r, "BGP peer on unknown device %q (declare it under devices:)", x.Device)
				}
			case "address":
				x.Address, _ = d.addr(v, r)
				hasAddr = true
			case "remote_as":
				hasAS = true
				if a, ok := d.integer(v, r, 1, math.MaxUint32); ok {
					x.RemoteAS = uint32(a)
				}
			case "local_address":
				x.LocalAddress, _ = d.addr(v, r)
			case "port":
				if a, ok := d.integer(v, r, 1, 65535); ok {
					x.Port = int(a)
				}
			case "families":
				x.Families = d.enums(v, r, "[ipv4-unicast]", "address family", BGPFamilies)
			case "password":
				x.Password, _ = d.secret(v, r)
			case "max_prefixes":
				if a, ok := d.integer(v, r, 0, math.MaxUint32); ok {
					x.MaxPrefixes = uint32(a)
				}
			case "ttl_security":
				if a, ok := d.integer(v, r, 0, 255); ok {
					x.TTLSecurity = int(a)
				}
			case "add_path":
				x.AddPath, _ = d.boolean(v, r)
			case "passive":
				x.Passive, _ = d.boolean(v, r)
			default:
				d.unknown(k, q, peerKeys)
			}
		})
		if !ok {
			return
		}
		if !hasDevice {
			d.missing(x.Line, q.k("device"), "missing device: name the router this session is with")
		}
		if !hasAddr {
			d.missing(x.Line, q.k("address"), "missing address: give the router's BGP address")
		}
		if !hasAS {
			d.missing(x.Line, q.k("remote_as"), "missing remote_as: give the router's AS number")
		}
		if len(x.Families) == 0 {
			d.errf(x.Line, q.k("families"), "no address family: list at least one of %s", joinWords(BGPFamilies))
		}
		if x.Address.IsValid() {
			if j, dup := seen[x.Address]; dup {
				d.errf(x.Line, q.k("address"), "duplicate BGP peer %s (first declared at line %d): one session per address", x.Address, d.inv.BGP.Peers[j].Line)
				return
			}
			seen[x.Address] = len(d.inv.BGP.Peers)
		}
		d.inv.BGP.Peers = append(d.inv.BGP.Peers, x)
	})
}
