package inventory

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden .err files of testdata/bad")

// clearLines zeroes what Write cannot carry (source lines and file name),
// so that a round trip can be compared with reflect.DeepEqual.
func clearLines(inv *Inventory) {
	inv.Source = ""
	inv.BGP.Line = 0
	for i := range inv.Profiles {
		inv.Profiles[i].Line = 0
	}
	for i := range inv.Regions {
		inv.Regions[i].Line = 0
	}
	for i := range inv.Datacentres {
		inv.Datacentres[i].Line = 0
	}
	for i := range inv.PoPs {
		inv.PoPs[i].Line = 0
	}
	for i := range inv.Devices {
		inv.Devices[i].Line = 0
	}
	for i := range inv.Sites {
		inv.Sites[i].Line = 0
		for j := range inv.Sites[i].Access {
			inv.Sites[i].Access[j].Line = 0
		}
	}
	for i := range inv.VRFs {
		inv.VRFs[i].Line = 0
	}
	for i := range inv.Links {
		inv.Links[i].Line = 0
	}
	for i := range inv.Interconnects {
		inv.Interconnects[i].Line = 0
	}
	for i := range inv.BGP.Peers {
		inv.BGP.Peers[i].Line = 0
	}
}

// roundTrip writes inv and parses the result, failing on any problem.
func roundTrip(t testing.TB, inv *Inventory) (*Inventory, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatalf("Write: %v", err)
	}
	back, err := Parse("written.yml", buf.Bytes(), LoadOptions{})
	if err != nil {
		t.Fatalf("Parse(Write(x)) failed:\n%v\n--- written:\n%s", err, buf.String())
	}
	return back, buf.Bytes()
}

func TestConfigsLoadWithoutProblems(t *testing.T) {
	files, err := filepath.Glob("../configs/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs/*.yml found (%v)", err)
	}
	good, _ := filepath.Glob("testdata/good/*.yml")
	files = append(files, good...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var warnings []Problem
			inv, err := Load(f, LoadOptions{OnWarning: func(p Problem) { warnings = append(warnings, p) }})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if len(inv.Sites) == 0 || len(inv.Devices) == 0 {
				t.Errorf("loaded %d sites and %d devices, want some", len(inv.Sites), len(inv.Devices))
			}
		})
	}
}

