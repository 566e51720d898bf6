package lab

import (
	"bytes"
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSubstituteKinds(t *testing.T) {
	const file = "testdata/vendor/vendor.clab.yml"
	_, err := LoadTopology(file)
	for _, want := range []string{"ceos1 (kind ceos)", "srl1 (kind nokia_srlinux)", "-substitute ceos=linux,nokia_srlinux=linux", "lab/testdata/frr01"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("vendor kinds: %v\nwant it to say %q", err, want)
		}
	}
	if _, err := LoadTopologySubstituting(file, map[string]string{"ceos": "linux"}); err == nil || !strings.Contains(err.Error(), "srl1 (kind nokia_srlinux)") || strings.Contains(err.Error(), "ceos1") {
		t.Errorf("ceos substituted only: %v", err)
	}
	if _, err := LoadTopologySubstituting(file, map[string]string{"ceos": "frr"}); err == nil || !strings.Contains(err.Error(), "only linux stands in") {
		t.Errorf("ceos=frr: %v", err)
	}
	topo, err := LoadTopologySubstituting(file, map[string]string{"ceos": "linux", "nokia_srlinux": "linux"})
	if err != nil {
		t.Fatal(err)
	}
	for name, from := range map[string]string{"srl1": "nokia_srlinux", "ceos1": "ceos", "pc": ""} {
		if n := topo.Node(name); n == nil || n.Kind != "linux" || n.SubstitutedFrom != from {
			t.Errorf("node %s: %+v, want kind linux substituted from %q", name, n, from)
		}
	}
}

// TestSubstituteUp brings the vendor lab up with the vigie-lab binary as a
// planner would: srl1 as an FRR stand-in that forwards, ceos1 as a bare
// node; packets go from the PC through srl1 to ceos1.
func TestSubstituteUp(t *testing.T) {
	requireLab(t)
	bin := buildVigieLab(t)
	const file = "testdata/vendor/vendor.clab.yml"
	opts := Options{StateRoot: t.TempDir(), Substitute: map[string]string{"ceos": "linux", "nokia_srlinux": "linux"}}
	t.Cleanup(func() {
		if err := Down(context.Background(), "vendor", opts); err != nil {
			t.Errorf("down: %v", err)
		}
		assertGone(t, "vendor", opts, nil)
	})
	if err := Down(context.Background(), "vendor", opts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "up", file, "-state", opts.StateRoot, "-substitute", "nokia_srlinux=linux,ceos=linux")
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("vigie-lab up -substitute:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"node srl1 (kind nokia_srlinux) runs as an FRR stand-in", "node ceos1 (kind ceos) runs as a bare linux node", "lab vendor up and converged"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("up did not say %q", want)
		}
	}
	l, err := Open(file, opts)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the PC reaching ceos1 through srl1", func() (bool, string) {
		err := l.Reach(ctx, "pc", netip.MustParseAddr("192.0.2.14"), netip.MustParseAddr("192.0.2.10"), time.Second)
		return err == nil, errString(err)
	})
}
