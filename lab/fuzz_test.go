package lab

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseTopology feeds arbitrary bytes to the topology reader: it must
// answer with a topology or an error, never panic, and what it accepts must
// hold together.
func FuzzParseTopology(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.clab.yml")
	more, _ := filepath.Glob("testdata/bad/*.clab.yml")
	for _, p := range append(append(seeds, more...), "mini/mini.clab.yml") {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	dir, err := filepath.Abs("testdata")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := ParseTopology(filepath.Join(dir, "fuzz.clab.yml"), data)
		if err != nil {
			return
		}
		seen := map[Endpoint]bool{}
		for _, l := range topo.Links {
			for _, e := range []Endpoint{l.A, l.B} {
				if topo.Node(e.Node) == nil || seen[e] || e.Interface == mgmtIface {
					t.Fatalf("accepted a bad link %s", l)
				}
				seen[e] = true
			}
		}
		addrs := map[string]bool{}
		for _, n := range topo.Nodes {
			if !topo.MgmtSubnet.Contains(n.MgmtAddr) || addrs[n.MgmtAddr.String()] {
				t.Fatalf("node %s has mgmt address %s", n.Name, n.MgmtAddr)
			}
			addrs[n.MgmtAddr.String()] = true
		}
	})
}
