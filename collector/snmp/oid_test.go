package snmp

import (
	"net/netip"
	"slices"
	"testing"
)

// TestOIDOrder: dotted OIDs parse to sub-identifiers, which compare as SNMP
// orders OIDs (sub-identifier by sub-identifier, a prefix first).
func TestOIDOrder(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{".1.3.6", ".1.3.6", 0},
		{".1.3.6", "1.3.6", 0},
		{".1.3.6", ".1.3.6.1", -1},
		{".1.3.10", ".1.3.9", 1},
		{".1.3.6.1.2.1.2.2.1.2.10", ".1.3.6.1.2.1.2.2.1.2.9", 1},
		{".1.3.6.1.2.1.2.2.1.2.1", ".1.3.6.1.2.1.2.2.1.3", -1},
		{".4294967295", ".4294967294", 1},
	}
	for _, tc := range tests {
		a, okA := appendDotted(nil, tc.a)
		b, okB := appendDotted(nil, tc.b)
		if !okA || !okB {
			t.Fatalf("%s or %s did not parse", tc.a, tc.b)
		}
		if got := slices.Compare(a, b); got != tc.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := slices.Compare(b, a); got != -tc.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
		if s := oidText(a); s != "."+tc.a[len(tc.a)-len(s)+1:] && s != tc.a {
			t.Errorf("oidText(%v) = %s, want %s", a, s, tc.a)
		}
	}
	for _, bad := range []string{"", ".", "1..3", "1.3.", "1.a.3", ".4294967296"} {
		if o, ok := appendDotted(nil, bad); ok {
			t.Errorf("appendDotted(%q) = %v, want a refusal", bad, o)
		}
	}
}

func TestIndexUnder(t *testing.T) {
	tests := []struct {
		oid, prefix string
		idx         []uint32
		ok          bool
	}{
		{".1.3.6.1.2.1.2.2.1.2.5", oidIfDescr, []uint32{5}, true},
		{".1.3.6.1.2.1.2.2.1.2.5.7", oidIfDescr, []uint32{5, 7}, true},
		{".1.3.6.1.2.1.2.2.1.20.5", oidIfDescr, nil, false}, // ifOutErrors is not under ifDescr
		{".1.3.6.1.2.1.2.2.1.2", oidIfDescr, nil, false},
		{".1.3.6.1.2.1.2.2.1.3.1", oidIfDescr, nil, false},
	}
	for _, tc := range tests {
		idx, ok := indexUnder(mustOID(tc.oid), mustOID(tc.prefix))
		if !slices.Equal(idx, tc.idx) || ok != tc.ok {
			t.Errorf("indexUnder(%s, %s) = %v %v", tc.oid, tc.prefix, idx, ok)
		}
	}
}

func TestIndexDecoders(t *testing.T) {
	ips := []struct {
		in   []uint32
		want string
	}{
		{[]uint32{192, 0, 2, 1}, "192.0.2.1"}, {[]uint32{0, 0, 0, 0}, "0.0.0.0"}, {[]uint32{256, 1, 1, 1}, ""},
		{[]uint32{1, 2, 3}, ""}, {[]uint32{1, 2, 3, 4, 5}, ""}, {nil, ""},
	}
	for _, tc := range ips {
		a, ok := ipv4Index(tc.in)
		if (tc.want == "") == ok || (ok && a != netip.MustParseAddr(tc.want)) {
			t.Errorf("ipv4Index(%v) = %v %v, want %q", tc.in, a, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []uint32
		want int32
		ok   bool
	}{{[]uint32{7}, 7, true}, {[]uint32{1<<31 - 1}, 1<<31 - 1, true}, {[]uint32{1 << 31}, 0, false}, {[]uint32{1, 2}, 0, false}, {nil, 0, false}} {
		if got, ok := index32(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("index32(%v) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   []uint32
		port int32
		ok   bool
	}{{[]uint32{0, 2, 1}, 2, true}, {[]uint32{123456, 7, 3}, 7, true}, {[]uint32{0, 1 << 31, 1}, 0, false},
		{[]uint32{0, 2}, 0, false}, {[]uint32{0, 2, 1, 4}, 0, false}} {
		if _, port, ok := lldpRemIndex(tc.in); port != tc.port || ok != tc.ok {
			t.Errorf("lldpRemIndex(%v) = %d %v, want %d %v", tc.in, port, ok, tc.port, tc.ok)
		}
	}
}

func TestFormatIDs(t *testing.T) {
	tests := []struct {
		chassis bool
		subtype int
		in      []byte
		want    string
	}{
		{true, chassisSubtypeMAC, []byte{0, 0x1b, 0x21, 0xaa, 0xbb, 0xcc}, "00:1b:21:aa:bb:cc"},
		{true, chassisSubtypeNetwork, []byte{1, 192, 0, 2, 1}, "192.0.2.1"},
		{true, 7, []byte("r2.example"), "r2.example"},
		{true, 7, []byte{1, 2, 0xff}, "01:02:ff"},
		{false, portSubtypeIfName, []byte("ge-0/0/1"), "ge-0/0/1"},
		{false, portSubtypeMAC, []byte{1, 2, 3}, "01:02:03"},
		{false, portSubtypeLocal, []byte("Ethernet1"), "Ethernet1"},
	}
	for _, tc := range tests {
		got := formatPortID(tc.subtype, tc.in)
		if tc.chassis {
			got = formatChassisID(tc.subtype, tc.in)
		}
		if got != tc.want {
			t.Errorf("format(%v, %d, %x) = %q, want %q", tc.chassis, tc.subtype, tc.in, got, tc.want)
		}
	}
}
