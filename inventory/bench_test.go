package inventory

import (
	"bytes"
	"fmt"
	"net/netip"
	"reflect"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time. On these shared
// machines wall time per op moves with the neighbours' load; CPU time per op
// (GC included) is the figure to compare.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric to a benchmark from the CPU time spent
// since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// fullSize builds, with plain loops, an inventory shaped like the RIE:
// 13 mainland and 5 overseas regions, two datacentres, a PoP per 70 sites
// with two aggregation routers each, and sites of every protection level
// (about 1.4 accesses and 1.4 CEs per site). With 14,000 sites it has
// about 20,000 devices and 20,000 access links. The real generator is the
// simulator's (sim/); this one only has to be big and valid.
func fullSize(sites int) *Inventory {
	inv := &Inventory{
		Agent:   Agent{Listen: DefaultListen, History: DefaultHistory, DB: "/var/lib/vigie/vigie.db"},
		Polling: DefaultPolling(),
	}
	p := DefaultProfile()
	p.Name, p.Username = DefaultProfileName, "vigie"
	p.AuthPassword, p.PrivPassword = NewSecret("", "env:VIGIE_SNMP_AUTH"), NewSecret("", "file:secrets/priv")
	inv.Profiles = []SNMPProfile{p}
	for i := range 18 {
		inv.Regions = append(inv.Regions, Region{ID: fmt.Sprintf("r%02d", i), Name: fmt.Sprintf("Région %d", i), Overseas: i >= 13})
	}
	addr := func(n int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 161)
	}
	dev := func(d Device) {
		d.Address = addr(len(inv.Devices) + 1)
		d.Profile = DefaultProfileName
		inv.Devices = append(inv.Devices, d)
	}
	for i, r := range []string{"r00", "r01"} {
		dc := fmt.Sprintf("dc-%d", i)
		inv.Datacentres = append(inv.Datacentres, Datacentre{ID: dc, Name: "Centre " + dc, Region: r})
		dev(Device{Name: "pe-" + dc, Role: RoleBackbone, Datacentre: dc})
		dev(Device{Name: "pfai-" + dc, Role: RolePFAI, Datacentre: dc})
		dev(Device{Name: "pfs-" + dc, Role: RolePFS, Datacentre: dc})
		inv.Interconnects = append(inv.Interconnects,
			Interconnect{ID: "inet-" + dc, Kind: InterconnectInternet, Device: "pfai-" + dc, Interface: "et-0/1/0"},
			Interconnect{ID: "testa-" + dc, Kind: InterconnectTESTA, Device: "pfs-" + dc, Interface: "et-0/1/0", VRF: "testa"})
	}
	pops := (sites + 69) / 70
	for i := range pops {
		pop := fmt.Sprintf("pop-%03d", i)
		inv.PoPs = append(inv.PoPs, PoP{ID: pop, Name: "PoP " + pop, Region: inv.Regions[i%len(inv.Regions)].ID})
		dev(Device{Name: "p-" + pop, Role: RoleBackbone, PoP: pop})
		for a := range 2 {
			name := fmt.Sprintf("agg-%03d-%d", i, a)
			dev(Device{Name: name, Role: RoleCollection, PoP: pop})
			inv.Links = append(inv.Links, Link{A: Endpoint{name, "et-0/0/0"}, B: Endpoint{"p-" + pop, fmt.Sprintf("et-0/1/%d", a)}, Technology: TechFibre})
		}
		tech := TechFibre
		if i%len(inv.Regions) >= 13 {
			tech = TechTransoceanic
		}
		inv.Links = append(inv.Links, Link{A: Endpoint{"p-" + pop, "et-0/0/0"}, B: Endpoint{"pe-dc-" + fmt.Sprint(i%2), fmt.Sprintf("et-1/%d/0", i)}, Technology: tech, SRLGs: []string{fmt.Sprintf("path-%03d", i)}})
	}
	levels := []Protection{ProtectionSingle, ProtectionSingle, ProtectionSingle, ProtectionBackup, ProtectionDual, ProtectionDiverse}
	for i := range sites {
		pop := i / 70
		id := fmt.Sprintf("S-%05d", i)
		s := Site{ID: id, Name: "Site " + id, Region: inv.PoPs[pop].Region, Overseas: inv.Regions[pop%len(inv.Regions)].Overseas,
			Protection: levels[i%len(levels)], Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 128 + byte(i>>16), byte(i >> 8), 0}), 24)}}
		accesses := 1
		if s.Protection >= ProtectionBackup {
			accesses = 2
		}
		for a := range accesses {
			ce := fmt.Sprintf("ce-%05d-%d", i, a)
			if s.Protection < ProtectionDual && a > 0 {
				ce = fmt.Sprintf("ce-%05d-0", i) // one CE carries both accesses
			} else {
				dev(Device{Name: ce, Role: RoleCollection, Site: id})
			}
			acc := AccessLink{Technology: TechFibre, Router: ce, RouterInterface: fmt.Sprintf("ge-0/0/%d", a),
				Device: fmt.Sprintf("agg-%03d-%d", pop, a), Interface: fmt.Sprintf("xe-%d/1/%d", i%70/10, i%10),
				SRLGs: []string{fmt.Sprintf("duct-%05d-%d", i, a)}}
			if s.Protection == ProtectionBackup && a == 1 {
				acc.Technology, acc.ViaInternet, acc.SRLGs = Tech4G, true, nil
			}
			s.Access = append(s.Access, acc)
		}
		inv.Sites = append(inv.Sites, s)
	}
	inv.BGP = BGP{LocalAS: 65099, RouterID: netip.MustParseAddr("10.255.255.1"), ListenPort: 1790,
		Canaries: []netip.Prefix{netip.MustParsePrefix("1.1.1.0/24")},
		Peers: []BGPPeer{{Device: "pe-dc-0", Address: netip.MustParseAddr("10.0.0.1"), RemoteAS: 65000, Port: 179,
			Families: []string{FamilyIPv4Unicast, FamilyVPNv4}, Password: NewSecret("", "env:VIGIE_BGP")}}}
	inv.Index()
	return inv
}

