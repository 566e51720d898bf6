package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// fastInventory is a simulated RIE of sites sites whose every role is
// polled at the shortest interval vigie accepts, so that a test sees many
// polls in a few seconds.
func fastInventory(sites int, seed uint64) *inventory.Inventory {
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: seed})
	fastPolling(inv)
	return inv
}

// fastPolling sets every role's interval of inv to the shortest vigie accepts.
func fastPolling(inv *inventory.Inventory) {
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = inventory.MinInterval
	}
}

// simEnv is the environment of a vigie child polling the simulated fleet:
// the simulator's default secrets, in the variables its inventory names.
func simEnv() []string {
	return append(os.Environ(), sim.EnvAuth+"="+sim.DefaultAuthPassword, sim.EnvPriv+"="+sim.DefaultPrivPassword,
		sim.EnvCommunity+"="+sim.DefaultCommunity)
}

// vigieProc is a `vigie run` child process of a test, killed when the test
// ends if it is still running.
type vigieProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan error
	logs   func() string // what to show when a wait fails
}

// startVigie starts bin with args (and env, dir when set); stdout and
// stderr receive its output, logs says what of it to show on failure.
func startVigie(t *testing.T, bin, dir string, env []string, stdout, stderr io.Writer, logs func() string, args ...string) *vigieProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &vigieProc{t: t, cmd: cmd, exited: make(chan error, 1), logs: logs}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor polls cond every 200 ms until it holds; it fails the test if
// within passes first or if vigie exits meanwhile.
func (p *vigieProc) waitFor(within time.Duration, what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("not within %s: %s\nlogs:\n%s", within, what, p.logs())
		}
		select {
		case err := <-p.exited:
			p.t.Fatalf("vigie run exited (%v) while waiting for %s\nlogs:\n%s", err, what, p.logs())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and returns how vigie exited and how long it took, or
// fails the test if it is still running after bound.
func (p *vigieProc) stop(bound time.Duration) (time.Duration, error) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		return time.Since(start), err
	case <-time.After(bound):
		p.t.Fatalf("vigie run still running %v after SIGTERM\nlogs:\n%s", bound, p.logs())
		return bound, nil
	}
}

// writeConfig writes inv as dir/vigie.yml, the file `vigie run --config`
// reads, and returns its path.
func writeConfig(t *testing.T, dir string, inv *inventory.Inventory) string {
	t.Helper()
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(config, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}
