package snmpagent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	agent *Agent
	inv   *inventory.Inventory
	port  int
	clock *fakeClock
}

// startAgent serves a small generated fleet on a free port of 127/8.
func startAgent(t testing.TB, sites int, opts Options) *fixture {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Seed: 5, Sites: sites})
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	if opts.Sockets == 0 {
		opts.Sockets = 2
	}
	a, err := New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return &fixture{agent: a, inv: inv, port: a.Port(), clock: clock}
}

func (f *fixture) dev(t testing.TB, pred func(d *inventory.Device) bool) *inventory.Device {
	t.Helper()
	for i := range f.inv.Devices {
		if pred(&f.inv.Devices[i]) {
			return &f.inv.Devices[i]
		}
	}
	t.Fatal("no device matches")
	return nil
}

func v2client(t testing.TB, f *fixture, addr netip.Addr) *gosnmp.GoSNMP {
	t.Helper()
	g := &gosnmp.GoSNMP{Target: addr.String(), Port: uint16(f.port), Community: sim.DefaultCommunity,
		Version: gosnmp.Version2c, Timeout: time.Second, Retries: 1, MaxOids: 60, MaxRepetitions: 25}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Conn.Close() })
	return g
}

func v3client(t testing.TB, f *fixture, addr netip.Addr, user, auth, priv string, ap gosnmp.SnmpV3AuthProtocol) *gosnmp.GoSNMP {
	t.Helper()
	level := gosnmp.AuthPriv
	if priv == "" {
		level = gosnmp.AuthNoPriv
	}
	g := &gosnmp.GoSNMP{Target: addr.String(), Port: uint16(f.port), Version: gosnmp.Version3,
		Timeout: time.Second, Retries: 1, MaxOids: 60, MaxRepetitions: 25,
		SecurityModel: gosnmp.UserSecurityModel, MsgFlags: level,
		SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: user,
			AuthenticationProtocol: ap, AuthenticationPassphrase: auth,
			PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: priv}}
	if priv == "" {
		g.SecurityParameters.(*gosnmp.UsmSecurityParameters).PrivacyProtocol = gosnmp.NoPriv
	}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Conn.Close() })
	return g
}

const (
	oidSysName   = ".1.3.6.1.2.1.1.5.0"
	oidSysUpTime = ".1.3.6.1.2.1.1.3.0"
	oidIfName    = ".1.3.6.1.2.1.31.1.1.1.1"
	oidIfOper    = ".1.3.6.1.2.1.2.2.1.8"
	oidIfInErr   = ".1.3.6.1.2.1.2.2.1.14"
	oidHCIn      = ".1.3.6.1.2.1.31.1.1.1.6"
	oidRemSys    = ".1.0.8802.1.1.2.1.4.1.1.9"
	oidRemPort   = ".1.0.8802.1.1.2.1.4.1.1.7"
	oidPeerState = ".1.3.6.1.2.1.15.3.1.2"
	oidPeerTrans = ".1.3.6.1.2.1.15.3.1.15"
)

// TestPktinfoAnswersFromDeviceAddress: a request to 127.1.0.5 is answered
// from 127.1.0.5 with that device's sysName (gosnmp's connected socket
// would drop an answer from any other address).
func TestPktinfoAnswersFromDeviceAddress(t *testing.T) {
	f := startAgent(t, 30, Options{})
	for _, addr := range []string{"127.1.0.5", "127.1.0.1", "127.1.0.40"} {
		a := netip.MustParseAddr(addr)
		d := f.dev(t, func(d *inventory.Device) bool { return d.Address.Addr() == a })
		// A raw socket to check the source address of the answer, too.
		conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(f.port))))
		if err != nil {
			t.Fatal(err)
		}
		g := v2client(t, f, a)
		r, err := g.Get([]string{oidSysName})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got := string(r.Variables[0].Value.([]byte)); got != d.Name {
			t.Errorf("%s answered sysName %q, want %q", addr, got, d.Name)
		}
		conn.Close()
	}
	// An address no device has gets no answer and is counted.
	g := v2client(t, f, netip.MustParseAddr("127.1.200.200"))
	g.Retries = 0
	g.Timeout = 200 * time.Millisecond
	if _, err := g.Get([]string{oidSysName}); err == nil {
		t.Error("an address without a device answered")
	}
	if n := f.agent.Stats().Dropped["unknown_address"]; n == 0 {
		t.Error("unknown address not counted")
	}
}

