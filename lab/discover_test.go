package lab

// Issue 21's discovery against the real routers: `vigie discover`, run in
// the lab's mgmt namespace from one seed, crawls lldpd's LLDP-MIB (over
// each node's snmpd, AgentX) and finds every router and every LLDP link of
// the slice, and nothing outside the lab.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// discoverFound is what vigie discover writes: inventory devices: and
// links: entries.
type discoverFound struct {
	Devices []struct {
		Name    string `yaml:"name"`
		Address string `yaml:"address"`
	} `yaml:"devices"`
	Links []struct {
		A struct{ Device, Interface string } `yaml:"a"`
		B struct{ Device, Interface string } `yaml:"b"`
	} `yaml:"links"`
}

func discoverLinkKey(a, ai, b, bi string) string {
	x, y := a+":"+ai, b+":"+bi
	if y < x {
		x, y = y, x
	}
	return x + " -- " + y
}

// e2eDiscover runs vigie discover --all from seed with the lab's inventory
// (its SNMPv3 profile) and checks the devices and links it writes against
// the lab's topology: every node running snmpd and lldpd, named and
// addressed as in the lab, and every link between two such nodes, with
// both interfaces; no address outside the lab's mgmt subnet, no failure.
// Without --all, it finds nothing the inventory lacks.
func e2eDiscover(t *testing.T, l *Lab, bin, config, dir, seed string) {
	t.Helper()
	run := func(out string, extra ...string) string {
		t.Helper()
		args := append([]string{"discover", "--inventory", config, "--seed", l.MgmtAddr(seed).String(),
			"--allow", l.Topo.MgmtSubnet.String(), "--max-depth", "10", "--max-devices", "100", "--out", out}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "VIGIE_LAB_AUTH=vigie-lab-auth", "VIGIE_LAB_PRIV=vigie-lab-priv")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := l.MgmtStart(cmd); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("vigie %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		t.Log(lastLine(stderr.String()))
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	all := run(filepath.Join(dir, "discovered-all.yml"), "--all")
	var found discoverFound
	if err := yaml.Unmarshal([]byte(all), &found); err != nil {
		t.Fatalf("vigie discover's output is not YAML: %v\n%s", err, all)
	}
	speaks := func(n *Node) bool { return n != nil && n.Binds[bindLldpd] != "" && n.Binds[bindSnmpd] != "" }
	var want, got []string
	for _, n := range l.Topo.Nodes {
		if speaks(n) {
			want = append(want, n.Name+" "+n.MgmtAddr.String())
		}
	}
	for _, d := range found.Devices {
		got = append(got, d.Name+" "+d.Address)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("devices found (name, address):\n got %d %v\nwant %d %v\n%s", len(got), got, len(want), want, all)
	}
	want, got = nil, nil
	for _, k := range l.Topo.Links {
		if speaks(l.Topo.Node(k.A.Node)) && speaks(l.Topo.Node(k.B.Node)) {
			want = append(want, discoverLinkKey(k.A.Node, k.A.Interface, k.B.Node, k.B.Interface))
		}
	}
	for _, k := range found.Links {
		got = append(got, discoverLinkKey(k.A.Device, k.A.Interface, k.B.Device, k.B.Interface))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("LLDP links found:\n got %d %v\nwant %d %v\n%s", len(got), got, len(want), want, all)
	}
	// lldpd (-x, AgentX to the node's snmpd) fills lldpRemManAddrTable
	// with the address it advertises (-m, the node's mgmt address): that
	// is what the crawl follows, not a chassis id.
	if n := strings.Count(all, "(LLDP management address)"); n != len(found.Devices)-1 {
		t.Errorf("%d devices reached through lldpRemManAddrTable, want every one but the seed (%d)\n%s", n, len(found.Devices)-1, all)
	}
	if strings.Contains(all, "# Addresses that did not answer") || strings.Contains(all, "# Neighbours neither reached") {
		t.Errorf("failures or unreached neighbours in the lab:\n%s", all)
	}
	missing := run(filepath.Join(dir, "discovered.yml"))
	if !strings.Contains(missing, "# Nothing to add") {
		t.Errorf("the lab's inventory lacks what vigie discover found:\n%s", missing)
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
