package snmp

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// oldSwitchVars is an ifTable-only device (no ifXTable at all): ifSpeed in
// bit/s and 32-bit octet counters, in, out per interface.
func oldSwitchVars(speed uint32, in, out []uint32) []gosnmp.SnmpPDU {
	v := systemVars("old-switch", 12345)
	for i := range in {
		s := "." + strconv.Itoa(i+1)
		v = append(v, str(oidIfDescr+s, "FastEthernet0/"+strconv.Itoa(i+1)), integer(oidIfAdminStatus+s, 1),
			integer(oidIfOperStatus+s, 1), gauge(oidIfSpeed+s, speed), c32(oidIfInOctets+s, in[i]),
			c32(oidIfInDiscards+s, 0), c32(oidIfInErrors+s, 0), c32(oidIfOutOctets+s, out[i]),
			c32(oidIfOutDiscards+s, 0), c32(oidIfOutErrors+s, 0))
	}
	return v
}

// TestIfTableFallback: a device without ifXTable gets its speed from ifSpeed
// and its byte counters from ifInOctets/ifOutOctets (a wrap counted as
// traffic) from its second poll on, its first showing it lacks the
// ifXTable columns (absent, not 0); a device with ifXTable never reads the
// fallback columns, and one that loses ifXTable is followed; ifSpeed
// 4294967295 defers to ifHighSpeed; a row with both counters keeps the
// Counter64.
func TestIfTableFallback(t *testing.T) {
	f := startFakeAgent(t, newStaticMIB(oldSwitchVars(100e6, []uint32{1<<32 - 1000, 5}, []uint32{10, 20})...))
	var mu sync.Mutex
	askedSpeed := 0 // GetBulks that asked for an ifSpeed column
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		for _, v := range req.Variables {
			if strings.HasPrefix(v.Name, oidIfSpeed) {
				mu.Lock()
				askedSpeed++
				mu.Unlock()
				break
			}
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	st := NewDeviceState()
	poll := func(name string) *Poll {
		t.Helper()
		mu.Lock()
		askedSpeed = 0
		mu.Unlock()
		res := p.Poll(context.Background(), tg, st)
		if res.Err != nil || len(res.Problems) > 0 {
			t.Fatalf("%s: err %v problems %v", name, res.Err, res.Problems)
		}
		return res
	}
	asked := func() bool { mu.Lock(); defer mu.Unlock(); return askedSpeed > 0 }

	res := poll("old switch, first poll")
	if len(res.Interfaces) != 2 {
		t.Fatalf("old switch: %d interfaces, want 2", len(res.Interfaces))
	}
	if _, ok := res.Interfaces[0].SpeedBits(); ok || asked() || res.Interfaces[0].Has.Contains(ColInOctets) {
		t.Errorf("old switch, first poll: read ifSpeed %v, row %+v: want the fallback not read yet, no speed nor octets", asked(), res.Interfaces[0])
	}
	if st.if32 != if32Needed {
		t.Errorf("old switch: if32 mode %d after the first poll, want needed (%d)", st.if32, if32Needed)
	}
	res = poll("old switch, second poll")
	fa := res.Interfaces[0]
	if bits, ok := fa.SpeedBits(); !ok || bits != 100e6 || fa.Name != "FastEthernet0/1" {
		t.Errorf("old switch: speed %d %v, name %q; want 100000000 from ifSpeed, ifDescr as name", bits, ok, fa.Name)
	}
	if !fa.Has.Contains(ColInOctets|ColInOctets32|ColOutOctets|ColOutOctets32) || fa.InOctets != 1<<32-1000 || fa.Has.Contains(ColHighSpeed) {
		t.Errorf("old switch: row %+v: want the 32-bit counters flagged as such, no ifHighSpeed", fa)
	}
	// The counter wraps: 1000 bytes to the top, then 500.
	f.set(newStaticMIB(oldSwitchVars(100e6, []uint32{500, 5}, []uint32{30, 20})...), f.respond)
	res = poll("old switch after the wrap")
	if !asked() {
		t.Error("old switch: the second poll did not read ifSpeed")
	}
	if tot, ok := st.Totals(1); !ok || tot.InOctets != 1<<32+500 || tot.OutOctets != 30 || len(res.Discontinuities) > 0 {
		t.Errorf("old switch after the wrap: totals %+v %v, discontinuities %v; want in 2^32+500, out 30, none", tot, ok, res.Discontinuities)
	}

	// A modern device: ifXTable on every row, ifSpeed at its ceiling on a
	// 10 Gbit/s row, ifInOctets beside ifHCInOctets (read when the device
	// comes to need the fallback, below).
	v := systemVars("r1", 12345)
	for _, x := range ifVars(2, 5_000_000_000, 7) {
		v = append(v, x)
	}
	v = append(v, gauge(oidIfSpeed+".1", ifSpeedSeeHigh), gauge(oidIfSpeed+".2", 1e9), c32(oidIfInOctets+".1", 123), c32(oidIfInOctets+".2", 456))
	f.set(newStaticMIB(v...), f.respond)
	st = NewDeviceState()
	res = poll("modern device, first poll")
	if asked() {
		t.Error("modern device: the first poll read the fallback columns")
	}
	for _, x := range res.Interfaces {
		if bits, _ := x.SpeedBits(); bits != 1000e6 || x.InOctets != 5_000_000_000 || x.Has&narrowCols != 0 {
			t.Errorf("modern device: row %+v speed %d: want ifHighSpeed and the Counter64", x, bits)
		}
	}
	if st.if32 != if32Skip {
		t.Errorf("modern device: if32 mode %d, want skip (%d)", st.if32, if32Skip)
	}
	poll("modern device, second poll")
	if asked() {
		t.Error("modern device: the second poll read the fallback columns again")
	}
	// The agent loses its ifXTable (a downgrade): the next poll sees rows
	// without it, the one after reads the fallback.
	f.set(newStaticMIB(oldSwitchVars(10e6, []uint32{77, 88}, []uint32{1, 2})...), f.respond)
	res = poll("modern device without ifXTable")
	if _, ok := res.Interfaces[0].SpeedBits(); ok || st.if32 != if32Needed {
		t.Errorf("device that lost ifXTable: speed known %v, mode %d: want unknown this poll, needed next", ok, st.if32)
	}
	res = poll("device that lost ifXTable, next poll")
	if bits, ok := res.Interfaces[0].SpeedBits(); !ok || bits != 10e6 {
		t.Errorf("device that lost ifXTable: speed %d %v, want 10000000 from ifSpeed", bits, ok)
	}
}
