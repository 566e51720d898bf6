package topology

import (
	"slices"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// applyPoll folds one poll into the model. It runs on the writer goroutine
// with t.mu held for writing.
func (t *Topology) applyPoll(p *snmp.Poll) {
	m := t.st
	d := m.devices[p.Device]
	if d == nil || d.inv == nil {
		t.m.unknownPolls.Inc()
		if !t.unknownLog[p.Device] && len(t.unknownLog) < 100 {
			t.unknownLog[p.Device] = true
			t.log.Warn("poll of a device the inventory does not declare; ignored (is the collector running with another inventory?)", "device", p.Device)
		}
		return
	}
	now := p.End
	if now.IsZero() {
		now = t.opts.Now()
	}
	if p.Err != nil && p.Reason == snmp.ReasonOverrun {
		// The collector skipped this poll because the previous one still
		// ran: it says nothing about the device.
		return
	}
	d.polls++
	d.seen = now
	if d.vouched != "" {
		// Its own collector speaks again: the witness's word is void, and
		// its sites' verdicts must be analysed again.
		d.vouched, t.obsDirty, t.failDirty = "", true, true
	}
	t.markDirty(d)
	if p.Err != nil {
		d.failures++
		d.reason = string(p.Reason)
		if d.reason == "" {
			d.reason = string(snmp.ReasonOther)
		}
		if d.failures >= t.opts.UnreachableAfter && d.state != DeviceUnreachable {
			t.setDeviceState(d, DeviceUnreachable, now, d.reason)
		}
		if d.failures >= t.opts.UnreachableAfter {
			t.markLive(d)
		}
		t.refreshLinks(d, now)
		return
	}
	d.failures, d.reason = 0, ""
	if d.state != DeviceReachable {
		t.setDeviceState(d, DeviceReachable, now, "")
	}
	t.markLive(d)
	if d.uptime > 0 && p.System.Uptime < d.uptime {
		t.emit(Event{Time: now, Kind: EventDeviceReboot, Subject: d.name,
			From: d.uptime.Truncate(time.Second).String(), To: p.System.Uptime.Truncate(time.Second).String(),
			Detail: "sysUpTime went back: the device restarted and its counters reset"})
	}
	d.uptime = p.System.Uptime
	d.sysName = p.System.Name
	if p.Interfaces != nil {
		t.applyInterfaces(d, p.Interfaces)
	}
	if p.LLDP != nil || p.CDP != nil {
		t.applyNeighbors(d, p.LLDP, p.CDP, now)
	}
	if p.BGPPeers != nil {
		t.applyBGP(d, p.BGPPeers, now)
	}
	t.refreshLinks(d, now)
}

func (t *Topology) setDeviceState(d *device, s DeviceState, now time.Time, why string) {
	from := d.state
	d.state, d.since = s, now
	t.markDirty(d)
	if (from == DeviceUnknown || from == DeviceUnobserved) && s == DeviceReachable {
		// The first good poll after start (or after its collector came
		// back: unobserved.go) is not news, but if BGP calls
		// the CE's site unrouted, the next analysis must run to report
		// that the two sources disagree.
		if d.inv != nil && t.rt.unrouted(d.inv.Site) {
			t.rt.dirty, t.failDirty = true, true
		}
		if from == DeviceUnobserved {
			t.observedAgain()
		}
		return
	}
	kind := EventDeviceReachable
	if s == DeviceUnreachable {
		kind = EventDeviceUnreachable
	}
	t.emit(Event{Time: now, Kind: kind, Subject: d.name, From: string(from), To: string(s), Detail: why})
	t.failuresChanged("")
}

// applyInterfaces sets the IF-MIB status of every declared link end on d.
// An interface is found by ifName, then ifDescr; one the table does not
// have stays unknown.
func (t *Topology) applyInterfaces(d *device, ifs []snmp.Interface) {
	byName := make(map[string]int, 2*len(ifs))
	for i := range ifs {
		if ifs[i].Descr != "" {
			byName[ifs[i].Descr] = ifs[i].OperStatus
		}
	}
	for i := range ifs {
		if ifs[i].Name != "" {
			byName[ifs[i].Name] = ifs[i].OperStatus
		}
	}
	for _, l := range d.links {
		mine, _ := l.ends(d.name)
		if mine.iface == "" {
			continue
		}
		st := statusUnknown
		if oper, ok := byName[mine.iface]; ok {
			st = ifStatus(oper)
		}
		if st != mine.status {
			mine.status = st
			l.dirty = true
		}
	}
}

// nbr is one neighbour of a device's table, from LLDP or CDP: on the local
// port, the remote device's name and its port.
type nbr struct {
	port, remote, iface string
	via                 nbrVia
}

// applyNeighbors reads d's LLDP and CDP neighbours as one table (one
// discovery, two protocols: a CDP-only access router's links are vouched
// for as an LLDP speaker's are) and applies it. A protocol whose table was
// not read this poll (nil: failed, or CDP not implemented) keeps what its
// last table said, so that a failed walk of one does not make the links
// the other does not see look lost.
func (t *Topology) applyNeighbors(d *device, lldp []snmp.LLDPNeighbor, cdp []snmp.CDPNeighbor, now time.Time) {
	nb := t.nbrScratch[:0]
	if lldp == nil && d.lldpVia&viaLLDP != 0 {
		nb = carryNeighbors(nb, d.lldp, viaLLDP)
	}
	for i := range lldp {
		n := &lldp[i]
		remote := n.SysName
		if remote == "" {
			remote = n.ChassisID
		}
		y := n.PortDescr
		if y == "" {
			y = n.PortID
		}
		nb = append(nb, nbr{port: n.LocalPort, remote: remote, iface: y, via: viaLLDP})
	}
	if cdp == nil && d.lldpVia&viaCDP != 0 {
		nb = carryNeighbors(nb, d.lldp, viaCDP)
	}
	for i := range cdp {
		n := &cdp[i]
		remote := snmp.CDPHostname(n.DeviceID)
		if _, known := t.st.resolve(remote); !known && n.Address.IsValid() {
			// The device id is a serial or a name the inventory spells
			// otherwise: the address CDP advertises may be a managed one.
			if name, ok := t.st.byAddr[n.Address]; ok {
				remote = name
			}
		}
		port := n.LocalPort
		if port == "" {
			port = itoa(int(n.IfIndex))
		}
		nb = append(nb, nbr{port: port, remote: remote, iface: n.Port, via: viaCDP})
	}
	t.applyLLDP(d, nb, now)
	clear(nb)
	t.nbrScratch = nb[:0]
}

// carryNeighbors appends the entries of table learnt through via.
func carryNeighbors(dst []nbr, table []lldpEntry, via nbrVia) []nbr {
	for _, e := range table {
		if e.via == via {
			dst = append(dst, nbr{port: e.port, remote: e.device, iface: e.iface, via: via})
		}
	}
	return dst
}

// applyLLDP matches d's neighbours (LLDP and CDP) against the declared
// links, keeps observed-only links for the others (at most MaxNeighbors of
// them from d's table), and raises or clears disagreements.
func (t *Topology) applyLLDP(d *device, nbrs []nbr, now time.Time) {
	m := t.st
	cur := t.lldpScratch[:0]
	seen := t.seenScratch
	defer clear(seen)
	// Neighbours the inventory does not declare and the model does not
	// hold yet: added after the walk, once it is known how many of the
	// observed links held are still shown, so that the neighbours already
	// kept are not evicted by new ones when d is over its bound.
	fresh := t.freshScratch[:0]
	shown := 0 // observed links held that this table shows
	for i := range nbrs {
		n := &nbrs[i]
		port := n.port
		x, known := m.resolve(n.remote)
		y := n.iface
		e := lldpEntry{port: port, device: x, iface: y, via: n.via}
		l, wrong := m.matchDeclared(d.name, port, x, y)
		if l != nil {
			// A declared port is always in the table.
			cur = append(cur, e)
			seen[l] |= n.via
			mine, _ := l.ends(d.name)
			if !wrong {
				if !mine.lldp || mine.wrong != "" {
					l.dirty = true
				}
				mine.lldp, mine.missed, mine.wrong = true, 0, ""
				continue
			}
			if mine.wrong != x+":"+y {
				mine.wrong, mine.lldp, l.dirty = x+":"+y, false, true
			}
		}
		// An LLDP neighbour the inventory does not declare here.
		ol := m.links[observedID(d.name, port, x, y)]
		if ol == nil {
			fresh = append(fresh, freshNbr{e: e, known: known, declaredPort: l != nil})
			continue
		}
		if l == nil {
			cur = append(cur, e)
		}
		if seen[ol] == 0 {
			shown++
		}
		seen[ol] |= n.via
		t.sawObserved(d, ol)
	}
	dropped := 0
	for _, f := range fresh {
		e := f.e
		id := observedID(d.name, e.port, e.device, e.iface)
		ol := m.links[id]
		if ol == nil {
			if shown >= t.opts.MaxNeighbors {
				dropped++
				continue
			}
			a, b := end{device: d.name, iface: e.port, status: statusUnknown}, end{device: e.device, iface: e.iface, status: statusUnknown}
			ol = &link{id: id, kind: KindObserved, a: a, b: b, state: LinkUnknown, since: now}
			m.links[id] = ol
			d.links = append(d.links, ol)
			if xd := m.devices[e.device]; xd != nil {
				if xd != d {
					xd.links = append(xd.links, ol)
				}
			} else if !f.known {
				m.devices[e.device] = &device{name: e.device, state: DeviceUnknown, bgp: map[string]bool{}, links: []*link{ol}}
			}
			detail := e.device + " is not in the inventory"
			if f.known {
				detail = "no declared link " + d.name + ":" + e.port + " -- " + e.device + ":" + e.iface
			}
			t.setDisagreement(d, ol, DisagreeUndeclaredNeighbor, now, detail)
		}
		if !f.declaredPort {
			cur = append(cur, e)
		}
		if seen[ol] == 0 {
			shown++
		}
		seen[ol] |= e.via
		t.sawObserved(d, ol)
	}
	clear(fresh)
	t.freshScratch = fresh[:0]
	if dropped > 0 {
		t.boundHit(d, boundNeighbors, dropped, now, t.opts.MaxNeighbors)
	}
	// Links of d this table did not show. The observed ones neither end
	// sees any more are removed after the walk: removing one edits
	// d.links, which must not change under the loop that reads it.
	gone := t.goneScratch[:0]
	for _, l := range d.links {
		if v := seen[l]; v != 0 {
			// Which protocols name it, for its sources.
			if mine, _ := l.ends(d.name); mine.via != v {
				mine.via, l.dirty = v, true
			}
			continue
		}
		mine, other := l.ends(d.name)
		if mine.lldp || mine.wrong != "" {
			mine.lldp, mine.wrong, l.dirty = false, "", true
		}
		if l.kind == KindObserved && !other.lldp {
			gone = append(gone, l)
			continue
		}
		if l.state != LinkDown {
			// A down link is not expected to be seen.
			mine.missed++
		}
	}
	t.removeObserved(d, gone, now)
	clear(gone)
	t.goneScratch = gone[:0]
	d.lldpPolls++
	for _, l := range d.links {
		if l.declared && l.lldpExpected() {
			t.checkDisagreement(l, now)
		}
	}
	// Neighbour churn, after the first table (which is all new).
	cur = lldpTable(cur)
	if d.lldpPolls > 1 {
		t.lldpChurn(d, cur, now)
	}
	// The usual poll shows the same table: keep the one held.
	if !slices.Equal(d.lldp, cur) {
		d.lldp = slices.Clone(cur)
		d.lldpVia = 0
		for i := range cur {
			d.lldpVia |= cur[i].via
		}
	}
	clear(cur) // the scratch must not keep this poll's strings alive
	t.lldpScratch = cur[:0]
}

// freshNbr is a neighbour of d's table with no link in the model yet.
type freshNbr struct {
	e            lldpEntry
	known        bool // e.device is an inventory device
	declaredPort bool // e.port is a declared link end (wrong_neighbor)
}

// sawObserved notes that d's table shows the observed link ol.
func (t *Topology) sawObserved(d *device, ol *link) {
	mine, _ := ol.ends(d.name)
	if !mine.lldp {
		mine.lldp, ol.dirty = true, true
	}
}

// lldpEntry is one row of a device's last neighbour table: on port, the
// neighbour device (resolved to its inventory name when known) and its
// port, and the protocol that told (LLDP or CDP).
type lldpEntry struct {
	port, device, iface string
	via                 nbrVia
}

func (e lldpEntry) remote() string { return e.device + ":" + e.iface }

// lldpTable sorts a table by local port and keeps one neighbour per port
// and protocol, the last the device listed.
func lldpTable(es []lldpEntry) []lldpEntry {
	slices.SortStableFunc(es, entryOrder)
	out := es[:0]
	for i := range es {
		if i+1 < len(es) && entryOrder(es[i+1], es[i]) == 0 {
			continue
		}
		out = append(out, es[i])
	}
	return out
}

// entryOrder orders a neighbour table by local port, then protocol: a port
// has one neighbour per protocol (LLDP and CDP on one port are two rows, so
// that each protocol's last table can stand in for a walk that failed).
func entryOrder(a, b lldpEntry) int {
	if c := strings.Compare(a.port, b.port); c != 0 {
		return c
	}
	return int(a.via) - int(b.via)
}

// lldpChurn emits the neighbours new or changed on a port, and lost, from
// d's previous table to cur (both in entryOrder), per protocol.
func (t *Topology) lldpChurn(d *device, cur []lldpEntry, now time.Time) {
	prev := d.lldp
	i, j := 0, 0
	for i < len(prev) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(prev) && entryOrder(prev[i], cur[j]) < 0):
			t.emitBounded(d, Event{Time: now, Kind: EventLLDPNeighborLost, Subject: d.name + ":" + prev[i].port, From: prev[i].remote()})
			i++
		case i == len(prev) || entryOrder(cur[j], prev[i]) < 0:
			t.emitBounded(d, Event{Time: now, Kind: EventLLDPNeighborNew, Subject: d.name + ":" + cur[j].port, To: cur[j].remote()})
			j++
		default:
			if prev[i] != cur[j] {
				t.emitBounded(d, Event{Time: now, Kind: EventLLDPNeighborNew, Subject: d.name + ":" + cur[j].port, From: prev[i].remote(), To: cur[j].remote()})
			}
			i++
			j++
		}
	}
}

