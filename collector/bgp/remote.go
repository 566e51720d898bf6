package bgp

// remote.go splits the monitor across two machines (docs/distributed.md).
// A regional collector near the route reflectors runs the sessions and
// hands out the monitor's state as a View: a summary (session states,
// counts, verdicts), never the routes themselves. A central's mirror
// (NewMirror) opens no session: it serves the last View it was given, so
// that its vigie_bgp_* series, its verdicts and its events are those of
// the monitor that made it, and /metrics renders both from a View.
//
// A View's peers, sites and PFAI routers are in the order of the
// configuration, which both ends load from the same inventory; the
// fingerprint of that configuration travels with it and a mirror refuses
// a View made from another.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/inventory"
)

// MalformedHandlings is the number of RFC 7606 handlings counted per peer.
const MalformedHandlings = numHandlings

// View is the monitor's state at one time.
type View struct {
	// Fingerprint identifies the configuration (Monitor.Fingerprint).
	Fingerprint uint64
	Time        time.Time
	Peers       []PeerView // configuration order
	PFAIs       []PFAIView // inventory order of the PFAI routers judged
	// Sites are the sites with prefixes, inventory order.
	Sites         []SiteView
	Interconnects []InterconnectRouting
	Held          int
	// Skipped and Undecodable count the paths not accounted.
	Skipped, Undecodable uint64
	// Events are those since the previous View of the same monitor.
	Events []Event
}

// PeerView is one session in a View.
type PeerView struct {
	State                  string
	Established            bool
	Since, Changed         time.Time
	LocalAddress, RemoteID netip.Addr
	Flaps, Trips, Updates  uint64
	Malformed              [MalformedHandlings]uint64
	Prefixes               []FamilyCount
	DefaultRoute           bool
	Canaries               []bool // per configured canary
	LastError              string
}

// Presence values of PFAIView: whether a PFAI router's route is received.
const (
	PresenceUnknown = uint8(presenceUnknown)
	PresenceAbsent  = uint8(presenceAbsent)
	PresencePresent = uint8(presencePresent)
)

// PFAIView is one PFAI router's internet routes in a View.
type PFAIView struct {
	Default  uint8 // Presence*
	Paths    int
	Canaries []uint8 // Presence*, per configured canary
}

// SiteView is one site in a View: its routing verdict (what OnRouting
// was told) and the fewest paths over its prefixes (the metric).
type SiteView struct {
	State            RoutingState
	Missing, Unknown int
	Paths, NextHops  int
	MinPaths         int
}

// Fingerprint identifies what the indexes of a View refer to: the peers,
// sites with their prefixes, canaries, PFAI routers and interconnects of
// the configuration. Two monitors built from the same inventory agree.
func (m *Monitor) Fingerprint() uint64 { return m.fp }

func fingerprint(s *state, localAS uint32) uint64 {
	h := fnv.New64a()
	w := func(xs ...string) {
		for _, x := range xs {
			_, _ = h.Write([]byte(x))
			_, _ = h.Write([]byte{0})
		}
	}
	w(strconv.FormatUint(uint64(localAS), 10))
	for _, p := range s.peers {
		w("peer", p.addr, p.device, fmt.Sprint(families(p.cfg)))
	}
	for _, site := range s.sites {
		w("site", site.id)
		for _, p := range site.prefixes {
			w(p.String())
		}
	}
	for _, c := range s.canaries {
		w("canary", c.String())
	}
	for _, ps := range s.rt.pfais {
		w("pfai", ps.name)
	}
	for _, x := range s.ics {
		w("ic", x.id, x.vrf)
	}
	return h.Sum64()
}

// View returns the monitor's state now, for a collector to publish (a
// mirror returns the View it serves, nil while it has none). Events is
// left empty: the caller gathers them from OnEvent.
func (m *Monitor) View() *View {
	if m.mirror {
		m.mu.RLock()
		defer m.mu.RUnlock()
		return m.remote
	}
	return m.liveView(true)
}

