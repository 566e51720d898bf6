package snmp

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Health is what a device says of its own health: CPU load, memory pools
// and sensors, in base units. What the device does not implement is not
// here (an empty slice), never a 0.
type Health struct {
	CPUs    []CPU
	Memory  []MemoryPool
	Sensors []Sensor
}

// CPU is one processor's load: hrProcessorLoad, or cpmCPUTotal1minRev
// (cpmCPUTotal5minRev where the device lacks it).
type CPU struct {
	// Name is the entPhysicalName of cpmCPUTotalPhysicalIndex, else
	// "cpmCPUTotal <cpmCPUTotalIndex>", or "hrDevice <hrDeviceIndex>".
	Name string
	// Usage is the busy fraction over the last minute, 0 to 1.
	Usage float64
}

// MemoryPool is one hrStorageTable row of type ram or virtualMemory, or
// one ciscoMemoryPoolTable row, in bytes.
type MemoryPool struct {
	Name       string // hrStorageDescr, ciscoMemoryPoolName
	Used, Size uint64
}

// SensorKind is what a Sensor measures, in the unit its name says.
type SensorKind uint8

// Sensor kinds vigie exposes; other EntitySensorDataType values (hertz,
// percentRH, cmm, truthvalue, other, unknown) are not read.
const (
	SensorNone SensorKind = iota
	SensorCelsius
	SensorVolts
	SensorAmperes
	SensorWatts
	SensorRPM
	// SensorReceiveDBm and SensorTransmitDBm are watts(6) sensors whose
	// entPhysicalName or Descr says they measure an optic's receive or
	// transmit power, converted to dBm.
	SensorReceiveDBm
	SensorTransmitDBm
)

// Sensor is one entPhySensorTable row with its entPhysicalName.
type Sensor struct {
	Index int32 // entPhysicalIndex
	// Name is entPhysicalName, else entPhysicalDescr, else "entity
	// <index>"; unique in the device (a repeated name gets " #<index>").
	Name string
	Kind SensorKind
	// Status is entPhySensorOperStatus: ok(1) unavailable(2)
	// nonoperational(3); 0 when the device did not give it.
	Status int
	// Value is the reading in the kind's unit; HasValue is false when the
	// status is not ok, the reading is an under- or overflow, or its
	// type, scale or precision is out of the MIB's range.
	Value    float64
	HasValue bool
}

// Sensor status values (EntitySensorStatus).
const (
	SensorOK             = 1
	SensorUnavailable    = 2
	SensorNonoperational = 3
)

// healthRetryPolls is how many polls a device goes without the health
// groups it did not show at the last probe, as cdpRetryPolls: an agent
// upgrade or a module inserted is seen within the hour at 1-minute polls.
const healthRetryPolls = 60

// healthNamesPolls is how often the entPhysicalName of known sensors and
// CPUs is read again (a module swapped usually brings new indexes, which
// are named at once).
const healthNamesPolls = 60

// dBmFloor is the lowest optical power written: 0.1 µW, the resolution of
// the SFF-8472 digital diagnostics transceivers report. A reading below
// it (0 W: no light) is written as the floor, not as -Inf.
const dBmFloor = -40.0

