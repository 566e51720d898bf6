package snmpagent

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// recorder is a Routing that keeps the last state it was given.
type recorder struct {
	mu   sync.Mutex
	last RoutingState
	n    int
}

func (r *recorder) Follow(st RoutingState) RoutingChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.n = st, r.n+1
	return RoutingChange{}
}

func (r *recorder) state() RoutingState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// newCutAgent builds (without sockets) the fleet of a generated RIE with a
// recording Routing attached.
func newCutAgent(t *testing.T, sites int) (*Agent, *inventory.Inventory, *recorder) {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Seed: 3, Sites: sites})
	a, err := New(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	a.SetRouting(rec)
	return a, inv, rec
}

// ifUp reads the state the simulator serves for one interface.
func ifUp(t *testing.T, a *Agent, dev, ifc string) bool {
	t.Helper()
	info, err := a.Device(dev)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range info.Interfaces {
		if it.Name == ifc {
			return it.Up
		}
	}
	t.Fatalf("%s has no interface %s", dev, ifc)
	return false
}

// unreached is the sorted union of the sites the route reflectors cannot reach.
func unreached(st RoutingState) []string {
	var out []string
	for _, ids := range st.Unreached {
		out = append(out, ids...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sitesWhere lists, sorted, the sites every access of which satisfies cond.
func sitesWhere(inv *inventory.Inventory, cond func(s *inventory.Site, a inventory.AccessLink) bool) []string {
	var out []string
	for i := range inv.Sites {
		s := &inv.Sites[i]
		all := len(s.Access) > 0
		for _, a := range s.Access {
			all = all && cond(s, a)
		}
		if all {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestCutInternet(t *testing.T) {
	a, inv, rec := newCutAgent(t, 400)
	var tunnels []inventory.AccessLink
	for _, s := range inv.Sites {
		for _, al := range s.Access {
			if al.ViaInternet {
				tunnels = append(tunnels, al)
			}
		}
	}
	var uplinks []inventory.Interconnect
	for _, ic := range inv.Interconnects {
		if ic.Kind == inventory.InterconnectInternet {
			uplinks = append(uplinks, ic)
		}
	}
	if len(tunnels) < 10 || len(uplinks) != 2 {
		t.Fatalf("the generated RIE has %d tunnels and %d internet uplinks; the test needs some of each", len(tunnels), len(uplinks))
	}
	if got := unreached(rec.state()); len(got) != 0 {
		t.Fatalf("sites unreached before any cut: %v", got)
	}

	// One tunnel down by hand before the cut: the cut keeps it, the restore leaves it down.
	byHand := tunnels[0]
	if err := a.SetLink(byHand.Device, byHand.Interface, false); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Cut("internet")
	if err != nil {
		t.Fatal(err)
	}
	want := CutReport{Item: "internet", Action: "cut", Changed: true, Links: len(tunnels) - 1 + len(uplinks),
		Interfaces: 2*(len(tunnels)-1) + len(uplinks), Tunnels: len(tunnels) - 1, Kept: 1}
	if rep != want {
		t.Errorf("cut internet = %+v\nwant %+v", rep, want)
	}
	for _, al := range tunnels {
		if ifUp(t, a, al.Router, al.RouterInterface) || ifUp(t, a, al.Device, al.Interface) {
			t.Errorf("tunnel %s %s -- %s %s still up after the internet cut", al.Router, al.RouterInterface, al.Device, al.Interface)
		}
	}
	for _, ic := range uplinks {
		if ifUp(t, a, ic.Device, ic.Interface) {
			t.Errorf("internet uplink %s %s still up", ic.Device, ic.Interface)
		}
	}
	st := rec.state()
	for _, ic := range uplinks {
		if have, ok := st.Internet[ic.Device]; !ok || have {
			t.Errorf("internet edge %s: has internet %v (known %v), want false", ic.Device, have, ok)
		}
	}
	onlyTunnels := sitesWhere(inv, func(_ *inventory.Site, al inventory.AccessLink) bool { return al.ViaInternet })
	if len(onlyTunnels) == 0 {
		t.Fatal("no site rides the internet alone")
	}
	for rr, ids := range st.Unreached {
		if !slices.Equal(ids, onlyTunnels) {
			t.Errorf("%s cannot reach %d sites %v,\nwant the %d sites whose every access rides the internet %v", rr, len(ids), ids, len(onlyTunnels), onlyTunnels)
		}
	}
	if len(st.Unreached) != 2 {
		t.Errorf("routing state for %d route reflectors, want 2", len(st.Unreached))
	}

	// A held tunnel cannot be brought up by hand; cutting again changes nothing.
	if err := a.SetLink(tunnels[1].Device, tunnels[1].Interface, true); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "internet") {
		t.Errorf("bringing up a tunnel during the cut: %v, want ErrHeld naming the cut", err)
	}
	again, err := a.Cut("internet")
	if err != nil || again.Changed || again.Links != 0 {
		t.Errorf("second cut = %+v, %v; want unchanged", again, err)
	}
	if cuts := a.Cuts(); len(cuts) != 1 || cuts[0].Item != "internet" || cuts[0].Tunnels != len(tunnels) {
		t.Errorf("Cuts() = %+v", cuts)
	}

	back, err := a.Restore("internet")
	if err != nil {
		t.Fatal(err)
	}
	want.Action, want.Kept = "restore", 1
	if back != want {
		t.Errorf("restore internet = %+v\nwant %+v", back, want)
	}
	for _, al := range tunnels {
		up := ifUp(t, a, al.Router, al.RouterInterface) && ifUp(t, a, al.Device, al.Interface)
		if up != (al.Interface != byHand.Interface || al.Device != byHand.Device) {
			t.Errorf("tunnel %s %s up=%v after restore; only the one taken down by hand stays down", al.Router, al.RouterInterface, up)
		}
	}
	st = rec.state()
	for _, ic := range uplinks {
		if !st.Internet[ic.Device] {
			t.Errorf("internet edge %s without internet after restore", ic.Device)
		}
	}
	// Only the site behind the tunnel down by hand may stay unreached.
	for _, id := range unreached(st) {
		s := inv.Site(id)
		if len(s.Access) != 1 || s.Access[0].Interface != byHand.Interface || s.Access[0].Device != byHand.Device {
			t.Errorf("site %s unreached after restore", id)
		}
	}
	if again, err := a.Restore("internet"); err != nil || again.Changed {
		t.Errorf("second restore = %+v, %v; want unchanged", again, err)
	}
}

func TestPowerOffWithdrawsSingleHomedSites(t *testing.T) {
	a, inv, rec := newCutAgent(t, 300)
	// The aggregation router carrying the most sites alone.
	only := map[string][]string{}
	for _, s := range inv.Sites {
		dev := s.Access[0].Device
		for _, al := range s.Access {
			if al.Device != dev {
				dev = ""
			}
		}
		if d := inv.Device(dev); d != nil && d.Role == inventory.RoleCollection {
			only[dev] = append(only[dev], s.ID)
		}
	}
	agg := ""
	for d, ss := range only {
		if agg == "" || len(ss) > len(only[agg]) || (len(ss) == len(only[agg]) && d < agg) {
			agg = d
		}
	}
	if agg == "" {
		t.Fatal("no single-homed site")
	}
	want := slices.Sorted(slices.Values(only[agg]))
	if err := a.SetPower(agg, false); err != nil {
		t.Fatal(err)
	}
	if got := unreached(rec.state()); !slices.Equal(got, want) {
		t.Errorf("%s off: unreached %v, want its single-homed sites %v", agg, got, want)
	}
	if !rec.state().Off[agg] {
		t.Errorf("%s not reported off", agg)
	}
	if err := a.SetPower(agg, true); err != nil {
		t.Fatal(err)
	}
	if got := unreached(rec.state()); len(got) != 0 {
		t.Errorf("%s back on: unreached %v", agg, got)
	}
}

func TestCutOverseasCable(t *testing.T) {
	a, inv, rec := newCutAgent(t, 1000)
	// Cables, by region, from the inventory's transoceanic links.
	cables := map[string][]string{}
	for _, l := range inv.Links {
		if l.Technology != inventory.TechTransoceanic {
			continue
		}
		region := inv.DeviceRegion(inv.Device(l.A.Device))
		cables[region] = append(cables[region], l.SRLGs...)
	}
	single, double := "", ""
	for _, r := range inv.Regions {
		switch n := len(cables[r.ID]); {
		case n == 1 && single == "":
			single = r.ID
		case n == 2 && double == "":
			double = r.ID
		}
	}
	if single == "" || double == "" {
		t.Fatalf("cables by region %v: the test needs a region with one and one with two", cables)
	}
	// A one-cable territory: every site of it that does not tunnel to the
	// mainland over the internet is cut off.
	want := sitesWhere(inv, func(s *inventory.Site, al inventory.AccessLink) bool { return s.Region == single && !al.ViaInternet })
	item := "srlg:" + cables[single][0]
	rep, err := a.Cut(item)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Links != 1 || rep.Interfaces != 2 || rep.Tunnels != 0 {
		t.Errorf("cut %s = %+v, want 1 link, 2 interfaces", item, rep)
	}
	if got := unreached(rec.state()); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("cut %s: unreached %v, want %v", item, got, want)
	}
	// One of two cables: nothing is cut off.
	if _, err := a.Cut("srlg:" + cables[double][0]); err != nil {
		t.Fatal(err)
	}
	if got := unreached(rec.state()); !slices.Equal(got, want) {
		t.Errorf("one of two cables of %s cut: unreached %v, want still %v", double, got, want)
	}
	for _, r := range a.RestoreAll() {
		if !r.Changed || r.Links != 1 {
			t.Errorf("restore %+v", r)
		}
	}
	if got := unreached(rec.state()); len(got) != 0 {
		t.Errorf("after restoring every cut: unreached %v", got)
	}
}

func TestOverlappingCuts(t *testing.T) {
	a, inv, _ := newCutAgent(t, 200)
	pop := inv.PoPs[len(inv.PoPs)-1].ID
	var devs []string
	for _, d := range inv.Devices {
		if d.PoP == pop {
			devs = append(devs, d.Name)
		}
	}
	off := func(name string) bool {
		info, err := a.Device(name)
		if err != nil {
			t.Fatal(err)
		}
		return info.PoweredOff
	}
	if _, err := a.Cut("device:" + devs[0]); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Cut("pop:" + pop)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Devices != len(devs)-1 || rep.Kept != 1 {
		t.Errorf("cut pop:%s = %+v, want %d devices off and 1 kept", pop, rep, len(devs)-1)
	}
	if err := a.SetPower(devs[0], true); !errors.Is(err, ErrHeld) {
		t.Errorf("power on a device held by two cuts: %v, want ErrHeld", err)
	}
	if _, err := a.Restore("pop:" + pop); err != nil {
		t.Fatal(err)
	}
	if !off(devs[0]) {
		t.Errorf("%s on after restoring the PoP while device:%s is still cut", devs[0], devs[0])
	}
	for _, d := range devs[1:] {
		if off(d) {
			t.Errorf("%s still off after restoring pop:%s", d, pop)
		}
	}
	if _, err := a.Restore("device:" + devs[0]); err != nil || off(devs[0]) {
		t.Errorf("restore device:%s: %v, off %v", devs[0], err, off(devs[0]))
	}
}

func TestCutItems(t *testing.T) {
	a, inv, _ := newCutAgent(t, 50)
	l := inv.Links[0]
	for _, tc := range []struct {
		item    string
		unknown bool
		syntax  bool
	}{
		{item: "link:" + l.A.Device + "--" + l.B.Device},
		{item: "link:" + l.B.Device + "--" + l.A.Device},
		{item: "region:" + inv.Sites[0].Region},
		{item: "device:no-such-router", unknown: true},
		{item: "srlg:no-such-duct", unknown: true},
		{item: "pop:nowhere", unknown: true},
		{item: "link:x--y", unknown: true},
		{item: "link:lonely", syntax: true},
		{item: "internets", syntax: true},
		{item: "device:", syntax: true},
	} {
		rep, err := a.Cut(tc.item)
		switch {
		case tc.unknown && !errors.Is(err, ErrUnknownItem):
			t.Errorf("cut %q: %v, want ErrUnknownItem", tc.item, err)
		case tc.syntax && (err == nil || errors.Is(err, ErrUnknownItem) || !strings.Contains(err.Error(), "whatif")):
			t.Errorf("cut %q: %v, want a syntax error pointing at the item forms", tc.item, err)
		case !tc.unknown && !tc.syntax && (err != nil || !rep.Changed):
			t.Errorf("cut %q = %+v, %v", tc.item, rep, err)
		}
		if err == nil {
			if _, err := a.Restore(tc.item); err != nil {
				t.Errorf("restore %q: %v", tc.item, err)
			}
		}
	}
}

func TestCutEndpoint(t *testing.T) {
	a, inv, _ := newCutAgent(t, 100)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	do := func(method, path string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil && resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return resp.StatusCode
	}
	var rep CutReport
	if code := do("POST", "/cuts/internet", &rep); code != 200 || !rep.Changed || rep.Tunnels == 0 {
		t.Fatalf("POST /cuts/internet: %d %+v", code, rep)
	}
	var cuts []ActiveCut
	if code := do("GET", "/cuts", &cuts); code != 200 || len(cuts) != 1 || cuts[0].Item != "internet" {
		t.Errorf("GET /cuts: %d %+v", code, cuts)
	}
	var tunnel inventory.AccessLink
	for _, s := range inv.Sites {
		for _, al := range s.Access {
			if al.ViaInternet {
				tunnel = al
			}
		}
	}
	if code := do("POST", "/link/"+tunnel.Device+"?interface="+tunnel.Interface+"&state=up", nil); code != http.StatusConflict {
		t.Errorf("bringing a held tunnel up by hand: %d, want 409", code)
	}
	if code := do("POST", "/cuts/srlg:no-such", nil); code != 404 {
		t.Errorf("unknown item: %d, want 404", code)
	}
	if code := do("POST", "/cuts/bogus", nil); code != 400 {
		t.Errorf("bad item: %d, want 400", code)
	}
	var back CutReport
	if code := do("DELETE", "/cuts/internet", &back); code != 200 || !back.Changed || back.Tunnels != rep.Tunnels {
		t.Errorf("DELETE /cuts/internet: %d %+v, want %d tunnels back", code, back, rep.Tunnels)
	}
	var all []CutReport
	if code := do("DELETE", "/cuts", &all); code != 200 || len(all) != 0 {
		t.Errorf("DELETE /cuts with nothing cut: %d %+v", code, all)
	}
}
