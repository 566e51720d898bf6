package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/internal/traptest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// trapInterval is every role's poll interval in the notification tests:
// an hour, so that no regular poll can explain what the test sees.
const trapInterval = time.Hour

// firstPollAfter is when the collector polls a device first after start
// (collector.firstDue: its name's FNV-64a hash modulo the interval).
func firstPollAfter(name string) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(trapInterval))
}

// freeUDP returns a loopback UDP port free at the time of the call.
func freeUDP(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// simAuth is snmptrap's command line for a simulated device's profile,
// or with wrong keys.
func simAuth(inv *inventory.Inventory, d *inventory.Device, wrongAuth bool) []string {
	if inv.Profile(d.Profile).Version == inventory.SNMPv2c {
		return []string{"-v", "2c", "-c", sim.DefaultCommunity}
	}
	auth := sim.DefaultAuthPassword
	if wrongAuth {
		auth = "not-the-sim-auth-key"
	}
	return []string{"-v", "3", "-u", sim.DefaultUser, "-l", "authPriv", "-a", "SHA", "-A", auth, "-x", "AES", "-X", sim.DefaultPrivPassword}
}

// TestNotificationsThroughRun: `vigie run` with an hour-long poll interval
// receives real snmptrap/snmpinform notifications from the simulated
// fleet's addresses. A coldStart makes a CE polled at once; after its
// access link goes down in the simulator, its linkDown makes the site's
// effective protection drop, long before any regular poll. An inform is
// acknowledged; an SNMPv3 trap with a wrong key and one from an unknown
// address are counted and dropped; a flood from one device is cut to its
// rate while another device's linkDown still polls it.
func TestNotificationsThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	traptest.Require(t)
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := sim.Generate(sim.GenerateOptions{Sites: 8, Seed: 5})
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = trapInterval
	}
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 5})

	// Two sites with two accesses on their CE, none of whose devices the
	// scheduler would poll within ten minutes of start; and a v2c device
	// to flood from, a v3 one to send informs and wrong keys from.
	type pick struct {
		site, ce, ifName string
		ifIndex          int
	}
	var picks []pick
	for _, s := range inv.Sites {
		if len(s.Access) < 2 || s.Access[0].Router == "" || s.Access[0].RouterInterface == "" {
			continue
		}
		ce := s.Access[0].Router
		if firstPollAfter(ce) < 10*time.Minute || firstPollAfter(s.Access[0].Device) < 10*time.Minute {
			continue
		}
		info, err := agent.Device(ce)
		if err != nil {
			t.Fatal(err)
		}
		for _, ii := range info.Interfaces {
			if ii.Name == s.Access[0].RouterInterface {
				picks = append(picks, pick{s.ID, ce, ii.Name, ii.IfIndex})
			}
		}
	}
	var flooder, v3dev *inventory.Device
	for i := range inv.Devices {
		d := &inv.Devices[i]
		switch v := inv.Profile(d.Profile).Version; {
		case v == inventory.SNMPv2c && flooder == nil && (len(picks) < 2 || d.Name != picks[0].ce && d.Name != picks[1].ce):
			flooder = d
		case v == inventory.SNMPv3 && v3dev == nil:
			v3dev = d
		}
	}
	if len(picks) < 2 || flooder == nil || v3dev == nil {
		t.Fatalf("the simulated fleet lacks what the test needs: %d dual-access sites polled late, v2c device %v, v3 device %v", len(picks), flooder != nil, v3dev != nil)
	}
	device := func(name string) *inventory.Device {
		for i := range inv.Devices {
			if inv.Devices[i].Name == name {
				return &inv.Devices[i]
			}
		}
		t.Fatalf("no device %s", name)
		return nil
	}

	config := writeConfig(t, dir, inv)
	port, trapPort := freeport.TCP(t), freeUDP(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", filepath.Join(dir, "vigie.db"), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--snmp.trap-listen-address", fmt.Sprintf("127.0.0.1:%d", trapPort), "--log.level", "debug")
	send := traptest.New(t, fmt.Sprintf("127.0.0.1:%d", trapPort))
	results := func(m map[string]map[string]float64, r string) float64 {
		return m["vigie_snmp_notifications_total"][fmt.Sprintf("result=%q", r)]
	}
	var m map[string]map[string]float64
	vigie.waitFor(30*time.Second, "vigie answering with its notification series", func() bool {
		m = scrape(metricsURL)
		return m != nil && m["vigie_snmp_notifications_total"] != nil && strings.Contains(stderr.String(), "vigie started")
	})
	ifUp := func(m map[string]map[string]float64, p pick) (float64, bool) {
		v, ok := ofDevice(m, "vigie_interface_oper_up", p.ce)[p.ifName]
		return v, ok
	}
	effective := func(m map[string]map[string]float64, site string) (float64, bool) {
		for k, v := range m["vigie_site_protection_effective"] {
			if strings.Contains(k, `site="`+site+`"`) {
				return v, true
			}
		}
		return 0, false
	}
	mustSend := func(n traptest.Notification) {
		t.Helper()
		if out, err := send.Send(n); err != nil {
			t.Fatalf("%v\n%s\nlogs:\n%s", err, out, stderr.String())
		}
	}

	// A coldStart from each CE: polled at once, with its access up.
	for _, p := range picks {
		if _, ok := ifUp(m, p); ok {
			t.Fatalf("%s polled before any notification: the test cannot tell the notification's poll from a regular one", p.ce)
		}
		mustSend(traptest.Notification{From: device(p.ce).Address.Addr().String(), Auth: simAuth(inv, device(p.ce), false),
			TrapOID: "1.3.6.1.6.3.1.1.5.1"})
	}
	before := map[string]float64{}
	vigie.waitFor(20*time.Second, "the CEs polled after their coldStart", func() bool {
		m = scrape(metricsURL)
		for _, p := range picks {
			up, ok := ifUp(m, p)
			eff, ok2 := effective(m, p.site)
			if !ok || up != 1 || !ok2 {
				return false
			}
			before[p.site] = eff
		}
		return true
	})

	// The first site's access goes down; its CE says so.
	p := picks[0]
	if err := agent.SetLink(p.ce, p.ifName, false); err != nil {
		t.Fatal(err)
	}
	ld, vb := traptest.LinkDown(p.ifIndex)
	sent := time.Now()
	mustSend(traptest.Notification{From: device(p.ce).Address.Addr().String(), Auth: simAuth(inv, device(p.ce), false), TrapOID: ld, Varbinds: vb})
	vigie.waitFor(20*time.Second, p.site+"'s effective protection lower after the linkDown", func() bool {
		m = scrape(metricsURL)
		up, _ := ifUp(m, p)
		eff, _ := effective(m, p.site)
		return up == 0 && eff < before[p.site]
	})
	// Informational (waitFor scrapes every 200 ms): how soon /metrics said it.
	t.Logf("%s: effective protection %v -> %v within %v of %s %s linkDown (poll interval %v)", p.site, before[p.site],
		func() float64 { e, _ := effective(m, p.site); return e }(), time.Since(sent).Round(10*time.Millisecond), p.ce, p.ifName, trapInterval)

	// An SNMPv3 inform is acknowledged: snmpinform exits 0 (mustSend).
	mustSend(traptest.Notification{From: v3dev.Address.Addr().String(), Inform: true, Auth: simAuth(inv, v3dev, false),
		TrapOID: "1.3.6.1.2.1.15.0.2"})
	// A wrong key, and an address no device has: counted, dropped.
	mustSend(traptest.Notification{From: v3dev.Address.Addr().String(), Auth: simAuth(inv, v3dev, true), TrapOID: ld, Varbinds: vb})
	mustSend(traptest.Notification{From: "127.254.254.254", Auth: []string{"-v", "2c", "-c", sim.DefaultCommunity}, TrapOID: ld, Varbinds: vb})
	vigie.waitFor(20*time.Second, "the inform, the wrong key and the unknown source counted", func() bool {
		m = scrape(metricsURL)
		return m["vigie_snmp_informs_acknowledged_total"][""] == 1 && results(m, "auth_failure") == 1 && results(m, "unknown_source") == 1
	})

	// A flood from one device, then the second site's CE says its access
	// went down: the flood is cut, the linkDown still gets through.
	flood := floodPacket(t)
	from, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(flooder.Address.Addr(), 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(trapPort)))
	const floodSize = 500
	for range floodSize {
		if _, err := from.WriteToUDP(flood, to); err != nil {
			t.Fatal(err)
		}
	}
	q := picks[1]
	if err := agent.SetLink(q.ce, q.ifName, false); err != nil {
		t.Fatal(err)
	}
	ld, vb = traptest.LinkDown(q.ifIndex)
	mustSend(traptest.Notification{From: device(q.ce).Address.Addr().String(), Auth: simAuth(inv, device(q.ce), false), TrapOID: ld, Varbinds: vb})
	vigie.waitFor(20*time.Second, q.site+"'s access down after its linkDown, through the flood", func() bool {
		m = scrape(metricsURL)
		up, _ := ifUp(m, q)
		eff, _ := effective(m, q.site)
		return up == 0 && eff < before[q.site]
	})
	vigie.waitFor(20*time.Second, "the flood counted", func() bool {
		m = scrape(metricsURL)
		return results(m, "rate_limited") > 0
	})
	limited := results(m, "rate_limited")
	if limited < floodSize/2 {
		t.Errorf("%v of %d flooded notifications rate-limited, want most", limited, floodSize)
	}
	if got := m["vigie_snmp_notifications_received_total"][`type="linkDown"`]; got < 2 {
		t.Errorf("received{type=linkDown} = %v, want at least the two CEs'", got)
	}
	logs := stderr.String()
	for _, want := range []string{"result=auth_failure", "result=unknown_source", "result=rate_limited", "receiving SNMP notifications"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q in the logs", want)
		}
	}
	if n := strings.Count(logs, "result=rate_limited"); n != 1 {
		t.Errorf("%d log lines about the flood, want 1", n)
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, logs)
	}
}

