package snmpagent

// cuts.go is the scenario-level fault API: one call breaks what a real
// incident breaks, named as `vigie whatif --fail` names it ("internet",
// "srlg:cable-gp-1", "pop:pop-idf-01", ...), so that a planner can compare
// what vigie sees live with what it predicted. A cut holds links down and
// devices off; restoring it undoes exactly what it changed, and nothing a
// hand or another cut had set. What BGP announces follows from the link
// and power states (routing.go), whatever changed them.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// ErrUnknownItem is returned for a cut item the inventory does not know.
var ErrUnknownItem = errors.New("snmpagent: unknown cut item")

// CutReport says what one cut or restore did. Counts are of what changed:
// a link already down when cut is Kept, not counted in Links.
type CutReport struct {
	Item string `json:"item"`
	// Action is "cut" or "restore".
	Action string `json:"action"`
	// Changed is false when the item already was in the state asked for
	// (both calls are idempotent).
	Changed bool `json:"changed"`
	// Links taken down (cut) or brought back up (restore), each counted once.
	Links int `json:"links"`
	// Interfaces whose ifOperStatus changed (both ends of each link where
	// both are simulated; an internet uplink has one).
	Interfaces int `json:"interfaces"`
	// Tunnels is how many of Links ride the internet (via_internet
	// accesses and links: 4G/ADSL tunnels to the VPN concentrators).
	Tunnels int `json:"tunnels"`
	// Devices powered off (cut) or back on (restore).
	Devices int `json:"devices"`
	// Kept counts links and devices the item covers that were left as they
	// were: already down or off before the cut (so the restore leaves them
	// down), or still held by another active cut.
	Kept int `json:"kept"`
	// Routes is what BGP withdrew and announced again as a consequence.
	Routes RoutingChange `json:"routes"`
}

// ActiveCut is one cut in force.
type ActiveCut struct {
	Item    string    `json:"item"`
	Since   time.Time `json:"since"`
	Links   int       `json:"links"`
	Tunnels int       `json:"tunnels"`
	Devices int       `json:"devices"`
}

// end is one interface of the fleet: device and interface indexes.
type end struct{ dev, ifc int32 }

// hold is a link or device kept down by one or more cuts.
type hold struct {
	by []string
	// owned: the first cut changed it (it was up, or on), so the last
	// restore brings it back.
	owned bool
}

// cutPlan is what an item covers, resolved against the fleet.
type cutPlan struct {
	item    string       // the item's canonical name (link:A--B with A < B)
	links   []end        // one end of each link, canonical (see canon)
	tunnel  map[end]bool // the links riding the internet (shared, read only)
	devices []int32
}

type activeCut struct {
	plan  cutPlan
	since time.Time
	// downBefore: links of the devices it switched off that were already
	// down then; they stay down when the devices come back.
	downBefore map[end]bool
}

// scenario is the Agent's cut state and the inventory index cuts and
// routing are resolved with (built once in New: the inventory may change
// afterwards in the caller's hands).
type scenario struct {
	mu     sync.Mutex // cuts, holds; taken before Agent.mu
	active map[string]*activeCut
	links  map[end]*hold
	power  map[int32]*hold

	idx cutIndex

	routeMu sync.Mutex // serialises routing reconciliations
	routing Routing
}

// cutIndex maps inventory items to fleet elements.
type cutIndex struct {
	srlg     map[string][]end
	tunnels  []end               // via_internet accesses and links
	tunnel   map[end]bool        // the same, as a set
	uplinks  []end               // internet interconnect interfaces
	pairs    map[[2]string][]end // device names, sorted -> links between them
	pop      map[string][]int32
	region   map[string][]int32
	siteCEs  [][]int32 // per inventory site, its simulated CEs
	siteIDs  []string
	edges    map[int32][]int32 // internet edge device -> its uplink interfaces
	reflects []int32           // route reflectors
}

// canon returns the canonical end of the link on e: the smaller of its two
// ends, so that a link is held once whichever end names it.
func (a *Agent) canon(e end) end {
	it := a.fleet.devices[e.dev].ifaces[e.ifc]
	if it.peerDev < 0 {
		return e
	}
	p := end{it.peerDev, it.peerIf}
	if p.dev < e.dev || (p.dev == e.dev && p.ifc < e.ifc) {
		return p
	}
	return e
}

