package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// viewSource is a Source with no polls that hands BGP views and lost
// collectors to the running daemon when the test says.
type viewSource struct {
	mu          sync.Mutex
	onBGP       func(string, *bgp.View)
	onCollector func(string, bool)
}

func (s *viewSource) Run(ctx context.Context, _ func(*snmp.Poll, *snmp.DeviceState), onCollector func(string, bool)) error {
	s.mu.Lock()
	s.onCollector = onCollector
	s.mu.Unlock()
	<-ctx.Done()
	return nil
}

func (s *viewSource) OnBGP(fn func(string, *bgp.View)) {
	s.mu.Lock()
	s.onBGP = fn
	s.mu.Unlock()
}

func (s *viewSource) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.onBGP != nil && s.onCollector != nil
}

// TestCentralMirrorsBGPCollector: a central whose inventory gives the BGP
// sessions to a collector opens none and serves the views it receives
// from that collector only; a reload keeps the view served; the collector
// lost, the vigie_bgp_* series go.
func TestCentralMirrorsBGPCollector(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 3, Seed: 21})
	var rr string
	for _, d := range inv.Devices {
		if d.Role == inventory.RoleBackbone {
			rr = d.Name
			break
		}
	}
	inv.BGP = inventory.BGP{LocalAS: 64512, RouterID: netip.MustParseAddr("127.0.0.1"),
		Peers: []inventory.BGPPeer{{Device: rr, Address: netip.MustParseAddr("127.0.0.9"), RemoteAS: 64512, Port: freeport.TCP(t)}}}
	inv.Collectors = []inventory.CollectorShare{{Name: "dc", Regions: []string{inv.Regions[0].ID}, BGP: true},
		{Name: "other", Regions: []string{inv.Regions[1].ID}}}
	// The collector's monitor, never run: its view says the session is up.
	mon, err := bgp.New(inv.BGP, inv, bgp.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	view := mon.View()
	view.Peers[0].State, view.Peers[0].Established, view.Peers[0].Since = "established", true, time.Now()

	var logs logbuf.Buffer
	src := &viewSource{}
	opts := Options{DB: "-", ListenAddresses: []string{fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), MemoryLimit: -1, Source: src}
	d, err := New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !d.bgp.Mirror() {
		t.Fatal("the central's monitor runs sessions of its own")
	}
	run := func(d *Daemon) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	up := func(d *Daemon) (float64, bool) {
		mfs, err := d.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "vigie_bgp_session_up" {
				return mf.GetMetric()[0].GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	stop := run(d)
	eventually(t, 10*time.Second, "the source started", src.ready)
	if _, ok := up(d); ok {
		t.Errorf("BGP series before any view")
	}
	src.onBGP("other", view)
	if _, ok := up(d); ok {
		t.Errorf("a view from a collector without bgp: true was served")
	}
	src.onBGP("dc", view)
	if v, ok := up(d); !ok || v != 1 {
		t.Errorf("after the BGP collector's view, vigie_bgp_session_up = %v (%v), want 1", v, ok)
	}

	next, err := d.Next(inv)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	src.mu.Lock()
	src.onBGP, src.onCollector = nil, nil
	src.mu.Unlock()
	stop = run(next)
	defer stop()
	eventually(t, 10*time.Second, "the reloaded daemon's source started", src.ready)
	if v, ok := up(next); !ok || v != 1 {
		t.Errorf("after a reload, vigie_bgp_session_up = %v (%v), want the view served before", v, ok)
	}
	src.onCollector("other", false)
	if _, ok := up(next); !ok {
		t.Errorf("another collector lost took the BGP series away")
	}
	src.onCollector("dc", false)
	if _, ok := up(next); ok {
		t.Errorf("the BGP collector lost, its series are still served")
	}
	if !strings.Contains(logs.String(), "BGP view refused") {
		t.Errorf("the view from the wrong collector was refused without a word:\n%s", logs.String())
	}
}
