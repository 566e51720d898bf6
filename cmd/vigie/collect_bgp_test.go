package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/gobgpdtest"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
)

// reflectorTOML is a gobgpd standing in for a route reflector at addr:port,
// waiting (passive) for two vigies: the single box from 127.0.0.1 and the
// BGP collector from 127.0.0.2.
func reflectorTOML(as uint32, addr string, port int) gobgpdtest.Config {
	return gobgpdtest.PassiveFor(as, addr, port, []string{"127.0.0.1", "127.0.0.2"}, as, "ipv4-unicast")
}

// bgpView is what must not depend on where the sessions run: every
// vigie_bgp_* series but the uptimes (times), the site routing series and
// the interconnects' (BGP judges those with expected prefixes).
func bgpView(m map[string]map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for fam, series := range m {
		keep := strings.HasPrefix(fam, "vigie_bgp_") && fam != "vigie_bgp_session_uptime_seconds" ||
			fam == "vigie_site_routed" || fam == "vigie_site_route_next_hops" || fam == "vigie_sites_routing" ||
			strings.HasPrefix(fam, "vigie_interconnect_") && !strings.HasSuffix(fam, "_seconds")
		if !keep {
			continue
		}
		for labels, v := range series {
			out[fam+"{"+labels+"}"] = v
		}
	}
	return out
}

// apiRouting is each site's routing verdict in /api/v1/sites/{id} (nil
// while one does not answer).
func apiRouting(base string, sites []inventory.Site) map[string]string {
	out := map[string]string{}
	for _, s := range sites {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/api/v1/sites/" + s.ID)
		if err != nil {
			return nil
		}
		var site struct{ Routing string }
		err = json.NewDecoder(resp.Body).Decode(&site)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil
		}
		out["site "+s.ID] = site.Routing
	}
	return out
}

// reflectorAS and reflectorAddrs are the two gobgpd route reflectors of
// the BGP-at-a-collector tests.
const reflectorAS = 64600

var reflectorAddrs = []string{"127.0.0.71", "127.0.0.72"}

// startReflectors starts the two reflectors, rr-1 and rr-2 of the fleet,
// with every site's prefix from both but the last site's, from rr-2 only,
// and returns them with their peers (no local address set) and that site.
func startReflectors(t *testing.T, f *distFleet) ([]*gobgpdtest.Daemon, []inventory.BGPPeer, inventory.Site) {
	t.Helper()
	var rrs []*gobgpdtest.Daemon
	var peers []inventory.BGPPeer
	for i, addr := range reflectorAddrs {
		dev := fmt.Sprintf("rr-%d", i+1)
		if f.inv.Device(dev) == nil {
			t.Fatalf("the simulated RIE has no %s", dev)
		}
		port := freeport.TCP(t)
		rrs = append(rrs, gobgpdtest.Start(t, reflectorTOML(reflectorAS, addr, port)))
		peers = append(peers, inventory.BGPPeer{Device: dev, Address: netip.MustParseAddr(addr), RemoteAS: reflectorAS, Port: port})
	}
	last := f.inv.Sites[len(f.inv.Sites)-1]
	for i := range f.inv.Sites {
		for j, rr := range rrs {
			if s := &f.inv.Sites[i]; s.ID != last.ID || j == 1 {
				rr.MustCLI("global", "rib", "add", "-a", "ipv4", s.Prefixes[0].String(), "nexthop", "10.0.0.1")
			}
		}
	}
	return rrs, peers, last
}

// bgpAtCollectorOf gives the BGP sessions (bgp: true) to the collector
// that polls device, and returns its name.
func (f *distFleet) bgpAtCollectorOf(device string) string {
	name := f.inv.CollectorOf(f.inv.Device(device))
	for i := range f.inv.Collectors {
		f.inv.Collectors[i].BGP = f.inv.Collectors[i].Name == name
	}
	return name
}

