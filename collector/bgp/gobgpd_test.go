package bgp

// Tests against Debian's gobgpd, a separate GoBGP process configured from
// TOML and driven with its gobgp CLI.

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/gobgpdtest"
	"github.com/vigie-rie/vigie/inventory"
)

// gobgpdPeer starts gobgpd at addr in AS as, passive towards vigie at
// vigieAddr, with the given address families.
func gobgpdPeer(t *testing.T, addr, vigieAddr string, as uint32, families ...string) (*gobgpdtest.Daemon, int) {
	t.Helper()
	port := freeport.TCP(t)
	return gobgpdtest.Start(t, gobgpdtest.Passive(as, addr, port, vigieAddr, vigieAS, families...)), port
}

func TestGobgpdCounts(t *testing.T) {
	const addr = "127.0.0.21"
	d, port := gobgpdPeer(t, addr, "127.0.0.1", 65010, "ipv4-unicast", "l3vpn-ipv4-unicast")
	peer := inventory.BGPPeer{Device: "rr-1", Address: netip.MustParseAddr(addr), RemoteAS: 65010, Port: port,
		LocalAddress: netip.MustParseAddr("127.0.0.1"), Families: []string{inventory.FamilyIPv4Unicast, inventory.FamilyVPNv4}}
	h := startMonitor(t, vigieConfig(peer), pfaiInventory("rr-1"), testOptions())
	h.waitEvent(t, EventPeerUp, addr, 20*time.Second)

	for i := range 30 {
		d.MustCLI("global", "rib", "add", fmt.Sprintf("10.%d.0.0/24", 10+i), "-a", "ipv4")
	}
	d.MustCLI("global", "rib", "add", "10.1.0.0/24", "-a", "ipv4")
	for i := range 5 {
		d.MustCLI("global", "rib", "add", "-a", "vpnv4", fmt.Sprintf("10.70.%d.0/24", i), "label", "10", "rd", "65010:7", "rt", "65010:7")
	}
	d.MustCLI("global", "rib", "add", "-a", "vpnv4", "10.1.0.0/24", "label", "11", "rd", "65010:8", "rt", "65010:8")
	eventually(t, 10*time.Second, "31 IPv4 and 5+1 VPNv4 paths", func() bool {
		p := h.peer(t, addr)
		return p.count(inventory.FamilyIPv4Unicast, "") == 31 && p.count(inventory.FamilyVPNv4, "65010:7") == 5 &&
			p.count(inventory.FamilyVPNv4, "65010:8") == 1
	})
	if s1 := h.m.SitePrefixes()["S-1"]; s1.Prefixes[0].Paths != 2 || s1.Prefixes[0].NextHops != 1 || s1.Prefixes[0].Peers != 1 {
		t.Errorf("S-1 10.1.0.0/24: %+v, want 2 paths (global + one VRF) through one next hop and one peer", s1.Prefixes[0])
	}

	// Withdraws are counted down, per RD.
	d.MustCLI("global", "rib", "del", "10.10.0.0/24", "-a", "ipv4")
	d.MustCLI("global", "rib", "del", "-a", "vpnv4", "10.70.0.0/24", "label", "10", "rd", "65010:7", "rt", "65010:7")
	eventually(t, 10*time.Second, "withdraws counted", func() bool {
		p := h.peer(t, addr)
		return p.count(inventory.FamilyIPv4Unicast, "") == 30 && p.count(inventory.FamilyVPNv4, "65010:7") == 4
	})
	if got := h.m.PathsHeld(); got != 35 {
		t.Errorf("paths held %d, want 35", got)
	}
	if p := h.peer(t, addr); p.Updates != 39 {
		t.Errorf("updates %d, want 39 (37 announces, 2 withdraws)", p.Updates)
	}

	// vigie sent gobgpd nothing: gobgpd's Adj-RIB-In from vigie is empty.
	for _, f := range []string{"ipv4", "vpnv4"} {
		if n, err := d.AdjInCount("127.0.0.1", f); err != nil || n != 0 {
			t.Errorf("gobgpd adj-in %s from vigie: %d paths (%v), want 0", f, n, err)
		}
	}
}
