// Package snmp polls one device over SNMP (gosnmp underneath) and returns
// typed observations: the system group, IF-MIB interfaces, LLDP neighbours
// and BGP peers (BGP4-MIB, and Cisco's and Juniper's own peer tables). It
// knows the MIBs; the fleet scheduler in collector/ decides when to poll,
// and topology/ decides what the observations mean.
package snmp

import (
	"net/netip"
	"time"
)

// Poll is the result of one poll of one device. Tables that were not polled
// or that failed are nil; Err says why the poll as a whole failed, and
// Problems lists per-table faults that were contained (a table cut at
// MaxRows, an OID loop) while the rest of the poll succeeded.
type Poll struct {
	Device string
	Start  time.Time
	End    time.Time
	// Err is nil when the device answered the system group.
	Err error
	// Reason classifies Err (and Problems) for metrics: a small fixed set.
	Reason Reason

	System     System
	Interfaces []Interface
	LLDP       []LLDPNeighbor
	// LLDPManAddrs is lldpRemManAddrTable, the neighbours' management
	// addresses, read only with TableNeighborAddrs (discovery); nil
	// otherwise.
	LLDPManAddrs []LLDPManAddr
	// CDP is the CISCO-CDP-MIB neighbour cache, read with the LLDP table
	// (tables: lldp means the neighbours); nil when not read this poll,
	// as for a device that never showed CDP (cdpRetryPolls).
	CDP      []CDPNeighbor
	BGPPeers []BGPPeer
	// BGPPrefixes are the prefixes accepted from the BGPPeers per address
	// family, sorted by peer, AFI and SAFI: only from the vendor peer
	// tables (BGP4-MIB has no such column).
	BGPPrefixes []BGPPrefixes
	// Health is the device's CPU, memory and sensors (tables: health);
	// nil when not read this poll. A device that has none of its MIBs
	// gives an empty Health at each probe and nil between.
	Health   *Health
	Problems []Problem
	// Discontinuities lists the interfaces whose counters jumped in this
	// poll in a way neither traffic nor a reboot explains (cleared by an
	// operator, a line card swapped): nothing was added to their totals.
	Discontinuities []CounterDiscontinuity
	// Varbinds counts the variable bindings decoded in this poll.
	Varbinds int
	// Requests counts the SNMP requests sent (retries included).
	Requests int
}

// Reason is a bounded label value for errors: never an error string.
type Reason string

// Error reasons. Metrics use them as label values.
const (
	ReasonNone      Reason = ""
	ReasonTimeout   Reason = "timeout"
	ReasonAuth      Reason = "auth"      // SNMPv3 unknown user, wrong keys, not in time window
	ReasonMalformed Reason = "malformed" // undecodable or inconsistent response
	ReasonLoop      Reason = "loop"      // non-increasing OIDs in a walk
	ReasonTooBig    Reason = "too_many_rows"
	ReasonRefused   Reason = "refused" // ICMP port unreachable, network error
	ReasonOverrun   Reason = "overrun" // the previous poll was still running
	ReasonOther     Reason = "other"
)

// Problem is a contained fault in one table of a poll.
type Problem struct {
	Table  string // "interfaces", "lldp", "cdp", "bgp", "health"
	Reason Reason
	Detail string
}

// System is the SNMPv2-MIB system group.
type System struct {
	Name     string // sysName.0
	Descr    string // sysDescr.0
	ObjectID string // sysObjectID.0
	// Uptime is sysUpTime.0 (TimeTicks, hundredths of a second). A decrease
	// between two polls means the device rebooted and its counters reset.
	Uptime time.Duration
}

