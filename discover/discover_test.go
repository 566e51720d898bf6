package discover

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// fleet serves a small simulated RIE and returns it with its v2c profile.
func fleet(t testing.TB, sites int, seed uint64) (*inventory.Inventory, *snmpagent.Agent, *inventory.SNMPProfile) {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: seed})
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: seed})
	inv.Index()
	p := inv.Profile(sim.ProfileV2)
	if p == nil {
		t.Fatal("the simulated inventory has no v2c profile")
	}
	p.Timeout, p.Retries = 300*time.Millisecond, 1
	return inv, agent, p
}

// lldpGraph is the simulated fleet's LLDP adjacency (accesses and links
// not over the internet, which is where the simulator runs LLDP), with
// each link's two ends.
type lldpLink struct{ a, ai, b, bi string }

func lldpLinks(inv *inventory.Inventory) []lldpLink {
	var out []lldpLink
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if !a.ViaInternet {
				out = append(out, lldpLink{a.Router, a.RouterInterface, a.Device, a.Interface})
			}
		}
	}
	for _, l := range inv.Links {
		if !l.ViaInternet {
			out = append(out, lldpLink{l.A.Device, l.A.Interface, l.B.Device, l.B.Interface})
		}
	}
	return out
}

// reachable is the brute-force answer: the devices within depth hops of
// from over LLDP links, with their depth.
func reachable(inv *inventory.Inventory, from string, depth int) map[string]int {
	adj := map[string][]string{}
	for _, l := range lldpLinks(inv) {
		adj[l.a] = append(adj[l.a], l.b)
		adj[l.b] = append(adj[l.b], l.a)
	}
	seen := map[string]int{from: 0}
	layer := []string{from}
	for d := 1; d <= depth && len(layer) > 0; d++ {
		var next []string
		for _, x := range layer {
			for _, y := range adj[x] {
				if _, ok := seen[y]; !ok {
					seen[y] = d
					next = append(next, y)
				}
			}
		}
		layer = next
	}
	return seen
}

func deviceNamed(inv *inventory.Inventory, prefix string) *inventory.Device {
	for i := range inv.Devices {
		if strings.HasPrefix(inv.Devices[i].Name, prefix) {
			return &inv.Devices[i]
		}
	}
	return nil
}

func names(ds []*Device) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	slices.Sort(out)
	return out
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestCrawlSimulatedFleet: from one aggregation router, an unbounded
// crawl of a small simulated RIE reaches exactly the devices LLDP connects
// it to (the brute-force walk of the inventory's links), each once though
// the backbone has loops, at the depth of its shortest path, and finds
// every LLDP link between them, each once, with both ends' interfaces.
func TestCrawlSimulatedFleet(t *testing.T) {
	inv, _, p := fleet(t, 8, 41)
	seed := deviceNamed(inv, "agg-")
	var progress bytes.Buffer
	res, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{seed.Address}, Port: seed.Address.Port(),
		Profile: p, MaxDevices: 1000, MaxDepth: 100, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	want := reachable(inv, seed.Name, 100)
	if got := names(res.Devices); !slices.Equal(got, keys(want)) {
		t.Fatalf("reached %d devices %v\nwant %d %v\nprogress:\n%s", len(got), got, len(want), keys(want), progress.String())
	}
	if len(res.Failures) > 0 || len(res.Skipped) > 0 {
		t.Errorf("failures %v, skipped %v: want none", res.Failures, res.Skipped)
	}
	for _, d := range res.Devices {
		if d.Depth != want[d.Name] {
			t.Errorf("%s reached at depth %d, its shortest path is %d", d.Name, d.Depth, want[d.Name])
		}
		dev := inv.Device(d.Name)
		if d.Depth > 0 && d.AddressFrom != AddrFromLLDP {
			t.Errorf("%s: address learnt from %q, want the neighbour's lldpRemManAddrTable", d.Name, d.AddressFrom)
		}
		if d.Address != dev.Address || Vendor(d.ObjectID) == "" {
			t.Errorf("%s: address %s objectID %s, want %s and a known maker", d.Name, d.Address, d.ObjectID, dev.Address)
		}
	}
	var wantLinks []string
	for _, l := range lldpLinks(inv) {
		if _, ok := want[l.a]; ok {
			wantLinks = append(wantLinks, linkKey(l.a, l.ai, l.b, l.bi))
		}
	}
	slices.Sort(wantLinks)
	var gotLinks []string
	for _, l := range res.Links {
		if !l.BothEnds || !l.Reached || !slices.Equal(l.Via, []string{"lldp"}) {
			t.Errorf("link %+v: want seen by LLDP from both reached ends", l)
		}
		gotLinks = append(gotLinks, linkKey(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface))
	}
	slices.Sort(gotLinks)
	if !slices.Equal(gotLinks, wantLinks) {
		t.Errorf("links:\n got %d %v\nwant %d %v", len(gotLinks), gotLinks, len(wantLinks), wantLinks)
	}
	if !strings.Contains(progress.String(), "discover: depth 0: 1 address(es) to contact") {
		t.Errorf("no progress line per depth:\n%s", progress.String())
	}
}

