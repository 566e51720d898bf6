package bgp

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

func TestReconcileView(t *testing.T) {
	const localAS = 65000
	vigie := ip("192.0.2.100")
	up := PeerStatus{Address: ip("192.0.2.1"), Device: "rr-1", State: "established", Established: true, LocalAddress: vigie}
	down := PeerStatus{Address: ip("192.0.2.1"), Device: "rr-1", State: "active"}
	row := func(state int, remoteAS uint32) RouterPeer {
		return RouterPeer{Remote: vigie, Local: ip("192.0.2.1"), State: state, RemoteAS: remoteAS}
	}
	other := RouterPeer{Remote: ip("192.0.2.50"), Local: ip("192.0.2.1"), State: 6, RemoteAS: 65099}
	tests := []struct {
		name string
		view []PeerStatus
		mib  []RouterPeer
		want []DiscrepancyKind
	}{
		{"both established", []PeerStatus{up}, []RouterPeer{other, row(6, localAS)}, nil},
		{"both down", []PeerStatus{down}, []RouterPeer{row(3, localAS)}, nil},
		{"router says established, vigie down", []PeerStatus{down}, []RouterPeer{row(6, localAS)}, []DiscrepancyKind{RouterOnly}},
		{"vigie established, router active", []PeerStatus{up}, []RouterPeer{row(3, localAS)}, []DiscrepancyKind{VigieOnly}},
		{"vigie established, no row for vigie", []PeerStatus{up}, []RouterPeer{other}, []DiscrepancyKind{VigieOnly}},
		{"vigie down, no row: nothing to say", []PeerStatus{down}, []RouterPeer{other}, nil},
		{"row matched by local address when vigie's end is unknown", []PeerStatus{down}, []RouterPeer{other, row(6, localAS)}, []DiscrepancyKind{RouterOnly}},
		{"router configured with the wrong AS", []PeerStatus{up}, []RouterPeer{row(6, 65111)}, []DiscrepancyKind{ASMismatch}},
		{"other device's sessions are ignored", []PeerStatus{{Address: ip("192.0.2.9"), Device: "rr-2", Established: true, LocalAddress: vigie}}, []RouterPeer{row(3, localAS)}, nil},
		{"empty MIB (SNMP table not polled) and vigie up", []PeerStatus{up}, nil, []DiscrepancyKind{VigieOnly}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ReconcileView("rr-1", localAS, tc.mib, tc.view)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want kinds %v", got, tc.want)
			}
			for i, d := range got {
				if d.Kind != tc.want[i] {
					t.Errorf("discrepancy %d: kind %q, want %q (%s)", i, d.Kind, tc.want[i], d.Detail)
				}
				if d.Device != "rr-1" || d.Detail == "" {
					t.Errorf("discrepancy %d lacks device or detail: %+v", i, d)
				}
			}
		})
	}
}

// TestMonitorReconcileEventsOnce checks that a discrepancy is reported as an
// event when it appears, not at every poll, and again after it cleared.
func TestMonitorReconcileEventsOnce(t *testing.T) {
	cfg, inv := testInventory()
	var events []Event
	opts := DefaultOptions()
	opts.OnEvent = func(e Event) { events = append(events, e) }
	m, err := New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	routerUp := []RouterPeer{{Remote: ip("192.0.2.100"), Local: ip("127.0.0.2"), State: 6, RemoteAS: 65000}}
	routerDown := []RouterPeer{{Remote: ip("192.0.2.100"), Local: ip("127.0.0.2"), State: 3, RemoteAS: 65000}}
	for i, tc := range []struct {
		mib       []RouterPeer
		current   int
		newEvents int
	}{
		{routerUp, 1, 1},   // appears: one event
		{routerUp, 1, 0},   // still there: none
		{routerDown, 0, 0}, // cleared
		{routerUp, 1, 1},   // back: reported again
	} {
		before := len(events)
		ds := m.Reconcile("pfai-1", time.Now(), tc.mib)
		if len(ds) != tc.current || len(events)-before != tc.newEvents {
			t.Fatalf("call %d: %d discrepancies, %d new events; want %d and %d", i, len(ds), len(events)-before, tc.current, tc.newEvents)
		}
	}
	if events[0].Kind != EventDiscrepancy || events[0].Device != "pfai-1" {
		t.Errorf("event %+v", events[0])
	}
}

