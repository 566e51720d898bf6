// Package snmpdtest runs a real net-snmp snmpd on loopback for tests, so that
// vigie's SNMP code is checked against the agent its devices resemble rather
// than against a fake. Each agent gets its own free port, configuration and
// persistent directory under t.TempDir(), and is stopped (by PID) when the
// test ends.
package snmpdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Binary is where Debian installs net-snmp's agent.
const Binary = "/usr/sbin/snmpd"

// Options says how the agent is configured. Zero values get usable defaults.
type Options struct {
	// Community is the v2c read-only community (default "public").
	Community string
	// User, AuthPassword and PrivPassword create one SNMPv3 authPriv user
	// with SHA authentication and AES privacy (defaults "vigie",
	// "vigie-auth-pass", "vigie-priv-pass"). Passwords need 8 characters.
	User         string
	AuthPassword string
	PrivPassword string
	// Extra lines appended to snmpd.conf (e.g. "master agentx").
	Extra []string
}

// Agent is a running snmpd.
type Agent struct {
	// Addr is where the agent listens (127.0.0.1:<free port>).
	Addr         netip.AddrPort
	Community    string
	User         string
	AuthPassword string
	PrivPassword string
	// Dir holds the config, the log and the persistent state.
	Dir string
	// Log is snmpd's log file, useful in failure messages.
	Log string
	cmd *exec.Cmd
}

// Available reports whether snmpd is installed.
func Available() bool {
	_, err := os.Stat(Binary)
	return err == nil
}

// Require skips the test when snmpd is missing, except under CI=true where a
// missing agent is a broken build and fails the test.
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("snmpdtest: %s is missing but CI=true: install the Debian package snmpd", Binary)
	}
	t.Skipf("snmpdtest: %s is missing (install the Debian package snmpd)", Binary)
}

// Start runs snmpd with opts and waits until it answers a v2c Get. The agent
// is stopped when the test ends.
func Start(t testing.TB, opts Options) *Agent {
	t.Helper()
	Require(t)
	a := &Agent{
		Community:    def(opts.Community, "public"),
		User:         def(opts.User, "vigie"),
		AuthPassword: def(opts.AuthPassword, "vigie-auth-pass"),
		PrivPassword: def(opts.PrivPassword, "vigie-priv-pass"),
		Dir:          t.TempDir(),
	}
	a.Log = filepath.Join(a.Dir, "snmpd.log")
	var lastErr error
	// A free port found by binding and closing may be taken again before
	// snmpd binds it: try a few ports before giving up.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freeUDPPort()
		if err != nil {
			t.Fatalf("snmpdtest: find a free UDP port: %v", err)
		}
		a.Addr = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
		if lastErr = a.start(opts.Extra); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("snmpdtest: %v", lastErr)
	}
	t.Cleanup(a.stop)
	return a
}

func def(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func freeUDPPort() (uint16, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
}

func (a *Agent) start(extra []string) error {
	conf := filepath.Join(a.Dir, "snmpd.conf")
	persist := filepath.Join(a.Dir, "persist")
	if err := os.MkdirAll(persist, 0o700); err != nil {
		return err
	}
	lines := []string{
		"agentAddress udp:" + a.Addr.String(),
		"rocommunity " + a.Community + " 127.0.0.1",
		fmt.Sprintf("createUser %s SHA %q AES %q", a.User, a.AuthPassword, a.PrivPassword),
		"rouser " + a.User + " priv",
		"dontLogTCPWrappersConnects yes",
	}
	lines = append(lines, extra...)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	// -I -smux: every instance would otherwise fight for TCP port 199.
	cmd := exec.Command(Binary, "-f", "-Lf", a.Log, "-C", "-c", conf, "-I", "-smux")
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+persist, "MIBS=", "MIBDIRS="+a.Dir)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Binary, err)
	}
	a.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			a.cmd = nil
			log, _ := os.ReadFile(a.Log)
			return fmt.Errorf("snmpd exited at start (%v); log:\n%s", err, tail(log))
		default:
		}
		if a.ping() == nil {
			go func() { <-exited }()
			a.cmd = cmd
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	a.cmd = nil
	log, _ := os.ReadFile(a.Log)
	return fmt.Errorf("snmpd on %s did not answer within 10s; log:\n%s", a.Addr, tail(log))
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (a *Agent) ping() error {
	g := &gosnmp.GoSNMP{
		Target: a.Addr.Addr().String(), Port: a.Addr.Port(), Community: a.Community,
		Version: gosnmp.Version2c, Timeout: 200 * time.Millisecond, Retries: 0,
		Context: context.Background(),
	}
	if err := g.Connect(); err != nil {
		return err
	}
	defer g.Close()
	r, err := g.Get([]string{".1.3.6.1.2.1.1.3.0"})
	if err != nil {
		return err
	}
	if len(r.Variables) != 1 {
		return errors.New("no varbind")
	}
	return nil
}

// PID returns snmpd's process id (0 once stopped).
func (a *Agent) PID() int {
	if a.cmd == nil || a.cmd.Process == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

// Stop ends the agent now (tests of an agent going away); Cleanup calls it too.
func (a *Agent) Stop() { a.stop() }

func (a *Agent) stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	p := a.cmd.Process
	a.cmd = nil
	_ = p.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() {
		// The waiter goroutine started in start reaps the process; poll
		// for its disappearance so that Stop returns once the port is free.
		for i := 0; i < 100; i++ {
			if err := p.Signal(syscall.Signal(0)); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = p.Kill()
	}
}
