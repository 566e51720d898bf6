package main

import (
	"testing"

	"example.com/testonly"
)

// A test-only dependency is not linked into the binary: its GPL does not count.
func TestApp(t *testing.T) { _ = testonly.V }