// checkDisagreement re-derives a declared link's disagreement from what
// its ends' LLDP tables said: wrong_neighbor if either end names another
// device on the declared port; declared_not_seen if neither end sees it and
// every end whose LLDP table is polled has missed it LLDPMissLimit times in
// a row (polls while the link was down do not count). Links LLDP cannot
// see (lldpExpected) are never checked.
func (t *Topology) checkDisagreement(l *link, now time.Time) {
	want, detail := "", ""
	switch {
	case l.a.wrong != "" || l.b.wrong != "":
		want = DisagreeWrongNeighbor
		for _, e := range []*end{&l.a, &l.b} {
			if e.wrong != "" {
				detail = "LLDP on " + e.device + ":" + e.iface + " names " + e.wrong
			}
		}
	case !l.a.lldp && !l.b.lldp:
		counted, missed := 0, 1<<30
		for _, e := range []*end{&l.a, &l.b} {
			if d := t.st.devices[e.device]; d != nil && d.inv != nil && d.lldpPolls > 0 {
				counted++
				missed = min(missed, e.missed)
			}
		}
		if counted > 0 && missed >= t.opts.LLDPMissLimit {
			want, detail = DisagreeDeclaredNotSeen, "LLDP has not seen it for "+itoa(missed)+" polls of its ends"
		} else if l.disagreement == DisagreeDeclaredNotSeen {
			want = l.disagreement // keep it until LLDP sees the link
		}
	}
	l.lldpMissed = min(l.a.missed, l.b.missed)
	if l.b.device == "" {
		l.lldpMissed = l.a.missed
	}
	if want != l.disagreement {
		t.setDisagreement(nil, l, want, now, detail)
	}
}