// buildCutIndex indexes inv for cuts and routing.
func (a *Agent) buildCutIndex(inv *inventory.Inventory) {
	f := a.fleet
	x := &a.sc.idx
	x.srlg = map[string][]end{}
	x.pairs = map[[2]string][]end{}
	x.pop = map[string][]int32{}
	x.region = map[string][]int32{}
	x.edges = map[int32][]int32{}
	find := func(dev, ifc string) (end, bool) {
		i, ok := f.byName[dev]
		if !ok {
			return end{}, false
		}
		j := f.devices[i].ifIndexOf(ifc)
		if j < 0 {
			return end{}, false
		}
		return a.canon(end{i, j}), true
	}
	link := func(ae, be inventory.Endpoint, srlgs []string, via bool) {
		e, ok := find(ae.Device, ae.Interface)
		if !ok {
			if e, ok = find(be.Device, be.Interface); !ok {
				return // not simulated (a device without an IPv4 address)
			}
		}
		for _, s := range srlgs {
			x.srlg[s] = append(x.srlg[s], e)
		}
		if via {
			x.tunnels = append(x.tunnels, e)
		}
		k := [2]string{ae.Device, be.Device}
		if k[0] > k[1] {
			k[0], k[1] = k[1], k[0]
		}
		x.pairs[k] = append(x.pairs[k], e)
	}
	for si := range inv.Sites {
		s := &inv.Sites[si]
		var ces []int32
		for _, al := range s.Access {
			link(inventory.Endpoint{Device: al.Router, Interface: al.RouterInterface},
				inventory.Endpoint{Device: al.Device, Interface: al.Interface}, al.SRLGs, al.ViaInternet)
			if i, ok := f.byName[al.Router]; ok && !slices.Contains(ces, i) {
				ces = append(ces, i)
			}
		}
		x.siteCEs = append(x.siteCEs, ces)
		x.siteIDs = append(x.siteIDs, s.ID)
	}
	for _, l := range inv.Links {
		link(l.A, l.B, l.SRLGs, l.ViaInternet)
	}
	x.tunnel = make(map[end]bool, len(x.tunnels))
	for _, e := range x.tunnels {
		x.tunnel[e] = true
	}
	for _, ic := range inv.Interconnects {
		e, ok := find(ic.Device, ic.Interface)
		if !ok {
			continue
		}
		for _, s := range ic.SRLGs {
			x.srlg[s] = append(x.srlg[s], e)
		}
		if ic.Kind == inventory.InterconnectInternet {
			x.uplinks = append(x.uplinks, e)
			x.edges[e.dev] = append(x.edges[e.dev], e.ifc)
		}
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		fi, ok := f.byName[d.Name]
		if !ok {
			continue
		}
		if d.PoP != "" {
			x.pop[d.PoP] = append(x.pop[d.PoP], fi)
		}
		if r := inv.DeviceRegion(d); r != "" {
			x.region[r] = append(x.region[r], fi)
		}
	}
	for _, d := range f.devices {
		if d.kind == kindRR {
			x.reflects = append(x.reflects, d.idx)
		}
	}
}

// planReport plans item for a cut or a restore (action) and starts the
// report of it, named as the plan names the item.
func (a *Agent) planReport(item, action string) (CutReport, cutPlan, error) {
	item = strings.TrimSpace(item)
	rep := CutReport{Item: item, Action: action}
	p, err := a.plan(item)
	if err != nil {
		return rep, p, err
	}
	rep.Item = p.item
	return rep, p, nil
}

// plan resolves a cut item ("internet", "device:NAME", "link:A--B",
// "srlg:ID", "pop:ID", "region:ID": the items of `vigie whatif --fail`).
func (a *Agent) plan(item string) (cutPlan, error) {
	x := &a.sc.idx
	p := cutPlan{item: item, tunnel: x.tunnel}
	kind, name, _ := strings.Cut(item, ":")
	unknown := func(what string) error {
		return fmt.Errorf("%w %q: the simulated inventory has no %s %q", ErrUnknownItem, item, what, name)
	}
	switch {
	case item == "internet":
		// Every internet uplink, every access and link riding the internet.
		// The PFAI routers stay up: they lose the internet, not power.
		p.links = append(slices.Clone(x.uplinks), x.tunnels...)
	case kind == "device" && name != "":
		i, ok := a.fleet.byName[name]
		if !ok {
			return p, unknown("device")
		}
		p.devices = []int32{i}
	case kind == "link" && strings.Contains(name, "--"):
		l, r, _ := strings.Cut(name, "--")
		if l > r {
			l, r = r, l
		}
		es := x.pairs[[2]string{l, r}]
		if len(es) == 0 {
			return p, unknown("link between")
		}
		p.item = "link:" + l + "--" + r
		p.links = slices.Clone(es)
	case kind == "srlg" && name != "":
		es := x.srlg[name]
		if len(es) == 0 {
			return p, unknown("shared-risk group")
		}
		p.links = slices.Clone(es)
	case kind == "pop" && name != "":
		ds := x.pop[name]
		if len(ds) == 0 {
			return p, unknown("PoP with devices")
		}
		p.devices = slices.Clone(ds)
	case kind == "region" && name != "":
		ds := x.region[name]
		if len(ds) == 0 {
			return p, unknown("region with devices")
		}
		p.devices = slices.Clone(ds)
	default:
		return p, fmt.Errorf("snmpagent: cut item %q: want internet, device:NAME, link:A--B, srlg:ID, pop:ID or region:ID (as vigie whatif --fail)", item)
	}
	slices.SortFunc(p.links, func(a, b end) int {
		if a.dev != b.dev {
			return int(a.dev - b.dev)
		}
		return int(a.ifc - b.ifc)
	})
	p.links = slices.Compact(p.links)
	slices.Sort(p.devices)
	p.devices = slices.Compact(p.devices)
	return p, nil
}

