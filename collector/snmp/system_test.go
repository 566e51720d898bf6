package snmp

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/gosnmp/gosnmp"
)

// TestSystemInBulk: after a poll that got the system group, the next one
// asks for it as non-repeaters of its first GetBulk (one request for a
// small device) and decodes the same values; a device that falls silent
// then costs exactly retries+1 requests and fails as with the Get, without
// halving its max-repetitions; the poll after a failure starts with a Get
// again; an agent that refuses the non-repeaters is read with a Get in the
// same poll; an object missing from the system group stays empty, as with a
// Get.
func TestSystemInBulk(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	var mu sync.Mutex
	var kinds []string // "get", "bulk" or "bulk+sys", per request of the current poll
	silent, refuse := false, false
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		kind := "get"
		if req.PDUType == gosnmp.GetBulkRequest {
			kind = "bulk"
			if req.NonRepeaters > 0 {
				kind = "bulk+sys"
			}
		}
		kinds = append(kinds, kind)
		switch {
		case silent:
			return nil
		case refuse && kind == "bulk+sys":
			r := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse,
				RequestID: req.RequestID, Error: gosnmp.GenErr, ErrorIndex: 1, Variables: req.Variables}
			b, _ := r.MarshalMsg()
			return b
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f) // Retries 1
	st := NewDeviceState()
	wantSys := System{Name: "r1", Descr: "fake router", ObjectID: ".1.3.6.1.4.1.9.1.1", Uptime: 123450 * time.Millisecond}
	for _, tc := range []struct {
		name           string
		silent, refuse bool
		mib            fakeMIB
		wantKinds      []string
		wantErr        bool
		wantSys        System
	}{
		{name: "first poll: a Get, then the walk", wantKinds: []string{"get", "bulk"}, wantSys: wantSys},
		{name: "answered last time: one GetBulk with the system group", wantKinds: []string{"bulk+sys"}, wantSys: wantSys},
		{name: "silent: retries+1 requests, failed", silent: true, wantKinds: []string{"bulk+sys", "bulk+sys"}, wantErr: true},
		{name: "still silent: the Get's retries+1 requests", silent: true, wantKinds: []string{"get", "get"}, wantErr: true},
		{name: "back: a Get first", wantKinds: []string{"get", "bulk"}, wantSys: wantSys},
		{name: "refused as non-repeaters: a Get in the same poll", refuse: true, wantKinds: []string{"bulk+sys", "get", "bulk"}, wantSys: wantSys},
		{name: "sysObjectID missing: GetNext lands on sysUpTime.0, object left empty",
			mib:       mibWithout(healthyMIB(), oidSysObjectID),
			wantKinds: []string{"bulk+sys"}, wantSys: System{Name: "r1", Descr: "fake router", Uptime: 123450 * time.Millisecond}},
	} {
		mu.Lock()
		kinds, silent, refuse = kinds[:0], tc.silent, tc.refuse
		mu.Unlock()
		if tc.mib != nil {
			f.set(tc.mib, f.respond)
		}
		res := p.Poll(context.Background(), tg, st)
		mu.Lock()
		got := slices.Clone(kinds)
		mu.Unlock()
		if !slices.Equal(got, tc.wantKinds) || res.Requests != len(tc.wantKinds) {
			t.Errorf("%s: requests %v (counted %d), want %v", tc.name, got, res.Requests, tc.wantKinds)
		}
		if (res.Err != nil) != tc.wantErr {
			t.Fatalf("%s: err %v, want failed=%v", tc.name, res.Err, tc.wantErr)
		}
		if tc.wantErr {
			if res.Reason != ReasonTimeout || res.Interfaces != nil || res.System != (System{}) {
				t.Errorf("%s: reason %q interfaces %v system %+v, want a timeout with nothing read", tc.name, res.Reason, res.Interfaces, res.System)
			}
			if st.MaxRepetitions() != tg.MaxRepetitions {
				t.Errorf("%s: max-repetitions %d, want %d kept (silence is not a big answer)", tc.name, st.MaxRepetitions(), tg.MaxRepetitions)
			}
			continue
		}
		if res.System != tc.wantSys || len(res.Problems) > 0 || len(res.Interfaces) != 3 || len(res.LLDP) != 1 || len(res.BGPPeers) != 1 {
			t.Errorf("%s: system %+v problems %v, %d interfaces %d neighbours %d peers; want %+v, none, 3 1 1",
				tc.name, res.System, res.Problems, len(res.Interfaces), len(res.LLDP), len(res.BGPPeers), tc.wantSys)
		}
		if res.Reason != ReasonNone {
			t.Errorf("%s: reason %q", tc.name, res.Reason)
		}
	}
}