func linkKey(a, ai, b, bi string) string {
	x, y := a+":"+ai, b+":"+bi
	if y < x {
		x, y = y, x
	}
	return x + " -- " + y
}

// TestCrawlBounds: --max-devices stops contacting at that many addresses
// and --max-depth at that many hops; what is left is counted as skipped
// by that bound, and the devices reached are the nearest.
func TestCrawlBounds(t *testing.T) {
	inv, _, p := fleet(t, 8, 42)
	seed := deviceNamed(inv, "agg-")
	all := reachable(inv, seed.Name, 100)
	crawl := func(o Options) *Result {
		t.Helper()
		o.Seeds, o.Port, o.Profile = []netip.AddrPort{seed.Address}, seed.Address.Port(), p
		res, err := Crawl(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := crawl(Options{MaxDevices: 3, MaxDepth: 100})
	if len(res.Devices)+len(res.Failures) != 3 {
		t.Errorf("max-devices 3: %d reached, %d failed", len(res.Devices), len(res.Failures))
	}
	if n := countSkips(res, SkipMaxDevices); n == 0 || len(all) <= 3 {
		t.Errorf("max-devices 3 on %d reachable devices: %d skipped by the bound", len(all), n)
	}
	res = crawl(Options{MaxDevices: 1000, MaxDepth: 1})
	want1 := reachable(inv, seed.Name, 1)
	if got := names(res.Devices); !slices.Equal(got, keys(want1)) {
		t.Errorf("max-depth 1: reached %v, want %v", got, keys(want1))
	}
	want2 := reachable(inv, seed.Name, 2)
	if n := countSkips(res, SkipMaxDepth); n != len(want2)-len(want1) {
		t.Errorf("max-depth 1: %d skipped by depth, want the %d devices at depth 2", n, len(want2)-len(want1))
	}
	for _, l := range res.Links {
		if !l.Reached && !strings.Contains(Summary(res), "max-depth") {
			t.Errorf("summary %q does not name the depth bound", Summary(res))
		}
	}
	res = crawl(Options{MaxDepth: 0, MaxDevices: 1000})
	if len(res.Devices) != 1 || res.Devices[0].Name != seed.Name {
		t.Errorf("max-depth 0: reached %v, want the seed only", names(res.Devices))
	}
}

func countSkips(res *Result, why string) int {
	n := 0
	for _, s := range res.Skipped {
		if s.Why == why {
			n++
		}
	}
	return n
}

// TestCrawlFaultyNeighbours: a neighbour that does not answer and one that
// answers garbage are reported as failures (timeout, malformed) and the
// crawl goes on to every other device; the ones reachable only through
// them are the only ones missed. A neighbour whose agent loops its OIDs is
// reached, with the table problem noted.
func TestCrawlFaultyNeighbours(t *testing.T) {
	inv, agent, p := fleet(t, 8, 43)
	seed := deviceNamed(inv, "agg-")
	// Two CEs on the seed: one silent, one answering garbage.
	var ces []string
	for _, l := range lldpLinks(inv) {
		if l.b == seed.Name && strings.HasPrefix(l.a, "ce-") && !slices.Contains(ces, l.a) {
			ces = append(ces, l.a)
		}
	}
	if len(ces) < 2 {
		t.Fatalf("the seed %s has %d CEs over LLDP, want 2", seed.Name, len(ces))
	}
	silent, garbage := ces[0], ces[1]
	// A CE elsewhere: a leaf, whose neighbours the crawl reaches anyway.
	loop := ""
	for _, l := range lldpLinks(inv) {
		if strings.HasPrefix(l.a, "ce-") && !slices.Contains(ces, l.a) {
			loop = l.a
			break
		}
	}
	if err := agent.SetFaults(loop, snmpagent.Faults{OIDLoop: true}); err != nil {
		t.Fatal(err)
	}
	if err := agent.SetFaults(silent, snmpagent.Faults{Timeout: true}); err != nil {
		t.Fatal(err)
	}
	if err := agent.SetFaults(garbage, snmpagent.Faults{Malformed: snmpagent.MalformGarbage}); err != nil {
		t.Fatal(err)
	}
	res, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{seed.Address}, Port: seed.Address.Port(),
		Profile: p, MaxDevices: 1000, MaxDepth: 100})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[netip.Addr]snmp.Reason{}
	for _, f := range res.Failures {
		failed[f.Address.Addr()] = f.Reason
	}
	if r := failed[inv.Device(silent).Address.Addr()]; r != snmp.ReasonTimeout {
		t.Errorf("silent %s: failure reason %q, want timeout (failures %+v)", silent, r, res.Failures)
	}
	if r := failed[inv.Device(garbage).Address.Addr()]; r != snmp.ReasonMalformed {
		t.Errorf("garbage %s: failure reason %q, want malformed (failures %+v)", garbage, r, res.Failures)
	}
	if len(res.Failures) != 2 {
		t.Errorf("%d failures, want the 2 faulty CEs: %+v", len(res.Failures), res.Failures)
	}
	want := reachable(inv, seed.Name, 100)
	delete(want, silent)
	delete(want, garbage)
	if got := names(res.Devices); !slices.Equal(got, keys(want)) {
		t.Errorf("reached %v\nwant %v", got, keys(want))
	}
	if !slices.Contains(names(res.Devices), loop) {
		t.Errorf("the looping agent %s was not reached", loop)
	}
	for _, d := range res.Devices {
		if (d.Name == loop) != (len(d.Problems) > 0) {
			t.Errorf("%s: table problems %v; want some for the looping agent %s only", d.Name, d.Problems, loop)
		}
	}
	out := string(Proposal(res, ProposalOptions{Inventory: inv}))
	if !strings.Contains(out, "# Addresses that did not answer") || !strings.Contains(out, inv.Device(silent).Address.String()) {
		t.Errorf("the proposal does not list the failed addresses:\n%s", out)
	}
}

