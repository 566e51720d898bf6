// Package labgen writes the lab topologies of lab/ (the containerlab file,
// each router's FRR and snmpd configuration, and the matching vigie
// inventory) from one small description per lab, so that the addresses,
// BGP sessions, LLDP-visible links and inventory can never disagree. The
// files are committed; `go test ./lab/internal/labgen -update` rewrites
// them after a change here, and the test fails when they are stale.
package labgen

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// RIEAS is the RIE's own AS in the labs; sites and partners use private ASes.
const RIEAS = 65000

// VigieAS is the AS of vigie's listen-only BGP speaker in the mgmt namespace.
const VigieAS = 65099

// Node kinds: what a node stands for, which decides its configuration.
const (
	KBackbone = "backbone" // P router; RR when Node.RR
	KDC       = "dc"       // datacentre edge
	KPFAI     = "pfai"
	KPFS      = "pfs"
	KAgg      = "agg"
	KSite     = "site"     // site CE, eBGP to its aggregation
	KUpstream = "upstream" // internet stand-in: default route and internet prefixes
	KPartner  = "partner"  // TESTA, RENATER stand-ins
)

// Node is one router of a lab design.
type Node struct {
	Name string
	Kind string
	RR   bool
	// AS is the node's AS for sites and stand-ins (0 = RIEAS).
	AS uint32
	// Announce lists prefixes the node originates (a site's LAN, a
	// datacentre's networks, internet prefixes).
	Announce []string
	// DefaultOriginate makes an upstream announce 0.0.0.0/0.
	DefaultOriginate bool
	// Inventory placement: region, and the PoP, datacentre or site it stands in.
	Region, PoP, DC, Site string
	// Community tags the routes learnt from a partner (PFS segmentation).
	Community string

	lo netip.Addr
}

// Link is one cable of a lab design; Tech and SRLGs feed the inventory.
type Link struct {
	A, B        string // "node:ethN"
	Tech        string
	SRLGs       []string
	Internet    bool
	DelayMS     int
	ViaInternet bool // an access tunnelled over the internet (modelled as a flagged link)

	net netip.Prefix
}

// Site is the inventory's view of a site whose CE is a lab node.
type Site struct {
	ID, Name, Region, Protection string
	CE                           string
	Overseas                     bool
}

// Design is one lab.
type Design struct {
	Name       string
	Comment    string
	MgmtSubnet string
	Regions    [][3]string // id, name, overseas ("true"/"")
	PoPs       [][3]string // id, name, region
	DCs        [][3]string
	Nodes      []*Node
	Links      []*Link
	Sites      []Site
	// Interconnects: id, name, kind, node:if, vrf.
	Interconnects [][5]string

	byName map[string]*Node
}

func (d *Design) prepare() error {
	d.byName = map[string]*Node{}
	for i, n := range d.Nodes {
		if d.byName[n.Name] != nil {
			return fmt.Errorf("labgen: %s: node %s twice", d.Name, n.Name)
		}
		d.byName[n.Name] = n
		n.lo = netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
	}
	for i, l := range d.Links {
		for _, e := range []string{l.A, l.B} {
			node, _, _ := strings.Cut(e, ":")
			if d.byName[node] == nil {
				return fmt.Errorf("labgen: %s: link %s-%s: unknown node %s", d.Name, l.A, l.B, node)
			}
		}
		b := i * 4
		l.net = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 254, byte(b >> 8), byte(b)}), 30)
	}
	return nil
}

func (n *Node) as() uint32 {
	if n.AS != 0 {
		return n.AS
	}
	return RIEAS
}

func (n *Node) inRIE() bool { return n.AS == 0 }

// runsAgents says whether the node is an RIE device vigie polls: it then
// runs snmpd and lldpd. Stand-ins for the outside world run FRR only.
func (n *Node) runsAgents() bool { return n.Kind != KUpstream && n.Kind != KPartner }

func split(e string) (string, string) { a, b, _ := strings.Cut(e, ":"); return a, b }

