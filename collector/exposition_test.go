package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// twin is the same inventory behind the registry path (the reference) and
// the text path, fed the same polls.
type twin struct {
	ref, txt       *Collector
	refReg, txtReg *prometheus.Registry
}

func newTwin(t testing.TB, inv *inventory.Inventory, opts Options) *twin {
	t.Helper()
	tw := &twin{refReg: prometheus.NewRegistry(), txtReg: prometheus.NewRegistry()}
	var err error
	opts.Sessions = 1
	if tw.ref, err = New(inv, opts, nil, tw.refReg); err != nil {
		t.Fatal(err)
	}
	if tw.txt, err = New(inv, opts, nil, tw.txtReg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tw.ref.poller.Close(); _ = tw.txt.poller.Close() })
	if err := tw.txt.ExposeAsText(tw.txtReg); err != nil {
		t.Fatal(err)
	}
	return tw
}

// record hands poll p of device i, with its device state, to both sides.
func (tw *twin) record(i int, p *snmp.Poll, st *snmp.DeviceState) {
	for _, c := range []*Collector{tw.ref, tw.txt} {
		d := c.devices[i]
		d.state = st
		c.record(d, p)
	}
}

// refText is what the Gather-based path serves.
func (tw *twin) refText(t testing.TB) []byte {
	t.Helper()
	return gatherText(t, tw.refReg, nil)
}

// txtText is what the text path serves: registry then WriteText, as web does.
func (tw *twin) txtText(t testing.TB) []byte {
	t.Helper()
	return gatherText(t, tw.txtReg, tw.txt)
}

func gatherText(t testing.TB, g prometheus.Gatherer, c *Collector) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if c != nil {
		if err := c.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// parsed is an exposition reduced to what must be equal: per family HELP,
// TYPE and series (sorted labels -> value).
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
			case m.Untyped != nil:
				f.series[key] = m.Untyped.GetValue()
			default:
				f.series[key] = math.Inf(-1) // histograms: compared by presence
			}
		}
		out[name] = f
	}
	return out
}