// lldpExpected reports whether LLDP can see the link at all. Interconnects
// are exempt (the partner's router rarely speaks LLDP to the RIE), and so
// are links tunnelled over the internet: LLDP frames do not cross a
// public operator's network, so their silence is no disagreement.
func (l *link) lldpExpected() bool {
	switch {
	case l.kind == KindInterconnect:
		return false
	case l.access != nil && l.access.ViaInternet, l.decl != nil && l.decl.ViaInternet:
		return false
	}
	return true
}

// matchDeclared finds the declared link an LLDP neighbour (d:p sees x:y)
// stands for. wrong is true when d:p is a declared link end whose far end
// is another device than x.
func (m *model) matchDeclared(d, p, x, y string) (l *link, wrong bool) {
	for _, l := range m.byEndpoint[endKey{d, p}] {
		_, other := l.ends(d)
		if other.device == x || l.kind == KindInterconnect {
			return l, false
		}
	}
	for _, l := range m.byPair[pair(d, x)] {
		mine, other := l.ends(d)
		if (mine.iface == "" || mine.iface == p) && (other.iface == "" || other.iface == y) {
			return l, false
		}
	}
	if ls := m.byEndpoint[endKey{d, p}]; len(ls) > 0 {
		return ls[0], true
	}
	return nil, false
}

