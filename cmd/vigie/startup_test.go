package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/internal/storetest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// simFleet serves a small simulated RIE on loopback. It returns the
// inventory (to write with writeInventory), the agent, the config path
// (dir/vigie.yml) and the environment vigie needs for the inventory's
// secrets.
func simFleet(t *testing.T, dir string, sites int) (*inventory.Inventory, *snmpagent.Agent, string, []string) {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: 14})
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 14})
	config := filepath.Join(dir, "vigie.yml")
	env := simEnv()
	return inv, agent, config, env
}

// linkDown takes the first up access link of inv down in the simulator,
// so that vigie records an event.
func linkDown(t *testing.T, inv *inventory.Inventory, agent *snmpagent.Agent) {
	t.Helper()
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if a.Interface != "" && !a.ViaInternet {
				if err := agent.SetLink(a.Device, a.Interface, false); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	}
	t.Fatal("no access link to take down")
}

// writeInventory writes inv to path with agent.db and agent.listen set.
func writeInventory(t *testing.T, path string, inv *inventory.Inventory, db, listen string) {
	t.Helper()
	inv.Agent.DB, inv.Agent.Listen = db, listen
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	// Written whole then renamed: a reload never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// withBGPListen returns a copy of inv that peers, passively (vigie never
// connects out), with its first PFAI router and listens for BGP on port.
func withBGPListen(t *testing.T, inv *inventory.Inventory, port int) *inventory.Inventory {
	t.Helper()
	c := *inv
	for _, d := range inv.Devices {
		if d.Role == inventory.RolePFAI {
			c.BGP = inventory.BGP{LocalAS: 64512, RouterID: netip.MustParseAddr("127.0.0.1"), ListenPort: port,
				Peers: []inventory.BGPPeer{{Device: d.Name, Address: d.Address.Addr(), RemoteAS: 64512, Passive: true}}}
			return &c
		}
	}
	t.Fatal("no PFAI router in the simulated inventory")
	return nil
}

// corruptStore writes a vigie store at path whose pages, all but the two
// meta pages, are overwritten: what a bad restore or a disk that lost its
// cache leaves.
func corruptStore(t *testing.T, path string) {
	t.Helper()
	_, pageSize := storetest.Write(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[2*pageSize:], bytes.Repeat([]byte{0xA5}, len(b)-int(2*pageSize)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkRefused checks how a refused vigie command ended, as the operator
// reads it: exit status 1, no panic, fault or Go traceback, and exactly one
// line besides the log lines, naming each of wants.
func checkRefused(t *testing.T, err error, stderr string, wants ...string) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	for _, bad := range []string{"panic", "goroutine ", "SIGBUS", "SIGSEGV", "fatal error", "unexpected fault"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr shows %q:\n%s", bad, stderr)
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "time=") { // slog's text lines
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one line saying why, got %d:\n%s", len(lines), stderr)
	}
	for _, w := range wants {
		if !strings.Contains(lines[0], w) {
			t.Errorf("the line lacks %q:\n%s", w, lines[0])
		}
	}
}

// runRefused runs bin with args, bounded in time, and returns how it
// exited and its stderr.
func runRefused(t *testing.T, bin, dir string, env []string, args ...string) (error, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("vigie %s still running after 60 s:\n%s", strings.Join(args, " "), stderr.String())
	}
	return err, stderr.String()
}

// fsImmutableFL is FS_IMMUTABLE_FL of linux/fs.h (chattr's "i"), which
// x/sys/unix does not name.
const fsImmutableFL = 0x10

// makeUnwritable makes an existing file unwritable to vigie. Permission
// bits do not stop root, so as root it sets the immutable attribute
// (chattr +i, which needs CAP_LINUX_IMMUTABLE and a filesystem that has
// it), removed when the test ends; otherwise it drops the write bits.
func makeUnwritable(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutableFL))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot set the immutable attribute on %s (%v): run the tests with CAP_LINUX_IMMUTABLE on a filesystem that has it (ext4, xfs, tmpfs)", path, err)
		}
		t.Skipf("cannot set the immutable attribute on %s (%v): needs CAP_LINUX_IMMUTABLE", path, err)
	}
	t.Cleanup(func() {
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
			t.Errorf("removing the immutable attribute of %s: %v (chattr -i it by hand)", path, err)
		}
	})
}

