package bgp

// interconnect.go judges the partner interconnects BGP can speak for: an
// interconnect whose inventory entry lists the prefixes the partner is
// expected to announce (or names a BGP session) is up for BGP only while
// that session is established and every expected prefix is received in
// the interconnect's VRF (a path whose route distinguisher is one of the
// VRF's). The topology combines this with the attachment it sees over
// SNMP (vigie_interconnect_up). Like the site verdicts, absence is only
// trusted from a converged session, and a session that has not come up
// since vigie started is unknown for RouteSettle, not down.

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// InterconnectState is BGP's verdict on an interconnect, a bounded label set.
type InterconnectState string

// Interconnect states.
const (
	// InterconnectBGPUnknown: no converged session can tell yet.
	InterconnectBGPUnknown InterconnectState = "unknown"
	// InterconnectBGPUp: the session is established and every expected
	// prefix is received in the VRF.
	InterconnectBGPUp InterconnectState = "up"
	// InterconnectSessionDown: the session the interconnect depends on
	// is not established.
	InterconnectSessionDown InterconnectState = "session_down"
	// InterconnectPrefixesMissing: a converged session vouches that some
	// expected prefix is not received in the VRF.
	InterconnectPrefixesMissing InterconnectState = "prefixes_missing"
)

// InterconnectRouting is BGP's verdict on one interconnect, handed to the
// topology through Options.OnInterconnects each time one changes.
type InterconnectRouting struct {
	Interconnect string
	// VRF is the inventory VRF the prefixes are looked for in ("" = the
	// global table: unicast paths).
	VRF   string
	State InterconnectState
	// Peer is the session the verdict depends on (invalid: any converged
	// session that carries the VRF's family).
	Peer netip.Addr
	// Prefixes, Missing and Unknown count the expected prefixes, those a
	// converged session vouches are absent, and those it cannot tell.
	Prefixes, Missing, Unknown int
}

// Detail says what BGP sees of the interconnect, in a sentence.
func (r InterconnectRouting) Detail() string {
	where := "the global table"
	if r.VRF != "" {
		where = "VRF " + r.VRF
	}
	switch r.State {
	case InterconnectSessionDown:
		if !r.Peer.IsValid() {
			return "its BGP session is not established"
		}
		return fmt.Sprintf("BGP session %s is not established", r.Peer)
	case InterconnectPrefixesMissing:
		return fmt.Sprintf("%d of %d expected prefixes not received in %s", r.Missing, r.Prefixes, where)
	case InterconnectBGPUp:
		return fmt.Sprintf("%d expected prefixes received in %s", r.Prefixes, where)
	}
	return fmt.Sprintf("%d of %d expected prefixes not judged yet (no converged session carries %s)", r.Unknown, r.Prefixes, where)
}

// icState is one judged interconnect.
type icState struct {
	id, vrf  string
	rds      []uint64 // the VRF's RDs; {0} for the global table
	fams     [numAFIs]family
	prefixes []netip.Prefix
	peer     int // index in state.peers, -1 for any converged session
	last     InterconnectRouting
}

// newInterconnects indexes the interconnects BGP can judge and tracks
// their expected prefixes (a handful each: no cost per path).
func (s *state) newInterconnects(inv *inventory.Inventory, track func(netip.Prefix) *tracked) {
	if inv == nil {
		return
	}
	for i := range inv.Interconnects {
		ic := &inv.Interconnects[i]
		if len(ic.Prefixes) == 0 && !ic.BGPPeer.IsValid() {
			continue
		}
		x := icState{id: ic.ID, vrf: ic.VRF, peer: -1, prefixes: ic.Prefixes,
			fams: [numAFIs]family{famIPv4, famIPv6}}
		if ic.VRF != "" {
			x.fams = [numAFIs]family{famVPNv4, famVPNv6}
			if v := inv.VRF(ic.VRF); v != nil {
				for _, rd := range v.RDs {
					x.rds = append(x.rds, uint64(rd))
				}
			}
			// A VRF no vrfs: entry names has no RD to match: its
			// prefixes are then never received, which the verdict says.
		} else {
			x.rds = []uint64{0}
		}
		switch {
		case ic.BGPPeer.IsValid():
			if j, ok := s.byAddr[ic.BGPPeer]; ok {
				x.peer = j
			}
		default:
			x.peer = slices.IndexFunc(s.peers, func(p *peerState) bool { return p.device == ic.Device })
		}
		x.last = InterconnectRouting{Interconnect: x.id, VRF: x.vrf, State: InterconnectBGPUnknown,
			Prefixes: len(x.prefixes), Unknown: len(x.prefixes)}
		if x.peer >= 0 {
			x.last.Peer = s.peers[x.peer].cfg.Address
		}
		for _, p := range x.prefixes {
			track(p).ic = true // keeps the prefix's paths, with their RDs
		}
		s.ics = append(s.ics, x)
	}
}

