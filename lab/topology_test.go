package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadTopologyRejects(t *testing.T) {
	for file, want := range map[string]string{
		"unknown-node.clab.yml":  "write NODE:INTERFACE with a declared node",
		"reused-iface.clab.yml":  "r1:eth1 is already used by links[0]",
		"mgmt-iface.clab.yml":    "eth0 and lo are the lab's",
		"kind.clab.yml":          `r1 (kind nokia_srlinux). Suggested FRR stand-in`,
		"public-mgmt.clab.yml":   "not a private range",
		"missing-bind.clab.yml":  "bind of /etc/frr/frr.conf",
		"unknown-group.clab.yml": `unknown group "routers"`,
		"bad-netem.clab.yml":     `vars.netem.delay "fast"`,
		"mgmt-outside.clab.yml":  "is not an address in 172.31.9.0/24",
	} {
		t.Run(file, func(t *testing.T) {
			_, err := LoadTopology(filepath.Join("testdata", "bad", file))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to say %q", err, want)
			}
		})
	}
}

func TestLoadTopologyInherits(t *testing.T) {
	topo, err := LoadTopology("testdata/inherit.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := topo.Node("r1"), topo.Node("r2")
	abs, _ := filepath.Abs("testdata/bad")
	if got := r1.Binds["/etc/one"]; got != filepath.Join(abs, "bad-netem.clab.yml") {
		t.Errorf("r1 /etc/one = %s: the group's bind must win over the defaults'", got)
	}
	if got := r2.Binds["/etc/one"]; got != filepath.Join(abs, "kind.clab.yml") {
		t.Errorf("r2 /etc/one = %s, want the defaults' bind", got)
	}
	if r1.Binds["/etc/two"] == "" || r2.Binds["/etc/two"] != "" {
		t.Errorf("group bind /etc/two: r1 %q r2 %q", r1.Binds["/etc/two"], r2.Binds["/etc/two"])
	}
	if r1.Env["A"] != "defaults" || r1.Env["B"] != "kind" {
		t.Errorf("env %v: the kind must override the defaults key by key", r1.Env)
	}
	if strings.Join(r1.Exec, ";") != "echo node" || strings.Join(r2.Exec, ";") != "echo kind" {
		t.Errorf("exec r1 %v r2 %v: the most specific level's list wins", r1.Exec, r2.Exec)
	}
	if r1.Role() != "internet" || r2.Role() != "" {
		t.Errorf("roles %q %q", r1.Role(), r2.Role())
	}
	if r1.MgmtAddr.String() != "172.31.255.2" || r2.MgmtAddr.String() != "172.31.255.3" {
		t.Errorf("mgmt addresses %s %s, want .2 and .3 of the default subnet", r1.MgmtAddr, r2.MgmtAddr)
	}
	l := topo.Links[0]
	want := Impairment{Delay: 20 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.5, RateKbit: 1000}
	if l.Netem != want || len(l.SRLGs) != 1 {
		t.Errorf("link %+v", l)
	}
}

// TestEndpoints checks what each cut of the RIE slice takes down.
func TestEndpoints(t *testing.T) {
	topo, err := LoadTopology("rie-slice/rie-slice.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cut  Target
		want string
	}{
		{Target{Kind: CutInternet}, "inet-a:eth1 inet-b:eth1 pfai-lyon:eth11 pfai-lyon:eth3 pfai-paris:eth11 pfai-paris:eth3 s09-4g-inet:eth1 s10-4g-inet:eth1"},
		{Target{Kind: CutSRLG, Name: "duct-paris-12"}, "agg-paris:eth13 agg-paris:eth14 s03-dual-srlg:eth1 s03-dual-srlg:eth2"},
		{Target{Kind: CutSRLG, Name: "path-a6"}, "bb-lyon-2:eth2 bb-lyon-2:eth3 bb-paris-1:eth3 bb-paris-2:eth2"},
		{Target{Kind: CutLink, Name: "agg-reunion:eth1"}, "agg-reunion:eth1 bb-paris-2:eth8"},
		{Target{Kind: CutNode, Name: "s07-adsl"}, "s07-adsl:eth0 s07-adsl:eth1"},
	} {
		eps, err := topo.Endpoints(tc.cut)
		if err != nil {
			t.Errorf("%s: %v", tc.cut, err)
			continue
		}
		var got []string
		for _, e := range eps {
			got = append(got, e.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s takes down %v, want %s", tc.cut, got, tc.want)
		}
	}
	for _, bad := range []Target{{Kind: CutSRLG, Name: "nope"}, {Kind: CutNode, Name: "nope"}, {Kind: CutLink, Name: "bb-paris-1:eth99"}, {Kind: CutLink, Name: "nocolon"}} {
		if _, err := topo.Endpoints(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{"internet": "internet", "link r1:eth1": "link r1:eth1", "node r1": "node r1", "srlg d": "srlg d"} {
		got, err := ParseTarget(strings.Fields(in))
		if err != nil || got.String() != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "internet x", "link", "node a b", "flood r1"} {
		if _, err := ParseTarget(strings.Fields(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestLoadScenarios(t *testing.T) {
	for _, dir := range []string{"mini", "rie-slice"} {
		topo, err := LoadTopology(filepath.Join(dir, dir+".clab.yml"))
		if err != nil {
			t.Fatal(err)
		}
		all, err := LoadScenarios(filepath.Join(dir, "scenarios.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 0 {
			t.Fatalf("%s: no scenarios", dir)
		}
		for name, s := range all {
			for _, c := range s.Cuts {
				if _, err := topo.Endpoints(c); err != nil {
					t.Errorf("%s: scenario %s: %v", dir, name, err)
				}
			}
		}
	}
	bad := filepath.Join(t.TempDir(), "s.yml")
	if err := os.WriteFile(bad, []byte("scenarios:\n  x:\n    cuts: [\"flood r1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScenarios(bad); err == nil {
		t.Error("a scenario with an unknown cut loaded")
	}
}
