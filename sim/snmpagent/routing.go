package snmpagent

// routing.go derives what the simulated network can still route from the
// link and power states, for the BGP side of the simulation (package
// bgpsim implements Routing): an internet edge whose uplinks are all down
// withdraws its default route and canaries; a route reflector withdraws
// the prefixes of every site none of whose CEs it can reach any more; a
// powered-off router's BGP speaker goes silent. It is what a real network
// does, so every fault (a cut, a power-off, a link taken down by hand) has
// its routing consequences without being told.

// Routing is the BGP side of the simulation.
type Routing interface {
	// Follow makes the speakers announce what st allows, and says what was
	// withdrawn and announced again. It is called after every change of
	// link or power state, with the whole state each time.
	Follow(st RoutingState) RoutingChange
}

// RoutingState is what the simulated network can route now.
type RoutingState struct {
	// Internet tells, per internet edge device, whether it still has the
	// internet: it is on and one of its internet uplinks is up.
	Internet map[string]bool
	// Unreached lists, per route reflector, the sites (inventory ids) it
	// cannot reach: no CE of theirs is connected to it over links that are
	// up and devices that are on, without passing through another site.
	Unreached map[string][]string
	// Off lists the devices powered off.
	Off map[string]bool
}

// RoutingChange is what one Follow changed.
type RoutingChange struct {
	Withdrawn RouteCount `json:"withdrawn"`
	Announced RouteCount `json:"announced"`
}

// RouteCount counts routes and speakers. A site prefix withdrawn by both
// route reflectors counts two SitePaths and one Site.
type RouteCount struct {
	DefaultRoutes int `json:"default_routes"`
	Canaries      int `json:"canaries"`
	SitePaths     int `json:"site_paths"`
	Sites         int `json:"sites"`
	// Speakers stopped (power off) or listening again (power on).
	Speakers int `json:"speakers"`
}

// Add adds o to c.
func (c *RoutingChange) Add(o RoutingChange) {
	c.Withdrawn.add(o.Withdrawn)
	c.Announced.add(o.Announced)
}

func (c *RouteCount) add(o RouteCount) {
	c.DefaultRoutes += o.DefaultRoutes
	c.Canaries += o.Canaries
	c.SitePaths += o.SitePaths
	c.Sites += o.Sites
	c.Speakers += o.Speakers
}

// SetRouting attaches the BGP side (nil detaches it) and brings it in line
// with the current link and power states at once.
func (a *Agent) SetRouting(r Routing) RoutingChange {
	a.sc.routeMu.Lock()
	a.sc.routing = r
	a.sc.routeMu.Unlock()
	return a.reconcile()
}

// RoutingState returns what the simulated network can route now.
func (a *Agent) RoutingState() RoutingState {
	x := &a.sc.idx
	devs := a.fleet.devices
	states := make([]*state, len(devs))
	for i, d := range devs {
		states[i] = d.state.Load()
	}
	st := RoutingState{Internet: map[string]bool{}, Unreached: map[string][]string{}, Off: map[string]bool{}}
	for i, s := range states {
		if s.off {
			st.Off[devs[i].name] = true
		}
	}
	for d, ifs := range x.edges {
		up := false
		if !states[d].off {
			for _, i := range ifs {
				up = up || !states[d].link(i).down
			}
		}
		st.Internet[devs[d].name] = up
	}
	seen := make([]bool, len(devs))
	queue := make([]int32, 0, len(devs))
	for _, rr := range x.reflects {
		clear(seen)
		queue = queue[:0]
		if !states[rr].off {
			seen[rr] = true
			queue = append(queue, rr)
		}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			d := devs[n]
			if d.kind == kindCE && n != rr {
				continue // a site is a leaf: nothing transits through it
			}
			for i, it := range d.ifaces {
				p := it.peerDev
				if p < 0 || seen[p] || states[p].off || states[n].link(int32(i)).down {
					continue
				}
				seen[p] = true
				queue = append(queue, p)
			}
		}
		var un []string
		for si, ces := range x.siteCEs {
			reached := false
			for _, c := range ces {
				reached = reached || seen[c]
			}
			if !reached && len(ces) > 0 {
				un = append(un, x.siteIDs[si])
			}
		}
		st.Unreached[devs[rr].name] = un
	}
	return st
}

// reconcile hands the current routing state to the attached Routing.
func (a *Agent) reconcile() RoutingChange {
	sc := &a.sc
	sc.routeMu.Lock()
	defer sc.routeMu.Unlock()
	if sc.routing == nil {
		return RoutingChange{}
	}
	return sc.routing.Follow(a.RoutingState())
}
