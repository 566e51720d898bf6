package observe

// bgp.go carries the BGP monitor's state from the collector that runs the
// sessions (the inventory's collectors: entry with bgp: true) to the
// centrals, on its own subject vigie.obs.NAME.bgp. What travels is the
// monitor's View: session states, counts per family and VRF, the
// verdicts of each site, PFAI router and interconnect, and the events
// since the previous View; never a route. The collector publishes one
// when something changed, coalesced, and periodically (collect_bgp.go);
// sites in runs, so that 14,000 routed sites take a few bytes.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
)

// KindBGP is a BGP View.
const KindBGP Kind = 3

// BGPSubject is the subject of a collector's BGP Views.
func BGPSubject(collector string) string { return SubjectPrefix + collector + ".bgp" }

// BGPMsgID is the id of a collector's View taken at t.
func BGPMsgID(collector string, t time.Time) string {
	return collector + ".bgp." + strconv.FormatInt(t.UnixNano(), 36)
}

// maxBGPSites bounds the sites a View may declare: its runs are short
// whatever their count, so the message's size alone does not bound them.
const maxBGPSites = 1 << 20

// unixNano encodes a time, the zero time as 0 (its UnixNano overflows).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// AppendBGP appends the encoding of v to dst.
func AppendBGP(dst []byte, v *bgp.View) []byte {
	e := enc{b: append(dst, Version, byte(KindBGP))}
	e.u(v.Fingerprint)
	e.i(unixNano(v.Time))
	e.u(uint64(v.Held))
	e.u(v.Skipped)
	e.u(v.Undecodable)
	e.n(len(v.Peers), false)
	for i := range v.Peers {
		p := &v.Peers[i]
		e.s(p.State)
		e.bool(p.Established)
		e.i(unixNano(p.Since))
		e.i(unixNano(p.Changed))
		e.addr(p.LocalAddress)
		e.addr(p.RemoteID)
		e.u(p.Flaps)
		e.u(p.Trips)
		e.u(p.Updates)
		for _, n := range p.Malformed {
			e.u(n)
		}
		e.n(len(p.Prefixes), false)
		for _, f := range p.Prefixes {
			e.s(f.Family)
			e.s(f.VRF)
			e.s(f.RD)
			e.u(uint64(f.Prefixes))
		}
		e.bool(p.DefaultRoute)
		e.n(len(p.Canaries), false)
		for _, c := range p.Canaries {
			e.bool(c)
		}
		e.s(p.LastError)
	}
	e.n(len(v.PFAIs), false)
	for _, p := range v.PFAIs {
		e.u(uint64(p.Default))
		e.u(uint64(p.Paths))
		e.n(len(p.Canaries), false)
		for _, c := range p.Canaries {
			e.u(uint64(c))
		}
	}
	// Sites in runs of equal entries.
	e.u(uint64(len(v.Sites)))
	for i := 0; i < len(v.Sites); {
		j := i + 1
		for j < len(v.Sites) && v.Sites[j] == v.Sites[i] {
			j++
		}
		s := &v.Sites[i]
		e.u(uint64(j - i))
		e.u(uint64(slices.Index(bgp.RoutingStates, s.State)))
		e.u(uint64(s.Missing))
		e.u(uint64(s.Unknown))
		e.u(uint64(s.Paths))
		e.u(uint64(s.NextHops))
		e.u(uint64(s.MinPaths))
		i = j
	}
	e.n(len(v.Interconnects), false)
	for _, r := range v.Interconnects {
		e.s(r.Interconnect)
		e.s(r.VRF)
		e.s(string(r.State))
		e.addr(r.Peer)
		e.u(uint64(r.Prefixes))
		e.u(uint64(r.Missing))
		e.u(uint64(r.Unknown))
	}
	e.n(len(v.Events), false)
	for _, ev := range v.Events {
		e.s(string(ev.Kind))
		e.i(unixNano(ev.Time))
		e.addr(ev.Peer)
		e.s(ev.Device)
		e.s(ev.Family)
		e.s(ev.Detail)
	}
	return e.b
}

// bgpEventKinds and interconnectStates are the values a View may carry:
// they become event kinds and labels at the central, a bounded set.
var (
	bgpEventKinds = []bgp.EventKind{bgp.EventPeerUp, bgp.EventPeerDown, bgp.EventMaxPrefix, bgp.EventDefaultRouteLost,
		bgp.EventDefaultRouteBack, bgp.EventPFAIDefaultRouteLost, bgp.EventPFAIDefaultRouteBack, bgp.EventDiscrepancy}
	interconnectStates = []bgp.InterconnectState{bgp.InterconnectBGPUnknown, bgp.InterconnectBGPUp,
		bgp.InterconnectSessionDown, bgp.InterconnectPrefixesMissing}
)

