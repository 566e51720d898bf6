package bgp

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigie-rie/vigie/internal/frrtest"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/inventory"
)

// TestMain runs the package's tests in a private network namespace (when
// root), so FRR, gobgpd and vigie's speaker share a loopback of their own.
func TestMain(m *testing.M) { os.Exit(frrtest.MainInNetns(m, "bgp")) }

// harness is a running Monitor with its registry, events and logs.
type harness struct {
	m      *Monitor
	reg    *prometheus.Registry
	events chan Event
	logs   *logbuf.Buffer
}

// testOptions are fast timers for tests.
func testOptions() Options {
	o := DefaultOptions()
	o.ListenAddresses = []string{"127.0.0.1"}
	o.ConnectRetry = time.Second
	o.HoldTime = 9 * time.Second
	return o
}

// startMonitor runs a Monitor until the test ends.
func startMonitor(t testing.TB, cfg inventory.BGP, inv *inventory.Inventory, opts Options) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), events: make(chan Event, 4096), logs: &logbuf.Buffer{}}
	opts.OnEvent = func(e Event) {
		select {
		case h.events <- e:
		default:
		}
	}
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Registerer = h.reg
	m, err := New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return 10 s after cancel")
		}
		if t.Failed() {
			t.Logf("vigie log (tail):\n%s", tailString(h.logs.String(), 6000))
		}
	})
	return h
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// peer returns the status of the peer at addr.
func (h *harness) peer(t testing.TB, addr string) PeerStatus {
	t.Helper()
	a := netip.MustParseAddr(addr)
	for _, p := range h.m.Peers() {
		if p.Address == a {
			return p
		}
	}
	t.Fatalf("no peer %s", addr)
	return PeerStatus{}
}

// count returns the paths held from a peer for family and vrf.
func (p PeerStatus) count(family, vrf string) int {
	for _, f := range p.Prefixes {
		if f.Family == family && f.VRF == vrf {
			return f.Prefixes
		}
	}
	return 0
}

// waitEvent waits for an event of that kind from peer (any peer if "").
func (h *harness) waitEvent(t testing.TB, kind EventKind, peer string, timeout time.Duration) Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-h.events:
			if e.Kind == kind && (peer == "" || e.Peer.String() == peer) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event from %q within %s", kind, peer, timeout)
		}
	}
}

// eventually polls cond (a cheap in-memory read) until it holds.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the value of the series of name whose labels include
// labels, and whether it exists.
func metric(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
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
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return 0
}

// total is the number of paths held from the peer.
func (p PeerStatus) total() int {
	n := 0
	for _, f := range p.Prefixes {
		n += f.Prefixes
	}
	return n
}