// Cut breaks everything item covers, as the real incident would: links
// down at both ends (LLDP neighbours and BGP sessions over them gone),
// devices off, and the routes that no longer have a way through withdrawn
// (see Routing). Cutting an item already cut changes nothing.
func (a *Agent) Cut(item string) (CutReport, error) {
	rep, p, err := a.planReport(item, "cut")
	if err != nil {
		return rep, err
	}
	item = p.item
	sc := &a.sc
	sc.mu.Lock()
	if sc.active == nil {
		sc.active, sc.links, sc.power = map[string]*activeCut{}, map[end]*hold{}, map[int32]*hold{}
	}
	if _, ok := sc.active[item]; ok {
		sc.mu.Unlock()
		rep.Routes = a.reconcile()
		return rep, nil
	}
	rep.Changed = true
	ac := &activeCut{plan: p, since: a.clock(), downBefore: map[end]bool{}}
	sc.active[item] = ac
	for _, d := range p.devices {
		if h := sc.power[d]; h != nil {
			h.by = append(h.by, item)
			rep.Kept++
			continue
		}
		dev := a.fleet.devices[d]
		on := !dev.state.Load().off
		sc.power[d] = &hold{by: []string{item}, owned: on}
		if !on {
			rep.Kept++
			continue
		}
		rep.Devices++
		st := dev.state.Load()
		for i, it := range dev.ifaces {
			if it.peerDev >= 0 && st.link(int32(i)).down {
				ac.downBefore[a.canon(end{dev.idx, int32(i)})] = true
			}
		}
		rep.Interfaces += a.powerLocked(dev, false, nil)
	}
	var downs []end
	for _, e := range p.links {
		if h := sc.links[e]; h != nil {
			h.by = append(h.by, item)
			rep.Kept++
			continue
		}
		down := a.fleet.devices[e.dev].state.Load().link(e.ifc).down
		sc.links[e] = &hold{by: []string{item}, owned: !down}
		if down {
			rep.Kept++
			continue
		}
		rep.Links++
		if p.tunnel[e] {
			rep.Tunnels++
		}
		downs = append(downs, e)
	}
	for _, n := range a.setLinksLocked(downs, false) {
		rep.Interfaces += n
	}
	sc.mu.Unlock()
	a.log.Info("simulated cut", "item", item, "links", rep.Links, "tunnels", rep.Tunnels, "devices", rep.Devices, "kept", rep.Kept)
	rep.Routes = a.reconcile()
	return rep, nil
}

// Restore undoes a cut: the links it took down come back up and the
// devices it powered off boot, unless another active cut still holds
// them. What was down before the cut stays down. Restoring an item that
// is not cut changes nothing.
func (a *Agent) Restore(item string) (CutReport, error) {
	rep, p, err := a.planReport(item, "restore")
	if err != nil {
		return rep, err
	}
	item = p.item
	sc := &a.sc
	sc.mu.Lock()
	c := sc.active[item]
	if c == nil {
		sc.mu.Unlock()
		rep.Routes = a.reconcile()
		return rep, nil
	}
	rep.Changed = true
	delete(sc.active, item)
	release := func(h *hold) bool { // true when nothing holds it any more
		h.by = slices.DeleteFunc(h.by, func(s string) bool { return s == item })
		return len(h.by) == 0
	}
	// Devices first: a device back on brings its free links up with it.
	for _, d := range c.plan.devices {
		h := sc.power[d]
		if h == nil || !release(h) {
			rep.Kept++
			continue
		}
		delete(sc.power, d)
		if !h.owned {
			rep.Kept++
			continue
		}
		rep.Devices++
		rep.Interfaces += a.powerLocked(a.fleet.devices[d], true, c.downBefore)
	}
	var ups []end
	for _, e := range c.plan.links {
		h := sc.links[e]
		if h == nil || !release(h) {
			rep.Kept++
			continue
		}
		delete(sc.links, e)
		if !h.owned || a.endOff(e) {
			rep.Kept++ // down by hand before, or an end is off: it comes up with it
			continue
		}
		ups = append(ups, e)
	}
	for k, n := range a.setLinksLocked(ups, true) {
		if n > 0 {
			rep.Links++
			rep.Interfaces += n
			if c.plan.tunnel[ups[k]] {
				rep.Tunnels++
			}
		}
	}
	sc.mu.Unlock()
	a.log.Info("simulated cut restored", "item", item, "links", rep.Links, "tunnels", rep.Tunnels, "devices", rep.Devices, "kept", rep.Kept)
	rep.Routes = a.reconcile()
	return rep, nil
}

