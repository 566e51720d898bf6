package topology

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/promtest"
	"github.com/vigie-rie/vigie/inventory"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// loadInventory reads a testdata inventory (the inventory structs as JSON,
// so that these tests do not depend on the YAML loader).
func loadInventory(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	inv.Profiles[0].Community = inventory.NewSecret("s3cr3t-community", "env:TEST")
	inv.Index()
	return &inv
}

// harness runs a Topology on a test inventory with a fake clock, and
// builds polls from a simple description of each device's ports.
type harness struct {
	t      testing.TB
	inv    *inventory.Inventory
	topo   *Topology
	reg    *prometheus.Registry
	now    time.Time
	nowMu  sync.Mutex // the topology reads the clock from API goroutines
	uptime map[string]time.Duration
	// down lists "device:ifname" ports reported oper-down; lldpOff the
	// devices whose LLDP table comes back empty; extraLLDP neighbours added
	// to a device's table.
	down      map[string]bool
	lldpOff   map[string]bool
	extraLLDP map[string][]snmp.LLDPNeighbor
	portMap   map[string]map[string][2]string
	cancel    context.CancelFunc
	done      chan struct{}
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	return newHarnessInv(t, loadInventory(t, "small.json"), opts)
}

func newHarnessInv(t testing.TB, inv *inventory.Inventory, opts Options) *harness {
	t.Helper()
	return newHarnessLog(t, inv, opts, nil)
}

// newHarnessLog is newHarnessInv with the topology logging to logger.
func newHarnessLog(t testing.TB, inv *inventory.Inventory, opts Options, logger *slog.Logger) *harness {
	t.Helper()
	h := &harness{t: t, inv: inv, reg: prometheus.NewPedanticRegistry(), now: t0,
		uptime: map[string]time.Duration{}, down: map[string]bool{}, lldpOff: map[string]bool{}, extraLLDP: map[string][]snmp.LLDPNeighbor{}}
	if opts.Now == nil {
		opts.Now = func() time.Time {
			h.nowMu.Lock()
			defer h.nowMu.Unlock()
			return h.now
		}
	}
	if opts.Debounce == 0 {
		opts.Debounce = time.Hour // tests analyse at Sync, deterministically
	}
	topo, err := New(h.inv, opts, logger, h.reg)
	if err != nil {
		t.Fatal(err)
	}
	h.topo = topo
	h.portMap = h.ports()
	h.start()
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { _ = h.topo.Run(ctx); close(h.done) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

// ports returns, per device, its declared link ends: ifname -> (peer, peer ifname).
func (h *harness) ports() map[string]map[string][2]string {
	out := map[string]map[string][2]string{}
	add := func(d, i, pd, pi string) {
		if d == "" || i == "" {
			return
		}
		if out[d] == nil {
			out[d] = map[string][2]string{}
		}
		out[d][i] = [2]string{pd, pi}
	}
	for _, s := range h.inv.Sites {
		for _, a := range s.Access {
			add(a.Router, a.RouterInterface, a.Device, a.Interface)
			add(a.Device, a.Interface, a.Router, a.RouterInterface)
		}
	}
	for _, l := range h.inv.Links {
		add(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface)
		add(l.B.Device, l.B.Interface, l.A.Device, l.A.Interface)
	}
	for _, ic := range h.inv.Interconnects {
		add(ic.Device, ic.Interface, "", "")
	}
	return out
}

// poll builds a successful poll of dev: every declared port up unless in
// h.down, LLDP naming the declared peer on every up port.
func (h *harness) poll(dev string) *snmp.Poll {
	h.uptime[dev] += time.Minute
	p := &snmp.Poll{Device: dev, Start: h.now, End: h.now, System: snmp.System{Name: dev, Uptime: h.uptime[dev]}}
	ports := h.portMap[dev]
	names := make([]string, 0, len(ports))
	for n := range ports {
		names = append(names, n)
	}
	sort.Strings(names)
	p.Interfaces = []snmp.Interface{}
	p.LLDP = []snmp.LLDPNeighbor{}
	for i, n := range names {
		oper := 1
		if h.down[dev+":"+n] || h.down[ports[n][0]+":"+ports[n][1]] {
			oper = 2
		}
		p.Interfaces = append(p.Interfaces, snmp.Interface{Index: int32(i + 1), Name: n, Descr: n, AdminUp: true, OperStatus: oper})
		if oper == 1 && ports[n][0] != "" && !h.lldpOff[dev] {
			p.LLDP = append(p.LLDP, snmp.LLDPNeighbor{LocalPortNum: int32(i + 1), LocalPort: n, SysName: ports[n][0], PortDescr: ports[n][1]})
		}
	}
	p.LLDP = append(p.LLDP, h.extraLLDP[dev]...)
	return p
}

func (h *harness) failed(dev string) *snmp.Poll {
	return &snmp.Poll{Device: dev, Start: h.now, End: h.now, Err: context.DeadlineExceeded, Reason: snmp.ReasonTimeout}
}

// round polls every inventory device once (those in fail time out), then
// waits for the model to settle.
func (h *harness) round(fail ...string) {
	h.t.Helper()
	h.nowMu.Lock()
	h.now = h.now.Add(time.Minute)
	h.nowMu.Unlock()
	failing := map[string]bool{}
	for _, f := range fail {
		failing[f] = true
	}
	for _, d := range h.inv.Devices {
		if failing[d.Name] {
			h.topo.Apply(h.failed(d.Name))
		} else {
			h.topo.Apply(h.poll(d.Name))
		}
	}
	h.sync()
}

func (h *harness) sync() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.topo.Sync(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// gatherer is everything /metrics serves of the topology: the registry and
// the text families. prometheus.Gatherers fails on a family served twice.
func (h *harness) gatherer() prometheus.Gatherer {
	return prometheus.Gatherers{h.reg, promtest.Text(h.topo)}
}

// metric returns the value of one series /metrics serves, or -1 if absent.
func (h *harness) metric(name string, labels map[string]string) float64 {
	h.t.Helper()
	mfs, err := h.gatherer().Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func (h *harness) link(id string) *link {
	h.topo.mu.RLock()
	defer h.topo.mu.RUnlock()
	l := h.topo.st.links[id]
	if l == nil {
		h.t.Fatalf("no link %q", id)
	}
	return l
}

func (h *harness) eventsOf(kind EventKind) []Event {
	var out []Event
	for _, e := range h.topo.Events(time.Time{}, 10000) {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func lint(t *testing.T, g prometheus.Gatherer) {
	t.Helper()
	problems, err := testutil.GatherAndLint(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !strings.Contains(p.Text, "counter metrics should have \"_total\" suffix") {
			t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
		}
	}
}
