package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/gobgpdtest"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestRunNamesVRFsAndJudgesInterconnectsByBGP runs `vigie run` on a
// simulated RIE whose inventory names its PFS VRFs (vrfs:, with their
// route distinguishers) and gives each partner interconnect the prefix the
// partner announces, peering with a real gobgpd standing in for the PFS
// router: the per-VRF series carry vrf="testa" with the RD in rd, and
// withdrawing the partner's prefix turns its interconnect down with the
// reason, while the SNMP attachment stays up.
func TestRunNamesVRFsAndJudgesInterconnectsByBGP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon with gobgpd")
	}
	gobgpdtest.Require(t)
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(3, 23)
	const pfs = "pfs-1"
	var ics []inventory.Interconnect
	for _, ic := range inv.Interconnects {
		if ic.Device == pfs && ic.VRF != "" {
			ics = append(ics, ic)
		}
	}
	if len(ics) != 3 || len(inv.VRFs) == 0 {
		t.Fatalf("the simulated inventory has %d interconnects in VRFs on %s and %d VRFs, want 3 and some", len(ics), pfs, len(inv.VRFs))
	}
	rdOf := func(ic inventory.Interconnect) string { return inv.VRF(ic.VRF).RDs[0].String() }

	// gobgpd is the PFS router: iBGP in the RIE's AS, passive towards
	// vigie, which connects from 127.0.0.1.
	const routerAddr = "127.0.0.61"
	const as = 64600
	port := freeport.TCP(t)
	d := gobgpdtest.Start(t, gobgpdtest.Passive(as, routerAddr, port, "127.0.0.1", as, "l3vpn-ipv4-unicast"))
	announce := func(verb string, ic inventory.Interconnect) {
		rd := rdOf(ic)
		d.MustCLI("global", "rib", verb, "-a", "vpnv4", ic.Prefixes[0].String(), "label", "10", "rd", rd, "rt", rd)
	}
	// Every partner's prefix, in its VRF: those of the other PFS router's
	// interconnects reach vigie through this session too, as through a
	// route reflector.
	for _, ic := range inv.Interconnects {
		if ic.VRF != "" && (ic.Device == pfs || !slices.ContainsFunc(ics, func(x inventory.Interconnect) bool { return x.VRF == ic.VRF })) {
			announce("add", ic)
		}
	}

	// gobgpd sends no End-of-RIB without graceful restart: vigie trusts
	// the session's silence after bgp.route_settle.
	inv.BGP = inventory.BGP{LocalAS: as, RouterID: netip.MustParseAddr("127.0.0.1"), RouteSettle: 3 * time.Second,
		Peers: []inventory.BGPPeer{{Device: pfs, Address: netip.MustParseAddr(routerAddr), RemoteAS: as, Port: port,
			LocalAddress: netip.MustParseAddr("127.0.0.1"), Families: []string{inventory.FamilyVPNv4}}}}
	simtest.Serve(t, inv, snmpagent.Options{Seed: 23})
	config := filepath.Join(dir, "vigie.yml")
	web := freeport.TCP(t)
	writeInventory(t, config, inv, filepath.Join(dir, "vigie.db"), fmt.Sprintf("127.0.0.1:%d", web))
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", web)

	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String, "run", "--config", config)

	testa, partner := icInVRF(t, ics, "testa"), icInVRF(t, ics, "partner")
	received := fmt.Sprintf(`device=%q,family="l3vpn-ipv4-unicast",peer=%q,rd=%q,vrf=%q`, pfs, routerAddr, rdOf(testa), testa.VRF)
	up := func(ic inventory.Interconnect) string {
		return fmt.Sprintf(`interconnect=%q,kind=%q`, ic.ID, ic.Kind)
	}
	// Up by BGP as well: the interconnect's prefixes are judged (the
	// attachment alone makes it up before BGP's verdict arrives).
	judged := func(ic inventory.Interconnect) string {
		return fmt.Sprintf(`interconnect=%q,kind=%q,vrf=%q`, ic.ID, ic.Kind, ic.VRF)
	}
	var m map[string]map[string]float64
	vigie.waitFor(60*time.Second, "the VRF named and every interconnect of "+pfs+" up, its prefixes judged", func() bool {
		m = scrape(metricsURL)
		if m["vigie_bgp_received_prefixes"][received] != 1 {
			return false
		}
		for _, ic := range ics {
			v, ok := m["vigie_interconnect_up"][up(ic)]
			missing, counted := m["vigie_interconnect_prefixes_missing"][judged(ic)]
			if !ok || v != 1 || !counted || missing != 0 {
				return false
			}
		}
		return true
	})
	for k := range m["vigie_bgp_received_prefixes"] {
		if strings.Contains(k, `vrf="64600:`) {
			t.Errorf("a declared VRF is labelled by its RD: vigie_bgp_received_prefixes{%s}", k)
		}
	}
	if len(m["vigie_interconnect_down_reason"]) != 0 {
		t.Errorf("down reasons %v with every interconnect up", m["vigie_interconnect_down_reason"])
	}

	// The partner withdraws its prefix: its interconnect goes down, saying
	// why; the others stay up.
	start := time.Now()
	announce("del", partner)
	reason := fmt.Sprintf(`interconnect=%q,kind=%q,reason="prefixes_missing"`, partner.ID, partner.Kind)
	vigie.waitFor(90*time.Second, partner.ID+" down for its missing prefix", func() bool {
		m = scrape(metricsURL)
		return m["vigie_interconnect_up"][up(partner)] == 0 && m["vigie_interconnect_down_reason"][reason] == 1
	})
	t.Logf("%s down %v after the withdraw", partner.ID, time.Since(start).Round(time.Second))
	if v := m["vigie_interconnect_prefixes_missing"][judged(partner)]; v != 1 {
		t.Errorf("vigie_interconnect_prefixes_missing{%s} = %v, want 1", judged(partner), v)
	}
	if v := m["vigie_interconnect_up"][up(testa)]; v != 1 {
		t.Errorf("vigie_interconnect_up{%s} = %v after another partner's withdraw, want 1", up(testa), v)
	}
	if len(m["vigie_interconnect_down_reason"]) != 1 {
		t.Errorf("down reasons %v, want only %s's", m["vigie_interconnect_down_reason"], partner.ID)
	}

	// Announced back in another VRF's RD, it still does not count.
	d.MustCLI("global", "rib", "add", "-a", "vpnv4", partner.Prefixes[0].String(), "label", "10", "rd", rdOf(testa), "rt", rdOf(testa))
	vigie.waitFor(30*time.Second, "the partner's prefix counted in VRF "+testa.VRF, func() bool {
		m = scrape(metricsURL)
		return m["vigie_bgp_received_prefixes"][received] == 2
	})
	if m["vigie_interconnect_up"][up(partner)] != 0 || m["vigie_interconnect_down_reason"][reason] != 1 {
		t.Errorf("%s up with its prefix in VRF %s only", partner.ID, testa.VRF)
	}
	announce("add", partner)
	vigie.waitFor(60*time.Second, partner.ID+" back up", func() bool {
		m = scrape(metricsURL)
		return m["vigie_interconnect_up"][up(partner)] == 1 && len(m["vigie_interconnect_down_reason"]) == 0
	})
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}

// icInVRF returns the interconnect of ics whose VRF starts with prefix.
func icInVRF(t *testing.T, ics []inventory.Interconnect, prefix string) inventory.Interconnect {
	t.Helper()
	for _, ic := range ics {
		if strings.HasPrefix(ic.VRF, prefix) {
			return ic
		}
	}
	t.Fatalf("no interconnect in a VRF named %s*: %+v", prefix, ics)
	return inventory.Interconnect{}
}
