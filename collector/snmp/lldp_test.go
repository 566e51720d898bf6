package snmp

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestHexColons checks the colon-separated hex used for MAC-shaped and
// binary LLDP ids against encoding/hex, on both sides of the stack buffer.
func TestHexColons(t *testing.T) {
	long := make([]byte, 40) // 119 characters: past the 64-byte stack buffer
	for i := range long {
		long[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"one byte", []byte{0x0a}, "0a"},
		{"MAC", []byte{0, 0x1b, 0x21, 0xaa, 0xbb, 0xff}, "00:1b:21:aa:bb:ff"},
		{"21 bytes, 62 characters", make([]byte, 21), strings.Repeat("00:", 20) + "00"},
		{"22 bytes, 65 characters", make([]byte, 22), strings.Repeat("00:", 21) + "00"},
		{"40 bytes", long, reference(long)},
	} {
		if got := hexColons(tc.in); got != tc.want {
			t.Errorf("%s: hexColons(%x) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
	mac := []byte{0, 0x1b, 0x21, 0xaa, 0xbb, 0xcc}
	if n := testing.AllocsPerRun(100, func() { _ = hexColons(mac) }); n > 1 {
		t.Errorf("hexColons of a MAC: %v allocations, want 1 (the string)", n)
	}
}

func reference(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	return strings.Join(parts, ":")
}
