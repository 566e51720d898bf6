package snmp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gosnmp/gosnmp"
)

// session is one gosnmp client with its own socket, receive buffer, USM
// parameters and decoders, lent to one poll at a time. The Poller owns a
// fixed number of them: memory and file descriptors do not grow with the
// fleet.
type session struct {
	conn *retargetConn
	// gs is the gosnmp client of SNMPv3 polls, nil until the session's
	// first one (openV3); v3 says the device being polled is one.
	gs *gosnmp.GoSNMP
	v3 bool
	// usm is the session's USM parameter block: device values are loaded
	// into it before a v3 poll and saved back after, so that its random
	// salt (initialised once by gosnmp) keeps incrementing across devices.
	usm *gosnmp.UsmSecurityParameters

	requests int
	varbinds int
	// idleSince is when the session was last returned to the pool.
	idleSince time.Time

	// The SNMPv2c exchange (exchange.go): community of the device being
	// polled, last request id, ids of the current request's attempts,
	// datagram buffers, the decoded answer and the arena its OIDs live in.
	community string
	reqID     uint32
	ids       []uint32
	tx, rx    []byte
	resp      response
	arena     []uint32
	ends      []int
	names     []string // OIDs as gosnmp takes them (v3)
	// dec is gosnmp's decoder for v2c answers the lean codec refuses;
	// gosnmpOnly makes it decode every answer (comparison tests).
	dec        *gosnmp.GoSNMP
	gosnmpOnly bool

	sysOIDs  [][]uint32 // sysDescr.0 ... for a Get
	sysCols  [][]uint32 // sysDescr ... for the non-repeaters of a GetBulk
	sysNames []string   // sysOIDs, then sysCols, in dotted form (v3)
	ifCols   [][]uint32
	if32Cols [][]uint32
	lldpCols [][]uint32
	bgpCols  [][]uint32
	cdpCols  [][]uint32
	cbgpCols [][]uint32
	jbgpCols [][]uint32
	manCols  [][]uint32
	// healthCols is every health column (hc* order), healthWalk those of
	// the groups a poll reads.
	healthCols [][]uint32
	healthWalk [][]uint32
	entIdx     []uint32

	// Walk scratch space, reused across polls: per column of the walk
	// (every table's columns, in order) its OID, next OID, table, state.
	cols [][]uint32
	next [][]uint32
	// nextName is next in dotted form when known (v3: the name gosnmp
	// decoded), "" otherwise; oidNames goes with oids.
	nextName []string
	oidNames []string
	tableOf  []int
	done     []bool
	rows     []int
	active   []int
	oids     [][]uint32
	tables   [tableSlots]tableWalk
	walking  []*tableWalk
	// manWalk is lldpRemManAddrTable's walk (TableNeighborAddrs), with a
	// row hint of its own that every poll resets.
	manWalk tableWalk
	manHint int

	ifd   ifDecoder
	lldpd lldpDecoder
	bgpd  bgpDecoder
	cdpd  cdpDecoder
	cbgpd ciscoBGPDecoder
	jbgpd juniperBGPDecoder
	mand  lldpManAddrDecoder
	hd    healthDecoder
}

func newSession() (*session, error) {
	s := &session{
		sysOIDs:  oids(oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysName),
		ifCols:   oids(ifColumnOIDs()...),
		if32Cols: oids(if32ColumnOIDs()...),
		lldpCols: oids(lldpColumnOIDs()...),
		bgpCols:  oids(bgpColumnOIDs()...),
		cdpCols:  oids(cdpColumnOIDs()...),
		cbgpCols: oids(ciscoBGPColumnOIDs()...),
		jbgpCols: oids(juniperBGPColumnOIDs()...),
		manCols:  oids(lldpManAddrColumnOIDs()...),
		rx:       make([]byte, 65536), // the largest UDP datagram
		reqID:    rand.Uint32N(1 << 31),
		dec:      &gosnmp.GoSNMP{Version: gosnmp.Version2c, Context: context.Background()},
	}
	for _, o := range s.sysOIDs {
		s.sysCols = append(s.sysCols, o[:len(o)-1]) // without the instance .0
	}
	for _, o := range append(slices.Clone(s.sysOIDs), s.sysCols...) {
		s.sysNames = append(s.sysNames, oidText(o))
	}
	s.tables[tableSlotInterfaces] = tableWalk{name: "interfaces", cols: s.ifCols, visit: s.ifd.add}
	// The fallback columns' problems count as the interfaces' (one label).
	s.tables[tableSlotIf32] = tableWalk{name: "interfaces", cols: s.if32Cols, visit: s.ifd.add32}
	s.tables[tableSlotLLDP] = tableWalk{name: "lldp", cols: s.lldpCols, visit: s.lldpd.add}
	s.tables[tableSlotBGP] = tableWalk{name: "bgp", cols: s.bgpCols, visit: s.bgpd.add}
	s.tables[tableSlotCDP] = tableWalk{name: "cdp", cols: s.cdpCols, visit: s.cdpd.add}
	// The vendor peer tables' problems count as BGP4-MIB's (one label).
	s.tables[tableSlotCiscoBGP] = tableWalk{name: "bgp", cols: s.cbgpCols, visit: s.cbgpd.add}
	s.tables[tableSlotJuniperBGP] = tableWalk{name: "bgp", cols: s.jbgpCols, visit: s.jbgpd.add}
	s.manWalk = tableWalk{name: "lldp", slot: tableSlotLLDPManAddr, cols: s.manCols, visit: s.mand.add}
	for _, c := range healthColumns {
		s.healthCols = append(s.healthCols, mustOID(c.oid))
	}
	s.tables[tableSlotHealth] = tableWalk{name: "health", visit: s.hd.add}
	conn, err := newRetargetConn()
	if err != nil {
		return nil, fmt.Errorf("snmp: open the session's UDP socket: %w", err)
	}
	s.conn = conn
	return s, nil
}

