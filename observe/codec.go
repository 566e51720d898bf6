// Package observe carries what regional collectors see to the central vigie
// over NATS JetStream (docs/distributed.md): the encoding of observations
// (compact, versioned, each with an id for de-duplication), the publisher a
// collector runs and the consumer a central runs. The central feeds what it
// receives to the same path as its own collector's polls, so that its
// topology, /metrics and /api/v1 are those of one box polling everything.
package observe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// Version is the encoding's version, the first byte of every message. A
// central refuses (and counts) a version it does not know, so that a
// collector upgraded first is seen rather than misread.
const Version = 1

// Kind is the second byte of a message.
type Kind byte

// The kinds of observations.
const (
	KindPoll      Kind = 1
	KindHeartbeat Kind = 2
)

// PollObservation is one device poll as a collector saw it, with what of
// the device's state the central's exposition reads.
type PollObservation struct {
	Poll            snmp.Poll
	Reboots         uint64
	Discontinuities uint64
	Totals          []snmp.IndexedTotals
}

// Heartbeat says a collector is alive and how many devices it polls.
type Heartbeat struct {
	Time time.Time
	// Interval is the collector's heartbeat period: the central counts a
	// collector lost after missing two (docs/distributed.md).
	Interval time.Duration
	Devices  int
	// Seq numbers the collector's heartbeats since it started.
	Seq uint64
}

// MsgID is the id of a poll observation, unique per collector, device and
// poll: the Nats-Msg-Id JetStream de-duplicates a republished message by,
// and what a central drops a replayed one by.
func MsgID(collector, device string, start time.Time) string {
	return collector + "." + device + "." + strconv.FormatInt(start.UnixNano(), 36)
}

type enc struct{ b []byte }

func (e *enc) u(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) s(v string)    { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) bool(v bool)   { e.b = append(e.b, b2u(v)) }
func (e *enc) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) addr(a netip.Addr) {
	if !a.IsValid() {
		e.b = append(e.b, 0)
		return
	}
	s := a.AsSlice()
	e.b = append(e.b, byte(len(s)))
	e.b = append(e.b, s...)
}

// n writes a slice's length so that nil (0) differs from empty (1): a nil
// CDP or BGP table means "not read this poll".
func (e *enc) n(l int, isNil bool) {
	if isNil {
		e.u(0)
		return
	}
	e.u(uint64(l) + 1)
}

