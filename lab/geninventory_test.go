package lab

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

// buildVigie builds cmd/vigie for tests that drive it as a planner does.
func buildVigie(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		needed(t, "go is needed to build vigie: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vigie")
	build := exec.Command("go", "build", "-tags", "gosnmp_nodebug", "-o", bin, "./cmd/vigie")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/vigie: %v\n%s", err, out)
	}
	return bin
}

// TestGeneratedInventoryAgrees writes each lab's inventory with
// `vigie-lab inventory`, as a planner would, has `vigie check-config`
// accept it, and asks `vigie whatif` the same questions of it and of the
// lab's hand-kept vigie.yml: the internet cut, every shared risk, every
// device and every PoP. The answers (isolated, degraded, interconnects
// kept and lost, overseas, per region, causes) must be equal.
func TestGeneratedInventoryAgrees(t *testing.T) {
	labBin, vigie := buildVigieLab(t), buildVigie(t)
	env := append(os.Environ(), EnvAuth+"=vigie-lab-auth", EnvPriv+"=vigie-lab-priv")
	for _, dir := range []string{"mini", "rie-slice"} {
		t.Run(dir, func(t *testing.T) {
			gen := filepath.Join(t.TempDir(), "vigie.yml")
			if out, err := exec.Command(labBin, "inventory", filepath.Join(dir, dir+".clab.yml"), "-o", gen).CombinedOutput(); err != nil {
				t.Fatalf("vigie-lab inventory: %v\n%s", err, out)
			}
			check := exec.Command(vigie, "check-config", gen)
			check.Env = env
			if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "valid:") || !strings.Contains(string(out), " 0 warning(s)") {
				t.Fatalf("vigie check-config refused the generated inventory: %v\n%s", err, out)
			}
			hand, err := inventory.Load(filepath.Join(dir, "vigie.yml"), inventory.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			questions := []string{}
			if dir == "rie-slice" {
				questions = append(questions, "internet")
			}
			srlgs := map[string]bool{}
			for _, s := range hand.Sites {
				for _, a := range s.Access {
					for _, x := range a.SRLGs {
						srlgs[x] = true
					}
				}
			}
			for _, l := range hand.Links {
				for _, x := range l.SRLGs {
					srlgs[x] = true
				}
			}
			for _, x := range sortedKeys(srlgs) {
				questions = append(questions, "srlg:"+x)
			}
			for _, d := range hand.Devices {
				questions = append(questions, "device:"+d.Name)
			}
			for _, p := range hand.PoPs {
				questions = append(questions, "pop:"+p.ID)
			}
			whatif := func(config, fail string) []byte {
				cmd := exec.Command(vigie, "whatif", "--config", config, "--format", "json", "--fail", fail)
				cmd.Env = env
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("vigie whatif --config %s --fail %s: %v\n%s", config, fail, err, stderr.String())
				}
				return out
			}
			isolating := 0
			for _, q := range questions {
				want, got := whatif(filepath.Join(dir, "vigie.yml"), q), whatif(gen, q)
				if !bytes.Equal(want, got) {
					t.Errorf("what-if %s: the generated inventory answers\n%s\nthe lab's vigie.yml\n%s", q, got, want)
				}
				var w struct {
					Isolated []string `json:"isolated_sites"`
				}
				if err := json.Unmarshal(want, &w); err != nil {
					t.Fatalf("what-if %s: %v", q, err)
				}
				if len(w.Isolated) > 0 {
					isolating++
				}
			}
			// The comparison means something only if some answers isolate sites.
			if isolating == 0 || len(questions) < 5 {
				t.Errorf("%d questions, %d isolating a site: the comparison proves nothing", len(questions), isolating)
			}
			t.Logf("%s: %d what-ifs equal (%d isolate sites)", dir, len(questions), isolating)
		})
	}
}

