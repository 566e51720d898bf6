package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestNextKeepsBGPListenPort: a reload whose BGP listen port is unchanged
// is not refused because the running daemon holds it (Next does not probe
// it), and the new daemon's speaker binds it once the old one has stopped:
// the reload does not kill the daemon. A reload to a port taken by
// another process is refused and leaves the running daemon as it was.
func TestNextKeepsBGPListenPort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons in turn")
	}
	inv := sim.Generate(sim.GenerateOptions{Sites: 3, Seed: 21})
	simtest.Serve(t, inv, snmpagent.Options{Seed: 21})
	for i := range inv.Profiles {
		p := &inv.Profiles[i]
		p.Community = inventory.NewSecret(sim.DefaultCommunity, "test")
		p.AuthPassword = inventory.NewSecret(sim.DefaultAuthPassword, "test")
		p.PrivPassword = inventory.NewSecret(sim.DefaultPrivPassword, "test")
	}
	port := freeport.TCP(t)
	for _, d := range inv.Devices {
		if d.Role == inventory.RolePFAI {
			// Passive: vigie waits for the router, it never connects out.
			inv.BGP = inventory.BGP{LocalAS: 64512, RouterID: netip.MustParseAddr("127.0.0.1"), ListenPort: port,
				Peers: []inventory.BGPPeer{{Device: d.Name, Address: d.Address.Addr(), RemoteAS: 64512, Passive: true}}}
			break
		}
	}
	var logs logbuf.Buffer
	opts := Options{DB: "-", ListenAddresses: []string{fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), MemoryLimit: -1}
	// Whether a socket listens on the port, read from /proc/net/tcp: binding
	// it to find out would race with the speaker's own bind.
	bound := func() bool {
		b, err := os.ReadFile("/proc/net/tcp")
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(":%04X ", port)
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 3 && strings.HasSuffix(f[1]+" ", want) && f[3] == "0A" {
				return true
			}
		}
		return false
	}
	run := func(d *Daemon) (stop func() error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		eventually(t, 30*time.Second, "the BGP speaker listening", func() bool {
			select {
			case err := <-done:
				t.Fatalf("the daemon stopped: %v\n%s", err, logs.String())
			default:
			}
			return bound()
		})
		return func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return within 30 s of cancel")
				return nil
			}
		}
	}
	first, err := New(inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	stopFirst := run(first)

	// Another process holds another port: a reload to it is refused.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	moved := *inv
	moved.BGP.ListenPort = taken.Addr().(*net.TCPAddr).Port
	if _, err := first.Next(&moved); err == nil || !strings.Contains(err.Error(), "bgp.listen_port") {
		t.Fatalf("Next to a taken BGP port: %v, want a refusal naming bgp.listen_port", err)
	}
	if !bound() {
		t.Fatal("the running speaker lost its port after a refused reload")
	}

	second, err := first.Next(inv)
	if err != nil {
		t.Fatalf("Next with the same BGP listen port: %v", err)
	}
	if err := stopFirst(); err != nil {
		t.Fatal(err)
	}
	if err := run(second)(); err != nil {
		t.Fatalf("the reloaded daemon: %v\n%s", err, logs.String())
	}
	if n := strings.Count(logs.String(), "BGP peer configured"); n != 2 {
		t.Errorf("%d speakers configured their peer, want 2 (before and after the reload):\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "start speaker") {
		t.Errorf("the reloaded speaker could not start:\n%s", logs.String())
	}
}
