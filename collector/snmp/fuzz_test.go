package snmp

import (
	"context"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// FuzzDecoders feeds arbitrary answers through gosnmp's decoder (recovered,
// as gosnmp's own send path does) and then through vigie's MIB decoders,
// which must never panic whatever the varbinds hold.
func FuzzDecoders(f *testing.F) {
	mib := healthyMIB()
	for _, oids := range [][]string{
		{oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysName},
	} {
		f.Add(answer(mib, &gosnmp.SnmpPacket{PDUType: gosnmp.GetRequest, Variables: pdus(oids)}))
	}
	for _, cols := range [][]string{ifColumnOIDs(), lldpColumnOIDs(), bgpColumnOIDs()} {
		f.Add(answer(mib, &gosnmp.SnmpPacket{PDUType: gosnmp.GetBulkRequest, MaxRepetitions: 3, Variables: pdus(cols)}))
	}
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public", Context: context.Background()}
	p := &Poller{}
	f.Fuzz(func(t *testing.T, data []byte) {
		var pkt *gosnmp.SnmpPacket
		func() {
			defer func() { _ = recover() }()
			pkt, _ = dec.SnmpDecodePacket(data)
		}()
		if pkt == nil {
			return
		}
		vars := pkt.Variables
		var sys System
		_, _ = decodeSystem(vars, &sys)
		var ifd ifDecoder
		var ld lldpDecoder
		var bd bgpDecoder
		ifd.reset()
		ld.reset()
		bd.reset()
		tables := []struct {
			cols  []string
			visit visitFunc
		}{{ifColumnOIDs(), ifd.add}, {lldpColumnOIDs(), ld.add}, {bgpColumnOIDs(), bd.add}}
		for _, tb := range tables {
			for i := range vars {
				for c, col := range tb.cols {
					if idx, ok := indexUnder(vars[i].Name, col); ok {
						tb.visit(c, idx, &vars[i]) // no recover: a panic here is a bug
					}
				}
			}
			s := &session{}
			s.done = make([]bool, len(tb.cols))
			s.rows = make([]int, len(tb.cols))
			s.tableOf = make([]int, len(tb.cols))
			s.cols = tb.cols
			s.next = append([]string(nil), tb.cols...)
			for c := range tb.cols {
				s.active = append(s.active, c)
			}
			tw := &tableWalk{name: "t", cols: tb.cols, visit: tb.visit, hint: new(int)}
			p.visitAnswer(s, []*tableWalk{tw}, vars, &Target{MaxRows: 5})
		}
		_ = ifd.finish()
		_ = ld.finish(func(int32) string { return "" })
		_ = bd.finish()
		if p.DecodePanics() != 0 {
			t.Fatalf("a decoder panicked on %x", data)
		}
	})
}

func pdus(oids []string) []gosnmp.SnmpPDU {
	v := make([]gosnmp.SnmpPDU, len(oids))
	for i, o := range oids {
		v[i] = gosnmp.SnmpPDU{Name: o, Type: gosnmp.Null}
	}
	return v
}