// sensorValue converts an entPhySensorValue to its kind's unit: the raw
// integer times 10^(3*(scale-9)) (the SI prefix), divided by 10^precision
// when precision is 1 to 9 (fixed point). A precision of -8 to -1 counts
// accurate digits and does not move the point. ok is false for the under-
// and overflow values (-1e9, +1e9), a scale or precision outside the
// MIB's range, and a watts reading below 0 for an optic.
func sensorValue(kind SensorKind, raw int64, scale, precision int) (float64, bool) {
	if scale < 1 || scale > 17 || precision < -8 || precision > 9 {
		return 0, false
	}
	if raw <= -1e9 || raw >= 1e9 {
		return 0, false
	}
	exp := 3 * (scale - 9)
	if precision > 0 {
		exp -= precision
	}
	v := float64(raw) * math.Pow10(exp)
	if kind == SensorReceiveDBm || kind == SensorTransmitDBm {
		if v < 0 {
			return 0, false
		}
		mw := v * 1000
		if mw <= 0 {
			return dBmFloor, true
		}
		v = max(dBmFloor, 10*math.Log10(mw))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// sensorKind maps an EntitySensorDataType and the entity's name to a kind:
// a watts(6) sensor is an optic's power when its name says so.
func sensorKind(typ int, name string) SensorKind {
	switch typ {
	case 3, 4: // voltsAC, voltsDC
		return SensorVolts
	case 5:
		return SensorAmperes
	case 6:
		return opticKind(name)
	case 8:
		return SensorCelsius
	case 10:
		return SensorRPM
	}
	return SensorNone
}

// opticKind says whether a watts sensor's name is an optic's receive or
// transmit power ("Te1/1/1 Receive Power Sensor", "Ethernet1 Rx Power",
// "xe-0/0/0 Optical Tx Power"), else SensorWatts (a power supply's draw).
func opticKind(name string) SensorKind {
	n := strings.ToLower(name)
	for _, w := range [...]string{"receive power", "rx power", "rx optical power", "input power", "optical rx"} {
		if strings.Contains(n, w) {
			return SensorReceiveDBm
		}
	}
	for _, w := range [...]string{"transmit power", "tx power", "tx optical power", "output power", "optical tx"} {
		if strings.Contains(n, w) {
			return SensorTransmitDBm
		}
	}
	return SensorWatts
}

// healthRow is one row of a health table while its columns arrive.
type healthRow struct {
	group uint8
	index uint32
	// Integer columns by position in the group (see add), and text.
	n    [5]int64
	has  uint8 // bit per position of n answered
	text string
	typ  uint8 // hrStorageType: 1 ram, 2 virtual memory, 0 other
}

// healthDecoder joins the health tables' columns by group and index.
type healthDecoder struct {
	// cols maps a walk column (its position in the poll's health columns)
	// to its hc* column.
	cols  []uint8
	rows  []healthRow
	byIdx map[uint64]int
	bad   int
}

func (d *healthDecoder) reset() {
	d.rows = d.rows[:0]
	if d.byIdx == nil {
		d.byIdx = make(map[uint64]int, 8)
	}
	clear(d.byIdx)
	d.bad = 0
}

// ramType and virtualType are hrStorageRam and hrStorageVirtualMemory.
var (
	ramType     = mustOID(oidHrStorageTypeRAM)
	virtualType = mustOID(oidHrStorageTypeVirtualMe)
)

func (d *healthDecoder) add(col int, index []uint32, v *varbind) {
	if col < 0 || col >= len(d.cols) || len(index) != 1 || index[0] > 1<<31-1 {
		d.bad++
		return
	}
	hc := d.cols[col]
	g := healthColumns[hc].group
	key := uint64(g)<<32 | uint64(index[0])
	i, seen := d.byIdx[key]
	if !seen {
		i = len(d.rows)
		d.rows = append(d.rows, healthRow{group: g, index: index[0]})
		d.byIdx[key] = i
	}
	r := &d.rows[i]
	ok := true
	setInt := func(pos int, x int64) {
		r.n[pos] = x
		r.has |= 1 << pos
	}
	switch hc {
	case hcProcessorLoad:
		var x int
		if x, ok = asInt(v); ok {
			setInt(0, int64(x))
		}
	case hcStorageType:
		var o []uint32
		if o, ok = asOID(v); ok {
			switch {
			case slices.Equal(o, ramType):
				r.typ = 1
			case slices.Equal(o, virtualType):
				r.typ = 2
			}
		}
	case hcStorageDescr, hcPoolName:
		r.text, ok = textOf(v, r.text)
	case hcStorageUnits, hcStorageSize, hcStorageUsed:
		var x int
		if x, ok = asInt(v); ok {
			setInt(int(hc-hcStorageUnits), int64(x))
		}
	case hcCPMPhysical, hcCPM1min, hcCPM5min:
		var x uint64
		if x, ok = asUint(v); ok {
			setInt(int(hc-hcCPMPhysical), int64(x))
		}
	case hcPoolUsed, hcPoolFree:
		var x uint64
		if x, ok = asCounter(v, gosnmp.Gauge32); ok {
			setInt(int(hc-hcPoolUsed), int64(x))
		}
	case hcSensorType, hcSensorScale, hcSensorPrecision, hcSensorValue, hcSensorStatus:
		var x int
		if x, ok = asInt(v); ok {
			setInt(int(hc-hcSensorType), int64(x))
		}
	}
	if !ok {
		d.bad++
	}
}

// asOID returns an OBJECT IDENTIFIER value's sub-identifiers (a new slice).
func asOID(v *varbind) ([]uint32, bool) {
	if v.typ != gosnmp.ObjectIdentifier {
		return nil, false
	}
	t, ok := asOIDText(v, "")
	if !ok {
		return nil, false
	}
	return appendDotted(nil, t)
}

// present returns the groups that had rows.
func (d *healthDecoder) present() uint8 {
	var p uint8
	for i := range d.rows {
		p |= 1 << d.rows[i].group
	}
	return p
}

// physicalIndexes appends the entPhysicalIndex values the rows need named:
// the sensors', and the CPUs' with a cpmCPUTotalPhysicalIndex.
func (d *healthDecoder) physicalIndexes(dst []uint32) []uint32 {
	for i := range d.rows {
		r := &d.rows[i]
		switch {
		case r.group == hgSensor:
			dst = append(dst, r.index)
		case r.group == hgCPM && r.has&1 != 0 && r.n[0] > 0 && r.n[0] <= 1<<31-1:
			dst = append(dst, uint32(r.n[0]))
		}
	}
	return dst
}

// finish returns the health of the rows, the entities named by name
// (entPhysicalIndex to name, "" when unknown); sorted by name.
func (d *healthDecoder) finish(name func(uint32) string) *Health {
	h := &Health{}
	for i := range d.rows {
		r := &d.rows[i]
		switch r.group {
		case hgProcessor:
			if r.has&1 != 0 && r.n[0] >= 0 && r.n[0] <= 100 {
				h.CPUs = append(h.CPUs, CPU{Name: "hrDevice " + strconv.FormatUint(uint64(r.index), 10), Usage: float64(r.n[0]) / 100})
			}
		case hgStorage:
			// Units, size and used are all needed, and make sense.
			if r.typ != 0 && r.has&7 == 7 && r.n[0] > 0 && r.n[1] >= 0 && r.n[2] >= 0 && r.n[2] <= r.n[1] {
				u := uint64(r.n[0])
				name := bounded(r.text)
				if name == "" {
					name = "hrStorage " + strconv.FormatUint(uint64(r.index), 10)
				}
				h.Memory = append(h.Memory, MemoryPool{Name: name, Used: uint64(r.n[2]) * u, Size: uint64(r.n[1]) * u})
			}
		case hgCPM:
			pct := int64(-1)
			switch {
			case r.has&2 != 0:
				pct = r.n[1]
			case r.has&4 != 0:
				pct = r.n[2]
			}
			if pct < 0 || pct > 100 {
				continue
			}
			n := ""
			if r.has&1 != 0 && r.n[0] > 0 && r.n[0] <= 1<<31-1 && name != nil {
				n = name(uint32(r.n[0]))
			}
			if n == "" {
				n = "cpmCPUTotal " + strconv.FormatUint(uint64(r.index), 10)
			}
			h.CPUs = append(h.CPUs, CPU{Name: n, Usage: float64(pct) / 100})
		case hgMemPool:
			if r.has&3 == 3 {
				name := bounded(r.text)
				if name == "" {
					name = "pool " + strconv.FormatUint(uint64(r.index), 10)
				}
				h.Memory = append(h.Memory, MemoryPool{Name: name, Used: uint64(r.n[0]), Size: uint64(r.n[0]) + uint64(r.n[1])})
			}
		case hgSensor:
			if r.has&1 == 0 {
				continue
			}
			n := ""
			if name != nil {
				n = name(r.index)
			}
			kind := sensorKind(int(r.n[0]), n)
			if kind == SensorNone {
				continue
			}
			if n == "" {
				n = "entity " + strconv.FormatUint(uint64(r.index), 10)
			}
			s := Sensor{Index: int32(r.index), Name: n, Kind: kind}
			if r.has&(1<<4) != 0 {
				s.Status = int(r.n[4])
			}
			// The value of a sensor not ok is not a reading.
			if r.has&0xe == 0xe && s.Status == SensorOK {
				s.Value, s.HasValue = sensorValue(kind, r.n[3], int(r.n[1]), int(r.n[2]))
			}
			h.Sensors = append(h.Sensors, s)
		}
	}
	slices.SortStableFunc(h.CPUs, func(a, b CPU) int { return strings.Compare(a.Name, b.Name) })
	slices.SortStableFunc(h.Memory, func(a, b MemoryPool) int { return strings.Compare(a.Name, b.Name) })
	slices.SortStableFunc(h.Sensors, func(a, b Sensor) int { return strings.Compare(a.Name, b.Name) })
	uniqueNames(len(h.CPUs), func(i int) *string { return &h.CPUs[i].Name }, nil)
	uniqueNames(len(h.Memory), func(i int) *string { return &h.Memory[i].Name }, nil)
	uniqueNames(len(h.Sensors), func(i int) *string { return &h.Sensors[i].Name }, func(i int) int32 { return h.Sensors[i].Index })
	return h
}

// uniqueNames suffixes the repeats of a name (the names sorted) with
// " #<index>": the sensor's entPhysicalIndex, or the position, so that no
// two series of a device have the same labels.
func uniqueNames(n int, name func(int) *string, index func(int) int32) {
	prev := ""
	for i := range n {
		p := name(i)
		orig := *p
		if i > 0 && orig == prev {
			k := int64(i)
			if index != nil {
				k = int64(index(i))
			}
			*p = orig + " #" + strconv.FormatInt(k, 10)
		}
		prev = orig
	}
}
