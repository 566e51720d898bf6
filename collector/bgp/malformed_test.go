package bgp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/gobgpdtest"
	"github.com/vigie-rie/vigie/inventory"
)

// malformedSetup runs vigie listening on 127.0.0.1 with two raw peers
// (passive sessions) and gobgpd as a well-behaved third peer.
func malformedSetup(t *testing.T) (h *harness, listen string, d *gobgpdtest.Daemon) {
	t.Helper()
	d, gport := gobgpdPeer(t, "127.0.0.21", "127.0.0.1", 65010, "ipv4-unicast")
	port := freeport.TCP(t)
	cfg := vigieConfig(
		inventory.BGPPeer{Device: "raw-a", Address: netip.MustParseAddr("127.0.0.31"), RemoteAS: 65031, Passive: true, AddPath: true},
		inventory.BGPPeer{Device: "raw-b", Address: netip.MustParseAddr("127.0.0.32"), RemoteAS: 65032, Passive: true},
		inventory.BGPPeer{Device: "good", Address: netip.MustParseAddr("127.0.0.21"), RemoteAS: 65010, Port: gport,
			LocalAddress: netip.MustParseAddr("127.0.0.1")},
	)
	cfg.ListenPort = port
	h = startMonitor(t, cfg, pfaiInventory("x"), testOptions())
	h.waitEvent(t, EventPeerUp, "127.0.0.21", 20*time.Second)
	for i := range 20 {
		d.MustCLI("global", "rib", "add", fmt.Sprintf("10.%d.0.0/24", 10+i), "-a", "ipv4")
	}
	eventually(t, 10*time.Second, "gobgpd's 20 routes", func() bool {
		return h.peer(t, "127.0.0.21").count(inventory.FamilyIPv4Unicast, "") == 20
	})
	return h, "127.0.0.1:" + strconv.Itoa(port), d
}

func TestMalformedUpdates(t *testing.T) {
	h, listen, _ := malformedSetup(t)
	const a = "127.0.0.31"
	raw := dialRaw(t, a, listen, 65031, true)
	h.waitEvent(t, EventPeerUp, a, 10*time.Second)

	good := cat(attrOrigin(0), attrASPath(65031), attrNextHop(a))
	steps := []struct {
		name      string
		msg       []byte
		paths     int // paths held from a afterwards
		malformed uint64
	}{
		{"valid announce with path ids", update(nil, good, cat(nlri4("10.1.0.0/24", 1), nlri4("10.2.0.0/24", 1), nlri4("10.2.0.0/24", 2))), 3, 0},
		{"ORIGIN of length 2: treat-as-withdraw", update(nil, cat([]byte{0x40, 1, 2, 0, 0}, attrASPath(65031), attrNextHop(a)), nlri4("10.1.0.0/24", 1)), 2, 1},
		{"AS_PATH segment longer than the attribute", update(nil, cat(attrOrigin(0), []byte{0x40, 2, 6, 2, 5, 0, 0, 0xfe, 0x27}, attrNextHop(a)), nlri4("10.2.0.0/24", 2)), 1, 2},
		{"missing NEXT_HOP", update(nil, cat(attrOrigin(0), attrASPath(65031)), nlri4("10.3.0.0/24", 1)), 1, 3},
		{"ORIGIN value 7", update(nil, cat(attrOrigin(7), attrASPath(65031), attrNextHop(a)), nlri4("10.2.0.0/24", 1)), 0, 4},
		{"valid again", update(nil, good, cat(nlri4("10.1.0.0/24", 1), nlri4("10.1.0.0/24", 7))), 2, 4},
	}
	for _, s := range steps {
		raw.write(s.msg)
		eventually(t, 10*time.Second, s.name, func() bool {
			p := h.peer(t, a)
			return p.MalformedUpdates == s.malformed && p.count(inventory.FamilyIPv4Unicast, "") == s.paths
		})
		if p := h.peer(t, a); !p.Established {
			t.Fatalf("%s: session reset, want it kept (RFC 7606)", s.name)
		}
	}
	// ADD-PATH: two paths for 10.1.0.0/24 from one peer.
	if s1 := h.m.SitePrefixes()["S-1"]; s1.Prefixes[0].Paths != 2 || s1.Prefixes[0].Peers != 1 {
		t.Errorf("S-1 10.1.0.0/24 %+v, want 2 ADD-PATH paths from one peer", s1.Prefixes[0])
	}
	if v, _ := metric(t, h.reg, "vigie_bgp_malformed_updates_total", map[string]string{"peer": a, "handling": "treat_as_withdraw"}); v != 4 {
		t.Errorf("vigie_bgp_malformed_updates_total{treat_as_withdraw} = %v, want 4", v)
	}

	// An unparsable NLRI (a /33) cannot be treated as withdraw: the session
	// is reset with a NOTIFICATION, and only this one.
	raw.write(update(nil, good, []byte{0, 0, 0, 1, 33, 10, 0, 0, 0, 0}))
	h.waitEvent(t, EventPeerDown, a, 10*time.Second)
	eventually(t, 5*time.Second, "NOTIFICATION sent", raw.notified.Load)
	if p := h.peer(t, a); p.total() != 0 || p.Flaps != 1 {
		t.Errorf("after reset: %+v, want no paths and one flap", p)
	}
	if g := h.peer(t, "127.0.0.21"); !g.Established || g.Flaps != 0 || g.count(inventory.FamilyIPv4Unicast, "") != 20 {
		t.Errorf("the well-behaved peer was disturbed: %+v", g)
	}
}

