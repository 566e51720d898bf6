package bgpsim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// startFleet runs a fleet for inv until the test ends.
func startFleet(t *testing.T, inv *inventory.Inventory) *Fleet {
	t.Helper()
	f, err := New(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("fleet Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("fleet did not stop within 30 s of cancel")
		}
	})
	return f
}

// startMonitor runs vigie's real route monitor (an embedded GoBGP) with
// cfg until the test ends.
func startMonitor(t *testing.T, cfg inventory.BGP, inv *inventory.Inventory) *bgp.Monitor {
	t.Helper()
	opts := bgp.DefaultOptions()
	// An hour of settle time: within a test, only the simulator's
	// End-of-RIB can make the monitor trust an absence.
	opts.RouteSettle = time.Hour
	m, err := bgp.New(cfg, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("monitor Run: %v", err)
		}
	})
	return m
}

// eventually polls cond every 100 ms for up to 20 s and fails with what
// cond last said.
func eventually(t *testing.T, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 20 s: %s", what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func peerByDevice(m *bgp.Monitor, device string) bgp.PeerStatus {
	for _, p := range m.Peers() {
		if p.Device == device {
			return p
		}
	}
	return bgp.PeerStatus{}
}

func allEstablished(m *bgp.Monitor) string {
	for _, p := range m.Peers() {
		if !p.Established {
			return fmt.Sprintf("%s (%s) is %s (%s)", p.Device, p.Address, p.State, p.LastError)
		}
	}
	return ""
}

// sitePaths checks every site's MinPaths, but for the ones in except.
func sitePaths(m *bgp.Monitor, inv *inventory.Inventory, want int, except map[string]int) string {
	sr := m.SitePrefixes()
	for _, s := range inv.Sites {
		w := want
		if e, ok := except[s.ID]; ok {
			w = e
		}
		if got := sr[s.ID].MinPaths; got != w {
			return fmt.Sprintf("site %s has %d paths, want %d", s.ID, got, w)
		}
	}
	return ""
}

