package snmp

import (
	"context"
	"fmt"
	"slices"

	"github.com/gosnmp/gosnmp"
)

// visitFunc receives one varbind of column col (an index into the walked
// columns) with its instance index. It decodes bytes from the network and
// may panic on hostile input: walk recovers.
type visitFunc func(col int, index string, v *gosnmp.SnmpPDU)

// walk reads several columns of one table in parallel: each GetBulk asks
// for the next rows of every column still inside its subtree, so a table of
// k columns and n rows costs about n/maxRep requests instead of k*n/maxRep.
//
// Containment: a column stops when it leaves its subtree or hits an SNMPv2
// exception; an OID that does not increase stops that column (ReasonLoop);
// more than t.MaxRows rows stop the whole table (ReasonTooBig); a timeout
// halves the device's max-repetitions and retries once. The returned
// problems describe what was contained; err is set when the device stopped
// answering (the rest of the poll should not insist).
//
// Size: each GetBulk asks for no more repetitions than the rows the table
// had at its last clean walk (*hint, see DeviceState.rowHint) still need,
// plus one to see each column's end; a table that grew costs one more
// request at the full size. Without this, a table of 3 rows walked with
// max-repetitions 25 decodes 8 times the varbinds it uses.
func (p *Poller) walk(ctx context.Context, s *session, table string, cols []string, t *Target, st *DeviceState, hint *int, visit visitFunc) (problems []Problem, err error) {
	defer func() {
		if err == nil && len(problems) == 0 {
			*hint = slices.Max(s.rows) + 1
		} else {
			*hint = 0
		}
	}()
	n := len(cols)
	s.next = append(s.next[:0], cols...)
	s.done = append(s.done[:0], make([]bool, n)...)
	s.rows = append(s.rows[:0], make([]int, n)...)
	halvedHere := false
	for {
		s.active, s.oids = s.active[:0], s.oids[:0]
		for c := 0; c < n; c++ {
			if !s.done[c] {
				s.active = append(s.active, c)
				s.oids = append(s.oids, s.next[c])
			}
		}
		if len(s.active) == 0 {
			return problems, nil
		}
		maxRep := st.maxRep
		if maxRep < 1 {
			maxRep = 1
		}
		if *hint > 0 {
			least := s.rows[s.active[0]]
			for _, c := range s.active[1:] {
				least = min(least, s.rows[c])
			}
			if left := *hint - least; left > 0 && left < maxRep {
				maxRep = left
			}
		}
		res, err := s.gs.GetBulk(s.oids, 0, uint32(maxRep))
		if err != nil {
			err = wrapErr(err)
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
			problems = append(problems, Problem{Table: table, Reason: reason, Detail: err.Error()})
			return problems, err
		}
		if res.Error != gosnmp.NoError {
			if res.Error == gosnmp.TooBig && st.maxRep > 1 {
				p.halve(t, st)
				continue
			}
			problems = append(problems, Problem{Table: table, Reason: ReasonOther,
				Detail: fmt.Sprintf("agent answered error-status %s at varbind %d", res.Error, res.ErrorIndex)})
			return problems, nil
		}
		s.varbinds += len(res.Variables)
		if len(res.Variables) == 0 {
			problems = append(problems, Problem{Table: table, Reason: ReasonMalformed, Detail: "empty GetBulk answer"})
			return problems, nil
		}
		if prob, stop := p.visitAnswer(s, table, cols, res.Variables, t, visit); prob != nil {
			problems = append(problems, *prob)
			if stop {
				return problems, nil
			}
		}
	}
}

// visitAnswer dispatches one GetBulk answer to its columns. A panic while
// decoding stops the table with ReasonMalformed and is counted.
func (p *Poller) visitAnswer(s *session, table string, cols []string, vars []gosnmp.SnmpPDU, t *Target, visit visitFunc) (prob *Problem, stop bool) {
	defer func() {
		if r := recover(); r != nil {
			p.decodePanics.Add(1)
			prob = &Problem{Table: table, Reason: ReasonMalformed, Detail: fmt.Sprintf("decoder panic (recovered): %v", r)}
			stop = true
		}
	}()
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
		idx, in := indexUnder(v.Name, cols[c])
		if !in {
			s.done[c] = true
			continue
		}
		if compareOID(v.Name, s.next[c]) <= 0 {
			s.done[c] = true
			if prob == nil {
				prob = &Problem{Table: table, Reason: ReasonLoop,
					Detail: fmt.Sprintf("OID %s does not increase after %s: walk of that column stopped", v.Name, s.next[c])}
			}
			continue
		}
		s.next[c] = v.Name
		s.rows[c]++
		if s.rows[c] > t.MaxRows {
			for j := range s.done {
				s.done[j] = true
			}
			return &Problem{Table: table, Reason: ReasonTooBig,
				Detail: fmt.Sprintf("more than %d rows: table cut (polling.max_rows)", t.MaxRows)}, true
		}
		visit(c, idx, v)
	}
	return prob, false
}
