package snmp

import (
	"net/netip"
	"testing"
)

func TestCompareOID(t *testing.T) {
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
		if got := compareOID(tc.a, tc.b); got != tc.want {
			t.Errorf("compareOID(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := compareOID(tc.b, tc.a); got != -tc.want {
			t.Errorf("compareOID(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestIndexUnder(t *testing.T) {
	tests := []struct {
		oid, prefix, idx string
		ok               bool
	}{
		{".1.3.6.1.2.1.2.2.1.2.5", oidIfDescr, "5", true},
		{".1.3.6.1.2.1.2.2.1.20.5", oidIfDescr, "", false}, // ifOutErrors is not under ifDescr
		{".1.3.6.1.2.1.2.2.1.2", oidIfDescr, "", false},
		{".1.3.6.1.2.1.2.2.1.3.1", oidIfDescr, "", false},
	}
	for _, tc := range tests {
		idx, ok := indexUnder(tc.oid, tc.prefix)
		if idx != tc.idx || ok != tc.ok {
			t.Errorf("indexUnder(%s, %s) = %q %v", tc.oid, tc.prefix, idx, ok)
		}
	}
}

func TestParseIPv4Index(t *testing.T) {
	tests := map[string]string{"192.0.2.1": "192.0.2.1", "0.0.0.0": "0.0.0.0", "256.1.1.1": "", "1.2.3": "",
		"1.2.3.4.5": "", "1..3.4": "", "": "", "1.2.3.": "", "a.b.c.d": ""}
	for in, want := range tests {
		a, ok := parseIPv4Index(in)
		if (want == "") == ok || (ok && a != netip.MustParseAddr(want)) {
			t.Errorf("parseIPv4Index(%q) = %v %v, want %q", in, a, ok, want)
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