// liveView builds a View of the live state; the verdicts only if full
// (/metrics needs none).
func (m *Monitor) liveView(full bool) *View {
	now := m.opts.Now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.st
	v := &View{Fingerprint: m.fp, Time: now, Held: st.held, Skipped: m.skipped.Load(), Undecodable: m.badPath.Load(),
		Peers: make([]PeerView, len(st.peers)), PFAIs: make([]PFAIView, len(st.rt.pfais)), Sites: make([]SiteView, len(st.sites))}
	for i, p := range st.peers {
		pv := PeerView{State: p.state, Established: p.established, Since: p.since, Changed: p.changed,
			LocalAddress: p.localAddr, RemoteID: p.remoteID, Flaps: p.flaps, Trips: p.trips, Updates: p.updates,
			Malformed: p.malformed, Prefixes: st.familyCounts(p), DefaultRoute: p.defaultPaths > 0,
			Canaries: make([]bool, len(st.canaries)), LastError: m.connErr[i]}
		for j := range st.canaries {
			pv.Canaries[j] = p.canaryPaths[j] > 0
		}
		v.Peers[i] = pv
	}
	for i, ps := range st.rt.pfais {
		pv := PFAIView{Default: uint8(ps.def), Paths: ps.paths, Canaries: make([]uint8, len(ps.canaries))}
		for j, c := range ps.canaries {
			pv.Canaries[j] = uint8(c)
		}
		v.PFAIs[i] = pv
	}
	for i := range st.sites {
		sv := SiteView{MinPaths: st.minPaths(i)}
		if full {
			r := st.rt.last[i]
			sv.State, sv.Missing, sv.Unknown, sv.Paths, sv.NextHops = r.State, r.Missing, r.Unknown, r.Paths, r.NextHops
		}
		v.Sites[i] = sv
	}
	if full {
		v.Interconnects = st.interconnectVerdicts()
	}
	return v
}

// NewMirror returns a monitor that opens no session and serves the Views
// given to Apply (a central whose BGP sessions a regional collector runs).
// Until the first View, and after Unobserve, it has no vigie_bgp_* series
// and every verdict is unknown: BGP is unobserved, not down.
func NewMirror(cfg inventory.BGP, inv *inventory.Inventory, opts Options) (*Monitor, error) {
	m, err := New(cfg, inv, opts)
	if err != nil {
		return nil, err
	}
	m.mirror = true
	return m, nil
}

// Mirror reports whether m is a mirror (NewMirror).
func (m *Monitor) Mirror() bool { return m.mirror }

// errNotMirror is Apply's answer on a monitor that runs its own sessions.
var errNotMirror = errors.New("bgp: Apply on a monitor that runs its own sessions")

// Apply makes v the mirror's state: the site and interconnect verdicts
// that changed go to OnRouting and OnInterconnects, then v's events to
// OnEvent, as the monitor that made v told its own. A View older than the
// one served is ignored (nil error); one of another configuration, or
// inconsistent with it, is refused and changes nothing.
func (m *Monitor) Apply(v *View) error {
	if !m.mirror {
		return errNotMirror
	}
	st := m.st
	switch {
	case v.Fingerprint != m.fp:
		return errors.New("bgp: the collector's BGP configuration differs from this central's (peers, sites' prefixes, canaries, PFAI routers or interconnects): give both the same inventory")
	case len(v.Peers) != len(st.peers) || len(v.PFAIs) != len(st.rt.pfais) || len(v.Sites) != len(st.sites) ||
		len(v.Interconnects) != len(st.ics):
		return fmt.Errorf("bgp: a view of %d peers, %d PFAI routers, %d sites and %d interconnects, this configuration has %d, %d, %d and %d",
			len(v.Peers), len(v.PFAIs), len(v.Sites), len(v.Interconnects), len(st.peers), len(st.rt.pfais), len(st.sites), len(st.ics))
	}
	for i := range v.Peers {
		if len(v.Peers[i].Canaries) != len(st.canaries) {
			return fmt.Errorf("bgp: peer %d of the view has %d canaries, this configuration %d", i, len(v.Peers[i].Canaries), len(st.canaries))
		}
	}
	for i := range v.PFAIs {
		if len(v.PFAIs[i].Canaries) != len(st.canaries) {
			return fmt.Errorf("bgp: PFAI %d of the view has %d canaries, this configuration %d", i, len(v.PFAIs[i].Canaries), len(st.canaries))
		}
	}
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.mu.Lock()
	if m.remote != nil && v.Time.Before(m.remote.Time) {
		m.mu.Unlock()
		return nil
	}
	m.remote = v
	sites := make([]SiteRouting, len(v.Sites))
	for i, sv := range v.Sites {
		sites[i] = SiteRouting{Site: st.sites[i].id, Region: st.sites[i].region, State: sv.State,
			Prefixes: len(st.sites[i].prefixes), Missing: sv.Missing, Unknown: sv.Unknown, Paths: sv.Paths, NextHops: sv.NextHops}
	}
	changed, ics := m.setVerdicts(sites, v.Interconnects)
	m.mu.Unlock()
	m.tell(changed, ics)
	for _, e := range v.Events {
		level := slog.LevelInfo
		switch e.Kind {
		case EventPeerDown, EventDefaultRouteLost, EventPFAIDefaultRouteLost, EventDiscrepancy:
			level = slog.LevelWarn
		case EventMaxPrefix:
			level = slog.LevelError
		}
		m.emit(pending{e, level})
	}
	return nil
}

