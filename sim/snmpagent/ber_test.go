package snmpagent

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/sim"
)

func TestEncodeInts(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{2, 1, 0}},
		{127, []byte{2, 1, 0x7f}},
		{128, []byte{2, 2, 0, 0x80}},
		{-1, []byte{2, 1, 0xff}},
		{-129, []byte{2, 2, 0xff, 0x7f}},
		{1<<31 - 1, []byte{2, 4, 0x7f, 0xff, 0xff, 0xff}},
	} {
		var e encoder
		e.int(tagInteger, c.v)
		if !bytes.Equal(e.b, c.want) {
			t.Errorf("int(%d) = % x, want % x", c.v, e.b, c.want)
		}
		got, err := parseInt(e.b[2:])
		if err != nil || got != c.v {
			t.Errorf("parseInt(% x) = %d, %v", e.b[2:], got, err)
		}
	}
	for _, c := range []struct {
		v    uint64
		want []byte
	}{
		{0, []byte{0x41, 1, 0}},
		{255, []byte{0x41, 2, 0, 0xff}},
		{1<<32 - 1, []byte{0x41, 5, 0, 0xff, 0xff, 0xff, 0xff}},
		{1<<64 - 1, []byte{0x41, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		var e encoder
		e.uint(tagCounter32, c.v)
		if !bytes.Equal(e.b, c.want) {
			t.Errorf("uint(%d) = % x, want % x", c.v, e.b, c.want)
		}
	}
}

func TestOIDRoundTrip(t *testing.T) {
	for _, oid := range [][]uint32{
		{1, 3, 6, 1, 2, 1, 1, 5, 0},
		{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9, 0, 3, 1},
		{2, 999, 1<<32 - 1, 0, 128, 16384},
		append([]uint32{1, 3}, slices.Repeat([]uint32{1<<32 - 1}, 40)...), // over 127 bytes: long-form length
	} {
		var e encoder
		e.oid(oid)
		tag, c, rest, err := readTLV(e.b)
		if err != nil || tag != tagOID || len(rest) != 0 {
			t.Fatalf("oid %v encoded as % x: %v", oid, e.b, err)
		}
		got, err := parseOID(c, nil)
		if err != nil || !slices.Equal(got, oid) {
			t.Errorf("round trip of %v gave %v, %v", oid, got, err)
		}
	}
	for _, bad := range [][]byte{{}, {0x2b, 0x80}, {0x2b, 0x80, 0x01}, {0x2b, 0x90, 0x80, 0x80, 0x80, 0x80, 0x01}} {
		if _, err := parseOID(bad, nil); err == nil {
			t.Errorf("parseOID(% x) accepted a malformed OID", bad)
		}
	}
}

// TestCloseShrinks checks that constructed lengths come out minimal and
// that gosnmp decodes what the encoder builds, for every length form.
func TestCloseShrinks(t *testing.T) {
	for _, n := range []int{0, 5, 127, 128, 255, 256, 1000, 40000} {
		var e encoder
		s := e.open(tagSequence)
		e.bytes(tagOctetString, make([]byte, n))
		e.close(s)
		_, c, rest, err := readTLV(e.b)
		if err != nil || len(rest) != 0 {
			t.Fatalf("sequence of a %d-byte string: %v", n, err)
		}
		_, inner, _, err := readTLV(c)
		if err != nil || len(inner) != n {
			t.Errorf("inner string of %d bytes decoded as %d: %v", n, len(inner), err)
		}
		wantLen := 2 + len(c)
		if len(c) >= 128 {
			wantLen++
		}
		if len(c) >= 256 {
			wantLen++
		}
		if len(e.b) != wantLen {
			t.Errorf("sequence of %d content bytes took %d bytes, want %d (minimal)", len(c), len(e.b), wantLen)
		}
	}
}

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
			if _, _, rest, err := readTLV(out); err != nil || len(rest) != 0 {
				t.Fatalf("answer % x is not one BER element: %v", out, err)
			}
		}
	})
}
