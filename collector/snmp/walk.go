package snmp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gosnmp/gosnmp"
)

// visitFunc receives one varbind of column col (an index into its table's
// columns) with its instance index. It decodes bytes from the network and
// may panic on hostile input: walk recovers.
type visitFunc func(col int, index []uint32, v *varbind)

// tableWalk is one table of a walk: its columns, its decoder, its row hint
// (DeviceState.rowHint) and, after the walk, what was contained in it.
type tableWalk struct {
	name  string
	slot  int // tableSlot*
	cols  [][]uint32
	visit visitFunc
	hint  *int

	first    int // position of cols[0] in the walk's column list
	problems []Problem
	// failed says the device stopped answering before this table was read
	// to its end: the table counts as not walked.
	failed bool
}

// done reports whether every column of tw has left its subtree.
func (tw *tableWalk) done(s *session) bool {
	for c := tw.first; c < tw.first+len(tw.cols); c++ {
		if !s.done[c] {
			return false
		}
	}
	return true
}

// stop ends every column of tw.
func (tw *tableWalk) stop(s *session) {
	for c := tw.first; c < tw.first+len(tw.cols); c++ {
		s.done[c] = true
	}
}

// walk reads the columns of several tables in parallel: each GetBulk asks
// for the next rows of every column still inside its subtree, so tables of
// k columns in all and n rows cost about n/maxRep requests instead of
// k*n/maxRep, and the small tables of a CE (3 interfaces, 1 neighbour, 1
// peer) share one request instead of one each.
//
// Containment, per table: a column stops when it leaves its subtree or
// hits an SNMPv2 exception; an OID that does not increase stops that column
// (ReasonLoop); more than t.MaxRows rows stop the table (ReasonTooBig); an
// error-status stops the table it points at; a timeout halves the device's
// max-repetitions and retries once. Each table's problems are in its
// tableWalk; err is set when the device stopped answering (the rest of the
// poll should not insist), and is charged to the first unfinished table.
//
// Size: each GetBulk asks for no more repetitions than the rows the tables
// had at their last clean walk (tableWalk.hint) still need, plus one to see
// each column's end; a table that grew costs one more request at the full
// size. Without this, a table of 3 rows walked with max-repetitions 25
// decodes 8 times the varbinds it uses.
//
// With sys set, the first GetBulk also carries the system group as
// non-repeaters and decodes it into sys: one request for a small device
// instead of a Get and a GetBulk. If that first request fails, nothing was
// read: walk returns errSystem wrapping the cause, without the timeout's
// halving and retry (a silent device costs retries+1 requests, as the Get
// did); if the agent answers it with an error-status, walk returns
// errSystemRefused and the caller falls back to a Get.
func (p *Poller) walk(ctx context.Context, s *session, tables []*tableWalk, t *Target, st *DeviceState, sys *System) (err error) {
	s.tableOf = s.tableOf[:0]
	s.cols = s.cols[:0]
	for i, tw := range tables {
		tw.first, tw.problems, tw.failed = len(s.cols), tw.problems[:0], false
		s.cols = append(s.cols, tw.cols...)
		for range tw.cols {
			s.tableOf = append(s.tableOf, i)
		}
	}
	n := len(s.cols)
	for len(s.next) < n {
		s.next = append(s.next, nil)
	}
	s.next = s.next[:n]
	s.nextName = s.nextName[:0]
	for c := range n {
		s.next[c] = append(s.next[c][:0], s.cols[c]...)
		s.nextName = append(s.nextName, "")
	}
	s.done = append(s.done[:0], make([]bool, n)...)
	s.rows = append(s.rows[:0], make([]int, n)...)
	defer func() {
		if errors.Is(err, errSystem) || errors.Is(err, errSystemRefused) {
			return // nothing read: the hints stand
		}
		for _, tw := range tables {
			if tw.failed || len(tw.problems) > 0 {
				*tw.hint = 0
				continue
			}
			most := 0
			for c := tw.first; c < tw.first+len(tw.cols); c++ {
				most = max(most, s.rows[c])
			}
			*tw.hint = most + 1
		}
	}()
	halvedHere := false
	for {
		s.active, s.oids, s.oidNames = s.active[:0], s.oids[:0], s.oidNames[:0]
		nonRep := 0
		if sys != nil {
			s.oids = append(s.oids, s.sysCols...)
			s.oidNames = append(s.oidNames, s.sysNames[len(s.sysOIDs):]...)
			nonRep = len(s.sysCols)
		}
		for c := 0; c < n; c++ {
			if !s.done[c] {
				s.active = append(s.active, c)
				s.oids = append(s.oids, s.next[c])
				s.oidNames = append(s.oidNames, s.nextName[c])
			}
		}
		if len(s.active) == 0 {
			return nil
		}
		res, err := s.request(ctx, t, pduGetBulk, nonRep, bulkSize(s, tables, st), s.oids, s.oidNames)
		if sys != nil {
			if err != nil {
				if isDecodePanic(err) {
					p.decodePanics.Add(1)
				}
				return fmt.Errorf("%w: %w", errSystem, err)
			}
			if res.errStatus != gosnmp.NoError || len(res.vars) < nonRep {
				return errSystemRefused
			}
			s.varbinds += nonRep
			if err := p.decodeSystem(res.vars[:nonRep], sys, true, &st.prevSys); err != nil {
				return fmt.Errorf("%w: %w", errSystem, err)
			}
			res.vars = res.vars[nonRep:]
			sys = nil
		}
		if err != nil {
			reason := classify(err)
			if reason == ReasonMalformed && isDecodePanic(err) {
				p.decodePanics.Add(1)
			}
			if reason == ReasonTimeout && !halvedHere && st.maxRep > 1 && ctx.Err() == nil {
				// Big answers may be what the device chokes on.
				p.halve(t, st)
				halvedHere = true
				continue
			}
			charged := false
			for _, tw := range tables {
				if tw.done(s) {
					continue
				}
				tw.failed = true
				if !charged {
					tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: reason, Detail: err.Error()})
					charged = true
				}
			}
			return err
		}
		if res.errStatus != gosnmp.NoError {
			if res.errStatus == gosnmp.TooBig && st.maxRep > 1 {
				p.halve(t, st)
				continue
			}
			// error-index counts the request's varbinds from 1.
			c := s.active[0]
			if i := res.errIndex - 1 - nonRep; i >= 0 && i < len(s.active) {
				c = s.active[i]
			}
			tw := tables[s.tableOf[c]]
			tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: ReasonOther,
				Detail: fmt.Sprintf("agent answered error-status %s at varbind %d", res.errStatus, res.errIndex)})
			tw.stop(s)
			continue
		}
		s.varbinds += len(res.vars)
		if len(res.vars) == 0 {
			tw := tables[s.tableOf[s.active[0]]]
			tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: ReasonMalformed, Detail: "empty GetBulk answer"})
			tw.stop(s)
			continue
		}
		p.visitAnswer(s, tables, res.vars, t)
	}
}