func TestFleetWithMonitor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		localAS uint32
		// controls also exercises every control (about 10 s more).
		controls bool
	}{
		{"ibgp route-reflector client", sim.RIEAS, true},
		{"ebgp", 65010, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := sim.Generate(sim.GenerateOptions{Sites: 120, Seed: 7})
			f := startFleet(t, inv)
			cfg := f.Config(tc.localAS, netip.MustParseAddr("127.0.0.1"))
			var kinds = map[Kind]int{}
			for _, s := range f.Speakers() {
				kinds[s.Kind]++
			}
			if kinds[KindReflector] != 2 || kinds[KindInternetEdge] != 2 || kinds[KindServices] != 2 || len(cfg.Peers) != 6 {
				t.Fatalf("speakers per kind %v, %d peers: want 2 route reflectors, 2 internet edges, 2 PFS", kinds, len(cfg.Peers))
			}
			m := startMonitor(t, cfg, inv)
			eventually(t, "every session established", func() string { return allEstablished(m) })
			// Each speaker's BGP4-MIB row for vigie agrees with vigie's view.
			eventually(t, "every speaker's BGP4-MIB shows vigie's session", func() string {
				for _, sp := range f.Speakers() {
					var mib []bgp.RouterPeer
					for _, r := range f.Sessions(sp.Device) {
						if r.Local != sp.Address || r.RemoteAS != tc.localAS || r.RemoteID != cfg.RouterID || r.Since.IsZero() {
							return fmt.Sprintf("%s: row %+v", sp.Device, r)
						}
						mib = append(mib, bgp.RouterPeer{Remote: r.Remote, Local: r.Local, State: 6, RemoteAS: r.RemoteAS})
					}
					if len(mib) != 1 {
						return fmt.Sprintf("%s: %d rows for vigie, want 1", sp.Device, len(mib))
					}
					if ds := bgp.ReconcileView(sp.Device, tc.localAS, mib, m.Peers()); len(ds) != 0 {
						return fmt.Sprintf("%s: %+v", sp.Device, ds)
					}
				}
				return ""
			})
			// Both reflectors announce every site: two paths each.
			eventually(t, "every site routed twice", func() string { return sitePaths(m, inv, 2, nil) })
			eventually(t, "End-of-RIB: both PFAI's default routes judged present", func() string {
				for _, p := range m.PFAIRoutes() {
					if !p.Known || !p.DefaultRoute {
						return fmt.Sprintf("%s: known %v, default route %v", p.Device, p.Known, p.DefaultRoute)
					}
				}
				return ""
			})
			eventually(t, "defaults, canaries and VRFs", func() string {
				for _, p := range m.Peers() {
					switch p.Role {
					case string(inventory.RolePFAI):
						if !p.DefaultRoute {
							return p.Device + " sends no default route"
						}
						for c, ok := range p.Canaries {
							if !ok {
								return fmt.Sprintf("%s does not send canary %s", p.Device, c)
							}
						}
					case string(inventory.RolePFS):
						// testa, renater, one partner VRF and five ministries', each
						// under its own RD, named by the generated inventory's vrfs:.
						n := 0
						for _, fc := range p.Prefixes {
							if fc.Family == inventory.FamilyVPNv4 && strings.HasPrefix(fc.RD, "64600:") && fc.Prefixes == 1 &&
								inv.VRF(fc.VRF) != nil {
								n++
							}
						}
						if n != 3+5 {
							return fmt.Sprintf("%s: %d VRFs with one VPNv4 path, want 3 + 5 ministries' (%+v)", p.Device, n, p.Prefixes)
						}
					}
				}
				return ""
			})
			// Every partner's expected prefix is in its VRF from its PFS.
			eventually(t, "interconnects up for BGP", func() string {
				ics := m.Interconnects()
				if len(ics) != 6 {
					return fmt.Sprintf("%d interconnects judged, want 6 (testa, renater, partner on two PFS): %+v", len(ics), ics)
				}
				for _, r := range ics {
					if r.State != bgp.InterconnectBGPUp {
						return fmt.Sprintf("%s: %s", r.Interconnect, r.Detail())
					}
				}
				return ""
			})

			if !tc.controls {
				return
			}
			// Withdraw one edge's default route: only that edge loses it.
			if err := f.WithdrawDefault("pfai-1", true); err != nil {
				t.Fatal(err)
			}
			eventually(t, "pfai-1's default withdrawn", func() string {
				if peerByDevice(m, "pfai-1").DefaultRoute {
					return "pfai-1 still sends a default route"
				}
				if !peerByDevice(m, "pfai-2").DefaultRoute {
					return "pfai-2 lost its default route too"
				}
				return ""
			})
			if err := f.WithdrawDefault("pfai-1", false); err != nil {
				t.Fatal(err)
			}
			eventually(t, "pfai-1's default back", func() string {
				if !peerByDevice(m, "pfai-1").DefaultRoute {
					return "pfai-1 sends no default route"
				}
				return ""
			})

			// Withdraw one site: both paths go, the others keep theirs.
			site := inv.Sites[5].ID
			if err := f.WithdrawSite(site, true); err != nil {
				t.Fatal(err)
			}
			eventually(t, "site withdrawn", func() string { return sitePaths(m, inv, 2, map[string]int{site: 0}) })
			eventually(t, "site judged unrouted", func() string {
				for _, r := range m.SiteRouting() {
					if r.Site == site && r.State != bgp.RoutingUnrouted {
						return fmt.Sprintf("%s is %s", site, r.State)
					}
				}
				return ""
			})
			if err := f.WithdrawSite(site, false); err != nil {
				t.Fatal(err)
			}
			eventually(t, "site back", func() string { return sitePaths(m, inv, 2, nil) })

			// The partner withdraws its prefix: its interconnect alone is
			// missing it; announced again, it is up.
			if err := f.WithdrawInterconnect("partner-caisse", true); err != nil {
				t.Fatal(err)
			}
			icState := func(want map[string]bgp.InterconnectState) func() string {
				return func() string {
					for _, r := range m.Interconnects() {
						st, ok := want[r.Interconnect]
						if !ok {
							st = bgp.InterconnectBGPUp
						}
						if r.State != st {
							return fmt.Sprintf("%s is %s, want %s", r.Interconnect, r.State, st)
						}
					}
					return ""
				}
			}
			eventually(t, "partner-caisse's prefix missing", icState(map[string]bgp.InterconnectState{"partner-caisse": bgp.InterconnectPrefixesMissing}))
			if err := f.WithdrawInterconnect("partner-caisse", false); err != nil {
				t.Fatal(err)
			}
			eventually(t, "partner-caisse's prefix back", icState(nil))
			if err := f.WithdrawInterconnect("internet-1", true); err == nil {
				t.Error("WithdrawInterconnect(internet-1) succeeded: an internet interconnect has no VRF prefix")
			}

			// A stopped reflector leaves one path per site; started again,
			// vigie reconnects by itself and sees two.
			if err := f.Stop("rr-1"); err != nil {
				t.Fatal(err)
			}
			if rows := f.Sessions("rr-1"); len(rows) != 0 {
				t.Errorf("rr-1 stopped, its BGP4-MIB still shows %+v", rows)
			}
			eventually(t, "rr-1 down", func() string {
				if p := peerByDevice(m, "rr-1"); p.Established {
					return "rr-1 still established"
				}
				return sitePaths(m, inv, 1, nil)
			})
			if err := f.Start("rr-1"); err != nil {
				t.Fatal(err)
			}
			eventually(t, "rr-1 back", func() string {
				if p := peerByDevice(m, "rr-1"); !p.Established || p.Flaps != 1 {
					return fmt.Sprintf("rr-1 is %s with %d flaps, want established after 1", p.State, p.Flaps)
				}
				return sitePaths(m, inv, 2, nil)
			})

			// A reset is one flap; vigie reconnects and gets the routes again.
			if err := f.ResetSession("pfai-2"); err != nil {
				t.Fatal(err)
			}
			eventually(t, "pfai-2 reset and back", func() string {
				if p := peerByDevice(m, "pfai-2"); !p.Established || p.Flaps != 1 || !p.DefaultRoute {
					return fmt.Sprintf("pfai-2 is %s with %d flaps, default route %v; want established after 1 flap, with it", p.State, p.Flaps, p.DefaultRoute)
				}
				return ""
			})
		})
	}
}

