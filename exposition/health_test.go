package exposition

import (
	"bytes"
	"fmt"
	"maps"
	"runtime"
	"testing"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// ciscoHealth is a Cisco's health as the collector returns it: two
// processors, two pools, and sensors of every kind, one broken and one
// whose reading was refused.
func ciscoHealth(sensors int) *snmp.Health {
	h := &snmp.Health{
		CPUs:   []snmp.CPU{{Name: "Route Processor R0", Usage: 0.18}, {Name: "cpmCPUTotal 9", Usage: 0.4}},
		Memory: []snmp.MemoryPool{{Name: "I/O", Used: 52428800, Size: 69206016}, {Name: "Processor", Used: 412876544, Size: 1608269568}},
		Sensors: []snmp.Sensor{
			{Index: 1003, Name: "Fan 1/1", Kind: snmp.SensorRPM, Status: 1, Value: 5280, HasValue: true},
			{Index: 1005, Name: "Power Supply 0 power", Kind: snmp.SensorWatts, Status: 1, Value: 127.5, HasValue: true},
			{Index: 1004, Name: "Power Supply 0 current", Kind: snmp.SensorAmperes, Status: 1, Value: 2.35, HasValue: true},
			{Index: 1001, Name: "Temp: Inlet R0", Kind: snmp.SensorCelsius, Status: 1, Value: 43, HasValue: true},
			{Index: 1006, Name: "Temp: Outlet R0", Kind: snmp.SensorCelsius, Status: 3},
			{Index: 1007, Name: "Temp: Hotspot R0", Kind: snmp.SensorCelsius},
			{Index: 1002, Name: "V1: 12v R0", Kind: snmp.SensorVolts, Status: 1, Value: 12.05, HasValue: true},
		},
	}
	for i := range sensors {
		kind := snmp.SensorReceiveDBm
		if i%2 == 1 {
			kind = snmp.SensorTransmitDBm
		}
		h.Sensors = append(h.Sensors, snmp.Sensor{Index: int32(2001 + i), Name: fmt.Sprintf("Te1/1/%d %d Power Sensor", i/2+1, i%2),
			Kind: kind, Status: 1, Value: -7 - float64(i)/10, HasValue: true})
	}
	return h
}

// TestHealthSeries: a device's health becomes one family per unit, each
// series labelled by processor, pool or entity; a sensor without a reading
// has its status only, one without a status nothing but its reading; a
// poll that did not read the tables (nil), or a device that has none of
// them (empty), has no health series.
func TestHealthSeries(t *testing.T) {
	e := filled(t, 3)
	devs := e.sorted
	p := benchPoll(devs[0].inv.Name)
	p.Health = ciscoHealth(2)
	e.Poll(p, snmp.NewDeviceState())
	empty := benchPoll(devs[1].inv.Name)
	empty.Health = &snmp.Health{}
	e.Poll(empty, snmp.NewDeviceState())
	var buf bytes.Buffer
	if err := e.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	got := parse(t, buf.Bytes())
	lbl := func(label, value string) string {
		return fmt.Sprintf(`device=%q,%s=%q,region="bretagne",role="collection"`, devs[0].inv.Name, label, value)
	}
	for family, want := range map[string]map[string]float64{
		"vigie_device_cpu_usage_ratio":    {lbl("processor", "Route Processor R0"): 0.18, lbl("processor", "cpmCPUTotal 9"): 0.4},
		"vigie_device_memory_used_bytes":  {lbl("pool", "I/O"): 52428800, lbl("pool", "Processor"): 412876544},
		"vigie_device_memory_size_bytes":  {lbl("pool", "I/O"): 69206016, lbl("pool", "Processor"): 1608269568},
		"vigie_device_sensor_celsius":     {lbl("entity", "Temp: Inlet R0"): 43},
		"vigie_device_sensor_volts":       {lbl("entity", "V1: 12v R0"): 12.05},
		"vigie_device_sensor_amperes":     {lbl("entity", "Power Supply 0 current"): 2.35},
		"vigie_device_sensor_watts":       {lbl("entity", "Power Supply 0 power"): 127.5},
		"vigie_device_sensor_rpm":         {lbl("entity", "Fan 1/1"): 5280},
		"vigie_device_optic_receive_dbm":  {lbl("entity", "Te1/1/1 0 Power Sensor"): -7},
		"vigie_device_optic_transmit_dbm": {lbl("entity", "Te1/1/1 1 Power Sensor"): -7.1},
		"vigie_device_sensor_status": {
			lbl("entity", "Fan 1/1"): 1, lbl("entity", "Power Supply 0 power"): 1, lbl("entity", "Power Supply 0 current"): 1,
			lbl("entity", "Temp: Inlet R0"): 1, lbl("entity", "Temp: Outlet R0"): 3, lbl("entity", "V1: 12v R0"): 1,
			lbl("entity", "Te1/1/1 0 Power Sensor"): 1, lbl("entity", "Te1/1/1 1 Power Sensor"): 1},
	} {
		if g := got[family]; g.typ != "GAUGE" || !maps.Equal(g.series, want) {
			t.Errorf("%s (%s):\n got %v\nwant %v", family, g.typ, g.series, want)
		}
	}
	if devs[1].health != nil || devs[2].health != nil {
		t.Error("a device without health tables holds health labels")
	}
	// The next poll without the tables read: no health series, none stale.
	e.Poll(benchPoll(devs[0].inv.Name), snmp.NewDeviceState())
	buf.Reset()
	if err := e.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for family := range parse(t, buf.Bytes()) {
		for f := famCPU; f < numDeviceFamilies; f++ {
			if deviceFamilies[f].Name == family {
				t.Errorf("%s written after a poll that did not read the health tables", family)
			}
		}
	}
}

// BenchmarkRetainedHealth is BenchmarkRetained for devices that also
// report their health: 2 processors, 2 pools and 7 sensors plus 16 optics
// (a switch with 8 SFPs), 51 more series a device.
func BenchmarkRetainedHealth(b *testing.B) {
	const n = 2000
	for range b.N {
		inv := fleetInventory(n)
		before := liveHeap()
		e, err := New(inv, nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range e.sorted {
			p := benchPoll(d.inv.Name)
			p.Health = ciscoHealth(16)
			e.Poll(p, snmp.NewDeviceState())
		}
		after := liveHeap()
		runtime.KeepAlive(e)
		b.ReportMetric(float64(after-before)/n, "B/device")
	}
}
