package lab

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// kernelConfig reads one option of the running kernel's configuration
// from /proc/config.gz: "y", "m", "n" (not set) or "" when unknown.
func kernelConfig(t *testing.T, option string) string {
	t.Helper()
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return ""
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		line := sc.Text()
		if line == "# "+option+" is not set" {
			return "n"
		}
		if v, ok := strings.CutPrefix(line, option+"="); ok {
			return v
		}
	}
	return ""
}

// TestProbeKernel checks the probe against the kernel's own configuration
// where /proc/config.gz says it for sure (built in, or not set at all).
func TestProbeKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		needed(t, "probing the kernel needs root (a throwaway network namespace)")
	}
	k, err := ProbeKernel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("netem: %v; vrf: %v", k.Netem, k.VRF)
	for _, f := range []struct {
		option   string
		got      error
		sentinel error
	}{
		{"CONFIG_NET_SCH_NETEM", k.Netem, ErrNoNetem},
		{"CONFIG_NET_VRF", k.VRF, ErrNoVRF},
	} {
		switch kernelConfig(t, f.option) {
		case "y":
			if f.got != nil {
				t.Errorf("%s=y, but the probe says %v", f.option, f.got)
			}
		case "n":
			if !errors.Is(f.got, f.sentinel) || !strings.Contains(f.got.Error(), f.option) {
				t.Errorf("%s is not set, but the probe says %v (want an error naming %s)", f.option, f.got, f.option)
			}
		}
	}
}