// end returns, for a link and one of its nodes, the local interface, the
// local and remote addresses and the far node.
func (d *Design) end(l *Link, node string) (ifname string, local, remote netip.Addr, far *Node) {
	an, ai := split(l.A)
	bn, bi := split(l.B)
	a1 := l.net.Addr().Next()
	a2 := a1.Next()
	if an == node {
		return ai, a1, a2, d.byName[bn]
	}
	return bi, a2, a1, d.byName[an]
}

// vrfOf returns the VRF an interconnect puts node:ifname in ("" for none),
// with the RD and route target its routes carry (the partner's community).
func (d *Design) vrfOf(node, ifname string) (vrf, rd string) {
	for _, x := range d.Interconnects {
		if x[3] != node+":"+ifname || x[4] == "" {
			continue
		}
		for _, l := range d.linksOf(node) {
			if i, _, _, far := d.end(l, node); i == ifname && far.Community != "" {
				return x[4], far.Community
			}
		}
	}
	return "", ""
}

// hasVRFs says whether the node runs VRFs (as network namespaces: this
// project's kernel has no VRF devices).
func (d *Design) hasVRFs(n *Node) bool {
	for _, l := range d.linksOf(n.Name) {
		if i, _, _, _ := d.end(l, n.Name); i != "" {
			if v, _ := d.vrfOf(n.Name, i); v != "" {
				return true
			}
		}
	}
	return false
}

func (d *Design) linksOf(node string) []*Link {
	var out []*Link
	for _, l := range d.Links {
		an, _ := split(l.A)
		bn, _ := split(l.B)
		if an == node || bn == node {
			out = append(out, l)
		}
	}
	return out
}

func (d *Design) mgmtAddr(i int) netip.Addr {
	p := netip.MustParsePrefix(d.MgmtSubnet)
	a := p.Addr().Next() // .1 is the mgmt bridge
	for range i + 1 {
		a = a.Next()
	}
	return a
}

func (d *Design) mgmtGateway() netip.Addr { return netip.MustParsePrefix(d.MgmtSubnet).Addr().Next() }

// Files returns every file of the lab, by path relative to the lab's folder.
func (d *Design) Files() (map[string]string, error) {
	if err := d.prepare(); err != nil {
		return nil, err
	}
	files := map[string]string{
		"daemons":     daemonsFile(true),
		"daemons-bgp": daemonsFile(false),
		"lldpd.conf": "# Shared by every node: LLDP every 5 s so that the lab converges fast.\n" +
			"# vigie-lab also sets each node's system name (all namespaces share one hostname).\n" +
			"configure lldp tx-interval 5\n",
	}
	files[d.Name+".clab.yml"] = d.clab()
	for i, n := range d.Nodes {
		files[filepath.Join(n.Name, "frr.conf")] = d.frr(n)
		if n.runsAgents() {
			files[filepath.Join(n.Name, "snmpd.conf")] = d.snmpd(n, i)
		}
	}
	files["vigie.yml"] = d.inventory()
	return files, nil
}

