package topology

// routes.go folds the BGP monitor's routing verdicts into the model: per
// site, whether its prefixes are in the backbone's routes. BGP and SNMP
// answer different questions (is there a route to the site's LAN; does the
// site's CE answer its management address), so each can correct the other
// in the resilience analysis:
//
//   - a site BGP says is unrouted is isolated, even if its CE answers SNMP
//     (over a backup path, or because its LAN is not announced): cause_kind
//     "routing", cause "unrouted" unless the graph already names a cause
//     (or the internet is lost and its loss cuts the site off: "internet",
//     for the polls have not seen its tunnels down yet);
//   - a site BGP says is routed (all or some prefixes) is not isolated when
//     the graph isolates it only because SNMP-silent devices were taken as
//     failed (cause_kind "device"): its management path is what is broken.
//     It stays degraded (its effective protection is what SNMP sees).
//
// Both cases are source disagreements, counted by kind and logged as
// events; routing state changes are events too. BGP's "unknown" changes
// nothing: the graph's verdict stands.

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
)

// EventSiteRouting is a site's routing state changing between known
// verdicts (Subject: the site, From and To: bgp.RoutingState values; From
// is "unknown" for the first verdict after start that is not "routed").
const EventSiteRouting EventKind = "site_routing"

// Site disagreements between BGP and SNMP, a bounded label set.
const (
	// DisagreeUnroutedCEReachable: BGP says the site is unrouted while one
	// of its CEs answers SNMP.
	DisagreeUnroutedCEReachable = "unrouted_ce_reachable"
	// DisagreeRoutedCEUnreachable: BGP routes the site's prefixes while
	// every CE of the site is unreachable over SNMP.
	DisagreeRoutedCEUnreachable = "routed_ce_unreachable"
)

// SiteDisagreements lists the site disagreement kinds.
var SiteDisagreements = []string{DisagreeUnroutedCEReachable, DisagreeRoutedCEUnreachable}

// Cause labels of a site isolated by BGP alone.
const (
	CauseKindRouting = "routing"
	causeUnrouted    = "unrouted"
)

// siteRoute is one site's BGP verdict and what the model derived from it.
type siteRoute struct {
	r bgp.SiteRouting
	// known is the last verdict other than unknown: changes are news
	// between known verdicts only, so losing every BGP session (every site
	// unknown) is one session event, not 14,000 site events.
	known        bgp.RoutingState
	ces          []string // the site's managed CE devices
	disagreement string
}

// routes is the routing part of the model. The writer owns it; readers
// read the published snapshot only (Topology.Routing).
type routes struct {
	sites map[string]*siteRoute // inventory sites with prefixes
	order []*siteRoute          // the same, in site name order
	// dirty: a verdict changed since the last analysis, so the next one
	// must run even if the SNMP failure set did not change.
	dirty bool
	pub   atomic.Pointer[Routing]
	// ics is BGP's last verdict per interconnect it judges, icKnown its
	// last verdict other than unknown.
	ics     map[string]bgp.InterconnectRouting
	icKnown map[string]bgp.InterconnectState
}