// floodPacket is an SNMPv2c warmStart with the simulator's community.
func floodPacket(t *testing.T) []byte {
	t.Helper()
	p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: sim.DefaultCommunity, PDUType: gosnmp.SNMPv2Trap, RequestID: 7,
		Variables: []gosnmp.SnmpPDU{
			{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(100)},
			{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.6.3.1.1.5.2"},
		}}
	b, err := p.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNotificationCredentialsReload: SIGHUP reloads the communities the
// receiver checks, on the same socket: after the file's community
// changes, the old one is refused and the new one accepted.
func TestNotificationCredentialsReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	traptest.Require(t)
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := sim.Generate(sim.GenerateOptions{Sites: 3, Seed: 9})
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = trapInterval
	}
	simtest.Serve(t, inv, snmpagent.Options{Seed: 9})
	var dev *inventory.Device
	for i := range inv.Profiles {
		if inv.Profiles[i].Version == inventory.SNMPv2c {
			inv.Profiles[i].Community = inventory.NewSecret("", "file:community")
		}
	}
	for i := range inv.Devices {
		if inv.Profile(inv.Devices[i].Profile).Version == inventory.SNMPv2c {
			dev = &inv.Devices[i]
			break
		}
	}
	if dev == nil {
		t.Fatal("no v2c device in the simulated fleet")
	}
	const oldComm, newComm = "community-before", "community-after"
	writeFile := func(v string) {
		if err := os.WriteFile(filepath.Join(dir, "community"), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(oldComm)
	config := writeConfig(t, dir, inv)
	port, trapPort := freeport.TCP(t), freeUDP(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--snmp.trap-listen-address", fmt.Sprintf("127.0.0.1:%d", trapPort))
	send := traptest.New(t, fmt.Sprintf("127.0.0.1:%d", trapPort))
	trapWith := func(comm string) {
		t.Helper()
		if out, err := send.Send(traptest.Notification{From: dev.Address.Addr().String(), Auth: []string{"-v", "2c", "-c", comm},
			TrapOID: "1.3.6.1.6.3.1.1.5.2"}); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	count := func(result string) float64 {
		return scrape(metricsURL)["vigie_snmp_notifications_total"][fmt.Sprintf("result=%q", result)]
	}
	vigie.waitFor(30*time.Second, "vigie started", func() bool { return strings.Contains(stderr.String(), "vigie started") })
	trapWith(oldComm)
	vigie.waitFor(20*time.Second, "the first community accepted", func() bool { return count("accepted") == 1 })

	writeFile(newComm)
	if err := vigie.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(30*time.Second, "the reloaded configuration running", func() bool {
		return strings.Count(stderr.String(), "vigie started") == 2
	})
	trapWith(oldComm)
	vigie.waitFor(20*time.Second, "the old community refused after the reload", func() bool { return count("bad_community") == 1 })
	trapWith(newComm)
	vigie.waitFor(20*time.Second, "the new community accepted after the reload", func() bool { return count("accepted") == 2 })
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}

// TestNotificationListenRefused: a taken notification port or a bad
// engine ID stops `vigie run` at start with one line saying what to do.
func TestNotificationListenRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := sim.Generate(sim.GenerateOptions{Sites: 2, Seed: 1})
	config := writeConfig(t, dir, inv)
	taken, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--snmp.trap-listen-address", taken.LocalAddr().String()}, "snmp notifications: listen on " + taken.LocalAddr().String()},
		{[]string{"--snmp.trap-listen-address", "127.0.0.1:0", "--snmp.trap-engine-id", "vigie"}, `--snmp.trap-engine-id="vigie": want hexadecimal octets`},
		{[]string{"--snmp.trap-listen-address", "127.0.0.1:0", "--snmp.trap-engine-id", "8000"}, "engine ID of 2 octets: want 5 to 32"},
	} {
		var stderr logbuf.Buffer
		args := append([]string{"run", "--config", config, "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))}, tc.flags...)
		p := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String, args...)
		select {
		case err := <-p.exited:
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("%v: exit %v, want status 1", tc.flags, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: vigie run still running after 20 s", tc.flags)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr lacks %q:\n%s", tc.flags, tc.want, stderr.String())
		}
	}
}