// Write writes the lab's files under dir.
func (d *Design) Write(dir string) error {
	files, err := d.Files()
	if err != nil {
		return err
	}
	for rel, body := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func daemonsFile(ospf bool) string {
	o := "no"
	if ospf {
		o = "yes"
	}
	return fmt.Sprintf(`# FRR daemons to start (read by containerlab's FRR images and by vigie-lab).
# -M snmp loads FRR's AgentX support (package frr-snmp): the BGP4-MIB then
# answers through the node's snmpd.
zebra=yes
bgpd=yes
ospfd=%s
staticd=yes
vtysh_enable=yes
zebra_options="  -A 127.0.0.1 -s 90000000 -M snmp"
bgpd_options="   -A 127.0.0.1 -M snmp"
ospfd_options="  -A 127.0.0.1 -M snmp"
staticd_options="-A 127.0.0.1"
`, o)
}

func (d *Design) clab() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n#\n# Generated by lab/internal/labgen (go test ./lab/internal/labgen -update):\n# edit the design there, not this file.\n", d.Comment)
	fmt.Fprintf(&b, "name: %s\n\nmgmt:\n  network: vlab-%s\n  ipv4-subnet: %s\n\n", d.Name, d.Name, d.MgmtSubnet)
	b.WriteString("topology:\n  defaults:\n    kind: linux\n    image: vigie-lab-frr:latest\n")
	b.WriteString("  groups:\n")
	b.WriteString("    rie-ospf:\n      binds:\n        - daemons:/etc/frr/daemons\n        - lldpd.conf:/etc/lldpd.conf\n")
	b.WriteString("    rie-edge:\n      binds:\n        - daemons-bgp:/etc/frr/daemons\n        - lldpd.conf:/etc/lldpd.conf\n")
	b.WriteString("    outside:\n      binds:\n        - daemons-bgp:/etc/frr/daemons\n      labels:\n        vigie.role: outside\n")
	b.WriteString("  nodes:\n")
	for i, n := range d.Nodes {
		group := "rie-ospf"
		switch {
		case n.Kind == KSite:
			group = "rie-edge"
		case !n.runsAgents():
			group = "outside"
		}
		fmt.Fprintf(&b, "    %s:\n      group: %s\n      mgmt-ipv4: %s\n", n.Name, group, d.mgmtAddr(i))
		b.WriteString("      binds:\n")
		fmt.Fprintf(&b, "        - %s/frr.conf:/etc/frr/frr.conf\n", n.Name)
		if n.runsAgents() {
			fmt.Fprintf(&b, "        - %s/snmpd.conf:/etc/snmp/snmpd.conf\n", n.Name)
		}
		role := n.Kind
		if n.Kind == KUpstream {
			role = "internet"
		}
		fmt.Fprintf(&b, "      labels:\n        vigie.role: %s\n", role)
		for _, kv := range d.labels(n) {
			fmt.Fprintf(&b, "        %s: %s\n", kv[0], yamlString(kv[1]))
		}
	}
	b.WriteString("  links:\n")
	for _, l := range d.Links {
		fmt.Fprintf(&b, "    - endpoints: [\"%s\", \"%s\"]\n", l.A, l.B)
		var vars []string
		if len(l.SRLGs) > 0 {
			vars = append(vars, fmt.Sprintf("srlg: [%s]", strings.Join(l.SRLGs, ", ")))
		}
		if l.Internet || l.ViaInternet {
			vars = append(vars, "internet: true")
		}
		if l.Tech != "" && l.Tech != "fibre" {
			vars = append(vars, "technology: "+l.Tech)
		}
		if l.DelayMS > 0 {
			vars = append(vars, fmt.Sprintf("netem: {delay: %dms, jitter: %dms}", l.DelayMS, max(1, l.DelayMS/20)))
		}
		if len(vars) > 0 {
			fmt.Fprintf(&b, "      vars: {%s}\n", strings.Join(vars, ", "))
		}
	}
	return b.String()
}

