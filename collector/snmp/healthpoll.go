package snmp

import (
	"context"
	"fmt"
	"slices"

	"github.com/gosnmp/gosnmp"
)

// How the health tables are read: each device is probed for the five
// groups once (its second poll, at the row sizes the first one learnt,
// as CISCO-CDP-MIB is), then only the groups it showed are walked; the
// others are probed again every healthRetryPolls polls. A device with
// none (most CEs, vigie's simulated fleet) costs one varbind per column
// per probe and nothing between.

// healthState is what the poller remembers of a device's health tables:
// 32 bytes in every DeviceState, the names only for devices with sensors.
type healthState struct {
	present uint8 // bit per hg* group seen with rows at the last probe
	asked   bool  // a poll was made: the first goes without
	skip    uint8 // polls left before the next probe
	namesIn uint8 // polls left before the entity names are read again
	// names is entPhysicalName (else Descr) by entPhysicalIndex, sorted,
	// for the indexes the last poll needed.
	names []entName
}

// entName is one named entity.
type entName struct {
	index uint32
	name  string
}

// planHealth chooses the health columns of this poll into the session's
// health table, and reports whether there are any.
func (s *session) planHealth(st *DeviceState) bool {
	h := &st.health
	if !h.asked {
		h.asked, h.skip = true, 1
	}
	groups := h.present
	probe := h.skip == 0
	if probe {
		groups = 1<<healthGroups - 1
		if h.present == 0 && st.rowHint[tableSlotHealth] == 0 {
			// Expect nothing, so that the probe rides along at the
			// other tables' sizes (see the CDP probe in Poller.poll).
			st.rowHint[tableSlotHealth] = 1
		}
	} else {
		h.skip--
	}
	if groups == 0 {
		return false
	}
	s.healthWalk, s.hd.cols = s.healthWalk[:0], s.hd.cols[:0]
	for c, col := range healthColumns {
		if groups&(1<<col.group) != 0 {
			s.healthWalk = append(s.healthWalk, s.healthCols[c])
			s.hd.cols = append(s.hd.cols, uint8(c))
		}
	}
	s.tables[tableSlotHealth].cols = s.healthWalk
	return true
}

// finishHealth turns the walked health tables into a Health, naming the
// sensors and CPUs with a Get of entPhysicalName and entPhysicalDescr
// where the names are not known, and records which groups the device has.
func (p *Poller) finishHealth(ctx context.Context, s *session, t *Target, st *DeviceState, w *tableWalk, res *Poll) *Health {
	h := &st.health
	if s.hd.bad > 0 {
		res.Problems = append(res.Problems, Problem{Table: "health", Reason: ReasonMalformed,
			Detail: fmt.Sprintf("%d values of the wrong type or index skipped", s.hd.bad)})
	}
	probe := len(s.healthWalk) == len(s.healthCols)
	if probe && len(w.problems) == 0 {
		h.present = s.hd.present()
		h.skip = healthRetryPolls
	}
	s.entIdx = s.hd.physicalIndexes(s.entIdx[:0])
	slices.Sort(s.entIdx)
	s.entIdx = slices.Compact(s.entIdx)
	if len(s.entIdx) > t.MaxRows {
		s.entIdx = s.entIdx[:t.MaxRows]
	}
	if h.namesIn > 0 {
		h.namesIn--
	}
	if len(s.entIdx) == 0 {
		h.names = nil
	} else if h.namesIn == 0 || !namesCover(h.names, s.entIdx) {
		if err := p.readNames(ctx, s, t, h); err != nil {
			res.Problems = append(res.Problems, Problem{Table: "health", Reason: classify(err),
				Detail: "entPhysicalName: " + err.Error()})
		} else {
			h.namesIn = healthNamesPolls
		}
	}
	return s.hd.finish(func(idx uint32) string {
		if i, ok := slices.BinarySearchFunc(h.names, idx, func(e entName, x uint32) int { return cmpU32(e.index, x) }); ok {
			return h.names[i].name
		}
		return ""
	})
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// namesCover reports whether names has every index of idx (both sorted).
func namesCover(names []entName, idx []uint32) bool {
	i := 0
	for _, x := range idx {
		for i < len(names) && names[i].index < x {
			i++
		}
		if i == len(names) || names[i].index != x {
			return false
		}
	}
	return true
}

// namesPerGet is how many entities one Get names (two varbinds each).
const namesPerGet = 16

// readNames reads entPhysicalName and entPhysicalDescr of s.entIdx into
// h.names, replacing them. On an error h.names is left as it was.
func (p *Poller) readNames(ctx context.Context, s *session, t *Target, h *healthState) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.decodePanics.Add(1)
			err = fmt.Errorf("%w: entPhysicalName: %v", errDecodePanic, r)
		}
	}()
	names := make([]entName, 0, len(s.entIdx))
	name, descr := mustOID(oidEntPhysicalName), mustOID(oidEntPhysicalDescr)
	for start := 0; start < len(s.entIdx); start += namesPerGet {
		batch := s.entIdx[start:min(start+namesPerGet, len(s.entIdx))]
		s.oids = s.oids[:0]
		for _, x := range batch {
			s.oids = append(s.oids, append(slices.Clip(name), x), append(slices.Clip(descr), x))
		}
		r, err := s.request(ctx, t, pduGet, 0, 0, s.oids, nil)
		if err != nil {
			return err
		}
		if r.errStatus != gosnmp.NoError {
			return fmt.Errorf("%w: agent answered error-status %s", ErrMalformed, r.errStatus)
		}
		s.varbinds += len(r.vars)
		for i, x := range batch {
			n := ""
			for _, k := range [2]int{2 * i, 2*i + 1} {
				if n != "" || k >= len(r.vars) || isException(&r.vars[k]) {
					continue
				}
				if txt, ok := textOf(&r.vars[k], ""); ok {
					n = txt
				}
			}
			// An entity without a name is remembered too, so that it is
			// not asked again at every poll.
			names = append(names, entName{index: x, name: bounded(n)})
		}
	}
	h.names = names
	return nil
}

// maxName bounds an entity name in bytes: the MIB says 255, a device may
// send kilobytes, and the name becomes a label value.
const maxName = 255

// bounded cuts s to maxName bytes at a rune boundary.
func bounded(s string) string {
	if len(s) <= maxName {
		return s
	}
	n := maxName
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
