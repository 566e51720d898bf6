package snmpagent

import (
	"slices"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/ber"
	"github.com/vigie-rie/vigie/sim"
)

// fuzzSeeds are requests gosnmp builds, added to the corpus in testdata.
func fuzzSeeds(f *testing.F) {
	for _, typ := range []gosnmp.PDUType{gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.GetBulkRequest} {
		p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: sim.DefaultCommunity, PDUType: typ,
			RequestID: 9, NonRepeaters: 1, MaxRepetitions: 10,
			Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1.5.0", Type: gosnmp.Null},
				{Name: ".1.3.6.1.2.1.2.2.1.2", Type: gosnmp.Null}}}
		b, err := p.MarshalMsg()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzAnswer feeds arbitrary datagrams to the whole answering path of one
// device: nothing may panic, and every answer must be one whole BER element.
func FuzzAnswer(f *testing.F) {
	fuzzSeeds(f)
	inv := sim.Generate(sim.GenerateOptions{Seed: 1, Sites: 5})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a, err := New(inv, Options{Clock: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	w := a.newWorker(nil, 0)
	devs := []*device{a.fleet.devices[0], a.fleet.devices[len(a.fleet.devices)-1]}
	if err := a.SetFaults(devs[1].name, Faults{OIDLoop: true, Flood: 5000}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, d := range devs {
			out, ok := w.answer(d, d.state.Load(), slices.Clone(pkt))
			if !ok {
				continue
			}
			if _, _, rest, err := ber.ReadTLV(out); err != nil || len(rest) != 0 {
				t.Fatalf("answer % x is not one BER element: %v", out, err)
			}
		}
	})
}