// TestMalformedFlood sends a bounded flood (20,000 UPDATEs, a quarter
// broken, within 20 s) and checks that vigie accounts exactly the valid
// ones, logs a handful of lines, and keeps its other sessions.
func TestMalformedFlood(t *testing.T) {
	h, listen, _ := malformedSetup(t)
	const b = "127.0.0.32"
	raw := dialRaw(t, b, listen, 65032, false)
	h.waitEvent(t, EventPeerUp, b, 10*time.Second)
	const n = 20000
	good := cat(attrOrigin(0), attrASPath(65032), attrNextHop(b))
	broken := [][]byte{
		cat([]byte{0x40, 1, 2, 0, 0}, attrASPath(65032), attrNextHop(b)),               // ORIGIN length
		cat(attrOrigin(0), []byte{0x40, 2, 6, 2, 5, 0, 0, 0xfe, 0x28}, attrNextHop(b)), // AS_PATH overrun
		cat(attrOrigin(0), attrASPath(65032)),                                          // no NEXT_HOP
		cat([]byte{0xc0, 1, 1, 0}, attrASPath(65032), attrNextHop(b)),                  // ORIGIN flagged optional
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var batch []byte
	valid, bad := 0, 0
	start := time.Now()
	for i := range n {
		prefix := fmt.Sprintf("10.%d.%d.0/24", 128+i/256, i%256)
		if i%4 == 3 {
			batch = append(batch, update(nil, broken[rng.IntN(len(broken))], nlri4(prefix, -1))...)
			bad++
		} else {
			batch = append(batch, update(nil, good, nlri4(prefix, -1))...)
			valid++
		}
		if len(batch) > 64<<10 || i == n-1 {
			raw.write(batch)
			batch = batch[:0]
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("flood not sent within 20 s (%d of %d)", i, n)
		}
	}
	eventually(t, 60*time.Second, "flood accounted", func() bool {
		p := h.peer(t, b)
		return p.count(inventory.FamilyIPv4Unicast, "") == valid && p.MalformedUpdates == uint64(bad)
	})
	p := h.peer(t, b)
	if !p.Established || p.Flaps != 0 {
		t.Errorf("flooding peer: %+v, want the session kept", p)
	}
	if g := h.peer(t, "127.0.0.21"); !g.Established || g.Flaps != 0 || g.count(inventory.FamilyIPv4Unicast, "") != 20 {
		t.Errorf("the well-behaved peer was disturbed: %+v", g)
	}
	if lines := strings.Count(h.logs.String(), "treated as withdraw"); lines > 2 {
		t.Errorf("%d log lines for %d malformed UPDATEs, want at most 2 (rate-limited)", lines, bad)
	}
	t.Logf("flood: %d UPDATEs (%d broken) accounted in %s", n, bad, time.Since(start).Round(time.Millisecond))
}
