package snmp

import (
	"bufio"
	"context"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/snmpdtest"
)

// TestSensorValue: EntitySensorValue with its scale (SI prefix) and
// precision (fixed-point digits when 1..9; accurate digits, no shift, when
// -8..-1), optics in dBm, and the values that have no reading.
func TestSensorValue(t *testing.T) {
	for _, c := range []struct {
		name      string
		kind      SensorKind
		raw       int64
		scale     int
		precision int
		want      float64
		ok        bool
	}{
		{"celsius units", SensorCelsius, 43, 9, 0, 43, true},
		{"celsius tenths", SensorCelsius, 355, 9, 1, 35.5, true},
		{"celsius below zero", SensorCelsius, -125, 9, 1, -12.5, true},
		{"volts milli", SensorVolts, 12050, 8, 0, 12.05, true},
		{"volts milli with precision 2", SensorVolts, 120500, 8, 1, 12.05, true},
		{"accurate digits do not move the point", SensorAmperes, 71, 9, -2, 71, true},
		{"kilowatts", SensorWatts, 3, 10, 0, 3000, true},
		{"rpm", SensorRPM, 5280, 9, 0, 5280, true},
		{"zero", SensorCelsius, 0, 9, 0, 0, true},
		{"underflow", SensorCelsius, -1000000000, 9, 0, 0, false},
		{"overflow", SensorCelsius, 1000000000, 9, 0, 0, false},
		{"scale 0", SensorCelsius, 1, 0, 0, 0, false},
		{"scale 18", SensorCelsius, 1, 18, 0, 0, false},
		{"precision 10", SensorCelsius, 1, 9, 10, 0, false},
		{"precision -9", SensorCelsius, 1, 9, -9, 0, false},
		{"yotta, largest", SensorWatts, 999999999, 17, 0, 999999999e24, true},
		{"yocto, smallest", SensorWatts, 1, 1, 9, 1e-33, true},
		// 199.5 µW is 0.1995 mW: -7.0 dBm.
		{"rx micro tenths", SensorReceiveDBm, 1995, 7, 1, 10 * math.Log10(0.1995), true},
		{"tx milli", SensorTransmitDBm, 1, 8, 0, 0, true},
		{"rx 1 W", SensorReceiveDBm, 1, 9, 0, 30, true},
		{"rx no light", SensorReceiveDBm, 0, 7, 1, dBmFloor, true},
		{"rx below the DOM resolution", SensorReceiveDBm, 1, 1, 9, dBmFloor, true},
		{"rx negative watts", SensorReceiveDBm, -5, 7, 1, 0, false},
	} {
		got, ok := sensorValue(c.kind, c.raw, c.scale, c.precision)
		if ok != c.ok || (ok && math.Abs(got-c.want) > 1e-9*math.Max(1, math.Abs(c.want))) {
			t.Errorf("%s: sensorValue(%d, %d, scale %d, precision %d) = %v, %v; want %v, %v", c.name, c.kind, c.raw, c.scale, c.precision, got, ok, c.want, c.ok)
		}
	}
}

// FuzzSensorValue: whatever a device sends, a reading is finite, and an
// optic's is never below the floor.
func FuzzSensorValue(f *testing.F) {
	f.Add(uint8(SensorReceiveDBm), int64(1995), 7, 1)
	f.Add(uint8(SensorCelsius), int64(-1000000000), 9, 0)
	f.Add(uint8(SensorWatts), int64(999999999), 17, -8)
	f.Fuzz(func(t *testing.T, kind uint8, raw int64, scale, precision int) {
		k := SensorKind(kind % 8)
		v, ok := sensorValue(k, raw, scale, precision)
		if !ok {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("sensorValue(%d, %d, %d, %d) = %v", k, raw, scale, precision, v)
		}
		if (k == SensorReceiveDBm || k == SensorTransmitDBm) && v < dBmFloor {
			t.Fatalf("optic %v dBm below the floor", v)
		}
	})
}

// TestOpticKind: a watts sensor is an optic's power only when its name says so.
func TestOpticKind(t *testing.T) {
	for name, want := range map[string]SensorKind{
		"Te1/1/1 Receive Power Sensor":  SensorReceiveDBm,
		"Ethernet1 Rx Power":            SensorReceiveDBm,
		"xe-0/0/0 Optical Tx Power":     SensorTransmitDBm,
		"Te1/1/1 Transmit Power Sensor": SensorTransmitDBm,
		"Power Supply 0 power":          SensorWatts,
		"":                              SensorWatts,
	} {
		if got := sensorKind(6, name); got != want {
			t.Errorf("sensorKind(watts, %q) = %d, want %d", name, got, want)
		}
	}
}

