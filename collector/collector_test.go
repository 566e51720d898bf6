package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/vigie-rie/vigie/collector/snmp"
	expo "github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/inventory"
)

// testInventory returns n collection devices polled every interval with a
// v2c profile, all at addr (the fake poll functions ignore it).
func testInventory(n int, interval time.Duration, addr netip.AddrPort) *inventory.Inventory {
	inv := &inventory.Inventory{
		Polling: inventory.Polling{
			Intervals:  map[inventory.Role]time.Duration{inventory.RoleCollection: interval, inventory.RoleBackbone: interval},
			Workers:    8,
			MaxBackoff: 8 * interval,
			MaxRows:    1000,
			Tables:     []string{"system", "interfaces", "lldp", "bgp"},
		},
		Profiles: []inventory.SNMPProfile{{Name: "v2", Version: inventory.SNMPv2c,
			Community: inventory.NewSecret("public", "test"), Timeout: 200 * time.Millisecond, Retries: 0, MaxRepetitions: 25}},
		Regions: []inventory.Region{{ID: "bretagne", Name: "Bretagne"}},
		PoPs:    []inventory.PoP{{ID: "rennes", Region: "bretagne"}},
	}
	for i := 0; i < n; i++ {
		inv.Devices = append(inv.Devices, inventory.Device{Name: fmt.Sprintf("d%03d", i), Role: inventory.RoleCollection,
			PoP: "rennes", Address: addr, Profile: "v2"})
	}
	inv.Index()
	return inv
}

var anyAddr = netip.MustParseAddrPort("127.0.0.1:1")

// okPoll answers like a healthy device with one interface.
func okPoll(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
	now := time.Now()
	return &snmp.Poll{Device: t.Device, Start: now, End: now.Add(time.Millisecond),
		System:     snmp.System{Name: "sys-" + t.Device, Uptime: time.Hour},
		Interfaces: []snmp.Interface{{Index: 1, Name: "eth0", AdminUp: true, OperStatus: 1, HighSpeed: 1000, Has: fullRow}},
		Varbinds:   16, Requests: 2}
}

// hangPoll never answers: it returns when its deadline passes.
func hangPoll(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
	start := time.Now()
	<-ctx.Done()
	return &snmp.Poll{Device: t.Device, Start: start, End: time.Now(), Err: ctx.Err(), Reason: snmp.ReasonTimeout}
}

type pollCounter struct {
	mu     sync.Mutex
	count  map[string]int
	active map[string]int
	// maxActive is the most polls of one device seen running at once.
	maxActive int
}

func newPollCounter() *pollCounter {
	return &pollCounter{count: map[string]int{}, active: map[string]int{}}
}

func (pc *pollCounter) wrap(f func(context.Context, *snmp.Target, *snmp.DeviceState) *snmp.Poll) func(context.Context, *snmp.Target, *snmp.DeviceState) *snmp.Poll {
	return func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
		pc.mu.Lock()
		pc.count[t.Device]++
		pc.active[t.Device]++
		pc.maxActive = max(pc.maxActive, pc.active[t.Device])
		pc.mu.Unlock()
		defer func() {
			pc.mu.Lock()
			pc.active[t.Device]--
			pc.mu.Unlock()
		}()
		return f(ctx, t, st)
	}
}

func (pc *pollCounter) get(d string) int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.count[d]
}

// lastPolls keeps each device's last poll, as an Options.OnPoll consumer.
type lastPolls struct {
	mu    sync.Mutex
	polls map[string]*snmp.Poll
}

func (l *lastPolls) onPoll(p *snmp.Poll, _ *snmp.DeviceState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.polls == nil {
		l.polls = map[string]*snmp.Poll{}
	}
	l.polls[p.Device] = p
}

func (l *lastPolls) get(device string) (*snmp.Poll, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.polls[device]
	return p, ok
}

