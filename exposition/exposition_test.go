package exposition

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// testInventory returns n collection devices, d000 to d(n-1).
func testInventory(n int) *inventory.Inventory {
	inv := &inventory.Inventory{
		Regions: []inventory.Region{{ID: "bretagne", Name: "Bretagne"}},
		PoPs:    []inventory.PoP{{ID: "rennes", Region: "bretagne"}},
	}
	for i := 0; i < n; i++ {
		inv.Devices = append(inv.Devices, inventory.Device{Name: fmt.Sprintf("d%03d", i), Role: inventory.RoleCollection,
			PoP: "rennes", Profile: "v2"})
	}
	inv.Index()
	return inv
}

// fullRow is an interface row with every column answered.
const fullRow = snmp.ColAdminStatus | snmp.ColOperStatus | snmp.ColHighSpeed | snmp.ColInOctets | snmp.ColOutOctets |
	snmp.ColInErrors | snmp.ColOutErrors | snmp.ColInDiscards | snmp.ColOutDiscards

var testTime = time.Unix(1_790_000_000, 123_000_000)

// benchPoll is a device with 10 interfaces and 2 BGP peers.
func benchPoll(name string) *snmp.Poll {
	p := &snmp.Poll{Device: name, Start: testTime, End: testTime.Add(3 * time.Millisecond),
		System: snmp.System{Name: name, Uptime: time.Hour}}
	for i := 1; i <= 10; i++ {
		p.Interfaces = append(p.Interfaces, snmp.Interface{Index: int32(i), Name: fmt.Sprintf("GigabitEthernet0/%d", i),
			AdminUp: true, OperStatus: 1, HighSpeed: 1000, InOctets: uint64(i) << 30, OutOctets: uint64(i) << 29, Has: fullRow})
	}
	for i := 1; i <= 2; i++ {
		p.BGPPeers = append(p.BGPPeers, snmp.BGPPeer{Remote: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), State: 6, RemoteAS: 64600})
	}
	return p
}

// trickyPoll is a healthy poll whose sysName and interface names carry
// every character the text format escapes, and UTF-8.
func trickyPoll(name string, at time.Time) *snmp.Poll {
	return &snmp.Poll{Device: name, Start: at, End: at.Add(1500 * time.Microsecond),
		System: snmp.System{Name: "R\u00e9seau \"c\u0153ur\"\\n\nligne 2", Uptime: 90 * time.Minute},
		Interfaces: []snmp.Interface{
			{Index: 3, Name: `Gi0/0 "WAN" \ préfecture`, AdminUp: true, OperStatus: 1, HighSpeed: 100, Has: fullRow},
			{Index: 1, Name: "lo\n0", AdminUp: true, OperStatus: 1, HighSpeed: 0, Has: fullRow},
			{Index: 2, Name: "ge-0/0/1 ☃", AdminUp: false, OperStatus: 2, HighSpeed: 10000, Has: fullRow},
		},
		LLDP:     make([]snmp.LLDPNeighbor, 2),
		BGPPeers: []snmp.BGPPeer{{Remote: netip.MustParseAddr("2001:db8::1"), RemoteAS: 4200000000, State: 3, FSMEstablishedTransitions: 7}},
	}
}

