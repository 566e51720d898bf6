package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

// labelValue returns the value of label name in a series key of scrape's.
func labelValue(key, name string) string {
	_, rest, ok := strings.Cut(key, name+`="`)
	if !ok || (len(key) > len(rest)+len(name)+2 && key[len(key)-len(rest)-len(name)-3] != ',') {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// bgpSeries returns a device's series of family as "peer" or
// "peer/family" (for the prefix counts) -> value, and the peer_as of each
// peer.
func bgpSeries(m map[string]map[string]float64, family, device string) (map[string]float64, map[string]string) {
	out, as := map[string]float64{}, map[string]string{}
	for k, v := range m[family] {
		if labelValue(k, "device") != device {
			continue
		}
		peer := labelValue(k, "peer")
		as[peer] = labelValue(k, "peer_as")
		if f := labelValue(k, "family"); f != "" {
			peer += "/" + f
		}
		out[peer] = v
	}
	return out, as
}

// TestVendorBGPPeersThroughRun: `vigie run` polls two recorded PE routers
// served by snmpsimd (collector/snmp/testdata/recordings): a Cisco whose
// CISCO-BGP4-MIB cbgpPeer2Table shows IPv4, IPv6 and VPNv4 sessions, and a
// Juniper whose BGP4-V2-MIB-JUNIPER jnxBgpM2PeerTable does (Junos's index,
// without address lengths), each also implementing BGP4-MIB for its IPv4
// peers. /metrics shows every peer once, IPv6 ones included, the prefixes
// accepted per family, and not the Juniper's VRF peer.
func TestVendorBGPPeersThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon and snmpsimd")
	}
	bin := buildVigie(t)
	ports := snmpsim(t, 2)
	vigie := runOnRecordings(t, bin, fmt.Sprintf(`polling:
  intervals: {collection: 5s, backbone: 5s, pfai: 5s, pfs: 5s}
  tables: [system, interfaces, lldp, bgp]
snmp_profiles:
  - {name: default, version: 2c, community: {env: VIGIE_REC_CISCO}, timeout: 3s, retries: 1, max_repetitions: 10}
  - {name: juniper, version: 2c, community: {env: VIGIE_REC_JUNIPER}, timeout: 3s, retries: 1, max_repetitions: 10}
regions:
  - {id: idf, name: "Île-de-France"}
  - {id: ara, name: "Auvergne-Rhône-Alpes"}
pops:
  - {id: pop-paris, name: "PoP Paris", region: idf}
  - {id: pop-lyon, name: "PoP Lyon", region: ara}
devices:
  - {name: pe-paris-1, role: backbone, pop: pop-paris, address: "127.0.0.1:%d"}
  - {name: pe-lyon-1, role: backbone, pop: pop-lyon, address: "127.0.0.1:%d", snmp_profile: juniper}
`, ports[0], ports[1]),
		"VIGIE_REC_CISCO=cisco-pe", "VIGIE_REC_JUNIPER=juniper-pe")
	base := vigie.base

	const accepted = "vigie_device_bgp_peer_accepted_prefixes"
	// The vendor tables are probed in a device's second poll and read from
	// its third.
	var m map[string]map[string]float64
	vigie.waitFor(60*time.Second, "both PE routers' accepted prefixes in /metrics", func() bool {
		m = scrape(base + "/metrics")
		c, _ := bgpSeries(m, accepted, "pe-paris-1")
		j, _ := bgpSeries(m, accepted, "pe-lyon-1")
		return len(c) > 0 && len(j) > 0
	})
	for _, tc := range []struct {
		device   string
		state    map[string]float64
		as       map[string]string
		accepted map[string]float64
	}{
		{
			device: "pe-paris-1",
			// 10.255.0.2 (a route reflector, down) and the partner are in
			// BGP4-MIB and cbgpPeer2Table alike: one series each.
			state: map[string]float64{"10.255.0.1": 6, "10.255.0.2": 3, "198.51.100.1": 6, "2001:db8:ff::1": 6},
			as:    map[string]string{"10.255.0.1": "65000", "10.255.0.2": "65000", "198.51.100.1": "64500", "2001:db8:ff::1": "65000"},
			accepted: map[string]float64{
				"10.255.0.1/ipv4-unicast": 12, "10.255.0.1/l3vpn-ipv4-unicast": 2500, "198.51.100.1/ipv4-unicast": 1,
				"2001:db8:ff::1/ipv6-unicast": 850, "2001:db8:ff::1/l3vpn-ipv6-unicast": 300,
			},
		},
		{
			device: "pe-lyon-1",
			// 172.16.0.2 is a peer of routing instance 3 (a VRF): left out.
			state: map[string]float64{"10.255.0.1": 6, "203.0.113.1": 3, "2001:db8:ff::1": 6},
			as:    map[string]string{"10.255.0.1": "65000", "203.0.113.1": "64501", "2001:db8:ff::1": "65000"},
			accepted: map[string]float64{
				"10.255.0.1/ipv4-unicast": 10, "10.255.0.1/l3vpn-ipv4-unicast": 1800,
				"2001:db8:ff::1/ipv6-unicast": 850, "2001:db8:ff::1/l3vpn-ipv6-unicast": 300,
			},
		},
	} {
		state, as := bgpSeries(m, "vigie_device_bgp_peer_state", tc.device)
		if !maps.Equal(state, tc.state) || !maps.Equal(as, tc.as) {
			t.Errorf("%s: vigie_device_bgp_peer_state %v (peer_as %v), want %v (peer_as %v)", tc.device, state, as, tc.state, tc.as)
		}
		up, _ := bgpSeries(m, "vigie_device_bgp_peer_up", tc.device)
		for peer, s := range tc.state {
			if want := map[bool]float64{true: 1, false: 0}[s == 6]; up[peer] != want || len(up) != len(tc.state) {
				t.Errorf("%s: vigie_device_bgp_peer_up %v, want %v for %s among %d peers", tc.device, up, want, peer, len(tc.state))
			}
		}
		if tr, _ := bgpSeries(m, "vigie_device_bgp_peer_established_transitions_total", tc.device); len(tr) != len(tc.state) {
			t.Errorf("%s: vigie_device_bgp_peer_established_transitions_total %v, want one per peer", tc.device, tr)
		}
		if got, _ := bgpSeries(m, accepted, tc.device); !maps.Equal(got, tc.accepted) {
			t.Errorf("%s: %s %v, want %v", tc.device, accepted, got, tc.accepted)
		}
		for k, v := range m["vigie_device_poll_errors_total"] {
			if labelValue(k, "device") == tc.device && v > 0 {
				t.Errorf("%s: poll errors %s = %v", tc.device, k, v)
			}
		}
	}
	vigie.end(t)
}