func newRoutes(inv *inventory.Inventory) *routes {
	r := &routes{sites: map[string]*siteRoute{}, ics: map[string]bgp.InterconnectRouting{},
		icKnown: map[string]bgp.InterconnectState{}}
	for i := range inv.Sites {
		s := &inv.Sites[i]
		if len(s.Prefixes) == 0 {
			continue
		}
		sr := &siteRoute{r: bgp.SiteRouting{Site: s.ID, Region: s.Region, State: bgp.RoutingUnknown,
			Prefixes: len(s.Prefixes), Unknown: len(s.Prefixes)}}
		for _, al := range s.Access {
			if al.Router != "" && !contains(sr.ces, al.Router) {
				sr.ces = append(sr.ces, al.Router)
			}
		}
		r.sites[s.ID] = sr
		r.order = append(r.order, sr)
	}
	slices.SortFunc(r.order, func(a, b *siteRoute) int { return strings.Compare(a.r.Site, b.r.Site) })
	r.publish()
	return r
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// RecordRouting queues the BGP monitor's changed site verdicts (its
// Options.OnRouting). Like Apply, it is safe from any goroutine and
// returns at once after Run stopped.
func (t *Topology) RecordRouting(rs []bgp.SiteRouting) {
	if len(rs) == 0 {
		return
	}
	select {
	case t.in <- message{routes: rs}:
	case <-t.done:
	}
}

// RecordRoutingAt is RecordRouting for verdicts observed at at: those of
// the View of the collector running the BGP sessions, which a central may
// apply long after (a partitioned collector's replay). Their changes are
// dated at at, never later than now, as a central dates polls (clock.go).
func (t *Topology) RecordRoutingAt(rs []bgp.SiteRouting, at time.Time) {
	if len(rs) == 0 {
		return
	}
	select {
	case t.in <- message{routes: rs, routesAt: at}:
	case <-t.done:
	}
}

// RecordInterconnectsAt is RecordInterconnects for verdicts observed at
// at, as RecordRoutingAt.
func (t *Topology) RecordInterconnectsAt(rs []bgp.InterconnectRouting, at time.Time) {
	if len(rs) == 0 {
		return
	}
	select {
	case t.in <- message{ics: rs, routesAt: at}:
	case <-t.done:
	}
}

// verdictTime is when BGP verdicts observed at at (zero: now) changed.
func (t *Topology) verdictTime(at time.Time) time.Time {
	now := t.opts.Now()
	if !at.IsZero() && at.Before(now) {
		return at
	}
	return now
}

// applyRouting folds verdicts observed at at into the model (writer
// goroutine, t.mu held).
func (t *Topology) applyRouting(rs []bgp.SiteRouting, at time.Time) {
	now := t.verdictTime(at)
	rt := t.rt
	for _, r := range rs {
		sr := rt.sites[r.Site]
		if sr == nil {
			continue // not an inventory site with prefixes (another inventory)
		}
		sr.r = r
		rt.dirty = true
		if r.State == bgp.RoutingUnknown || r.State == sr.known {
			continue
		}
		from := sr.known
		sr.known = r.State
		if from == "" && r.State == bgp.RoutingRouted {
			continue // routed after start is not news
		}
		if from == "" {
			from = bgp.RoutingUnknown
		}
		t.emit(Event{Time: now, Kind: EventSiteRouting, Subject: r.Site, From: string(from), To: string(r.State),
			Detail: routingDetail(r)})
	}
	if rt.dirty {
		// The analysis (at most one per Debounce) applies the verdicts
		// and publishes the snapshot: a converging full table arrives in
		// thousands of small batches, and each must stay cheap.
		t.failDirty = true
	}
}

// EventInterconnectBGP is BGP's verdict on an interconnect changing
// between known states (Subject: the interconnect; From, To:
// bgp.InterconnectState values).
const EventInterconnectBGP EventKind = "interconnect_bgp"

// Why an interconnect is down, the reason label's values.
const (
	// ReasonDetached: its attachment (interface, device, the backbone
	// path to a datacentre) is down, as SNMP sees it.
	ReasonDetached = "detached"
	// ReasonSessionDown: the BGP session it depends on is down.
	ReasonSessionDown = "bgp_session_down"
	// ReasonPrefixesMissing: expected prefixes are not received in its VRF.
	ReasonPrefixesMissing = "prefixes_missing"
)

// RecordInterconnects queues BGP's interconnect verdicts (the monitor's
// Options.OnInterconnects), like RecordRouting.
func (t *Topology) RecordInterconnects(rs []bgp.InterconnectRouting) {
	if len(rs) == 0 {
		return
	}
	select {
	case t.in <- message{ics: rs}:
	case <-t.done:
	}
}

// applyInterconnects folds interconnect verdicts into the model (writer
// goroutine, t.mu held): a change between known states is an event, and
// any change makes the next analysis run.
func (t *Topology) applyInterconnects(rs []bgp.InterconnectRouting, at time.Time) {
	now := t.verdictTime(at)
	rt := t.rt
	for _, r := range rs {
		if prev, seen := rt.ics[r.Interconnect]; seen && prev == r {
			continue
		}
		rt.ics[r.Interconnect] = r
		rt.dirty, t.failDirty = true, true
		if r.State == bgp.InterconnectBGPUnknown {
			continue
		}
		// News between known states only: losing the sessions (unknown)
		// and getting them back is one event at most, and the first
		// verdict after start is news only when it is not "up".
		from, seen := rt.icKnown[r.Interconnect]
		rt.icKnown[r.Interconnect] = r.State
		if r.State == from || !seen && r.State == bgp.InterconnectBGPUp {
			continue
		}
		if !seen {
			from = bgp.InterconnectBGPUnknown
		}
		t.emit(Event{Time: now, Kind: EventInterconnectBGP, Subject: r.Interconnect, From: string(from), To: string(r.State), Detail: r.Detail()})
	}
}

// interconnectVerdicts sets each interconnect's BGP state and reason: it
// is up when attached and BGP does not say its session is down or its
// prefixes missing (unknown leaves the attachment's verdict).
func (t *Topology) interconnectVerdicts(a *Analysis) {
	for i := range a.Interconnects {
		ic := &a.Interconnects[i]
		r, judged := t.rt.ics[ic.ID]
		if judged {
			ic.VRF, ic.BGP = r.VRF, string(r.State)
			ic.PrefixesExpected, ic.PrefixesMissing = r.Prefixes, r.Missing
		}
		switch {
		case !ic.Up:
			ic.Reason = ReasonDetached
		case judged && r.State == bgp.InterconnectSessionDown:
			ic.Up, ic.Reason = false, ReasonSessionDown
		case judged && r.State == bgp.InterconnectPrefixesMissing:
			ic.Up, ic.Reason = false, ReasonPrefixesMissing
		}
	}
}

// routingDetail says what BGP sees of a site, in a sentence.
func routingDetail(r bgp.SiteRouting) string {
	present := r.Prefixes - r.Missing - r.Unknown
	s := fmt.Sprintf("%d of %d prefixes in the backbone routes", present, r.Prefixes)
	if r.Missing == 0 && present > 0 {
		s += fmt.Sprintf(", through %d paths and %d next hops at least", r.Paths, r.NextHops)
	}
	if r.Unknown > 0 {
		s += fmt.Sprintf("; %d not judged (no converged session carries their family)", r.Unknown)
	}
	return s
}

// unrouted says whether BGP's last verdict on the site is unrouted.
func (r *routes) unrouted(site string) bool {
	sr := r.sites[site]
	return sr != nil && sr.r.State == bgp.RoutingUnrouted
}

// routingVerdicts corrects the graph's analysis with BGP (see the file
// comment), refreshes the site disagreements and publishes the routing
// snapshot. It runs on the writer goroutine before the analysis is indexed
// and published.
func (t *Topology) routingVerdicts(a *Analysis) {
	rt := t.rt
	changed := rt.dirty
	rt.dirty = false
	now := t.opts.Now()
	internetLost := slices.Contains(a.Failures, "internet")
	t.interconnectVerdicts(a)
	for i := range a.Sites {
		s := &a.Sites[i]
		sr := rt.sites[s.ID]
		if sr == nil {
			continue
		}
		st := sr.r.State
		s.Routing = string(st)
		up, down := 0, 0
		for _, ce := range sr.ces {
			if d := t.st.devices[ce]; d != nil {
				switch d.state {
				case DeviceReachable:
					up++
				case DeviceUnreachable:
					down++
				}
			}
		}
		routed := st == bgp.RoutingRouted || st == bgp.RoutingPartlyRouted
		want := ""
		switch {
		case st == bgp.RoutingUnrouted && up > 0:
			want = DisagreeUnroutedCEReachable
		case routed && down > 0 && down == len(sr.ces):
			want = DisagreeRoutedCEUnreachable
		}
		if want != sr.disagreement {
			t.siteDisagreement(sr, want, now)
			changed = true
		}
		switch {
		case st == bgp.RoutingUnrouted && !s.Isolated && internetLost && s.IsolatedIfInternetCut:
			// BGP withdraws the site before the polls see its tunnels
			// down: a site the internet's loss cuts off is its.
			s.Isolated, s.CauseKind, s.Cause = true, "internet", "internet"
		case st == bgp.RoutingUnrouted && !s.Isolated:
			s.Isolated, s.CauseKind, s.Cause = true, CauseKindRouting, causeUnrouted
		case routed && s.Isolated && s.CauseKind == "device":
			s.Isolated, s.CauseKind, s.Cause = false, "", ""
		}
	}
	if changed {
		rt.publish()
	}
}

func (t *Topology) siteDisagreement(sr *siteRoute, kind string, now time.Time) {
	from := sr.disagreement
	sr.disagreement = kind
	id := sr.r.Site
	switch kind {
	case "":
		t.emit(Event{Time: now, Kind: EventDisagreementCleared, Subject: id, From: from, Detail: "BGP and SNMP agree again"})
	case DisagreeUnroutedCEReachable:
		t.emit(Event{Time: now, Kind: EventDisagreement, Subject: id, From: from, To: kind,
			Detail: "BGP has none of the site's prefixes but its CE answers SNMP: the site is unreachable from the backbone (its LAN is not announced, or its CE answers over another path); counted as isolated"})
	case DisagreeRoutedCEUnreachable:
		t.emit(Event{Time: now, Kind: EventDisagreement, Subject: id, From: from, To: kind,
			Detail: "every CE of the site is silent on SNMP but its prefixes are routed: its management path is what is broken; counted as reachable"})
	}
}

// publish publishes the routing snapshot. It holds no rendered text: 28,000
// series cost a few milliseconds to render at scrape (exposition), where
// lines cached per site held 3.7 MB on the full RIE.
func (r *routes) publish() {
	p := &Routing{States: make(map[bgp.RoutingState]int, len(bgp.RoutingStates)),
		Disagreements: make(map[string]int, len(SiteDisagreements))}
	for _, s := range bgp.RoutingStates {
		p.States[s] = 0
	}
	for _, k := range SiteDisagreements {
		p.Disagreements[k] = 0
	}
	known := 0
	for _, sr := range r.order {
		if sr.r.State != bgp.RoutingUnknown {
			known++
		}
	}
	if known > 0 {
		p.Sites = make([]SiteRoute, 0, known)
	}
	for _, sr := range r.order {
		p.States[sr.r.State]++
		if sr.disagreement != "" {
			p.Disagreements[sr.disagreement]++
		}
		if sr.r.State == bgp.RoutingUnknown {
			continue
		}
		judged := sr.r.Prefixes - sr.r.Unknown
		p.Sites = append(p.Sites, SiteRoute{Site: sr.r.Site, Region: sr.r.Region,
			Routed: float64(judged-sr.r.Missing) / float64(judged), NextHops: sr.r.NextHops})
	}
	r.pub.Store(p)
}