// TestRawSourceAddress checks with a plain unconnected socket that the
// answer's source is the device's address.
func TestRawSourceAddress(t *testing.T) {
	f := startAgent(t, 30, Options{})
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: sim.DefaultCommunity}
	pkt := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: sim.DefaultCommunity, PDUType: gosnmp.GetRequest,
		RequestID: 77, Variables: []gosnmp.SnmpPDU{{Name: oidSysName, Type: gosnmp.Null}}}
	b, err := pkt.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	to := netip.AddrPortFrom(netip.MustParseAddr("127.1.0.5"), uint16(f.port))
	if _, err := pc.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4096)
	n, from, err := pc.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if from != to {
		t.Errorf("answer came from %v, want %v", from, to)
	}
	resp, err := g.SnmpDecodePacket(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if resp.RequestID != 77 {
		t.Errorf("request-id %d, want 77", resp.RequestID)
	}
}

func TestV2cGetNextBulkWithGosnmp(t *testing.T) {
	f := startAgent(t, 30, Options{})
	agg := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	g := v2client(t, f, agg.Address.Addr())
	names, err := g.BulkWalkAll(oidIfName)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"lo": true}
	for _, s := range f.inv.Sites {
		for _, a := range s.Access {
			if a.Device == agg.Name {
				want[a.Interface] = true
			}
		}
	}
	for _, l := range f.inv.Links {
		for _, e := range []inventory.Endpoint{l.A, l.B} {
			if e.Device == agg.Name {
				want[e.Interface] = true
			}
		}
	}
	got := map[string]bool{}
	for _, v := range names {
		got[string(v.Value.([]byte))] = true
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ifName of %s = %v, want %v", agg.Name, got, want)
	}
	// GetNext from the table's root gives ifIndex 1.
	r, err := g.GetNext([]string{oidIfName})
	if err != nil {
		t.Fatal(err)
	}
	if r.Variables[0].Name != oidIfName+".1" || string(r.Variables[0].Value.([]byte)) != "lo" {
		t.Errorf("GetNext(ifName) = %s %v", r.Variables[0].Name, r.Variables[0].Value)
	}
	// A plain walk (GetNext) sees the same rows.
	walked, err := g.WalkAll(oidIfName)
	if err != nil {
		t.Fatal(err)
	}
	if len(walked) != len(names) {
		t.Errorf("walk gave %d rows, bulk walk %d", len(walked), len(names))
	}
	// GetBulk with one non-repeater: one varbind for it, then three rows.
	r, err = g.GetBulk([]string{oidSysName, oidIfName}, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got3 []string
	for _, v := range r.Variables {
		got3 = append(got3, v.Name)
	}
	if want3 := []string{".1.3.6.1.2.1.1.6.0", oidIfName + ".1", oidIfName + ".2", oidIfName + ".3"}; fmt.Sprint(got3) != fmt.Sprint(want3) {
		t.Errorf("GetBulk(non-repeaters 1, max-repetitions 3) = %v, want %v", got3, want3)
	}
	// Past the end of the MIB: endOfMibView.
	r, err = g.GetNext([]string{".1.3.6.1.9"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Variables[0].Type != gosnmp.EndOfMibView {
		t.Errorf("GetNext past the MIB = %v, want endOfMibView", r.Variables[0].Type)
	}
	// Get of a missing instance and a missing object.
	r, err = g.Get([]string{oidIfName + ".9999", ".1.3.6.1.4.1.1.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Variables[0].Type != gosnmp.NoSuchInstance || r.Variables[1].Type != gosnmp.NoSuchObject {
		t.Errorf("missing OIDs answered %v and %v", r.Variables[0].Type, r.Variables[1].Type)
	}
	// A wrong community gets no answer.
	g.Community = "wrong"
	g.Retries, g.Timeout = 0, 200*time.Millisecond
	if _, err := g.Get([]string{oidSysName}); err == nil {
		t.Error("wrong community answered")
	}
}

func TestV3WithGosnmp(t *testing.T) {
	f := startAgent(t, 30, Options{Users: []User{
		{Name: sim.DefaultUser, AuthProtocol: "SHA", AuthPassword: sim.DefaultAuthPassword, PrivPassword: sim.DefaultPrivPassword},
		{Name: "vigie256", AuthProtocol: "SHA256", AuthPassword: sim.DefaultAuthPassword, PrivPassword: sim.DefaultPrivPassword},
		{Name: "vigie512", AuthProtocol: "SHA512", AuthPassword: sim.DefaultAuthPassword},
		{Name: "vigiemd5", AuthProtocol: "MD5", AuthPassword: sim.DefaultAuthPassword, PrivPassword: sim.DefaultPrivPassword},
	}})
	ce := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	for _, c := range []struct {
		user, priv string
		proto      gosnmp.SnmpV3AuthProtocol
	}{
		{sim.DefaultUser, sim.DefaultPrivPassword, gosnmp.SHA},
		{sim.DefaultUser, "", gosnmp.SHA},
		{"vigie256", sim.DefaultPrivPassword, gosnmp.SHA256},
		{"vigie512", "", gosnmp.SHA512},
		{"vigiemd5", sim.DefaultPrivPassword, gosnmp.MD5},
	} {
		t.Run(c.user+"/"+fmt.Sprint(c.priv != ""), func(t *testing.T) {
			g := v3client(t, f, ce.Address.Addr(), c.user, sim.DefaultAuthPassword, c.priv, c.proto)
			r, err := g.Get([]string{oidSysName, oidSysUpTime})
			if err != nil {
				t.Fatal(err)
			}
			if got := string(r.Variables[0].Value.([]byte)); got != ce.Name {
				t.Errorf("sysName %q, want %q", got, ce.Name)
			}
			rows, err := g.BulkWalkAll(".1.3.6.1.2.1.2.2")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 12 {
				t.Errorf("ifTable walk gave %d varbinds", len(rows))
			}
		})
	}
}

// TestUSMReports checks the USM error reports with gosnmp, which maps
// them to errors.
func TestUSMReports(t *testing.T) {
	f := startAgent(t, 10, Options{})
	ce := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	addr := ce.Address.Addr()

	// gosnmp discards reports that are not authenticated once it knows the
	// engine (RFC 3414 sends these at noAuthNoPriv), so it only sees an
	// error; the report itself is checked with net-snmp below.
	for _, c := range []struct {
		user, auth, report string
	}{
		{"nobody", sim.DefaultAuthPassword, "unknown_user_names"},
		{sim.DefaultUser, "wrong-password", "wrong_digests"},
	} {
		before := f.agent.Stats().Reports[c.report]
		g := v3client(t, f, addr, c.user, c.auth, sim.DefaultPrivPassword, gosnmp.SHA)
		g.Retries = 0
		if _, err := g.Get([]string{oidSysName}); err == nil {
			t.Errorf("user %q with auth %q: Get succeeded", c.user, c.auth)
		}
		if after := f.agent.Stats().Reports[c.report]; after != before+1 {
			t.Errorf("user %q: %s reports went from %d to %d, want +1", c.user, c.report, before, after)
		}
	}
	if get, err := exec.LookPath("snmpget"); err == nil {
		target := fmt.Sprintf("udp:%s:%d", addr, f.port)
		for _, c := range []struct {
			user, auth, want string
		}{
			{"nobody", sim.DefaultAuthPassword, "Unknown user name"},
			{sim.DefaultUser, "wrong-password", "Authentication failure"},
		} {
			out, err := exec.Command(get, "-m", ":", "-t", "1", "-r", "0", "-v3", "-l", "authPriv", "-u", c.user,
				"-a", "SHA", "-A", c.auth, "-x", "AES", "-X", sim.DefaultPrivPassword, target, oidSysName).CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Errorf("snmpget as %q: %v, output %q, want %q", c.user, err, out, c.want)
			}
		}
	}
	if st := f.agent.Stats().Reports; st["unknown_engine_ids"] == 0 {
		t.Errorf("engine discovery reports not counted: %v", st)
	}

	// Not in time window: a client that learnt the engine's time, then a
	// reboot (engineBoots++) and 10 minutes later. gosnmp resynchronises
	// on the report, so the Get succeeds after one notInTimeWindow report.
	g := v3client(t, f, addr, sim.DefaultUser, sim.DefaultAuthPassword, sim.DefaultPrivPassword, gosnmp.SHA)
	if _, err := g.Get([]string{oidSysName}); err != nil {
		t.Fatal(err)
	}
	before := f.agent.Stats().Reports["not_in_time_windows"]
	if err := f.agent.Reboot(ce.Name); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(10 * time.Minute)
	r, err := g.Get([]string{oidSysUpTime})
	if err != nil {
		t.Fatal(err)
	}
	if after := f.agent.Stats().Reports["not_in_time_windows"]; after != before+1 {
		t.Errorf("notInTimeWindows reports went from %d to %d, want +1", before, after)
	}
	if up := r.Variables[0].Value.(uint32); up != 60000 {
		t.Errorf("sysUpTime after reboot + 10 min = %d, want 60000", up)
	}
}

// netSNMP returns the path of a net-snmp tool, skipping the test when it is
// missing (failing under CI=true, where the scripts install it).
func netSNMP(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (install the Debian package snmp): %v", tool, err)
		}
		t.Skipf("%s not found (install the Debian package snmp)", tool)
	}
	return p
}

