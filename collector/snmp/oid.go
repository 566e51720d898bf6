package snmp

// OIDs and values as the walk and the MIB decoders see them: sub-identifier
// slices and varbinds, the same whether the lean v2c reader or gosnmp (v3)
// decoded the answer. Nothing here allocates per varbind except the text
// and identifiers a row keeps.

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/ber"
)

// mustOID parses a dotted OID constant (".1.3.6...") at start-up.
func mustOID(s string) []uint32 {
	o, ok := appendDotted(nil, s)
	if !ok || len(o) < 2 {
		panic("snmp: bad OID constant " + s)
	}
	return o
}

// appendDotted appends the sub-identifiers of a dotted OID (leading dot
// optional) to dst.
func appendDotted(dst []uint32, s string) ([]uint32, bool) {
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
	}
	if s == "" {
		return dst, false
	}
	var v uint64
	digits := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 {
				return dst, false
			}
			dst = append(dst, uint32(v))
			v, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return dst, false
		}
		v = v*10 + uint64(c-'0')
		if v > 1<<32-1 {
			return dst, false
		}
		digits++
	}
	return dst, true
}

// appendOIDText appends the dotted form (".1.3.6...") of o.
func appendOIDText(b []byte, o []uint32) []byte {
	for _, a := range o {
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(a), 10)
	}
	return b
}

// oidText is the dotted form of o, as gosnmp names OIDs.
func oidText(o []uint32) string { return string(appendOIDText(nil, o)) }

// indexUnder returns the instance part of oid below the column prefix, and
// whether oid is strictly inside the prefix's subtree.
func indexUnder(oid, prefix []uint32) ([]uint32, bool) {
	if len(oid) <= len(prefix) || !slices.Equal(oid[:len(prefix)], prefix) {
		return nil, false
	}
	return oid[len(prefix):], true
}

// index32 returns a single-sub-identifier index (ifIndex, lldpLocPortNum):
// an InterfaceIndex is 1..2^31-1.
func index32(idx []uint32) (int32, bool) {
	if len(idx) != 1 || idx[0] > 1<<31-1 {
		return 0, false
	}
	return int32(idx[0]), true
}

// asUint returns the unsigned value of an INTEGER, Counter32, Gauge32,
// TimeTicks, Counter64 or Uinteger32 varbind.
func asUint(v *varbind) (uint64, bool) {
	switch v.typ {
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		return v.num, true
	case gosnmp.Integer:
		if int64(v.num) < 0 {
			return 0, false
		}
		return v.num, true
	}
	return 0, false
}

// asInt returns the value of an INTEGER varbind.
func asInt(v *varbind) (int, bool) {
	if v.typ != gosnmp.Integer {
		return 0, false
	}
	return int(int64(v.num)), true
}

// asBytes returns the value of an OCTET STRING varbind. The bytes alias
// the answer's buffer: copy what is kept.
func asBytes(v *varbind) ([]byte, bool) {
	if v.typ != gosnmp.OctetString {
		return nil, false
	}
	return v.val, true
}

// textOf returns an OCTET STRING as valid UTF-8 (devices send Latin-1 and
// garbage, and label values must be UTF-8), reusing prev when the value is
// the same text.
func textOf(v *varbind, prev string) (string, bool) {
	b, ok := asBytes(v)
	if !ok {
		return "", false
	}
	return text(prev, b), true
}

func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendPrintable(nil, b))
}

// appendPrintable appends b, read as Latin-1 when it is not UTF-8.
func appendPrintable(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for _, c := range b {
		dst = utf8.AppendRune(dst, rune(c))
	}
	return dst
}

// text returns b as printable text (printable), reusing prev when it is
// the same text: devices send the same names poll after poll, and a poll
// then allocates none of them.
func text(prev string, b []byte) string {
	if string(b) == prev {
		return prev
	}
	return printable(b)
}

// sameOrNew returns prev when b holds the same bytes, else a new string.
func sameOrNew(prev string, b []byte) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// asOIDText returns an OBJECT IDENTIFIER value in dotted form, reusing
// prev when it is the same.
func asOIDText(v *varbind, prev string) (string, bool) {
	if v.typ != gosnmp.ObjectIdentifier {
		return "", false
	}
	var arcs [32]uint32
	o, err := ber.AppendOIDArcs(arcs[:0], v.val)
	if err != nil {
		return "", false
	}
	var buf [128]byte
	return sameOrNew(prev, appendOIDText(buf[:0], o)), true
}

// isException reports the SNMPv2 exceptions that end a column.
func isException(v *varbind) bool {
	switch v.typ {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return true
	}
	return false
}
