package snmp

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// healthyMIB is a device with 3 interfaces, one LLDP neighbour and one BGP peer.
func healthyMIB() staticMIB {
	v := systemVars("r1", 12345)
	v = append(v, ifVars(3, 1000, 7)...)
	lr := oidLldpRemEntry
	idx := ".0.2.1" // TimeMark 0, local port 2, remote index 1
	v = append(v,
		integer(lr+".4"+idx, chassisSubtypeMAC), gosnmp.SnmpPDU{Name: lr + ".5" + idx, Type: gosnmp.OctetString, Value: []byte{0, 0x1b, 0x21, 0xaa, 0xbb, 0xcc}},
		integer(lr+".6"+idx, portSubtypeIfName), str(lr+".7"+idx, "ge-0/0/1"), str(lr+".8"+idx, "ge-0/0/1 to r1"), str(lr+".9"+idx, "r2"),
		integer(oidLldpLocPortIDSubtype+".2", portSubtypeMAC), gosnmp.SnmpPDU{Name: oidLldpLocPortID + ".2", Type: gosnmp.OctetString, Value: []byte{0, 1, 2, 3, 4, 5}},
		str(oidLldpLocPortDesc+".2", "eth2"),
	)
	peer := ".192.0.2.1"
	v = append(v,
		ipaddr(oidBgpPeerIdentifier+peer, "10.0.0.2"), integer(oidBgpPeerState+peer, 6), integer(oidBgpPeerAdminStatus+peer, 2),
		ipaddr(oidBgpPeerLocalAddr+peer, "192.0.2.2"), integer(oidBgpPeerRemoteAs+peer, 65001),
		c32(oidBgpPeerFsmEstablishedTransition+peer, 3), gauge(oidBgpPeerFsmEstablishedTime+peer, 600),
	)
	return newStaticMIB(v...)
}

// TestPollFakeColumns: a row has exactly the columns the device answered
// (ifInErrors and ifHCInOctets missing here, ifCounterDiscontinuityTime
// present), so that what a device lacks is never mistaken for a 0.
func TestPollFakeColumns(t *testing.T) {
	v := systemVars("r1", 12345)
	for _, pdu := range ifVars(2, 1000, 7) {
		if strings.HasPrefix(pdu.Name, oidIfInErrors+".") || strings.HasPrefix(pdu.Name, oidIfHCInOctets+".") {
			continue
		}
		v = append(v, pdu)
	}
	v = append(v, ticks(oidIfCounterDiscontinuityTime+".1", 4200), ticks(oidIfCounterDiscontinuityTime+".2", 0))
	f := startFakeAgent(t, newStaticMIB(v...))
	p := newTestPoller(t, 1)
	st := NewDeviceState()
	res := p.Poll(context.Background(), fakeTarget(f), st)
	if res.Err != nil || len(res.Problems) > 0 {
		t.Fatalf("err %v problems %v", res.Err, res.Problems)
	}
	wantHas := allCounters&^(ColInErrors|ColInOctets) | ColAdminStatus | ColOperStatus | ColHighSpeed | ColDiscontinuityTime
	if len(res.Interfaces) != 2 {
		t.Fatalf("interfaces %+v", res.Interfaces)
	}
	for i, want := range []time.Duration{42 * time.Second, 0} {
		got := res.Interfaces[i]
		if got.Has != wantHas || got.DiscontinuityTime != want || got.InErrors != 0 || got.OutErrors != 4 {
			t.Errorf("interface %d: %+v, want columns %b and ifCounterDiscontinuityTime %v", i, got, wantHas, want)
		}
	}
	tot, ok := st.Totals(1)
	if !ok || tot.Has != allCounters&^(ColInErrors|ColInOctets) || tot.OutOctets != 2000 {
		t.Errorf("totals %+v %v: want every counter but ifInErrors and ifHCInOctets", tot, ok)
	}
}