// labels are the node labels `vigie-lab inventory` reads (docs/lab.md), so
// that the inventory written from the clab file alone equals vigie.yml.
func (d *Design) labels(n *Node) [][2]string {
	var out [][2]string
	add := func(k, v string) { out = append(out, [2]string{k, v}) }
	region := func(id string) {
		for _, r := range d.Regions {
			if r[0] == id {
				add("vigie.region", id)
				add("vigie.region-name", r[1])
				if r[2] != "" {
					add("vigie.overseas", "true")
				}
			}
		}
	}
	place := func(kind, id string, places [][3]string) {
		for _, p := range places {
			if p[0] == id {
				add("vigie."+kind, id)
				add("vigie."+kind+"-name", p[1])
				region(p[2])
			}
		}
	}
	switch {
	case n.Kind == KSite:
		for _, s := range d.Sites {
			if s.CE == n.Name {
				add("vigie.site", s.ID)
				add("vigie.site-name", s.Name)
				add("vigie.protection", s.Protection)
				add("vigie.prefixes", strings.Join(n.Announce, ","))
				region(s.Region)
			}
		}
	case n.DC != "":
		place("datacentre", n.DC, d.DCs)
		if n.Kind == KDC && len(n.Announce) > 0 {
			// What rehearse reaches from each site (its first address
			// sits on the node's loopback).
			add("vigie.prefixes", strings.Join(n.Announce, ","))
		}
	case n.PoP != "":
		place("pop", n.PoP, d.PoPs)
	case !n.runsAgents():
		for _, x := range d.Interconnects {
			for _, l := range d.Links {
				if (l.A == x[3] && strings.HasPrefix(l.B, n.Name+":")) || (l.B == x[3] && strings.HasPrefix(l.A, n.Name+":")) {
					add("vigie.interconnect", x[0])
					add("vigie.interconnect-kind", x[2])
					add("vigie.name", x[1])
					if x[4] != "" {
						add("vigie.vrf-name", x[4])
					}
					if dev, ifn := split(x[3]); x[4] != "" {
						if v, rd := d.vrfOf(dev, ifn); v != "" {
							add("vigie.vrf-rd", rd)
							add("vigie.prefixes", strings.Join(n.Announce, ","))
						}
					}
				}
			}
		}
		if n.Kind == KUpstream {
			add("vigie.canaries", strings.Join(canaries, ","))
		}
	}
	if n.RR {
		add("vigie.bgp-peer", fmt.Sprint(RIEAS))
	}
	for _, l := range d.linksOf(n.Name) {
		i, _, _, _ := d.end(l, n.Name)
		if v, _ := d.vrfOf(n.Name, i); v != "" {
			add("vigie.netns-vrf."+v, i)
		}
	}
	return out
}

// canaries are the internet prefixes both upstream stand-ins announce,
// which vigie watches as the internet's canaries.
var canaries = []string{"198.18.0.0/24", "198.18.1.0/24"}

// yamlString quotes a label value whenever YAML could read it as something
// else than a string.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":,#'\"{}[]&*!|>%@`") || s == "true" || s == "false" || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 || s != strings.TrimSpace(s) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func (d *Design) snmpd(n *Node, i int) string {
	return fmt.Sprintf(`# net-snmp agent of %[1]s. AgentX over TCP on the node's own loopback:
# FRR (BGP4-MIB) and lldpd (LLDP-MIB) register here, and every node has its own.
agentAddress udp:161
master agentx
agentXSocket tcp:127.0.0.1:705
sysName %[1]s
sysLocation vigie lab %[2]s
sysContact vigie-lab
sysServices 72
# Lab credentials (public, lab only): v2c for quick walks, v3 authPriv as vigie polls.
rocommunity vigie-lab %[3]s
createUser vigie SHA "vigie-lab-auth" AES "vigie-lab-priv"
rouser vigie priv
`, n.Name, d.Name, d.MgmtSubnet) + d.snmpdNotifications()
}

// snmpdNotifications makes a node's snmpd tell vigie, in the mgmt
// namespace, when one of its links goes down or up (docs/traps.md): the
// DisMan monitor reads ifOperStatus every second (internal queries as a
// user of their own, as `rouser vigie priv` refuses the authNoPriv they
// make) and sends IF-MIB linkDown/linkUp as SNMPv3 authPriv traps, with
// the user vigie polls with, from the node's mgmt address. With no vigie
// listening on port 162 they are dropped at the namespace's door.
func (d *Design) snmpdNotifications() string {
	return fmt.Sprintf(`# SNMP notifications to vigie in the mgmt namespace (vigie run --snmp.trap-listen-address %[1]s:162).
createUser vigie-iquery SHA "vigie-lab-iquery"
rouser vigie-iquery auth
iquerySecName vigie-iquery
trapsess -v 3 -u vigie -l authPriv -a SHA -A vigie-lab-auth -x AES -X vigie-lab-priv %[1]s:162
notificationEvent vigieLinkDown .1.3.6.1.6.3.1.1.5.3 .1.3.6.1.2.1.2.2.1.1 .1.3.6.1.2.1.2.2.1.7 .1.3.6.1.2.1.2.2.1.8
notificationEvent vigieLinkUp .1.3.6.1.6.3.1.1.5.4 .1.3.6.1.2.1.2.2.1.1 .1.3.6.1.2.1.2.2.1.7 .1.3.6.1.2.1.2.2.1.8
monitor -r 1 -e vigieLinkDown "linkDown" .1.3.6.1.2.1.2.2.1.8 == 2
monitor -r 1 -e vigieLinkUp "linkUp" .1.3.6.1.2.1.2.2.1.8 == 1
`, d.mgmtGateway())
}

