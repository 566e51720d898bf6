package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// These tests run real labs: root, FRR, snmpd and lldpd are needed (they
// skip without them, and fail when CI=true). Run them one at a time on a
// shared machine: flock /tmp/vigie-heavy.lock go test ./lab -run Lab

const (
	oidLldpRemSysName = "1.0.8802.1.1.2.1.4.1.1.9" // LLDP-MIB lldpRemSysName
	oidBgpPeerState   = "1.3.6.1.2.1.15.3.1.2"     // BGP4-MIB bgpPeerState
	bgpEstablished    = 6
)

func requireLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live lab")
	}
	if os.Geteuid() != 0 {
		needed(t, "the lab needs root (network namespaces)")
	}
	if err := CheckBinaries(); err != nil {
		needed(t, "%v", err)
	}
	for _, tool := range []string{"snmpbulkwalk"} {
		if _, err := exec.LookPath(tool); err != nil {
			needed(t, "%s missing: install the Debian package snmp", tool)
		}
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// upForTest brings a lab up and registers a cleanup that takes it down and
// checks that nothing is left, even when the test fails.
func upForTest(t *testing.T, file string, opts Options) *Lab {
	t.Helper()
	topo, err := LoadTopology(file)
	if err != nil {
		t.Fatal(err)
	}
	opts.Progress = logWriter{t}
	if err := Down(context.Background(), topo.Name, opts); err != nil { // a previous run's leftovers
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := Up(ctx, file, opts)
	t.Cleanup(func() {
		full := opts
		full.setDefaults()
		pids := labPids(topo.Name, filepath.Join(full.StateRoot, topo.Name), nil)
		if err := Down(context.Background(), topo.Name, opts); err != nil {
			t.Errorf("down: %v", err)
		}
		assertGone(t, topo.Name, opts, pids)
		assertHostClean(t, topo)
	})
	if err != nil {
		t.Fatal(err)
	}
	assertHostClean(t, topo)
	return l
}

// assertHostClean checks that the host's namespace holds none of the
// lab's interfaces and none of its addresses: the lab lives only in its
// own namespaces. (Other engineers' interfaces come and go meanwhile, so
// the check looks for the lab's, not for any change.)
func assertHostClean(t *testing.T, topo *Topology) {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	labNets := []*net.IPNet{
		{IP: topo.MgmtSubnet.Addr().AsSlice(), Mask: net.CIDRMask(topo.MgmtSubnet.Bits(), 32)},
		{IP: net.IPv4(10, 254, 0, 0), Mask: net.CIDRMask(16, 32)}, // the labs' link addresses
	}
	for _, i := range ifs {
		if i.Name == mgmtBridge {
			t.Errorf("the host has the lab's interface %s", i.Name)
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			for _, n := range labNets {
				if n.Contains(ipn.IP) {
					t.Errorf("the host's %s has the lab address %s", i.Name, ipn)
				}
			}
		}
	}
}

// assertGone checks that no namespace, process, FRR pathspace or state of
// the lab is left.
func assertGone(t *testing.T, name string, opts Options, pids map[int]bool) {
	t.Helper()
	if nss, _ := labNamespaces(name); len(nss) > 0 {
		t.Errorf("namespaces left: %v", nss)
	}
	for pid := range pids {
		if alive(pid) {
			t.Errorf("process %d left", pid)
		}
	}
	opts.setDefaults()
	for _, glob := range []string{filepath.Join(frrEtc, nsPrefix(name)+"*"), filepath.Join(frrRun, nsPrefix(name)+"*"), filepath.Join(opts.StateRoot, name)} {
		if m, _ := filepath.Glob(glob); len(m) > 0 {
			t.Errorf("files left: %v", m)
		}
	}
}

// walkMgmt runs snmpbulkwalk from the lab's mgmt namespace, as an operator
// would, and returns its lines.
func walkMgmt(t *testing.T, l *Lab, node, oid string) string {
	t.Helper()
	cmd := exec.Command("snmpbulkwalk", "-m", "", "-On", "-v2c", "-c", "vigie-lab", "-t", "1", "-r", "1", l.MgmtAddr(node).String(), oid)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := l.MgmtStart(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("snmpbulkwalk %s %s: %v: %s", node, oid, err, out.String())
	}
	return out.String()
}

// bgpPeerStates walks a node's BGP4-MIB over SNMPv3 authPriv with gosnmp,
// from a socket opened inside the mgmt namespace: what vigie does.
func bgpPeerStates(t *testing.T, l *Lab, node string) map[string]int {
	t.Helper()
	g := &gosnmp.GoSNMP{
		Target: l.MgmtAddr(node).String(), Port: 161, Version: gosnmp.Version3, Timeout: time.Second, Retries: 1,
		SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv, MaxRepetitions: 20,
		SecurityParameters: &gosnmp.UsmSecurityParameters{
			UserName: "vigie", AuthenticationProtocol: gosnmp.SHA, AuthenticationPassphrase: "vigie-lab-auth",
			PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: "vigie-lab-priv",
		},
	}
	if err := l.MgmtDo(g.Connect); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	pdus, err := g.BulkWalkAll(oidBgpPeerState)
	if err != nil {
		t.Fatalf("BGP4-MIB walk of %s: %v", node, err)
	}
	out := map[string]int{}
	for _, p := range pdus {
		out[strings.TrimPrefix(p.Name, "."+oidBgpPeerState+".")] = int(gosnmp.ToBigInt(p.Value).Int64())
	}
	return out
}

// eventually polls cond every half second until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s: %s", limit, what, state)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestMiniLab(t *testing.T) {
	requireLab(t)
	l := upForTest(t, "mini/mini.clab.yml", Options{ReadyTimeout: 90 * time.Second})
	for _, p := range l.Phases {
		t.Logf("phase %-9s %5.1fs", p.Name, p.Duration.Seconds())
	}
	ctx := context.Background()

	// LLDP neighbours over SNMP from the mgmt namespace: agg1 sees all four.
	walk := walkMgmt(t, l, "agg1", oidLldpRemSysName)
	for _, n := range []string{"bb1", "bb2", "site1", "site2"} {
		if !strings.Contains(walk, `"`+n+`"`) {
			t.Errorf("agg1's lldpRemTable lacks %s:\n%s", n, walk)
		}
	}
	// The BGP4-MIB (FRR over AgentX) has every session Established.
	states := bgpPeerStates(t, l, "agg1")
	for _, peer := range []string{"10.0.0.1", "10.0.0.2", "10.254.0.14", "10.254.0.18"} {
		if states[peer] != bgpEstablished {
			t.Errorf("agg1 BGP4-MIB: peer %s state %d, want 6 (established); all: %v", peer, states[peer], states)
		}
	}

	// Cut the access of site1: the neighbour disappears, the session drops.
	cut := Target{Kind: CutLink, Name: "site1:eth1"}
	if err := l.Cut(ctx, cut); err != nil {
		t.Fatal(err)
	}
	if up, err := l.InterfaceUp(Endpoint{"agg1", "eth3"}); err != nil || up {
		t.Errorf("agg1:eth3 up=%v err=%v after the cut", up, err)
	}
	eventually(t, 30*time.Second, "site1 gone from agg1's LLDP and BGP", func() (bool, string) {
		w := walkMgmt(t, l, "agg1", oidLldpRemSysName)
		st := bgpPeerStates(t, l, "agg1")["10.254.0.14"]
		return !strings.Contains(w, `"site1"`) && st != bgpEstablished, fmt.Sprintf("bgp state %d, lldp:\n%s", st, w)
	})
	if cuts, _ := l.Cuts(); len(cuts) != 1 || cuts[0].String() != cut.String() {
		t.Errorf("cuts in force %v, want [%s]", cuts, cut)
	}
	// Other sessions are untouched.
	if st := bgpPeerStates(t, l, "agg1")["10.254.0.18"]; st != bgpEstablished {
		t.Errorf("site2's session went down with site1's (state %d)", st)
	}

	// Restore: the neighbour and the session come back.
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 45*time.Second, "site1 back in agg1's LLDP and BGP", func() (bool, string) {
		w := walkMgmt(t, l, "agg1", oidLldpRemSysName)
		st := bgpPeerStates(t, l, "agg1")["10.254.0.14"]
		return strings.Contains(w, `"site1"`) && st == bgpEstablished, fmt.Sprintf("bgp state %d, lldp:\n%s", st, w)
	})

	// A dead node answers no SNMP and its neighbours lose it.
	if err := l.Cut(ctx, Target{Kind: CutNode, Name: "site2"}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("snmpget", "-m", "", "-v2c", "-c", "vigie-lab", "-t", "1", "-r", "0", l.MgmtAddr("site2").String(), "1.3.6.1.2.1.1.5.0")
	if err := l.MgmtStart(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("site2 still answers SNMP after `cut node site2`")
	}
	if err := l.Restore(ctx, &Target{Kind: CutNode, Name: "site2"}); err != nil {
		t.Fatal(err)
	}
	if cuts, _ := l.Cuts(); len(cuts) != 0 {
		t.Errorf("cuts left after restore: %v", cuts)
	}
	if err := l.Restore(ctx, &Target{Kind: CutNode, Name: "site2"}); err == nil {
		t.Error("restoring a cut that is not in force gave no error")
	}
	eventually(t, 45*time.Second, "the lab ready again", func() (bool, string) {
		var bad []string
		for _, s := range l.Status(ctx) {
			if !s.Ready() {
				bad = append(bad, s.Node+": "+s.Summary())
			}
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
}

// TestDownAfterFailedUp leaves a half-made lab behind (as a killed `up`
// would) and checks that Down, from the name alone, removes all of it.
func TestDownAfterFailedUp(t *testing.T) {
	requireLab(t)
	const name = "mini"
	opts := Options{KeepOnFailure: true, ReadyTimeout: time.Second}
	if err := Down(context.Background(), name, opts); err != nil {
		t.Fatal(err)
	}
	// Whatever fails below, the kept lab goes (a leftover holds namespaces
	// and daemons until someone notices).
	t.Cleanup(func() { _ = Down(context.Background(), name, Options{}) })
	_, err := Up(context.Background(), "mini/mini.clab.yml", opts)
	if err == nil || !strings.Contains(err.Error(), "mini did not converge within 1s") {
		t.Fatalf("Up with a 1 s readiness timeout: %v", err)
	}
	nss, _ := labNamespaces(name)
	pids := labPids(name, filepath.Join(DefaultStateRoot, name), nil)
	if len(nss) != 6 || len(pids) == 0 {
		t.Fatalf("the failed Up left %d namespaces and %d processes, want 6 and some", len(nss), len(pids))
	}
	// Up refuses to run over leftovers.
	if _, err := Up(context.Background(), "mini/mini.clab.yml", opts); err == nil || !strings.Contains(err.Error(), "down") {
		t.Errorf("Up over leftovers: %v", err)
	}
	if err := Down(context.Background(), name, Options{}); err != nil {
		t.Fatal(err)
	}
	assertGone(t, name, opts, pids)
	if err := Down(context.Background(), name, Options{}); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

// TestRIESliceLab brings the whole slice up and down once, timing each
// phase, and checks the internet cut from the PFAI's point of view.
func TestRIESliceLab(t *testing.T) {
	requireLab(t)
	start := time.Now()
	l := upForTest(t, "rie-slice/rie-slice.clab.yml", Options{ReadyTimeout: 120 * time.Second})
	for _, p := range l.Phases {
		t.Logf("phase %-9s %5.1fs", p.Name, p.Duration.Seconds())
	}
	t.Logf("rie-slice up in %.1fs (%d nodes, %d links)", time.Since(start).Seconds(), len(l.Topo.Nodes), len(l.Topo.Links))
	for _, w := range l.Warnings {
		t.Log("warning:", w)
	}
	ctx := context.Background()
	// Before the cut the PFAI learn a default route from their upstreams.
	out, err := l.Vtysh(ctx, "pfai-paris", "show ip route 0.0.0.0/0")
	if err != nil || !strings.Contains(string(out), "bgp") {
		t.Fatalf("pfai-paris has no BGP default route before the cut: %v\n%s", err, out)
	}
	if err := l.Cut(ctx, Target{Kind: CutInternet}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the default route gone from the backbone", func() (bool, string) {
		out, _ := l.Vtysh(ctx, "bb-lyon-1", "show ip route 0.0.0.0/0")
		return !strings.Contains(string(out), "Routing entry for 0.0.0.0/0"), string(out)
	})
	// The datacentres still reach each other and the partners do not depend
	// on the internet.
	// TESTA's VRF is a namespace of pfs-paris (vigie.netns-vrf), which
	// FRR names the VRF after.
	out, err = l.Vtysh(ctx, "pfs-paris", "show ip route vrf "+netnsVRFNetns(l.Topo.Name, "pfs-paris", "testa")+" 10.210.1.0/24")
	if err != nil || !strings.Contains(string(out), "bgp") {
		t.Errorf("TESTA's prefix lost from its VRF with the internet: %v\n%s", err, out)
	}
	stop := time.Now()
	if err := l.Down(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("rie-slice down in %.1fs", time.Since(stop).Seconds())
	if nss, _ := labNamespaces(l.Topo.Name); len(nss) > 0 {
		t.Errorf("namespaces left: %v", nss)
	}
	if err := l.Down(ctx); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("second Down: %v", err)
	}
}
