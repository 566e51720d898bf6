package snmp

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// fuzzSeeds are well-formed answers of the fake device: a Get of the system
// group, and GetBulks of each table with and without the system group as
// non-repeaters.
func fuzzSeeds() [][]byte {
	mib := newStaticMIB(append(healthyMIB(), ciscoHealthVars()...)...)
	seeds := [][]byte{answer(mib, &gosnmp.SnmpPacket{PDUType: gosnmp.GetRequest,
		Variables: pdus([]string{oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysName})})}
	sysCols := []string{".1.3.6.1.2.1.1.1", ".1.3.6.1.2.1.1.2", ".1.3.6.1.2.1.1.3", ".1.3.6.1.2.1.1.5"}
	var health []string
	for _, c := range healthColumns {
		health = append(health, c.oid)
	}
	for _, cols := range [][]string{ifColumnOIDs(), lldpColumnOIDs(), bgpColumnOIDs(), health} {
		seeds = append(seeds,
			answer(mib, &gosnmp.SnmpPacket{PDUType: gosnmp.GetBulkRequest, MaxRepetitions: 3, Variables: pdus(cols)}),
			answer(mib, &gosnmp.SnmpPacket{PDUType: gosnmp.GetBulkRequest, MaxRepetitions: 2, NonRepeaters: 4,
				Variables: pdus(append(append([]string(nil), sysCols...), cols...))}))
	}
	return seeds
}

// FuzzLeanDecoder feeds arbitrary datagrams to the lean v2c decoder, which
// must never panic, and checks what it accepts: bounded OIDs, values that
// lie inside the datagram, and an error-index in range.
func FuzzLeanDecoder(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	var r response
	var arena []uint32
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		arena, err = decodeResponse(data, &r, arena)
		if err != nil {
			return
		}
		if r.errIndex < 0 {
			t.Fatalf("negative error-index accepted: %+v", r)
		}
		for i := range r.vars {
			v := &r.vars[i]
			if len(v.oid) < 2 || len(v.oid) > maxOIDArcs {
				t.Fatalf("varbind %d: OID of %d sub-identifiers accepted", i, len(v.oid))
			}
			if len(v.val) > 0 && !bytes.Contains(data, v.val) {
				t.Fatalf("varbind %d: value not taken from the datagram", i)
			}
		}
	})
}