// mibWithout returns m without the variable named oid.
func mibWithout(m staticMIB, oid string) staticMIB {
	return slices.DeleteFunc(slices.Clone(m), func(v gosnmp.SnmpPDU) bool { return v.Name == oid })
}

// TestStringsReused: a device that sends the same names poll after poll
// gets the previous poll's strings back (no allocation for them), and a
// name that changed is read anew.
func TestStringsReused(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	st := NewDeviceState()
	first := p.Poll(context.Background(), tg, st)
	second := p.Poll(context.Background(), tg, st)
	if first.Err != nil || second.Err != nil || len(second.Interfaces) != 3 || len(second.LLDP) != 1 {
		t.Fatalf("polls: %v %v, %d interfaces, %d neighbours", first.Err, second.Err, len(second.Interfaces), len(second.LLDP))
	}
	same := func(what, a, b string) {
		t.Helper()
		if a != b || unsafe.StringData(a) != unsafe.StringData(b) {
			t.Errorf("%s: %q then %q, not the same string", what, a, b)
		}
	}
	same("sysName", first.System.Name, second.System.Name)
	same("sysDescr", first.System.Descr, second.System.Descr)
	same("sysObjectID", first.System.ObjectID, second.System.ObjectID)
	for i := range first.Interfaces {
		same("ifName", first.Interfaces[i].Name, second.Interfaces[i].Name)
		same("ifDescr", first.Interfaces[i].Descr, second.Interfaces[i].Descr)
		same("ifAlias", first.Interfaces[i].Alias, second.Interfaces[i].Alias)
	}
	a, b := first.LLDP[0], second.LLDP[0]
	same("lldpRemChassisId", a.ChassisID, b.ChassisID)
	same("lldpRemPortId", a.PortID, b.PortID)
	same("lldpRemPortDesc", a.PortDescr, b.PortDescr)
	same("lldpRemSysName", a.SysName, b.SysName)
	same("local port", a.LocalPort, b.LocalPort)

	// The alias of interface 2 and the neighbour's name change.
	var v []gosnmp.SnmpPDU
	for _, x := range healthyMIB() {
		switch x.Name {
		case oidIfAlias + ".2":
			x = str(x.Name, "to r9")
		case oidLldpRemSysName + ".0.2.1":
			x = str(x.Name, "r9")
		}
		v = append(v, x)
	}
	f.set(newStaticMIB(v...), nil)
	third := p.Poll(context.Background(), tg, st)
	if third.Err != nil || len(third.Interfaces) != 3 || len(third.LLDP) != 1 {
		t.Fatalf("third poll: %v", third.Err)
	}
	if third.Interfaces[1].Alias != "to r9" || third.LLDP[0].SysName != "r9" {
		t.Errorf("changed names not read: alias %q, neighbour %q", third.Interfaces[1].Alias, third.LLDP[0].SysName)
	}
	same("unchanged ifAlias", second.Interfaces[0].Alias, third.Interfaces[0].Alias)
	if second.Interfaces[1].Alias != "to eth2" || second.LLDP[0].SysName != "r2" {
		t.Errorf("the previous poll's rows changed: %q %q", second.Interfaces[1].Alias, second.LLDP[0].SysName)
	}
}