// errSystem marks a walk whose first request, carrying the system group,
// failed: the device counts as not answering, as when the system Get fails.
var errSystem = errors.New("system group")

// errSystemRefused says the agent answered the first GetBulk with an
// error-status: the system group is then read with a Get.
var errSystemRefused = errors.New("the agent refused the system group as GetBulk non-repeaters")

// bulkSize is the max-repetitions of the next GetBulk: the device's
// current size, or less when every active column's table has a row hint
// and needs fewer rows to reach its end.
func bulkSize(s *session, tables []*tableWalk, st *DeviceState) int {
	size := max(st.maxRep, 1)
	need := 0
	for _, c := range s.active {
		h := *tables[s.tableOf[c]].hint
		if h <= 0 || h-s.rows[c] <= 0 {
			return size // unknown, or the table grew: full size
		}
		need = max(need, h-s.rows[c])
	}
	return min(size, need)
}

// visitAnswer dispatches one GetBulk answer to its columns. A panic while
// decoding stops the table being decoded with ReasonMalformed and is
// counted; the other tables go on with the next request.
func (p *Poller) visitAnswer(s *session, tables []*tableWalk, vars []varbind, t *Target) {
	cur := s.tableOf[s.active[0]] // the table being decoded, for the recover
	defer func() {
		if r := recover(); r != nil {
			p.decodePanics.Add(1)
			tw := tables[cur]
			tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: ReasonMalformed, Detail: fmt.Sprintf("decoder panic (recovered): %v", r)})
			tw.stop(s)
		}
	}()
	// One problem per table per answer: the first loop, or a cut.
	var looped [tableSlots + 1]bool
	k := len(s.active)
	for i := range vars {
		v := &vars[i]
		c := s.active[i%k]
		if s.done[c] {
			continue
		}
		if isException(v) {
			s.done[c] = true
			continue
		}
		ti := s.tableOf[c]
		tw := tables[ti]
		cur = ti
		idx, in := indexUnder(v.oid, s.cols[c])
		if !in {
			s.done[c] = true
			continue
		}
		if slices.Compare(v.oid, s.next[c]) <= 0 {
			s.done[c] = true
			if ti < len(looped) && !looped[ti] {
				looped[ti] = true
				tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: ReasonLoop,
					Detail: fmt.Sprintf("OID %s does not increase after %s: walk of that column stopped", oidText(v.oid), oidText(s.next[c]))})
			}
			continue
		}
		s.next[c] = append(s.next[c][:0], v.oid...)
		s.nextName[c] = v.name
		s.rows[c]++
		if s.rows[c] > t.MaxRows {
			tw.stop(s)
			tw.problems = append(tw.problems, Problem{Table: tw.name, Reason: ReasonTooBig,
				Detail: fmt.Sprintf("more than %d rows: table cut (polling.max_rows)", t.MaxRows)})
			continue
		}
		tw.visit(c-tw.first, idx, v)
	}
}
