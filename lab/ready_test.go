package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The inputs are real outputs of FRR 8.4 and lldpd 1.0.16, captured from
// the mini lab before and after `cut link site1:eth1`.

func TestParseBGPSummary(t *testing.T) {
	mgmt := netip.MustParsePrefix("172.31.1.0/24")
	for _, tc := range []struct {
		file string
		want string
	}{
		{"agg1-bgp-summary.json", "default/10.0.0.1=Established default/10.0.0.2=Established default/10.254.0.14=Established default/10.254.0.18=Established"},
		{"agg1-bgp-summary-cut.json", "default/10.0.0.1=Established default/10.0.0.2=Established default/10.254.0.14=Active default/10.254.0.18=Established"},
		// bb1's passive session with vigie (172.31.1.1) is left out.
		{"bb1-bgp-summary.json", "default/10.0.0.2=Established default/10.0.0.3=Established"},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "status", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		peers := map[string]string{}
		if err := parseBGPSummary(b, mgmt, peers); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var got []string
		for _, k := range sortedKeys(peers) {
			got = append(got, k+"="+peers[k])
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.file, got, tc.want)
		}
	}
	if err := parseBGPSummary([]byte("% Unknown command"), mgmt, map[string]string{}); err == nil {
		t.Error("vtysh's error text parsed as a summary")
	}
}

func TestParseLLDPNeighbors(t *testing.T) {
	for file, want := range map[string]string{
		"agg1-lldp.json":     "eth1=bb1 eth2=bb2 eth3=site1 eth4=site2",
		"agg1-lldp-cut.json": "eth1=bb1 eth2=bb2 eth4=site2",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "status", file))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		if err := parseLLDPNeighbors(b, seen); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var got []string
		for _, k := range sortedKeys(seen) {
			got = append(got, k+"="+seen[k])
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v, want %s", file, got, want)
		}
	}
}

func TestNodeStatusSummary(t *testing.T) {
	s := NodeStatus{
		Node:         "agg1",
		Daemons:      map[string]bool{"bgpd": true, "lldpd": false},
		BGPPeers:     map[string]string{"default/10.0.0.1": "Established", "default/10.254.0.14": "Active"},
		LLDPExpected: []string{"eth1", "eth3"},
		LLDPSeen:     map[string]string{"eth1": "bb1"},
	}
	want := "bgp 1/2 lldp 1/2 (lldpd not running, bgp default/10.254.0.14 Active, lldp eth3 no neighbour)"
	if s.Ready() || s.Summary() != want {
		t.Errorf("ready %v, summary %q, want %q", s.Ready(), s.Summary(), want)
	}
	s.Daemons["lldpd"], s.BGPPeers["default/10.254.0.14"], s.LLDPSeen["eth3"] = true, "Established", "site1"
	if !s.Ready() || s.Summary() != "bgp 2/2 lldp 2/2" {
		t.Errorf("ready %v, summary %q", s.Ready(), s.Summary())
	}
}
