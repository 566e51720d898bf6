// Package natstest runs a real nats-server (Debian's) with JetStream on
// loopback for tests: a free port, its store and configuration under
// t.TempDir(), stopped by PID when the test ends. Stop and Start again
// keep the store, as a NATS restart in production does.
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
)

// Binary is where Debian installs the NATS server.
const Binary = "/usr/sbin/nats-server"

// Require skips the test when nats-server is missing, except under
// CI=true where a missing server is a broken build and fails the test.
func Require(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(Binary); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("natstest: %s is missing but CI=true: install the Debian package nats-server (scripts/deps.sh)", Binary)
	}
	tb.Skipf("natstest: %s is missing (install the Debian package nats-server)", Binary)
}

// Options configures the server. Zero values give an open server.
type Options struct {
	// Config is extra nats-server configuration (authorization, tls
	// blocks) appended to the generated file.
	Config string
	// Domain is the server's JetStream domain: a leaf node with its own
	// JetStream (an overseas territory's) needs one apart from the hub's.
	Domain string
}

// Server is a running nats-server.
type Server struct {
	tb   testing.TB
	Port int
	Dir  string
	// Log is the server's log file, for failure messages.
	Log    string
	conf   string
	domain string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start writes the configuration and runs the server until tb ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	Require(tb)
	dir := tb.TempDir()
	s := &Server{tb: tb, Port: freeport.TCP(tb), Dir: dir, Log: filepath.Join(dir, "nats.log"),
		conf: filepath.Join(dir, "nats.conf"), domain: opts.Domain}
	s.writeConf(opts.Config)
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Port) }

// Start runs the server (again, after Stop) and waits until it accepts
// connections, at most 10 s.
func (s *Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	log, err := os.OpenFile(s.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.tb.Fatal(err)
	}
	cmd := exec.Command(Binary, "-c", s.conf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		s.tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			s.tb.Fatalf("nats-server exited at start:\n%s", s.Logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("nats-server not listening on %d within 10s:\n%s", s.Port, s.Logs())
		}
	}
}

// Stop ends the server (SIGTERM, then SIGKILL after 5 s); its store stays.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Logs returns the end of the server's log.
func (s *Server) Logs() string {
	b, _ := os.ReadFile(s.Log)
	out := string(b)
	if len(out) > 4000 {
		out = "..." + out[len(out)-4000:]
	}
	return strings.TrimSpace(out)
}

func (s *Server) writeConf(extra string) {
	domain := ""
	if s.domain != "" {
		domain = fmt.Sprintf("  domain: %q\n", s.domain)
	}
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n  max_memory_store: 64MB\n  max_file_store: 2GB\n%s}\n%s\n",
		s.Port, filepath.Join(s.Dir, "js"), domain, extra)
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		s.tb.Fatal(err)
	}
}

// Reload replaces the extra configuration (Options.Config) of the running
// server and has it reload, as `nats-server --signal reload` does in
// production (SIGHUP); it waits, at most 10 s, for the server to log the
// reload.
func (s *Server) Reload(extra string) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.tb.Fatal("natstest: Reload of a stopped server")
	}
	reloads := func() int {
		b, _ := os.ReadFile(s.Log)
		return strings.Count(string(b), "Reloaded server configuration")
	}
	before := reloads()
	s.writeConf(extra)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		s.tb.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for reloads() == before {
		if time.Now().After(deadline) {
			s.tb.Fatalf("nats-server did not reload its configuration within 10s:\n%s", s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
