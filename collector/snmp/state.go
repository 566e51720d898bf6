package snmp

import (
	"time"
)

// DeviceState is what the poller remembers about one device between polls:
// its SNMPv3 engine and localised keys (so key localisation happens once per
// engine, never per request), the adaptive GetBulk size, the last sysUpTime
// (to see reboots) and vigie's own monotonic interface totals. It is small
// on purpose (a few hundred bytes plus the interfaces) because the fleet
// holds 20,000 of them. One goroutine at a time may use a DeviceState: the
// scheduler never runs two polls of one device at once.
type DeviceState struct {
	// usm is the SNMPv3 state, nil until the device is polled in v3: nine
	// devices in ten of the RIE speak v2c and need none of its 150 bytes.
	usm *usmState

	// maxRep is the current GetBulk max-repetitions (0 = not yet set).
	maxRep int
	// cleanPolls counts polls without a bulk timeout since the last halving.
	cleanPolls int
	// rowHint is, per table (tableSlot*), one more than the rows its
	// longest column had at the last clean walk (0 = unknown). It caps the
	// GetBulk repetitions so that a 3-row table does not make the agent
	// encode, and both sides decode, 25 rows per column of the next tables.
	rowHint [tableSlots]int

	// The last poll's system group, interface names and LLDP neighbours:
	// the next poll reuses their strings when the device sends the same
	// text.
	prevSys  System
	prevIfs  []ifText
	prevLLDP []LLDPNeighbor

	// answered says the last poll got the system group: the next one sends
	// it as non-repeaters of its first GetBulk instead of a Get of its own.
	// (The flags sit together: one word for the three.)
	answered bool
	havePrev bool
	// counting says accumulate ran once (epoch is set).
	counting bool
	// if32 says whether polls read the ifTable fallback columns: not
	// until a complete interface walk told (if32Unknown), then while a
	// row lacks ifHighSpeed or ifHC*Octets (if32Needed).
	if32 if32Mode
	// cdpSeen says a poll showed a CDP neighbour; until then, an empty
	// cache makes the next cdpSkip polls go without the table. cdpAsked
	// says a poll of the device was made: the first one goes without
	// (see cdpRetryPolls).
	cdpSeen, cdpAsked bool
	cdpSkip           uint8
	// health is what the poller knows of the device's health tables.
	health     healthState
	prevUptime time.Duration
	prevAt     time.Time
	reboots    uint64

	// bgpCisco and bgpJuniper say whether the device has CISCO-BGP4-MIB's
	// and BGP4-V2-MIB-JUNIPER's peer tables (bgpvendor.go).
	bgpCisco, bgpJuniper bgpVendorProbe

	// ifs is the interfaces' counters, sorted by ifIndex.
	ifs []ifCounters
	// epoch is the first poll's time: interfaces keep when they were last
	// polled as an offset from it (8 bytes, not a 24-byte time.Time).
	epoch time.Time
	// discontinuities counts interfaces found with discontinuous counters.
	discontinuities uint64
}

// usmState is the SNMPv3 USM of one device, as learnt from its agent.
type usmState struct {
	engineID        string
	engineBoots     uint32
	engineTime      uint32
	engineAt        time.Time // when engineTime was learnt
	contextEngineID string
	authKey         []byte
	privKey         []byte
	// The passwords the keys were localised from: a profile change resets them.
	keyAuthPass, keyPrivPass string
}

// NewDeviceState returns an empty state: the first poll discovers the rest.
func NewDeviceState() *DeviceState { return &DeviceState{} }

// Reboots returns how many reboots (sysUpTime going back) were seen.
func (st *DeviceState) Reboots() uint64 { return st.reboots }

// CounterDiscontinuities returns how many times an interface's counters
// were found discontinuous (cleared, replaced) outside reboots.
func (st *DeviceState) CounterDiscontinuities() uint64 { return st.discontinuities }

// MaxRepetitions returns the GetBulk max-repetitions the next poll will use
// (0 before the first poll).
func (st *DeviceState) MaxRepetitions() int { return st.maxRep }

// EngineID returns the SNMPv3 authoritative engine id learnt ("" for v2c
// or before the first v3 answer).
func (st *DeviceState) EngineID() string {
	if st.usm == nil {
		return ""
	}
	return st.usm.engineID
}

// Totals returns vigie's monotonic totals for the interface with ifIndex.
func (st *DeviceState) Totals(ifIndex int32) (InterfaceTotals, bool) {
	i, ok := st.findCounters(ifIndex)
	if !ok || st.ifs[i].missing > 0 {
		return InterfaceTotals{}, false
	}
	c := &st.ifs[i]
	t := &c.totals
	return InterfaceTotals{InOctets: t[cInOctets], OutOctets: t[cOutOctets], InErrors: t[cInErrors],
		OutErrors: t[cOutErrors], InDiscards: t[cInDiscards], OutDiscards: t[cOutDiscards], Has: c.answered}, true
}

// observeUptime records sysUpTime and reports whether it shows a reboot: a
// decrease that the 32-bit TimeTicks wrap (every 497 days) does not explain.
func (st *DeviceState) observeUptime(up time.Duration, at time.Time) (rebooted bool) {
	if st.havePrev && up < st.prevUptime {
		const wrap = time.Duration(1<<32) * 10 * time.Millisecond
		elapsed := at.Sub(st.prevAt)
		expected := st.prevUptime + elapsed
		// The 32-bit TimeTicks wrap after 497 days: a decrease is a wrap only
		// if the uptime expected by now passed 2^32 ticks and the new value
		// sits near expected-2^32.
		wrapped := expected >= wrap && up <= expected-wrap+elapsed/2+time.Minute
		if !wrapped {
			rebooted = true
			st.reboots++
		}
	}
	st.havePrev, st.prevUptime, st.prevAt = true, up, at
	return rebooted
}

// if32Mode is DeviceState.if32.
type if32Mode uint8

const (
	// if32Unknown: no complete interface walk yet. The first poll does
	// not read the fallback columns: reading them in every device's first
	// poll cost the fleet's first round 3 columns at full max-repetitions
	// for what a few old devices need one poll earlier (BENCHMARKS.md).
	if32Unknown if32Mode = iota
	if32Needed
	if32Skip
)

// Table slots in DeviceState.rowHint.
const (
	tableSlotInterfaces = iota
	// tableSlotIf32 is the ifTable fallback columns (if32ColumnOIDs),
	// walked with the interfaces for devices that lack ifXTable columns.
	tableSlotIf32
	tableSlotLLDP
	tableSlotBGP
	tableSlotCDP
	// The vendor peer tables (bgpvendor.go), read with BGP4-MIB on the
	// devices that have them.
	tableSlotCiscoBGP
	tableSlotJuniperBGP
	// tableSlotHealth is the health tables the device has (health.go).
	tableSlotHealth
	tableSlots
	// tableSlotLLDPManAddr is lldpRemManAddrTable (TableNeighborAddrs). It
	// has no row hint in DeviceState: a crawl polls a device once, and the
	// daemon never reads it.
	tableSlotLLDPManAddr = tableSlots
)