// Unobserve forgets the mirror's View (its collector is lost): the
// vigie_bgp_* series go and every verdict becomes unknown, so that a lost
// collector raises no site or session alert of its own.
func (m *Monitor) Unobserve() {
	if !m.mirror {
		return
	}
	st := m.st
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.mu.Lock()
	m.remote = nil
	sites := make([]SiteRouting, len(st.sites))
	for i, site := range st.sites {
		sites[i] = SiteRouting{Site: site.id, Region: site.region, State: RoutingUnknown,
			Prefixes: len(site.prefixes), Unknown: len(site.prefixes)}
	}
	ics := st.interconnectVerdicts()
	for i := range ics {
		ics[i].State, ics[i].Missing, ics[i].Unknown = InterconnectBGPUnknown, 0, ics[i].Prefixes
	}
	changed, icsOut := m.setVerdicts(sites, ics)
	m.mu.Unlock()
	m.tell(changed, icsOut)
}

// setVerdicts stores a mirror's verdicts and returns those that changed
// (every interconnect verdict when one did). Called with mu held.
func (m *Monitor) setVerdicts(sites []SiteRouting, ics []InterconnectRouting) ([]SiteRouting, []InterconnectRouting) {
	st := m.st
	var changed []SiteRouting
	for i, r := range sites {
		if r != st.rt.last[i] {
			st.rt.last[i] = r
			changed = append(changed, r)
		}
	}
	icChanged := false
	for i := range st.ics {
		if ics[i] != st.ics[i].last {
			st.ics[i].last, icChanged = ics[i], true
		}
	}
	if !icChanged {
		return changed, nil
	}
	return changed, st.interconnectVerdicts()
}

// tell hands changed verdicts to the callbacks, outside the lock.
func (m *Monitor) tell(sites []SiteRouting, ics []InterconnectRouting) {
	if len(sites) > 0 && m.opts.OnRouting != nil {
		m.opts.OnRouting(sites)
	}
	if ics != nil && m.opts.OnInterconnects != nil {
		m.opts.OnInterconnects(ics)
	}
}

// mirrorPeers is Peers for a mirror: the configured sessions with the
// View's states; none while it has no View.
func (m *Monitor) mirrorPeers() []PeerStatus {
	v := m.remote
	if v == nil {
		return nil
	}
	out := make([]PeerStatus, 0, len(v.Peers))
	for i, pv := range v.Peers {
		p := m.st.peers[i]
		ps := PeerStatus{Address: p.cfg.Address, Device: p.device, Role: p.role, Region: p.region,
			State: pv.State, Established: pv.Established, Since: pv.Since, Changed: pv.Changed,
			LocalAddress: pv.LocalAddress, RemoteID: pv.RemoteID, Flaps: pv.Flaps, MaxPrefixTrips: pv.Trips,
			Updates: pv.Updates, Prefixes: pv.Prefixes, DefaultRoute: pv.DefaultRoute, LastError: pv.LastError}
		for _, n := range pv.Malformed {
			ps.MalformedUpdates += n
		}
		if len(m.st.canaries) > 0 {
			ps.Canaries = make(map[netip.Prefix]bool, len(m.st.canaries))
			for j, c := range m.st.canaries {
				ps.Canaries[c] = pv.Canaries[j]
			}
		}
		out = append(out, ps)
	}
	return out
}

// mirrorPFAIRoutes is PFAIRoutes for a mirror: unknown while it has no View.
func (m *Monitor) mirrorPFAIRoutes() []PFAIRoutes {
	out := make([]PFAIRoutes, 0, len(m.st.rt.pfais))
	for i, ps := range m.st.rt.pfais {
		pr := PFAIRoutes{Device: ps.name, Region: ps.region}
		if v := m.remote; v != nil {
			pv := v.PFAIs[i]
			pr.Known, pr.DefaultRoute, pr.DefaultPaths = pv.Default != PresenceUnknown, pv.Default == PresencePresent, pv.Paths
			for j, c := range m.st.canaries {
				if pv.Canaries[j] == PresenceUnknown {
					continue
				}
				if pr.Canaries == nil {
					pr.Canaries = make(map[netip.Prefix]bool, len(m.st.canaries))
				}
				pr.Canaries[c] = pv.Canaries[j] == PresencePresent
			}
		}
		out = append(out, pr)
	}
	return out
}