// openV3 gives the session its gosnmp client, the first time it polls an
// SNMPv3 device: gosnmp keeps a 64 KiB receive buffer of its own, which
// sessions that only ever poll v2c (most of them: the pool lends v3 polls
// the sessions that have one) do without.
func (s *session) openV3() error {
	if s.gs != nil {
		return nil
	}
	usm := &gosnmp.UsmSecurityParameters{
		UserName: "vigie-init", AuthenticationProtocol: gosnmp.SHA, AuthenticationPassphrase: "vigie-init",
		PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: "vigie-init",
	}
	// Connect once, as v3, so that gosnmp allocates its receive buffer,
	// draws random request/message ids and initialises the USM salt. The
	// connected socket it dials (nothing is sent) is then replaced by the
	// session's retargetable one.
	gs := &gosnmp.GoSNMP{
		Target: "127.0.0.1", Port: 9, Version: gosnmp.Version3, Timeout: time.Second,
		SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv, SecurityParameters: usm,
		MaxOids: gosnmp.MaxOids, Context: context.Background(),
	}
	if err := gs.Connect(); err != nil {
		return fmt.Errorf("snmp: initialise a gosnmp session: %w", err)
	}
	_ = gs.Conn.Close()
	gs.Conn = s.conn
	gs.OnSent = func(*gosnmp.GoSNMP) { s.requests++ }
	s.gs, s.usm = gs, usm
	return nil
}

func (s *session) close() error { return s.conn.Close() }

// oids parses OID constants.
func oids(dotted ...string) [][]uint32 {
	out := make([][]uint32, len(dotted))
	for i, d := range dotted {
		out[i] = mustOID(d)
	}
	return out
}

// begin points the session at t, loading st's v3 state.
func (s *session) begin(ctx context.Context, t *Target, st *DeviceState) {
	s.requests, s.varbinds = 0, 0
	s.conn.setRemote(t.Addr)
	s.v3 = t.Version == "3"
	if !s.v3 {
		// v2c does not go through gosnmp (exchange.go).
		s.community = t.Community.Value()
		return
	}
	// Poll gave the session its gosnmp client (openV3).
	g := s.gs
	g.Context = ctx
	g.Timeout = t.Timeout
	g.Retries = t.Retries
	g.ExponentialTimeout = false
	g.Version = gosnmp.Version3
	g.Community = ""
	g.SecurityModel = gosnmp.UserSecurityModel
	g.MsgFlags = gosnmp.AuthPriv | gosnmp.Reportable
	if t.PrivProtocol == gosnmp.NoPriv {
		g.MsgFlags = gosnmp.AuthNoPriv | gosnmp.Reportable
	}
	if st.usm == nil {
		st.usm = &usmState{}
	}
	dev := st.usm
	auth, priv := t.AuthPassword.Value(), t.PrivPassword.Value()
	if dev.keyAuthPass != auth || dev.keyPrivPass != priv {
		// New or changed credentials: localise again (once).
		dev.authKey, dev.privKey = nil, nil
		dev.keyAuthPass, dev.keyPrivPass = auth, priv
	}
	u := s.usm
	u.UserName = t.User
	u.AuthenticationProtocol = t.AuthProtocol
	u.PrivacyProtocol = t.PrivProtocol
	u.AuthenticationPassphrase = auth
	u.PrivacyPassphrase = priv
	u.AuthoritativeEngineID = dev.engineID
	u.AuthoritativeEngineBoots = dev.engineBoots
	// Advance the agent's clock by the time elapsed since it was learnt,
	// as RFC 3414 section 2.3 asks, so that a device polled every few
	// minutes stays inside the 150 s window without a resync round trip.
	u.AuthoritativeEngineTime = dev.engineTime
	if dev.engineID != "" && !dev.engineAt.IsZero() {
		u.AuthoritativeEngineTime += uint32(time.Since(dev.engineAt) / time.Second)
	}
	u.SecretKey, u.PrivacyKey = dev.authKey, dev.privKey
	if dev.engineID != "" && (u.SecretKey == nil || (t.PrivProtocol != gosnmp.NoPriv && u.PrivacyKey == nil)) {
		// gosnmp would otherwise localise the keys on every request's copy.
		if a, p, err := localKeys(t.AuthProtocol, auth, t.PrivProtocol, priv, dev.engineID); err == nil {
			u.SecretKey, u.PrivacyKey = a, p
		}
	}
	g.SecurityParameters = u
	g.ContextEngineID = dev.contextEngineID
}

// end saves what the poll learnt about the device's engine.
func (s *session) end(t *Target, st *DeviceState) {
	if t.Version != "3" {
		s.community = ""
		return
	}
	u, dev := s.usm, st.usm
	if u.AuthoritativeEngineID != dev.engineID || u.AuthoritativeEngineTime != dev.engineTime || u.AuthoritativeEngineBoots != dev.engineBoots {
		dev.engineAt = time.Now()
	}
	dev.engineID = u.AuthoritativeEngineID
	dev.engineBoots = u.AuthoritativeEngineBoots
	dev.engineTime = u.AuthoritativeEngineTime
	dev.authKey, dev.privKey = u.SecretKey, u.PrivacyKey
	dev.contextEngineID = s.gs.ContextEngineID
	// Do not leave one device's secrets in the shared block.
	u.AuthenticationPassphrase, u.PrivacyPassphrase = "", ""
	u.SecretKey, u.PrivacyKey = nil, nil
}