// RestoreAll restores every active cut, in item order.
func (a *Agent) RestoreAll() []CutReport {
	out := []CutReport{}
	for _, c := range a.Cuts() {
		if r, err := a.Restore(c.Item); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Cuts lists the cuts in force, by item.
func (a *Agent) Cuts() []ActiveCut {
	sc := &a.sc
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := make([]ActiveCut, 0, len(sc.active))
	for item, c := range sc.active {
		ac := ActiveCut{Item: item, Since: c.since, Links: len(c.plan.links), Devices: len(c.plan.devices)}
		for _, e := range c.plan.links {
			if c.plan.tunnel[e] {
				ac.Tunnels++
			}
		}
		out = append(out, ac)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}

// heldLink names the cuts holding the link on e down; sc.mu is held.
func (sc *scenario) heldLink(e end) []string {
	if h := sc.links[e]; h != nil {
		return h.by
	}
	return nil
}

// heldDevice names the cuts holding device d off; sc.mu is held.
func (sc *scenario) heldDevice(d int32) []string {
	if h := sc.power[d]; h != nil {
		return h.by
	}
	return nil
}

// endOff reports whether a device at either end of the link on e is off.
func (a *Agent) endOff(e end) bool {
	d := a.fleet.devices[e.dev]
	if d.state.Load().off {
		return true
	}
	if it := d.ifaces[e.ifc]; it.peerDev >= 0 {
		return a.fleet.devices[it.peerDev].state.Load().off
	}
	return false
}

// setLinkLocked sets the link on e at both ends and returns how many
// interfaces changed; sc.mu is held.
func (a *Agent) setLinkLocked(e end, up bool) int {
	return a.setLinksLocked([]end{e}, up)[0]
}

// setLinksLocked sets the links on es at both ends and returns, per link,
// how many interfaces changed. Each device's state is replaced once for
// all its links: a concentrator carries thousands of tunnels, and a copy
// per tunnel would be quadratic. sc.mu is held.
func (a *Agent) setLinksLocked(es []end, up bool) []int {
	now := a.clock()
	changed := make([]int, len(es))
	type ref struct {
		ifc  int32
		link int
	}
	per := map[int32][]ref{}
	for k, e := range es {
		per[e.dev] = append(per[e.dev], ref{e.ifc, k})
		if it := a.fleet.devices[e.dev].ifaces[e.ifc]; it.peerDev >= 0 {
			per[it.peerDev] = append(per[it.peerDev], ref{it.peerIf, k})
		}
	}
	for d, refs := range per {
		a.update(a.fleet.devices[d], func(s *state) {
			if s.links == nil {
				s.links = map[int32]linkState{}
			}
			for _, r := range refs {
				l := s.links[r.ifc]
				if l.down == !up {
					continue
				}
				if up {
					l.downTotal += now.Sub(l.since)
					l.ups++
				}
				l.down, l.since = !up, now
				s.links[r.ifc] = l
				changed[r.link]++
			}
		})
	}
	return changed
}

// powerLocked switches d off or on (see SetPower) and returns how many
// interfaces changed; on, links a cut holds, links whose other end is off
// and links in keep stay down. sc.mu is held.
func (a *Agent) powerLocked(d *device, on bool, keep map[end]bool) int {
	if on {
		a.reboot(d)
	}
	a.update(d, func(s *state) { s.off = !on })
	var es []end
	for i, it := range d.ifaces {
		if it.peerDev < 0 {
			continue
		}
		e := a.canon(end{d.idx, int32(i)})
		if on && (a.sc.heldLink(e) != nil || a.endOff(e) || keep[e]) {
			continue
		}
		es = append(es, e)
	}
	changed := 0
	for _, n := range a.setLinksLocked(es, on) {
		changed += n
	}
	return changed
}

// cutRoutes adds the cut endpoints to the control mux (see Handler).
func (a *Agent) cutRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cuts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, a.Cuts())
	})
	mux.HandleFunc("POST /cuts/{item}", func(w http.ResponseWriter, r *http.Request) {
		rep, err := a.Cut(r.PathValue("item"))
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, rep)
	})
	mux.HandleFunc("DELETE /cuts/{item}", func(w http.ResponseWriter, r *http.Request) {
		rep, err := a.Restore(r.PathValue("item"))
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, rep)
	})
	mux.HandleFunc("DELETE /cuts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, a.RestoreAll())
	})
}