// TestCrawlAllow: with --allow, learnt addresses outside the prefixes are
// never contacted, only reported; the seed is.
func TestCrawlAllow(t *testing.T) {
	inv, _, p := fleet(t, 8, 44)
	seed := deviceNamed(inv, "agg-")
	only := netip.PrefixFrom(seed.Address.Addr(), 32)
	res, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{seed.Address}, Port: seed.Address.Port(),
		Profile: p, MaxDevices: 1000, MaxDepth: 100, Allow: []netip.Prefix{only}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Devices) != 1 || len(res.Failures) != 0 {
		t.Fatalf("reached %v, failed %v: want the seed only", names(res.Devices), res.Failures)
	}
	neighbours := reachable(inv, seed.Name, 1)
	if n := countSkips(res, SkipNotAllowed); n != len(neighbours)-1 {
		t.Errorf("%d skipped as not allowed, want the seed's %d neighbours: %+v", n, len(neighbours)-1, res.Skipped)
	}
	for _, s := range res.Skipped {
		if d := inv.Device(s.Name); d == nil || d.Address.Addr() != s.Address {
			t.Errorf("skip %+v: want a neighbour's name and its advertised address", s)
		}
	}
}

// TestCrawlTimeout: the whole crawl stops at Options.Timeout, even when
// every device takes longer to answer than that; what was not contacted
// is reported, and the crawl says it stopped.
func TestCrawlTimeout(t *testing.T) {
	inv, agent, p := fleet(t, 4, 45)
	seed := deviceNamed(inv, "agg-")
	for _, d := range inv.Devices {
		if d.Name != seed.Name {
			if err := agent.SetFaults(d.Name, snmpagent.Faults{Slow: 5 * time.Second}); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Timeout, p.Retries = 10*time.Second, 0
	res, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{seed.Address}, Port: seed.Address.Port(),
		Profile: p, MaxDevices: 1000, MaxDepth: 100, Timeout: 2 * time.Second, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || !strings.Contains(Summary(res), "stopped by --timeout") {
		t.Errorf("the crawl did not say it stopped at its timeout: %s", Summary(res))
	}
	if len(res.Devices) != 1 {
		t.Errorf("reached %v, want the seed only (its neighbours answer after the crawl's timeout)", names(res.Devices))
	}
	if len(res.Failures)+countSkips(res, SkipTimeout) != len(reachable(inv, seed.Name, 1))-1 {
		t.Errorf("failures %+v skipped %+v: want every neighbour of the seed, failed or not contacted", res.Failures, res.Skipped)
	}
}

// TestCrawlGarbageSeed: a seed whose "agent" answers random bytes fails
// with a reason, the crawl returns normally and nothing panics.
func TestCrawlGarbageSeed(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 2048)
		for range 100 {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteToUDP(append([]byte{0x30, 0x82, 0xff, 0xff}, buf[:n/2]...), from)
		}
	}()
	p := inventory.DefaultProfile()
	p.Version, p.Community = inventory.SNMPv2c, inventory.NewSecret("public", "test")
	p.Timeout, p.Retries = 200*time.Millisecond, 0
	res, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{conn.LocalAddr().(*net.UDPAddr).AddrPort()}, Profile: &p})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Devices) != 0 || len(res.Failures) != 1 {
		t.Fatalf("devices %v failures %+v: want one failure", names(res.Devices), res.Failures)
	}
	if r := res.Failures[0].Reason; r != snmp.ReasonMalformed && r != snmp.ReasonTimeout {
		t.Errorf("failure reason %q, want malformed (or timeout once the garbage is dropped)", r)
	}
}

