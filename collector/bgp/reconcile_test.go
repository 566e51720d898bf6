package bgp

import (
	"testing"

	"github.com/vigie-rie/vigie/collector/snmp"
)

func TestReconcileView(t *testing.T) {
	const localAS = 65000
	vigie := ip("192.0.2.100")
	up := PeerStatus{Address: ip("192.0.2.1"), Device: "rr-1", State: "established", Established: true, LocalAddress: vigie}
	down := PeerStatus{Address: ip("192.0.2.1"), Device: "rr-1", State: "active"}
	row := func(state int, remoteAS uint32) snmp.BGPPeer {
		return snmp.BGPPeer{Remote: vigie, Local: ip("192.0.2.1"), State: state, RemoteAS: remoteAS}
	}
	other := snmp.BGPPeer{Remote: ip("192.0.2.50"), Local: ip("192.0.2.1"), State: 6, RemoteAS: 65099}
	tests := []struct {
		name string
		view []PeerStatus
		mib  []snmp.BGPPeer
		want []DiscrepancyKind
	}{
		{"both established", []PeerStatus{up}, []snmp.BGPPeer{other, row(6, localAS)}, nil},
		{"both down", []PeerStatus{down}, []snmp.BGPPeer{row(3, localAS)}, nil},
		{"router says established, vigie down", []PeerStatus{down}, []snmp.BGPPeer{row(6, localAS)}, []DiscrepancyKind{RouterOnly}},
		{"vigie established, router active", []PeerStatus{up}, []snmp.BGPPeer{row(3, localAS)}, []DiscrepancyKind{VigieOnly}},
		{"vigie established, no row for vigie", []PeerStatus{up}, []snmp.BGPPeer{other}, []DiscrepancyKind{VigieOnly}},
		{"vigie down, no row: nothing to say", []PeerStatus{down}, []snmp.BGPPeer{other}, nil},
		{"row matched by local address when vigie's end is unknown", []PeerStatus{down}, []snmp.BGPPeer{other, row(6, localAS)}, []DiscrepancyKind{RouterOnly}},
		{"router configured with the wrong AS", []PeerStatus{up}, []snmp.BGPPeer{row(6, 65111)}, []DiscrepancyKind{ASMismatch}},
		{"other device's sessions are ignored", []PeerStatus{{Address: ip("192.0.2.9"), Device: "rr-2", Established: true, LocalAddress: vigie}}, []snmp.BGPPeer{row(3, localAS)}, nil},
		{"empty MIB (SNMP table not polled) and vigie up", []PeerStatus{up}, nil, []DiscrepancyKind{VigieOnly}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ReconcileView("rr-1", localAS, tc.mib, tc.view)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want kinds %v", got, tc.want)
			}
			for i, d := range got {
				if d.Kind != tc.want[i] {
					t.Errorf("discrepancy %d: kind %q, want %q (%s)", i, d.Kind, tc.want[i], d.Detail)
				}
				if d.Device != "rr-1" || d.Detail == "" {
					t.Errorf("discrepancy %d lacks device or detail: %+v", i, d)
				}
			}
		})
	}
}