// compare reports every difference between the reference and the text path.
func compare(t *testing.T, ref, got parsed) (series int) {
	t.Helper()
	for name, rf := range ref {
		gf, ok := got[name]
		if !ok {
			t.Errorf("family %s missing from the text path", name)
			continue
		}
		if rf.help != gf.help || rf.typ != gf.typ {
			t.Errorf("%s: HELP/TYPE %q %s, want %q %s", name, gf.help, gf.typ, rf.help, rf.typ)
		}
		for k, v := range rf.series {
			series++
			gv, ok := gf.series[k]
			switch {
			case !ok:
				t.Errorf("%s{%s} missing from the text path", name, k)
			case gv != v && !(math.IsNaN(gv) && math.IsNaN(v)):
				t.Errorf("%s{%s} = %v, want %v", name, k, gv, v)
			}
		}
		for k := range gf.series {
			if _, ok := rf.series[k]; !ok {
				t.Errorf("%s{%s} exposed by the text path only", name, k)
			}
		}
	}
	for name := range got {
		if _, ok := ref[name]; !ok {
			t.Errorf("family %s exposed by the text path only", name)
		}
	}
	return series
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

// TestTextMatchesRegistry: for the same polls, the text path serves
// exactly the series, values, HELP and TYPE of the Gather-based path.
func TestTextMatchesRegistry(t *testing.T) {
	now := time.Unix(1_790_000_000, 123_000_000)
	failed := func(name string, at time.Time, r snmp.Reason) *snmp.Poll {
		return &snmp.Poll{Device: name, Start: at, End: at.Add(2 * time.Second), Reason: r,
			Err: fmt.Errorf("device %s: %w", name, errors.New("no answer"))}
	}
	tests := []struct {
		name  string
		level InterfaceLevel
		polls [][]*snmp.Poll // per device, in order
		// deviceOnly are devices whose last poll failed: no interface,
		// BGP, uptime or LLDP series, but up = 0.
		deviceOnly []string
	}{
		{name: "tricky labels", polls: [][]*snmp.Poll{{trickyPoll("d000", now)}, {benchPoll("d001")}}},
		{name: "failing device keeps device-level series", polls: [][]*snmp.Poll{
			{trickyPoll("d000", now), failed("d000", now.Add(time.Minute), snmp.ReasonTimeout)},
			{failed("d001", now, snmp.ReasonAuth)},
			{benchPoll("d002")},
		}, deviceOnly: []string{"d000", "d001"}},
		{name: "problems counted", polls: [][]*snmp.Poll{{func() *snmp.Poll {
			p := benchPoll("d000")
			p.Problems = []snmp.Problem{{Table: "lldp", Reason: snmp.ReasonLoop}, {Table: "bgp", Reason: snmp.ReasonTooBig}}
			return p
		}()}}},
		{name: "level up", level: InterfacesUp, polls: [][]*snmp.Poll{{trickyPoll("d000", now)}}},
		{name: "level none", level: InterfacesNone, polls: [][]*snmp.Poll{{trickyPoll("d000", now)}}},
		{name: "never polled", polls: [][]*snmp.Poll{nil, {benchPoll("d001")}}},
		{name: "duplicate ifName keeps the first", polls: [][]*snmp.Poll{{func() *snmp.Poll {
			p := benchPoll("d000")
			p.Interfaces[4].Name = p.Interfaces[2].Name
			p.Interfaces[4].OperStatus = 2
			return p
		}()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := testInventory(len(tc.polls), time.Minute, anyAddr)
			opts := Options{}
			if tc.level != "" {
				opts.InterfaceMetrics = map[inventory.Role]InterfaceLevel{inventory.RoleCollection: tc.level}
			}
			tw := newTwin(t, inv, opts)
			for i, ps := range tc.polls {
				st := snmp.NewDeviceState()
				for _, p := range ps {
					if p.Err != nil {
						tw.ref.devices[i].series.countError(p.Reason)
						tw.txt.devices[i].series.countError(p.Reason)
					}
					for _, pr := range p.Problems {
						tw.ref.devices[i].series.countError(pr.Reason)
						tw.txt.devices[i].series.countError(pr.Reason)
					}
					tw.record(i, p, st)
				}
			}
			ref, got := tw.refText(t), tw.txtText(t)
			p := parse(t, got)
			n := compare(t, parse(t, ref), p)
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
				if _, ok := p["vigie_device_poll_errors_total"]; !ok {
					t.Errorf("%s: no poll error counted", dev)
				}
			}
			checkHeaders(t, got)
			promtoolCheck(t, got)
			if n == 0 {
				t.Fatal("nothing compared")
			}
			if testing.Verbose() {
				t.Logf("%d series equal; text path:\n%s", n, got)
			}
		})
	}
}

// TestTextMatchesRegistrySim: the same comparison on polls of a simulated
// fleet through the real SNMP poller (interface totals, BGP, LLDP), two
// polls per device so that totals move.
func TestTextMatchesRegistrySim(t *testing.T) {
	if testing.Short() {
		t.Skip("polls a simulated fleet")
	}
	inv, _ := startSim(t, 30)
	tw := newTwin(t, inv, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for round := 0; round < 2; round++ {
		for i, d := range tw.ref.devices {
			st := d.state
			p := tw.ref.poller.Poll(ctx, d.target, st)
			if p.Err != nil {
				t.Fatalf("poll %s: %v", d.name, p.Err)
			}
			tw.record(i, p, st)
		}
	}
	got := tw.txtText(t)
	n := compare(t, parse(t, tw.refText(t)), parse(t, got))
	checkHeaders(t, got)
	promtoolCheck(t, got)
	t.Logf("%d devices, %d series equal, %d bytes", len(inv.Devices), n, len(got))
	if n < 10*len(inv.Devices) {
		t.Errorf("only %d series compared for %d devices", n, len(inv.Devices))
	}
}

// TestTextNamesReserved: once exposed as text, the per-device families are
// absent from the registry's output but their names stay taken.
func TestTextNamesReserved(t *testing.T) {
	inv := testInventory(1, time.Minute, anyAddr)
	tw := newTwin(t, inv, Options{})
	tw.record(0, benchPoll("d000"), snmp.NewDeviceState())
	mfs, err := tw.txtReg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, f := range families {
			if mf.GetName() == f.name {
				t.Errorf("%s still gathered from the registry", f.name)
			}
		}
	}
	for _, f := range families {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: f.name, Help: "collides"})
		if err := tw.txtReg.Register(g); err == nil {
			t.Errorf("registering %s succeeded, want a collision", f.name)
		}
	}
	if err := tw.txt.ExposeAsText(prometheus.NewRegistry()); err == nil {
		t.Error("ExposeAsText with a foreign registry succeeded")
	}
}