func (d *Design) frr(n *Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "! %s (%s) of lab %s. Generated by lab/internal/labgen.\nfrr defaults traditional\nhostname %s\nno ipv6 forwarding\nservice integrated-vtysh-config\n!\n", n.Name, n.Kind, d.Name, n.Name)
	if n.runsAgents() {
		b.WriteString("agentx\n!\n")
	}
	ospf := n.inRIE() && n.Kind != KSite
	fmt.Fprintf(&b, "interface lo\n ip address %s/32\n", n.lo)
	// The first address of each announced prefix answers, so that the lab
	// checks reachability with real packets (a site's LAN to a datacentre's).
	for _, p := range n.Announce {
		fmt.Fprintf(&b, " ip address %s/32\n", netip.MustParsePrefix(p).Addr().Next())
	}
	if ospf {
		b.WriteString(" ip ospf area 0\n")
	}
	b.WriteString("!\n")
	type nbr struct {
		addr   netip.Addr
		as     uint32
		desc   string
		client bool
		ebgp   bool
	}
	var nbrs []nbr
	type vrfNbr struct {
		nbr
		vrf, rd string
		local   netip.Addr
	}
	var vrfNbrs []vrfNbr
	if d.hasVRFs(n) {
		for _, l := range d.linksOf(n.Name) {
			if i, _, _, _ := d.end(l, n.Name); func() bool { v, _ := d.vrfOf(n.Name, i); return v != "" }() {
				v, _ := d.vrfOf(n.Name, i)
				fmt.Fprintf(&b, "! A VRF as a network namespace (vigie-lab's vigie.netns-vrf label, zebra -n).\nvrf %s\nexit-vrf\n!\n", v)
			}
		}
	}
	for _, l := range d.linksOf(n.Name) {
		ifn, local, remote, far := d.end(l, n.Name)
		if v, rd := d.vrfOf(n.Name, ifn); v != "" {
			fmt.Fprintf(&b, "interface %s vrf %s\n description to %s\n ip address %s/30\n!\n", ifn, v, far.Name, local)
			vrfNbrs = append(vrfNbrs, vrfNbr{nbr{addr: remote, as: far.as(), desc: far.Name, ebgp: true}, v, rd, local})
			continue
		}
		fmt.Fprintf(&b, "interface %s\n description to %s\n ip address %s/30\n", ifn, far.Name, local)
		igp := ospf && far.inRIE() && far.Kind != KSite
		if igp {
			b.WriteString(" ip ospf area 0\n ip ospf network point-to-point\n ip ospf hello-interval 2\n ip ospf dead-interval 8\n")
		}
		b.WriteString("!\n")
		if n.as() != far.as() {
			nbrs = append(nbrs, nbr{addr: remote, as: far.as(), desc: far.Name, ebgp: true})
		}
	}
	// iBGP over loopbacks: route reflectors peer with each other and with
	// every other RIE router; clients peer with both reflectors.
	if ospf {
		for _, o := range d.Nodes {
			if o == n || !o.inRIE() || o.Kind == KSite {
				continue
			}
			switch {
			case n.RR && o.RR:
				nbrs = append(nbrs, nbr{addr: o.lo, as: RIEAS, desc: o.Name})
			case n.RR:
				nbrs = append(nbrs, nbr{addr: o.lo, as: RIEAS, desc: o.Name, client: true})
			case o.RR:
				nbrs = append(nbrs, nbr{addr: o.lo, as: RIEAS, desc: o.Name})
			}
		}
	}
	for _, p := range n.Announce {
		fmt.Fprintf(&b, "ip route %s blackhole\n", p)
	}
	if len(n.Announce) > 0 {
		b.WriteString("!\n")
	}
	if ospf {
		fmt.Fprintf(&b, "router ospf\n ospf router-id %s\n passive-interface lo\n!\n", n.lo)
	}
	fmt.Fprintf(&b, "router bgp %d\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp network import-check\n bgp log-neighbor-changes\n", n.as(), n.lo)
	if n.RR {
		fmt.Fprintf(&b, " bgp cluster-id %s\n", d.firstRR().lo)
	}
	for _, x := range nbrs {
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s description %s\n neighbor %s timers 3 9\n neighbor %s timers connect 5\n", x.addr, x.as, x.addr, x.desc, x.addr, x.addr)
		if !x.ebgp {
			fmt.Fprintf(&b, " neighbor %s update-source lo\n", x.addr)
		}
	}
	if n.RR {
		// vigie's listen-only speaker connects from the mgmt namespace.
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s description vigie\n neighbor %s passive\n", d.mgmtGateway(), VigieAS, d.mgmtGateway(), d.mgmtGateway())
	}
	b.WriteString(" !\n address-family ipv4 unicast\n")
	if n.inRIE() && n.Kind != KSite {
		fmt.Fprintf(&b, "  network %s/32\n", n.lo)
	}
	for _, p := range n.Announce {
		fmt.Fprintf(&b, "  network %s\n", p)
	}
	for _, x := range nbrs {
		if x.client {
			fmt.Fprintf(&b, "  neighbor %s route-reflector-client\n", x.addr)
		}
		if !x.ebgp && !n.RR {
			fmt.Fprintf(&b, "  neighbor %s next-hop-self\n", x.addr)
		}
		if n.DefaultOriginate && x.ebgp {
			fmt.Fprintf(&b, "  neighbor %s default-originate\n", x.addr)
		}
		if x.ebgp && d.byName[x.desc] != nil && d.byName[x.desc].Community != "" {
			fmt.Fprintf(&b, "  neighbor %s route-map from-%s in\n", x.addr, x.desc)
		}
	}
	if n.RR {
		fmt.Fprintf(&b, "  neighbor %s route-map vigie-deny out\n", d.mgmtGateway())
	}
	b.WriteString(" exit-address-family\n")
	// VPNv4 carries the PFS's VRFs to the route reflectors, and from them
	// to vigie.
	if vpn := d.vpnNeighbours(n); len(vpn) > 0 {
		b.WriteString(" !\n address-family ipv4 vpn\n")
		for _, x := range nbrs {
			if !x.ebgp && slices.Contains(vpn, x.desc) {
				fmt.Fprintf(&b, "  neighbor %s activate\n", x.addr)
				if x.client {
					fmt.Fprintf(&b, "  neighbor %s route-reflector-client\n", x.addr)
				}
			}
		}
		if n.RR {
			fmt.Fprintf(&b, "  neighbor %s activate\n  neighbor %s route-map vigie-deny out\n", d.mgmtGateway(), d.mgmtGateway())
		}
		b.WriteString(" exit-address-family\n")
	}
	b.WriteString("!\n")
	for _, x := range vrfNbrs {
		fmt.Fprintf(&b, "router bgp %d vrf %s\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp network import-check\n bgp log-neighbor-changes\n", n.as(), x.vrf, x.local)
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s description %s\n neighbor %s timers 3 9\n neighbor %s timers connect 5\n", x.addr, x.as, x.addr, x.desc, x.addr, x.addr)
		fmt.Fprintf(&b, " !\n address-family ipv4 unicast\n  neighbor %s route-map from-%s in\n  label vpn export auto\n  rd vpn export %s\n  rt vpn both %s\n  export vpn\n  import vpn\n exit-address-family\n!\n", x.addr, x.desc, x.rd, x.rd)
		nbrs = append(nbrs, x.nbr) // for the route map below
	}
	for _, x := range nbrs {
		if p := d.byName[x.desc]; x.ebgp && p != nil && p.Community != "" {
			fmt.Fprintf(&b, "! Partner routes are tagged with the partner's community (in a VRF, also its\n! RD and route target).\nroute-map from-%s permit 10\n set community %s additive\n!\n", p.Name, p.Community)
		}
	}
	if n.RR {
		b.WriteString("! vigie only listens, but it needs the table: send everything, accept nothing.\nroute-map vigie-deny permit 10\n!\n")
	}
	b.WriteString("line vty\n!\n")
	return b.String()
}