func TestGeneratedRoundTrip(t *testing.T) {
	inv := fullSize(1400)
	back, text := roundTrip(t, inv)
	clearLines(back)
	if !reflect.DeepEqual(inv, back) {
		t.Fatalf("Parse(Write(x)) != x for the generated inventory (%d bytes written)", len(text))
	}
	if len(inv.Devices) < 1900 || len(inv.Sites) != 1400 {
		t.Errorf("generator: %d devices, %d sites", len(inv.Devices), len(inv.Sites))
	}
}

// BenchmarkLoadFullSize parses a 14,000-site, ~20,000-device inventory
// written by Write: the cost of vigie's start-up and of check-config.
//
//	flock /tmp/vigie-heavy.lock go test ./inventory/ -run '^$' -bench LoadFullSize -benchmem
func BenchmarkLoadFullSize(b *testing.B) {
	inv := fullSize(14000)
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		b.Fatal(err)
	}
	access := 0
	for _, s := range inv.Sites {
		access += len(s.Access)
	}
	b.Logf("%d sites, %d devices, %d access links, %d links: %.1f MB of YAML", len(inv.Sites), len(inv.Devices), access, len(inv.Links), float64(buf.Len())/1e6)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := Parse("full.yml", data, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkWriteFullSize measures Write on the same inventory.
func BenchmarkWriteFullSize(b *testing.B) {
	inv := fullSize(14000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkYAMLOnlyFullSize is the floor under BenchmarkLoadFullSize: yaml.v3
// parsing the same bytes into a node tree, without vigie's walk.
func BenchmarkYAMLOnlyFullSize(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSize(14000)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, _, err := parseYAML(data); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkYAMLSplitFullSize is BenchmarkYAMLOnlyFullSize through
// parseDocument: the same bytes cut and parsed on every core.
func BenchmarkYAMLSplitFullSize(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSize(14000)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, _, err := parseDocument(data); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}