// TestInventoryLabelErrors: a label or var vigie-lab cannot use is named,
// with its node or link and what to write instead.
func TestInventoryLabelErrors(t *testing.T) {
	base, err := os.ReadFile("mini/mini.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"vigie.protection: single", "vigie.protection: triple", `node site1: label vigie.protection: "triple": use single, backup, dual or diverse`},
		{"vigie.prefixes: 10.100.1.0/24", "vigie.prefixes: 10.100.1.0", `node site1: label vigie.prefixes: "10.100.1.0" is not a prefix`},
		{"vigie.site: S-0001", "vigie.sight: S-0001", "node site1 (vigie.role: site): set label vigie.site"},
		{"vigie.role: agg", "vigie.role: aggregation", `node agg1: label vigie.role: "aggregation" is not a role`},
		{`vigie.bgp-peer: "65000"`, `vigie.bgp-peer: "AS65000"`, `node bb1: label vigie.bgp-peer: "AS65000" is not an AS number`},
		{"vars: {srlg: [duct-paris-1]}", "vars: {srlg: [duct-paris-1], technology: fiber}", `link agg1:eth3 <-> site1:eth1: var technology: "fiber": use one of`},
	} {
		if !bytes.Contains(base, []byte(tc.from)) {
			t.Fatalf("mini.clab.yml has no %q", tc.from)
		}
		src := bytes.Replace(base, []byte(tc.from), []byte(tc.to), 1)
		topo, err := ParseTopology(filepath.Join(moduleRoot(t), "lab", "mini", "mini.clab.yml"), src)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = topo.Inventory()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mini.clab.yml") {
			t.Errorf("%s -> %s: %v\nwant %q", tc.from, tc.to, err, tc.want)
		}
	}
	// containerlab's FRR example has no SNMP agent: said plainly.
	topo, err := LoadTopology("testdata/frr01/frr01.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := topo.Inventory(); err == nil || !strings.Contains(err.Error(), "no node binds an snmpd.conf") {
		t.Errorf("frr01: %v", err)
	}
	if !slices.Contains(inventory.Technologies, inventory.TechTransoceanic) {
		t.Error("transoceanic is no longer a technology")
	}
}

// TestInventoryVRFsFromLabels: the inventory written from rie-slice's
// labels declares the PFS's VRFs with the RDs the PFS exports (vigie.vrf-rd
// on the partner nodes), expects each partner's prefixes in its VRF, and
// asks the route reflectors for VPNv4, as the hand-kept vigie.yml does.
func TestInventoryVRFsFromLabels(t *testing.T) {
	topo, err := LoadTopology("rie-slice/rie-slice.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	gen, _, err := topo.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	hand, err := inventory.Load("rie-slice/vigie.yml", inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hand.VRFs) != 2 {
		t.Fatalf("vigie.yml declares VRFs %+v, want testa and renater", hand.VRFs)
	}
	for _, w := range hand.VRFs {
		g := gen.VRF(w.Name)
		if g == nil || !slices.Equal(g.RDs, w.RDs) {
			t.Errorf("VRF %s: from labels %+v, vigie.yml has RDs %v", w.Name, g, w.RDs)
		}
	}
	for _, w := range hand.Interconnects {
		i := slices.IndexFunc(gen.Interconnects, func(x inventory.Interconnect) bool { return x.ID == w.ID })
		if i < 0 {
			t.Errorf("interconnect %s missing from the labels' inventory", w.ID)
			continue
		}
		if g := gen.Interconnects[i]; g.VRF != w.VRF || !slices.Equal(g.Prefixes, w.Prefixes) {
			t.Errorf("interconnect %s: from labels vrf %q prefixes %v, vigie.yml vrf %q prefixes %v", w.ID, g.VRF, g.Prefixes, w.VRF, w.Prefixes)
		}
	}
	for _, p := range gen.BGP.Peers {
		if !slices.Contains(p.Families, inventory.FamilyVPNv4) {
			t.Errorf("peer %s carries %v, want VPNv4 too", p.Device, p.Families)
		}
	}

	base, err := os.ReadFile("rie-slice/rie-slice.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`vigie.vrf-rd: "65000:100"`, `vigie.vrf-rd: "65000"`, `node testa: label vigie.vrf-rd: "65000"`},
		{"vigie.vrf-name: renater", "vigie.vrf-nam: renater", "node renater: label vigie.vrf-rd needs vigie.vrf-name"},
		{"vigie.prefixes: 10.210.1.0/24", "vigie.prefixes: 10.210.1.0", `node testa: label vigie.prefixes: "10.210.1.0" is not a prefix`},
	} {
		if !bytes.Contains(base, []byte(tc.from)) {
			t.Fatalf("rie-slice.clab.yml has no %q", tc.from)
		}
		src := bytes.Replace(base, []byte(tc.from), []byte(tc.to), 1)
		topo, err := ParseTopology(filepath.Join(moduleRoot(t), "lab", "rie-slice", "rie-slice.clab.yml"), src)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err = topo.Inventory(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: %v\nwant %q", tc.from, tc.to, err, tc.want)
		}
	}
}
