package trap

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// seedPackets are well-formed notifications of every kind the receiver
// takes, for the fuzz corpus and the tests: v2c trap and inform, v1 trap,
// v3 authPriv trap, and v3 engine discovery.
func seedPackets(tb testing.TB) [][]byte {
	tb.Helper()
	vbs := []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(100)},
		{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.6.3.1.1.5.3"},
		{Name: ".1.3.6.1.2.1.2.2.1.1.3", Type: gosnmp.Integer, Value: 3},
	}
	var out [][]byte
	add := func(p *gosnmp.SnmpPacket) {
		b, err := p.MarshalMsg()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	add(&gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: community, PDUType: gosnmp.SNMPv2Trap, RequestID: 1, Variables: vbs})
	add(&gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: community, PDUType: gosnmp.InformRequest, RequestID: 2, Variables: vbs})
	add(&gosnmp.SnmpPacket{Version: gosnmp.Version1, Community: community, PDUType: gosnmp.Trap, Variables: vbs[2:],
		SnmpTrap: gosnmp.SnmpTrap{Enterprise: ".1.3.6.1.4.1.9", AgentAddress: v2Addr, GenericTrap: 2, Timestamp: 5}})
	add(&gosnmp.SnmpPacket{Version: gosnmp.Version3, MsgFlags: gosnmp.Reportable, SecurityModel: gosnmp.UserSecurityModel,
		SecurityParameters: &gosnmp.UsmSecurityParameters{}, PDUType: gosnmp.GetRequest, MsgID: 9, RequestID: 9})
	usm := &gosnmp.UsmSecurityParameters{UserName: user, AuthoritativeEngineID: "\x80\x00\x1f\x88\x04device",
		AuthoritativeEngineBoots: 1, AuthoritativeEngineTime: 10,
		AuthenticationProtocol: gosnmp.SHA, AuthenticationPassphrase: authPass, PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: privPass}
	if err := usm.InitSecurityKeys(); err != nil {
		tb.Fatal(err)
	}
	v3 := &gosnmp.SnmpPacket{Version: gosnmp.Version3, MsgFlags: gosnmp.AuthPriv, SecurityModel: gosnmp.UserSecurityModel,
		SecurityParameters: usm, PDUType: gosnmp.SNMPv2Trap, MsgID: 10, RequestID: 10, Variables: vbs}
	if err := usm.InitPacket(v3); err != nil {
		tb.Fatal(err)
	}
	add(v3)
	return out
}

// fuzzReceiver is a receiver with the test inventory, no socket, whose
// answers and polls are recorded.
func fuzzReceiver(tb testing.TB) (*Receiver, *polls, *int) {
	opts := DefaultOptions()
	opts.setDefaults()
	opts.Burst = 1e9 // the rate limit is not what is fuzzed
	r := &Receiver{opts: opts, log: opts.Logger, m: newMetrics(), start: time.Now(), logged: map[logKey]time.Time{}}
	sent := new(int)
	r.send = func([]byte, netip.AddrPort) error { *sent++; return nil }
	p := &polls{}
	v, err := r.View(testInventory(), p.poll)
	if err != nil {
		tb.Fatal(err)
	}
	r.Use(v)
	return r, p, sent
}

// TestSeedPackets: each seed is taken as what it is when it comes from the
// right device (so the fuzz corpus starts on the paths that matter).
func TestSeedPackets(t *testing.T) {
	r, p, sent := fuzzReceiver(t)
	seeds := seedPackets(t)
	from := []string{v2Addr, v2Addr, v2Addr, v3Addr, v3Addr}
	want := []string{resultAccepted, resultAccepted, resultAccepted, resultDiscovery, resultAccepted}
	for i, b := range seeds {
		src := netip.AddrPortFrom(netip.MustParseAddr(from[i]), 50000)
		if got := r.handle(b, src, time.Now()); got != want[i] {
			t.Errorf("seed %d: %s, want %s", i, got, want[i])
		}
	}
	if len(p.names) != 4 || *sent != 2 {
		t.Errorf("%d polls asked and %d answers sent, want 4 (every accepted seed) and 2 (inform, discovery)", len(p.names), *sent)
	}
}

// FuzzHandle: whatever a known (or unknown) address sends, the packet path
// returns one of its results, counts it once, polls only for an accepted
// notification, and answers only an inform or a discovery. peek, vigie's
// own parser, is called outside handle's recover so that a panic in it is
// found, not hidden.
func FuzzHandle(f *testing.F) {
	for _, b := range seedPackets(f) {
		for src := range uint8(4) {
			f.Add(b, src)
		}
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, uint8(0))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, uint8(1))
	addrs := []string{v2Addr, v3Addr, v3NoPrivAddr, unknownAddr}
	r, p, sent := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, b []byte, src uint8) {
		_, _ = peek(b)
		from := netip.AddrPortFrom(netip.MustParseAddr(addrs[int(src)%len(addrs)]), 40000)
		polled, answered := len(p.names), *sent
		res := r.handle(slices.Clone(b), from, time.Now())
		if !slices.Contains(results, res) {
			t.Fatalf("result %q is not one of %v", res, results)
		}
		switch n := len(p.names) - polled; {
		case res == resultAccepted && n != 1, res != resultAccepted && n != 0:
			t.Fatalf("%s with %d polls asked", res, n)
		}
		if *sent-answered > 1 || (*sent > answered && res != resultAccepted && res != resultDiscovery) {
			t.Fatalf("%s with %d answers sent", res, *sent-answered)
		}
		if res != resultUnknownSource && addrs[int(src)%len(addrs)] == unknownAddr {
			t.Fatalf("unknown source taken as %s", res)
		}
	})
}
