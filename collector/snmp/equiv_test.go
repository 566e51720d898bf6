package snmp

// The lean v2c reader against gosnmp's decoder, on the same bytes: a relay
// records every request and answer of a series of polls decoded by the lean
// reader, then replays the answers to a poller that decodes everything with
// gosnmp. Identical rows (and identical requests, which depend on what was
// decoded) mean the two decoders agree on what real agents send.

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/internal/snmpdtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// relay stands between a poller and an agent. Recording, it forwards each
// request upstream and keeps the answer; replaying, it answers from what it
// kept, and counts requests it never saw.
type relay struct {
	conn     *net.UDPConn
	addr     netip.AddrPort
	upstream *net.UDPConn

	mu      sync.Mutex
	target  netip.AddrPort // the agent, while recording
	replay  bool
	answers map[string][]byte
	order   [][]byte // answers in the order recorded
	misses  int
}

func startRelay(t *testing.T) *relay {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), upstream: up, answers: map[string][]byte{}}
	done := make(chan struct{})
	go r.serve(done)
	t.Cleanup(func() { _ = c.Close(); _ = up.Close(); <-done })
	return r
}

func (r *relay) serve(done chan struct{}) {
	defer close(done)
	buf, ans := make([]byte, 65536), make([]byte, 65536)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		req := string(buf[:n])
		r.mu.Lock()
		replay, target := r.replay, r.target
		out, seen := r.answers[req]
		if replay && !seen {
			r.misses++
		}
		r.mu.Unlock()
		if !replay {
			if _, err := r.upstream.WriteToUDPAddrPort(buf[:n], target); err != nil {
				continue
			}
			_ = r.upstream.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, _, err := r.upstream.ReadFromUDPAddrPort(ans)
			if err != nil {
				continue
			}
			out = append([]byte(nil), ans[:m]...)
			r.mu.Lock()
			r.answers[req] = out
			r.order = append(r.order, out)
			r.mu.Unlock()
		}
		if out != nil {
			_, _ = r.conn.WriteToUDPAddrPort(out, from)
		}
	}
}

// comparable is what two polls of the same answers must share.
type comparable struct {
	Err                  bool
	System               System
	Interfaces           []Interface
	LLDP                 []LLDPNeighbor
	BGPPeers             []BGPPeer
	Problems             []Problem
	Varbinds, Requests   int
	NextMaxRepetitions   int
	RowHints             [tableSlots]int
	TotalsOfFirstIfRow   InterfaceTotals
	HaveTotalsFirstIfRow bool
}

func snapshot(res *Poll, st *DeviceState) comparable {
	c := comparable{Err: res.Err != nil, System: res.System, Interfaces: res.Interfaces, LLDP: res.LLDP, BGPPeers: res.BGPPeers,
		Problems: res.Problems, Varbinds: res.Varbinds, Requests: res.Requests, NextMaxRepetitions: st.MaxRepetitions(), RowHints: st.rowHint}
	if len(res.Interfaces) > 0 {
		c.TotalsOfFirstIfRow, c.HaveTotalsFirstIfRow = st.Totals(res.Interfaces[0].Index)
	}
	return c
}