// DecodeBGP reads a View written by AppendBGP. It never panics on bad
// input; whether the View fits the central's configuration is the
// mirror's to check (bgp.Monitor.Apply).
func DecodeBGP(b []byte) (*bgp.View, error) {
	if k, err := Decode(b); err != nil {
		return nil, err
	} else if k != KindBGP {
		return nil, fmt.Errorf("observation kind %d, want a BGP view", k)
	}
	d := dec{b: b[2:]}
	v := &bgp.View{Fingerprint: d.u(), Time: fromUnixNano(d.i()), Held: d.int(), Skipped: d.u(), Undecodable: d.u()}
	if n, _ := d.count(20); n > 0 {
		v.Peers = make([]bgp.PeerView, n)
	}
	for i := range v.Peers {
		p := &v.Peers[i]
		p.State = d.s()
		p.Established = d.bool()
		p.Since, p.Changed = fromUnixNano(d.i()), fromUnixNano(d.i())
		p.LocalAddress, p.RemoteID = d.addr(), d.addr()
		p.Flaps, p.Trips, p.Updates = d.u(), d.u(), d.u()
		for h := range p.Malformed {
			p.Malformed[h] = d.u()
		}
		if n, _ := d.count(4); n > 0 {
			p.Prefixes = make([]bgp.FamilyCount, n)
		}
		for j := range p.Prefixes {
			p.Prefixes[j] = bgp.FamilyCount{Family: d.s(), VRF: d.s(), RD: d.s(), Prefixes: d.int()}
		}
		p.DefaultRoute = d.bool()
		if n, _ := d.count(1); n > 0 {
			p.Canaries = make([]bool, n)
		}
		for j := range p.Canaries {
			p.Canaries[j] = d.bool()
		}
		p.LastError = d.s()
	}
	presence := func() uint8 {
		x := d.u()
		if x > uint64(bgp.PresencePresent) {
			d.fail("a presence out of range")
		}
		return uint8(x)
	}
	if n, _ := d.count(3); n > 0 {
		v.PFAIs = make([]bgp.PFAIView, n)
	}
	for i := range v.PFAIs {
		p := &v.PFAIs[i]
		p.Default, p.Paths = presence(), d.int()
		if n, _ := d.count(1); n > 0 {
			p.Canaries = make([]uint8, n)
		}
		for j := range p.Canaries {
			p.Canaries[j] = presence()
		}
	}
	sites := d.u()
	if sites > maxBGPSites {
		d.fail("more sites than any inventory has")
	}
	if d.err == nil && sites > 0 {
		v.Sites = make([]bgp.SiteView, 0, sites)
	}
	for d.err == nil && uint64(len(v.Sites)) < sites {
		run := d.u()
		st := d.u()
		s := bgp.SiteView{Missing: d.int(), Unknown: d.int(), Paths: d.int(), NextHops: d.int(), MinPaths: d.int()}
		switch {
		case d.err != nil:
		case run == 0 || run > sites-uint64(len(v.Sites)):
			d.fail("a run of sites beyond their count")
		case st >= uint64(len(bgp.RoutingStates)):
			d.fail("a routing state out of range")
		default:
			s.State = bgp.RoutingStates[st]
			for range run {
				v.Sites = append(v.Sites, s)
			}
		}
	}
	if n, _ := d.count(7); n > 0 {
		v.Interconnects = make([]bgp.InterconnectRouting, n)
	}
	for i := range v.Interconnects {
		r := &v.Interconnects[i]
		r.Interconnect, r.VRF = d.s(), d.s()
		r.State = bgp.InterconnectState(d.s())
		if d.err == nil && !slices.Contains(interconnectStates, r.State) {
			d.fail("an unknown interconnect state")
		}
		r.Peer = d.addr()
		r.Prefixes, r.Missing, r.Unknown = d.int(), d.int(), d.int()
	}
	if n, _ := d.count(6); n > 0 {
		v.Events = make([]bgp.Event, n)
	}
	for i := range v.Events {
		ev := &v.Events[i]
		ev.Kind = bgp.EventKind(d.s())
		if d.err == nil && !slices.Contains(bgpEventKinds, ev.Kind) {
			d.fail("an unknown BGP event kind")
		}
		ev.Time = fromUnixNano(d.i())
		ev.Peer = d.addr()
		ev.Device, ev.Family, ev.Detail = d.s(), d.s(), d.s()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes after the BGP view")
	}
	if d.err != nil {
		return nil, fmt.Errorf("BGP view: %w", d.err)
	}
	return v, nil
}

// int reads a count that must fit an int32 (no real count is larger).
func (d *dec) int() int {
	v := d.u()
	if v > math.MaxInt32 {
		d.fail("a count out of range")
		return 0
	}
	return int(v)
}

// ObserveBGP queues a View of the collector's BGP monitor, like Observe
// a poll: it never blocks on NATS, and the queue keeps the Views in
// order while NATS is away.
func (p *Publisher) ObserveBGP(v *bgp.View) {
	data := AppendBGP(nil, v)
	p.mu.Lock()
	p.push(outMsg{subject: BGPSubject(p.opts.Collector), id: BGPMsgID(p.opts.Collector, v.Time), data: data})
	p.mu.Unlock()
}

// OnBGP sets fn to receive each BGP View a collector publishes, in the
// order published (replayed ones too: the receiver keeps the newest). fn
// runs in the message handler and must not block. The daemon of each
// configuration sets it before Run.
func (c *Consumer) OnBGP(fn func(collector string, v *bgp.View)) {
	c.mu.Lock()
	c.onBGP = fn
	c.mu.Unlock()
}

// handleBGP decodes a View and hands it on.
func (c *Consumer) handleBGP(collector string, data []byte) {
	v, err := DecodeBGP(data)
	if err != nil {
		c.bad(collector, err)
		return
	}
	c.m.received.WithLabelValues(collector, "bgp").Inc()
	c.mu.Lock()
	fn := c.onBGP
	c.mu.Unlock()
	if fn != nil {
		fn(collector, v)
	}
}
