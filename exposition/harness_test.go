package exposition

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/promtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// s2Fibre1 is one of site S2's two access links in the small inventory.
const s2Fibre1 = "agg-lyon-1:ge2--ce-s2:eth0"

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// loadInventory reads one of the topology's test inventories (the
// inventory structs as JSON).
func loadInventory(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	path := filepath.Join("..", "topology", "testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	inv.Profiles[0].Community = inventory.NewSecret("s3cr3t-community", "env:TEST")
	inv.Index()
	return &inv
}

// harness runs a live topology on a test inventory with a fake clock, its
// registry holding the topology's collector as the daemon's does, and
// polls every device as its declared ports say.
type harness struct {
	t      testing.TB
	inv    *inventory.Inventory
	topo   *topology.Topology
	reg    *prometheus.Registry
	now    time.Time
	nowMu  sync.Mutex
	uptime map[string]time.Duration
	// down lists "device:ifname" ports reported oper-down.
	down  map[string]bool
	ports map[string]map[string][2]string
}

func newHarness(t testing.TB, opts topology.Options) *harness {
	t.Helper()
	return newHarnessInv(t, loadInventory(t, "small.json"), opts)
}

func newHarnessInv(t testing.TB, inv *inventory.Inventory, opts topology.Options) *harness {
	t.Helper()
	h := &harness{t: t, inv: inv, reg: prometheus.NewPedanticRegistry(), now: t0,
		uptime: map[string]time.Duration{}, down: map[string]bool{}}
	opts.Now = func() time.Time {
		h.nowMu.Lock()
		defer h.nowMu.Unlock()
		return h.now
	}
	if opts.Debounce == 0 {
		opts.Debounce = time.Hour // analyse at Sync, deterministically
	}
	opts.Registerer = h.reg
	topo, err := topology.New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.reg.Register(newTopologyCollector(topo)); err != nil {
		t.Fatal(err)
	}
	h.topo = topo
	h.ports = declaredPorts(inv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = topo.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// declaredPorts returns, per device, its declared link ends: ifname ->
// (peer, peer ifname).
func declaredPorts(inv *inventory.Inventory) map[string]map[string][2]string {
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
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			add(a.Router, a.RouterInterface, a.Device, a.Interface)
			add(a.Device, a.Interface, a.Router, a.RouterInterface)
		}
	}
	for _, l := range inv.Links {
		add(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface)
		add(l.B.Device, l.B.Interface, l.A.Device, l.A.Interface)
	}
	for _, ic := range inv.Interconnects {
		add(ic.Device, ic.Interface, "", "")
	}
	return out
}

// poll is a successful poll of dev: every declared port up unless in
// h.down, LLDP naming the declared peer on every up port.
func (h *harness) poll(dev string) *snmp.Poll {
	h.uptime[dev] += time.Minute
	p := &snmp.Poll{Device: dev, Start: h.now, End: h.now, System: snmp.System{Name: dev, Uptime: h.uptime[dev]}}
	ports := h.ports[dev]
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
		if oper == 1 && ports[n][0] != "" {
			p.LLDP = append(p.LLDP, snmp.LLDPNeighbor{LocalPortNum: int32(i + 1), LocalPort: n, SysName: ports[n][0], PortDescr: ports[n][1]})
		}
	}
	return p
}

// round polls every inventory device once (those in fail time out), then
// waits for the model to settle and be analysed.
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
			h.topo.Apply(&snmp.Poll{Device: d.Name, Start: h.now, End: h.now, Err: context.DeadlineExceeded, Reason: snmp.ReasonTimeout})
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
	return prometheus.Gatherers{h.reg, promtest.Text(Topology(h.topo))}
}
