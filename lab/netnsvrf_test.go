package lab

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestParseNetnsVRFs checks the vigie.netns-vrf.NAME labels.
func TestParseNetnsVRFs(t *testing.T) {
	ifaces := []string{"eth1", "eth2", "eth3"}
	nodes := []string{"pe", "partner", "pe-red"}
	for _, c := range []struct {
		labels map[string]string
		want   []NetnsVRF
		err    string
	}{
		{map[string]string{"vigie.netns-vrf.testa": "eth2", "vigie.netns-vrf.renater": "eth3, eth1"},
			[]NetnsVRF{{"renater", "vlab-lab-pe-renater", []string{"eth3", "eth1"}}, {"testa", "vlab-lab-pe-testa", []string{"eth2"}}}, ""},
		{map[string]string{"vigie.role": "pfs"}, nil, ""},
		{map[string]string{"vigie.netns-vrf.testa": "eth9"}, nil, "not one of the node's link interfaces"},
		{map[string]string{"vigie.netns-vrf.testa": "eth0"}, nil, "not one of the node's link interfaces"},
		{map[string]string{"vigie.netns-vrf.testa": ""}, nil, "write IF[,IF...]"},
		{map[string]string{"vigie.netns-vrf.a": "eth1", "vigie.netns-vrf.b": "eth1"}, nil, "interface eth1 is in VRFs"},
		{map[string]string{"vigie.netns-vrf.default": "eth1"}, nil, "not \"default\""},
		{map[string]string{"vigie.netns-vrf.red": "eth1"}, nil, "would be node pe-red's"},
		{map[string]string{"vigie.netns-vrf.a-very-long-vrf-name-indeed": "eth1"}, nil, "longer than FRR's 35 characters"},
		{map[string]string{"vigie.netns-vrf.blue": "eth1", "vigie.vrf.blue": "100:eth2"}, nil, "keep one"},
	} {
		n := &Node{Name: "pe", Labels: c.labels}
		got, err := parseNetnsVRFs("lab", n, ifaces, nodes)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "node pe") {
				t.Errorf("%v: error %v, want one naming node pe and saying %q", c.labels, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.labels, err)
			continue
		}
		if !slices.EqualFunc(got, c.want, func(a, b NetnsVRF) bool {
			return a.Name == b.Name && a.Netns == b.Netns && slices.Equal(a.Interfaces, b.Interfaces)
		}) {
			t.Errorf("%v: got %+v, want %+v", c.labels, got, c.want)
		}
	}
}

