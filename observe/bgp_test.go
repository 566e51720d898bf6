package observe

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
)

// sampleView exercises every field of a View, zero times, absent
// addresses, and runs of equal sites.
func sampleView() *bgp.View {
	at := time.Date(2026, 12, 4, 3, 0, 0, 123456789, time.UTC)
	routed := bgp.SiteView{State: bgp.RoutingRouted, Paths: 2, NextHops: 2, MinPaths: 2}
	v := &bgp.View{Fingerprint: 0xfedcba9876543210, Time: at, Held: 28001, Skipped: 3, Undecodable: 1,
		Peers: []bgp.PeerView{
			{State: "established", Established: true, Since: at.Add(-time.Hour), Changed: at.Add(-time.Hour),
				LocalAddress: netip.MustParseAddr("127.0.0.1"), RemoteID: netip.MustParseAddr("10.0.0.1"),
				Flaps: 2, Trips: 1, Updates: 1 << 40, Malformed: [bgp.MalformedHandlings]uint64{1, 0, 7},
				Prefixes: []bgp.FamilyCount{{Family: "ipv4-unicast", Prefixes: 14000},
					{Family: "l3vpn-ipv4-unicast", VRF: "testa", RD: "65000:100", Prefixes: 12}},
				DefaultRoute: true, Canaries: []bool{true, false}},
			{State: "active", LastError: "dial tcp 127.0.0.2:179: connection refused", Canaries: []bool{false, false},
				RemoteID: netip.MustParseAddr("2001:db8::1")},
		},
		PFAIs: []bgp.PFAIView{{Default: bgp.PresencePresent, Paths: 2, Canaries: []uint8{bgp.PresencePresent, bgp.PresenceUnknown}},
			{Default: bgp.PresenceUnknown, Canaries: []uint8{bgp.PresenceAbsent, bgp.PresenceAbsent}}},
		Sites: []bgp.SiteView{routed, routed, routed, {State: bgp.RoutingPartlyRouted, Missing: 1, Paths: 0, MinPaths: 0},
			routed, {State: bgp.RoutingUnknown, Unknown: 2}},
		Interconnects: []bgp.InterconnectRouting{{Interconnect: "ix-testa", VRF: "testa", State: bgp.InterconnectPrefixesMissing,
			Peer: netip.MustParseAddr("127.0.0.3"), Prefixes: 3, Missing: 1, Unknown: 1}},
		Events: []bgp.Event{{Kind: bgp.EventPeerDown, Time: at, Peer: netip.MustParseAddr("127.0.0.2"), Device: "rr-2",
			Detail: "BGP session with rr-2 (127.0.0.2) went down after 1h0m0s; its routes are forgotten"},
			{Kind: bgp.EventPFAIDefaultRouteLost, Time: at, Device: "pfai-1", Family: "ipv4-unicast", Detail: "lost"}},
	}
	return v
}

// TestBGPRoundTrip: a View decodes to what was encoded; routed sites in
// a row take one run.
func TestBGPRoundTrip(t *testing.T) {
	v := sampleView()
	b := AppendBGP(nil, v)
	got, err := DecodeBGP(b)
	if err != nil {
		t.Fatal(err)
	}
	// Times come back in the local zone: compare instants.
	norm := func(v *bgp.View) {
		v.Time = v.Time.UTC()
		for i := range v.Peers {
			p := &v.Peers[i]
			if !p.Since.IsZero() {
				p.Since, p.Changed = p.Since.UTC(), p.Changed.UTC()
			}
		}
		for i := range v.Events {
			v.Events[i].Time = v.Events[i].Time.UTC()
		}
	}
	norm(got)
	if !reflect.DeepEqual(got, v) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, v)
	}
	many := &bgp.View{Sites: make([]bgp.SiteView, 14000)}
	for i := range many.Sites {
		many.Sites[i] = bgp.SiteView{State: bgp.RoutingRouted, Paths: 2, NextHops: 2, MinPaths: 2}
	}
	if n := len(AppendBGP(nil, many)); n > 64 {
		t.Errorf("14,000 routed sites take %d bytes, want one run", n)
	}
	if k, err := Decode(b); err != nil || k != KindBGP {
		t.Errorf("Decode = %v, %v", k, err)
	}
}

