// Package freeport gives tests a loopback port to run a peer or a server on.
package freeport

import (
	"net"
	"testing"
)

// TCP returns a TCP port of 127.0.0.1 that was free at the time of the
// call (another process may take it before the caller listens on it).
func TCP(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
