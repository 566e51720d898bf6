package bgp

// Tests against real FRR routers (zebra + bgpd) in the test's private
// namespace: vigie's speaker on 192.0.2.1, each router on 192.0.2.1x (on lo).

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/frrtest"
	"github.com/vigie-rie/vigie/inventory"
)

const vigieAS = 65000

// frrRouter describes the FRR side of one session with vigie.
type frrRouter struct {
	name     string
	addr     string // bgpd's listen address
	as       uint32
	v4       []string // IPv4 networks announced
	v6       []string // IPv6 networks announced
	neighbor []string // extra lines under "neighbor 192.0.2.1"
	extra    string   // more configuration (VRFs...)
	vpn      []string // ipv4 vpn static networks ("network P rd RD label L")
}

// start runs the router, passive towards vigie at 192.0.2.1.
func (r frrRouter) start(t *testing.T) (*frrtest.Router, int) {
	t.Helper()
	port := freeport.TCP(t)
	var b strings.Builder
	fmt.Fprintf(&b, "frr defaults traditional\nhostname %s\n", r.name)
	fmt.Fprintf(&b, "router bgp %d\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp network import-check\n", r.as, r.addr)
	fmt.Fprintf(&b, " neighbor 192.0.2.1 remote-as %d\n neighbor 192.0.2.1 passive\n neighbor 192.0.2.1 timers 3 9\n", vigieAS)
	for _, l := range r.neighbor {
		fmt.Fprintf(&b, " neighbor 192.0.2.1 %s\n", l)
	}
	b.WriteString(" address-family ipv4 unicast\n")
	for _, n := range r.v4 {
		fmt.Fprintf(&b, "  network %s\n", n)
	}
	b.WriteString(" exit-address-family\n")
	if len(r.v6) > 0 {
		b.WriteString(" address-family ipv6 unicast\n  neighbor 192.0.2.1 activate\n")
		for _, n := range r.v6 {
			fmt.Fprintf(&b, "  network %s\n", n)
		}
		b.WriteString(" exit-address-family\n")
	}
	if len(r.vpn) > 0 {
		b.WriteString(" address-family ipv4 vpn\n  neighbor 192.0.2.1 activate\n")
		for _, n := range r.vpn {
			fmt.Fprintf(&b, "  %s\n", n)
		}
		b.WriteString(" exit-address-family\n")
	}
	b.WriteString(r.extra)
	frrtest.AddAddress(t, "192.0.2.1")
	rt := frrtest.Start(t, frrtest.Config{Name: r.name, BGPListen: r.addr, BGPPort: port, BGPConf: b.String()})
	return rt, port
}

// pfaiInventory is an inventory with one PFAI router and two sites.
func pfaiInventory(device string) *inventory.Inventory {
	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "idf"}},
		PoPs:    []inventory.PoP{{ID: "pop-paris", Region: "idf"}},
		Devices: []inventory.Device{{Name: device, Role: inventory.RolePFAI, PoP: "pop-paris"}},
		Sites: []inventory.Site{
			{ID: "S-1", Region: "idf", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}},
			{ID: "S-2", Region: "idf", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/24")}},
		},
	}
	inv.Index()
	return inv
}

func vigieConfig(peers ...inventory.BGPPeer) inventory.BGP {
	return inventory.BGP{LocalAS: vigieAS, RouterID: netip.MustParseAddr("192.0.2.100"), Peers: peers,
		Canaries: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}
}

// extraNets returns n distinct /24s in 10.100.0.0/16 and up.
func extraNets(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.%d.%d.0/24", 100+i/256, i%256)
	}
	return out
}

