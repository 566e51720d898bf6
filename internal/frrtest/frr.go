package frrtest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// FRR's Debian install paths.
const (
	frrLib = "/usr/lib/frr"
	vtysh  = "vtysh"
)

// Config describes one FRR router.
type Config struct {
	// Name labels the router in logs and names its directory.
	Name string
	// BGPListen and BGPPort are where bgpd listens (bgpd -l, -p). An
	// address of its own per router lets several share the loopback.
	BGPListen string
	BGPPort   int
	// BGPConf is bgpd's configuration (the "router bgp" block and what it
	// needs), loaded at start. Remember `no bgp ebgp-requires-policy`.
	BGPConf string
	// Setup runs before the daemons start, in the test's namespace (for
	// VRF devices: `ip link add red type vrf table 10`...).
	Setup [][]string
}

// Router is a running zebra + bgpd pair.
type Router struct {
	Name string
	Dir  string
	t    testing.TB
}

// Start runs zebra and bgpd for c and stops them (by PID) when the test
// ends. It needs the private namespace of MainInNetns: zebra would
// otherwise manage the host's routes. It skips, or fails under CI=true,
// when FRR or the namespace is missing.
func Start(t testing.TB, c Config) *Router {
	t.Helper()
	RequireNetns(t)
	Require(t, filepath.Join(frrLib, "zebra"), filepath.Join(frrLib, "bgpd"), vtysh)
	AddAddress(t, c.BGPListen)
	for _, args := range c.Setup {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("frrtest %s: setup %v: %v: %s", c.Name, args, err, out)
		}
	}
	dir, err := os.MkdirTemp("", "frrtest-"+c.Name+"-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Router{Name: c.Name, Dir: dir, t: t}
	t.Cleanup(func() {
		r.stop()
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		} else {
			t.Logf("frrtest %s: logs kept in %s", c.Name, dir)
		}
	})
	// The daemons drop to user frr: the directory and files must be theirs.
	uid, gid := frrIDs(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chown(p, uid, gid)
	}
	write("zebra.conf", "hostname "+c.Name+"\n")
	write("bgpd.conf", c.BGPConf)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	common := []string{"-d", "-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir}
	r.daemon("zebra", append(common, "-i", filepath.Join(dir, "zebra.pid"), "-f", filepath.Join(dir, "zebra.conf"),
		"--log", "file:"+filepath.Join(dir, "zebra.log"))...)
	r.daemon("bgpd", append(common, "-i", filepath.Join(dir, "bgpd.pid"), "-f", filepath.Join(dir, "bgpd.conf"),
		"-p", strconv.Itoa(c.BGPPort), "-l", c.BGPListen, "--log", "file:"+filepath.Join(dir, "bgpd.log"))...)
	// bgpd answers vtysh once it has read its configuration.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.Vtysh("show bgp summary"); err == nil {
			return r
		} else if time.Now().After(deadline) {
			t.Fatalf("frrtest %s: bgpd does not answer vtysh after 10 s: %v (logs in %s)", c.Name, err, dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AddAddress puts addr on lo in the test's private namespace. bgpd needs
// an interface that owns its session address exactly ("nexthop_set failed"
// otherwise), and zebra ignores 127.0.0.0/8: routers and vigie therefore use
// addresses such as 192.0.2.x (TEST-NET-1), which exist only in the
// namespace.
func AddAddress(t testing.TB, addr string) {
	t.Helper()
	RequireNetns(t)
	a, err := netip.ParseAddr(addr)
	if err != nil {
		t.Fatalf("frrtest: address %q: %v", addr, err)
	}
	out, err := exec.Command("ip", "addr", "add", netip.PrefixFrom(a, a.BitLen()).String(), "dev", "lo").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "File exists") && !strings.Contains(string(out), "already assigned") {
		t.Fatalf("frrtest: add %s to lo: %v: %s", a, err, out)
	}
}

func frrIDs(t testing.TB) (int, int) {
	u, err := user.Lookup("frr")
	if err != nil {
		missing(t, "user frr missing (Debian package frr): "+err.Error())
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

// daemon starts one FRR daemon (it forks and writes its pid file).
func (r *Router) daemon(name string, args ...string) {
	r.t.Helper()
	out, err := exec.Command(filepath.Join(frrLib, name), args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("frrtest %s: start %s: %v: %s", r.Name, name, err, out)
	}
}

// pid reads a daemon's pid file (0 when absent).
func (r *Router) pid(name string) int {
	b, err := os.ReadFile(filepath.Join(r.Dir, name+".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// stop ends bgpd then zebra by their PIDs, waiting up to 5 s each before
// killing them.
func (r *Router) stop() {
	for _, d := range []string{"bgpd", "zebra"} {
		pid := r.pid(d)
		if pid <= 1 {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Kill stops bgpd abruptly (SIGKILL), as a crash would.
func (r *Router) Kill() {
	if pid := r.pid("bgpd"); pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Vtysh runs show or exec commands against the router.
func (r *Router) Vtysh(cmds ...string) (string, error) {
	args := []string{"--vty_socket", r.Dir}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := exec.Command(vtysh, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("vtysh %q: %w: %s", cmds, err, out)
	}
	return string(out), nil
}

// Configure applies configuration lines (entered after `configure
// terminal`, one per element, with their context lines) and fails the test
// when vtysh reports an error.
func (r *Router) Configure(lines ...string) {
	r.t.Helper()
	out, err := r.Vtysh(append([]string{"configure terminal"}, lines...)...)
	if err != nil || strings.Contains(out, "% ") {
		r.t.Fatalf("frrtest %s: configure %q: %v: %s", r.Name, lines, err, out)
	}
}

// JSON runs a show command ending in `json` and decodes its output.
func (r *Router) JSON(cmd string, v any) error {
	out, err := r.Vtysh(cmd)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("vtysh %q: decode: %w: %.200s", cmd, err, out)
	}
	return nil
}

// Neighbor is the part of `show bgp neighbors X json` the tests read.
type Neighbor struct {
	State         string `json:"bgpState"`
	ConnectionsUp int    `json:"connectionsEstablished"`
	AFI           map[string]struct {
		Accepted int `json:"acceptedPrefixCounter"`
		Sent     int `json:"sentPrefixCounter"`
	} `json:"addressFamilyInfo"`
}

// Neighbor returns bgpd's view of one neighbor.
func (r *Router) Neighbor(addr string) (Neighbor, error) {
	var m map[string]Neighbor
	if err := r.JSON("show bgp neighbors "+addr+" json", &m); err != nil {
		return Neighbor{}, err
	}
	n, ok := m[addr]
	if !ok {
		return Neighbor{}, fmt.Errorf("frrtest %s: no neighbor %s", r.Name, addr)
	}
	return n, nil
}

// Log returns bgpd's log so far (for failure messages).
func (r *Router) Log() string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "bgpd.log"))
	return string(b)
}
