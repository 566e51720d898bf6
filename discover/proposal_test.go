package discover

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

var update = flag.Bool("update", false, "rewrite testdata/proposal/*.yml from Proposal's answers")

// proposalResult is a crawl of four routers: r1 (seed), r2 and
// r3.rie.gouv.fr reached, one address failed, one neighbour beyond the
// depth bound.
func proposalResult() *Result {
	ap := netip.MustParseAddrPort
	devs := []*Device{
		{Name: "r1", Address: ap("10.0.0.1:161"), ObjectID: ".1.3.6.1.4.1.9.1.2571", Descr: "Cisco IOS XE Software, Version 17.09.04a\nCopyright (c) 1986-2023 by Cisco Systems, Inc.", Via: "seed",
			neighbors: []neighbor{
				{port: "Gi0/0/1", remote: "r2", remotePort: "ge-0/0/0", via: "lldp"},
				{port: "Gi0/0/2", remote: "r3.rie.gouv.fr", remotePort: "xe-1/0/0", via: "lldp"},
				{port: "Gi0/0/3", remote: "r9", remotePort: "eth0", via: "cdp"},
			}},
		{Name: "r2", Address: ap("10.0.0.2:161"), ObjectID: ".1.3.6.1.4.1.2636.1.1.1.2.29", Depth: 1, Via: "r1:Gi0/0/1", AddressFrom: AddrFromLLDP,
			Aliases: []netip.AddrPort{ap("10.0.1.2:161")},
			neighbors: []neighbor{
				{port: "ge-0/0/0", remote: "r1", remotePort: "Gi0/0/1", via: "lldp"},
				{port: "ge-0/0/1", remote: "r3.rie.gouv.fr", remotePort: "xe-1/0/1", via: "lldp"},
			}},
		{Name: "r3.rie.gouv.fr", Address: ap("10.0.0.3:161"), Depth: 1, Via: "r1:Gi0/0/2", AddressFrom: AddrFromChassisID,
			Problems: []string{"lldp: 2 values of the wrong type or index skipped"},
			neighbors: []neighbor{
				{port: "xe-1/0/0", remote: "r1", remotePort: "Gi0/0/2", via: "lldp"},
			}},
	}
	return &Result{
		Devices:  devs,
		Failures: []Failure{{Address: ap("10.0.0.8:161"), Depth: 2, Via: "r2:ge-0/0/3", Reason: snmp.ReasonTimeout, Err: errors.New("device 10.0.0.8:161: timeout (2 requests of 1s)")}},
		Skipped:  []Skip{{Name: "r9", Address: netip.MustParseAddr("10.0.0.9"), Via: "r1:Gi0/0/3", Why: SkipMaxDepth}},
		Links:    links(devs),
		Seeds:    []netip.AddrPort{ap("10.0.0.1:161")},
		Start:    time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC),
		Elapsed:  1500 * time.Millisecond,
	}
}

// TestProposal: goldens of what vigie discover writes, against no
// inventory, an inventory that has r1 (under its address), r3 (under its
// short name) and the r1-r3 link as a site access, and the same with
// --all.
func TestProposal(t *testing.T) {
	inv := &inventory.Inventory{
		Devices: []inventory.Device{
			{Name: "r1", Address: netip.MustParseAddrPort("10.0.0.1:161")},
			{Name: "R3", Address: netip.MustParseAddrPort("10.9.9.3:161")},
		},
		Sites: []inventory.Site{{ID: "s1", Access: []inventory.AccessLink{{Router: "R3", Device: "r1", Interface: "Gi0/0/2"}}}},
	}
	for _, tc := range []struct {
		name string
		o    ProposalOptions
	}{
		{"no-inventory", ProposalOptions{Profile: "backbone"}},
		{"partial", ProposalOptions{Inventory: inv, InventoryFile: "vigie.yml", Profile: inventory.DefaultProfileName}},
		{"all", ProposalOptions{Inventory: inv, InventoryFile: "vigie.yml", Profile: "backbone", All: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Proposal(proposalResult(), tc.o)
			file := filepath.Join("testdata", "proposal", tc.name+".yml")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v: run go test ./discover -run TestProposal -update, then read the file", err)
			}
			if string(got) != string(want) {
				t.Errorf("Proposal differs from %s:\n%s", file, got)
			}
		})
	}
}