// removeObserved drops observed links that by's table no longer shows
// from the model and the store, and the names only they kept in the model.
// Each device's link list is filtered once, whatever the number of links
// removed from it: removing 3,000 neighbours of a device in one poll costs
// one pass over its links, not 3,000.
func (t *Topology) removeObserved(by *device, ls []*link, now time.Time) {
	if len(ls) == 0 {
		return
	}
	m := t.st
	touched := t.touchedScratch
	defer clear(touched)
	for _, l := range ls {
		if m.links[l.id] != l {
			continue // listed twice
		}
		delete(m.links, l.id)
		for _, e := range []*end{&l.a, &l.b} {
			if d := m.devices[e.device]; d != nil {
				touched[d] = struct{}{}
			}
		}
		if l.disagreement != "" {
			t.emitBounded(by, Event{Time: now, Kind: EventDisagreementCleared, Subject: l.id, From: l.disagreement, Detail: "LLDP no longer sees it"})
		}
		if t.opts.Store != nil {
			t.opts.Store.DeleteLink(l.id)
			t.staged++
		}
		if l.state == LinkDown {
			t.failuresChanged(l.id)
		}
	}
	for d := range touched {
		d.links = slices.DeleteFunc(d.links, func(x *link) bool { return x.kind == KindObserved && m.links[x.id] != x })
		if d.inv == nil && len(d.links) == 0 {
			delete(m.devices, d.name)
		}
	}
}

