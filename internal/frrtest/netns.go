// Package frrtest starts real FRR routers (zebra + bgpd, from the Debian
// package) for tests, and runs a test binary inside a network namespace of
// its own so that routers and the code under test talk over a private
// loopback: nothing reaches the host's network, fixed ports cannot collide
// with another run, and zebra cannot touch the host's routing table.
//
// A test package opts in from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(frrtest.MainInNetns(m, "bgp")) }
//
// and each test that needs a router calls Start, which skips the test when
// FRR or the namespace is missing, and fails it instead when CI=true.
package frrtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// envNetns is set in the re-executed test binary to its namespace name.
const envNetns = "VIGIE_TEST_NETNS"

// InNetns reports whether the test binary runs in a namespace made by
// MainInNetns, that is whether its loopback is private.
func InNetns() bool { return os.Getenv(envNetns) != "" }

// MainInNetns runs the tests of m inside a fresh network namespace: it
// creates the namespace, re-executes the test binary in it with the same
// arguments, and deletes the namespace afterwards, after killing any process
// a test left in it. When it cannot (not root, no `ip`), it runs the tests
// in place and tests needing a namespace skip. It returns the exit code.
func MainInNetns(m *testing.M, tag string) int {
	if InNetns() {
		return m.Run()
	}
	ipBin, err := exec.LookPath("ip")
	if err != nil || os.Geteuid() != 0 {
		return m.Run()
	}
	name := fmt.Sprintf("vigie-%s-%d", tag, os.Getpid())
	if out, err := exec.Command(ipBin, "netns", "add", name).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "frrtest: ip netns add %s: %v: %s; running tests in the host namespace\n", name, err, out)
		return m.Run()
	}
	defer deleteNetns(ipBin, name)
	if out, err := exec.Command(ipBin, "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "frrtest: bring lo up in %s: %v: %s\n", name, err, out)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "frrtest: find the test binary: %v\n", err)
		return 1
	}
	cmd := exec.Command(ipBin, append([]string{"netns", "exec", name, self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), envNetns+"="+name)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "frrtest: start the test binary in %s: %v\n", name, err)
		return 1
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.ExitCode() < 0 {
			return 1
		}
		return ee.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "frrtest: test binary in %s: %v\n", name, err)
	return 1
}

// deleteNetns kills what is left in the namespace (only processes the
// tests started can be there) and deletes it.
func deleteNetns(ipBin, name string) {
	if out, err := exec.Command(ipBin, "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if out, err := exec.Command(ipBin, "netns", "del", name).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "frrtest: ip netns del %s: %v: %s (delete it by hand)\n", name, err, out)
	}
}

// Require skips the test when a binary is missing, or fails it when the
// environment says CI=true (CI installs the packages, so a missing binary
// there is a broken setup, not a reason to skip).
func Require(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			missing(t, fmt.Sprintf("%s not found (Debian packages frr, gobgpd): %v", b, err))
		}
	}
}

// RequireNetns skips (or fails under CI) a test that needs the private
// namespace of MainInNetns.
func RequireNetns(t testing.TB) {
	t.Helper()
	if !InNetns() {
		missing(t, "not running in a private network namespace (needs root and iproute2)")
	}
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
