// This file writes the vigie inventory of a lab from the lab's own file, so
// that a planner never writes it by hand: roles, places (regions, PoPs,
// datacentres, sites) and BGP peers from node labels, technologies and
// shared risks from link vars, addresses from the management network, and
// the SNMP credentials from the nodes' bound snmpd.conf. containerlab
// accepts labels and link vars and ignores them; docs/lab.md lists them.

package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// Node labels read by Inventory (beside vigie.role, which Cut reads too).
const (
	LabelRegion           = "vigie.region"            // region id of the node's place
	LabelRegionName       = "vigie.region-name"       // its name (default: the id)
	LabelOverseas         = "vigie.overseas"          // "true": the region is overseas
	LabelPoP              = "vigie.pop"               // PoP id: the node stands in a PoP
	LabelPoPName          = "vigie.pop-name"          //
	LabelDatacentre       = "vigie.datacentre"        // datacentre id
	LabelDatacentreName   = "vigie.datacentre-name"   //
	LabelSite             = "vigie.site"              // site id: the node is the site's CE (role site)
	LabelSiteName         = "vigie.site-name"         //
	LabelProtection       = "vigie.protection"        // the site's designed protection
	LabelPrefixes         = "vigie.prefixes"          // the site's prefixes, comma-separated
	LabelBGPPeer          = "vigie.bgp-peer"          // remote AS: vigie peers with the node
	LabelInterconnect     = "vigie.interconnect"      // on an internet or partner node: the interconnect id
	LabelInterconnectKind = "vigie.interconnect-kind" // internet, testa, renater, partner
	LabelName             = "vigie.name"              // the interconnect's name
	LabelVRF              = "vigie.vrf-name"          // the interconnect's VRF
	LabelVRFRD            = "vigie.vrf-rd"            // on a partner node: the RD of its VRF's VPN routes (with vigie.prefixes: what it announces)
	LabelCanaries         = "vigie.canaries"          // on an internet node: canary prefixes, comma-separated
)

// Defaults of the generated inventory that no label gives.
const (
	// InventoryAS is vigie's own AS in a lab (its listen-only BGP speaker).
	InventoryAS = 65099
	// InventoryListen is where the generated inventory's vigie serves.
	InventoryListen = "127.0.0.1:9742"
	// Environment variables holding the lab's SNMPv3 passwords.
	EnvAuth = "VIGIE_LAB_AUTH"
	EnvPriv = "VIGIE_LAB_PRIV"
	// defaultRegion and defaultPoP place devices that have no place label.
	defaultRegion = "lab"
	defaultPoP    = "pop-lab"
)

// deviceRoles maps the vigie.role label to the inventory's role; the other
// roles (internet, partner, outside) are not vigie's devices.
var deviceRoles = map[string]inventory.Role{
	"backbone": inventory.RoleBackbone, "dc": inventory.RoleBackbone, "pfai": inventory.RolePFAI,
	"pfs": inventory.RolePFS, "agg": inventory.RoleCollection, "site": inventory.RoleCollection,
	// A router without a role (a planner's file, containerlab's examples).
	"": inventory.RoleBackbone,
}

// outsideRoles are the nodes beyond the RIE: links to them are
// interconnects, and they are never polled.
var outsideRoles = map[string]inventory.InterconnectKind{
	"internet": inventory.InterconnectInternet, "partner": inventory.InterconnectPartner, "outside": inventory.InterconnectPartner,
}

// LabSecrets are the SNMPv3 passwords the lab's snmpd.conf sets (public,
// lab only): rehearse gives them to vigie through EnvAuth and EnvPriv.
type LabSecrets struct{ Auth, Priv string }

// Inventory returns the vigie inventory of the lab and the SNMP passwords
// its agents use. Errors name the node or link and the label or var to fix.
func (t *Topology) Inventory() (*inventory.Inventory, LabSecrets, error) {
	g := &invGen{t: t, regions: map[string]*inventory.Region{}, pops: map[string]*inventory.PoP{}, dcs: map[string]*inventory.Datacentre{}, sites: map[string]*inventory.Site{}}
	inv, err := g.build()
	return inv, g.secrets, err
}

type invGen struct {
	t       *Topology
	inv     inventory.Inventory
	regions map[string]*inventory.Region
	pops    map[string]*inventory.PoP
	dcs     map[string]*inventory.Datacentre
	sites   map[string]*inventory.Site
	secrets LabSecrets
	profile *inventory.SNMPProfile
	errs    []string
}

func (g *invGen) fail(format string, args ...any) {
	g.errs = append(g.errs, fmt.Sprintf(format, args...))
}