// TestCutLossKernel plays a cut in mode loss on two bare nodes. With netem
// the link stays up and packets stop, then flow again after Restore;
// without, the cut is refused with ErrNoNetem, nothing is recorded and
// packets still flow.
func TestCutLossKernel(t *testing.T) {
	requireLab(t)
	k, err := ProbeKernel()
	if err != nil {
		t.Fatal(err)
	}
	l := upForTest(t, "testdata/kernel/pair.clab.yml", Options{StateRoot: t.TempDir(), ReadyTimeout: 10 * time.Second})
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for _, x := range []struct {
		node string
		addr netip.Addr
	}{{"a", a}, {"b", b}} {
		h, ns, err := handleAt(NodeNetns(l.Topo.Name, x.node))
		if err != nil {
			t.Fatal(err)
		}
		lk, err := h.LinkByName("eth1")
		if err == nil {
			err = h.AddrAdd(lk, &netlink.Addr{IPNet: &net.IPNet{IP: x.addr.AsSlice(), Mask: net.CIDRMask(30, 32)}})
		}
		h.Close()
		ns.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	reach := func() error { return l.Reach(ctx, "a", a, b, time.Second) }
	eventually(t, 5*time.Second, "a reaching b before the cut", func() (bool, string) {
		err := reach()
		return err == nil, errString(err)
	})
	cut := Target{Kind: CutLink, Name: "a:eth1", Mode: ModeLoss}
	err = l.Cut(ctx, cut)
	_, noNft := exec.LookPath("nft")
	// Without netem, a loss cut is an nftables drop rule: refused only
	// when nft is missing too.
	if k.Netem != nil && noNft != nil {
		if !errors.Is(err, ErrNoNetem) || !strings.Contains(err.Error(), "CONFIG_NET_SCH_NETEM") || !strings.Contains(err.Error(), "mode down") {
			t.Fatalf("cut in mode loss without netem: %v; want ErrNoNetem, naming CONFIG_NET_SCH_NETEM and the way out", err)
		}
		if cuts, err := l.Cuts(); err != nil || len(cuts) != 0 {
			t.Errorf("a refused cut was recorded: %v %v", cuts, err)
		}
		if err := reach(); err != nil {
			t.Errorf("after a refused cut: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if up, err := l.InterfaceUp(Endpoint{"b", "eth1"}); err != nil || !up {
		t.Errorf("mode loss took the link down (up=%v, %v): it must stay up", up, err)
	}
	if err := reach(); err == nil {
		t.Error("a still reaches b through 100% loss")
	}
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a reaching b after the restore", func() (bool, string) {
		err := reach()
		return err == nil, errString(err)
	})
}

// TestVRFKernel brings up a lab whose node asks for a kernel VRF: on a
// kernel with VRFs the device holds its table and the interface; without,
// Up refuses with ErrNoVRF before making anything.
func TestVRFKernel(t *testing.T) {
	requireLab(t)
	k, err := ProbeKernel()
	if err != nil {
		t.Fatal(err)
	}
	file := "testdata/kernel/vrf.clab.yml"
	if k.VRF != nil {
		opts := Options{StateRoot: t.TempDir(), ReadyTimeout: 10 * time.Second}
		l, err := Up(context.Background(), file, opts)
		if err == nil {
			l.Down(context.Background())
			t.Fatal("a lab with a VRF came up on a kernel without VRFs")
		}
		if !errors.Is(err, ErrNoVRF) || !strings.Contains(err.Error(), "CONFIG_NET_VRF") {
			t.Errorf("Up without VRFs: %v; want ErrNoVRF naming CONFIG_NET_VRF", err)
		}
		if nss, _ := labNamespaces("ktest-vrf"); len(nss) != 0 {
			t.Errorf("a refused Up left namespaces %v", nss)
		}
		return
	}
	l := upForTest(t, file, Options{StateRoot: t.TempDir(), ReadyTimeout: 10 * time.Second})
	h, ns, err := handleAt(NodeNetns(l.Topo.Name, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	defer h.Close()
	vrf, err := h.LinkByName("blue")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := vrf.(*netlink.Vrf); !ok || v.Table != 100 {
		t.Errorf("blue is %T %+v, want a VRF with table 100", vrf, vrf)
	}
	eth1, err := h.LinkByName("eth1")
	if err != nil {
		t.Fatal(err)
	}
	if eth1.Attrs().MasterIndex != vrf.Attrs().Index {
		t.Errorf("eth1's master is %d, want blue (%d)", eth1.Attrs().MasterIndex, vrf.Attrs().Index)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestParseVRFs checks the vigie.vrf.NAME labels.
func TestParseVRFs(t *testing.T) {
	ifaces := []string{"eth1", "eth2", "eth3"}
	for _, tc := range []struct {
		labels map[string]string
		want   []VRF
		err    string
	}{
		{map[string]string{"vigie.role": "pfs"}, nil, ""},
		{map[string]string{"vigie.vrf.testa": "100:eth2", "vigie.vrf.renater": "200:eth3, eth1"},
			[]VRF{{"renater", 200, []string{"eth3", "eth1"}}, {"testa", 100, []string{"eth2"}}}, ""},
		{map[string]string{"vigie.vrf.testa": "eth2"}, nil, "write TABLE:IF"},
		{map[string]string{"vigie.vrf.testa": "254:eth2"}, nil, "a free routing table"},
		{map[string]string{"vigie.vrf.testa": "100:eth9"}, nil, "not one of the node's link interfaces"},
		{map[string]string{"vigie.vrf.testa": "100:eth0"}, nil, "not one of the node's link interfaces"},
		{map[string]string{"vigie.vrf.a": "100:eth1", "vigie.vrf.b": "100:eth2"}, nil, "share table 100"},
		{map[string]string{"vigie.vrf.a": "100:eth1", "vigie.vrf.b": "101:eth1"}, nil, "is in VRFs a and b"},
		{map[string]string{"vigie.vrf.a-name-far-too-long": "100:eth1"}, nil, "1-15 characters"},
	} {
		got, err := parseVRFs(&Node{Name: "pfs", Labels: tc.labels}, ifaces)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want one saying %q", tc.labels, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.labels, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%v: %+v, want %+v", tc.labels, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].Name != tc.want[i].Name || got[i].Table != tc.want[i].Table || strings.Join(got[i].Interfaces, ",") != strings.Join(tc.want[i].Interfaces, ",") {
				t.Errorf("%v: %+v, want %+v", tc.labels, got, tc.want)
			}
		}
	}
}