// TestBGPRefused: damaged or out-of-range Views are errors, never panics.
func TestBGPRefused(t *testing.T) {
	b := AppendBGP(nil, sampleView())
	for i := 2; i < len(b); i++ {
		if _, err := DecodeBGP(b[:i]); err == nil {
			t.Fatalf("a View truncated to %d of %d bytes decoded", i, len(b))
		}
	}
	bad := sampleView()
	bad.Events[0].Kind = "surprise"
	if _, err := DecodeBGP(AppendBGP(nil, bad)); err == nil {
		t.Errorf("an unknown event kind decoded")
	}
	bad = sampleView()
	bad.Interconnects[0].State = "sideways"
	if _, err := DecodeBGP(AppendBGP(nil, bad)); err == nil {
		t.Errorf("an unknown interconnect state decoded")
	}
	if _, err := DecodeBGP(AppendHeartbeat(nil, Heartbeat{Time: time.Unix(1, 0)})); err == nil {
		t.Errorf("a heartbeat decoded as a BGP view")
	}
}

// FuzzDecodeBGP: no input makes the decoder panic or allocate beyond the
// message's size (but for the sites' runs, bounded by maxBGPSites).
func FuzzDecodeBGP(f *testing.F) {
	f.Add(AppendBGP(nil, sampleView()))
	f.Add(AppendBGP(nil, &bgp.View{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := DecodeBGP(b); err == nil {
			if _, err := DecodeBGP(AppendBGP(nil, v)); err != nil {
				t.Fatalf("re-encoding a decoded view: %v", err)
			}
		}
	})
}

// BenchmarkBGPView encodes and decodes the View of a full RIE: 14,000
// sites, 20 sessions; "runs" has sites as a stable network has them (most
// alike), "worst" every site unlike the next. It reports the bytes.
func BenchmarkBGPView(b *testing.B) {
	for _, tc := range []struct {
		name string
		site func(i int) bgp.SiteView
	}{
		{"runs", func(i int) bgp.SiteView {
			if i%500 == 0 {
				return bgp.SiteView{State: bgp.RoutingRouted, Paths: 1, NextHops: 1, MinPaths: 1}
			}
			return bgp.SiteView{State: bgp.RoutingRouted, Paths: 2, NextHops: 2, MinPaths: 2}
		}},
		{"worst", func(i int) bgp.SiteView {
			return bgp.SiteView{State: bgp.RoutingRouted, Paths: 2 + i%2, NextHops: 1 + i%2, MinPaths: 2 + i%2}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			v := sampleView()
			v.Peers = make([]bgp.PeerView, 20)
			for i := range v.Peers {
				v.Peers[i] = sampleView().Peers[0]
			}
			v.Sites = make([]bgp.SiteView, 14000)
			for i := range v.Sites {
				v.Sites[i] = tc.site(i)
			}
			var n int
			for b.Loop() {
				data := AppendBGP(nil, v)
				n = len(data)
				if _, err := DecodeBGP(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "bytes/view")
		})
	}
}

// TestBGPFieldsCovered fails when a field is added to a View (or to what
// it holds) that sampleView leaves zero: the round trip would not test it,
// and the codec may well lack it. Set it in sampleView and carry it in
// AppendBGP and DecodeBGP.
func TestBGPFieldsCovered(t *testing.T) {
	v := sampleView()
	for _, s := range []struct {
		name string
		xs   any
	}{{"View", []bgp.View{*v}}, {"PeerView", v.Peers}, {"PFAIView", v.PFAIs}, {"SiteView", v.Sites},
		{"InterconnectRouting", v.Interconnects}, {"Event", v.Events}, {"FamilyCount", v.Peers[0].Prefixes}} {
		rv := reflect.ValueOf(s.xs)
		for i := range rv.Type().Elem().NumField() {
			set := false
			for j := range rv.Len() {
				set = set || !rv.Index(j).Field(i).IsZero()
			}
			if !set {
				t.Errorf("%s.%s is zero in every sample: set it in sampleView and check the codec carries it", s.name, rv.Type().Elem().Field(i).Name)
			}
		}
	}
}