// TestNetSNMPClients walks with net-snmp's snmpbulkwalk and snmpget, v2c
// and v3 authPriv SHA/AES, and compares with the inventory.
func TestNetSNMPClients(t *testing.T) {
	walk := netSNMP(t, "snmpbulkwalk")
	get := netSNMP(t, "snmpget")
	f := startAgent(t, 30, Options{})
	agg := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	target := fmt.Sprintf("udp:%s:%d", agg.Address.Addr(), f.port)
	v2 := []string{"-v2c", "-c", sim.DefaultCommunity}
	v3 := []string{"-v3", "-l", "authPriv", "-u", sim.DefaultUser, "-a", "SHA", "-A", sim.DefaultAuthPassword,
		"-x", "AES", "-X", sim.DefaultPrivPassword}
	for name, auth := range map[string][]string{"v2c": v2, "v3": v3} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"-m", ":", "-On", "-Oq", "-t", "2", "-r", "1"}, auth...)
			out, err := exec.Command(walk, append(args, "-Cr25", target, ".1.0.8802.1.1.2.1.4.1.1.9")...).CombinedOutput()
			if err != nil {
				t.Fatalf("snmpbulkwalk: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			peers := 0
			for _, s := range f.inv.Sites {
				for _, a := range s.Access {
					if a.Device == agg.Name && !a.ViaInternet {
						peers++
						if !strings.Contains(string(out), a.Router) {
							t.Errorf("LLDP of %s misses CE %s", agg.Name, a.Router)
						}
					}
				}
			}
			for _, l := range f.inv.Links {
				if l.A.Device == agg.Name || l.B.Device == agg.Name {
					peers++
				}
			}
			if len(lines) != peers {
				t.Errorf("lldpRemSysName has %d rows, want %d:\n%s", len(lines), peers, out)
			}
			out, err = exec.Command(get, append(args, target, oidSysName)...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), agg.Name) {
				t.Errorf("snmpget sysName: %v\n%s", err, out)
			}
			out, err = exec.Command(walk, append(args, "-Cr25", target, ".1.3.6.1.2.1.15.3.1.2")...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), " 6") {
				t.Errorf("snmpbulkwalk bgpPeerState: %v\n%s", err, out)
			}
		})
	}
}
