package lab

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The OSPF inputs are real outputs of FRR 8.4 on router1 of containerlab's
// own FRR example (testdata/frr01), 4 s after start (neighbours Init, every
// interface Waiting), 20 s after (2-Way, still Waiting: the DR election
// waits the 40 s dead interval) and once converged (Full).
func TestParseOSPF(t *testing.T) {
	for _, tc := range []struct {
		state, peers, pending string
	}{
		{"early", "eth1/10.10.10.2=Init/DROther eth2/10.10.10.3=Init/DROther",
			"ospf eth1 electing its DR (Waiting), ospf eth2 electing its DR (Waiting), ospf eth3 electing its DR (Waiting), ospf eth1/10.10.10.2 Init/DROther, ospf eth2/10.10.10.3 Init/DROther"},
		{"2way", "eth1/10.10.10.2=2-Way/DROther eth2/10.10.10.3=2-Way/DROther",
			"ospf eth1 electing its DR (Waiting), ospf eth2 electing its DR (Waiting), ospf eth3 electing its DR (Waiting), ospf eth1/10.10.10.2 2-Way/DROther, ospf eth2/10.10.10.3 2-Way/DROther"},
		{"full", "eth1/10.10.10.2=Full/DR eth2/10.10.10.3=Full/DR", ""},
	} {
		nb := readStatus(t, "frr01-router1-ospf-"+tc.state+"-neighbor.json")
		ifs := readStatus(t, "frr01-router1-ospf-"+tc.state+"-interface.json")
		s := NodeStatus{OSPFPeers: map[string]string{}}
		// eth1 and eth2 lead to routers; eth3 (passive) to a PC.
		if err := parseOSPF(nb, ifs, []string{"eth1", "eth2"}, &s); err != nil {
			t.Fatalf("%s: %v", tc.state, err)
		}
		var got []string
		for _, k := range sortedKeys(s.OSPFPeers) {
			got = append(got, k+"="+s.OSPFPeers[k])
		}
		if strings.Join(got, " ") != tc.peers || strings.Join(s.OSPFPending, ", ") != tc.pending {
			t.Errorf("%s: peers %q pending %q\nwant peers %q pending %q", tc.state, got, s.OSPFPending, tc.peers, tc.pending)
		}
	}
	// An active interface towards an OSPF router with no neighbour yet is
	// not converged, even though no neighbour is listed as not Full.
	s := NodeStatus{OSPFPeers: map[string]string{}}
	ifs := []byte(`{"interfaces":{"eth1":{"ospfEnabled":true,"ifUp":true,"state":"Point-To-Point","nbrCount":0}}}`)
	if err := parseOSPF([]byte(`{"neighbors":{}}`), ifs, []string{"eth1"}, &s); err != nil || strings.Join(s.OSPFPending, ",") != "ospf eth1 no neighbour" {
		t.Errorf("lonely interface: pending %q, err %v", s.OSPFPending, err)
	}
	if err := parseOSPF([]byte("% OSPF instance not found"), ifs, nil, &s); err == nil {
		t.Error("vtysh's error text parsed as OSPF neighbours")
	}
}

func TestParseRouteSummary(t *testing.T) {
	by, total, err := parseRouteSummary(readStatus(t, "frr01-router1-route-summary.json"))
	// 5 OSPF routes in the RIB, 2 in the FIB: the other 3 are connected.
	if err != nil || total != 7 || by["ospf"] != 2 || by["connected"] != 5 {
		t.Errorf("by protocol %v, total %d, err %v; want ospf 2, connected 5, total 7", by, total, err)
	}
}

// The text of `show isis neighbor` as FRR prints it (its JSON form is not
// in FRR 8.4).
func TestParseISISNeighbors(t *testing.T) {
	out := []byte(`Area 1:
  System Id           Interface   L  State        Holdtime SNPA
  r2                  eth1        2  Up            28       2020.2020.2020
  r3                  eth2        2  Initializing  29       2020.2020.2020
`)
	s := NodeStatus{ISISPeers: map[string]string{}}
	parseISISNeighbors(out, []string{"eth1", "eth2", "eth3"}, &s)
	if got := strings.Join(s.ISISPending, ", "); got != "isis eth2/r3 Initializing, isis eth3 no neighbour" || len(s.ISISPeers) != 2 {
		t.Errorf("peers %v, pending %q", s.ISISPeers, got)
	}
}

func TestReadIGP(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "frr.conf")
	body := "interface eth1\n ip router isis core\n!\ninterface eth2\n ip ospf area 0\n!\nrouter isis core\n net 49.0001.0000.0000.0001.00\n!\nrouter ospf\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := readIGP(conf)
	if err != nil || !g.OSPF || !g.ISIS || !g.ISISIfaces["eth1"] || g.ISISIfaces["eth2"] {
		t.Errorf("%+v, %v", g, err)
	}
	g, err = readIGP("testdata/frr01/router1/frr.conf")
	if err != nil || !g.OSPF || g.ISIS {
		t.Errorf("frr01 router1: %+v, %v", g, err)
	}
}

