package exposition

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// Label names of the per-device families.
var (
	devLabelNames  = []string{"device", "role", "region"}
	errLabelNames  = []string{"device", "role", "region", "reason"}
	ifLabelNames   = []string{"device", "role", "region", "interface"}
	bgpLabelNames  = []string{"device", "role", "region", "peer", "peer_as"}
	infoLabelNames = []string{"device", "role", "region", "site", "pop", "datacentre", "sys_name"}
	// vigie_interface_info has no role or region: it is joined on device
	// and interface, and its values may change (an ifAlias edited) without
	// the interface series changing.
	ifInfoLabelNames = []string{"device", "interface", "alias", "description"}
)

// maxInfoValue bounds an ifAlias or ifDescr label value in bytes: the
// MIB says 64 and 255, a device may send kilobytes.
const maxInfoValue = 256

// The per-device families, in the order /metrics writes them.
var deviceFamilies = [...]*Family{
	newFamily("vigie_device_up", Gauge, "1 if the last poll got the device's system group, else 0.", devLabelNames...),
	newFamily("vigie_device_poll_duration_seconds", Gauge, "Wall time of the device's last poll.", devLabelNames...),
	newFamily("vigie_device_last_poll_success_timestamp_seconds", Gauge, "Unix time of the end of the last successful poll.", devLabelNames...),
	newFamily("vigie_device_uptime_seconds", Gauge, "sysUpTime at the last successful poll.", devLabelNames...),
	newFamily("vigie_device_reboots_total", Counter, "Reboots seen (sysUpTime going back) since vigie started.", devLabelNames...),
	newFamily("vigie_device_counters_discontinuities_total", Counter, "Interfaces whose counters were found discontinuous (a decrease no wrap explains, or a new ifCounterDiscontinuityTime), outside reboots; nothing was added to their totals for that poll.", devLabelNames...),
	newFamily("vigie_device_poll_errors_total", Counter, "Poll failures and contained table problems of the device, by reason.", errLabelNames...),
	newFamily("vigie_device_lldp_neighbors", Gauge, "LLDP neighbours in the last poll.", devLabelNames...),
	newFamily("vigie_device_info", Gauge, "Inventory placement of the device and its sysName; always 1.", infoLabelNames...),

	newFamily("vigie_interface_oper_up", Gauge, "1 if ifOperStatus is up(1).", ifLabelNames...),
	newFamily("vigie_interface_admin_up", Gauge, "1 if ifAdminStatus is up(1).", ifLabelNames...),
	newFamily("vigie_interface_speed_bytes", Gauge, "ifHighSpeed in bytes per second.", ifLabelNames...),
	newFamily("vigie_interface_receive_bytes_total", Counter, "Bytes received (ifHCInOctets, made monotonic by vigie: a clear adds nothing).", ifLabelNames...),
	newFamily("vigie_interface_transmit_bytes_total", Counter, "Bytes sent (ifHCOutOctets, made monotonic by vigie: a clear adds nothing).", ifLabelNames...),
	newFamily("vigie_interface_receive_errors_total", Counter, "ifInErrors, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames...),
	newFamily("vigie_interface_transmit_errors_total", Counter, "ifOutErrors, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames...),
	newFamily("vigie_interface_receive_discards_total", Counter, "ifInDiscards, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames...),
	newFamily("vigie_interface_transmit_discards_total", Counter, "ifOutDiscards, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames...),
	newFamily("vigie_interface_info", Gauge, "ifAlias (on an access interface, usually the carrier's circuit id) and ifDescr of the interface, each cut to 256 bytes, empty when the device does not answer them; always 1.", ifInfoLabelNames...),

	newFamily("vigie_device_bgp_peer_state", Gauge, "bgpPeerState: idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6).", bgpLabelNames...),
	newFamily("vigie_device_bgp_peer_up", Gauge, "1 if the session is established.", bgpLabelNames...),
	newFamily("vigie_device_bgp_peer_established_transitions_total", Counter, "bgpPeerFsmEstablishedTransitions as the device reports it.", bgpLabelNames...),
	newFamily("vigie_device_bgp_peer_accepted_prefixes", Gauge, "Prefixes accepted from the peer in one address family (CISCO-BGP4-MIB cbgpPeer2AcceptedPrefixes, BGP4-V2-MIB-JUNIPER jnxBgpM2PrefixInPrefixesAccepted; BGP4-MIB has none).", bgpPrefixLabelNames...),

	// Device health (health.go): absent where the device lacks the MIB.
	newFamily("vigie_device_cpu_usage_ratio", Gauge, "Busy fraction of the processor over the last minute (hrProcessorLoad, or CISCO-PROCESS-MIB cpmCPUTotal1minRev), 0 to 1.", cpuLabelNames...),
	newFamily("vigie_device_memory_used_bytes", Gauge, "Memory in use in the pool (hrStorageUsed times its allocation units for ram and virtual memory, or ciscoMemoryPoolUsed).", poolLabelNames...),
	newFamily("vigie_device_memory_size_bytes", Gauge, "Size of the memory pool (hrStorageSize times its allocation units, or ciscoMemoryPoolUsed + ciscoMemoryPoolFree).", poolLabelNames...),
	newFamily("vigie_device_sensor_status", Gauge, "entPhySensorOperStatus: ok(1) unavailable(2) nonoperational(3).", sensorLabelNames...),
	newFamily("vigie_device_sensor_celsius", Gauge, "Temperature sensor reading (ENTITY-SENSOR-MIB celsius, scale and precision applied).", sensorLabelNames...),
	newFamily("vigie_device_sensor_volts", Gauge, "Voltage sensor reading (ENTITY-SENSOR-MIB voltsAC or voltsDC, scale and precision applied).", sensorLabelNames...),
	newFamily("vigie_device_sensor_amperes", Gauge, "Current sensor reading (ENTITY-SENSOR-MIB amperes, scale and precision applied).", sensorLabelNames...),
	newFamily("vigie_device_sensor_watts", Gauge, "Power sensor reading other than an optic's (ENTITY-SENSOR-MIB watts, scale and precision applied).", sensorLabelNames...),
	newFamily("vigie_device_sensor_rpm", Gauge, "Fan speed in revolutions per minute (ENTITY-SENSOR-MIB rpm).", sensorLabelNames...),
	newFamily("vigie_device_optic_receive_dbm", Gauge, "Optical receive power in dBm (an ENTITY-SENSOR-MIB watts sensor named as a receive power), -40 for no light.", sensorLabelNames...),
	newFamily("vigie_device_optic_transmit_dbm", Gauge, "Optical transmit power in dBm (an ENTITY-SENSOR-MIB watts sensor named as a transmit power), -40 for no light.", sensorLabelNames...),
}

// Indexes in deviceFamilies.
const (
	famUp = iota
	famDuration
	famLastSuccess
	famUptime
	famReboots
	famDiscontinuities
	famErrors
	famLLDP
	famInfo
	famIfOper
	famIfAdmin
	famIfSpeed
	famIfRx
	famIfTx
	famIfRxErr
	famIfTxErr
	famIfRxDrop
	famIfTxDrop
	famIfInfo
	famBGPState
	famBGPUp
	famBGPTransitions
	famBGPAccepted
	famCPU
	famMemUsed
	famMemSize
	famSensorStatus
	famSensorCelsius
	famSensorVolts
	famSensorAmperes
	famSensorWatts
	famSensorRPM
	famOpticReceive
	famOpticTransmit
	numDeviceFamilies
)

// reasons are the label values of vigie_device_poll_errors_total, in the
// order a device's series are written; any other reason counts as other.
var reasons = [...]snmp.Reason{snmp.ReasonTimeout, snmp.ReasonAuth, snmp.ReasonMalformed, snmp.ReasonLoop,
	snmp.ReasonTooBig, snmp.ReasonRefused, snmp.ReasonOverrun, snmp.ReasonOther}

func reasonIndex(r snmp.Reason) int {
	for i, x := range reasons {
		if x == r {
			return i
		}
	}
	return len(reasons) - 1 // other
}

// label is one label set of a device's series in text form, made once per
// interface, BGP peer and error reason and shared by every family and every
// poll that uses it. Only what is not the device's own is stored: the
// labels sort as device < interface, peer, peer_as, reason < region < role,
// so a series' labels are the device's prefix `{device="…",`, mid, and the
// device's suffix `region="…",role="…"} ` (vigie_device_info, whose labels
// interleave, keeps its whole text in mid). key is the value that, if the
// device changes it, makes a new label (an interface's name, the sysName);
// where escaping leaves it unchanged it is a substring of mid, so it costs
// no bytes.
//
// An interface's label also carries its ifAlias and ifDescr (info), from
// which vigie_interface_info is written at scrape time: rendering that
// family's text once per interface and keeping it cost about 40 MiB on the
// full RIE. A label is never changed once made (a scrape may be reading
// it): new values make a new label.
type label struct {
	mid  string
	key  string
	info *ifInfo
}

// ifInfo is what vigie_interface_info says of an interface beyond its
// name, each cut to maxInfoValue bytes. The strings are the collector's,
// which it reuses from poll to poll: they cost nothing here.
type ifInfo struct {
	alias, descr string
}

// deviceLabel is the label of the device-level series: the device's prefix
// and suffix with nothing between, shared by every device.
var deviceLabel = &label{}

// newLabel renders values with f's label names and makes values[keyAt]
// its key. For a family whose labels sort around the device's (aroundDevice)
// it keeps only what lies between the device's prefix and suffix; for any
// other it keeps the whole text, which WriteText then writes with no
// prefix or suffix.
func (d *device) newLabel(f *Family, keyAt int, values ...string) *label {
	text := string(f.appendLabels(nil, values...))
	if aroundDevice(f) && strings.HasPrefix(text, d.prefix) && strings.HasSuffix(text[len(d.prefix):], d.suffix) {
		text = strings.Clone(text[len(d.prefix) : len(text)-len(d.suffix)])
	}
	return wholeLabel(text, values[keyAt])
}

// aroundDevice says whether f's labels, in name order, are device, then its
// own, then region and role: what lets its labels store only their own.
func aroundDevice(f *Family) bool {
	n := len(f.order)
	return n >= 3 && f.Labels[f.order[0]] == "device" && f.Labels[f.order[n-2]] == "region" && f.Labels[f.order[n-1]] == "role"
}

// wholeLabel makes a label whose key, if found in mid as a label value,
// shares mid's bytes; else it is copied, as it may point into a larger
// buffer of the poll's.
func wholeLabel(mid, key string) *label {
	if i := strings.Index(mid, `="`+key+`"`); i >= 0 && key != "" {
		key = mid[i+2 : i+2+len(key)]
	} else {
		key = strings.Clone(key)
	}
	return &label{mid: mid, key: key}
}

// sample is one series of a device's snapshot: 16 bytes, the name and the
// value's text being made at scrape time.
type sample struct {
	l *label
	v float64
}

// snapshot is one device's series from one poll, grouped by family:
// family f's are samples[end[f-1]:end[f]]. readers counts the scrapes
// writing it out; a poll rewrites it in place only when that is 0. Both
// are guarded by the device's mu.
type snapshot struct {
	samples []sample
	end     [numDeviceFamilies]int32
	readers int
}

func (s *snapshot) family(f int) []sample {
	start := int32(0)
	if f > 0 {
		start = s.end[f-1]
	}
	return s.samples[start:s.end[f]]
}

type bgpKey struct {
	peer netip.Addr
	as   uint32
}

// bgpPrefixKey is the label of a peer's accepted prefixes in one family.
type bgpPrefixKey struct {
	bgpKey
	family string
}

// device is what the exposition keeps of one device. Everything but mu and
// cur is owned by the goroutine of the device's running poll (Poll is
// called in order for one device, never concurrently).
type device struct {
	inv    *inventory.Device
	region string
	level  InterfaceLevel
	// prefix and suffix are the labels every series of the device starts
	// and ends with (see label).
	prefix, suffix string

	info      *label // key: sysName
	errs      *errorCounts
	lastOK    float64
	ifLabels  map[int32]*label // key: ifName; made at the first interface
	bgpLabels map[bgpKey]*label
	// bgpPrefixLabels: made at the first peer with prefix counts (those of
	// Cisco and Juniper PE routers).
	bgpPrefixLabels map[bgpPrefixKey]*label
	health          *healthLabels // nil until the device shows health tables

	mu  sync.Mutex
	cur *snapshot
}

// errorCounts are a device's poll errors by reason, made at its first error
// (most devices never fail).
type errorCounts struct {
	n      [len(reasons)]uint64
	labels [len(reasons)]*label
}

func newDevice(d *inventory.Device, region string, level InterfaceLevel) *device {
	dev := &device{inv: d, region: region, level: level}
	text := string(deviceFamilies[famUp].appendLabels(nil, d.Name, string(d.Role), region))
	// `{device="…",region="…",role="…"} `: the prefix ends at the comma
	// after the device's name, escaped or not.
	rest := string(deviceFamilies[famUp].appendLabels(nil, "", string(d.Role), region))[len(`{device="",`):]
	dev.prefix, dev.suffix = text[:len(text)-len(rest)], rest
	dev.info = dev.infoLabel("")
	return dev
}

func (d *device) infoLabel(sysName string) *label {
	text := deviceFamilies[famInfo].appendLabels(nil, d.inv.Name, string(d.inv.Role), d.region, d.inv.Site, d.inv.PoP, d.inv.Datacentre, sysName)
	return wholeLabel(string(text), sysName)
}

func (d *device) countError(r snmp.Reason) {
	if d.errs == nil {
		d.errs = &errorCounts{}
	}
	i := reasonIndex(r)
	if d.errs.labels[i] == nil {
		d.errs.labels[i] = d.newLabel(deviceFamilies[famErrors], 3, d.inv.Name, string(d.inv.Role), d.region, string(reasons[i]))
	}
	d.errs.n[i]++
}

// ifLabel returns the label of interface i, made anew when ifName,
// ifAlias or ifDescr changed.
func (d *device) ifLabel(i *snmp.Interface) *label {
	alias, descr := bounded(i.Alias), bounded(i.Descr)
	x, ok := d.ifLabels[i.Index]
	if ok && x.key == i.Name && x.info.alias == alias && x.info.descr == descr {
		return x
	}
	var l *label
	if ok && x.key == i.Name {
		c := *x // the same text with the new info, in a new label
		l = &c
	} else {
		l = d.newLabel(deviceFamilies[famIfOper], 3, d.inv.Name, string(d.inv.Role), d.region, i.Name)
	}
	l.info = &ifInfo{alias: alias, descr: descr}
	if d.ifLabels == nil {
		d.ifLabels = map[int32]*label{}
	}
	d.ifLabels[i.Index] = l
	return l
}

// bounded cuts s to maxInfoValue bytes at a rune boundary.
func bounded(s string) string {
	if len(s) <= maxInfoValue {
		return s
	}
	n := maxInfoValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// scratch is a poll's series before they are published, per family, and
// the interfaces in name order.
type scratch struct {
	fams  [numDeviceFamilies][]sample
	order []int
}

func (s *scratch) add(f int, v float64, l *label) { s.fams[f] = append(s.fams[f], sample{l, v}) }

// walk puts every series of the device's last poll in out. A failed poll
// keeps only device-level series: interface and BGP values would be stale.
// Interfaces come in name order; of two interfaces with the same name only
// the first (lowest position in the walk) is exposed, as two series with
// the same labels would be rejected.
func (d *device) walk(res *snmp.Poll, st *snmp.DeviceState, out *scratch) {
	ok := res.Err == nil
	out.add(famUp, b2f(ok), deviceLabel)
	out.add(famDuration, res.End.Sub(res.Start).Seconds(), deviceLabel)
	out.add(famReboots, float64(st.Reboots()), deviceLabel)
	out.add(famDiscontinuities, float64(st.CounterDiscontinuities()), deviceLabel)
	if d.errs != nil {
		for i, n := range d.errs.n {
			if n > 0 {
				out.add(famErrors, float64(n), d.errs.labels[i])
			}
		}
	}
	if ok {
		d.lastOK = float64(res.End.UnixMilli()) / 1000
		if d.info.key != res.System.Name {
			d.info = d.infoLabel(res.System.Name)
		}
	}
	if d.lastOK > 0 {
		out.add(famLastSuccess, d.lastOK, deviceLabel)
	}
	out.add(famInfo, 1, d.info)
	if !ok {
		return
	}
	out.add(famUptime, res.System.Uptime.Seconds(), deviceLabel)
	out.add(famLLDP, float64(len(res.LLDP)), deviceLabel)
	if d.level != InterfacesNone {
		out.order = out.order[:0]
		for i := range res.Interfaces {
			out.order = append(out.order, i)
		}
		ifs := res.Interfaces
		slices.SortStableFunc(out.order, func(a, b int) int { return strings.Compare(ifs[a].Name, ifs[b].Name) })
		prev := -1
		for _, i := range out.order {
			ifc := &ifs[i]
			if d.level == InterfacesUp && !ifc.AdminUp {
				continue
			}
			if prev >= 0 && ifs[prev].Name == ifc.Name {
				continue
			}
			prev = i
			// A column the device did not answer has no series: a 0
			// would claim a measurement (no errors, speed 0).
			l := d.ifLabel(ifc)
			if ifc.Has.Contains(snmp.ColOperStatus) {
				out.add(famIfOper, b2f(ifc.OperUp()), l)
			}
			if ifc.Has.Contains(snmp.ColAdminStatus) {
				out.add(famIfAdmin, b2f(ifc.AdminUp), l)
			}
			if bits, ok := ifc.SpeedBits(); ok {
				out.add(famIfSpeed, float64(bits)/8, l)
			}
			if t, ok := st.Totals(ifc.Index); ok {
				for _, c := range [...]struct {
					col snmp.Columns
					fam int
					v   uint64
				}{
					{snmp.ColInOctets, famIfRx, t.InOctets}, {snmp.ColOutOctets, famIfTx, t.OutOctets},
					{snmp.ColInErrors, famIfRxErr, t.InErrors}, {snmp.ColOutErrors, famIfTxErr, t.OutErrors},
					{snmp.ColInDiscards, famIfRxDrop, t.InDiscards}, {snmp.ColOutDiscards, famIfTxDrop, t.OutDiscards},
				} {
					if t.Has.Contains(c.col) {
						out.add(c.fam, float64(c.v), l)
					}
				}
			}
			out.add(famIfInfo, 1, l)
		}
	}
	for i := range res.BGPPeers {
		p := &res.BGPPeers[i]
		k := bgpKey{peer: p.Remote, as: p.RemoteAS}
		l, found := d.bgpLabels[k]
		if !found {
			l = d.newLabel(deviceFamilies[famBGPState], 3, d.inv.Name, string(d.inv.Role), d.region,
				p.Remote.String(), strconv.FormatUint(uint64(p.RemoteAS), 10))
			l.key = ""
			if d.bgpLabels == nil {
				d.bgpLabels = map[bgpKey]*label{}
			}
			d.bgpLabels[k] = l
		}
		// A column the device did not answer has no series.
		if p.Has(snmp.BGPColState) {
			out.add(famBGPState, float64(p.State), l)
			out.add(famBGPUp, b2f(p.Established()), l)
		}
		if p.Has(snmp.BGPColTransitions) {
			out.add(famBGPTransitions, float64(p.FSMEstablishedTransitions), l)
		}
	}
	d.walkPrefixes(res, out)
	d.walkHealth(res.Health, out)
	// Forget labels of interfaces and peers gone for good, so that churn
	// does not grow the maps.
	if len(d.ifLabels) > 2*len(res.Interfaces)+16 {
		var keep map[int32]*label
		if len(res.Interfaces) > 0 {
			keep = make(map[int32]*label, len(res.Interfaces))
		}
		for i := range res.Interfaces {
			if x, ok := d.ifLabels[res.Interfaces[i].Index]; ok {
				keep[res.Interfaces[i].Index] = x
			}
		}
		d.ifLabels = keep
	}
	if len(d.bgpLabels) > 2*len(res.BGPPeers)+16 {
		clear(d.bgpLabels)
	}
	if len(d.bgpPrefixLabels) > 2*len(res.BGPPrefixes)+16 {
		clear(d.bgpPrefixLabels)
	}
}

// publish makes out the device's snapshot: a scrape sees the previous one
// or this one, never a mix. The snapshot is rewritten in place unless a
// scrape is writing it out, so a poll allocates nothing once the device's
// series count is known (a fresh buffer per poll cost 15% of the
// collector's CPU in page faults and GC at the full fleet); the copy under
// the lock is a few hundred bytes to a few KB.
func (d *device) publish(out *scratch) {
	total := 0
	for _, s := range out.fams {
		total += len(s)
	}
	d.mu.Lock()
	s := d.cur
	if s == nil || s.readers > 0 {
		// A scrape holds the current one: it keeps it, this poll gets its own.
		s = &snapshot{}
		d.cur = s
	}
	if cap(s.samples) < total {
		// Exactly: a device's series count changes seldom (an interface
		// or an error reason appears).
		s.samples = make([]sample, 0, total)
	}
	all := s.samples[:0]
	for f := range out.fams {
		all = append(all, out.fams[f]...)
		s.end[f] = int32(len(all))
		out.fams[f] = out.fams[f][:0]
	}
	s.samples = all
	d.mu.Unlock()
}

// hold returns the device's snapshot, marked as being read so that no poll
// rewrites it until release; nil if the device was never polled.
func (d *device) hold() *snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur != nil {
		d.cur.readers++
	}
	return d.cur
}

// release ends a hold of s.
func (d *device) release(s *snapshot) {
	d.mu.Lock()
	s.readers--
	d.mu.Unlock()
}
