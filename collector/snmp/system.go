package snmp

import (
	"errors"
	"fmt"
	"slices"
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

// The system OIDs as sub-identifiers, in the order of a session's sysOIDs.
var (
	sysDescrOID    = mustOID(oidSysDescr)
	sysObjectIDOID = mustOID(oidSysObjectID)
	sysUpTimeOID   = mustOID(oidSysUpTime)
	sysNameOID     = mustOID(oidSysName)
	sysOIDOrder    = [...][]uint32{sysDescrOID, sysObjectIDOID, sysUpTimeOID, sysNameOID}
)

// decodeSystem fills sys from the answer to a Get of the four system OIDs,
// or (next set) from the non-repeaters of a GetBulk that asked for the
// objects after sysDescr, sysObjectID, sysUpTime and sysName: there, an
// answer other than the object's instance .0 means the object is absent.
// Values of the wrong type are skipped and reported; at least one object
// must be present for the device to count as up.
//
// prev is the previous poll's system group: unchanged strings are reused.
func decodeSystem(vars []varbind, sys *System, next bool, prev *System) (bad int, err error) {
	got := 0
	for i := range vars {
		v := &vars[i]
		if isException(v) || v.typ == gosnmp.Null {
			continue
		}
		if next && (i >= len(sysOIDOrder) || !slices.Equal(v.oid, sysOIDOrder[i])) {
			continue
		}
		ok := false
		switch {
		case slices.Equal(v.oid, sysDescrOID):
			sys.Descr, ok = textOf(v, prev.Descr)
		case slices.Equal(v.oid, sysNameOID):
			sys.Name, ok = textOf(v, prev.Name)
		case slices.Equal(v.oid, sysObjectIDOID):
			sys.ObjectID, ok = asOIDText(v, prev.ObjectID)
		case slices.Equal(v.oid, sysUpTimeOID):
			var t uint64
			if v.typ == gosnmp.TimeTicks {
				t, ok = asUint(v)
			}
			sys.Uptime = time.Duration(t) * 10 * time.Millisecond
		default:
			return bad, fmt.Errorf("system group: unexpected OID %s in the answer", oidText(v.oid))
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
