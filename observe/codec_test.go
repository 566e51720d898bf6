package observe

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
)

// samplePolls are polls that exercise every field, nil and empty tables,
// and a failed poll.
func samplePolls() map[string]*snmp.Poll {
	start := time.Date(2026, 12, 4, 0, 0, 0, 123456789, time.UTC)
	full := &snmp.Poll{
		Device: "ce-S-0001-1", Start: start, End: start.Add(42 * time.Millisecond),
		System: snmp.System{Name: "ce-S-0001-1", Descr: "Cisco IOS XE", ObjectID: "1.3.6.1.4.1.9.1.1", Uptime: 123456 * 10 * time.Millisecond},
		Interfaces: []snmp.Interface{
			{Index: 1, Has: snmp.ColAdminStatus | snmp.ColOperStatus | snmp.ColHighSpeed | snmp.ColInOctets | snmp.ColOutOctets,
				AdminUp: true, Name: "Gi0/0", Descr: "GigabitEthernet0/0", Alias: "vers agg-lyon-1 Gi1/0/3", OperStatus: 1,
				HighSpeed: 1000, InOctets: 1 << 40, OutOctets: 12345, InErrors: 1, OutErrors: 2, InDiscards: 3, OutDiscards: 4,
				DiscontinuityTime: 5 * time.Second},
			{Index: 2147483647, Has: snmp.ColSpeed | snmp.ColInOctets32, Name: "Tu0", OperStatus: 7, Speed: 100e6, InOctets: 1<<32 - 1},
		},
		LLDP:         []snmp.LLDPNeighbor{{LocalPortNum: 3, LocalPort: "Gi0/0", ChassisID: "aa:bb:cc:dd:ee:ff", PortID: "Gi1/0/3", PortDescr: "to ce", SysName: "agg-lyon-1"}},
		LLDPManAddrs: []snmp.LLDPManAddr{{Neighbor: 0, LocalPortNum: 3, Addr: netip.MustParseAddr("192.0.2.7")}, {Neighbor: -1, LocalPortNum: 9}},
		BGPPrefixes:  []snmp.BGPPrefixes{{Remote: netip.MustParseAddr("10.0.0.1"), Family: "l3vpn-ipv4-unicast", AFI: 1, SAFI: 128, Accepted: 1 << 33}},
		Health: &snmp.Health{CPUs: []snmp.CPU{{Name: "cpu0", Usage: 12.5}}, Memory: []snmp.MemoryPool{{Name: "Processor", Used: 1 << 30, Size: 4 << 30}},
			Sensors: []snmp.Sensor{{Index: 1001, Name: "Te0/1 Rx", Kind: snmp.SensorReceiveDBm, Status: snmp.SensorOK, Value: -3.25, HasValue: true}, {Index: 7}}},
		CDP:             []snmp.CDPNeighbor{{IfIndex: 1, LocalPort: "Gi0/0", DeviceID: "agg-lyon-1(FOC123)", Port: "Gi1/0/3", Address: netip.MustParseAddr("2001:db8::1"), Platform: "C9300"}, {IfIndex: 2}},
		BGPPeers:        []snmp.BGPPeer{{Remote: netip.MustParseAddr("10.0.0.1"), Local: netip.MustParseAddr("10.0.0.2"), State: 6, AdminUp: true, Missing: snmp.BGPColRemoteAS, RemoteAS: 4200000000, RemoteID: netip.MustParseAddr("1.1.1.1"), FSMEstablishedTransitions: 3, FSMEstablishedTime: time.Hour}},
		Problems:        []snmp.Problem{{Table: "lldp", Reason: snmp.ReasonLoop, Detail: "OID went backwards"}},
		Discontinuities: []snmp.CounterDiscontinuity{{IfIndex: 1, Interface: "Gi0/0", Reason: snmp.DiscontinuityDecrease, Counter: "ifHCInOctets"}},
		Varbinds:        321, Requests: 4,
	}
	empty := &snmp.Poll{Device: "agg-1", Start: start, End: start, Interfaces: []snmp.Interface{}, LLDP: []snmp.LLDPNeighbor{}}
	failed := &snmp.Poll{Device: "pfai-1", Start: start, End: start.Add(900 * time.Millisecond),
		Err: errors.New("request timeout (after 1 retries)"), Reason: snmp.ReasonTimeout, Requests: 2}
	return map[string]*snmp.Poll{"full": full, "empty tables": empty, "failed": failed}
}

