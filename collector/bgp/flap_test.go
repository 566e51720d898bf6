package bgp

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/inventory"
)

// TestPeerFlappingEverySecond: a peer that tries every second for about
// 12 s to bring its session up, announce a route and drop it has every flap
// counted (PeerStatus and vigie_bgp_session_flaps_total) and its route
// forgotten each time; a stable gobgpd peer keeps its session (same Since, no flap)
// and its 20 routes throughout; vigie takes the flapper back afterwards and
// its Run returns cleanly (checked by startMonitor's cleanup).
func TestPeerFlappingEverySecond(t *testing.T) {
	const (
		stable  = "127.0.0.22"
		flapper = "127.0.0.41"
		// attempts, one a second: about 12 s of flapping.
		attempts = 12
	)
	d, gport := gobgpdPeer(t, stable, "127.0.0.1", 65010, "ipv4-unicast")
	port := freeport.TCP(t)
	cfg := vigieConfig(
		inventory.BGPPeer{Device: "flapper", Address: netip.MustParseAddr(flapper), RemoteAS: 65041, Passive: true},
		inventory.BGPPeer{Device: "stable", Address: netip.MustParseAddr(stable), RemoteAS: 65010, Port: gport,
			LocalAddress: netip.MustParseAddr("127.0.0.1")},
	)
	cfg.ListenPort = port
	listen := "127.0.0.1:" + strconv.Itoa(port)
	h := startMonitor(t, cfg, pfaiInventory("x"), testOptions())
	h.waitEvent(t, EventPeerUp, stable, 20*time.Second)
	for i := range 20 {
		d.MustCLI("global", "rib", "add", fmt.Sprintf("10.%d.0.0/24", 10+i), "-a", "ipv4")
	}
	eventually(t, 10*time.Second, "gobgpd's 20 routes", func() bool {
		return h.peer(t, stable).count(inventory.FamilyIPv4Unicast, "") == 20
	})
	since := h.peer(t, stable).Since

	// checkStable fails unless the stable peer is exactly as before.
	checkStable := func(when string) {
		t.Helper()
		p := h.peer(t, stable)
		if !p.Established || !p.Since.Equal(since) || p.Flaps != 0 || p.count(inventory.FamilyIPv4Unicast, "") != 20 {
			t.Fatalf("%s: stable peer disturbed: established %v since %v (was %v) flaps %d routes %d",
				when, p.Established, p.Since, since, p.Flaps, p.count(inventory.FamilyIPv4Unicast, ""))
		}
	}
	route := update(nil, cat(attrOrigin(0), attrASPath(65041), attrNextHop(flapper)), nlri4("10.2.0.0/24", -1))
	// The flapper tries every second: connect, OPEN, announce its route,
	// drop the session one second after the attempt began. GoBGP holds a
	// peer whose session just dropped in Idle for 5 s (holdtimeIdle), closing
	// its connections: attempts in that window are refused, the others
	// flap.
	var flaps, refused int
	start := time.Now()
	for attempt := 1; attempt <= attempts; attempt++ {
		cycle := time.Now()
		raw := tryOpen(t, flapper, listen, 65041)
		if raw == nil {
			refused++
			time.Sleep(time.Until(cycle.Add(time.Second)))
			continue
		}
		h.waitEvent(t, EventPeerUp, flapper, 10*time.Second)
		raw.write(route)
		eventually(t, 10*time.Second, fmt.Sprintf("attempt %d: the flapper's route", attempt), func() bool {
			return h.peer(t, flapper).count(inventory.FamilyIPv4Unicast, "") == 1
		})
		time.Sleep(time.Until(cycle.Add(time.Second)))
		_ = raw.conn.Close()
		h.waitEvent(t, EventPeerDown, flapper, 10*time.Second)
		flaps++
		p := h.peer(t, flapper)
		if p.Established || p.Flaps != uint64(flaps) || p.total() != 0 {
			t.Fatalf("after flap %d: established %v flaps %d paths %d; want down, %d flaps, its route forgotten",
				flaps, p.Established, p.Flaps, p.total(), flaps)
		}
		checkStable(fmt.Sprintf("after flap %d", flaps))
	}
	t.Logf("%d attempts in %s: %d flaps, %d refused while vigie held the peer idle",
		attempts, time.Since(start).Round(time.Millisecond), flaps, refused)
	if flaps < 2 {
		t.Fatalf("%d sessions established in %d attempts, want at least 2 flaps", flaps, attempts)
	}
	if v, ok := metric(t, h.reg, "vigie_bgp_session_flaps_total", map[string]string{"peer": flapper}); !ok || v != float64(flaps) {
		t.Errorf("vigie_bgp_session_flaps_total{peer=%q} = %v (present %v), want %d", flapper, v, ok, flaps)
	}
	if v, ok := metric(t, h.reg, "vigie_bgp_session_flaps_total", map[string]string{"peer": stable}); !ok || v != 0 {
		t.Errorf("vigie_bgp_session_flaps_total{peer=%q} = %v (present %v), want 0", stable, v, ok)
	}
	// vigie still takes the flapper back (once its idle hold is over), and
	// the stable peer never noticed.
	var back *rawPeer
	for deadline := time.Now().Add(15 * time.Second); back == nil && time.Now().Before(deadline); {
		if back = tryOpen(t, flapper, listen, 65041); back == nil {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if back == nil {
		t.Fatal("vigie refused the flapper for 15 s after the flaps (idle hold is 5 s)")
	}
	back.write(route)
	eventually(t, 10*time.Second, "the flapper's route after the flaps", func() bool {
		return h.peer(t, flapper).count(inventory.FamilyIPv4Unicast, "") == 1
	})
	checkStable("at the end")
}

// tryOpen is one connection attempt of a flapping peer: it returns the
// established session, or nil when vigie closes the connection instead of
// answering the OPEN (GoBGP's idle hold after a reset).
func tryOpen(t *testing.T, local, remote string, as uint32) *rawPeer {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", remote)
	if err != nil {
		return nil
	}
	t.Cleanup(func() { conn.Close() })
	p := &rawPeer{t: t, conn: conn, closed: make(chan struct{})}
	caps := []bgp.ParameterCapabilityInterface{bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC), bgp.NewCapFourOctetASNumber(as)}
	p.writeMsg(bgp.NewBGPOpenMessage(bgp.AS_TRANS, 90, local, []bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(caps)}))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if m := p.read(); m == nil || m.Header.Type != bgp.BGP_MSG_OPEN {
		_ = conn.Close()
		return nil
	}
	p.writeMsg(bgp.NewBGPKeepAliveMessage())
	if m := p.read(); m == nil || m.Header.Type != bgp.BGP_MSG_KEEPALIVE {
		t.Fatalf("flapper: OPEN answered, then %v instead of a KEEPALIVE", m)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return p
}