func (g *invGen) region(n *Node) string {
	id := n.Labels[LabelRegion]
	if id == "" {
		id = defaultRegion
	}
	r, ok := g.regions[id]
	if !ok {
		r = &inventory.Region{ID: id, Name: id}
		if id == defaultRegion {
			r.Name = "Lab " + g.t.Name
		}
		g.regions[id] = r
	}
	if name := n.Labels[LabelRegionName]; name != "" {
		r.Name = name
	}
	if n.Labels[LabelOverseas] == "true" {
		r.Overseas = true
	}
	return id
}

func (g *invGen) build() (*inventory.Inventory, error) {
	t := g.t
	inv := &g.inv
	inv.Agent = inventory.Agent{Listen: InventoryListen, History: 24 * time.Hour}
	inv.Polling = inventory.DefaultPolling()
	// A lab is small and its failures are played in minutes: poll often.
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = 10 * time.Second
	}
	inv.Polling.Workers = 16
	for _, n := range t.Nodes {
		g.node(n)
	}
	if g.profile == nil {
		g.fail("no node binds an snmpd.conf (/etc/snmp/snmpd.conf): vigie polls over SNMP, so at least the routers need one")
	} else {
		inv.Profiles = []inventory.SNMPProfile{*g.profile}
	}
	for _, lk := range t.Links {
		g.link(lk)
	}
	for _, id := range sortedKeys(g.regions) {
		inv.Regions = append(inv.Regions, *g.regions[id])
	}
	for _, id := range sortedKeys(g.dcs) {
		inv.Datacentres = append(inv.Datacentres, *g.dcs[id])
	}
	for _, id := range sortedKeys(g.pops) {
		inv.PoPs = append(inv.PoPs, *g.pops[id])
	}
	for _, id := range sortedKeys(g.sites) {
		s := g.sites[id]
		s.Overseas = g.regions[s.Region].Overseas
		if len(s.Access) == 0 {
			g.fail("site %s: no link from its CE to a RIE router", id)
		}
		inv.Sites = append(inv.Sites, *s)
	}
	inv.BGP.LocalAS = InventoryAS
	inv.BGP.RouterID = t.MgmtSubnet.Addr().Next()
	sort.Slice(inv.BGP.Peers, func(i, j int) bool { return inv.BGP.Peers[i].Device < inv.BGP.Peers[j].Device })
	slices.SortFunc(inv.BGP.Canaries, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
	inv.BGP.Canaries = slices.Compact(inv.BGP.Canaries)
	if len(inv.BGP.Peers) == 0 {
		inv.BGP = inventory.BGP{}
	}
	// VRFs reach vigie as VPNv4 routes, through the same sessions.
	if len(inv.VRFs) > 0 {
		for i := range inv.BGP.Peers {
			inv.BGP.Peers[i].Families = []string{inventory.FamilyIPv4Unicast, inventory.FamilyVPNv4}
		}
	}
	if len(g.errs) > 0 {
		return nil, fmt.Errorf("lab: %s: cannot write the inventory:\n  %s\n(labels and link vars: docs/lab.md, \"The lab's inventory\")", t.File, strings.Join(g.errs, "\n  "))
	}
	return inv, nil
}

