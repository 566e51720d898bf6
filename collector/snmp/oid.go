package snmp

// OID helpers. gosnmp names variables with dotted strings (".1.3.6.1...");
// these compare and split them without allocating, because they run once
// per decoded varbind.

import (
	"strconv"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// compareOID compares two dotted OIDs sub-identifier by sub-identifier, as
// SNMP orders them (a prefix sorts first). A leading dot is optional.
func compareOID(a, b string) int {
	i, j := 0, 0
	for {
		if i < len(a) && a[i] == '.' {
			i++
		}
		if j < len(b) && b[j] == '.' {
			j++
		}
		switch {
		case i >= len(a) && j >= len(b):
			return 0
		case i >= len(a):
			return -1
		case j >= len(b):
			return 1
		}
		var x, y uint64
		for ; i < len(a) && a[i] != '.'; i++ {
			x = x*10 + uint64(a[i]-'0')
		}
		for ; j < len(b) && b[j] != '.'; j++ {
			y = y*10 + uint64(b[j]-'0')
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
}

// indexUnder returns the instance part of oid below the column prefix
// ("1.2" for prefix ".1.3.6" and oid ".1.3.6.1.2"), and whether oid is
// strictly inside the prefix's subtree.
func indexUnder(oid, prefix string) (string, bool) {
	if len(oid) <= len(prefix)+1 || oid[:len(prefix)] != prefix || oid[len(prefix)] != '.' {
		return "", false
	}
	return oid[len(prefix)+1:], true
}

// parseIndex32 parses a single-sub-identifier index (ifIndex, lldpLocPortNum).
func parseIndex32(s string) (int32, bool) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// asUint returns the unsigned value of an INTEGER, Counter32, Gauge32,
// TimeTicks, Counter64 or Uinteger32 varbind.
func asUint(pdu *gosnmp.SnmpPDU) (uint64, bool) {
	switch v := pdu.Value.(type) {
	case uint:
		return uint64(v), true
	case uint32:
		return uint64(v), true
	case uint64:
		return v, true
	case int:
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	return 0, false
}

// asInt returns the value of an INTEGER varbind.
func asInt(pdu *gosnmp.SnmpPDU) (int, bool) {
	if pdu.Type != gosnmp.Integer {
		return 0, false
	}
	v, ok := pdu.Value.(int)
	return v, ok
}

// asBytes returns the value of an OCTET STRING varbind.
func asBytes(pdu *gosnmp.SnmpPDU) ([]byte, bool) {
	if pdu.Type != gosnmp.OctetString {
		return nil, false
	}
	b, ok := pdu.Value.([]byte)
	return b, ok
}

// asText returns an OCTET STRING as valid UTF-8: devices send Latin-1 and
// garbage, and label values must be UTF-8.
func asText(pdu *gosnmp.SnmpPDU) (string, bool) {
	b, ok := asBytes(pdu)
	if !ok {
		return "", false
	}
	return printable(b), true
}

func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, 0, len(b))
	for _, c := range b {
		r = append(r, rune(c))
	}
	return string(r)
}

// isException reports the SNMPv2 exceptions that end a column.
func isException(pdu *gosnmp.SnmpPDU) bool {
	switch pdu.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return true
	}
	return false
}