func TestFRRSessionRoutesWithdrawAndFlap(t *testing.T) {
	r := frrRouter{name: "pfai1", addr: "192.0.2.11", as: 65001,
		v4: append([]string{"0.0.0.0/0", "10.1.0.0/24", "198.51.100.0/24"}, extraNets(50)...),
		v6: []string{"2001:db8:1::/48", "2001:db8:2::/48"}}
	rt, port := r.start(t)
	peer := inventory.BGPPeer{Device: "pfai-paris-1", Address: netip.MustParseAddr(r.addr), RemoteAS: r.as, Port: port,
		LocalAddress: netip.MustParseAddr("192.0.2.1"), Families: []string{inventory.FamilyIPv4Unicast, inventory.FamilyIPv6Unicast}}
	h := startMonitor(t, vigieConfig(peer), pfaiInventory("pfai-paris-1"), testOptions())

	h.waitEvent(t, EventPeerUp, r.addr, 20*time.Second)
	eventually(t, 10*time.Second, "53 IPv4 and 2 IPv6 prefixes received", func() bool {
		p := h.peer(t, r.addr)
		return p.count(inventory.FamilyIPv4Unicast, "") == 53 && p.count(inventory.FamilyIPv6Unicast, "") == 2
	})
	p := h.peer(t, r.addr)
	if !p.DefaultRoute || !p.Canaries[netip.MustParsePrefix("198.51.100.0/24")] {
		t.Fatalf("default %v canaries %v, want both present", p.DefaultRoute, p.Canaries)
	}
	if p.Role != "pfai" || p.Region != "idf" || p.LocalAddress != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("peer labels: role %q region %q local %s", p.Role, p.Region, p.LocalAddress)
	}
	sites := h.m.SitePrefixes()
	if s1 := sites["S-1"]; s1.Missing != 0 || s1.MinPaths != 1 || s1.Prefixes[0].NextHops != 1 {
		t.Errorf("S-1: %+v, want both prefixes through one path", s1)
	}
	if s2 := sites["S-2"]; s2.Missing != 1 || s2.MinPaths != 0 {
		t.Errorf("S-2: %+v, want its prefix missing", s2)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vigie_bgp_session_up", map[string]string{"peer": r.addr, "device": "pfai-paris-1", "role": "pfai", "region": "idf"}, 1},
		{"vigie_bgp_received_prefixes", map[string]string{"peer": r.addr, "family": "ipv4-unicast", "vrf": ""}, 53},
		{"vigie_bgp_received_prefixes", map[string]string{"peer": r.addr, "family": "ipv6-unicast", "vrf": ""}, 2},
		{"vigie_bgp_default_route_present", map[string]string{"peer": r.addr}, 1},
		{"vigie_bgp_canary_present", map[string]string{"peer": r.addr, "prefix": "198.51.100.0/24"}, 1},
		{"vigie_bgp_site_prefix_paths", map[string]string{"site": "S-1", "region": "idf"}, 1},
		{"vigie_bgp_site_prefix_paths", map[string]string{"site": "S-2"}, 0},
		{"vigie_bgp_sites_without_prefix", nil, 1},
		{"vigie_bgp_paths_held", nil, 55},
	} {
		if v, ok := metric(t, h.reg, c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}

	// The default route is withdrawn: seen within seconds, as an event.
	rt.Configure("router bgp 65001", "address-family ipv4 unicast", "no network 0.0.0.0/0")
	e := h.waitEvent(t, EventDefaultRouteLost, r.addr, 10*time.Second)
	if e.Device != "pfai-paris-1" {
		t.Errorf("event device %q", e.Device)
	}
	if v, _ := metric(t, h.reg, "vigie_bgp_default_route_present", map[string]string{"peer": r.addr}); v != 0 {
		t.Errorf("default_route_present = %v after withdraw", v)
	}
	rt.Configure("router bgp 65001", "address-family ipv4 unicast", "network 0.0.0.0/0")
	h.waitEvent(t, EventDefaultRouteBack, r.addr, 10*time.Second)

	// A reset of the session on the router is a flap; routes come back.
	if _, err := rt.Vtysh("clear bgp 192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(t, EventPeerDown, r.addr, 10*time.Second)
	h.waitEvent(t, EventPeerUp, r.addr, 30*time.Second)
	eventually(t, 10*time.Second, "routes back after the reset", func() bool {
		return h.peer(t, r.addr).count(inventory.FamilyIPv4Unicast, "") == 53
	})
	if p := h.peer(t, r.addr); p.Flaps != 1 {
		t.Errorf("flaps = %d after one reset, want 1", p.Flaps)
	}
	if v, _ := metric(t, h.reg, "vigie_bgp_session_flaps_total", map[string]string{"peer": r.addr}); v != 1 {
		t.Errorf("vigie_bgp_session_flaps_total = %v, want 1", v)
	}

	// vigie announced nothing, to a router that accepts anything.
	n, err := rt.Neighbor("192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for af, c := range n.AFI {
		if c.Accepted != 0 {
			t.Errorf("FRR accepted %d %s prefixes from vigie, want 0", c.Accepted, af)
		}
	}
}

func TestFRRMaxPrefix(t *testing.T) {
	r := frrRouter{name: "leaky", addr: "192.0.2.12", as: 65002, v4: extraNets(20)}
	_, port := r.start(t)
	peer := inventory.BGPPeer{Device: "pfs-1", Address: netip.MustParseAddr(r.addr), RemoteAS: r.as, Port: port,
		LocalAddress: netip.MustParseAddr("192.0.2.1"), MaxPrefixes: 10}
	opts := testOptions()
	opts.MaxPrefixRestart = 3 * time.Second
	h := startMonitor(t, vigieConfig(peer), nil, opts)
	e := h.waitEvent(t, EventMaxPrefix, r.addr, 30*time.Second)
	if e.Family != inventory.FamilyIPv4Unicast || !strings.Contains(e.Detail, "max-prefix") {
		t.Errorf("event %+v", e)
	}
	eventually(t, 10*time.Second, "session down after the trip", func() bool { return !h.peer(t, r.addr).Established })
	if v, _ := metric(t, h.reg, "vigie_bgp_max_prefix_trips_total", map[string]string{"peer": r.addr, "device": "pfs-1"}); v != 1 {
		t.Errorf("vigie_bgp_max_prefix_trips_total = %v, want 1", v)
	}
	if !strings.Contains(h.logs.String(), "max-prefix") {
		t.Errorf("no log line about the max-prefix trip")
	}
	// GoBGP alone keeps the session down; vigie reopens it after
	// MaxPrefixRestart, and the still leaking router trips it again.
	h.waitEvent(t, EventMaxPrefix, r.addr, 30*time.Second)
	if p := h.peer(t, r.addr); p.MaxPrefixTrips != 2 {
		t.Errorf("%d trips after the reopen, want 2", p.MaxPrefixTrips)
	}
}

func TestFRRMD5AndGTSM(t *testing.T) {
	r := frrRouter{name: "secure", addr: "192.0.2.13", as: 65003, v4: []string{"10.2.0.0/24"},
		neighbor: []string{"password s3cret-key", "ttl-security hops 1"}}
	_, port := r.start(t)
	good := inventory.BGPPeer{Device: "pfs-2", Address: netip.MustParseAddr(r.addr), RemoteAS: r.as, Port: port,
		LocalAddress: netip.MustParseAddr("192.0.2.1"), Password: inventory.NewSecret("s3cret-key", "test"), TTLSecurity: 1}

	t.Run("matching key and GTSM", func(t *testing.T) {
		h := startMonitor(t, vigieConfig(good), nil, testOptions())
		h.waitEvent(t, EventPeerUp, r.addr, 20*time.Second)
		eventually(t, 10*time.Second, "route received", func() bool {
			return h.peer(t, r.addr).count(inventory.FamilyIPv4Unicast, "") == 1
		})
		if strings.Contains(h.logs.String(), "s3cret-key") {
			t.Errorf("the TCP-MD5 key appears in vigie's log")
		}
	})
	t.Run("key mismatch", func(t *testing.T) {
		bad := good
		bad.Password = inventory.NewSecret("wrong-key", "test")
		h := startMonitor(t, vigieConfig(bad), nil, testOptions())
		eventually(t, 20*time.Second, "an MD5 hint in the log", func() bool {
			return strings.Contains(h.logs.String(), "TCP-MD5") && strings.Contains(h.logs.String(), "md5_suspect")
		})
		p := h.peer(t, r.addr)
		if p.Established || p.LastError == "" {
			t.Errorf("peer %+v: want down with a last error", p)
		}
		if strings.Contains(h.logs.String(), "wrong-key") {
			t.Errorf("the TCP-MD5 key appears in vigie's log")
		}
	})
}

func TestFRRVPNv4PerRD(t *testing.T) {
	// VPN routes are configured statically (network ... rd ... label ...):
	// kernel VRF devices are not needed, and not always available.
	vpn := func(rd string, label int, nets ...string) []string {
		var out []string
		for _, n := range nets {
			out = append(out, fmt.Sprintf("network %s rd %s label %d", n, rd, label))
		}
		return out
	}
	r := frrRouter{name: "pe1", addr: "192.0.2.14", as: 65004, v4: []string{"10.2.0.0/24"},
		vpn: append(vpn("65004:100", 100, "10.1.0.0/24", "10.61.0.0/24", "10.62.0.0/24"), vpn("192.0.2.14:200", 200, "10.1.0.0/24")...)}
	rt, port := r.start(t)
	peer := inventory.BGPPeer{Device: "pe-1", Address: netip.MustParseAddr(r.addr), RemoteAS: r.as, Port: port,
		LocalAddress: netip.MustParseAddr("192.0.2.1"), Families: []string{inventory.FamilyIPv4Unicast, inventory.FamilyVPNv4}}
	h := startMonitor(t, vigieConfig(peer), pfaiInventory("other"), testOptions())
	h.waitEvent(t, EventPeerUp, r.addr, 20*time.Second)
	eventually(t, 15*time.Second, "VPNv4 paths per RD", func() bool {
		p := h.peer(t, r.addr)
		return p.count(inventory.FamilyVPNv4, "65004:100") == 3 && p.count(inventory.FamilyVPNv4, "192.0.2.14:200") == 1 &&
			p.count(inventory.FamilyIPv4Unicast, "") == 1
	})
	if v, _ := metric(t, h.reg, "vigie_bgp_received_prefixes", map[string]string{"peer": r.addr, "family": "l3vpn-ipv4-unicast", "vrf": "65004:100"}); v != 3 {
		t.Errorf("vigie_bgp_received_prefixes{vrf=65004:100} = %v, want 3", v)
	}
	// S-1's 10.1.0.0/24 is in two VRFs: two paths; its IPv6 prefix is missing.
	s1 := h.m.SitePrefixes()["S-1"]
	if s1.Prefixes[0].Paths != 2 || s1.Missing != 1 {
		t.Errorf("S-1 %+v: want 2 paths for 10.1.0.0/24 and the IPv6 prefix missing", s1)
	}
	if t.Failed() {
		out, _ := rt.Vtysh("show bgp ipv4 vpn")
		t.Logf("FRR VPN table:\n%s", out)
	}
}

// TestNeverAnnounces gives vigie routes from FRR and a second peer,
// gobgpd, that accepts anything: a normal eBGP speaker would pass FRR's
// routes on to gobgpd; vigie must not, nor send anything back to FRR.
func TestNeverAnnounces(t *testing.T) {
	r := frrRouter{name: "src", addr: "192.0.2.15", as: 65005, v4: append([]string{"0.0.0.0/0"}, extraNets(5)...),
		v6: []string{"2001:db8:5::/48"}}
	rt, port := r.start(t)
	const sink = "192.0.2.22"
	frrtest.AddAddress(t, sink)
	d, sinkPort := gobgpdPeer(t, sink, "192.0.2.1", 65010, "ipv4-unicast", "ipv6-unicast")
	local := netip.MustParseAddr("192.0.2.1")
	all := []string{inventory.FamilyIPv4Unicast, inventory.FamilyIPv6Unicast}
	h := startMonitor(t, vigieConfig(
		inventory.BGPPeer{Device: "src", Address: netip.MustParseAddr(r.addr), RemoteAS: r.as, Port: port, LocalAddress: local, Families: all},
		inventory.BGPPeer{Device: "sink", Address: netip.MustParseAddr(sink), RemoteAS: 65010, Port: sinkPort, LocalAddress: local, Families: all},
	), nil, testOptions())
	h.waitEvent(t, EventPeerUp, sink, 20*time.Second)
	eventually(t, 20*time.Second, "FRR's routes learned", func() bool {
		p := h.peer(t, r.addr)
		return p.Established && p.count(inventory.FamilyIPv4Unicast, "") == 6 && p.count(inventory.FamilyIPv6Unicast, "") == 1
	})
	// Give an exporting speaker ample time to advertise (GoBGP sends at once).
	time.Sleep(2 * time.Second)
	for _, f := range []string{"ipv4", "ipv6"} {
		if n, err := d.AdjInCount("192.0.2.1", f); err != nil || n != 0 {
			t.Errorf("gobgpd received %d %s paths from vigie (%v), want 0", n, f, err)
		}
	}
	n, err := rt.Neighbor("192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for af, c := range n.AFI {
		if c.Accepted != 0 {
			t.Errorf("FRR accepted %d %s prefixes from vigie, want 0", c.Accepted, af)
		}
	}
}
