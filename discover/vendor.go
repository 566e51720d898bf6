package discover

import (
	"strconv"
	"strings"
)

// vendors names the IANA private enterprise numbers (the arc after
// 1.3.6.1.4.1 of a sysObjectID) of the equipment makers an operator is
// likely to meet, as a hint for the review: the role and the place are
// still the operator's to give.
var vendors = map[uint64]string{
	9:     "Cisco",
	11:    "HP",
	1916:  "Extreme",
	2011:  "Huawei",
	2636:  "Juniper",
	6527:  "Nokia",
	8072:  "net-snmp",
	12356: "Fortinet",
	14988: "MikroTik",
	25506: "H3C",
	30065: "Arista",
	32473: "example enterprise of RFC 5612 (vigie-sim)",
}

// Vendor returns the maker a sysObjectID names, "" when unknown.
func Vendor(objectID string) string {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(objectID, "."), "1.3.6.1.4.1.")
	if !ok {
		return ""
	}
	arc, _, _ := strings.Cut(rest, ".")
	n, err := strconv.ParseUint(arc, 10, 32)
	if err != nil {
		return ""
	}
	return vendors[n]
}