// TestMonitorReconcileSkipsNewerSessions: a router's table read before
// vigie's session changed state says nothing of the session as it is now.
// The demo's speakers write their row when vigie's KEEPALIVE arrives, a
// moment after vigie calls the session established; a poll in between
// used to log a discrepancy on every fresh start.
func TestMonitorReconcileSkipsNewerSessions(t *testing.T) {
	cfg, inv := testInventory()
	var events []Event
	opts := DefaultOptions()
	opts.OnEvent = func(e Event) { events = append(events, e) }
	m, err := New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	vigie := ip("192.0.2.100")
	setUp := func(at time.Time) {
		p := m.st.peers[0] // pfai-1
		p.state, p.established, p.since, p.changed, p.localAddr = "established", true, at, at, vigie
	}
	noRow := []RouterPeer{{Remote: ip("192.0.2.50"), Local: ip("127.0.0.2"), State: 6, RemoteAS: 65099}}
	withRow := append([]RouterPeer{{Remote: vigie, Local: ip("127.0.0.2"), State: 6, RemoteAS: 65000}}, noRow...)

	setUp(t0)
	for i, tc := range []struct {
		polled    time.Time
		mib       []RouterPeer
		current   int
		newEvents int
	}{
		{t0.Add(-time.Second), noRow, 0, 0},    // read before vigie's session came up: not compared
		{t0.Add(time.Second), withRow, 0, 0},   // the next poll agrees
		{t0.Add(2 * time.Second), noRow, 1, 1}, // a row missing after the session came up is real
		{t0.Add(3 * time.Second), noRow, 1, 0}, // reported once
	} {
		before := len(events)
		ds := m.Reconcile("pfai-1", tc.polled, tc.mib)
		if len(ds) != tc.current || len(events)-before != tc.newEvents {
			t.Fatalf("call %d: %d discrepancies (%+v), %d new events; want %d and %d", i, len(ds), ds, len(events)-before, tc.current, tc.newEvents)
		}
	}
	// The session flaps after the poll started: that poll is not compared,
	// and the discrepancy already reported is not reported again after it.
	t1 := t0.Add(10 * time.Second)
	setUp(t1)
	before := len(events)
	if ds := m.Reconcile("pfai-1", t1.Add(-time.Second), noRow); len(ds) != 0 {
		t.Fatalf("a poll older than the session compared: %+v", ds)
	}
	if ds := m.Reconcile("pfai-1", t1.Add(time.Second), noRow); len(ds) != 1 || len(events) != before {
		t.Fatalf("after the skipped poll: %d discrepancies, %d new events; want 1 and 0 (already reported)", len(ds), len(events)-before)
	}
}

func TestValidate(t *testing.T) {
	base, _ := testInventory()
	for _, tc := range []struct {
		name string
		mod  func(*inventory.BGP)
		want string
	}{
		{"ok", func(*inventory.BGP) {}, ""},
		{"no AS", func(c *inventory.BGP) { c.LocalAS = 0 }, "local_as is 0"},
		{"IPv6 router id", func(c *inventory.BGP) { c.RouterID = ip("2001:db8::1") }, "router_id"},
		{"duplicate peer", func(c *inventory.BGP) { c.Peers[1].Address = c.Peers[0].Address }, "declared twice"},
		{"passive without listen port", func(c *inventory.BGP) { c.Peers[0].Passive = true }, "listen_port is 0"},
		{"unknown family", func(c *inventory.BGP) { c.Peers[0].Families = []string{"evpn"} }, "unknown family"},
		{"GTSM out of range", func(c *inventory.BGP) { c.Peers[0].TTLSecurity = 255 }, "ttl_security"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Peers = append([]inventory.BGPPeer(nil), base.Peers...)
			tc.mod(&c)
			err := validate(c)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("validate: %v, want %q", err, tc.want)
			}
		})
	}
}