// TestInvalidUTF8 is served as valid UTF-8 (U+FFFD), not dropped.
func TestInvalidUTF8(t *testing.T) {
	inv := testInventory(1, time.Minute, anyAddr)
	tw := newTwin(t, inv, Options{})
	p := benchPoll("d000")
	p.System.Name = "bad\xff\xfename"
	tw.record(0, p, snmp.NewDeviceState())
	got := parse(t, tw.txtText(t))
	if _, ok := got["vigie_device_info"].series[`datacentre="",device="d000",pop="rennes",region="bretagne",role="collection",site="",sys_name="bad`+"\ufffd"+`name"`]; !ok {
		t.Errorf("info series with replaced sysName missing: %v", got["vigie_device_info"].series)
	}
}

// TestTextScrapeDuringPolls: scrapes read while polls replace chunks (run
// with -race); every scrape parses and has whole devices.
func TestTextScrapeDuringPolls(t *testing.T) {
	const devices, rounds = 20, 30
	inv := testInventory(devices, time.Minute, anyAddr)
	tw := newTwin(t, inv, Options{})
	var wg sync.WaitGroup
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := snmp.NewDeviceState()
			d := tw.txt.devices[i]
			d.state = st
			for r := range rounds {
				p := benchPoll(d.name)
				p.Interfaces = p.Interfaces[:1+r%10]
				tw.txt.record(d, p)
			}
		}()
	}
	for range rounds {
		var buf bytes.Buffer
		if err := tw.txt.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		got := parse(t, buf.Bytes())
		// Each device's interface series come from one poll: as many
		// oper_up as admin_up per device.
		count := func(fam string) map[string]int {
			m := map[string]int{}
			for k := range got[fam].series {
				dev, _, _ := strings.Cut(k, ",")
				m[dev]++
			}
			return m
		}
		if a, b := count("vigie_interface_oper_up"), count("vigie_interface_admin_up"); !maps.Equal(a, b) {
			t.Errorf("torn device: oper %v admin %v", a, b)
		}
	}
	wg.Wait()
}

// TestRenderInPlace: a poll rewrites its device's rendering in place,
// without allocating, unless a scrape holds it; then the scrape keeps what
// it held, byte for byte, and the poll gets a rendering of its own.
func TestRenderInPlace(t *testing.T) {
	inv := testInventory(1, time.Minute, anyAddr)
	tw := newTwin(t, inv, Options{})
	d := tw.txt.devices[0]
	d.state = snmp.NewDeviceState()
	p := benchPoll(d.name)
	tw.txt.record(d, p) // first poll: labels and buffers made
	if n := testing.AllocsPerRun(50, func() { d.series.render(p, d.state, InterfacesAll) }); n != 0 && !raceEnabled {
		t.Errorf("render allocates %v times per poll, want 0", n)
	}

	held := d.series.hold()
	before := bytes.Clone(held.buf)
	short := benchPoll(d.name)
	short.Interfaces = short.Interfaces[:2]
	d.series.render(short, d.state, InterfacesAll)
	if !bytes.Equal(held.buf, before) {
		t.Error("a poll rewrote the rendering a scrape was holding")
	}
	if d.series.text == held {
		t.Fatal("the poll did not get a rendering of its own while a scrape held the last one")
	}
	d.series.release(held)

	cur := d.series.text
	d.series.render(p, d.state, InterfacesAll)
	if d.series.text != cur {
		t.Error("a poll with no scrape in progress replaced the rendering instead of rewriting it")
	}
	var buf bytes.Buffer
	if err := tw.txt.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "vigie_interface_oper_up{"); got != len(p.Interfaces) {
		t.Errorf("after the rewrite the scrape has %d interfaces, want %d", got, len(p.Interfaces))
	}
	if cur.readers != 0 {
		t.Errorf("WriteText left %d holds on the rendering", cur.readers)
	}
}