// TestBGPAtCollector: the collector the inventory marks bgp: true runs
// the BGP sessions with two real route reflectors (gobgpd) and publishes
// its view; the central, which opens no session, then serves the same
// vigie_bgp_* series, site routing series and /api/v1 verdicts as a
// single box peering with the same reflectors. A reflector's sessions
// going down is the same change at both, with its event at the central.
// The BGP collector lost, the central's BGP is unobserved: no vigie_bgp_*
// series and no site unrouted, rather than sessions down.
func TestBGPAtCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server, two gobgpd and four vigie processes")
	}
	gobgpdtest.Require(t)
	f := newDistFleet(t, 6, 31, natstest.Options{})
	rrs, peers, last := startReflectors(t, f)
	// A PFAI's default route (by its next hop) from rr-1.
	var pfai *inventory.Device
	for i := range f.inv.Devices {
		if f.inv.Devices[i].Role == inventory.RolePFAI {
			pfai = &f.inv.Devices[i]
			break
		}
	}
	if pfai == nil {
		t.Fatal("the simulated RIE has no PFAI router")
	}
	rrs[0].MustCLI("global", "rib", "add", "-a", "ipv4", "0.0.0.0/0", "nexthop", pfai.Address.Addr().String())

	bgpColl := f.bgpAtCollectorOf("rr-1")
	bgpSection := func(local string) inventory.BGP {
		b := inventory.BGP{LocalAS: reflectorAS, RouterID: netip.MustParseAddr(local), RouteSettle: 3 * time.Second}
		for _, p := range peers {
			p.LocalAddress = netip.MustParseAddr(local)
			b.Peers = append(b.Peers, p)
		}
		return b
	}
	f.inv.BGP = bgpSection("127.0.0.1")
	singleConfig := writeConfig(t, t.TempDir(), f.inv)
	f.inv.BGP = bgpSection("127.0.0.2")
	f.config = writeConfig(t, t.TempDir(), f.inv)

	central, centralURL := f.run(t, "central-a")
	dist := f.config
	f.config = singleConfig
	_, singleURL := f.run(t, "")
	f.config = dist
	procs := map[string]*vigieProc{}
	for _, n := range distCollectors {
		procs[n], _ = f.collect(t, n, "--observations.heartbeat", "1s")
	}
	base := func(url string) string { return strings.TrimSuffix(url, "/metrics") }

	same := func(what string, cond func(want map[string]float64) bool) {
		t.Helper()
		var diff []string
		var want map[string]float64
		deadline := time.Now().Add(60 * time.Second)
		for {
			var got map[string]float64
			want, got = bgpView(scrape(singleURL)), bgpView(scrape(centralURL))
			wantAPI, gotAPI := apiRouting(base(singleURL), f.inv.Sites), apiRouting(base(centralURL), f.inv.Sites)
			diff = viewDiff(want, got)
			for k, v := range wantAPI {
				if gotAPI[k] != v {
					diff = append(diff, fmt.Sprintf("/api/v1/sites: %s routing %q, want %q", k, gotAPI[k], v))
				}
			}
			if cond(want) && len(wantAPI) > 0 && len(diff) == 0 {
				t.Logf("%s: %d BGP and routing series and %d API verdicts equal", what, len(want), len(wantAPI))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached, or the central's BGP view differs from the single box's, after 60s:\n%s\nsingle box's view: %v\ncentral's logs:\n%s\nBGP collector's logs:\n%s",
					what, strings.Join(diff, "\n"), want, central.logs(), procs[bgpColl].logs())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	sessionUp := func(m map[string]float64, addr string) float64 {
		for k, v := range m {
			if strings.HasPrefix(k, "vigie_bgp_session_up{") && strings.Contains(k, fmt.Sprintf("peer=%q", addr)) {
				return v
			}
		}
		return -1
	}
	routed := func(m map[string]float64, site string) float64 {
		for k, v := range m {
			if strings.HasPrefix(k, "vigie_site_routed{") && strings.Contains(k, fmt.Sprintf("site=%q", site)) {
				return v
			}
		}
		return -1
	}
	same("both sessions up, every site routed", func(m map[string]float64) bool {
		return sessionUp(m, reflectorAddrs[0]) == 1 && sessionUp(m, reflectorAddrs[1]) == 1 && routed(m, last.ID) == 1 &&
			m[fmt.Sprintf(`vigie_bgp_pfai_default_route_present{pfai=%q,region=%q}`, pfai.Name, f.inv.DeviceRegion(pfai))] == 1
	})
	logs := central.logs()
	if !strings.Contains(logs, "serving its view") || strings.Contains(logs, "BGP peer configured") {
		t.Errorf("the central opened BGP sessions of its own, or says nothing of the collector's:\n%s", logs)
	}

	// rr-2 goes away: both lose its sessions, and the last site, whose
	// prefix only rr-2 sent, is unrouted (rr-1 converged vouches for it).
	for _, vigie := range []string{"127.0.0.1", "127.0.0.2"} {
		rrs[1].MustCLI("neighbor", vigie, "disable")
	}
	downAt := time.Now()
	same("rr-2's sessions down", func(m map[string]float64) bool {
		return sessionUp(m, reflectorAddrs[1]) == 0 && routed(m, last.ID) == 0
	})
	t.Logf("rr-2 down: the central equal to the single box within %v", time.Since(downAt).Round(100*time.Millisecond))
	resp, err := http.Get(base(centralURL) + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	events, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ev := string(events); !strings.Contains(ev, "bgp_peer_down") || !strings.Contains(ev, reflectorAddrs[1]) {
		t.Errorf("the central's events lack rr-2's bgp_peer_down: %s", ev)
	}

	// The BGP collector lost: BGP unobserved at the central.
	if err := procs[bgpColl].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs[bgpColl].exited
	var m map[string]map[string]float64
	other := procs[distCollectors[(indexOf(distCollectors, bgpColl)+1)%len(distCollectors)]]
	other.waitFor(30*time.Second, "the BGP collector lost and the central's BGP unobserved", func() bool {
		m = scrape(centralURL)
		v, ok := seriesWith(m, "vigie_observations_collector_up", fmt.Sprintf("collector=%q", bgpColl))
		_, bgpSeries := m["vigie_bgp_session_up"]
		return ok && v == 0 && !bgpSeries
	})
	for fam := range m {
		if strings.HasPrefix(fam, "vigie_bgp_") {
			t.Errorf("%s exposed while the BGP collector is lost", fam)
		}
	}
	if v, _ := seriesWith(m, "vigie_sites_routing", `state="unrouted"`); v != 0 {
		t.Errorf("%v sites unrouted while the BGP collector is lost: unobserved is not unrouted", v)
	}
	for k, v := range apiRouting(base(centralURL), f.inv.Sites) {
		if strings.HasPrefix(k, "site ") && v != "" && v != "unknown" {
			t.Errorf("/api/v1/sites: %s routing %q while the BGP collector is lost, want unknown", k, v)
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}