// TestPollRoundTrip: a poll decodes to what was encoded, nil tables stay
// nil (a nil CDP table means "not read this poll"), and the state's
// reboots, discontinuities and totals travel with it.
func TestPollRoundTrip(t *testing.T) {
	for name, p := range samplePolls() {
		t.Run(name, func(t *testing.T) {
			st := snmp.NewDeviceState()
			totals := []snmp.IndexedTotals{{Index: 1, InterfaceTotals: snmp.InterfaceTotals{InOctets: 1 << 50, OutOctets: 7, InErrors: 1, Has: snmp.ColInOctets | snmp.ColOutOctets}}}
			st.SetRemote(2, 5, totals)
			b, _ := AppendPoll(nil, p, st, nil)
			o, err := DecodePoll(b)
			if err != nil {
				t.Fatal(err)
			}
			got := o.Poll
			if (got.Err == nil) != (p.Err == nil) || (p.Err != nil && got.Err.Error() != p.Err.Error()) {
				t.Errorf("Err = %v, want %v", got.Err, p.Err)
			}
			got.Err, got.Start, got.End = p.Err, got.Start.UTC(), got.End.UTC()
			if !reflect.DeepEqual(&got, p) {
				t.Errorf("decoded poll differs:\n got %+v\nwant %+v", got, *p)
			}
			if o.Reboots != 2 || o.Discontinuities != 5 || !reflect.DeepEqual(o.Totals, totals) {
				t.Errorf("state: reboots %d discontinuities %d totals %+v, want 2, 5, %+v", o.Reboots, o.Discontinuities, o.Totals, totals)
			}
			// Every strict prefix is refused, never a panic.
			for i := range len(b) {
				if _, err := DecodePoll(b[:i]); err == nil {
					t.Fatalf("a message cut at %d of %d bytes decoded", i, len(b))
				}
			}
		})
	}
}

// TestPollFieldsCovered fails when snmp.Poll (or a type it holds) gains a
// field: the codec must carry it, or the central would silently differ
// from one box. Update AppendPoll, DecodePoll and the counts here.
func TestPollFieldsCovered(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int
	}{
		{snmp.Poll{}, 17}, {snmp.System{}, 4}, {snmp.Interface{}, 16}, {snmp.LLDPNeighbor{}, 6},
		{snmp.CDPNeighbor{}, 6}, {snmp.BGPPeer{}, 9}, {snmp.LLDPManAddr{}, 3}, {snmp.BGPPrefixes{}, 5}, {snmp.Health{}, 3}, {snmp.CPU{}, 2}, {snmp.MemoryPool{}, 3}, {snmp.Sensor{}, 6}, {snmp.Problem{}, 3}, {snmp.CounterDiscontinuity{}, 4},
		{snmp.InterfaceTotals{}, 7},
	} {
		if n := reflect.TypeOf(c.v).NumField(); n != c.want {
			t.Errorf("%T has %d fields, the observation codec knows %d: carry the new ones (codec.go) and update this count", c.v, n, c.want)
		}
	}
}

func TestHeartbeatRoundTrip(t *testing.T) {
	h := Heartbeat{Time: time.Unix(1796000000, 5), Interval: 10 * time.Second, Devices: 2000, Seq: 7}
	got, err := DecodeHeartbeat(AppendHeartbeat(nil, h))
	if err != nil || !got.Time.Equal(h.Time) || got.Interval != h.Interval || got.Devices != h.Devices || got.Seq != h.Seq {
		t.Fatalf("got %+v, %v; want %+v", got, err, h)
	}
}

// TestDecodeRefuses: what a central must refuse with a reason.
func TestDecodeRefuses(t *testing.T) {
	good, _ := AppendPoll(nil, samplePolls()["full"], snmp.NewDeviceState(), nil)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"other version", append([]byte{9}, good[1:]...), "version 9"},
		{"unknown kind", []byte{Version, 7}, "unknown observation kind 7"},
		{"heartbeat as poll", AppendHeartbeat(nil, Heartbeat{}), "want a poll"},
		{"trailing bytes", append(append([]byte{}, good...), 0), "trailing"},
		{"huge count", []byte{Version, byte(KindPoll), 1, 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, "truncated"},
	} {
		_, err := DecodePoll(c.b)
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one with %q", c.name, err, c.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// FuzzDecodePoll: no input makes the decoder panic or allocate beyond the
// message's size.
func FuzzDecodePoll(f *testing.F) {
	for _, p := range samplePolls() {
		b, _ := AppendPoll(nil, p, snmp.NewDeviceState(), nil)
		f.Add(b)
	}
	f.Add(AppendHeartbeat(nil, Heartbeat{Time: time.Unix(1, 0), Devices: 3}))
	f.Add(AppendWitness(nil, WitnessReport{Time: time.Unix(1, 0), Interval: time.Second, Of: "reunion", Probed: 2, Reachable: []string{"a"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o, err := DecodePoll(b); err == nil {
			again, _ := AppendPoll(nil, &o.Poll, stateOf(o), nil)
			if _, err := DecodePoll(again); err != nil {
				t.Fatalf("re-encoding a decoded poll: %v", err)
			}
		}
		_, _ = DecodeHeartbeat(b)
		_, _ = DecodeWitness(b)
	})
}

func stateOf(o *PollObservation) *snmp.DeviceState {
	st := snmp.NewDeviceState()
	st.SetRemote(o.Reboots, o.Discontinuities, o.Totals)
	return st
}