func (g *invGen) node(n *Node) {
	role := n.Role()
	if _, out := outsideRoles[role]; out {
		for _, p := range splitList(n.Labels[LabelCanaries]) {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				g.fail("node %s: label %s: %q is not a prefix (e.g. 198.18.0.0/24)", n.Name, LabelCanaries, p)
				continue
			}
			g.inv.BGP.Canaries = append(g.inv.BGP.Canaries, pfx)
		}
		return
	}
	ir, ok := deviceRoles[role]
	if !ok {
		g.fail("node %s: label vigie.role: %q is not a role: use backbone, dc, pfai, pfs, agg, site, internet, partner or outside", n.Name, role)
		return
	}
	if n.Binds[bindFRRConf] == "" && role == "" {
		return // a host (containerlab's PCs): not a router vigie polls
	}
	if n.Binds[bindSnmpd] != "" {
		g.snmpProfile(n)
	}
	d := inventory.Device{Name: n.Name, Role: ir, Address: netip.AddrPortFrom(n.MgmtAddr, 161), Profile: inventory.DefaultProfileName}
	region := g.region(n)
	switch {
	case role == "site":
		id := n.Labels[LabelSite]
		if id == "" {
			g.fail("node %s (vigie.role: site): set label %s to the site's id (e.g. S-01)", n.Name, LabelSite)
			return
		}
		prot, ok := inventory.ProtectionNames[n.Labels[LabelProtection]]
		if !ok {
			g.fail("node %s: label %s: %q: use single, backup, dual or diverse (the site's designed protection)", n.Name, LabelProtection, n.Labels[LabelProtection])
		}
		s := &inventory.Site{ID: id, Name: n.Labels[LabelSiteName], Region: region, Protection: prot}
		if s.Name == "" {
			s.Name = id
		}
		for _, p := range splitList(n.Labels[LabelPrefixes]) {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				g.fail("node %s: label %s: %q is not a prefix (e.g. 10.100.1.0/24)", n.Name, LabelPrefixes, p)
				continue
			}
			s.Prefixes = append(s.Prefixes, pfx)
		}
		if _, dup := g.sites[id]; dup {
			g.fail("node %s: site %s has another CE already: one CE node per site", n.Name, id)
		}
		g.sites[id] = s
		d.Site = id
	case n.Labels[LabelDatacentre] != "":
		id := n.Labels[LabelDatacentre]
		if _, ok := g.dcs[id]; !ok {
			g.dcs[id] = &inventory.Datacentre{ID: id, Name: id, Region: region}
		}
		if name := n.Labels[LabelDatacentreName]; name != "" {
			g.dcs[id].Name = name
		}
		d.Datacentre = id
	default:
		id := n.Labels[LabelPoP]
		if id == "" {
			id = defaultPoP
		}
		if _, ok := g.pops[id]; !ok {
			g.pops[id] = &inventory.PoP{ID: id, Name: id, Region: region}
			if id == defaultPoP {
				g.pops[id].Name = "PoP of lab " + g.t.Name
			}
		}
		if name := n.Labels[LabelPoPName]; name != "" {
			g.pops[id].Name = name
		}
		d.PoP = id
	}
	g.inv.Devices = append(g.inv.Devices, d)
	if as := n.Labels[LabelBGPPeer]; as != "" {
		v, err := strconv.ParseUint(as, 10, 32)
		if err != nil || v == 0 {
			g.fail("node %s: label %s: %q is not an AS number (e.g. \"65000\")", n.Name, LabelBGPPeer, as)
			return
		}
		g.inv.BGP.Peers = append(g.inv.BGP.Peers, inventory.BGPPeer{Device: n.Name, Address: n.MgmtAddr, RemoteAS: uint32(v)})
	}
}

// snmpProfile reads the SNMPv3 user (or v2c community) of a node's
// snmpd.conf: every node of a lab must use the same, the generated
// inventory has one profile.
func (g *invGen) snmpProfile(n *Node) {
	p, sec, err := readSnmpdUser(n.Binds[bindSnmpd])
	if err != nil {
		g.fail("node %s: %v", n.Name, err)
		return
	}
	if g.profile == nil {
		g.profile, g.secrets = &p, sec
		return
	}
	if g.profile.Version != p.Version || g.profile.Username != p.Username || g.secrets != sec ||
		g.profile.Community.Value() != p.Community.Value() {
		g.fail("node %s: %s has other SNMP credentials than the lab's other nodes: give every node the same user", n.Name, n.Binds[bindSnmpd])
	}
}

// readSnmpdUser reads `createUser NAME SHA "AUTH" AES "PRIV"` (with a
// `rouser NAME`), else `rocommunity COMMUNITY`, from an snmpd.conf.
func readSnmpdUser(path string) (inventory.SNMPProfile, LabSecrets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return inventory.SNMPProfile{}, LabSecrets{}, err
	}
	p := inventory.DefaultProfile()
	p.Name = inventory.DefaultProfileName
	p.Timeout, p.Retries = time.Second, 1
	community := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 6 && f[0] == "createUser":
			p.Version, p.Username, p.AuthProtocol, p.PrivProtocol = inventory.SNMPv3, f[1], f[2], f[4]
			sec := LabSecrets{Auth: strings.Trim(f[3], `"`), Priv: strings.Trim(f[5], `"`)}
			p.AuthPassword = inventory.NewSecret(sec.Auth, "env:"+EnvAuth)
			p.PrivPassword = inventory.NewSecret(sec.Priv, "env:"+EnvPriv)
			return p, sec, nil
		case len(f) >= 2 && f[0] == "rocommunity" && community == "":
			community = f[1]
		}
	}
	if community != "" {
		p.Version = inventory.SNMPv2c
		p.AuthProtocol, p.PrivProtocol = "", ""
		p.Community = inventory.NewSecret(community, "env:"+EnvAuth)
		return p, LabSecrets{Auth: community}, nil
	}
	return p, LabSecrets{}, fmt.Errorf("%s: no `createUser` (SNMPv3) nor `rocommunity` line: vigie could not poll this node", path)
}

