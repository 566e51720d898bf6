package exposition

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// TestScrapeDuringPolls: scrapes read while polls replace snapshots (run
// with -race); every scrape parses and has whole devices.
func TestScrapeDuringPolls(t *testing.T) {
	const devices, rounds = 20, 30
	e, err := New(testInventory(devices), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := snmp.NewDeviceState()
			name := e.sorted[i].inv.Name
			for r := range rounds {
				p := benchPoll(name)
				p.Interfaces = p.Interfaces[:1+r%10]
				e.Poll(p, st)
			}
		}()
	}
	for range rounds {
		got := parse(t, writeText(t, e))
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

// TestPublishInPlace: a poll rewrites its device's snapshot in place,
// without allocating, unless a scrape holds it; then the scrape keeps what
// it held, sample for sample, and the poll gets a snapshot of its own.
func TestPublishInPlace(t *testing.T) {
	e, err := New(testInventory(1), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := e.sorted[0]
	st := snmp.NewDeviceState()
	p := benchPoll(d.inv.Name)
	e.Poll(p, st) // first poll: labels and buffers made
	if n := testing.AllocsPerRun(50, func() { e.Poll(p, st) }); n != 0 && !raceEnabled {
		t.Errorf("Poll allocates %v times, want 0", n)
	}

	held := d.hold()
	before := append([]sample(nil), held.samples...)
	short := benchPoll(d.inv.Name)
	short.Interfaces = short.Interfaces[:2]
	e.Poll(short, st)
	if !slicesEqual(held.samples, before) {
		t.Error("a poll rewrote the snapshot a scrape was holding")
	}
	if d.cur == held {
		t.Fatal("the poll did not get a snapshot of its own while a scrape held the last one")
	}
	d.release(held)

	cur := d.cur
	e.Poll(p, st)
	if d.cur != cur {
		t.Error("a poll with no scrape in progress replaced the snapshot instead of rewriting it")
	}
	text := writeText(t, e)
	if got := bytes.Count(text, []byte("vigie_interface_oper_up{")); got != len(p.Interfaces) {
		t.Errorf("after the rewrite the scrape has %d interfaces, want %d", got, len(p.Interfaces))
	}
	if cur.readers != 0 {
		t.Errorf("WriteText left %d holds on the snapshot", cur.readers)
	}
}

func slicesEqual(a, b []sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestNamesReserved: the per-device families are not gathered from the
// registry, but their names are taken there.
func TestNamesReserved(t *testing.T) {
	reg := prometheus.NewRegistry()
	e, err := New(testInventory(1), nil, Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	e.Poll(benchPoll("d000"), snmp.NewDeviceState())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 0 {
		t.Errorf("%d families gathered from the registry, want none", len(mfs))
	}
	for _, f := range deviceFamilies {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: f.Name, Help: "collides"})
		if err := reg.Register(g); err == nil {
			t.Errorf("registering %s succeeded, want a collision", f.Name)
		}
	}
	if _, err := New(testInventory(1), nil, Options{Registerer: reg}); err == nil {
		t.Error("registering a second exposition on the same registry succeeded")
	}
}

// TestNewRejects: what New refuses, with a message naming the culprit.
func TestNewRejects(t *testing.T) {
	dup := testInventory(2)
	dup.Devices[1].Name = "d000"
	for _, tc := range []struct {
		name string
		inv  *inventory.Inventory
		opts Options
		want string
	}{
		{"duplicate device", dup, Options{}, `device "d000" appears twice`},
		{"unknown level", testInventory(1), Options{InterfaceMetrics: map[inventory.Role]InterfaceLevel{inventory.RoleCollection: "some"}},
			`interface metrics level "some" for role collection: want all, up or none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.inv, nil, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestUnknownDeviceIgnored: a poll of a device not in the inventory adds
// nothing.
func TestUnknownDeviceIgnored(t *testing.T) {
	e, err := New(testInventory(1), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := writeText(t, e) // the inventory's places only
	e.Poll(benchPoll("elsewhere"), snmp.NewDeviceState())
	if text := writeText(t, e); !bytes.Equal(text, before) {
		t.Errorf("WriteText after a poll of an unknown device:\n%s\nwant as before it:\n%s", text, before)
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errGone = errors.New("client gone")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errGone
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteTextStopsOnError: a scrape whose client went away ends with the
// write error, and releases every snapshot it held.
func TestWriteTextStopsOnError(t *testing.T) {
	e, err := New(testInventory(200), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range e.sorted {
		e.Poll(benchPoll(d.inv.Name), snmp.NewDeviceState())
	}
	if err := e.WriteText(&failWriter{n: 40 << 10}); !errors.Is(err, errGone) {
		t.Errorf("WriteText = %v, want the writer's error", err)
	}
	for _, d := range e.sorted {
		if d.cur.readers != 0 {
			t.Fatalf("%s: %d holds left after a failed scrape", d.inv.Name, d.cur.readers)
		}
	}
}

// TestLabelsSortAroundDevice: every per-device family but
// vigie_device_info and vigie_interface_info has its labels, in name order, as device, its own,
// region, role: what lets a label store only its own (see label); and
// aroundDevice tells which.
func TestLabelsSortAroundDevice(t *testing.T) {
	for i, f := range deviceFamilies {
		names := make([]string, len(f.order))
		for j, k := range f.order {
			names[j] = f.Labels[k]
		}
		n := len(names)
		want := n >= 3 && names[0] == "device" && names[n-2] == "region" && names[n-1] == "role"
		if got := aroundDevice(f); got != want {
			t.Errorf("%s: aroundDevice = %v for labels in name order %v", f.Name, got, names)
		}
		if i != famInfo && i != famIfInfo && !want {
			t.Errorf("%s: labels in name order %v, want device first and region, role last", f.Name, names)
		}
	}
	if aroundDevice(deviceFamilies[famInfo]) {
		t.Errorf("vigie_device_info: its labels interleave with the device's, yet aroundDevice says they sort around")
	}
}