// TestRefusedAddresses: seeds and learnt addresses that are multicast,
// broadcast, unspecified or link-local are never contacted; a learnt
// loopback address only when the seeds are loopback (a simulated fleet).
func TestRefusedAddresses(t *testing.T) {
	p := inventory.DefaultProfile()
	p.Version, p.Community = inventory.SNMPv2c, inventory.NewSecret("public", "test")
	for _, s := range []string{"224.0.0.1:161", "255.255.255.255:161", "0.0.0.0:161", "[ff02::1]:161", "[::]:161", "169.254.1.1:161"} {
		_, err := Crawl(context.Background(), Options{Seeds: []netip.AddrPort{netip.MustParseAddrPort(s)}, Profile: &p})
		if !errors.Is(err, ErrSeed) {
			t.Errorf("seed %s: %v, want ErrSeed", s, err)
		}
	}
	c := &crawl{opts: Options{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, tc := range []struct {
		addrs []string
		want  string
		why   string
	}{
		{[]string{"10.1.2.3"}, "10.1.2.3", ""},
		{[]string{"2001:db8::1", "10.1.2.3"}, "10.1.2.3", ""}, // IPv4 first
		{[]string{"239.1.1.1"}, "239.1.1.1", SkipRefused},
		{[]string{"239.1.1.1", "10.9.9.9"}, "10.9.9.9", ""},
		{[]string{"127.0.0.1"}, "127.0.0.1", SkipRefused}, // the seeds are not loopback
		{[]string{"192.0.2.1"}, "192.0.2.1", SkipNotAllowed},
		{nil, "invalid IP", SkipNoAddress},
	} {
		var addrs []netip.Addr
		for _, a := range tc.addrs {
			addrs = append(addrs, netip.MustParseAddr(a))
		}
		a, why := c.pick(addrs)
		if a.String() != tc.want || why != tc.why {
			t.Errorf("pick(%v) = %v %q, want %s %q", tc.addrs, a, why, tc.want, tc.why)
		}
	}
}
