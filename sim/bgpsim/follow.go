package bgpsim

// follow.go makes the speakers announce what the simulated network can
// still route (snmpagent.Routing): the SNMP simulator works out, after
// every link or power change, which internet edges still have an uplink,
// which sites each route reflector still reaches and which routers are
// off; Follow withdraws and announces the difference. This state is kept
// apart from the HTTP controls (WithdrawDefault, WithdrawSite, Stop), so
// that restoring a cut never re-announces what a control withdrew.

import (
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/vigie-rie/vigie/sim/snmpagent"
)

var _ snmpagent.Routing = (*Fleet)(nil)

// visibleLocked reports whether sp announces r now; f.mu is held.
func (f *Fleet) visibleLocked(sp *speaker, r route) bool {
	if r.isDefault && sp.defaultWithdrawn {
		return false
	}
	if len(r.asPath) > 0 && sp.internetLost {
		return false // the default route and canaries come from the internet
	}
	if r.vrf != 0 && sp.vrfWithdrawn[r.vrf] {
		return false
	}
	return r.site < 0 || (!f.siteWithdrawn[r.site] && !sp.unreached[r.site])
}

// Follow brings every speaker in line with st and says what changed.
func (f *Fleet) Follow(st snmpagent.RoutingState) snmpagent.RoutingChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ch snmpagent.RoutingChange
	withdrawnSites, announcedSites := map[int]bool{}, map[int]bool{}
	for _, sp := range f.speakers {
		// What sp announces before and after, by route: only the routes
		// whose visibility changes are sent.
		lost, hasInternet := st.Internet[sp.device]
		lost = hasInternet && !lost
		unreached := map[int]bool{}
		if sp.kind == KindReflector {
			for _, id := range st.Unreached[sp.device] {
				if i, ok := f.sites[id]; ok {
					unreached[i] = true
				}
			}
		}
		if sp.kind != KindInternetEdge {
			lost = false
		}
		var gone, back []route
		if lost != sp.internetLost || len(unreached) != 0 || len(sp.unreached) != 0 {
			before := make([]bool, len(sp.routes))
			for i, r := range sp.routes {
				before[i] = f.visibleLocked(sp, r)
			}
			sp.internetLost, sp.unreached = lost, unreached
			for i, r := range sp.routes {
				switch now := f.visibleLocked(sp, r); {
				case before[i] && !now:
					gone = append(gone, r)
					count(&ch.Withdrawn, r, withdrawnSites)
				case !before[i] && now:
					back = append(back, r)
					count(&ch.Announced, r, announcedSites)
				}
			}
		}
		f.broadcastLocked(sp, gone, true)
		f.broadcastLocked(sp, back, false)
		switch off := st.Off[sp.device]; {
		case off && !sp.off:
			sp.off = true
			if sp.ln != nil {
				f.stopLocked(sp, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN)
				ch.Withdrawn.Speakers++
			}
		case !off && sp.off:
			sp.off = false
			if !sp.stopped && !f.sessionsClosed {
				if err := f.startLocked(sp); err != nil {
					f.log.Warn("BGP speaker powered on but cannot listen", "device", sp.device, "err", err)
				} else {
					ch.Announced.Speakers++
				}
			}
		}
	}
	ch.Withdrawn.Sites, ch.Announced.Sites = len(withdrawnSites), len(announcedSites)
	if ch != (snmpagent.RoutingChange{}) {
		f.log.Info("BGP follows the simulated network", "withdrawn", ch.Withdrawn, "announced", ch.Announced)
	}
	return ch
}

func count(c *snmpagent.RouteCount, r route, sites map[int]bool) {
	switch {
	case r.isDefault:
		c.DefaultRoutes++
	case len(r.asPath) > 0:
		c.Canaries++
	case r.site >= 0:
		c.SitePaths++
		sites[r.site] = true
	}
}

// AgentSessions is Sessions in the SNMP simulator's terms, for
// snmpagent.Options.BGPSessions: each speaker's BGP4-MIB shows its
// sessions with vigie, as a real router's does.
func (f *Fleet) AgentSessions(device string) []snmpagent.BGPSession {
	ss := f.Sessions(device)
	if len(ss) == 0 {
		return nil
	}
	out := make([]snmpagent.BGPSession, len(ss))
	for i, s := range ss {
		out[i] = snmpagent.BGPSession{Local: s.Local, Remote: s.Remote, RemoteAS: s.RemoteAS, RemoteID: s.RemoteID, Since: s.Since}
	}
	return out
}
