package alerting

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/demo"
)

// startDemo runs an in-process `vigie demo` (a simulated RIE with its
// default faults and BGP speakers, polled every 5 s) until the test ends and returns its
// /metrics URL.
func startDemo(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d, err := demo.New(demo.Options{Sites: 300, Seed: 1, Interval: 5 * time.Second, Faults: true, BGP: true,
		Daemon: daemon.Options{ListenAddresses: []string{addr}, DB: filepath.Join(t.TempDir(), "vigie.db")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	return "http://" + addr + "/metrics"
}