// carries reports whether peer p carries family f.
func (p *peerState) carries(f family) bool {
	return slices.ContainsFunc(families(p.cfg), func(name string) bool { return familyByName[name] == f })
}

// judgeInterconnect derives one interconnect's verdict. started is when
// the monitor first judged, to tell a session still coming up from one
// that is down.
func (s *state) judgeInterconnect(x *icState, now, started time.Time, settle time.Duration) InterconnectRouting {
	r := InterconnectRouting{Interconnect: x.id, VRF: x.vrf, Prefixes: len(x.prefixes)}
	if x.peer >= 0 {
		p := s.peers[x.peer]
		r.Peer = p.cfg.Address
		if !p.established {
			r.Unknown = len(x.prefixes)
			r.State = InterconnectBGPUnknown
			if !p.changed.IsZero() || now.Sub(started) >= settle {
				r.State = InterconnectSessionDown
			}
			return r
		}
	}
	for _, pf := range x.prefixes {
		a := afiOf(pf)
		f := x.fams[a]
		present := false
		if t := s.tracked[pf.Masked()]; t != nil {
			for sp := range t.paths {
				if sp.fam == f && (x.peer < 0 || sp.peer == x.peer) && slices.Contains(x.rds, sp.rd) {
					present = true
					break
				}
			}
		}
		if present {
			continue
		}
		trusted := false
		for j, p := range s.peers {
			if (x.peer < 0 || j == x.peer) && p.carries(f) && p.converged(a, now, settle) {
				trusted = true
				break
			}
		}
		if trusted {
			r.Missing++
		} else {
			r.Unknown++
		}
	}
	switch {
	case r.Missing > 0:
		r.State = InterconnectPrefixesMissing
	case r.Unknown > 0:
		r.State = InterconnectBGPUnknown
	default:
		r.State = InterconnectBGPUp
	}
	return r
}

// icPeriod is how often the interconnects are re-judged when none of
// their prefixes changed: sessions coming and going, and convergence by
// settle time, show within it.
const icPeriod = time.Second

// refreshInterconnects re-judges every interconnect (a few prefixes each)
// when one of their prefixes changed or icPeriod passed, and returns all
// verdicts when one changed, nil otherwise.
func (s *state) refreshInterconnects(now time.Time, settle time.Duration) []InterconnectRouting {
	if len(s.ics) == 0 {
		return nil
	}
	if s.started.IsZero() {
		s.started = now
	} else if !s.rt.icDirty && now.Sub(s.judged) < icPeriod {
		return nil
	}
	s.rt.icDirty, s.judged = false, now
	changed := false
	for i := range s.ics {
		x := &s.ics[i]
		r := s.judgeInterconnect(x, now, s.started, settle)
		if r != x.last {
			x.last, changed = r, true
		}
	}
	if !changed {
		return nil
	}
	return s.interconnectVerdicts()
}

// interconnectVerdicts returns the last verdicts, in inventory order.
func (s *state) interconnectVerdicts() []InterconnectRouting {
	out := make([]InterconnectRouting, len(s.ics))
	for i := range s.ics {
		out[i] = s.ics[i].last
	}
	return out
}
