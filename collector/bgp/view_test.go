package bgp

import "testing"

func TestInternetLost(t *testing.T) {
	gone := PFAIRoutes{Device: "pfai-1", Known: true}
	for _, tt := range []struct {
		name string
		rs   []PFAIRoutes
		want bool
	}{
		{"no PFAI", nil, false},
		{"both default routes gone", []PFAIRoutes{gone, {Device: "pfai-2", Known: true}}, true},
		{"one left", []PFAIRoutes{gone, {Device: "pfai-2", Known: true, DefaultRoute: true, DefaultPaths: 1}}, false},
		{"one unknown", []PFAIRoutes{gone, {Device: "pfai-2"}}, false},
	} {
		if got := InternetLost(tt.rs); got != tt.want {
			t.Errorf("%s: InternetLost = %v, want %v", tt.name, got, tt.want)
		}
	}
}
