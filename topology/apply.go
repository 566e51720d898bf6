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
		t.refreshLinks(d, now)
		return
	}
	d.failures, d.reason = 0, ""
	if d.state != DeviceReachable {
		t.setDeviceState(d, DeviceReachable, now, "")
	}
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
	if p.LLDP != nil {
		t.applyLLDP(d, p.LLDP, now)
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
	if from == DeviceUnknown && s == DeviceReachable {
		// The first good poll after start is not news, but if BGP calls
		// the CE's site unrouted, the next analysis must run to report
		// that the two sources disagree.
		if d.inv != nil && t.rt.unrouted(d.inv.Site) {
			t.rt.dirty, t.failDirty = true, true
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

// applyLLDP matches d's LLDP neighbours against the declared links, keeps
// observed-only links for the others, and raises or clears disagreements.
func (t *Topology) applyLLDP(d *device, nbrs []snmp.LLDPNeighbor, now time.Time) {
	m := t.st
	cur := t.lldpScratch[:0]
	seen := t.seenScratch
	defer clear(seen)
	for i := range nbrs {
		n := &nbrs[i]
		port := n.LocalPort
		remote := n.SysName
		if remote == "" {
			remote = n.ChassisID
		}
		x, known := m.resolve(remote)
		y := n.PortDescr
		if y == "" {
			y = n.PortID
		}
		cur = append(cur, lldpEntry{port: port, device: x, iface: y})
		l, wrong := m.matchDeclared(d.name, port, x, y)
		if l != nil {
			seen[l] = true
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
		id := observedID(d.name, port, x, y)
		ol := m.links[id]
		if ol == nil {
			a, b := end{device: d.name, iface: port, status: statusUnknown}, end{device: x, iface: y, status: statusUnknown}
			ol = &link{id: id, kind: KindObserved, a: a, b: b, state: LinkUnknown, since: now}
			m.links[id] = ol
			d.links = append(d.links, ol)
			if xd := m.devices[x]; xd != nil {
				xd.links = append(xd.links, ol)
			} else if !known {
				m.devices[x] = &device{name: x, state: DeviceUnknown, bgp: map[string]bool{}, links: []*link{ol}}
			}
			detail := x + " is not in the inventory"
			if known {
				detail = "no declared link " + d.name + ":" + port + " -- " + x + ":" + y
			}
			t.setDisagreement(ol, DisagreeUndeclaredNeighbor, now, detail)
		}
		seen[ol] = true
		mine, _ := ol.ends(d.name)
		if !mine.lldp {
			mine.lldp, ol.dirty = true, true
		}
	}
	// Links of d this table did not show.
	kept := d.links[:0]
	for _, l := range d.links {
		if !seen[l] {
			mine, other := l.ends(d.name)
			if mine.lldp || mine.wrong != "" {
				mine.lldp, mine.wrong, l.dirty = false, "", true
			}
			if l.kind == KindObserved && !other.lldp {
				t.removeObserved(l, now)
				continue // dropped from d.links
			}
			if l.state != LinkDown {
				// A down link is not expected to be seen.
				mine.missed++
			}
		}
		kept = append(kept, l)
	}
	d.links = kept
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
	}
	clear(cur) // the scratch must not keep this poll's strings alive
	t.lldpScratch = cur[:0]
}

// lldpEntry is one row of a device's last LLDP table: on port, the
// neighbour device (resolved to its inventory name when known) and its port.
type lldpEntry struct{ port, device, iface string }

func (e lldpEntry) remote() string { return e.device + ":" + e.iface }

// lldpTable sorts a table by local port and keeps one neighbour per port,
// the last the device listed.
func lldpTable(es []lldpEntry) []lldpEntry {
	slices.SortStableFunc(es, func(a, b lldpEntry) int { return strings.Compare(a.port, b.port) })
	out := es[:0]
	for i := range es {
		if i+1 < len(es) && es[i+1].port == es[i].port {
			continue
		}
		out = append(out, es[i])
	}
	return out
}

// lldpChurn emits the neighbours new or changed on a port, and lost, from
// d's previous table to cur (both sorted by port).
func (t *Topology) lldpChurn(d *device, cur []lldpEntry, now time.Time) {
	prev := d.lldp
	i, j := 0, 0
	for i < len(prev) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(prev) && prev[i].port < cur[j].port):
			t.emit(Event{Time: now, Kind: EventLLDPNeighborLost, Subject: d.name + ":" + prev[i].port, From: prev[i].remote()})
			i++
		case i == len(prev) || cur[j].port < prev[i].port:
			t.emit(Event{Time: now, Kind: EventLLDPNeighborNew, Subject: d.name + ":" + cur[j].port, To: cur[j].remote()})
			j++
		default:
			if prev[i] != cur[j] {
				t.emit(Event{Time: now, Kind: EventLLDPNeighborNew, Subject: d.name + ":" + cur[j].port, From: prev[i].remote(), To: cur[j].remote()})
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
		t.setDisagreement(l, want, now, detail)
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

func (t *Topology) removeObserved(l *link, now time.Time) {
	m := t.st
	delete(m.links, l.id)
	for _, e := range []end{l.a, l.b} {
		d := m.devices[e.device]
		if d == nil {
			continue
		}
		kept := d.links[:0]
		for _, x := range d.links {
			if x != l {
				kept = append(kept, x)
			}
		}
		d.links = kept
		if d.inv == nil && len(d.links) == 0 {
			delete(m.devices, d.name)
		}
	}
	if l.disagreement != "" {
		t.emit(Event{Time: now, Kind: EventDisagreementCleared, Subject: l.id, From: l.disagreement, Detail: "LLDP no longer sees it"})
	}
	if t.opts.Store != nil {
		t.opts.Store.DeleteLink(l.id)
		t.staged++
	}
	if l.state == LinkDown {
		t.failuresChanged(l.id)
	}
}

func (t *Topology) setDisagreement(l *link, kind string, now time.Time, detail string) {
	from := l.disagreement
	l.disagreement, l.dirty = kind, true
	if kind == "" {
		t.emit(Event{Time: now, Kind: EventDisagreementCleared, Subject: l.id, From: from, Detail: detail})
		return
	}
	t.emit(Event{Time: now, Kind: EventDisagreement, Subject: l.id, From: from, To: kind, Detail: detail})
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
					t.emit(Event{Time: now, Kind: kind, Subject: l.id, From: string(from), To: string(s), Detail: t.downWhy(l)})
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
