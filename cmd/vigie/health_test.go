package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// ofHealth returns the series of family for device by the value of its
// label (processor, pool or entity).
func ofHealth(m map[string]map[string]float64, family, device, label string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m[family] {
		if labelValue(k, "device") == device {
			out[labelValue(k, label)] = v
		}
	}
	return out
}

// TestDeviceHealthThroughRun: `vigie run`, with the default polling
// tables, polls three recorded devices served by snmpsimd: a Linux host
// (HOST-RESOURCES-MIB: two processors, physical and virtual memory and
// swap, not the buffers, caches or disks), a Cisco switch (CISCO-PROCESS-MIB
// named by entPhysicalName, CISCO-MEMORY-POOL-MIB, ENTITY-SENSOR-MIB
// sensors in base units, an SFP's receive and transmit power in dBm, a dark
// one at the -40 dBm floor, a broken sensor with its status and no
// reading), and an old switch with none of these MIBs, which has no health
// series at all.
func TestDeviceHealthThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon and snmpsimd")
	}
	bin := buildVigie(t)
	ports := snmpsim(t, 3)
	vigie := runOnRecordings(t, bin, fmt.Sprintf(`polling:
  intervals: {collection: 5s, backbone: 5s, pfai: 5s, pfs: 5s}
snmp_profiles:
  - {name: default, version: 2c, community: {env: VIGIE_REC_OLD}, timeout: 3s, retries: 1, max_repetitions: 10}
  - {name: linux, version: 2c, community: {env: VIGIE_REC_LINUX}, timeout: 3s, retries: 1, max_repetitions: 10}
  - {name: cisco, version: 2c, community: {env: VIGIE_REC_CISCO}, timeout: 3s, retries: 1, max_repetitions: 10}
regions:
  - {id: idf, name: "Île-de-France"}
pops:
  - {id: pop-paris, name: "PoP Paris", region: idf}
devices:
  - {name: agg-paris-1, role: collection, pop: pop-paris, address: "127.0.0.1:%d"}
  - {name: srv-supervision-1, role: collection, pop: pop-paris, address: "127.0.0.1:%d", snmp_profile: linux}
  - {name: agg-lyon-1, role: collection, pop: pop-paris, address: "127.0.0.1:%d", snmp_profile: cisco}
`, ports[0], ports[1], ports[2]),
		"VIGIE_REC_OLD=old-switch", "VIGIE_REC_LINUX=linux-host", "VIGIE_REC_CISCO=cisco-core")
	base := vigie.base

	const (
		linux = "srv-supervision-1"
		cisco = "agg-lyon-1"
		old   = "agg-paris-1"
	)
	var m map[string]map[string]float64
	// The health tables are probed at each device's second poll; the old
	// switch has then been polled twice too.
	vigie.waitFor(60*time.Second, "the health series of the Linux host and the Cisco", func() bool {
		m = scrape(base + "/metrics")
		return len(ofHealth(m, "vigie_device_cpu_usage_ratio", linux, "processor")) > 0 &&
			len(ofHealth(m, "vigie_device_optic_receive_dbm", cisco, "entity")) > 0 &&
			ofDevice(m, "vigie_device_up", old)[""] == 1
	})
	for _, c := range []struct {
		family, device, label string
		want                  map[string]float64
	}{
		{"vigie_device_cpu_usage_ratio", linux, "processor", map[string]float64{"hrDevice 196608": 0.97, "hrDevice 196609": 0.12}},
		{"vigie_device_memory_used_bytes", linux, "pool", map[string]float64{
			"Physical memory": 7695120 * 1024, "Virtual memory": 7896720 * 1024, "Swap space": 201600 * 1024}},
		{"vigie_device_memory_size_bytes", linux, "pool", map[string]float64{
			"Physical memory": 8029372 * 1024, "Virtual memory": 9078968 * 1024, "Swap space": 1049596 * 1024}},
		{"vigie_device_cpu_usage_ratio", cisco, "processor", map[string]float64{"Route Processor R0": 0.18}},
		{"vigie_device_memory_used_bytes", cisco, "pool", map[string]float64{"Processor": 412876544, "I/O": 52428800}},
		{"vigie_device_memory_size_bytes", cisco, "pool", map[string]float64{"Processor": 412876544 + 1195393024, "I/O": 52428800 + 16777216}},
		{"vigie_device_sensor_celsius", cisco, "entity", map[string]float64{"Temp: Inlet R0": 43}},
		{"vigie_device_sensor_volts", cisco, "entity", map[string]float64{"V1: 12v R0": 12.05}},
		{"vigie_device_sensor_rpm", cisco, "entity", map[string]float64{"Fan 1/1": 5280}},
		{"vigie_device_sensor_amperes", cisco, "entity", map[string]float64{"Power Supply 0 current": 2.35}},
		{"vigie_device_sensor_watts", cisco, "entity", map[string]float64{"Power Supply 0 power": 127.5}},
		{"vigie_device_optic_receive_dbm", cisco, "entity", map[string]float64{
			"Te1/1/1 Receive Power Sensor": 10 * math.Log10(0.1995), "Te1/1/2 Receive Power Sensor": -40}},
		{"vigie_device_optic_transmit_dbm", cisco, "entity", map[string]float64{"Te1/1/1 Transmit Power Sensor": 10 * math.Log10(0.5012)}},
		{"vigie_device_sensor_status", cisco, "entity", map[string]float64{
			"Temp: Inlet R0": 1, "V1: 12v R0": 1, "Fan 1/1": 1, "Power Supply 0 current": 1, "Power Supply 0 power": 1,
			"Temp: Outlet R0": 3, "Te1/1/1 Receive Power Sensor": 1, "Te1/1/1 Transmit Power Sensor": 1, "Te1/1/2 Receive Power Sensor": 1}},
	} {
		got := ofHealth(m, c.family, c.device, c.label)
		if len(got) != len(c.want) {
			t.Errorf("%s of %s: %v, want %v", c.family, c.device, got, c.want)
			continue
		}
		for k, w := range c.want {
			if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
				t.Errorf("%s{%s=%q} of %s = %v (present %v), want %v", c.family, c.label, k, c.device, g, ok, w)
			}
		}
	}
	// What a device does not implement is absent, never 0.
	for family := range m {
		if !strings.HasPrefix(family, "vigie_device_cpu") && !strings.HasPrefix(family, "vigie_device_memory") &&
			!strings.HasPrefix(family, "vigie_device_sensor") && !strings.HasPrefix(family, "vigie_device_optic") {
			continue
		}
		if got := ofDevice(m, family, old); len(got) > 0 {
			t.Errorf("%s of the old switch, which has no health MIB: %v", family, got)
		}
		if got := ofHealth(m, family, linux, "entity"); family != "vigie_device_cpu_usage_ratio" && !strings.HasPrefix(family, "vigie_device_memory") && len(got) > 0 {
			t.Errorf("%s of the Linux host, which has no ENTITY-SENSOR-MIB: %v", family, got)
		}
	}
	if _, ok := ofHealth(m, "vigie_device_sensor_celsius", cisco, "entity")["Temp: Outlet R0"]; ok {
		t.Error("the nonoperational sensor Temp: Outlet R0 has a reading; want its status only")
	}
	vigie.end(t)
}