// Interface is one row of ifTable joined with ifXTable by ifIndex. Its
// small fields come first, packed in one word: the fleet keeps about
// 100,000 of them (136 bytes each, not 152).
type Interface struct {
	Index int32
	// Has says which of the columns below the device answered for this
	// row: a value whose column is missing is 0 here and must not be
	// reported as a measured 0.
	Has        Columns
	AdminUp    bool   // ifAdminStatus == up(1)
	Name       string // ifName (ifXTable), falls back to ifDescr
	Descr      string // ifDescr
	Alias      string // ifAlias
	OperStatus int    // ifOperStatus: up(1) down(2) testing(3) unknown(4) dormant(5) notPresent(6) lowerLayerDown(7)
	HighSpeed  uint64 // ifHighSpeed, Mbit/s
	// Speed is ifSpeed (bit/s), read only from devices that lack ifHighSpeed
	// on some row (see SpeedBits).
	Speed uint64
	// InOctets and OutOctets are ifHCInOctets and ifHCOutOctets, or the
	// 32-bit ifInOctets and ifOutOctets where the row has no Counter64
	// (ColInOctets32, ColOutOctets32 in Has).
	InOctets    uint64
	OutOctets   uint64
	InErrors    uint64 // ifInErrors (Counter32)
	OutErrors   uint64 // ifOutErrors (Counter32)
	InDiscards  uint64 // ifInDiscards (Counter32)
	OutDiscards uint64 // ifOutDiscards (Counter32)
	// DiscontinuityTime is ifCounterDiscontinuityTime: the sysUpTime at the
	// last discontinuity of the interface's counters (0: none since boot).
	DiscontinuityTime time.Duration
}

// Columns is a set of the IF-MIB value columns of an Interface. What a
// device does not implement is not in the set, so that it is absent from
// /metrics rather than exposed as 0.
type Columns uint16

// The value columns of an Interface.
const (
	ColAdminStatus       Columns = 1 << iota // ifAdminStatus
	ColOperStatus                            // ifOperStatus
	ColHighSpeed                             // ifHighSpeed
	ColInOctets                              // ifHCInOctets
	ColOutOctets                             // ifHCOutOctets
	ColInErrors                              // ifInErrors
	ColOutErrors                             // ifOutErrors
	ColInDiscards                            // ifInDiscards
	ColOutDiscards                           // ifOutDiscards
	ColDiscontinuityTime                     // ifCounterDiscontinuityTime
	// The fallback of devices without the ifXTable columns (RFC 2863's
	// ifTable): ColSpeed is ifSpeed; ColInOctets32 (with ColInOctets) says
	// that InOctets is the Counter32 ifInOctets, which wraps at 2^32.
	ColSpeed
	ColInOctets32
	ColOutOctets32
)

// Contains reports whether every column of x is in c.
func (c Columns) Contains(x Columns) bool { return c&x == x }

// CounterDiscontinuity is one interface whose counters were found
// discontinuous in a poll.
type CounterDiscontinuity struct {
	IfIndex   int32
	Interface string // ifName
	Reason    DiscontinuityReason
	// Counter is the MIB name of the first counter that went down, for
	// DiscontinuityDecrease.
	Counter string
}

// DiscontinuityReason says how a discontinuity was seen: a small fixed set.
type DiscontinuityReason string

// Discontinuity reasons.
const (
	// DiscontinuityTime: ifCounterDiscontinuityTime changed.
	DiscontinuityTime DiscontinuityReason = "discontinuity_time"
	// DiscontinuityDecrease: a counter went down by more than a wrap
	// explains (any decrease of a Counter64).
	DiscontinuityDecrease DiscontinuityReason = "decrease"
)

// SpeedBits returns the interface's speed in bit/s: ifHighSpeed where the
// row has it (so that a device read both ways gives one value), else
// ifSpeed; ok=false when the device gave neither.
func (i *Interface) SpeedBits() (bits uint64, ok bool) {
	switch {
	case i.Has.Contains(ColHighSpeed):
		return i.HighSpeed * 1e6, true
	case i.Has.Contains(ColSpeed):
		return i.Speed, true
	}
	return 0, false
}

// OperUp reports whether ifOperStatus is up(1).
func (i *Interface) OperUp() bool { return i.OperStatus == 1 }