func TestControlErrors(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 20, Seed: 1})
	f, err := New(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unknown device", f.WithdrawDefault("agg-nowhere", true), "not a simulated BGP speaker"},
		{"not an edge", f.WithdrawDefault("rr-1", true), "announces no default route"},
		{"unknown site", f.WithdrawSite("s99999", true), "unknown site"},
		{"reset unknown", f.ResetSession("pfai-9"), "not a simulated BGP speaker"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
	// The port is shared: a second fleet on it must fail and say so.
	if _, err := New(inv, Options{Port: f.Port()}); err == nil || !strings.Contains(err.Error(), "choose another port") {
		t.Errorf("second fleet on port %d: error %v, want a port conflict", f.Port(), err)
	}
}

func TestHandler(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 20, Seed: 1})
	f, err := New(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/", http.StatusOK},
		{"POST", "/default/pfai-1?state=withdrawn", http.StatusNoContent},
		{"POST", "/default/pfai-1?state=down", http.StatusBadRequest},
		{"POST", "/default/rr-1?state=withdrawn", http.StatusNotFound},
		{"POST", "/site/" + inv.Sites[0].ID + "?state=withdrawn", http.StatusNoContent},
		{"POST", "/interconnect/testa-1?state=withdrawn", http.StatusNoContent},
		{"POST", "/interconnect/internet-1?state=withdrawn", http.StatusNotFound},
		{"POST", "/reset/pfs-1", http.StatusNoContent},
		{"POST", "/stop/pfs-1", http.StatusNoContent},
		{"POST", "/start/pfs-1", http.StatusNoContent},
		{"POST", "/stop/nobody", http.StatusNotFound},
		{"GET", "/default/pfai-1", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
	}
	for _, s := range f.Speakers() {
		if s.Device == "pfai-1" && !s.DefaultWithdrawn {
			t.Error("pfai-1's default is not marked withdrawn after POST /default/pfai-1?state=withdrawn")
		}
		if !s.Listening {
			t.Errorf("%s is not listening after stop and start", s.Device)
		}
	}
}
