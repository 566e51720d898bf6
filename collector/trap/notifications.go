package trap

import (
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// The notifications vigie understands, by snmpTrapOID (SNMPv2-MIB, and
// RFC 3584 section 3.1 for the SNMPv1 forms). Any other notification from
// a known device is counted as "other" and still triggers a poll: whatever
// a device had to say, its state is worth reading now.
const (
	// SNMPv2-MIB snmpTrapOID.0: the varbind naming the notification.
	oidSnmpTrapOID = "1.3.6.1.6.3.1.1.4.1.0"
	// IF-MIB ifIndex, the varbind of linkDown and linkUp.
	oidIfIndexPrefix = "1.3.6.1.2.1.2.2.1.1."
)

// notificationTypes maps a snmpTrapOID to the type label of
// vigie_snmp_notifications_received_total (the MIB's own name).
var notificationTypes = map[string]string{
	"1.3.6.1.6.3.1.1.5.1": "coldStart",                    // SNMPv2-MIB
	"1.3.6.1.6.3.1.1.5.2": "warmStart",                    // SNMPv2-MIB
	"1.3.6.1.6.3.1.1.5.3": "linkDown",                     // IF-MIB
	"1.3.6.1.6.3.1.1.5.4": "linkUp",                       // IF-MIB
	"1.3.6.1.2.1.15.0.1":  "bgpEstablishedNotification",   // BGP4-MIB (RFC 4273)
	"1.3.6.1.2.1.15.0.2":  "bgpBackwardTransNotification", // BGP4-MIB (RFC 4273)
	// The RFC 1657 forms, still sent by older software (and by the v1
	// form of the RFC 4273 ones, enterprise 1.3.6.1.2.1.15.7).
	"1.3.6.1.2.1.15.7.1": "bgpEstablishedNotification",
	"1.3.6.1.2.1.15.7.2": "bgpBackwardTransNotification",
	// CISCO-BGP4-MIB ciscoBgp4NotifyPrefix (1.3.6.1.4.1.9.9.187.0).
	"1.3.6.1.4.1.9.9.187.0.1": "cbgpFsmStateChange",
	"1.3.6.1.4.1.9.9.187.0.2": "cbgpBackwardTransition",
}

// typeOther is the label of every notification not in notificationTypes.
const typeOther = "other"

// notificationTypeLabels lists every type label, for initialising series.
func notificationTypeLabels() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range notificationTypes {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return append(out, typeOther)
}

// notification is what vigie reads of one decoded notification.
type notification struct {
	trapOID string
	typ     string
	ifIndex int // linkDown/linkUp's ifIndex varbind, 0 if none
}

// classify reads the snmpTrapOID (v2c/v3) or the generic/specific trap
// (v1) of p.
func classify(p *gosnmp.SnmpPacket) notification {
	var n notification
	if p.PDUType == gosnmp.Trap {
		n.trapOID = v1TrapOID(p)
	}
	for _, v := range p.Variables {
		name := strings.TrimPrefix(v.Name, ".")
		switch {
		case name == oidSnmpTrapOID:
			if s, ok := v.Value.(string); ok {
				n.trapOID = strings.TrimPrefix(s, ".")
			}
		case strings.HasPrefix(name, oidIfIndexPrefix) && n.ifIndex == 0:
			if i, ok := v.Value.(int); ok && i > 0 {
				n.ifIndex = i
			}
		}
	}
	n.typ = notificationTypes[n.trapOID]
	if n.typ == "" {
		n.typ = typeOther
	}
	return n
}

// v1TrapOID maps an SNMPv1 trap to its SNMPv2 snmpTrapOID (RFC 3584
// section 3.1): generic traps 0-5 are snmpTraps.(generic+1), enterprise
// specific ones enterprise.0.specific. A v1 trap proxied from a v2
// notification whose next-to-last arc is not 0 (RFC 1657's bgpTraps,
// 1.3.6.1.2.1.15.7.x) carries enterprise = the OID less its last arc
// (section 3.2): that form is tried when the first is unknown.
func v1TrapOID(p *gosnmp.SnmpPacket) string {
	if p.GenericTrap >= 0 && p.GenericTrap < 6 {
		return "1.3.6.1.6.3.1.1.5." + strconv.Itoa(p.GenericTrap+1)
	}
	ent := strings.TrimPrefix(p.Enterprise, ".")
	if ent == "" {
		return ""
	}
	oid := ent + ".0." + strconv.Itoa(p.SpecificTrap)
	if _, ok := notificationTypes[oid]; !ok {
		if alt := ent + "." + strconv.Itoa(p.SpecificTrap); notificationTypes[alt] != "" {
			return alt
		}
	}
	return oid
}