// vpnNeighbours lists the iBGP neighbours of n that carry VPNv4: a node
// with VRFs and the route reflectors exchange it ("" when none).
func (d *Design) vpnNeighbours(n *Node) []string {
	var pe []*Node
	for _, o := range d.Nodes {
		if d.hasVRFs(o) {
			pe = append(pe, o)
		}
	}
	if len(pe) == 0 || (!n.RR && !d.hasVRFs(n)) {
		return nil
	}
	var out []string
	for _, o := range d.Nodes {
		if o != n && (o.RR || (n.RR && d.hasVRFs(o))) {
			out = append(out, o.Name)
		}
	}
	return out
}

func (d *Design) firstRR() *Node {
	for _, n := range d.Nodes {
		if n.RR {
			return n
		}
	}
	return d.Nodes[0]
}

func (d *Design) role(n *Node) string {
	switch n.Kind {
	case KBackbone, KDC:
		return "backbone"
	case KPFAI:
		return "pfai"
	case KPFS:
		return "pfs"
	}
	return "collection"
}

func (d *Design) inventory() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# vigie inventory of the lab %s: the same routers, links and sites as\n# %s.clab.yml, as vigie sees them from the lab's mgmt namespace.\n# Generated by lab/internal/labgen. Run with VIGIE_LAB_AUTH=vigie-lab-auth\n# VIGIE_LAB_PRIV=vigie-lab-priv (the lab's public credentials).\n\n", d.Name, d.Name)
	b.WriteString("agent:\n  listen: \"127.0.0.1:9742\"\n  history: 24h\n\npolling:\n  intervals: {collection: 10s, backbone: 10s, pfai: 10s, pfs: 10s}\n  workers: 16\n\n")
	b.WriteString("snmp_profiles:\n  - name: default\n    version: 3\n    username: vigie\n    auth_protocol: SHA\n    auth_password: {env: VIGIE_LAB_AUTH}\n    priv_protocol: AES\n    priv_password: {env: VIGIE_LAB_PRIV}\n    timeout: 1s\n    retries: 1\n\n")
	b.WriteString("regions:\n")
	for _, r := range d.Regions {
		if r[2] != "" {
			fmt.Fprintf(&b, "  - {id: %s, name: %q, overseas: true}\n", r[0], r[1])
		} else {
			fmt.Fprintf(&b, "  - {id: %s, name: %q}\n", r[0], r[1])
		}
	}
	if len(d.DCs) > 0 {
		b.WriteString("\ndatacentres:\n")
		for _, x := range d.DCs {
			fmt.Fprintf(&b, "  - {id: %s, name: %q, region: %s}\n", x[0], x[1], x[2])
		}
	}
	b.WriteString("\npops:\n")
	for _, x := range d.PoPs {
		fmt.Fprintf(&b, "  - {id: %s, name: %q, region: %s}\n", x[0], x[1], x[2])
	}
	b.WriteString("\ndevices:\n")
	for i, n := range d.Nodes {
		if !n.runsAgents() {
			continue
		}
		place := ""
		switch {
		case n.Site != "":
			place = "site: " + n.Site
		case n.DC != "":
			place = "datacentre: " + n.DC
		default:
			place = "pop: " + n.PoP
		}
		fmt.Fprintf(&b, "  - {name: %s, role: %s, %s, address: %s}\n", n.Name, d.role(n), place, d.mgmtAddr(i))
	}
	b.WriteString("\nsites:\n")
	for _, s := range d.Sites {
		ce := d.byName[s.CE]
		fmt.Fprintf(&b, "  - id: %s\n    name: %q\n    region: %s\n", s.ID, s.Name, s.Region)
		if s.Overseas {
			b.WriteString("    overseas: true\n")
		}
		fmt.Fprintf(&b, "    protection: %s\n    prefixes: [%s]\n    access:\n", s.Protection, strings.Join(ce.Announce, ", "))
		for _, l := range d.linksOf(s.CE) {
			ifn, _, _, far := d.end(l, s.CE)
			farIf, _, _, _ := d.end(l, far.Name)
			fmt.Fprintf(&b, "      - {technology: %s, router: %s, router_interface: %s, device: %s, interface: %s", l.Tech, s.CE, ifn, far.Name, farIf)
			if len(l.SRLGs) > 0 {
				fmt.Fprintf(&b, ", srlgs: [%s]", strings.Join(l.SRLGs, ", "))
			}
			if l.ViaInternet {
				b.WriteString(", via_internet: true")
			}
			b.WriteString("}\n")
		}
	}
	b.WriteString("\nlinks:\n")
	for _, l := range d.Links {
		an, ai := split(l.A)
		bn, bi := split(l.B)
		na, nb := d.byName[an], d.byName[bn]
		if na.Kind == KSite || nb.Kind == KSite || !na.runsAgents() || !nb.runsAgents() {
			continue // site accesses are under sites:, outside links under interconnects:
		}
		fmt.Fprintf(&b, "  - {a: {device: %s, interface: %s}, b: {device: %s, interface: %s}, technology: %s", an, ai, bn, bi, l.Tech)
		if len(l.SRLGs) > 0 {
			fmt.Fprintf(&b, ", srlgs: [%s]", strings.Join(l.SRLGs, ", "))
		}
		b.WriteString("}\n")
	}
	// The VRFs the PFS runs, named from the RD their VPNv4 routes carry.
	var vrfs []string
	for _, x := range d.Interconnects {
		dev, ifn := split(x[3])
		if v, rd := d.vrfOf(dev, ifn); v != "" {
			vrfs = append(vrfs, fmt.Sprintf("  - {name: %s, rd: [%q]}\n", v, rd))
		}
	}
	if len(vrfs) > 0 {
		b.WriteString("\nvrfs:\n" + strings.Join(vrfs, ""))
	}
	if len(d.Interconnects) > 0 {
		b.WriteString("\ninterconnects:\n")
		for _, x := range d.Interconnects {
			dev, ifn := split(x[3])
			fmt.Fprintf(&b, "  - {id: %s, name: %q, kind: %s, device: %s, interface: %s", x[0], x[1], x[2], dev, ifn)
			if x[4] != "" {
				fmt.Fprintf(&b, ", vrf: %s", x[4])
			}
			// In a real VRF, vigie judges the partner by its prefixes too.
			if v, _ := d.vrfOf(dev, ifn); v != "" {
				for _, l := range d.linksOf(dev) {
					if i, _, _, far := d.end(l, dev); i == ifn && len(far.Announce) > 0 {
						fmt.Fprintf(&b, ", prefixes: [%s]", strings.Join(far.Announce, ", "))
					}
				}
			}
			b.WriteString("}\n")
		}
	}
	families := ""
	if len(vrfs) > 0 {
		families = ", families: [ipv4-unicast, l3vpn-ipv4-unicast]"
	}
	var rrs []string
	for i, n := range d.Nodes {
		if n.RR {
			rrs = append(rrs, fmt.Sprintf("    - {device: %s, address: %s, remote_as: %d%s}\n", n.Name, d.mgmtAddr(i), RIEAS, families))
		}
	}
	sort.Strings(rrs)
	fmt.Fprintf(&b, "\nbgp:\n  local_as: %d\n  router_id: %s\n  canaries: [%s]\n  peers:\n%s", VigieAS, d.mgmtGateway(), strings.Join(canaries, ", "), strings.Join(rrs, ""))
	return b.String()
}