// TestExampleContent pins what configs/vigie.example.yml promises to show,
// and that defaults and indexes are filled in.
func TestExampleContent(t *testing.T) {
	inv, err := Load("../configs/vigie.example.yml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[Protection]bool{}
	var overseas, via4g bool
	for _, s := range inv.Sites {
		levels[s.Protection] = true
		overseas = overseas || s.Overseas
		for _, a := range s.Access {
			via4g = via4g || (a.Technology == Tech4G && a.ViaInternet)
		}
	}
	for _, p := range []Protection{ProtectionSingle, ProtectionBackup, ProtectionDual, ProtectionDiverse} {
		if !levels[p] {
			t.Errorf("no site with protection %s", p)
		}
	}
	if !overseas || !via4g {
		t.Errorf("overseas site: %v, 4G via internet site: %v; want both", overseas, via4g)
	}
	kinds := map[InterconnectKind]bool{}
	for _, x := range inv.Interconnects {
		kinds[x.Kind] = true
	}
	for _, k := range InterconnectKinds {
		if !kinds[k] {
			t.Errorf("no %s interconnect", k)
		}
	}
	dev := inv.Device("ce-s0008-a")
	if dev == nil || dev.Address.Port() != 1161 || !dev.Address.Addr().Is6() {
		t.Errorf("ce-s0008-a = %+v, want an IPv6 address on port 1161", dev)
	}
	if d := inv.Device("pe-paris-1"); d == nil || d.Address.Port() != 161 || d.Profile != "default" {
		t.Errorf("pe-paris-1 = %+v, want port 161 and profile default", d)
	}
	if s := inv.Site("S-0006"); s == nil || !s.Overseas {
		t.Errorf("S-0006 should inherit overseas from its region: %+v", s)
	}
	if p := inv.Profile("default"); p == nil || p.Version != SNMPv3 || p.AuthPassword.Ref != "env:VIGIE_SNMP_AUTH" || p.AuthPassword.IsSet() {
		t.Errorf("default profile = %+v, want v3 with an unresolved env reference", p)
	}
	if got := inv.BGP.Peers[0].Port; got != 179 {
		t.Errorf("peer port = %d, want the default 179", got)
	}
	if inv.Polling.Intervals[RoleCollection] != 60*time.Second || inv.Agent.History != 168*time.Hour {
		t.Errorf("polling/agent defaults not as written: %+v %+v", inv.Polling, inv.Agent)
	}
}

func TestDefaults(t *testing.T) {
	src := `
snmp_profiles:
  - {name: default, username: u, auth_password: {env: A}, priv_password: {env: P}}
regions: [{id: r}]
pops: [{id: p, region: r}]
devices:
  - {name: agg, role: collection, pop: p, address: 192.0.2.1}
  - {name: ce, role: collection, site: S1, address: 192.0.2.2}
sites:
  - {id: S1, region: r, protection: single, access: [{technology: fibre, router: ce, device: agg}]}
bgp:
  local_as: 65001
  router_id: 192.0.2.9
  peers: [{device: agg, address: 192.0.2.1, remote_as: 65000}]
`
	inv, err := Parse("defaults.yml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inv.Polling, DefaultPolling()) {
		t.Errorf("polling = %+v, want DefaultPolling()", inv.Polling)
	}
	if inv.Agent.Listen != ":9742" || inv.Agent.History != 168*time.Hour || inv.Agent.DB != "" {
		t.Errorf("agent = %+v", inv.Agent)
	}
	want := DefaultProfile()
	want.Name, want.Username, want.Line = "default", "u", 3
	want.AuthPassword, want.PrivPassword = NewSecret("", "env:A"), NewSecret("", "env:P")
	if !reflect.DeepEqual(inv.Profiles[0], want) {
		t.Errorf("profile = %#v\nwant %#v", inv.Profiles[0], want)
	}
	if d := inv.Device("agg"); d.Profile != "default" || d.Address.Port() != 161 {
		t.Errorf("device = %+v", d)
	}
	p := inv.BGP.Peers[0]
	if p.Port != 179 || !reflect.DeepEqual(p.Families, []string{FamilyIPv4Unicast}) {
		t.Errorf("peer = %+v", p)
	}
	if inv.Site("S1") == nil || inv.Region("r") == nil || inv.PoP("p") == nil || inv.Profile("default") == nil {
		t.Error("Index was not built")
	}
}

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yml")
	files = append(files, "../configs/vigie.example.yml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			inv, err := Load(f, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			back, text := roundTrip(t, inv)
			clearLines(inv)
			clearLines(back)
			if !reflect.DeepEqual(inv, back) {
				t.Errorf("Parse(Write(x)) != x\n--- written:\n%s\n--- x: %+v\n--- back: %+v", text, inv, back)
			}
		})
	}
}

// TestBadConfigs loads each testdata/bad/NAME.yml and compares the error
// text with NAME.err (go test -run TestBadConfigs -update rewrites them).
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs (%v)", err)
	}
	t.Setenv("VIGIE_TEST_SET", "value-from-env")
	t.Setenv("VIGIE_TEST_EMPTY", "")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f, LoadOptions{ResolveSecrets: strings.Contains(f, "secret"), Strict: strings.Contains(f, "strict")})
			if err == nil {
				t.Fatal("Load succeeded, want problems")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *ConfigError: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got:\n%s--- want:\n%s", golden, got, want)
			}
		})
	}
}

func TestParseRD(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: "65000:100", want: "65000:100"},
		{in: "192.0.2.1:7", want: "192.0.2.1:7"},
		{in: "4200000000:1", want: "4200000000:1"},
		{in: "65000L:1", want: "65000:1"}, // type 2 prints without the L, as routers do
		{in: "65000:4294967295", want: "65000:4294967295"},
		{in: "65000:4294967296", err: true},
		{in: "4200000000:65536", err: true},
		{in: ":1", err: true},
		{in: "1:", err: true},
		{in: "65000", err: true},
		{in: "::1:1", err: true},
	} {
		rd, err := ParseRD(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseRD(%q) error = %v, want error %t", tc.in, err, tc.err)
			continue
		}
		if err == nil && rd.String() != tc.want {
			t.Errorf("ParseRD(%q).String() = %q, want %q", tc.in, rd.String(), tc.want)
		}
	}
	// Types are told apart: the same digits are different RDs.
	a, _ := ParseRD("65000:1")
	b, _ := ParseRD("65000L:1")
	if a == b || a>>48 != 0 || b>>48 != 2 {
		t.Errorf("65000:1 = %#x and 65000L:1 = %#x, want types 0 and 2", a, b)
	}
}
