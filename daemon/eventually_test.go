package daemon

import (
	"testing"
	"time"
)

// eventually polls cond every 100 ms until it holds or the bound passes.
// (The tests that run a whole demo are in package daemon_test and use
// internal/demotest's; this package's own tests cannot import the demo.)
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
