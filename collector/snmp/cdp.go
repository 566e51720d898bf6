package snmp

import (
	"net/netip"
	"slices"
	"strings"
)

// CISCO-CDP-MIB: the neighbour cache, the only neighbour table of many
// Cisco access routers (they speak CDP, not LLDP). Index
// cdpCacheIfIndex.cdpCacheDeviceIndex.
const (
	oidCdpCacheEntry       = ".1.3.6.1.4.1.9.9.23.1.2.1.1" // CISCO-CDP-MIB::cdpCacheEntry
	oidCdpCacheAddressType = oidCdpCacheEntry + ".3"       // CiscoNetworkProtocol: ip(1) ... ipv6(20)
	oidCdpCacheAddress     = oidCdpCacheEntry + ".4"       // CiscoNetworkAddress, OCTET STRING
	oidCdpCacheDeviceID    = oidCdpCacheEntry + ".6"       // DisplayString: the neighbour's hostname
	oidCdpCacheDevicePort  = oidCdpCacheEntry + ".7"       // DisplayString: the neighbour's interface
	oidCdpCachePlatform    = oidCdpCacheEntry + ".8"       // DisplayString: "cisco ISR4331", ...
)

// Column positions in cdpColumnOIDs.
const (
	cdpColAddressType = iota
	cdpColAddress
	cdpColDeviceID
	cdpColDevicePort
	cdpColPlatform
)

// cdpColumnOIDs returns the CISCO-CDP-MIB columns in cdpCol* order.
func cdpColumnOIDs() []string {
	return []string{oidCdpCacheAddressType, oidCdpCacheAddress, oidCdpCacheDeviceID, oidCdpCacheDevicePort, oidCdpCachePlatform}
}

// CiscoNetworkProtocol values vigie decodes an address of.
const (
	cdpAddressIP   = 1
	cdpAddressIPv6 = 20
)

// cdpRetryPolls is how many polls a device whose CDP cache was read empty
// (no CISCO-CDP-MIB, or CDP off), and that never showed a CDP neighbour,
// goes without the table: its five columns cost a GetBulk of the device's
// as many varbinds each as the request's repetitions, for nothing. A
// device that has shown one is read at every poll. The cache is first
// read in a device's second poll, once the row hints are known.
const cdpRetryPolls = 60

// cdpRow is one neighbour while its columns arrive.
type cdpRow struct {
	n        CDPNeighbor
	addrType int
	addr     []byte
}

// cdpDecoder joins cdpCacheTable columns by index.
type cdpDecoder struct {
	rows  []cdpRow
	byIdx map[[2]uint32]int
	bad   int
}

func (d *cdpDecoder) reset() {
	for i := range d.rows {
		d.rows[i] = cdpRow{addr: d.rows[i].addr[:0]}
	}
	d.rows = d.rows[:0]
	if d.byIdx == nil {
		d.byIdx = make(map[[2]uint32]int, 8)
	}
	clear(d.byIdx)
	d.bad = 0
}

func (d *cdpDecoder) add(col int, index []uint32, v *varbind) {
	if len(index) != 2 || index[0] == 0 || index[0] > 1<<31-1 {
		d.bad++
		return
	}
	key := [2]uint32(index)
	i, seen := d.byIdx[key]
	if !seen {
		i = len(d.rows)
		if i < cap(d.rows) {
			d.rows = d.rows[:i+1]
			d.rows[i].n = CDPNeighbor{IfIndex: int32(index[0])}
			d.rows[i].addrType = 0
		} else {
			d.rows = append(d.rows, cdpRow{n: CDPNeighbor{IfIndex: int32(index[0])}})
		}
		d.byIdx[key] = i
	}
	r := &d.rows[i]
	ok := false
	switch col {
	case cdpColAddressType:
		r.addrType, ok = asInt(v)
	case cdpColAddress:
		var b []byte
		if b, ok = asBytes(v); ok {
			r.addr = append(r.addr[:0], b...)
		}
	case cdpColDeviceID:
		r.n.DeviceID, ok = textOf(v, "")
	case cdpColDevicePort:
		r.n.Port, ok = textOf(v, "")
	case cdpColPlatform:
		r.n.Platform, ok = textOf(v, "")
	}
	if !ok {
		d.bad++
	}
}

// finish returns the neighbours sorted by local ifIndex, named with
// ifNames, and their addresses decoded.
func (d *cdpDecoder) finish(ifNames func(int32) string) []CDPNeighbor {
	out := make([]CDPNeighbor, 0, len(d.rows))
	for i := range d.rows {
		r := &d.rows[i]
		n := r.n
		switch {
		case r.addrType == cdpAddressIP && len(r.addr) == 4:
			n.Address = netip.AddrFrom4([4]byte(r.addr))
		case r.addrType == cdpAddressIPv6 && len(r.addr) == 16:
			n.Address = netip.AddrFrom16([16]byte(r.addr))
		}
		if ifNames != nil {
			n.LocalPort = ifNames(n.IfIndex)
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b CDPNeighbor) int { return int(a.IfIndex) - int(b.IfIndex) })
	return out
}

// CDPHostname is the device name a cdpCacheDeviceId carries: NX-OS adds
// the serial number in parentheses ("sw1(FOX1234ABCD)"); a domain, as in
// "r1.rie.gouv.fr", is left for the name lookup that knows short names.
func CDPHostname(deviceID string) string {
	if i := strings.IndexByte(deviceID, '('); i > 0 && strings.HasSuffix(deviceID, ")") {
		return deviceID[:i]
	}
	return deviceID
}
