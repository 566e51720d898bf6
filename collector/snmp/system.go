package snmp

import (
	"errors"
	"fmt"
	"time"

	"github.com/gosnmp/gosnmp"
)

// SNMPv2-MIB system group (RFC 3418), read with one Get.
const (
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0" // SNMPv2-MIB::sysDescr.0, DisplayString
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0" // SNMPv2-MIB::sysObjectID.0, OBJECT IDENTIFIER
	oidSysUpTime   = ".1.3.6.1.2.1.1.3.0" // SNMPv2-MIB::sysUpTime.0, TimeTicks
	oidSysName     = ".1.3.6.1.2.1.1.5.0" // SNMPv2-MIB::sysName.0, DisplayString
)

// errNoSystem says the agent answered without any usable system object.
var errNoSystem = errors.New("the agent answered but returned none of sysDescr, sysObjectID, sysUpTime, sysName: check its view (VACM) grants SNMPv2-MIB::system")

// decodeSystem fills sys from the answer to a Get of the four system OIDs.
// Values of the wrong type are skipped and reported; at least one object
// must be present for the device to count as up.
func decodeSystem(vars []gosnmp.SnmpPDU, sys *System) (bad int, err error) {
	got := 0
	for i := range vars {
		v := &vars[i]
		if isException(v) || v.Type == gosnmp.Null {
			continue
		}
		ok := false
		switch v.Name {
		case oidSysDescr:
			sys.Descr, ok = asText(v)
		case oidSysName:
			sys.Name, ok = asText(v)
		case oidSysObjectID:
			if v.Type == gosnmp.ObjectIdentifier {
				sys.ObjectID, ok = v.Value.(string)
			}
		case oidSysUpTime:
			var t uint64
			if v.Type == gosnmp.TimeTicks {
				t, ok = asUint(v)
			}
			sys.Uptime = time.Duration(t) * 10 * time.Millisecond
		default:
			return bad, fmt.Errorf("system group: unexpected OID %s in the answer", v.Name)
		}
		if ok {
			got++
		} else {
			bad++
		}
	}
	if got == 0 {
		return bad, errNoSystem
	}
	return bad, nil
}
