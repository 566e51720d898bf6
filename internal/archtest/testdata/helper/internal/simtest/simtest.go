// Package simtest is a test helper.
package simtest

import (
	"testing"

	"vigie.test/m/sim"
)

// Serve serves.
func Serve(tb testing.TB) *sim.Fleet { return nil }
