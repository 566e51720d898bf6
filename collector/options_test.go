package collector

import (
	"testing"
	"time"
)

// TestSetDefaults: only zero fields take DefaultOptions' values; a
// negative DispatchTick (start each poll when due) is kept, a negative
// LogEvery takes the default.
func TestSetDefaults(t *testing.T) {
	d := DefaultOptions()
	cases := []struct {
		name         string
		in           Options
		logEvery     time.Duration
		dispatchTick time.Duration
	}{
		{"zero", Options{}, d.LogEvery, d.DispatchTick},
		{"given", Options{LogEvery: time.Minute, DispatchTick: time.Millisecond}, time.Minute, time.Millisecond},
		{"negative", Options{LogEvery: -time.Minute, DispatchTick: -1}, d.LogEvery, -1},
	}
	for _, tc := range cases {
		o := tc.in
		o.setDefaults()
		if o.LogEvery != tc.logEvery || o.DispatchTick != tc.dispatchTick || o.Logger == nil {
			t.Errorf("%s: LogEvery %v, DispatchTick %v, Logger %v; want %v, %v, a logger", tc.name, o.LogEvery, o.DispatchTick, o.Logger, tc.logEvery, tc.dispatchTick)
		}
	}
}
