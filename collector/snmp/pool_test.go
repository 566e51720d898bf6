package snmp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/sim"
)

// TestSessionsOnDemand: the poller opens a session only when every open
// one is busy, lends the last returned one first (so that sequential polls
// keep one session warm), never holds more than Options.Sessions, closes
// the sessions left idle for sessionIdle, and a Poll after Close fails
// with a clear error instead of opening a socket.
func TestSessionsOnDemand(t *testing.T) {
	_, devs := startFaultSim(t, sim.ProfileV2)
	const most = 3
	p := newTestPoller(t, most)
	if got := p.OpenSessions(); got != 1 {
		t.Fatalf("%d sessions open before any poll, want 1", got)
	}
	sts := [2]*DeviceState{NewDeviceState(), NewDeviceState()}
	for i := range 4 {
		pollOK(t, p, devs[i%2].tg, sts[i%2])
	}
	if got := p.OpenSessions(); got != 1 {
		t.Errorf("%d sessions open after 4 polls one after the other, want 1", got)
	}

	// A device that never answers keeps its polls in flight until their
	// context ends: twice as many polls as sessions.
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	tg := *devs[0].tg
	tg.Addr = silent.LocalAddr().(*net.UDPAddr).AddrPort()
	tg.Addr = netip.AddrPortFrom(tg.Addr.Addr().Unmap(), tg.Addr.Port())
	tg.Timeout, tg.Retries = time.Minute, 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var wg sync.WaitGroup
	results := make([]*Poll, 2*most)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.Poll(ctx, &tg, NewDeviceState())
		}()
	}
	for i := 0; p.OpenSessions() < most && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if got := p.OpenSessions(); got != most {
		t.Errorf("%d sessions open after %d polls at once, want the bound %d", got, len(results), most)
	}
	for i, r := range results {
		if r.Err == nil {
			t.Errorf("poll %d of a silent device succeeded", i)
		}
	}
	// The sessions still work after polls were cancelled in them.
	for i := range 2 * most {
		pollOK(t, p, devs[i%2].tg, sts[i%2])
	}
	if got := p.OpenSessions(); got != most {
		t.Errorf("%d sessions open after more polls one at a time, want still %d", got, most)
	}

	// Polls one at a time for longer than sessionIdle: the sessions they
	// no longer need are closed, down to the one they use.
	clock := time.Now()
	p.now = func() time.Time { return clock }
	for i := range 3 {
		clock = clock.Add(sessionIdle / 2)
		pollOK(t, p, devs[i%2].tg, sts[i%2])
	}
	if got := p.OpenSessions(); got != 1 {
		t.Errorf("%d sessions open after %v of polls one at a time, want 1", got, 3*sessionIdle/2)
	}
	pollOK(t, p, devs[0].tg, sts[0])

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	r := p.Poll(context.Background(), devs[0].tg, sts[0])
	if !errors.Is(r.Err, errPollerClosed) || r.Reason != ReasonOther {
		t.Errorf("poll after Close: err %v reason %q, want %v", r.Err, r.Reason, errPollerClosed)
	}
	if got := p.OpenSessions(); got != 0 {
		t.Errorf("%d sessions open after Close", got)
	}
}

// TestTakePrefersSessionsOfTheSameVersion: the pool lends a v3 poll the
// most recently returned session that has a gosnmp client, and a v2c poll
// the most recently returned one that has none, falling back to the top of
// the stack; what is left stays ordered by idle time.
func TestTakePrefersSessionsOfTheSameVersion(t *testing.T) {
	plain := func(name string) *session { return &session{community: name} }
	withV3 := func(name string) *session { return &session{community: name, gs: &gosnmp.GoSNMP{}} }
	tests := []struct {
		idle  []*session // bottom first
		v3    bool
		want  string
		after string
	}{
		{[]*session{plain("a"), withV3("b"), plain("c")}, true, "b", "a c"},
		{[]*session{plain("a"), withV3("b"), plain("c")}, false, "c", "a b"},
		{[]*session{plain("a"), plain("b"), withV3("c")}, false, "b", "a c"},
		{[]*session{plain("a"), plain("b")}, true, "b", "a"},
		{[]*session{withV3("a"), withV3("b")}, false, "b", "a"},
		{[]*session{withV3("a")}, true, "a", ""},
	}
	for _, tc := range tests {
		p := &Poller{idle: slices.Clone(tc.idle), now: time.Now}
		s, err := p.take(tc.v3)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, x := range p.idle {
			left = append(left, x.community)
		}
		if s.community != tc.want || strings.Join(left, " ") != tc.after {
			t.Errorf("v3 %v from %d idle: took %s leaving %v, want %s leaving %s", tc.v3, len(tc.idle), s.community, left, tc.want, tc.after)
		}
	}
}
