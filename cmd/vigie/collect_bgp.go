package main

// collect_bgp.go: the BGP sessions at a regional collector. The collector
// the inventory's collectors: section marks bgp: true runs the bgp:
// section's sessions (near the route reflectors, as a serious deployment
// wants) with the same embedded monitor as `vigie run`, and publishes its
// state as BGP Views (observe/bgp.go): at once when a session, a verdict
// or an event changes (at most one a second), when only counts changed
// at most every bgpCountsEvery, and every bgpRefreshEvery regardless. The
// central's mirror serves them; it opens no session itself.

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
)

// How often a BGP collector publishes its View.
const (
	bgpUrgentGap    = time.Second      // after a session, verdict or event change
	bgpCountsEvery  = 10 * time.Second // when only counts changed
	bgpRefreshEvery = time.Minute      // in any case
	// bgpMaxEvents bounds the events kept between two Views.
	bgpMaxEvents = 1000
)

// collectBGP is a collector's BGP monitor and what it has to publish.
type collectBGP struct {
	mon *bgp.Monitor
	log *slog.Logger

	mu      sync.Mutex
	events  []bgp.Event
	dropped int
	urgent  bool
	wake    chan struct{}
}

// openBGP builds the monitor of a collector whose inventory entry has
// bgp: true (nil otherwise) and checks its listen port, so that a taken
// port stops the collector at start. It judges every site's prefixes:
// it takes the whole inventory, not the collector's share.
func openBGP(inv *inventory.Inventory, name string, logger *slog.Logger) (*collectBGP, error) {
	if inv == nil { // loadShare keeps the whole inventory only for a BGP collector or a witness
		return nil, nil
	}
	if c := inv.Collector(name); c == nil || !c.BGP {
		return nil, nil
	}
	b := &collectBGP{log: logger.With("component", "bgp"), wake: make(chan struct{}, 1)}
	bopts := bgp.DefaultOptions()
	if inv.BGP.RouteSettle > 0 {
		bopts.RouteSettle = inv.BGP.RouteSettle
	}
	bopts.OnEvent = b.onEvent
	bopts.OnRouting = func([]bgp.SiteRouting) { b.poke() }
	bopts.OnInterconnects = func([]bgp.InterconnectRouting) { b.poke() }
	// The vigie_bgp_* series are the central's: the collector's own
	// /metrics would page twice for one session.
	bopts.Logger = logger
	mon, err := bgp.New(inv.BGP, inv, bopts)
	if err != nil {
		return nil, fmt.Errorf("bgp: %w", err)
	}
	if err := mon.CheckListen(); err != nil {
		return nil, err
	}
	b.mon = mon
	return b, nil
}

func (b *collectBGP) onEvent(e bgp.Event) {
	b.mu.Lock()
	if len(b.events) >= bgpMaxEvents {
		b.events = b.events[1:]
		b.dropped++
	}
	b.events = append(b.events, e)
	b.mu.Unlock()
	b.poke()
}

// poke marks the View urgent.
func (b *collectBGP) poke() {
	b.mu.Lock()
	b.urgent = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run runs the sessions and publishes Views to pub until ctx ends.
func (b *collectBGP) run(ctx context.Context, pub *observe.Publisher) error {
	monDone := make(chan error, 1)
	go func() { monDone <- b.mon.Run(ctx) }()
	var last *bgp.View
	var lastAt time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		now := time.Now()
		b.mu.Lock()
		urgent := b.urgent
		b.mu.Unlock()
		due := last == nil || now.Sub(lastAt) >= bgpRefreshEvery
		if !due && urgent && now.Sub(lastAt) >= bgpUrgentGap {
			due = true
		}
		if !due && now.Sub(lastAt) >= bgpCountsEvery {
			due = !sameView(last, b.mon.View())
		}
		if due {
			v := b.mon.View()
			b.mu.Lock()
			v.Events, b.events, b.urgent = b.events, nil, false
			dropped := b.dropped
			b.dropped = 0
			b.mu.Unlock()
			if dropped > 0 {
				b.log.Warn("BGP events dropped between two views: more than the bound", "dropped", dropped, "bound", bgpMaxEvents)
			}
			pub.ObserveBGP(v)
			last, lastAt = v, now
		}
		select {
		case err := <-monDone:
			return err
		case <-b.wake:
		case <-tick.C:
		}
	}
}

// sameView reports whether two Views say the same, their times and
// events aside.
func sameView(a, b *bgp.View) bool {
	x, y := *a, *b
	x.Time, y.Time, x.Events, y.Events = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(x, y)
}
