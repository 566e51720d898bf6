package exposition

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

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
)

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

	newFamily("vigie_device_bgp_peer_state", Gauge, "bgpPeerState: idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6).", bgpLabelNames...),
	newFamily("vigie_device_bgp_peer_up", Gauge, "1 if the session is established.", bgpLabelNames...),
	newFamily("vigie_device_bgp_peer_established_transitions_total", Counter, "bgpPeerFsmEstablishedTransitions as the device reports it.", bgpLabelNames...),
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
	famBGPState
	famBGPUp
	famBGPTransitions
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

// label is one label set in text form, `{a="x",b="y"} `, shared by every
// family and every poll that uses it: made once per device, interface and
// BGP peer, and stored once. key is the value that, if the device changes
// it, makes a new label (an interface's name, the sysName); where escaping
// leaves it unchanged it is a substring of text, so it costs no bytes.
type label struct {
	text string
	key  string
}

// newLabel renders values with f's label names; values[keyAt] becomes key.
func newLabel(f *Family, keyAt int, values ...string) *label {
	text := string(f.appendLabels(nil, values...))
	key := values[keyAt]
	// The key's value is written as `name="value"`: reuse those bytes.
	if i := strings.Index(text, `="`+key+`"`); i >= 0 && key != "" {
		key = text[i+2 : i+2+len(key)]
	}
	return &label{text: text, key: key}
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

// device is what the exposition keeps of one device. Everything but mu and
// cur is owned by the goroutine of the device's running poll (Poll is
// called in order for one device, never concurrently).
type device struct {
	inv    *inventory.Device
	region string
	level  InterfaceLevel

	labels    *label // device, role, region
	info      *label // key: sysName
	errs      [len(reasons)]uint64
	errLabels [len(reasons)]*label // made at the reason's first error
	lastOK    float64
	ifLabels  map[int32]*label // key: ifName
	bgpLabels map[bgpKey]*label
	order     []int

	mu  sync.Mutex
	cur *snapshot
}

func newDevice(d *inventory.Device, region string, level InterfaceLevel) *device {
	dev := &device{inv: d, region: region, level: level,
		labels:    newLabel(deviceFamilies[famUp], 0, d.Name, string(d.Role), region),
		ifLabels:  map[int32]*label{},
		bgpLabels: map[bgpKey]*label{}}
	dev.info = dev.infoLabel("")
	return dev
}

func (d *device) infoLabel(sysName string) *label {
	return newLabel(deviceFamilies[famInfo], 6, d.inv.Name, string(d.inv.Role), d.region, d.inv.Site, d.inv.PoP, d.inv.Datacentre, sysName)
}

func (d *device) countError(r snmp.Reason) {
	i := reasonIndex(r)
	if d.errLabels[i] == nil {
		d.errLabels[i] = newLabel(deviceFamilies[famErrors], 0, d.inv.Name, string(d.inv.Role), d.region, string(reasons[i]))
	}
	d.errs[i]++
}

func (d *device) ifLabel(i *snmp.Interface) *label {
	l, ok := d.ifLabels[i.Index]
	if !ok || l.key != i.Name {
		l = newLabel(deviceFamilies[famIfOper], 3, d.inv.Name, string(d.inv.Role), d.region, i.Name)
		d.ifLabels[i.Index] = l
	}
	return l
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// scratch is a poll's series before they are published, per family.
type scratch [numDeviceFamilies][]sample

func (s *scratch) add(f int, v float64, l *label) { s[f] = append(s[f], sample{l, v}) }

// walk puts every series of the device's last poll in out. A failed poll
// keeps only device-level series: interface and BGP values would be stale.
// Interfaces come in name order; of two interfaces with the same name only
// the first (lowest position in the walk) is exposed, as two series with
// the same labels would be rejected.
func (d *device) walk(res *snmp.Poll, st *snmp.DeviceState, out *scratch) {
	ok := res.Err == nil
	out.add(famUp, b2f(ok), d.labels)
	out.add(famDuration, res.End.Sub(res.Start).Seconds(), d.labels)
	out.add(famReboots, float64(st.Reboots()), d.labels)
	out.add(famDiscontinuities, float64(st.CounterDiscontinuities()), d.labels)
	for i, n := range d.errs {
		if n > 0 {
			out.add(famErrors, float64(n), d.errLabels[i])
		}
	}
	if ok {
		d.lastOK = float64(res.End.UnixMilli()) / 1000
		if d.info.key != res.System.Name {
			d.info = d.infoLabel(res.System.Name)
		}
	}
	if d.lastOK > 0 {
		out.add(famLastSuccess, d.lastOK, d.labels)
	}
	out.add(famInfo, 1, d.info)
	if !ok {
		return
	}
	out.add(famUptime, res.System.Uptime.Seconds(), d.labels)
	out.add(famLLDP, float64(len(res.LLDP)), d.labels)
	if d.level != InterfacesNone {
		d.order = d.order[:0]
		for i := range res.Interfaces {
			d.order = append(d.order, i)
		}
		ifs := res.Interfaces
		slices.SortStableFunc(d.order, func(a, b int) int { return strings.Compare(ifs[a].Name, ifs[b].Name) })
		prev := -1
		for _, i := range d.order {
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
			if ifc.Has.Contains(snmp.ColHighSpeed) {
				out.add(famIfSpeed, float64(ifc.HighSpeed)*1e6/8, l)
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
		}
	}
	for i := range res.BGPPeers {
		p := &res.BGPPeers[i]
		k := bgpKey{peer: p.Remote, as: p.RemoteAS}
		l, found := d.bgpLabels[k]
		if !found {
			l = newLabel(deviceFamilies[famBGPState], 0, d.inv.Name, string(d.inv.Role), d.region,
				p.Remote.String(), strconv.FormatUint(uint64(p.RemoteAS), 10))
			d.bgpLabels[k] = l
		}
		out.add(famBGPState, float64(p.State), l)
		out.add(famBGPUp, b2f(p.Established()), l)
		out.add(famBGPTransitions, float64(p.FSMEstablishedTransitions), l)
	}
	// Forget labels of interfaces and peers gone for good, so that churn
	// does not grow the maps.
	if len(d.ifLabels) > 2*len(res.Interfaces)+16 {
		keep := make(map[int32]*label, len(res.Interfaces))
		for i := range res.Interfaces {
			if l, ok := d.ifLabels[res.Interfaces[i].Index]; ok {
				keep[res.Interfaces[i].Index] = l
			}
		}
		d.ifLabels = keep
	}
	if len(d.bgpLabels) > 2*len(res.BGPPeers)+16 {
		clear(d.bgpLabels)
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
	for _, s := range out {
		total += len(s)
	}
	d.mu.Lock()
	s := d.cur
	if s == nil || s.readers > 0 {
		// A scrape holds the current one: it keeps it, this poll gets its own.
		old := s
		s = &snapshot{}
		if old != nil && cap(old.samples) >= total {
			s.samples = make([]sample, 0, cap(old.samples))
		}
		d.cur = s
	}
	if cap(s.samples) < total {
		s.samples = make([]sample, 0, total+total/8) // room for interfaces coming up
	}
	all := s.samples[:0]
	for f := range out {
		all = append(all, out[f]...)
		s.end[f] = int32(len(all))
		out[f] = out[f][:0]
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
