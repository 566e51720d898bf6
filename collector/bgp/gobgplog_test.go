package bgp

import (
	"net/netip"
	"testing"

	api "github.com/osrg/gobgp/v3/api"
	gobgplog "github.com/osrg/gobgp/v3/pkg/log"

	"github.com/vigie-rie/vigie/inventory"
)

// TestGoBGPLogLevel checks that GoBGP is asked for its debug lines (failed
// connections) exactly while a session vigie opens itself is down: a
// passive session never makes vigie connect, and once every active one is
// up the per-path debug lines GoBGP builds are not worth their cost.
func TestGoBGPLogLevel(t *testing.T) {
	active := inventory.BGPPeer{Device: "rr1", Address: netip.MustParseAddr("192.0.2.1"), RemoteAS: 65001}
	passive := inventory.BGPPeer{Device: "pfs1", Address: netip.MustParseAddr("192.0.2.2"), RemoteAS: 65002, Passive: true}
	cfg := vigieConfig(active, passive)
	cfg.ListenPort = 1179 // never bound: Run is not called
	m, err := New(cfg, nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	l := &gobgpLogger{m: m, log: m.log}
	state := func(addr string, s api.PeerState_SessionState) {
		m.peerEvent(&api.WatchEventResponse_PeerEvent{Type: api.WatchEventResponse_PeerEvent_STATE,
			Peer: &api.Peer{State: &api.PeerState{NeighborAddress: addr, SessionState: s}}})
	}
	steps := []struct {
		name string
		do   func()
		want gobgplog.LogLevel
	}{
		{"start: the active session is down", func() {}, gobgplog.DebugLevel},
		{"passive session up", func() { state("192.0.2.2", api.PeerState_ESTABLISHED) }, gobgplog.DebugLevel},
		{"active session up", func() { state("192.0.2.1", api.PeerState_ESTABLISHED) }, gobgplog.InfoLevel},
		{"passive session down", func() { state("192.0.2.2", api.PeerState_ACTIVE) }, gobgplog.InfoLevel},
		{"active session down", func() { state("192.0.2.1", api.PeerState_ACTIVE) }, gobgplog.DebugLevel},
		{"active session still down", func() { state("192.0.2.1", api.PeerState_IDLE) }, gobgplog.DebugLevel},
		{"active session back", func() { state("192.0.2.1", api.PeerState_ESTABLISHED) }, gobgplog.InfoLevel},
	}
	for _, s := range steps {
		s.do()
		if got := l.GetLevel(); got != s.want {
			t.Fatalf("%s: GoBGP log level %v, want %v", s.name, got, s.want)
		}
	}
}