// FuzzDecoders feeds arbitrary answers through the session's decoding (the
// lean decoder, gosnmp's when it refuses, recovered) and then through
// vigie's walk and MIB decoders, which must never panic whatever the
// varbinds hold.
func FuzzDecoders(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	s, err := newSession()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.close() })
	p := &Poller{}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := s.decode(data)
		if err != nil {
			if isDecodePanic(err) {
				t.Logf("gosnmp panicked, recovered: %v", err)
			}
			return
		}
		vars := res.vars
		var sys System
		_, _ = decodeSystem(vars, &sys, false, &System{})
		_, _ = decodeSystem(vars, &sys, true, &sys)
		s.ifd.reset(nil)
		s.lldpd.reset()
		s.bgpd.reset()
		s.cdpd.reset()
		s.cbgpd.reset()
		s.jbgpd.reset()
		s.mand.reset()
		s.hd.reset()
		s.hd.cols = s.hd.cols[:0]
		for c := range healthCols {
			s.hd.cols = append(s.hd.cols, uint8(c))
		}
		for _, tw := range []*tableWalk{
			{name: "interfaces", cols: s.ifCols, visit: s.ifd.add, hint: new(int)},
			{name: "lldp", cols: s.lldpCols, visit: s.lldpd.add, hint: new(int)},
			{name: "bgp", cols: s.bgpCols, visit: s.bgpd.add, hint: new(int)},
			{name: "interfaces", cols: s.if32Cols, visit: s.ifd.add32, hint: new(int)},
			{name: "cdp", cols: s.cdpCols, visit: s.cdpd.add, hint: new(int)},
			{name: "bgp", cols: s.cbgpCols, visit: s.cbgpd.add, hint: new(int)},
			{name: "bgp", cols: s.jbgpCols, visit: s.jbgpd.add, hint: new(int)},
			{name: "lldp", cols: s.manCols, visit: s.mand.add, hint: new(int)},
			{name: "health", cols: s.healthCols, visit: s.hd.add, hint: new(int)},
		} {
			for i := range vars {
				for c, col := range tw.cols {
					if idx, ok := indexUnder(vars[i].oid, col); ok {
						tw.visit(c, idx, &vars[i]) // no recover: a panic here is a bug
					}
				}
			}
			n := len(tw.cols)
			s.done = make([]bool, n)
			s.rows = make([]int, n)
			s.tableOf = make([]int, n)
			s.cols = tw.cols
			s.next = s.next[:0]
			s.nextName = make([]string, n)
			s.active = s.active[:0]
			for c := range tw.cols {
				s.next = append(s.next, append([]uint32(nil), tw.cols[c]...))
				s.active = append(s.active, c)
			}
			p.visitAnswer(s, []*tableWalk{tw}, vars, &Target{MaxRows: 5})
		}
		_ = s.ifd.finish()
		_ = s.lldpd.finish(func(int32) string { return "" }, nil)
		_ = s.bgpd.finish()
		_ = s.cdpd.finish(func(int32) string { return "" })
		_, _ = s.cbgpd.finish()
		_, _ = s.jbgpd.finish()
		for _, m := range s.mand.finish(&s.lldpd, true) {
			if !m.Addr.IsValid() || m.Neighbor >= len(s.lldpd.rows) {
				t.Fatalf("management address %+v: invalid, or joined to a neighbour the table does not have", m)
			}
		}
		for _, sn := range s.hd.finish(func(uint32) string { return "" }).Sensors {
			if math.IsNaN(sn.Value) || math.IsInf(sn.Value, 0) {
				t.Fatalf("sensor %+v: not a finite reading", sn)
			}
		}
		// Decoded again with the first decoding as the previous poll's rows
		// (whose strings are then reused), the rows must be the same.
		ifs, lldp := decodeRows(s, vars, nil, nil)
		ifs2, lldp2 := decodeRows(s, vars, appendIfTexts(nil, ifs), lldp)
		if !reflect.DeepEqual(ifs, ifs2) || !reflect.DeepEqual(lldp, lldp2) {
			t.Fatalf("rows differ when the previous poll's strings are reused:\n%+v\n%+v\n%+v\n%+v", ifs, ifs2, lldp, lldp2)
		}
		if p.DecodePanics() != 0 {
			t.Fatalf("a decoder panicked on %x", data)
		}
	})
}

// decodeRows feeds every varbind under an IF-MIB or LLDP-MIB column to the
// decoders, with prevIfs and prevLLDP as the previous poll's rows.
func decodeRows(s *session, vars []varbind, prevIfs []ifText, prevLLDP []LLDPNeighbor) ([]Interface, []LLDPNeighbor) {
	s.ifd.reset(prevIfs)
	s.lldpd.reset()
	for i := range vars {
		for c, col := range s.ifCols {
			if idx, ok := indexUnder(vars[i].oid, col); ok {
				s.ifd.add(c, idx, &vars[i])
			}
		}
		for c, col := range s.lldpCols {
			if idx, ok := indexUnder(vars[i].oid, col); ok {
				s.lldpd.add(c, idx, &vars[i])
			}
		}
	}
	return s.ifd.finish(), s.lldpd.finish(func(int32) string { return "if" }, prevLLDP)
}

func pdus(oids []string) []gosnmp.SnmpPDU {
	v := make([]gosnmp.SnmpPDU, len(oids))
	for i, o := range oids {
		v[i] = gosnmp.SnmpPDU{Name: o, Type: gosnmp.Null}
	}
	return v
}