func b2u(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// AppendPoll appends the encoding of p and the state st had after it to dst.
func AppendPoll(dst []byte, p *snmp.Poll, st *snmp.DeviceState, scratch []snmp.IndexedTotals) ([]byte, []snmp.IndexedTotals) {
	e := enc{b: append(dst, Version, byte(KindPoll))}
	e.s(p.Device)
	e.i(p.Start.UnixNano())
	e.i(int64(p.End.Sub(p.Start)))
	e.s(string(p.Reason))
	if p.Err != nil {
		e.bool(true)
		e.s(p.Err.Error())
	} else {
		e.bool(false)
	}
	e.s(p.System.Name)
	e.s(p.System.Descr)
	e.s(p.System.ObjectID)
	e.u(uint64(p.System.Uptime))
	e.u(uint64(p.Varbinds))
	e.u(uint64(p.Requests))
	e.u(st.Reboots())
	e.u(st.CounterDiscontinuities())

	e.n(len(p.Interfaces), p.Interfaces == nil)
	for i := range p.Interfaces {
		f := &p.Interfaces[i]
		e.i(int64(f.Index))
		e.u(uint64(f.Has))
		e.bool(f.AdminUp)
		e.s(f.Name)
		e.s(f.Descr)
		e.s(f.Alias)
		e.i(int64(f.OperStatus))
		e.u(f.HighSpeed)
		e.u(f.Speed)
		e.u(f.InOctets)
		e.u(f.OutOctets)
		e.u(f.InErrors)
		e.u(f.OutErrors)
		e.u(f.InDiscards)
		e.u(f.OutDiscards)
		e.u(uint64(f.DiscontinuityTime))
	}
	e.n(len(p.LLDP), p.LLDP == nil)
	for i := range p.LLDP {
		l := &p.LLDP[i]
		e.i(int64(l.LocalPortNum))
		e.s(l.LocalPort)
		e.s(l.ChassisID)
		e.s(l.PortID)
		e.s(l.PortDescr)
		e.s(l.SysName)
	}
	e.n(len(p.LLDPManAddrs), p.LLDPManAddrs == nil)
	for i := range p.LLDPManAddrs {
		a := &p.LLDPManAddrs[i]
		e.i(int64(a.Neighbor))
		e.i(int64(a.LocalPortNum))
		e.addr(a.Addr)
	}
	e.n(len(p.CDP), p.CDP == nil)
	for i := range p.CDP {
		c := &p.CDP[i]
		e.i(int64(c.IfIndex))
		e.s(c.LocalPort)
		e.s(c.DeviceID)
		e.s(c.Port)
		e.addr(c.Address)
		e.s(c.Platform)
	}
	e.n(len(p.BGPPeers), p.BGPPeers == nil)
	for i := range p.BGPPeers {
		b := &p.BGPPeers[i]
		e.addr(b.Remote)
		e.addr(b.Local)
		e.i(int64(b.State))
		e.bool(b.AdminUp)
		e.u(uint64(b.Missing))
		e.u(uint64(b.RemoteAS))
		e.addr(b.RemoteID)
		e.u(uint64(b.FSMEstablishedTransitions))
		e.u(uint64(b.FSMEstablishedTime))
	}
	e.n(len(p.BGPPrefixes), p.BGPPrefixes == nil)
	for i := range p.BGPPrefixes {
		x := &p.BGPPrefixes[i]
		e.addr(x.Remote)
		e.s(x.Family)
		e.u(uint64(x.AFI))
		e.u(uint64(x.SAFI))
		e.u(x.Accepted)
	}
	e.bool(p.Health != nil)
	if h := p.Health; h != nil {
		e.n(len(h.CPUs), h.CPUs == nil)
		for _, c := range h.CPUs {
			e.s(c.Name)
			e.f64(c.Usage)
		}
		e.n(len(h.Memory), h.Memory == nil)
		for _, m := range h.Memory {
			e.s(m.Name)
			e.u(m.Used)
			e.u(m.Size)
		}
		e.n(len(h.Sensors), h.Sensors == nil)
		for _, x := range h.Sensors {
			e.i(int64(x.Index))
			e.s(x.Name)
			e.u(uint64(x.Kind))
			e.i(int64(x.Status))
			e.f64(x.Value)
			e.bool(x.HasValue)
		}
	}
	e.n(len(p.Problems), p.Problems == nil)
	for _, x := range p.Problems {
		e.s(x.Table)
		e.s(string(x.Reason))
		e.s(x.Detail)
	}
	e.n(len(p.Discontinuities), p.Discontinuities == nil)
	for _, x := range p.Discontinuities {
		e.i(int64(x.IfIndex))
		e.s(x.Interface)
		e.s(string(x.Reason))
		e.s(x.Counter)
	}
	scratch = st.AppendTotals(scratch[:0])
	e.u(uint64(len(scratch)))
	for _, t := range scratch {
		e.i(int64(t.Index))
		e.u(uint64(t.Has))
		e.u(t.InOctets)
		e.u(t.OutOctets)
		e.u(t.InErrors)
		e.u(t.OutErrors)
		e.u(t.InDiscards)
		e.u(t.OutDiscards)
	}
	return e.b, scratch
}

// AppendHeartbeat appends the encoding of h to dst.
func AppendHeartbeat(dst []byte, h Heartbeat) []byte {
	e := enc{b: append(dst, Version, byte(KindHeartbeat))}
	e.i(h.Time.UnixNano())
	e.u(uint64(h.Interval))
	e.u(uint64(h.Devices))
	e.u(h.Seq)
	return e.b
}

// errShort is what every truncated message gives.
var errShort = errors.New("truncated observation")

type dec struct {
	b   []byte
	err error
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i32() int32 {
	v := d.i()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("an integer out of range")
	}
	return int32(v)
}

func (d *dec) f64() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.err = errShort
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
}

func (d *dec) s() string {
	l := d.u()
	if d.err != nil {
		return ""
	}
	if l > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:l])
	d.b = d.b[l:]
	return s
}

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.err = errShort
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail("a boolean that is neither 0 nor 1")
	}
	return v == 1
}