// runMirror is Run for a mirror: nothing to run until ctx ends.
func (m *Monitor) runMirror(ctx context.Context) error {
	m.log.Info("BGP sessions are a regional collector's: serving its view", "peers", len(m.cfg.Peers))
	<-ctx.Done()
	return nil
}

// render writes v's series (nil: none, BGP is unobserved).
func (m *Monitor) render(ch chan<- prometheus.Metric, v *View, now time.Time) {
	if v == nil {
		return
	}
	st := m.st
	for i, p := range st.peers {
		pv := &v.Peers[i]
		up, uptime := 0.0, 0.0
		if pv.Established {
			up, uptime = 1, now.Sub(pv.Since).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descSessionUp, prometheus.GaugeValue, up, p.addr, p.device, p.role, p.region)
		ch <- prometheus.MustNewConstMetric(descUptime, prometheus.GaugeValue, uptime, p.addr, p.device, p.role, p.region)
		ch <- prometheus.MustNewConstMetric(descFlaps, prometheus.CounterValue, float64(pv.Flaps), p.addr, p.device, p.role, p.region)
		ch <- prometheus.MustNewConstMetric(descTrips, prometheus.CounterValue, float64(pv.Trips), p.addr, p.device)
		ch <- prometheus.MustNewConstMetric(descUpdates, prometheus.CounterValue, float64(pv.Updates), p.addr, p.device)
		for h, n := range pv.Malformed {
			ch <- prometheus.MustNewConstMetric(descMalformed, prometheus.CounterValue, float64(n), p.addr, p.device, handlingNames[h])
		}
		for _, name := range families(p.cfg) {
			// Families the peer carries are always exposed, at 0 when empty,
			// so that a family going to zero is a value and not a gap.
			f := familyByName[name]
			if f != famIPv4 && f != famIPv6 {
				continue
			}
			held := false
			for _, fc := range pv.Prefixes {
				held = held || fc.Family == name && fc.RD == ""
			}
			if !held {
				ch <- prometheus.MustNewConstMetric(descReceived, prometheus.GaugeValue, 0, p.addr, p.device, name, "", "")
			}
		}
		for _, fc := range pv.Prefixes {
			ch <- prometheus.MustNewConstMetric(descReceived, prometheus.GaugeValue, float64(fc.Prefixes), p.addr, p.device, fc.Family, fc.VRF, fc.RD)
		}
		if p.role == "pfai" {
			ch <- prometheus.MustNewConstMetric(descDefault, prometheus.GaugeValue, b2f(pv.DefaultRoute), p.addr, p.device)
			for j, cn := range st.canaries {
				ch <- prometheus.MustNewConstMetric(descCanary, prometheus.GaugeValue, b2f(pv.Canaries[j]), p.addr, p.device, cn.String())
			}
		}
	}
	// Unknown verdicts have no series: say nothing rather than "absent".
	for i, ps := range st.rt.pfais {
		pv := &v.PFAIs[i]
		if pv.Default != PresenceUnknown {
			ch <- prometheus.MustNewConstMetric(descPFAIDefault, prometheus.GaugeValue, b2f(pv.Default == PresencePresent), ps.name, ps.region)
		}
		for j, cn := range st.canaries {
			if pv.Canaries[j] != PresenceUnknown {
				ch <- prometheus.MustNewConstMetric(descPFAICanary, prometheus.GaugeValue, b2f(pv.Canaries[j] == PresencePresent), ps.name, cn.String())
			}
		}
	}
	missing := 0
	for i := range st.sites {
		if v.Sites[i].MinPaths == 0 {
			missing++
		}
		ch <- prometheus.MustNewConstMetric(descSitePaths, prometheus.GaugeValue, float64(v.Sites[i].MinPaths), st.sites[i].id, st.sites[i].region)
	}
	ch <- prometheus.MustNewConstMetric(descSitesMissing, prometheus.GaugeValue, float64(missing))
	ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(v.Held))
	ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(v.Skipped), "unsupported")
	ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(v.Undecodable), "undecodable")
}
