package snmp

// A small in-test SNMPv2c agent for the faults a real snmpd will not
// produce: OID loops, floods, wrong types, truncated packets, wrong request
// ids, answers that only come for small GetBulks.

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/vigie-rie/vigie/inventory"
)

// fakeMIB answers lookups of a fake device.
type fakeMIB interface {
	get(oid string) gosnmp.SnmpPDU
	// next returns the first variable after oid (EndOfMibView when none).
	next(oid string) gosnmp.SnmpPDU
}

// staticMIB is a sorted list of variables.
type staticMIB []gosnmp.SnmpPDU

func newStaticMIB(vars ...gosnmp.SnmpPDU) staticMIB {
	m := staticMIB(slices.Clone(vars))
	slices.SortFunc(m, func(a, b gosnmp.SnmpPDU) int { return compareOIDText(a.Name, b.Name) })
	return m
}

func (m staticMIB) get(oid string) gosnmp.SnmpPDU {
	for _, v := range m {
		if v.Name == oid {
			return v
		}
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.NoSuchObject}
}

func (m staticMIB) next(oid string) gosnmp.SnmpPDU {
	i, _ := slices.BinarySearchFunc(m, oid, func(v gosnmp.SnmpPDU, o string) int { return compareOIDText(v.Name, o) })
	for ; i < len(m); i++ {
		if compareOIDText(m[i].Name, oid) > 0 {
			return m[i]
		}
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.EndOfMibView}
}

// mibFunc adapts functions to fakeMIB, falling back to base.
type mibFunc struct {
	base   fakeMIB
	nextFn func(oid string) (gosnmp.SnmpPDU, bool)
}

func (m mibFunc) get(oid string) gosnmp.SnmpPDU { return m.base.get(oid) }
func (m mibFunc) next(oid string) gosnmp.SnmpPDU {
	if v, ok := m.nextFn(oid); ok {
		return v
	}
	return m.base.next(oid)
}

func str(oid, s string) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte(s)}
}
func integer(oid string, n int) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: n}
}
func c32(oid string, n uint32) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Counter32, Value: uint(n)}
}
func c64(oid string, n uint64) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Counter64, Value: n}
}
func gauge(oid string, n uint32) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Gauge32, Value: uint(n)}
}
func ticks(oid string, n uint32) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.TimeTicks, Value: n}
}
func ipaddr(oid, a string) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.IPAddress, Value: a}
}

// systemVars returns a system group with the given uptime.
func systemVars(name string, uptime uint32) []gosnmp.SnmpPDU {
	return []gosnmp.SnmpPDU{
		str(oidSysDescr, "fake router"),
		{Name: oidSysObjectID, Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.9.1.1"},
		ticks(oidSysUpTime, uptime),
		str(oidSysName, name),
	}
}

// ifVars returns the IF-MIB rows of n interfaces, eth1..ethN.
func ifVars(n int, in uint64, errs uint32) []gosnmp.SnmpPDU {
	var v []gosnmp.SnmpPDU
	for i := 1; i <= n; i++ {
		s := "." + strconv.Itoa(i)
		name := "eth" + strconv.Itoa(i)
		v = append(v,
			str(oidIfDescr+s, name), integer(oidIfAdminStatus+s, 1), integer(oidIfOperStatus+s, 1),
			c32(oidIfInDiscards+s, 1), c32(oidIfInErrors+s, errs), c32(oidIfOutDiscards+s, 3), c32(oidIfOutErrors+s, 4),
			str(oidIfName+s, name), c64(oidIfHCInOctets+s, in), c64(oidIfHCOutOctets+s, 2*in),
			gauge(oidIfHighSpeed+s, 1000), str(oidIfAlias+s, "to "+name))
	}
	return v
}

// fakeAgent is a v2c agent on 127.0.0.1:<free port>.
type fakeAgent struct {
	conn *net.UDPConn
	addr netip.AddrPort
	// requests counts datagrams received.
	requests atomic.Int64

	mu  sync.Mutex
	mib fakeMIB
	// respond, when set, replaces the normal answer: it gets the decoded
	// request and the normal answer, and returns the bytes to send (nil:
	// send nothing).
	respond func(req *gosnmp.SnmpPacket, normal []byte) []byte
}

func startFakeAgent(t testing.TB, mib fakeMIB) *fakeAgent {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAgent{conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), mib: mib}
	done := make(chan struct{})
	go f.serve(done)
	t.Cleanup(func() { _ = c.Close(); <-done })
	return f
}

func (f *fakeAgent) set(mib fakeMIB, respond func(*gosnmp.SnmpPacket, []byte) []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mib != nil {
		f.mib = mib
	}
	f.respond = respond
}

func (f *fakeAgent) serve(done chan struct{}) {
	defer close(done)
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public", Context: context.Background()}
	buf := make([]byte, 65536)
	for {
		n, from, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		f.requests.Add(1)
		req, err := dec.SnmpDecodePacket(buf[:n])
		if err != nil {
			continue
		}
		f.mu.Lock()
		mib, respond := f.mib, f.respond
		f.mu.Unlock()
		out := answer(mib, req)
		if respond != nil {
			out = respond(req, out)
		}
		if out != nil {
			_, _ = f.conn.WriteToUDPAddrPort(out, from)
		}
	}
}

// answer computes the normal GetResponse to req.
func answer(mib fakeMIB, req *gosnmp.SnmpPacket) []byte {
	var vars []gosnmp.SnmpPDU
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			vars = append(vars, mib.get(v.Name))
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			vars = append(vars, mib.next(v.Name))
		}
	case gosnmp.GetBulkRequest:
		nonRep := min(int(req.NonRepeaters), len(req.Variables))
		for _, v := range req.Variables[:nonRep] {
			vars = append(vars, mib.next(v.Name))
		}
		cur := make([]string, len(req.Variables)-nonRep)
		for i, v := range req.Variables[nonRep:] {
			cur[i] = v.Name
		}
		for r := 0; r < int(req.MaxRepetitions); r++ {
			for i := range cur {
				v := mib.next(cur[i])
				vars = append(vars, v)
				cur[i] = v.Name
			}
		}
	}
	return marshalResponse(req.RequestID, vars)
}

func marshalResponse(reqID uint32, vars []gosnmp.SnmpPDU) []byte {
	resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse,
		RequestID: reqID, Variables: vars}
	b, err := resp.MarshalMsg()
	if err != nil {
		panic(err)
	}
	return b
}

func fakeTarget(f *fakeAgent) *Target {
	return &Target{Device: "fake", Addr: f.addr, Version: inventory.SNMPv2c,
		Community: inventory.NewSecret("public", "test"), Timeout: 200 * time.Millisecond, Retries: 1,
		MaxRepetitions: 10, MaxRows: 100, Tables: TableInterfaces | TableLLDP | TableBGP}
}

type netAddrUDP = net.UDPAddr

// compareOIDText orders two dotted OIDs as SNMP does.
func compareOIDText(a, b string) int {
	x, _ := appendDotted(nil, a)
	y, _ := appendDotted(nil, b)
	return slices.Compare(x, y)
}

// indexUnderText is indexUnder for dotted OIDs: "1.2" for prefix ".1.3.6"
// and oid ".1.3.6.1.2".
func indexUnderText(oid, prefix string) (string, bool) {
	if len(oid) <= len(prefix)+1 || oid[:len(prefix)] != prefix || oid[len(prefix)] != '.' {
		return "", false
	}
	return oid[len(prefix)+1:], true
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

func startFakeAgentConnOnly(t *testing.T) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Error(err)
		return nil
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