// setDisagreement sets l's disagreement and records the event, within the
// event bound of device by (nil: unbounded, for declared links).
func (t *Topology) setDisagreement(by *device, l *link, kind string, now time.Time, detail string) {
	from := l.disagreement
	l.disagreement, l.dirty = kind, true
	if kind == "" {
		t.emitBounded(by, Event{Time: now, Kind: EventDisagreementCleared, Subject: l.id, From: from, Detail: detail})
		return
	}
	t.emitBounded(by, Event{Time: now, Kind: EventDisagreement, Subject: l.id, From: from, To: kind, Detail: detail})
}

// applyBGP reads d's BGP4-MIB peers. A peer is matched to an inventory
// device by its remote address or its BGP identifier against the devices'
// management addresses (iBGP runs between loopbacks, which are usually
// those). A session is news when its established state flips.
func (t *Topology) applyBGP(d *device, peers []snmp.BGPPeer, now time.Time) {
	m := t.st
	cur := make(map[string]bool, len(peers))
	for i := range peers {
		p := &peers[i]
		x, ok := m.byAddr[p.Remote]
		if !ok {
			x, ok = m.byAddr[p.RemoteID]
		}
		if !ok {
			continue
		}
		up := p.Established()
		cur[x] = cur[x] || up
	}
	for x, up := range cur {
		if was, had := d.bgp[x]; had && was != up {
			kind, to := EventBGPSessionDown, "down"
			if up {
				kind, to = EventBGPSessionUp, "established"
			}
			t.emit(Event{Time: now, Kind: kind, Subject: d.name + "--" + x, To: to})
		}
	}
	d.bgp = cur
	for _, l := range d.links {
		mine, other := l.ends(d.name)
		if other.device == "" {
			continue
		}
		if up := cur[other.device]; up != mine.bgp {
			mine.bgp, l.dirty = up, true
		}
	}
}

// refreshLinks re-derives the state of d's links and records transitions.
func (t *Topology) refreshLinks(d *device, now time.Time) {
	for _, l := range d.links {
		s := t.st.deriveState(l)
		if s != l.state {
			from := l.state
			l.state, l.since, l.dirty = s, now, true
			if !(from == LinkUnknown && s == LinkUp) {
				kind := EventLinkUp
				if s == LinkDown {
					kind = EventLinkDown
				}
				if s != LinkUnknown {
					// Observed links are d's LLDP's doing: within its bound.
					var by *device
					if l.kind == KindObserved {
						by = d
					}
					t.emitBounded(by, Event{Time: now, Kind: kind, Subject: l.id, From: string(from), To: string(s), Detail: t.downWhy(l)})
				}
			}
			if from == LinkDown || s == LinkDown {
				t.failuresChanged(l.id)
			}
		}
		if l.dirty {
			t.dirtyLinks[l] = struct{}{}
		}
	}
}

// downWhy says which rule made a link down.
func (t *Topology) downWhy(l *link) string {
	for _, e := range []*end{&l.a, &l.b} {
		if e.device == "" {
			continue
		}
		if d := t.st.devices[e.device]; d != nil && d.state == DeviceUnreachable {
			return e.device + " unreachable"
		}
		if e.status == statusDown {
			return e.device + ":" + e.iface + " oper down"
		}
	}
	return ""
}