// TestStartupRefusals starts `vigie run` and `vigie whatif --db` the way an
// operator would, on every store and listener fault an operator meets: a
// store locked by a running vigie, a corrupt, foreign, truncated or
// unwritable file, a directory, a bad web config, a taken port. Each
// must end with exit status 1 and one line naming the file or address and
// the next step: never a panic, a fault or a Go traceback (before this
// test, each of them was a nil-pointer panic hiding the reason, and a
// truncated file a SIGBUS).
func TestStartupRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it a score of times")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv, _, config, env := simFleet(t, dir, 3)
	writeInventory(t, config, inv, "", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))) // --web.listen-address wins
	path := func(name string) string { return filepath.Join(dir, name) }

	// A running vigie holds locked.db.
	port := freeport.TCP(t)
	var runningLogs logbuf.Buffer
	running := startVigie(t, bin, dir, env, &runningLogs, &runningLogs, runningLogs.String,
		"run", "--config", config, "--db", path("locked.db"), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	running.waitFor(30*time.Second, "the first vigie serving", func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/-/healthy", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	holder := fmt.Sprintf("pid %d", running.cmd.Process.Pid)

	// The store files, each damaged its own way.
	inUse, _ := storetest.Write(t, path("truncated.db"))
	if err := os.Truncate(path("truncated.db"), inUse/2); err != nil { // half its pages cut off
		t.Fatal(err)
	}
	corruptStore(t, path("corrupt.db"))
	random := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(14, 14))
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	for name, content := range map[string][]byte{
		"random.db":   random,
		"text.db":     bytes.Repeat([]byte("devices:\n  - name: agg-lyon-1\n"), 500),
		"bad-web.yml": []byte("basic_auth_users:\n  noc: [not a hash\n"),
		"tls-web.yml": []byte("tls_server_config:\n  cert_file: " + path("missing.crt") + "\n  key_file: " + path("missing.key") + "\n"),
	} {
		if err := os.WriteFile(path(name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := bolt.Open(path("other-app.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("widgets"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Mkdir(path("dir.db"), 0o755); err != nil {
		t.Fatal(err)
	}
	storetest.Write(t, path("readonly.db"))
	// A web config of 2 MiB of YAML comments: valid YAML, too large.
	if err := os.WriteFile(path("huge-web.yml"), bytes.Repeat([]byte("# padding\n"), 2<<20/10), 0o600); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	bgpConfig := path("bgp.yml")
	writeInventory(t, bgpConfig, withBGPListen(t, inv, takenPort), "", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t)))

	for _, tc := range []struct {
		name  string
		args  []string // after --config
		wants []string
	}{
		{"locked store", []string{"--db", path("locked.db")}, []string{"database locked", path("locked.db"), holder, "stop it"}},
		{"corrupt store", []string{"--db", path("corrupt.db")}, []string{"database corrupt", path("corrupt.db"), "move it aside"}},
		{"random bytes", []string{"--db", path("random.db")}, []string{"is not a bbolt file", path("random.db"), "Move the file aside"}},
		{"text file", []string{"--db", path("text.db")}, []string{"is not a bbolt file", path("text.db"), "Move the file aside"}},
		{"another program's bbolt file", []string{"--db", path("other-app.db")}, []string{"not a vigie store", path("other-app.db")}},
		{"truncated store", []string{"--db", path("truncated.db")}, []string{"is truncated", path("truncated.db"), "restore it from a backup"}},
		{"directory", []string{"--db", path("dir.db")}, []string{"is a directory", path("dir.db")}},
		{"missing directory", []string{"--db", path("no/such/dir/vigie.db")}, []string{"cannot create", path("no/such/dir/vigie.db"), "create its directory"}},
		// sysfs refuses to create a file, to root too.
		{"path where nothing can be created", []string{"--db", "/sys/vigie-test.db"}, []string{"cannot open /sys/vigie-test.db for writing", "permission denied"}},
		{"unwritable store", []string{"--db", path("readonly.db")}, []string{"cannot open " + path("readonly.db") + " for writing", "lsattr"}},
		{"bad web config", []string{"--db", "-", "--web.config.file", path("bad-web.yml")}, []string{"web config " + path("bad-web.yml"), "fix it"}},
		{"web config that is a device", []string{"--db", "-", "--web.config.file", "/dev/zero"}, []string{"web config /dev/zero: not a regular file"}},
		{"oversized web config", []string{"--db", "-", "--web.config.file", path("huge-web.yml")}, []string{"web config " + path("huge-web.yml"), "over the 1048576-byte limit"}},
		{"missing web config", []string{"--db", "-", "--web.config.file", path("no-web.yml")}, []string{"web config " + path("no-web.yml"), "no such file", "drop the flag"}},
		{"web config naming missing certificates", []string{"--db", "-", "--web.config.file", path("tls-web.yml")}, []string{"web config " + path("tls-web.yml"), "missing.crt"}},
		{"taken listen port", []string{"--db", "-", "--web.listen-address", taken.Addr().String()}, []string{"cannot listen on " + taken.Addr().String(), "address already in use", "--web.listen-address"}},
		{"taken BGP listen port", []string{"--db", "-"}, []string{fmt.Sprintf("bgp: cannot listen on 0.0.0.0:%d", takenPort), "bgp.listen_port"}},
	} {
		t.Run("run/"+tc.name, func(t *testing.T) {
			if tc.name == "unwritable store" {
				makeUnwritable(t, path("readonly.db"))
			}
			cfg := config
			if tc.name == "taken BGP listen port" {
				cfg = bgpConfig
			}
			args := append([]string{"run", "--config", cfg}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--web.listen-address") {
				args = append(args, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t)))
			}
			err, stderr := runRefused(t, bin, dir, env, args...)
			checkRefused(t, err, stderr, tc.wants...)
		})
	}
	for _, tc := range []struct {
		name  string
		db    string
		wants []string
	}{
		{"locked store", path("locked.db"), []string{"database locked", holder, "POST /api/v1/whatif"}},
		{"truncated store", path("truncated.db"), []string{"is truncated", path("truncated.db"), "restore it from a backup"}},
		{"corrupt store", path("corrupt.db"), []string{"database corrupt", path("corrupt.db")}},
		{"random bytes", path("random.db"), []string{"is not a bbolt file", path("random.db")}},
		{"directory", path("dir.db"), []string{"is a directory", path("dir.db")}},
	} {
		t.Run("whatif/"+tc.name, func(t *testing.T) {
			err, stderr := runRefused(t, bin, dir, env, "whatif", "--config", config, "--db", tc.db, "--fail", "internet")
			checkRefused(t, err, stderr, tc.wants...)
		})
	}
	// No refused file was rewritten: the truncated one still is.
	if fi, err := os.Stat(path("truncated.db")); err != nil || fi.Size() != inUse/2 {
		t.Errorf("truncated.db: %v, size %d, want %d: it was rewritten", err, fi.Size(), inUse/2)
	}
	if _, err := running.stop(stopBound); err != nil {
		t.Errorf("the first vigie exited with %v after SIGTERM\n%s", err, runningLogs.String())
	}
}