func newTestCollector(t *testing.T, inv *inventory.Inventory, opts Options, reg prometheus.Registerer, logger *slog.Logger) *Collector {
	t.Helper()
	if opts.Sessions == 0 {
		opts.Sessions = 2
	}
	opts.Logger, opts.Registerer = logger, reg
	c, err := New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runFor runs c until cond holds (checked every 10 ms) or 10 s pass, then
// stops it and checks that Run returned.
func runFor(t *testing.T, c *Collector, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-ret
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-ret:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestDeadDeviceDoesNotDelayOthers: with one device that never answers,
// the healthy ones keep their rhythm and the dead one backs off.
func TestDeadDeviceDoesNotDelayOthers(t *testing.T) {
	inv := testInventory(5, 40*time.Millisecond, anyAddr)
	reg := prometheus.NewPedanticRegistry()
	c := newTestCollector(t, inv, Options{}, reg, nil)
	pc := newPollCounter()
	c.pollFn = pc.wrap(func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
		if t.Device == "d000" {
			return hangPoll(ctx, t, st)
		}
		return okPoll(ctx, t, st)
	})
	runFor(t, c, func() bool {
		for i := 1; i < 5; i++ {
			if pc.get(fmt.Sprintf("d%03d", i)) < 20 {
				return false
			}
		}
		return true
	})
	if dead := pc.get("d000"); dead >= 10 {
		t.Errorf("dead device polled %d times while healthy ones did 20: no back-off", dead)
	}
	if got := testutil.ToFloat64(c.m.devices.WithLabelValues(stateBackoff)); got != 1 {
		t.Errorf("devices{state=backoff} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.m.devices.WithLabelValues(stateUp)); got != 4 {
		t.Errorf("devices{state=up} = %v, want 4", got)
	}
	if n := testutil.ToFloat64(c.m.polls.WithLabelValues("collection", "failure")); n < 2 {
		t.Errorf("failures counted %v", n)
	}
}

// TestOverrunSkippedNotStacked: a poll that outlasts its interval is never
// run twice at once; the due polls are skipped, counted and logged once.
func TestOverrunSkippedNotStacked(t *testing.T) {
	inv := testInventory(1, 20*time.Millisecond, anyAddr)
	logs := &captureHandler{}
	c := newTestCollector(t, inv, Options{PollTimeout: 150 * time.Millisecond}, prometheus.NewRegistry(), slog.New(logs))
	pc := newPollCounter()
	c.pollFn = pc.wrap(hangPoll)
	skipped := c.m.roles[inventory.RoleCollection].skipped
	runFor(t, c, func() bool { return testutil.ToFloat64(skipped) >= 10 && pc.get("d000") >= 2 })
	if pc.maxActive != 1 {
		t.Errorf("%d polls of one device ran at once", pc.maxActive)
	}
	if n := logs.count("poll skipped"); n != 1 {
		t.Errorf("skip logged %d times, want once", n)
	}
}

// TestShutdownWaitsForPolls: Run returns after cancel only once the polls
// in flight have ended, and they end because their context is cancelled.
func TestShutdownWaitsForPolls(t *testing.T) {
	inv := testInventory(4, time.Hour, anyAddr) // first polls spread over an hour...
	c := newTestCollector(t, inv, Options{PollTimeout: time.Hour}, nil, nil)
	var started, ended atomic.Int32
	c.pollFn = func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
		started.Add(1)
		defer ended.Add(1)
		return hangPoll(ctx, t, st)
	}
	for _, d := range c.devices { // ...but force them due now
		d.interval = time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- c.Run(ctx) }()
	for started.Load() < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-ret:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if started.Load() != ended.Load() {
		t.Errorf("Run returned with %d of %d polls still running", started.Load()-ended.Load(), started.Load())
	}
	if err := c.Run(context.Background()); err == nil {
		t.Error("second Run accepted")
	}
}

// TestMetricsAndOnPoll checks what one healthy poll exports and hands to
// OnPoll.
func TestMetricsAndOnPoll(t *testing.T) {
	inv := testInventory(2, 30*time.Millisecond, anyAddr)
	reg := prometheus.NewPedanticRegistry()
	got := make(chan *snmp.Poll, 100)
	var last lastPolls
	opts := Options{OnPoll: func(p *snmp.Poll, st *snmp.DeviceState) {
		last.onPoll(p, st)
		select {
		case got <- p:
		default:
		}
	}}
	_, g := withExposition(t, inv, &opts, expo.Options{}, reg)
	c := newTestCollector(t, inv, opts, reg, nil)
	c.pollFn = okPoll
	runFor(t, c, func() bool { _, ok := last.get("d001"); return ok && len(got) >= 2 })
	p, ok := last.get("d001")
	if !ok || p.System.Name != "sys-d001" {
		t.Fatalf("last poll of d001: %+v %v", p, ok)
	}
	if (<-got).Device == "" {
		t.Error("OnPoll got an empty poll")
	}
	if problems, err := testutil.GatherAndLint(g); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"vigie_device_up":                       `device="d001",region="bretagne",role="collection"`,
		"vigie_device_info":                     `datacentre="",device="d001",pop="rennes",region="bretagne",role="collection",site="",sys_name="sys-d001"`,
		"vigie_interface_speed_bytes":           `device="d001",interface="eth0",region="bretagne",role="collection"`,
		"vigie_collector_devices":               `state="up"`,
		"vigie_device_uptime_seconds":           `device="d001",region="bretagne",role="collection"`,
		"vigie_collector_decode_panics_total":   ``,
		"vigie_collector_poll_duration_seconds": `role="collection"`,
	}
	values := map[string]float64{"vigie_device_up": 1, "vigie_device_info": 1, "vigie_interface_speed_bytes": 125e6,
		"vigie_collector_devices": 2, "vigie_device_uptime_seconds": 3600}
	for _, mf := range mfs {
		lbl, ok := want[mf.GetName()]
		if !ok {
			continue
		}
		found := false
		for _, m := range mf.Metric {
			if labelString(m) == lbl {
				found = true
				if v, check := values[mf.GetName()]; check && metricValue(m) != v {
					t.Errorf("%s{%s} = %v, want %v", mf.GetName(), lbl, metricValue(m), v)
				}
			}
		}
		if !found {
			t.Errorf("%s{%s} missing", mf.GetName(), lbl)
		}
		delete(want, mf.GetName())
	}
	for name := range want {
		t.Errorf("metric %s missing", name)
	}
}