// TestRewriteVRFNames checks that the frr.conf's VRF names become their
// namespaces' names, and nothing else changes.
func TestRewriteVRFNames(t *testing.T) {
	vrfs := []NetnsVRF{{Name: "blue", Netns: "vlab-x-pe-blue"}}
	in := "vrf blue\nexit-vrf\ninterface eth1 vrf blue\n ip address 10.0.0.1/30\nrouter bgp 65000 vrf blue\n neighbor blue remote-as 1\nvrf bluer\nip route 10.1.0.0/16 10.0.0.2 vrf blue\n"
	want := "vrf vlab-x-pe-blue\nexit-vrf\ninterface eth1 vrf vlab-x-pe-blue\n ip address 10.0.0.1/30\nrouter bgp 65000 vrf vlab-x-pe-blue\n neighbor blue remote-as 1\nvrf bluer\nip route 10.1.0.0/16 10.0.0.2 vrf vlab-x-pe-blue\n"
	if got := string(rewriteVRFNames([]byte(in), vrfs)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(rewriteVRFNames([]byte(in), nil)); got != in {
		t.Errorf("without netns VRFs the file changed:\n%s", got)
	}
}

// TestNetnsVRF brings up a PE whose VRF is a network namespace (no kernel
// VRF needed): the partner's eBGP session in the VRF comes up (Up waits
// for every session, the VRF's included), the partner's route lands in the
// VRF's own kernel table, the monitor receives it as VPNv4 with the VRF's
// RD, the PE's link interface stays in the PE's namespace (its snmpd still
// sees it), a cut of that link downs the VRF's interface and withdraws the
// route, and Down removes the VRF's namespace.
func TestNetnsVRF(t *testing.T) {
	requireLab(t)
	l := upForTest(t, "testdata/kernel/netns-vrf.clab.yml", Options{StateRoot: t.TempDir(), ReadyTimeout: 60 * time.Second})
	pe := l.Topo.Nodes[slices.IndexFunc(l.Topo.Nodes, func(n *Node) bool { return n.Name == "pe" })]
	if len(pe.NetnsVRFs()) != 1 {
		t.Fatalf("pe has netns VRFs %+v, want blue", pe.NetnsVRFs())
	}
	vrf := pe.NetnsVRFs()[0]

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []byte
	var err error
	for {
		out, err = l.Vtysh(ctx, "mon", "show bgp ipv4 vpn json")
		if err == nil && vpnHas(out, "65000:100", "10.210.1.0/24") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the monitor never received 10.210.1.0/24 with RD 65000:100 from the PE's VRF: %v\n%s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}

	vh, vns, err := handleAt(vrf.Netns)
	if err != nil {
		t.Fatal(err)
	}
	defer vns.Close()
	defer vh.Close()
	routes, err := vh.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(routes, func(r netlink.Route) bool { return r.Dst != nil && r.Dst.String() == "10.210.1.0/24" }) {
		t.Errorf("the VRF's namespace %s has no route to 10.210.1.0/24: %v", vrf.Netns, routes)
	}
	mv, err := vh.LinkByName("eth1")
	if err != nil {
		t.Fatalf("the VRF's namespace has no eth1: %v", err)
	}
	addrs, _ := vh.AddrList(mv, netlink.FAMILY_V4)
	if !slices.ContainsFunc(addrs, func(a netlink.Addr) bool {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip == netip.MustParseAddr("10.9.1.1")
	}) {
		t.Errorf("the VRF's eth1 has addresses %v, want 10.9.1.1 (from frr.conf's interface eth1 vrf blue)", addrs)
	}

	h, ns, err := handleAt(NodeNetns(l.Topo.Name, "pe"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	defer h.Close()
	if _, err := h.LinkByName("eth1"); err != nil {
		t.Errorf("pe's eth1 left the PE's namespace (its snmpd would lose it): %v", err)
	}

	// A cut of the PE's link (its interface in the PE's namespace) takes
	// the VRF's macvlan down with it, and the partner's route with it.
	if err := l.Cut(ctx, Target{Kind: CutLink, Name: "pe:eth1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the VRF's eth1 down and the partner's route withdrawn after the cut", func() (bool, string) {
		lk, err := vh.LinkByName("eth1")
		if err != nil {
			return false, err.Error()
		}
		out, err := l.Vtysh(ctx, "mon", "show bgp ipv4 vpn json")
		if err != nil {
			return false, err.Error()
		}
		if lk.Attrs().OperState == netlink.OperUp {
			return false, "the VRF's eth1 still up"
		}
		return !vpnHas(out, "65000:100", "10.210.1.0/24"), "the monitor still has 10.210.1.0/24"
	})

	if err := l.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	if nss, _ := labNamespaces(l.Topo.Name); len(nss) != 0 {
		t.Errorf("Down left namespaces %v", nss)
	}
}

// vpnHas says whether FRR's `show bgp ipv4 vpn json` holds prefix under rd.
func vpnHas(out []byte, rd, prefix string) bool {
	var doc struct {
		Routes struct {
			RDs map[string]map[string]json.RawMessage `json:"routeDistinguishers"`
		} `json:"routes"`
	}
	if json.Unmarshal(out, &doc) != nil {
		return false
	}
	_, ok := doc.Routes.RDs[rd][prefix]
	return ok
}