func readStatus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "status", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildVigieLab builds cmd/vigie-lab for tests that drive it as a planner does.
func buildVigieLab(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		needed(t, "go is needed to build vigie-lab: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vigie-lab")
	build := exec.Command("go", "build", "-tags", "gosnmp_nodebug", "-o", bin, "./cmd/vigie-lab")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/vigie-lab: %v\n%s", err, out)
	}
	return bin
}

// TestFRR01Converges brings up containerlab's own FRR example, unchanged,
// with the vigie-lab binary. OSPF on its broadcast links needs its 40 s
// wait before it elects DRs and exchanges routes: up used to say
// "converge 0.0s" at once. Now a short timeout says plainly that the lab
// did not converge and what OSPF is waiting for, and a long one says
// "converged" only when every PC reaches every other PC at once.
func TestFRR01Converges(t *testing.T) {
	requireLab(t)
	bin := buildVigieLab(t)
	file := "testdata/frr01/frr01.clab.yml"
	opts := Options{StateRoot: t.TempDir()}
	pids := map[int]bool{}
	t.Cleanup(func() {
		if err := Down(context.Background(), "frr01", opts); err != nil {
			t.Errorf("down: %v", err)
		}
		assertGone(t, "frr01", opts, pids)
	})
	if err := Down(context.Background(), "frr01", opts); err != nil {
		t.Fatal(err)
	}
	flock, err := exec.LookPath("flock")
	if err != nil {
		needed(t, "flock (util-linux) is needed: %v", err)
	}
	lock := filepath.Join(t.TempDir(), "lab.lock")
	up := func(timeout string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var out bytes.Buffer
		// As the project's machines run labs: under a lock, which the lab's
		// daemons must not inherit (they kept it as long as the lab ran).
		cmd := exec.CommandContext(ctx, flock, lock, bin, "up", file, "-state", opts.StateRoot, "-timeout", timeout)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		t.Logf("vigie-lab up -timeout %s:\n%s", timeout, out.String())
		return out.String(), err
	}

	out, err := up("5s")
	if err == nil || !strings.Contains(out, "frr01 did not converge within 5s") || !strings.Contains(out, "router1: ") ||
		!strings.Contains(out, "ospf eth1 electing its DR (Waiting)") {
		t.Errorf("up with 5 s: err %v; want a failure saying OSPF on router1 eth1 still elects its DR", err)
	}
	if nss, _ := labNamespaces("frr01"); len(nss) > 0 {
		t.Fatalf("a failed up left namespaces: %v", nss)
	}

	out, err = up("120s")
	if err != nil || !strings.Contains(out, "converged after") || !strings.Contains(out, "6 OSPF adjacencies") ||
		!strings.Contains(out, "lab frr01 up and converged in") {
		t.Fatalf("up: %v; want it converged with 6 OSPF adjacencies", err)
	}
	if out, err := exec.Command(flock, "-n", lock, "true").CombinedOutput(); err != nil {
		t.Errorf("the lock vigie-lab up ran under is still held while the lab runs (its daemons inherited it): %v %s", err, out)
	}
	l, err := Open(file, opts)
	if err != nil {
		t.Fatal(err)
	}
	for pid := range labPids("frr01", l.StateDir(), nil) {
		pids[pid] = true
	}
	// Converged means converged: every PC reaches every other PC now,
	// without waiting or retrying.
	pcs := map[string]netip.Addr{"PC1": netip.MustParseAddr("192.168.11.2"), "PC2": netip.MustParseAddr("192.168.12.2"), "PC3": netip.MustParseAddr("192.168.13.2")}
	for from, src := range pcs {
		for to, dst := range pcs {
			if from == to {
				continue
			}
			if err := l.Reach(context.Background(), from, src, dst, 2*time.Second); err != nil {
				t.Errorf("%s -> %s right after `up` said converged: %v", from, to, err)
			}
		}
	}

	// cut and restore say what they did.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cut", file, "link", "router1:eth1"}, "cut link router1:eth1: 1 link (router1:eth1 <-> router2:eth1), set administratively down, in "},
		{[]string{"cut", file, "node", "router3"}, "cut node router3: 4 interfaces (router3:eth0, router3:eth1, router3:eth2, router3:eth3), set administratively down, in "},
		{[]string{"restore", file, "link", "router1:eth1"}, "restored link router1:eth1: 1 link (router1:eth1 <-> router2:eth1), set administratively up, in "},
		{[]string{"restore", file}, "restored node router3: 4 interfaces (router3:eth0, router3:eth1, router3:eth2, router3:eth3), set administratively up, in "},
		{[]string{"restore", file}, "nothing to restore: no cut in force"},
	} {
		out, err := exec.Command(bin, append(tc.args, "-state", opts.StateRoot)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("vigie-lab %v: %v, said %q; want %q", tc.args, err, out, tc.want)
		}
	}
}