func (d *dec) addr() netip.Addr {
	if d.err != nil {
		return netip.Addr{}
	}
	if len(d.b) == 0 {
		d.err = errShort
		return netip.Addr{}
	}
	l := int(d.b[0])
	if l != 0 && l != 4 && l != 16 {
		d.fail("an address of neither 4 nor 16 bytes")
		return netip.Addr{}
	}
	if len(d.b) < 1+l {
		d.err = errShort
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(d.b[1 : 1+l])
	d.b = d.b[1+l:]
	return a
}

// count reads a slice length written by enc.n; min is the fewest bytes an
// element takes, which bounds what a hostile length can make us allocate.
func (d *dec) count(min int) (n int, isNil bool) {
	v := d.u()
	if d.err != nil || v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)/min) {
		d.err = errShort
		return 0, true
	}
	return int(v - 1), false
}

// Decode reads the kind of an observation and checks its version.
func Decode(b []byte) (Kind, error) {
	if len(b) < 2 {
		return 0, errShort
	}
	if b[0] != Version {
		return 0, fmt.Errorf("observation encoding version %d, this vigie reads %d: run the same vigie version on collectors and centrals", b[0], Version)
	}
	switch k := Kind(b[1]); k {
	case KindPoll, KindHeartbeat, KindBGP, KindWitness:
		return k, nil
	default:
		return 0, fmt.Errorf("unknown observation kind %d", b[1])
	}
}

