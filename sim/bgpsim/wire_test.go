package bgpsim

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	bgpmon "github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

func TestRoutes(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 50, Seed: 3})
	f, err := New(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		device string
		kind   Kind
		routes int
	}{
		{"rr-1", KindReflector, 50},
		{"rr-2", KindReflector, 50},
		{"pfai-1", KindInternetEdge, 1 + len(DefaultCanaries)},
		{"pfai-2", KindInternetEdge, 1 + len(DefaultCanaries)},
		{"pfs-1", KindServices, 3 + 5}, // testa, renater, one partner, five ministries
		{"pfs-2", KindServices, 3 + 5},
	} {
		sp := f.byDevice[tc.device]
		if sp == nil {
			t.Errorf("%s: no speaker", tc.device)
			continue
		}
		if sp.kind != tc.kind || len(sp.routes) != tc.routes {
			t.Errorf("%s: %s with %d routes, want %s with %d", tc.device, sp.kind, len(sp.routes), tc.kind, tc.routes)
		}
	}
	if f.byDevice["vpn-1"] != nil {
		t.Error("vpn-1 (a PFAI concentrator without an internet interconnect) has a speaker")
	}
	// A site's next hop names its landing aggregation router.
	s := inv.Sites[10]
	agg := inv.Device(s.Access[0].Device).Address.Addr()
	for _, r := range f.byDevice["rr-1"].routes {
		if r.site == 10 && (r.prefix != s.Prefixes[0] || r.nextHop != derivedAddr(agg)) {
			t.Errorf("site %s: route %s via %s, want %s via %s", s.ID, r.prefix, r.nextHop, s.Prefixes[0], derivedAddr(agg))
		}
	}
	// One VRF, one RD and one prefix on every PFS router.
	vrfs := vrfNumbers(inv)
	for _, dev := range []string{"pfs-1", "pfs-2"} {
		for _, r := range f.byDevice[dev].routes {
			if vrfPrefix(r.vrf) != r.prefix || !netip.MustParsePrefix("198.18.0.0/15").Contains(r.prefix.Addr()) {
				t.Errorf("%s: VRF %d route %s, want %s inside 198.18.0.0/15", dev, r.vrf, r.prefix, vrfPrefix(r.vrf))
			}
		}
	}
	if vrfs["testa"] == 0 || vrfs["renater"] == 0 || vrfs["testa"] == vrfs["renater"] {
		t.Errorf("VRF numbers %v: want distinct testa and renater", vrfs)
	}
	for _, tc := range []struct{ in, want string }{
		{"127.1.0.13", "100.65.0.13"},
		{"127.1.78.72", "100.65.78.72"},
		{"127.200.3.4", "100.72.3.4"},
	} {
		if got := derivedAddr(netip.MustParseAddr(tc.in)); got.String() != tc.want {
			t.Errorf("derivedAddr(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestNotLoopback(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 10, Seed: 1})
	for i := range inv.Devices {
		if inv.Devices[i].Name == "rr-1" {
			inv.Devices[i].Address = netip.MustParseAddrPort("192.0.2.1:161")
		}
	}
	if _, err := New(inv, Options{}); err == nil || !strings.Contains(err.Error(), "only listens on loopback") {
		t.Errorf("rr-1 at 192.0.2.1: error %v, want a refusal naming loopback", err)
	}
}

// openBytes is vigie's OPEN as GoBGP would send it.
func openBytes(t testing.TB, as uint32, hold uint16, fams ...bgp.RouteFamily) []byte {
	cl := []bgp.ParameterCapabilityInterface{bgp.NewCapFourOctetASNumber(as)}
	for _, f := range fams {
		cl = append(cl, bgp.NewCapMultiProtocol(f))
	}
	b, err := bgp.NewBGPOpenMessage(asTrans, hold, "127.0.0.1",
		[]bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(cl)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOpen(t *testing.T) {
	ka, _ := bgp.NewBGPKeepAliveMessage().Serialize()
	noMP, _ := bgp.NewBGPOpenMessage(65010, 30, "127.0.0.1", nil).Serialize()
	id := netip.MustParseAddr("127.0.0.1") // vigie's BGP identifier, for its BGP4-MIB row
	for _, tc := range []struct {
		name    string
		in      []byte
		want    caps
		wantErr string
	}{
		{"ibgp ipv4", openBytes(t, 64600, 90, bgp.RF_IPv4_UC), caps{peerAS: 64600, peerID: id, ipv4: true, hold: 90 * time.Second}, ""},
		{"4-byte AS, vpnv4 only, short hold", openBytes(t, 4200000000, 9, bgp.RF_IPv4_VPN), caps{peerAS: 4200000000, peerID: id, vpnv4: true, hold: 9 * time.Second}, ""},
		{"no capability means ipv4", noMP, caps{peerAS: 65010, peerID: id, ipv4: true, hold: 30 * time.Second}, ""},
		{"hold 0 means none", openBytes(t, 64600, 0, bgp.RF_IPv4_UC), caps{peerAS: 64600, peerID: id, ipv4: true}, ""},
		{"hold 2 is refused", openBytes(t, 64600, 2, bgp.RF_IPv4_UC), caps{}, "hold time"},
		{"keepalive first", ka, caps{}, "expected OPEN"},
		{"bad marker", append([]byte{0}, ka[1:]...), caps{}, "marker"},
		{"length past 4096", append(bytes.Repeat([]byte{0xff}, 16), 0x20, 0x00, 1), caps{}, "out of range"},
		{"truncated", ka[:10], caps{}, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := readMsg(bytes.NewReader(tc.in))
			var got caps
			if err == nil {
				got, err = parseOpen(m, 90*time.Second)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// FuzzReadOpen feeds the simulator's reader and OPEN parser the bytes a
// peer could send: neither may panic.
func FuzzReadOpen(f *testing.F) {
	f.Add(openBytes(f, 64600, 90, bgp.RF_IPv4_UC, bgp.RF_IPv4_VPN))
	ka, _ := bgp.NewBGPKeepAliveMessage().Serialize()
	f.Add(ka)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readMsg(bytes.NewReader(b))
		if err == nil {
			_, _ = parseOpen(m, 90*time.Second)
		}
	})
}

// BenchmarkFleetConverge14000 builds the speakers of a 14,000-site RIE and
// measures the time until vigie's monitor holds every path (2 x 14,000
// site prefixes from the reflectors, plus defaults, canaries and VRFs).
func BenchmarkFleetConverge14000(b *testing.B) {
	inv := sim.Generate(sim.GenerateOptions{Sites: sim.DefaultSites, Seed: 1})
	for range b.N {
		start := time.Now()
		f, err := New(inv, Options{})
		if err != nil {
			b.Fatal(err)
		}
		built := time.Since(start)
		ctx, cancel := context.WithCancel(context.Background())
		go f.Run(ctx)
		cfg := f.Config(sim.RIEAS, netip.MustParseAddr("127.0.0.1"))
		want := 0
		for _, s := range f.Speakers() {
			want += s.Routes
		}
		m := newBenchMonitor(b, cfg, inv, ctx)
		for m.PathsHeld() < want {
			time.Sleep(20 * time.Millisecond)
		}
		b.ReportMetric(built.Seconds()*1000, "ms-build")
		b.ReportMetric(time.Since(start).Seconds(), "s-converge")
		b.ReportMetric(float64(want), "paths")
		cancel()
	}
}

// newBenchMonitor runs vigie's monitor until ctx is done.
func newBenchMonitor(b *testing.B, cfg inventory.BGP, inv *inventory.Inventory, ctx context.Context) *bgpmon.Monitor {
	m, err := bgpmon.New(cfg, inv, bgpmon.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	go m.Run(ctx)
	return m
}