// TestDescribeCut checks how cut and restore name what they touched:
// links when both ends are cut, interfaces otherwise.
func TestDescribeCut(t *testing.T) {
	topo, err := LoadTopology("mini/mini.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cut  Target
		want string
	}{
		{Target{Kind: CutLink, Name: "agg1:eth3"}, "1 link (agg1:eth3 <-> site1:eth1)"},
		{Target{Kind: CutSRLG, Name: "duct-paris-1"}, "1 link (agg1:eth3 <-> site1:eth1)"},
		{Target{Kind: CutNode, Name: "site1"}, "2 interfaces (site1:eth0, site1:eth1)"},
	} {
		eps, err := topo.Endpoints(tc.cut)
		if err != nil {
			t.Fatal(err)
		}
		if got := topo.describeEndpoints(eps); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cut, got, tc.want)
		}
	}
	if got := topo.describeEndpoints(nil); got != "no interface" {
		t.Errorf("nothing: %q", got)
	}
}

// TestSplitJSON: one vtysh call answers every command in turn; the
// answers split back into what each parser reads (captured outputs of
// bgp, OSPF and routes, then IS-IS's text).
func TestSplitJSON(t *testing.T) {
	isis := "Area 1:\n  System Id           Interface   L  State        Holdtime SNPA\n  r2                  eth1        2  Up            28       2020.2020.2020\n"
	files := []string{"bb1-bgp-summary.json", "frr01-router1-ospf-full-neighbor.json", "frr01-router1-ospf-full-interface.json", "frr01-router1-route-summary.json"}
	var all []byte
	for _, f := range files {
		all = append(all, readStatus(t, f)...)
	}
	all = append(all, isis...)
	parts, rest, err := splitJSON(all, len(files))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if !bytes.Equal(bytes.TrimSpace(parts[i]), bytes.TrimSpace(readStatus(t, f))) {
			t.Errorf("part %d is not %s", i, f)
		}
	}
	if strings.TrimSpace(string(rest)) != strings.TrimSpace(isis) {
		t.Errorf("rest %q", rest)
	}
	if _, _, err := splitJSON([]byte(`{"a":1}% Unknown command`), 2); err == nil || !strings.Contains(err.Error(), "answer 2 of 2 is no JSON") {
		t.Errorf("text for the second answer: %v", err)
	}
}

// The `show ip ospf json` inputs are real outputs of FRR 8.4 on routers 1
// and 2 of testdata/frr01: converged, and 0.1 s after router1:eth1 was set
// down, when every adjacency left was still Full but the two databases
// differed (router1 had re-originated its LSAs, router2 not yet).
func TestLSDBDisagreements(t *testing.T) {
	status := func(node, state string, adj map[string]string) NodeStatus {
		s := NodeStatus{Node: node, ospfAdj: adj}
		if err := parseOSPFProcess(readStatus(t, "frr01-"+node+"-ospf-process-"+state+".json"), &s); err != nil {
			t.Fatalf("%s %s: %v", node, state, err)
		}
		return s
	}
	r1Adj := map[string]string{"10.10.10.2": "0.0.0.0", "10.10.10.3": "0.0.0.0"}
	r2Adj := map[string]string{"10.10.10.1": "0.0.0.0", "10.10.10.3": "0.0.0.0"}
	for _, tc := range []struct {
		name string
		all  []NodeStatus
		want string
	}{
		{"converged", []NodeStatus{status("router1", "full", r1Adj), status("router2", "full", r2Adj)}, ""},
		{"flooding", []NodeStatus{status("router1", "cut", r1Adj), status("router2", "cut", r2Adj)},
			"ospf area 0.0.0.0: the databases of router1 (7 LSAs) and router2 (6 LSAs) differ"},
		// The same area number in two OSPF domains: not neighbours, never compared.
		{"not adjacent", []NodeStatus{status("router1", "cut", nil), status("router2", "full", nil)}, ""},
		{"one end still early", []NodeStatus{status("router1", "full", r1Adj), status("router2", "cut", r2Adj)},
			"ospf area 0.0.0.0: the databases of router1 (6 LSAs) and router2 (6 LSAs) differ"},
	} {
		if got := strings.Join(lsdbDisagreements(tc.all), "; "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	s := status("router1", "full", nil)
	if s.ospfRouterID != "10.10.10.1" || len(s.OSPFPending) != 0 {
		t.Errorf("converged router1: router ID %q, pending %q", s.ospfRouterID, s.OSPFPending)
	}
	// FRR gives spfTimerDueInMsecs only while an SPF run is scheduled.
	s = NodeStatus{}
	if err := parseOSPFProcess([]byte(`{"routerId":"10.10.10.1","spfTimerDueInMsecs":4200,"areas":{}}`), &s); err != nil ||
		strings.Join(s.OSPFPending, ",") != "ospf SPF due in 4200 ms" || s.Ready() {
		t.Errorf("SPF due: pending %q, ready %v, err %v; want it pending", s.OSPFPending, s.Ready(), err)
	}
	if err := parseOSPFProcess([]byte("% OSPF instance not found"), &s); err == nil {
		t.Error("vtysh's error text parsed as the OSPF process")
	}
}