func TestPollFakeHealthy(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	p := newTestPoller(t, 1)
	res := p.Poll(context.Background(), fakeTarget(f), NewDeviceState())
	if res.Err != nil || len(res.Problems) > 0 {
		t.Fatalf("err %v problems %v", res.Err, res.Problems)
	}
	if res.System.Name != "r1" || res.System.Uptime != 123450*time.Millisecond {
		t.Errorf("system %+v", res.System)
	}
	want := Interface{Index: 2, Name: "eth2", Descr: "eth2", Alias: "to eth2", AdminUp: true, OperStatus: 1, HighSpeed: 1000,
		InOctets: 1000, OutOctets: 2000, InErrors: 7, OutErrors: 4, InDiscards: 1, OutDiscards: 3,
		Has: allCounters | ColAdminStatus | ColOperStatus | ColHighSpeed}
	if len(res.Interfaces) != 3 || res.Interfaces[1] != want {
		t.Errorf("interfaces %+v", res.Interfaces)
	}
	wantN := LLDPNeighbor{LocalPortNum: 2, LocalPort: "eth2", ChassisID: "00:1b:21:aa:bb:cc", PortID: "ge-0/0/1",
		PortDescr: "ge-0/0/1 to r1", SysName: "r2"}
	if len(res.LLDP) != 1 || res.LLDP[0] != wantN {
		t.Errorf("lldp %+v", res.LLDP)
	}
	wantP := BGPPeer{Remote: netip.MustParseAddr("192.0.2.1"), Local: netip.MustParseAddr("192.0.2.2"), State: 6, AdminUp: true,
		RemoteAS: 65001, RemoteID: netip.MustParseAddr("10.0.0.2"), FSMEstablishedTransitions: 3, FSMEstablishedTime: 10 * time.Minute}
	if len(res.BGPPeers) != 1 || res.BGPPeers[0] != wantP {
		t.Errorf("bgp %+v", res.BGPPeers)
	}
}

// TestPollFaults checks each containment rule against a fake device.
func TestPollFaults(t *testing.T) {
	base := healthyMIB()
	tests := []struct {
		name    string
		mib     fakeMIB
		respond func(req *gosnmp.SnmpPacket, normal []byte) []byte
		// want
		reason       Reason // Poll.Reason
		failed       bool   // Poll.Err set
		problemTable string
		interfaces   int
		bgpPeers     int
		requests     int // exact datagrams the agent saw (0 = not checked)
	}{
		{
			name: "oid loop stops that column",
			mib: mibFunc{base: base, nextFn: func(oid string) (gosnmp.SnmpPDU, bool) {
				if strings.HasPrefix(oid, oidIfDescr+".") {
					return str(oidIfDescr+".1", "loop"), true // never increases
				}
				return gosnmp.SnmpPDU{}, false
			}},
			reason: ReasonLoop, problemTable: "interfaces", interfaces: 3, bgpPeers: 1,
		},
		{
			name: "flood is cut at max rows, rest of the poll kept",
			mib: mibFunc{base: base, nextFn: func(oid string) (gosnmp.SnmpPDU, bool) {
				if idx, ok := indexUnderText(oid, oidIfDescr); ok || oid == oidIfDescr {
					n, _ := strconv.Atoi(idx)
					return str(oidIfDescr+"."+itoa(int(n)+1), "flood"), true
				}
				return gosnmp.SnmpPDU{}, false
			}},
			reason: ReasonTooBig, problemTable: "interfaces", interfaces: 100, bgpPeers: 1,
		},
		{
			name: "wrong value type is malformed, not a panic",
			mib: mibFunc{base: base, nextFn: func(oid string) (gosnmp.SnmpPDU, bool) {
				if oid == oidIfHCInOctets || oid == oidIfHCInOctets+".1" {
					v := base.next(oid)
					return str(v.Name, "not a counter"), true
				}
				return gosnmp.SnmpPDU{}, false
			}},
			reason: ReasonMalformed, problemTable: "interfaces", interfaces: 3, bgpPeers: 1,
		},
		{
			name:    "silence is a timeout after exactly retries+1 requests",
			mib:     base,
			respond: func(*gosnmp.SnmpPacket, []byte) []byte { return nil },
			reason:  ReasonTimeout, failed: true, requests: 2,
		},
		{
			name: "answers with a wrong request id are ignored",
			mib:  base,
			respond: func(req *gosnmp.SnmpPacket, _ []byte) []byte {
				return marshalResponse(req.RequestID+1000, systemVars("x", 1))
			},
			reason: ReasonTimeout, failed: true, requests: 2,
		},
		{
			name: "truncated packets are malformed",
			mib:  base,
			respond: func(_ *gosnmp.SnmpPacket, normal []byte) []byte {
				return normal[:len(normal)/2]
			},
			reason: ReasonMalformed, failed: true,
		},
		{
			name: "garbage is malformed",
			mib:  base,
			respond: func(*gosnmp.SnmpPacket, []byte) []byte {
				return []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01}
			},
			reason: ReasonMalformed, failed: true,
		},
		{
			name: "table error-status is contained",
			mib:  base,
			respond: func(req *gosnmp.SnmpPacket, normal []byte) []byte {
				if req.PDUType != gosnmp.GetBulkRequest {
					return normal
				}
				r := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse,
					RequestID: req.RequestID, Error: gosnmp.GenErr, ErrorIndex: 1, Variables: req.Variables}
				b, _ := r.MarshalMsg()
				return b
			},
			reason: ReasonOther, problemTable: "interfaces",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startFakeAgent(t, tc.mib)
			f.set(nil, tc.respond)
			p := newTestPoller(t, 1)
			res := p.Poll(context.Background(), fakeTarget(f), NewDeviceState())
			if res.Reason != tc.reason || (res.Err != nil) != tc.failed {
				t.Fatalf("reason %q err %v problems %v; want reason %q failed %v", res.Reason, res.Err, res.Problems, tc.reason, tc.failed)
			}
			if tc.problemTable != "" && (len(res.Problems) == 0 || res.Problems[0].Table != tc.problemTable) {
				t.Errorf("problems %v, want one in %s", res.Problems, tc.problemTable)
			}
			if len(res.Interfaces) != tc.interfaces || len(res.BGPPeers) != tc.bgpPeers {
				t.Errorf("interfaces %d bgp %d, want %d %d", len(res.Interfaces), len(res.BGPPeers), tc.interfaces, tc.bgpPeers)
			}
			if tc.requests > 0 {
				if got := f.requests.Load(); got != int64(tc.requests) {
					t.Errorf("agent saw %d requests, want %d", got, tc.requests)
				}
			}
			if p.DecodePanics() != 0 {
				t.Errorf("decode panics %d", p.DecodePanics())
			}
		})
	}
}

