package topology

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestFleet runs the model on the simulator's full 14,000-site RIE: the
// link ids must match the resilience engine's (New checks every one), a
// full round of polls must leave every declared link up with no
// disagreement, and one aggregation router going dark must isolate exactly
// its single-homed sites, with the router as their cause.
func TestFleet(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("full-fleet test; run without -short")
	}
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(t, inv, Options{})
	h.round()
	h.topo.mu.RLock()
	var down, unknown, disagree int
	for _, l := range h.topo.st.links {
		switch {
		case l.state == LinkDown:
			down++
		case l.state == LinkUnknown:
			unknown++
		}
		if l.disagreement != "" {
			disagree++
		}
	}
	h.topo.mu.RUnlock()
	if down != 0 || disagree != 0 {
		t.Errorf("after a clean round: %d links down, %d disagreements; want none", down, disagree)
	}
	a := h.topo.Analysis()
	base := 0
	for _, s := range a.Sites {
		if s.Isolated {
			base++
		}
	}
	if base != 0 {
		t.Errorf("%d sites isolated with nothing failed", base)
	}

	// Pick an aggregation router and make it unreachable.
	var agg string
	for _, d := range inv.Devices {
		if d.Role == "collection" && d.PoP != "" {
			agg = d.Name
			break
		}
	}
	h.round(agg)
	h.round(agg)
	a = h.topo.Analysis()
	isolated := 0
	for _, s := range a.Sites {
		if s.Isolated {
			isolated++
			if s.CauseKind != "device" || s.Cause != agg {
				t.Errorf("site %s isolated by %s:%s, want device:%s", s.ID, s.CauseKind, s.Cause, agg)
			}
		}
	}
	t.Logf("%d devices, %d links (%d unknown: no interface named), %d sites; %s dark isolates %d sites; last analysis %v",
		len(inv.Devices), len(h.topo.st.links), unknown, len(a.Sites), agg, isolated, a.Duration)
}

// BenchmarkApply measures the writer's cost per poll on the full fleet:
// interfaces, LLDP, link states (no analysis: debounce is long).
func BenchmarkApply(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{QueueSize: 1 << 15})
	polls := make([]*snmp.Poll, len(inv.Devices))
	for i, d := range inv.Devices {
		polls[i] = h.poll(d.Name)
	}
	h.round()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := polls[i%len(polls)]
		p.System.Uptime += time.Minute
		h.topo.Apply(p)
		if i%len(polls) == len(polls)-1 {
			h.sync()
		}
	}
	h.sync()
}

// BenchmarkAnalysis measures the live analysis on the full fleet (live and
// internet-cut, as each change costs): full, and incremental after one
// access link changed.
func BenchmarkAnalysis(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{})
	eng := h.topo.eng.(*resEngine)
	var access string
	for _, l := range h.topo.st.links {
		if l.kind == KindAccess {
			access = l.id
			break
		}
	}
	b.Run("full", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			eng.prev, eng.prevCut = nil, nil
			_, _ = eng.analyze(failureSet{}, "")
		}
	})
	// The internet cut as the live model sees it: both uplinks and every
	// tunnel riding the internet down, the cause search naming "internet".
	fx := &cutFixture{eng: eng}
	for _, ic := range inv.Interconnects {
		if ic.Kind == inventory.InterconnectInternet {
			l, _ := eng.g.LinkByEndpoint(ic.Device, ic.Interface)
			fx.uplinks = append(fx.uplinks, string(l))
		}
	}
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if a.ViaInternet {
				l, _ := eng.g.LinkByEndpoint(a.Device, a.Interface)
				fx.tunnels = append(fx.tunnels, string(l))
			}
		}
	}
	cut := failureSet{Links: append(slices.Clone(fx.uplinks), fx.tunnels...)}
	slices.Sort(cut.Links)
	b.Run("full-internet-cut", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			eng.prev, eng.prevCut = nil, nil
			_, _ = eng.analyze(cut, "")
		}
	})
	b.Run("incremental-one-access", func(b *testing.B) {
		_, _ = eng.analyze(failureSet{}, "")
		for i := 0; i < b.N; i++ {
			f := failureSet{}
			if i%2 == 0 {
				f.Links = []string{access}
			}
			_, _ = eng.analyze(f, access)
		}
	})
}

// BenchmarkApplyOne measures what the writer does for a batch of one poll,
// the usual case in the daemon (334 polls/s arrive one by one): apply the
// poll and stage what it changed.
func BenchmarkApplyOne(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{})
	h := newHarnessInv(b, inv, Options{})
	polls := make([]*snmp.Poll, len(inv.Devices))
	for i, d := range inv.Devices {
		polls[i] = h.poll(d.Name)
	}
	h.round()
	t := h.topo
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := polls[i%len(polls)]
		p.System.Uptime += time.Minute
		t.mu.Lock()
		t.applyPoll(p)
		t.persist()
		t.mu.Unlock()
	}
}
