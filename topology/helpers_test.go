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
	// cdp is a device's CDP table (none: not read, as for a device
	// without CISCO-CDP-MIB).
	cdp     map[string][]snmp.CDPNeighbor
	portMap map[string]map[string][2]string
	cancel  context.CancelFunc
	done    chan struct{}
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
	opts.Logger, opts.Registerer = logger, h.reg
	topo, err := New(h.inv, opts)
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
	p.CDP = h.cdp[dev]
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

// metric returns the value of one series of the topology's, or -1 if
// absent: its own instrumentation gathered from the registry, and the
// series the exposition package renders from its snapshots (Analysis,
// Routing, Counts) read from the snapshots themselves, so that these tests
// name what they check as an operator would. labels may leave some out.
func (h *harness) metric(name string, labels map[string]string) float64 {
	h.t.Helper()
	if v, ok := h.snapshotMetric(name, labels); ok {
		return v
	}
	mfs, err := h.reg.Gather()
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

// snapshotMetric reads one rendered series from the snapshots; ok is false
// for a name the snapshots do not hold.
func (h *harness) snapshotMetric(name string, labels map[string]string) (v float64, ok bool) {
	match := func(have map[string]string) bool {
		for k, v := range labels {
			if have[k] != v {
				return false
			}
		}
		return true
	}
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	site := map[string]func(s *SiteResult) float64{
		"vigie_site_protection_designed":      func(s *SiteResult) float64 { return float64(s.Designed) },
		"vigie_site_protection_effective":     func(s *SiteResult) float64 { return float64(s.Effective) },
		"vigie_site_disjoint_paths":           func(s *SiteResult) float64 { return float64(s.DisjointPaths) },
		"vigie_site_spofs":                    func(s *SiteResult) float64 { return float64(len(s.SPOFs)) },
		"vigie_site_isolated":                 func(s *SiteResult) float64 { return b(s.Isolated) },
		"vigie_site_isolated_if_internet_cut": func(s *SiteResult) float64 { return b(s.IsolatedIfInternetCut) },
	}
	a := h.topo.Analysis()
	switch {
	case site[name] != nil || name == "vigie_site_isolation_cause":
		for i := range a.Sites {
			s := &a.Sites[i]
			have := map[string]string{"site": s.ID, "region": s.Region}
			if name == "vigie_site_isolation_cause" {
				if !s.Isolated {
					continue
				}
				have["cause_kind"], have["cause"] = s.CauseKind, s.Cause
			}
			if match(have) {
				if f := site[name]; f != nil {
					return f(s), true
				}
				return 1, true
			}
		}
		return -1, true
	case name == "vigie_sites" || name == "vigie_region_sites":
		n := 0
		for i := range a.Sites {
			if match(map[string]string{"state": a.Sites[i].State, "region": a.Sites[i].Region}) {
				n++
			}
		}
		return float64(n), true
	case name == "vigie_site_routed" || name == "vigie_site_route_next_hops":
		for _, s := range h.topo.Routing().Sites {
			if match(map[string]string{"site": s.Site, "region": s.Region}) {
				if name == "vigie_site_routed" {
					return s.Routed, true
				}
				return float64(s.NextHops), true
			}
		}
		return -1, true
	case name == "vigie_topology_site_disagreements":
		return float64(h.topo.Routing().Disagreements[labels["kind"]]), true
	}
	c := h.topo.Counts()
	switch name {
	case "vigie_topology_nodes":
		return float64(c.Nodes), true
	case "vigie_topology_devices":
		return float64(c.Devices[DeviceState(labels["state"])]), true
	case "vigie_topology_links":
		return float64(c.Links[Source(labels["source"])]), true
	case "vigie_topology_link_states":
		return float64(c.LinkStates[LinkState(labels["state"])]), true
	case "vigie_topology_disagreements":
		return float64(c.Disagreements[labels["kind"]]), true
	}
	return 0, false
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