// LLDPNeighbor is one row of LLDP-MIB lldpRemTable.
type LLDPNeighbor struct {
	// LocalPortNum is the lldpRemLocalPortNum index; LocalPort its name
	// (lldpLocPortId/Desc resolved, or the ifName of the same index).
	LocalPortNum int32
	LocalPort    string
	ChassisID    string // lldpRemChassisId, printable (MAC as aa:bb:..)
	PortID       string // lldpRemPortId, printable
	PortDescr    string // lldpRemPortDesc: usually the peer's interface name
	SysName      string // lldpRemSysName: the peer's name
}

// CDPNeighbor is one row of CISCO-CDP-MIB cdpCacheTable.
type CDPNeighbor struct {
	IfIndex   int32  // cdpCacheIfIndex: the local interface
	LocalPort string // its ifName (ifDescr), "" if the interface table lacks it
	// DeviceID is cdpCacheDeviceId: the neighbour's hostname, sometimes
	// with a domain or, on NX-OS, its serial in parentheses (CDPHostname).
	DeviceID string
	Port     string     // cdpCacheDevicePort: the neighbour's interface name
	Address  netip.Addr // cdpCacheAddress, when its type is ip(1) or ipv6(20)
	Platform string     // cdpCachePlatform
}

// BGPPeer is one BGP peer of the device: a row of BGP4-MIB bgpPeerTable,
// or of a vendor's peer table (bgpvendor.go: CISCO-BGP4-MIB cbgpPeer2Table,
// BGP4-V2-MIB-JUNIPER jnxBgpM2PeerTable), which also show IPv6 peers and
// count prefixes per address family. A peer in both is the vendor's row.
type BGPPeer struct {
	Remote                    netip.Addr    // bgpPeerRemoteAddr (index); IPv4 or IPv6 from a vendor table
	Local                     netip.Addr    // bgpPeerLocalAddr
	State                     int           // bgpPeerState: idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6)
	AdminUp                   bool          // bgpPeerAdminStatus == start(2)
	Missing                   BGPColumns    // the columns the device did not answer for this row (see BGPColumns)
	RemoteAS                  uint32        // bgpPeerRemoteAs
	RemoteID                  netip.Addr    // bgpPeerIdentifier
	FSMEstablishedTransitions uint32        // bgpPeerFsmEstablishedTransitions
	FSMEstablishedTime        time.Duration // bgpPeerFsmEstablishedTime
}

// BGPColumns is a set of the value columns of a BGPPeer. BGPPeer.Missing
// lists those the device did not answer for a row, whose values are 0 and
// must not be reported as measured: a set of what is missing rather than
// of what is there, so that a row written by hand (tests, the simulator)
// is complete. (It sits in AdminUp's padding: a BGPPeer stays 104 bytes.)
type BGPColumns uint8

// The value columns of a BGPPeer.
const (
	BGPColState BGPColumns = 1 << iota
	BGPColAdminStatus
	BGPColRemoteAS
	BGPColTransitions
	BGPColEstablishedTime
	bgpColumnsAll = BGPColState | BGPColAdminStatus | BGPColRemoteAS | BGPColTransitions | BGPColEstablishedTime
)

// Has reports whether the device answered every column of c for the row.
func (p *BGPPeer) Has(c BGPColumns) bool { return p.Missing&c == 0 }

// BGPPrefixes is the count of prefixes accepted from a peer in one address
// family (cbgpPeer2AcceptedPrefixes, jnxBgpM2PrefixInPrefixesAccepted).
// They are kept beside the peers (Poll.BGPPrefixes), not in them, so that a
// BGPPeer stays comparable.
type BGPPrefixes struct {
	Remote netip.Addr // the peer's remote address, as in its BGPPeer
	// Family names the AFI/SAFI pair as the families of vigie's own BGP
	// sessions do: "ipv4-unicast", "ipv6-unicast", "l3vpn-ipv4-unicast" ...
	Family   string
	AFI      uint16
	SAFI     uint8
	Accepted uint64
}

// Established reports whether the session is in state established(6).
func (p *BGPPeer) Established() bool { return p.State == 6 }
