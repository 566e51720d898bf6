package exposition

import (
	"github.com/vigie-rie/vigie/collector/snmp"
)

// Device health (collector/snmp health.go): CPU, memory, sensors. One
// family per unit, as Prometheus' naming practice asks (a metric's name
// says its unit, and summing or averaging it over its labels makes
// sense), rather than one vigie_device_sensor_value with a unit label:
// a rule on temperatures then cannot match a fan's RPM by mistake. The
// labels are named processor and entity (the sensor's entPhysicalName),
// not cpu and sensor, so that they sort between device and region: a
// series then stores only its own label text (see label).
var (
	cpuLabelNames    = []string{"device", "role", "region", "processor"}
	poolLabelNames   = []string{"device", "role", "region", "pool"}
	sensorLabelNames = []string{"device", "role", "region", "entity"}
)

// healthLabels are a device's labels of CPUs, memory pools and sensors by
// name, made at its first health poll.
type healthLabels struct {
	cpu, pool, sensor map[string]*label
}

// sensorFamily is the family of each snmp.SensorKind's value.
var sensorFamily = [...]int{
	snmp.SensorCelsius:     famSensorCelsius,
	snmp.SensorVolts:       famSensorVolts,
	snmp.SensorAmperes:     famSensorAmperes,
	snmp.SensorWatts:       famSensorWatts,
	snmp.SensorRPM:         famSensorRPM,
	snmp.SensorReceiveDBm:  famOpticReceive,
	snmp.SensorTransmitDBm: famOpticTransmit,
}

// healthLabel returns the label of name in m (of family f), made once.
func (d *device) healthLabel(m *map[string]*label, f int, name string) *label {
	if l, ok := (*m)[name]; ok {
		return l
	}
	if *m == nil {
		*m = map[string]*label{}
	}
	l := d.newLabel(deviceFamilies[f], 3, d.inv.Name, string(d.inv.Role), d.region, name)
	(*m)[name] = l
	return l
}

// walkHealth adds the series of h, the device's health from its last poll
// (nil: not read this poll, no series).
func (d *device) walkHealth(h *snmp.Health, out *scratch) {
	if h == nil {
		return
	}
	if d.health == nil {
		if len(h.CPUs)+len(h.Memory)+len(h.Sensors) == 0 {
			return
		}
		d.health = &healthLabels{}
	}
	hl := d.health
	for i := range h.CPUs {
		c := &h.CPUs[i]
		out.add(famCPU, c.Usage, d.healthLabel(&hl.cpu, famCPU, c.Name))
	}
	for i := range h.Memory {
		m := &h.Memory[i]
		l := d.healthLabel(&hl.pool, famMemUsed, m.Name)
		out.add(famMemUsed, float64(m.Used), l)
		out.add(famMemSize, float64(m.Size), l)
	}
	for i := range h.Sensors {
		s := &h.Sensors[i]
		if int(s.Kind) >= len(sensorFamily) || sensorFamily[s.Kind] == 0 {
			continue
		}
		l := d.healthLabel(&hl.sensor, famSensorStatus, s.Name)
		if s.Status != 0 {
			out.add(famSensorStatus, float64(s.Status), l)
		}
		if s.HasValue {
			out.add(sensorFamily[s.Kind], s.Value, l)
		}
	}
	// Forget the labels of what is gone for good, as for interfaces.
	for _, x := range []struct {
		m *map[string]*label
		n int
	}{{&hl.cpu, len(h.CPUs)}, {&hl.pool, len(h.Memory)}, {&hl.sensor, len(h.Sensors)}} {
		if len(*x.m) > 2*x.n+16 {
			clear(*x.m)
		}
	}
}