func itoa(n int) string { return strconvItoa(n) }

// TestAdaptiveMaxRepetitions: a device that never answers GetBulks larger
// than 3 repetitions gets its max-repetitions halved, remembered per device,
// until polls are clean again.
func TestAdaptiveMaxRepetitions(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		if req.PDUType == gosnmp.GetBulkRequest && req.MaxRepetitions > 3 {
			return nil
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	tg.Retries = 0
	st := NewDeviceState()
	var last *Poll
	for i := 0; i < 4; i++ {
		last = p.Poll(context.Background(), tg, st)
	}
	if st.MaxRepetitions() != 2 {
		t.Errorf("max-repetitions %d, want 10 halved to 2", st.MaxRepetitions())
	}
	if last.Err != nil || len(last.Problems) != 0 || len(last.Interfaces) != 3 {
		t.Errorf("last poll: err %v problems %v interfaces %d", last.Err, last.Problems, len(last.Interfaces))
	}
	// Another device on the same poller keeps its own size.
	other := NewDeviceState()
	g := startFakeAgent(t, healthyMIB())
	p.Poll(context.Background(), fakeTarget(g), other)
	if other.MaxRepetitions() != 10 {
		t.Errorf("other device max-repetitions %d, want 10", other.MaxRepetitions())
	}
}

// TestStrayAnswersDropped: an answer from another address is not taken for
// the current device's.
func TestStrayAnswersDropped(t *testing.T) {
	silent := startFakeAgent(t, healthyMIB())
	silent.set(nil, func(*gosnmp.SnmpPacket, []byte) []byte { return nil })
	p := newTestPoller(t, 1)
	tg := fakeTarget(silent)
	tg.Retries = 0
	tg.Timeout = 300 * time.Millisecond
	// A third party sends a well-formed answer to the session's socket.
	var s *session
	for _, x := range p.all {
		s = x
	}
	local := s.conn.LocalAddr().(*netAddrUDP).AddrPort()
	other := startFakeAgentConnOnly(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = other.WriteToUDPAddrPort(marshalResponse(0, systemVars("intruder", 1)), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), local.Port()))
	}()
	res := p.Poll(context.Background(), tg, NewDeviceState())
	if res.Err == nil || res.System.Name == "intruder" {
		t.Fatalf("stray answer accepted: %+v", res)
	}
}

// TestCancelEndsPollAtOnce: cancelling a poll wakes it from its read
// instead of waiting for the profile's timeout.
func TestCancelEndsPollAtOnce(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	f.set(nil, func(*gosnmp.SnmpPacket, []byte) []byte { return nil })
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	tg.Timeout, tg.Retries = time.Hour, 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Poll, 1)
	go func() { done <- p.Poll(ctx, tg, NewDeviceState()) }()
	for f.requests.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case res := <-done:
		if res.Err == nil {
			t.Error("cancelled poll succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("poll still blocked 10 s after cancel (timeout is 1 h)")
	}
}