// vendorBGPPoll is a PE router's poll with the peers and prefix counts of
// a vendor peer table; poll 1 has lost the VPNv6 family of its IPv6 peer.
func vendorBGPPoll(name string, poll int) *snmp.Poll {
	p := benchPoll(name)
	u := netip.MustParseAddr
	p.BGPPeers = []snmp.BGPPeer{
		{Remote: u("10.255.0.1"), State: 6, AdminUp: true, RemoteAS: 65000, FSMEstablishedTransitions: 1},
		{Remote: u("10.255.0.2"), State: 3, AdminUp: true, RemoteAS: 65000, Missing: snmp.BGPColTransitions},
		{Remote: u("2001:db8:ff::1"), State: 6, AdminUp: true, RemoteAS: 65000, FSMEstablishedTransitions: 2},
		{Remote: u("fe80::1%7"), State: 6, AdminUp: true, RemoteAS: 4200000001, FSMEstablishedTransitions: 1},
	}
	p.BGPPrefixes = []snmp.BGPPrefixes{
		{Remote: u("10.255.0.1"), Family: "ipv4-unicast", AFI: 1, SAFI: 1, Accepted: 12},
		{Remote: u("10.255.0.1"), Family: "l3vpn-ipv4-unicast", AFI: 1, SAFI: 128, Accepted: 2500},
		{Remote: u("10.255.0.9"), Family: "ipv4-unicast", AFI: 1, SAFI: 1, Accepted: 5},
		{Remote: u("2001:db8:ff::1"), Family: "ipv6-unicast", AFI: 2, SAFI: 1, Accepted: 850},
		{Remote: u("2001:db8:ff::1"), Family: "l3vpn-ipv6-unicast", AFI: 2, SAFI: 128, Accepted: 300},
		{Remote: u("fe80::1%7"), Family: "ipv6-unicast", AFI: 2, SAFI: 1, Accepted: 3},
	}
	if poll == 1 {
		p.BGPPrefixes = slices.Delete(p.BGPPrefixes, 4, 5)
		p.BGPPrefixes[1].Accepted = 2501
	}
	return p
}

func failedPoll(name string, at time.Time, r snmp.Reason) *snmp.Poll {
	return &snmp.Poll{Device: name, Start: at, End: at.Add(2 * time.Second), Reason: r,
		Err: fmt.Errorf("device %s: %w", name, errors.New("no answer"))}
}

// TestDeviceText: for polls handed over in order, WriteText writes the
// per-device families byte for byte as testdata/devices-<case>.txt says. The files
// were written by the collector's text path before the move (issue 20):
// the exposition renders at scrape time what was rendered at poll time,
// and nothing of it may change.
func TestDeviceText(t *testing.T) {
	tests := []struct {
		file  string
		level InterfaceLevel
		polls [][]*snmp.Poll // per device, in order
		// deviceOnly are devices whose last poll failed: no interface,
		// BGP, uptime or LLDP series, but up = 0.
		deviceOnly []string
	}{
		{file: "tricky-labels", polls: [][]*snmp.Poll{{trickyPoll("d000", testTime)}, {benchPoll("d001")}}},
		{file: "failing", polls: [][]*snmp.Poll{
			{trickyPoll("d000", testTime), failedPoll("d000", testTime.Add(time.Minute), snmp.ReasonTimeout)},
			{failedPoll("d001", testTime, snmp.ReasonAuth)},
			{benchPoll("d002")},
		}, deviceOnly: []string{"d000", "d001"}},
		{file: "problems", polls: [][]*snmp.Poll{{func() *snmp.Poll {
			p := benchPoll("d000")
			p.Problems = []snmp.Problem{{Table: "lldp", Reason: snmp.ReasonLoop}, {Table: "bgp", Reason: snmp.ReasonTooBig}, {Table: "x", Reason: "weird"}}
			return p
		}()}}},
		{file: "level-up", level: InterfacesUp, polls: [][]*snmp.Poll{{trickyPoll("d000", testTime)}}},
		{file: "level-none", level: InterfacesNone, polls: [][]*snmp.Poll{{trickyPoll("d000", testTime)}}},
		{file: "never-polled", polls: [][]*snmp.Poll{nil, {benchPoll("d001")}}},
		{file: "dup", polls: [][]*snmp.Poll{{func() *snmp.Poll {
			p := benchPoll("d000")
			p.Interfaces[4].Name = p.Interfaces[2].Name
			p.Interfaces[4].OperStatus = 2
			return p
		}()}}},
		// A PE router read through its vendor peer table: IPv6 and zoned
		// peers, prefix counts per family (one for a peer the poll does
		// not have: no series), a peer without its transitions column
		// (no series for it), and a second poll where a family is gone.
		{file: "vendor-bgp", polls: [][]*snmp.Poll{{vendorBGPPoll("d000", 0), vendorBGPPoll("d000", 1)}}},
		{file: "utf8", polls: [][]*snmp.Poll{{func() *snmp.Poll {
			p := benchPoll("d000")
			p.System.Name = "bad\xff\xfename"
			return p
		}()}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			inv := testInventory(len(tc.polls))
			opts := Options{}
			if tc.level != "" {
				opts.InterfaceMetrics = map[inventory.Role]InterfaceLevel{inventory.RoleCollection: tc.level}
			}
			e, err := New(inv, nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, ps := range tc.polls {
				st := snmp.NewDeviceState()
				for _, p := range ps {
					e.Poll(p, st)
				}
			}
			var buf bytes.Buffer
			if err := e.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			file := filepath.Join("testdata", "devices-"+tc.file+".txt")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("WriteText differs from %s:\n%s", file, lineDiff(want, got))
			}
			p := parse(t, got)
			for _, dev := range tc.deviceOnly {
				for name, f := range p {
					for k, v := range f.series {
						if !strings.HasPrefix(k, `device="`+dev+`"`) {
							continue
						}
						switch {
						case name == "vigie_device_up" && v != 0:
							t.Errorf("%s: up = %v after a failed poll", dev, v)
						case strings.HasPrefix(name, "vigie_interface_"), strings.Contains(name, "bgp"),
							name == "vigie_device_uptime_seconds", name == "vigie_device_lldp_neighbors":
							t.Errorf("%s: %s{%s} exposed after a failed poll", dev, name, k)
						}
					}
				}
			}
			checkHeaders(t, got)
			promtoolCheck(t, got)
		})
	}
}

