package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// foundFile is the shape of what vigie discover writes: the inventory's
// devices: and links: sections.
type foundFile struct {
	Devices []struct {
		Name        string `yaml:"name"`
		Role        string `yaml:"role"`
		Address     string `yaml:"address"`
		SNMPProfile string `yaml:"snmp_profile"`
	} `yaml:"devices"`
	Links []struct {
		A inventory.Endpoint `yaml:"a"`
		B inventory.Endpoint `yaml:"b"`
	} `yaml:"links"`
}

func endsKey(a, b inventory.Endpoint) string {
	x, y := a.Device+":"+a.Interface, b.Device+":"+b.Interface
	if y < x {
		x, y = y, x
	}
	return x + " -- " + y
}

// TestDiscoverThroughBinary: `vigie discover` crawls a simulated RIE on
// loopback (SNMPv3, the profile's secrets from the environment) from one
// aggregation router, against an inventory that lost its two route
// reflectors and a backbone link. It writes exactly those: the devices
// with their address and profile, role REVIEW, and every LLDP link they
// and the lost link make, ends named as the inventory names them. Merged
// as it is, check-config refuses the devices by name; once a person gives
// each its role and place, check-config accepts the merged inventory.
func TestDiscoverThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	full := sim.Generate(sim.GenerateOptions{Sites: 8, Seed: 47})
	simtest.Serve(t, full, snmpagent.Options{Seed: 47})
	full.Index()

	// The inventory the operator has: no route reflector, one backbone
	// link fewer.
	lost := map[string]bool{"rr-1": true, "rr-2": true}
	old := *full
	old.Devices = slices.DeleteFunc(slices.Clone(full.Devices), func(d inventory.Device) bool { return lost[d.Name] })
	var wantLinks []string
	old.Links = nil
	for i, l := range full.Links {
		if lost[l.A.Device] || lost[l.B.Device] || i == 0 {
			wantLinks = append(wantLinks, endsKey(l.A, l.B))
			continue
		}
		old.Links = append(old.Links, l)
	}
	slices.Sort(wantLinks)
	config := writeConfig(t, dir, &old)

	var seed inventory.Device
	for _, d := range full.Devices {
		if strings.HasPrefix(d.Name, "agg-") {
			seed = d
			break
		}
	}
	out := filepath.Join(dir, "found.yml")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = simEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	_, errOut, code := run("discover", "--inventory", config, "--profile", sim.ProfileV3, "--seed", seed.Address.Addr().String(),
		"--port", fmt.Sprint(seed.Address.Port()), "--max-depth", "20", "--max-devices", "500", "--allow", "127.1.0.0/16", "--out", out)
	if code != 0 {
		t.Fatalf("vigie discover: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "discover: depth 0: 1 address(es) to contact") || !strings.Contains(errOut, "0 failed") ||
		!strings.Contains(errOut, "wrote "+out) {
		t.Errorf("stderr lacks the progress or the summary:\n%s", errOut)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var found foundFile
	if err := yaml.Unmarshal(text, &found); err != nil {
		t.Fatalf("the output is not YAML: %v\n%s", err, text)
	}
	var gotDevices []string
	for _, d := range found.Devices {
		gotDevices = append(gotDevices, d.Name)
		want := full.Device(d.Name)
		if want == nil || d.Address != want.Address.String() || d.SNMPProfile != sim.ProfileV3 || d.Role != "REVIEW" {
			t.Errorf("device %+v: want %+v with role REVIEW and the crawl's profile", d, want)
		}
	}
	slices.Sort(gotDevices)
	if !slices.Equal(gotDevices, []string{"rr-1", "rr-2"}) {
		t.Errorf("devices found missing from the inventory: %v, want rr-1 and rr-2\n%s", gotDevices, text)
	}
	var gotLinks []string
	for _, l := range found.Links {
		gotLinks = append(gotLinks, endsKey(l.A, l.B))
	}
	slices.Sort(gotLinks)
	if !slices.Equal(gotLinks, wantLinks) {
		t.Errorf("links:\n got %v\nwant %v\n%s", gotLinks, wantLinks, text)
	}

	// Merged without review, check-config names each device's role.
	merge := func(review bool) string {
		m := old
		m.Devices = slices.Clone(old.Devices)
		for _, d := range found.Devices {
			ap, err := netip.ParseAddrPort(d.Address)
			if err != nil {
				t.Fatal(err)
			}
			nd := inventory.Device{Name: d.Name, Role: inventory.Role(d.Role), Address: ap, Profile: d.SNMPProfile}
			if review {
				truth := full.Device(d.Name)
				nd.Role, nd.PoP, nd.Site, nd.Datacentre = truth.Role, truth.PoP, truth.Site, truth.Datacentre
			}
			m.Devices = append(m.Devices, nd)
		}
		m.Links = slices.Clone(old.Links)
		for _, l := range found.Links {
			m.Links = append(m.Links, inventory.Link{A: l.A, B: l.B})
		}
		sub := filepath.Join(dir, fmt.Sprint("merged-", review))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		return writeConfig(t, sub, &m)
	}
	stdout, _, code := run("check-config", merge(false))
	if code != 1 || strings.Count(stdout, `role: invalid role "REVIEW"`) != 2 {
		t.Errorf("check-config of the unreviewed merge: exit %d, want 1 naming both devices' role\n%s", code, stdout)
	}
	stdout, _, code = run("check-config", merge(true))
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("valid: %d regions", len(full.Regions))) ||
		!strings.Contains(stdout, fmt.Sprintf(" %d devices,", len(full.Devices))) {
		t.Errorf("check-config of the reviewed merge: exit %d, want valid with %d devices\n%s", code, len(full.Devices), stdout)
	}
}

// TestDiscoverErrorsThroughBinary: what an operator gets wrong is one line
// naming it, with the exit status of its kind, and --out is left as it was.
func TestDiscoverErrorsThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := sim.Generate(sim.GenerateOptions{Sites: 2, Seed: 48})
	config := writeConfig(t, dir, inv)
	out := filepath.Join(dir, "found.yml")
	if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no seed", []string{"--inventory", config}, 2, "--seed is required"},
		{"no inventory", []string{"--seed", "127.1.0.1"}, 2, "--inventory is required"},
		{"a name as seed", []string{"--inventory", config, "--seed", "bb-paris1"}, 2, `"bb-paris1" is not an IP address`},
		{"bad prefix", []string{"--inventory", config, "--seed", "127.1.0.1", "--allow", "10.0.0.0/33"}, 2, `"10.0.0.0/33" is not a prefix`},
		{"multicast seed", []string{"--inventory", config, "--profile", sim.ProfileV2, "--seed", "224.0.0.5", "--out", out}, 1, "224.0.0.5 is multicast"},
		{"unknown profile", []string{"--inventory", config, "--profile", "nope", "--seed", "127.1.0.1", "--out", out}, 1, `no SNMP profile "nope": give --profile one of "sim-v3", "sim-v2"`},
		{"nothing answers", []string{"--inventory", config, "--profile", sim.ProfileV2, "--seed", "127.1.0.1:9", "--timeout", "3s",
			"--out", filepath.Join(dir, "none.yml")}, 1, "no device reached"},
		{"unwritable out", []string{"--inventory", config, "--profile", sim.ProfileV2, "--seed", "127.1.0.1:9", "--timeout", "3s",
			"--out", filepath.Join(dir, "missing", "found.yml")}, 1, "does not exist: create it"},
		{"out is a directory", []string{"--inventory", config, "--profile", sim.ProfileV2, "--seed", "127.1.0.1:9", "--timeout", "2s",
			"--out", dir}, 1, "nothing was written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"discover"}, tc.args...)...)
			cmd.Env = simEnv()
			b, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.code || !strings.Contains(string(b), tc.want) || strings.Contains(string(b), "panic") {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, b)
			}
		})
	}
	if b, _ := os.ReadFile(out); string(b) != "previous\n" {
		t.Errorf("a failed discover changed --out: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.yml")); err != nil {
		t.Errorf("a crawl that reached nothing still writes its report of failures: %v", err)
	}
}