func (g *invGen) link(lk *Link) {
	a, b := g.t.Node(lk.A.Node), g.t.Node(lk.B.Node)
	tech := inventory.Technology(lk.Technology)
	if tech == "" {
		tech = inventory.TechFibre
	}
	if !slices.Contains(inventory.Technologies, tech) {
		g.fail("link %s: var technology: %q: use one of %v", lk, lk.Technology, inventory.Technologies)
		return
	}
	_, aOut := outsideRoles[a.Role()]
	_, bOut := outsideRoles[b.Role()]
	aHost := a.Binds[bindFRRConf] == "" && a.Role() == ""
	bHost := b.Binds[bindFRRConf] == "" && b.Role() == ""
	switch {
	case (aOut || aHost) && (bOut || bHost):
		return // beyond vigie's view
	case aOut || bOut:
		rie, out := lk.A, lk.B
		if aOut {
			rie, out = lk.B, lk.A
		}
		on := g.t.Node(out.Node)
		kind := outsideRoles[on.Role()]
		if k := on.Labels[LabelInterconnectKind]; k != "" {
			kind = inventory.InterconnectKind(k)
		}
		id := on.Labels[LabelInterconnect]
		if id == "" {
			id = on.Name
		}
		for _, x := range g.inv.Interconnects {
			if x.ID == id {
				id += "-" + rie.Node
			}
		}
		name := on.Labels[LabelName]
		if name == "" {
			name = on.Name
		}
		ic := inventory.Interconnect{ID: id, Name: name, Kind: kind, Device: rie.Node, Interface: rie.Interface, VRF: on.Labels[LabelVRF], SRLGs: lk.SRLGs}
		g.vrf(on, &ic)
		g.inv.Interconnects = append(g.inv.Interconnects, ic)
	case aHost || bHost:
		return // a host's LAN (containerlab's PCs)
	case a.Role() == "site" || b.Role() == "site":
		ce, far := lk.A, lk.B
		if b.Role() == "site" {
			ce, far = lk.B, lk.A
		}
		id := g.t.Node(ce.Node).Labels[LabelSite]
		s := g.sites[id]
		if s == nil {
			return // reported with the node
		}
		if g.t.Node(far.Node).Role() == "site" {
			g.fail("link %s joins two site CEs: a site's access lands on a RIE router", lk)
			return
		}
		s.Access = append(s.Access, inventory.AccessLink{Technology: tech, Router: ce.Node, RouterInterface: ce.Interface,
			Device: far.Node, Interface: far.Interface, SRLGs: lk.SRLGs, ViaInternet: lk.Internet})
	default:
		g.inv.Links = append(g.inv.Links, inventory.Link{
			A: inventory.Endpoint{Device: lk.A.Node, Interface: lk.A.Interface}, B: inventory.Endpoint{Device: lk.B.Node, Interface: lk.B.Interface},
			Technology: tech, SRLGs: lk.SRLGs, ViaInternet: lk.Internet})
	}
}

// vrf reads a partner node's vigie.vrf-rd label: the interconnect's VRF
// is declared with that RD, and the partner's vigie.prefixes are what the
// interconnect expects in it (vigie judges it by BGP too).
func (g *invGen) vrf(on *Node, ic *inventory.Interconnect) {
	text := on.Labels[LabelVRFRD]
	if text == "" {
		return
	}
	if ic.VRF == "" {
		g.fail("node %s: label %s needs %s (the VRF the RD belongs to)", on.Name, LabelVRFRD, LabelVRF)
		return
	}
	rd, err := inventory.ParseRD(text)
	if err != nil {
		g.fail("node %s: label %s: %q: %v (e.g. \"65000:100\")", on.Name, LabelVRFRD, text, err)
		return
	}
	i := slices.IndexFunc(g.inv.VRFs, func(v inventory.VRF) bool { return v.Name == ic.VRF })
	if i < 0 {
		g.inv.VRFs = append(g.inv.VRFs, inventory.VRF{Name: ic.VRF})
		i = len(g.inv.VRFs) - 1
	}
	if !slices.Contains(g.inv.VRFs[i].RDs, rd) {
		g.inv.VRFs[i].RDs = append(g.inv.VRFs[i].RDs, rd)
	}
	for _, p := range splitList(on.Labels[LabelPrefixes]) {
		pp, err := netip.ParsePrefix(p)
		if err != nil {
			g.fail("node %s: label %s: %q is not a prefix (e.g. 10.210.1.0/24)", on.Name, LabelPrefixes, p)
			continue
		}
		ic.Prefixes = append(ic.Prefixes, pp)
	}
}

// WriteInventory writes the lab's inventory as a vigie configuration file.
func (t *Topology) WriteInventory(w io.Writer) (LabSecrets, error) {
	inv, sec, err := t.Inventory()
	if err != nil {
		return sec, err
	}
	fmt.Fprintf(w, "# vigie inventory of the lab %s, written by `vigie-lab inventory %s`\n# from its node labels and link vars (docs/lab.md). Run vigie with %s and %s\n# set to the lab's SNMP passwords (vigie-lab rehearse does).\n",
		t.Name, t.File, EnvAuth, EnvPriv)
	return sec, inventory.Write(w, inv)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