// ciscoHealthVars is a Cisco's CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB,
// ENTITY-SENSOR-MIB and the entPhysicalTable names they point at.
func ciscoHealthVars() []gosnmp.SnmpPDU {
	sensor := func(idx string, typ, scale, prec, val, status int) []gosnmp.SnmpPDU {
		return []gosnmp.SnmpPDU{integer(oidEntPhySensorType+idx, typ), integer(oidEntPhySensorScale+idx, scale),
			integer(oidEntPhySensorPrecision+idx, prec), integer(oidEntPhySensorValue+idx, val), integer(oidEntPhySensorOperStatus+idx, status)}
	}
	v := []gosnmp.SnmpPDU{
		str(oidEntPhysicalDescr+".7", "Route Processor"), str(oidEntPhysicalName+".7", "RP0"),
		str(oidEntPhysicalDescr+".1001", "Temp: Inlet"), str(oidEntPhysicalName+".1001", "Temp: Inlet R0"),
		str(oidEntPhysicalDescr+".1002", "Fan 1"), str(oidEntPhysicalName+".1002", ""),
		str(oidEntPhysicalName+".2001", "Te1/1/1 Receive Power Sensor"),
		str(oidEntPhysicalName+".2002", "Te1/1/1 Receive Power Sensor"),
		integer(oidCpmCPUTotalPhysicalIndex+".7", 7), gauge(oidCpmCPUTotal1minRev+".7", 18), gauge(oidCpmCPUTotal5minRev+".7", 15),
		integer(oidCpmCPUTotalPhysicalIndex+".9", 0), gauge(oidCpmCPUTotal5minRev+".9", 40),
		str(oidCiscoMemoryPoolName+".1", "Processor"), gauge(oidCiscoMemoryPoolUsed+".1", 400), gauge(oidCiscoMemoryPoolFree+".1", 600),
	}
	v = append(v, sensor(".1001", 8, 9, 0, 43, 1)...)
	v = append(v, sensor(".1002", 10, 9, 0, 5280, 1)...)
	v = append(v, sensor(".1003", 8, 9, 0, 0, 3)...)
	v = append(v, sensor(".1004", 12, 9, 0, 1, 1)...) // truthvalue: not read
	v = append(v, sensor(".2001", 6, 7, 1, 1995, 1)...)
	v = append(v, sensor(".2002", 6, 7, 1, 0, 1)...)
	return v
}