// DecodePoll reads a poll observation written by AppendPoll. It never
// panics on bad input: a truncated or inconsistent message is an error.
func DecodePoll(b []byte) (*PollObservation, error) {
	if k, err := Decode(b); err != nil {
		return nil, err
	} else if k != KindPoll {
		return nil, fmt.Errorf("observation kind %d, want a poll", k)
	}
	d := dec{b: b[2:]}
	o := &PollObservation{}
	p := &o.Poll
	p.Device = d.s()
	p.Start = time.Unix(0, d.i())
	p.End = p.Start.Add(time.Duration(d.i()))
	p.Reason = snmp.Reason(d.s())
	if d.bool() {
		p.Err = errors.New(d.s())
	}
	p.System.Name = d.s()
	p.System.Descr = d.s()
	p.System.ObjectID = d.s()
	p.System.Uptime = time.Duration(d.u())
	p.Varbinds = int(min(d.u(), math.MaxInt32))
	p.Requests = int(min(d.u(), math.MaxInt32))
	o.Reboots = d.u()
	o.Discontinuities = d.u()

	if n, isNil := d.count(17); !isNil {
		p.Interfaces = make([]snmp.Interface, n)
		for i := range p.Interfaces {
			f := &p.Interfaces[i]
			f.Index = d.i32()
			f.Has = snmp.Columns(d.u())
			f.AdminUp = d.bool()
			f.Name = d.s()
			f.Descr = d.s()
			f.Alias = d.s()
			f.OperStatus = int(d.i32())
			f.HighSpeed = d.u()
			f.Speed = d.u()
			f.InOctets = d.u()
			f.OutOctets = d.u()
			f.InErrors = d.u()
			f.OutErrors = d.u()
			f.InDiscards = d.u()
			f.OutDiscards = d.u()
			f.DiscontinuityTime = time.Duration(d.u())
		}
	}
	if n, isNil := d.count(6); !isNil {
		p.LLDP = make([]snmp.LLDPNeighbor, n)
		for i := range p.LLDP {
			l := &p.LLDP[i]
			l.LocalPortNum = d.i32()
			l.LocalPort = d.s()
			l.ChassisID = d.s()
			l.PortID = d.s()
			l.PortDescr = d.s()
			l.SysName = d.s()
		}
	}
	if n, isNil := d.count(3); !isNil {
		p.LLDPManAddrs = make([]snmp.LLDPManAddr, n)
		for i := range p.LLDPManAddrs {
			a := &p.LLDPManAddrs[i]
			a.Neighbor = int(d.i32())
			a.LocalPortNum = d.i32()
			a.Addr = d.addr()
		}
	}
	if n, isNil := d.count(6); !isNil {
		p.CDP = make([]snmp.CDPNeighbor, n)
		for i := range p.CDP {
			c := &p.CDP[i]
			c.IfIndex = d.i32()
			c.LocalPort = d.s()
			c.DeviceID = d.s()
			c.Port = d.s()
			c.Address = d.addr()
			c.Platform = d.s()
		}
	}
	if n, isNil := d.count(9); !isNil {
		p.BGPPeers = make([]snmp.BGPPeer, n)
		for i := range p.BGPPeers {
			x := &p.BGPPeers[i]
			x.Remote = d.addr()
			x.Local = d.addr()
			x.State = int(d.i32())
			x.AdminUp = d.bool()
			x.Missing = snmp.BGPColumns(min(d.u(), 255))
			x.RemoteAS = uint32(min(d.u(), math.MaxUint32))
			x.RemoteID = d.addr()
			x.FSMEstablishedTransitions = uint32(min(d.u(), math.MaxUint32))
			x.FSMEstablishedTime = time.Duration(d.u())
		}
	}
	if n, isNil := d.count(5); !isNil {
		p.BGPPrefixes = make([]snmp.BGPPrefixes, n)
		for i := range p.BGPPrefixes {
			x := &p.BGPPrefixes[i]
			x.Remote = d.addr()
			x.Family = d.s()
			x.AFI = uint16(min(d.u(), 65535))
			x.SAFI = uint8(min(d.u(), 255))
			x.Accepted = d.u()
		}
	}
	if d.bool() {
		h := &snmp.Health{}
		if n, isNil := d.count(9); !isNil {
			h.CPUs = make([]snmp.CPU, n)
			for i := range h.CPUs {
				h.CPUs[i] = snmp.CPU{Name: d.s(), Usage: d.f64()}
			}
		}
		if n, isNil := d.count(3); !isNil {
			h.Memory = make([]snmp.MemoryPool, n)
			for i := range h.Memory {
				h.Memory[i] = snmp.MemoryPool{Name: d.s(), Used: d.u(), Size: d.u()}
			}
		}
		if n, isNil := d.count(13); !isNil {
			h.Sensors = make([]snmp.Sensor, n)
			for i := range h.Sensors {
				x := &h.Sensors[i]
				x.Index = d.i32()
				x.Name = d.s()
				x.Kind = snmp.SensorKind(min(d.u(), 255))
				x.Status = int(d.i32())
				x.Value = d.f64()
				x.HasValue = d.bool()
			}
		}
		p.Health = h
	}
	if n, isNil := d.count(3); !isNil {
		p.Problems = make([]snmp.Problem, n)
		for i := range p.Problems {
			p.Problems[i] = snmp.Problem{Table: d.s(), Reason: snmp.Reason(d.s()), Detail: d.s()}
		}
	}
	if n, isNil := d.count(4); !isNil {
		p.Discontinuities = make([]snmp.CounterDiscontinuity, n)
		for i := range p.Discontinuities {
			p.Discontinuities[i] = snmp.CounterDiscontinuity{IfIndex: d.i32(), Interface: d.s(),
				Reason: snmp.DiscontinuityReason(d.s()), Counter: d.s()}
		}
	}
	nt := d.u()
	if d.err == nil && nt > uint64(len(d.b)/8) {
		d.err = errShort
	}
	if d.err == nil && nt > 0 {
		o.Totals = make([]snmp.IndexedTotals, nt)
		for i := range o.Totals {
			t := &o.Totals[i]
			t.Index = d.i32()
			t.Has = snmp.Columns(d.u())
			t.InOctets, t.OutOctets = d.u(), d.u()
			t.InErrors, t.OutErrors = d.u(), d.u()
			t.InDiscards, t.OutDiscards = d.u(), d.u()
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes after the observation")
	}
	if d.err == nil && p.Device == "" {
		d.fail("a poll without a device name")
	}
	if d.err != nil {
		return nil, fmt.Errorf("poll observation: %w", d.err)
	}
	return o, nil
}

// DecodeHeartbeat reads a heartbeat written by AppendHeartbeat.
func DecodeHeartbeat(b []byte) (Heartbeat, error) {
	if k, err := Decode(b); err != nil {
		return Heartbeat{}, err
	} else if k != KindHeartbeat {
		return Heartbeat{}, fmt.Errorf("observation kind %d, want a heartbeat", k)
	}
	d := dec{b: b[2:]}
	h := Heartbeat{Time: time.Unix(0, d.i()), Interval: time.Duration(d.u()), Devices: int(min(d.u(), math.MaxInt32)), Seq: d.u()}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes after the heartbeat")
	}
	if d.err != nil {
		return Heartbeat{}, fmt.Errorf("heartbeat: %w", d.err)
	}
	return h, nil
}
