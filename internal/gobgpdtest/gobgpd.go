// Package gobgpdtest starts Debian's gobgpd (a separate GoBGP process,
// 3.10 in Debian 12) as a BGP peer for tests, configured from TOML, and
// drives it with its `gobgp` CLI. It needs no namespace: gobgpd listens on
// a loopback address and port the test chooses.
package gobgpdtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
)

// Config describes one gobgpd.
type Config struct {
	// TOML is gobgpd's configuration ([global], [[neighbors]]...).
	TOML string
}

// Daemon is a running gobgpd.
type Daemon struct {
	APIPort int
	Dir     string
	cmd     *exec.Cmd
	t       testing.TB
}

// Require skips the test when gobgpd or gobgp is missing, or fails it when
// CI=true.
func Require(t testing.TB) {
	t.Helper()
	for _, b := range []string{"gobgpd", "gobgp"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found (Debian package gobgpd): %v", b, err)
			}
			t.Skipf("%s not found (Debian package gobgpd): %v", b, err)
		}
	}
}

// Start runs gobgpd with c and stops it (by PID) when the test ends. It
// waits until the gRPC API answers.
func Start(t testing.TB, c Config) *Daemon {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "gobgpd.toml")
	if err := os.WriteFile(conf, []byte(c.TOML), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{APIPort: freeport.TCP(t), Dir: dir, t: t}
	logf, err := os.Create(filepath.Join(dir, "gobgpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command("gobgpd", "-f", conf, "-t", "toml", "-p", "-l", "info", "--pprof-disable",
		"--api-hosts", "127.0.0.1:"+strconv.Itoa(d.APIPort))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("gobgpdtest: start gobgpd: %v", err)
	}
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("gobgpd log:\n%s", tail(string(b), 4000))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := d.CLI("global"); err == nil {
			return d
		} else if time.Now().After(deadline) {
			t.Fatalf("gobgpdtest: gobgpd API does not answer after 10 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// CLI runs `gobgp -p API args...` and returns its output.
func (d *Daemon) CLI(args ...string) (string, error) {
	out, err := exec.Command("gobgp", append([]string{"-p", strconv.Itoa(d.APIPort)}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gobgp %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// MustCLI is CLI that fails the test on error.
func (d *Daemon) MustCLI(args ...string) string {
	d.t.Helper()
	out, err := d.CLI(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// AdjInCount returns how many paths gobgpd received from neighbor addr in
// family ("ipv4", "ipv6", "vpnv4"...), from `gobgp neighbor ADDR adj-in`.
func (d *Daemon) AdjInCount(addr, family string) (int, error) {
	out, err := d.CLI("-j", "neighbor", addr, "adj-in", "-a", family)
	if err != nil {
		return 0, err
	}
	var m map[string]json.RawMessage
	if strings.TrimSpace(out) == "null" || strings.TrimSpace(out) == "" {
		return 0, nil
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return 0, fmt.Errorf("gobgp adj-in: decode: %w: %.200s", err, out)
	}
	return len(m), nil
}

// Passive is the configuration of a gobgpd at addr:port in AS as with one
// neighbour, vigie at vigieAddr in AS vigieAS, which gobgpd waits for
// (vigie connects out), over the given address families (gobgpd's names:
// "ipv4-unicast", "l3vpn-ipv4-unicast"...). Short timers: a test sees a
// session come and go in seconds.
func Passive(as uint32, addr string, port int, vigieAddr string, vigieAS uint32, families ...string) Config {
	return PassiveFor(as, addr, port, []string{vigieAddr}, vigieAS, families...)
}

// PassiveFor is Passive with one such neighbour per address of vigies (a
// single box and a collector peering with the same reflector).
func PassiveFor(as uint32, addr string, port int, vigies []string, vigieAS uint32, families ...string) Config {
	toml := fmt.Sprintf(`[global.config]
  as = %d
  router-id = %q
  port = %d
  local-address-list = [%q]
`, as, addr, port, addr)
	for _, v := range vigies {
		toml += fmt.Sprintf(`[[neighbors]]
  [neighbors.config]
    neighbor-address = %q
    peer-as = %d
  [neighbors.transport.config]
    passive-mode = true
    local-address = %q
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
`, v, vigieAS, addr)
		for _, f := range families {
			toml += fmt.Sprintf("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = %q\n", f)
		}
	}
	return Config{TOML: toml}
}