// TestInterfaceLevel: the per-role knob removes interface series.
func TestInterfaceLevel(t *testing.T) {
	inv := testInventory(1, 30*time.Millisecond, anyAddr)
	reg := prometheus.NewRegistry()
	var last lastPolls
	opts := Options{OnPoll: last.onPoll}
	_, g := withExposition(t, inv, &opts, expo.Options{InterfaceMetrics: map[inventory.Role]expo.InterfaceLevel{inventory.RoleCollection: expo.InterfacesNone}}, reg)
	c := newTestCollector(t, inv, opts, reg, nil)
	c.pollFn = okPoll
	runFor(t, c, func() bool { _, ok := last.get("d000"); return ok })
	n, err := testutil.GatherAndCount(g, "vigie_interface_oper_up", "vigie_device_up")
	if err != nil || n != 1 {
		t.Errorf("series %d (%v), want only vigie_device_up", n, err)
	}
}

// TestFailureLoggedOnce: a device failing the same way is logged once,
// its recovery once.
func TestFailureLoggedOnce(t *testing.T) {
	inv := testInventory(1, 10*time.Millisecond, anyAddr)
	inv.Polling.MaxBackoff = 10 * time.Millisecond
	logs := &captureHandler{}
	c := newTestCollector(t, inv, Options{}, nil, slog.New(logs))
	var n atomic.Int32
	c.pollFn = func(ctx context.Context, t *snmp.Target, st *snmp.DeviceState) *snmp.Poll {
		if n.Add(1) <= 8 {
			now := time.Now()
			return &snmp.Poll{Device: t.Device, Start: now, End: now, Reason: snmp.ReasonAuth,
				Err: fmt.Errorf("device %s: %w", t.Device, snmp.ErrAuth)}
		}
		return okPoll(ctx, t, st)
	}
	runFor(t, c, func() bool { return n.Load() >= 12 })
	if got := logs.count("device poll failed"); got != 1 {
		t.Errorf("failure logged %d times, want 1", got)
	}
	if got := logs.count("device answers again"); got != 1 {
		t.Errorf("recovery logged %d times, want 1", got)
	}
	if got := testutil.ToFloat64(c.m.roles[inventory.RoleCollection].errs[snmp.ReasonAuth]); got != 8 {
		t.Errorf("auth errors counted %v, want 8", got)
	}
}

func TestNewRejectsBadDevice(t *testing.T) {
	inv := testInventory(1, time.Second, anyAddr)
	inv.Devices[0].Profile = "missing"
	inv.Index()
	if _, err := New(inv, Options{}); err == nil || !strings.Contains(err.Error(), "d000") {
		t.Errorf("err %v", err)
	}
}

// captureHandler records log messages.
type captureHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	h.msgs = append(h.msgs, line)
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }
func (h *captureHandler) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}
func (h *captureHandler) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, l := range m.Label {
		parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
	}
	return strings.Join(parts, ",")
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return -1
}

var _ = errors.New