// compareDecoders polls t three times through a recording relay with the
// lean reader, replays the answers to a gosnmp-only poller, and compares
// every poll, then every recorded answer varbind by varbind.
func compareDecoders(t *testing.T, tg *Target) {
	t.Helper()
	r := startRelay(t)
	r.mu.Lock()
	r.target = tg.Addr
	r.mu.Unlock()
	via := *tg
	via.Addr = r.addr
	lean, ref := newTestPoller(t, 1), newTestPoller(t, 1)
	ls, rs := lean.all[0], ref.all[0]
	rs.gosnmpOnly = true
	ls.reqID, rs.reqID = 1000, 1000 // identical requests, byte for byte

	const polls = 3 // a first poll, then polls sized by row hints with the system group in the GetBulk
	var want []comparable
	lst := NewDeviceState()
	for i := 0; i < polls; i++ {
		res := lean.Poll(context.Background(), &via, lst)
		if res.Err != nil {
			t.Fatalf("lean poll %d: %v", i, res.Err)
		}
		if len(res.Interfaces) == 0 {
			t.Fatalf("lean poll %d read no interfaces", i)
		}
		want = append(want, snapshot(res, lst))
	}
	r.mu.Lock()
	r.replay = true
	r.mu.Unlock()
	rst := NewDeviceState()
	for i := 0; i < polls; i++ {
		res := ref.Poll(context.Background(), &via, rst)
		got := snapshot(res, rst)
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("poll %d differs:\nlean   %+v\ngosnmp %+v (err %v)", i, want[i], got, res.Err)
		}
	}
	if r.misses > 0 {
		t.Errorf("the gosnmp poller sent %d requests the lean one did not: they decoded different OIDs", r.misses)
	}

	// Varbind by varbind, and the lean reader must have read every answer
	// itself (no fallback to gosnmp).
	var arena []uint32
	var lr response
	varbinds := 0
	for i, msg := range r.order {
		var err error
		if arena, err = decodeResponse(msg, &lr, arena); err != nil {
			t.Fatalf("answer %d: the lean reader refused it: %v", i, err)
		}
		gr, err := rs.decodeGosnmp(msg)
		if err != nil {
			t.Fatalf("answer %d: gosnmp refused it: %v", i, err)
		}
		if lr.requestID != gr.requestID || lr.errStatus != gr.errStatus || lr.errIndex != gr.errIndex || len(lr.vars) != len(gr.vars) {
			t.Fatalf("answer %d: header or length differs: lean %d %v %d %d, gosnmp %d %v %d %d", i,
				lr.requestID, lr.errStatus, lr.errIndex, len(lr.vars), gr.requestID, gr.errStatus, gr.errIndex, len(gr.vars))
		}
		for j := range lr.vars {
			a, b := lr.vars[j], gr.vars[j]
			if b.name != oidText(a.oid) {
				t.Errorf("answer %d varbind %d: gosnmp names %s, the lean reader decoded %s", i, j, b.name, oidText(a.oid))
			}
			b.name = "" // the lean reader names nothing: it never formats OIDs
			if len(a.val) == 0 && len(b.val) == 0 {
				a.val, b.val = nil, nil
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("answer %d varbind %d: lean %+v, gosnmp %+v", i, j, a, b)
			}
		}
		varbinds += len(lr.vars)
	}
	t.Logf("%d answers, %d varbinds decoded identically", len(r.order), varbinds)
}

func TestLeanMatchesGosnmpSnmpd(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	compareDecoders(t, v2Target(a))
}

func TestLeanMatchesGosnmpFake(t *testing.T) {
	f := startFakeAgent(t, healthyMIB())
	compareDecoders(t, fakeTarget(f))
}

// TestLeanMatchesGosnmpSim compares on simulated devices of every kind,
// served as v2c: a CE, an aggregation router, a backbone router.
func TestLeanMatchesGosnmpSim(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 5, Sites: 40})
	picked := map[string]int{}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		kind := string(d.Role)
		if d.Role == inventory.RoleCollection {
			kind += map[bool]string{true: "-ce", false: "-agg"}[d.Site != ""]
		}
		if _, ok := picked[kind]; !ok {
			picked[kind] = i
			d.Profile = sim.ProfileV2
		}
	}
	simtest.Serve(t, inv, snmpagent.Options{Seed: 5, Sockets: 1, Logger: slog.New(slog.DiscardHandler)})
	if len(picked) < 3 {
		t.Fatalf("the simulated fleet has %d kinds of device, want at least 3: %v", len(picked), picked)
	}
	for kind, i := range picked {
		t.Run(kind, func(t *testing.T) {
			d := inv.Devices[i]
			tg, err := NewTarget(&d, inv.Profile(d.Profile), inv.Polling)
			if err != nil {
				t.Fatal(err)
			}
			compareDecoders(t, tg)
		})
	}
}

// TestLeanDecoderArenaGrows: an answer of long OIDs with NULL values has
// more sub-identifiers than half its octets, the arena's first size: the
// arena moves while the message is decoded, and every varbind must still
// carry its own OID, as gosnmp decodes it, whatever arena it starts from.
func TestLeanDecoderArenaGrows(t *testing.T) {
	var vars []gosnmp.SnmpPDU
	for i := range 40 {
		oid := ".1.3.6.1.4.1.99999" + strings.Repeat(".1", 30) + "." + strconv.Itoa(i)
		vars = append(vars, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Null})
	}
	msg := marshalResponse(7, vars)
	for _, start := range [][]uint32{nil, make([]uint32, 0, 8), make([]uint32, 0, len(msg)/2)} {
		var r response
		arena, err := decodeResponse(msg, &r, start)
		if err != nil {
			t.Fatalf("arena of %d: %v", cap(start), err)
		}
		if cap(arena) <= len(msg)/2 {
			t.Errorf("arena of %d: the answer needed more than half its length, but the arena did not grow (%d)", cap(start), cap(arena))
		}
		if len(r.vars) != len(vars) {
			t.Fatalf("arena of %d: %d varbinds, want %d", cap(start), len(r.vars), len(vars))
		}
		for i := range vars {
			if got := oidText(r.vars[i].oid); got != vars[i].Name {
				t.Errorf("arena of %d: varbind %d has OID %s, want %s", cap(start), i, got, vars[i].Name)
			}
		}
	}
}