// lineDiff lists the lines of want missing from got and those of got not
// in want.
func lineDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	if b.Len() == 0 {
		return "same lines, another order"
	}
	return b.String()
}

// parsed is an exposition reduced to per family HELP, TYPE and series
// (sorted labels -> value).
type parsed map[string]struct {
	help, typ string
	series    map[string]float64
}

func parse(t testing.TB, text []byte) parsed {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	out := parsed{}
	for name, mf := range mfs {
		f := out[name]
		f.help, f.typ, f.series = mf.GetHelp(), mf.GetType().String(), map[string]float64{}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+fmt.Sprintf("%q", l.GetValue()))
			}
			slices.Sort(ls)
			key := strings.Join(ls, ",")
			if _, dup := f.series[key]; dup {
				t.Errorf("%s{%s} exposed twice", name, key)
			}
			switch {
			case m.Gauge != nil:
				f.series[key] = m.Gauge.GetValue()
			case m.Counter != nil:
				f.series[key] = m.Counter.GetValue()
			default:
				f.series[key] = math.Inf(-1)
			}
		}
		out[name] = f
	}
	return out
}

// checkHeaders: every family has exactly one HELP and one TYPE line, and
// its samples follow them contiguously.
func checkHeaders(t *testing.T, text []byte) {
	t.Helper()
	helps, types := map[string]int{}, map[string]int{}
	current := ""
	done := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, _, _ := strings.Cut(line[len("# HELP "):], " ")
			helps[name]++
			if current != name {
				done[current] = true
			}
			current = name
		case strings.HasPrefix(line, "# TYPE "):
			name, _, _ := strings.Cut(line[len("# TYPE "):], " ")
			types[name]++
		case line == "":
		default:
			name, _, _ := strings.Cut(line, "{")
			name, _, _ = strings.Cut(name, " ")
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if name != current && base != current {
				t.Errorf("sample %q outside its family's block (current %q)", line, current)
			}
			if done[name] {
				t.Errorf("family %s split in two blocks", name)
			}
		}
	}
	for name, n := range helps {
		if n != 1 || types[name] != 1 {
			t.Errorf("%s: %d HELP and %d TYPE lines, want 1 each", name, n, types[name])
		}
	}
}

// promtoolCheck runs `promtool check metrics` on the exposition when
// promtool is installed (it must be under CI=true).
func promtoolCheck(t *testing.T, text []byte) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (CI=true: the project's scripts install prometheus)")
		}
		t.Log("promtool not installed: check skipped")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("promtool: %v", err)
	}
	// promtool exits non-zero on lint findings too; only "error" lines
	// (format problems) fail the test, lint advice is logged.
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(strings.ToLower(l), "error") {
			t.Errorf("promtool check metrics: %s", l)
		} else if l != "" {
			t.Logf("promtool: %s", l)
		}
	}
}
