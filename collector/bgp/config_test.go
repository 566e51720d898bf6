package bgp

import (
	"testing"
	"time"
)

// TestSetDefaults: only zero fields take DefaultOptions' values; a
// negative MaxPrefixRestart (never reopen) and a zero MaxPrefixWarnPercent
// (no warning) are kept, other negative values take the default.
func TestSetDefaults(t *testing.T) {
	d := DefaultOptions()
	cases := []struct {
		name string
		in   Options
		want func(Options) string
	}{
		{"zero", Options{}, func(o Options) string {
			if o.HoldTime != d.HoldTime || o.ConnectRetry != d.ConnectRetry || o.MaxPrefixRestart != d.MaxPrefixRestart ||
				o.RouteSettle != d.RouteSettle || o.MaxVRFsPerPeer != d.MaxVRFsPerPeer || len(o.ListenAddresses) != 2 ||
				o.Now == nil || o.Logger == nil || o.Registerer != nil {
				return "not every zero field took the default"
			}
			if o.MaxPrefixWarnPercent != 0 {
				return "MaxPrefixWarnPercent 0 (no warning) was replaced"
			}
			return ""
		}},
		{"given", Options{HoldTime: 9 * time.Second, MaxPrefixRestart: -1, MaxVRFsPerPeer: 3}, func(o Options) string {
			if o.HoldTime != 9*time.Second || o.MaxVRFsPerPeer != 3 {
				return "a given value was replaced"
			}
			if o.MaxPrefixRestart != -1 {
				return "a negative MaxPrefixRestart (never reopen) was replaced"
			}
			return ""
		}},
		{"negative", Options{HoldTime: -time.Second, RouteSettle: -time.Second}, func(o Options) string {
			if o.HoldTime != d.HoldTime || o.RouteSettle != d.RouteSettle {
				return "a negative duration did not take the default"
			}
			return ""
		}},
	}
	for _, tc := range cases {
		o := tc.in
		o.setDefaults()
		if msg := tc.want(o); msg != "" {
			t.Errorf("%s: %s: %+v", tc.name, msg, o)
		}
	}
}