// TestHealthPoll: the health tables are first asked in a device's second
// poll; a device with none of them then every healthRetryPolls polls, and
// gives no Health between; a Cisco's CPUs, pools and sensors are decoded,
// named by entPhysicalName (or Descr, or index), and their names read once.
func TestHealthPoll(t *testing.T) {
	base := healthyMIB()
	f := startFakeAgent(t, base)
	var mu sync.Mutex
	var asked, named int
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range req.Variables {
			switch {
			case strings.HasPrefix(v.Name, oidEntPhySensorEntry), strings.HasPrefix(v.Name, oidHrProcessorLoad):
				asked++
			case strings.HasPrefix(v.Name, oidEntPhysicalName):
				named++
			}
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	tg.Tables |= TableHealth
	st := NewDeviceState()
	poll := func(name string) (*Poll, int, int) {
		t.Helper()
		mu.Lock()
		asked, named = 0, 0
		mu.Unlock()
		res := p.Poll(context.Background(), tg, st)
		if res.Err != nil || len(res.Problems) > 0 {
			t.Fatalf("%s: err %v problems %v", name, res.Err, res.Problems)
		}
		mu.Lock()
		defer mu.Unlock()
		return res, asked, named
	}
	if res, a, _ := poll("first poll"); a > 0 || res.Health != nil {
		t.Fatalf("first poll: health asked %d times, Health %+v; want not asked", a, res.Health)
	}
	res, a, _ := poll("no health MIB, second poll")
	if a == 0 || res.Health == nil || len(res.Health.CPUs)+len(res.Health.Memory)+len(res.Health.Sensors) != 0 {
		t.Fatalf("no health MIB, second poll: asked %d, Health %+v; want asked and empty", a, res.Health)
	}
	for i := range healthRetryPolls {
		if res, a, _ := poll("no health MIB, later poll"); a > 0 || res.Health != nil {
			t.Fatalf("no health MIB, poll %d after the probe: asked %d, Health %+v; want not asked", i+1, a, res.Health)
		}
	}
	f.set(newStaticMIB(append(slices.Clone([]gosnmp.SnmpPDU(base)), ciscoHealthVars()...)...), f.respond)
	res, a, n := poll("health after the retry")
	if a == 0 || n == 0 || res.Health == nil {
		t.Fatalf("health after healthRetryPolls: sensors asked %d, named %d, Health %+v", a, n, res.Health)
	}
	want := Health{
		CPUs:   []CPU{{Name: "RP0", Usage: 0.18}, {Name: "cpmCPUTotal 9", Usage: 0.40}},
		Memory: []MemoryPool{{Name: "Processor", Used: 400, Size: 1000}},
		Sensors: []Sensor{
			{Index: 1002, Name: "Fan 1", Kind: SensorRPM, Status: 1, Value: 5280, HasValue: true},
			{Index: 2001, Name: "Te1/1/1 Receive Power Sensor", Kind: SensorReceiveDBm, Status: 1, Value: 10 * math.Log10(0.1995), HasValue: true},
			{Index: 2002, Name: "Te1/1/1 Receive Power Sensor #2002", Kind: SensorReceiveDBm, Status: 1, Value: dBmFloor, HasValue: true},
			{Index: 1001, Name: "Temp: Inlet R0", Kind: SensorCelsius, Status: 1, Value: 43, HasValue: true},
			{Index: 1003, Name: "entity 1003", Kind: SensorCelsius, Status: 3},
		},
	}
	if !slices.Equal(res.Health.CPUs, want.CPUs) || !slices.Equal(res.Health.Memory, want.Memory) || !slices.Equal(res.Health.Sensors, want.Sensors) {
		t.Errorf("health:\n got %+v\nwant %+v", *res.Health, want)
	}
	// The next polls walk the groups found, and name nothing again.
	for range 3 {
		res, a, n := poll("health device")
		if a == 0 || n != 0 || res.Health == nil || len(res.Health.Sensors) != len(want.Sensors) {
			t.Fatalf("a device with sensors: asked %d, named %d, Health %+v; want walked at every poll, names kept", a, n, res.Health)
		}
	}
}

// TestPollSnmpdHealth: net-snmp's snmpd, a real agent, implements
// HOST-RESOURCES-MIB: its "Physical memory" is this host's MemTotal, and
// each processor's load, where it has one yet, is a fraction.
func TestPollSnmpdHealth(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	p := newTestPoller(t, 1)
	tg := v2Target(a)
	tg.Tables = TableHealth
	st := NewDeviceState()
	var res *Poll
	for range 2 {
		res = p.Poll(context.Background(), tg, st)
		if res.Err != nil || len(res.Problems) > 0 {
			t.Fatalf("err %v problems %v", res.Err, res.Problems)
		}
	}
	if res.Health == nil {
		t.Fatal("no health from snmpd")
	}
	// snmpd answers hrProcessorLoad once it has a minute of samples:
	// after this test's two polls, at most.
	for _, c := range res.Health.CPUs {
		if !strings.HasPrefix(c.Name, "hrDevice ") || c.Usage < 0 || c.Usage > 1 {
			t.Errorf("processor %+v: want hrDevice <index>, usage 0..1", c)
		}
	}
	memTotal := procMemTotal(t)
	var phys *MemoryPool
	for i := range res.Health.Memory {
		if res.Health.Memory[i].Name == "Physical memory" {
			phys = &res.Health.Memory[i]
		}
	}
	if phys == nil || phys.Size != memTotal || phys.Used == 0 || phys.Used > phys.Size {
		t.Errorf("Physical memory %+v, want size %d (MemTotal) and 0 < used <= size; pools %+v", phys, memTotal, res.Health.Memory)
	}
}

// procMemTotal is /proc/meminfo's MemTotal in bytes.
func procMemTotal(t *testing.T) uint64 {
	fh, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo")
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

// TestHealthBounded: a device that floods its sensor table is cut at
// polling.max_rows (a contained problem of the health table, the rest of
// the poll intact), and asks entPhysicalName for no more than that.
func TestHealthBounded(t *testing.T) {
	v := slices.Clone([]gosnmp.SnmpPDU(healthyMIB()))
	for i := range 300 {
		idx := "." + strconv.Itoa(5000+i)
		v = append(v, integer(oidEntPhySensorType+idx, 8), integer(oidEntPhySensorScale+idx, 9),
			integer(oidEntPhySensorPrecision+idx, 0), integer(oidEntPhySensorValue+idx, 40), integer(oidEntPhySensorOperStatus+idx, 1))
	}
	f := startFakeAgent(t, newStaticMIB(v...))
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	tg.Tables |= TableHealth
	st := NewDeviceState()
	_ = p.Poll(context.Background(), tg, st)
	res := p.Poll(context.Background(), tg, st)
	if res.Err != nil || len(res.Interfaces) != 3 {
		t.Fatalf("err %v, %d interfaces: want the rest of the poll intact", res.Err, len(res.Interfaces))
	}
	cut := false
	for _, pr := range res.Problems {
		cut = cut || (pr.Table == "health" && pr.Reason == ReasonTooBig)
	}
	if !cut || res.Health == nil {
		t.Fatalf("problems %v, health %v: want the health table cut at %d rows", res.Problems, res.Health, tg.MaxRows)
	}
	if n := len(res.Health.Sensors); n > tg.MaxRows {
		t.Fatalf("%d sensors, want at most %d", n, tg.MaxRows)
	}
	if len(st.health.names) > tg.MaxRows {
		t.Errorf("%d entity names kept, want at most %d", len(st.health.names), tg.MaxRows)
	}
}
