package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// goBuild compiles one of the repository's commands into dir.
func goBuild(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goBin, "build", "-tags", "gosnmp_nodebug", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// syncBuf is a bytes.Buffer written by a child process and read by the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sitesAt reads the sites whose per-site gauge family is at value on
// vigie's /metrics, and whether the family has samples at all.
func sitesAt(url, family, value string) ([]string, bool) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	var out []string
	seen := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, family+"{") {
			continue
		}
		seen = true
		if !strings.HasSuffix(line, "} "+value) {
			continue
		}
		_, rest, _ := strings.Cut(line, `site="`)
		site, _, _ := strings.Cut(rest, `"`)
		out = append(out, site)
	}
	slices.Sort(out)
	return out, seen
}

// TestCutsThroughTheBinaries is the planner's rehearsal, with the real
// binaries: a `vigie demo` on a small simulated RIE, faults set with
// `vigie-sim cut` against its /sim/ endpoint, and vigie_site_isolated on
// its /metrics compared with what `vigie whatif` predicts for the same
// inventory (written by `vigie-sim generate` from the same seed). Each
// fault is then restored and every site must recover.
func TestCutsThroughTheBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries (about 30 s)")
	}
	dir := t.TempDir()
	simBin := goBuild(t, dir, ".", "vigie-sim")
	vigieBin := goBuild(t, dir, "../vigie", "vigie")
	const sites, seed = "300", "11"

	// The prediction side: the same inventory, on file.
	var out, errb bytes.Buffer
	if err := run([]string{"generate", "--sites", sites, "--seed", seed, "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("vigie-sim generate: %v\n%s", err, errb.String())
	}
	config := filepath.Join(dir, "vigie.yml")
	inv, err := inventory.Load(config, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "VIGIE_SIM_COMMUNITY=x", "VIGIE_SIM_AUTH=vigie-sim-auth", "VIGIE_SIM_PRIV=vigie-sim-priv")
	predict := func(items ...string) []string {
		t.Helper()
		args := []string{"whatif", "--config", config, "--format", "json"}
		for _, it := range items {
			args = append(args, "--fail", it)
		}
		item := strings.Join(items, " --fail ")
		cmd := exec.Command(vigieBin, args...)
		cmd.Env = env
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("vigie whatif --fail %s: %v\n%s", item, err, b)
		}
		var r struct {
			Isolated []string `json:"isolated_sites"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("vigie whatif --fail %s --format json: %v\n%s", item, err, b)
		}
		slices.Sort(r.Isolated)
		return r.Isolated
	}

	// The live side: vigie demo, faults off, polling every second.
	port := freeport.TCP(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	var logs syncBuf
	demo := exec.Command(vigieBin, "demo", "--sites", sites, "--seed", seed, "--interval", "1s", "--faults=false",
		"--web.listen-address", "127.0.0.1:"+strconv.Itoa(port))
	demo.Stdout, demo.Stderr = &logs, &logs
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- demo.Wait() }()
	t.Cleanup(func() {
		if demo.ProcessState == nil {
			_ = demo.Process.Kill()
			<-exited
		}
	})
	waitFor := func(within time.Duration, what string, cond func() (bool, string)) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			ok, state := cond()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not within %s: %s (%s)\nvigie demo logs (tail):\n%s", within, what, state, tail(logs.String(), 3000))
			}
			select {
			case err := <-exited:
				t.Fatalf("vigie demo exited (%v) while waiting for %s\n%s", err, what, tail(logs.String(), 3000))
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	// The sites isolated are those predicted, and BGP agrees: their
	// prefixes are withdrawn (vigie_site_routed 0), and only theirs.
	isolatedAre := func(want []string) func() (bool, string) {
		return func() (bool, string) {
			got, seen := sitesAt(url, "vigie_site_isolated", "1")
			unrouted, known := sitesAt(url, "vigie_site_routed", "0")
			return seen && known && slices.Equal(got, want) && slices.Equal(unrouted, want),
				fmt.Sprintf("isolated now %d: %v; unrouted %d: %v; want %d: %v", len(got), got, len(unrouted), unrouted, len(want), want)
		}
	}
	waitFor(60*time.Second, "a healthy RIE: no site isolated", isolatedAre(nil))

	vigieSim := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(simBin, append([]string{args[0], "--control", url + "/sim"}, args[1:]...)...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("vigie-sim %v: %v\n%s", args, err, b)
		}
		return string(b)
	}

	// The internet cut: the sites cut off live are those predicted.
	want := predict("internet")
	if len(want) == 0 {
		t.Fatal("vigie whatif predicts no site cut off by an internet cut: the test inventory proves nothing")
	}
	tunnels := 0
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			if a.ViaInternet {
				tunnels++
			}
		}
	}
	said := vigieSim("cut", "internet")
	if !strings.Contains(said, fmt.Sprintf("(%d tunnels over the internet)", tunnels)) || !strings.Contains(said, "BGP withdrew 2 default routes") {
		t.Errorf("vigie-sim cut internet said %q; want %d tunnels down and both default routes withdrawn", said, tunnels)
	}
	waitFor(60*time.Second, "the sites predicted by vigie whatif --fail internet isolated", isolatedAre(want))
	// vigie sees the internet itself gone: both uplinks down, both
	// default routes and every canary withdrawn.
	waitFor(60*time.Second, "internet interconnects down, default routes and canaries gone", func() (bool, string) {
		lines := metricLines(url, "vigie_interconnect_up", "vigie_bgp_default_route_present", "vigie_bgp_canary_present")
		n := 0
		for _, l := range lines {
			internet := !strings.HasPrefix(l, "vigie_interconnect_up") || strings.Contains(l, `kind="internet"`)
			if internet && !strings.HasSuffix(l, " 0") {
				return false, l
			}
			if internet {
				n++
			}
		}
		// 2 interconnects, 2 default routes, 2 x 2 canaries.
		return n == 8, fmt.Sprintf("%d internet series at 0 of %v, want 8", n, lines)
	})
	t.Logf("internet cut: %d sites isolated, as predicted; %s", len(want), strings.TrimSpace(said))
	vigieSim("restore", "internet")
	waitFor(60*time.Second, "every site back after the restore", isolatedAre(nil))

	// An aggregation router powered off: its single-homed sites isolated
	// (not merely degraded: their prefixes are withdrawn).
	agg, n := "", 0
	for _, d := range inv.Devices {
		if d.Role != inventory.RoleCollection || d.PoP == "" {
			continue
		}
		if k := len(predict("device:" + d.Name)); k > n {
			agg, n = d.Name, k
		}
		if n >= 3 {
			break
		}
	}
	if agg == "" {
		t.Fatal("no aggregation router carries a site alone")
	}
	want = predict("device:" + agg)
	// Through the existing power switch, as an operator would.
	power := func(state string) {
		t.Helper()
		resp, err := http.Post(url+"/sim/power/"+agg+"?state="+state, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST /sim/power/%s?state=%s: %s", agg, state, resp.Status)
		}
	}
	power("off")
	waitFor(60*time.Second, agg+" off: its single-homed sites isolated", isolatedAre(want))
	power("on")
	waitFor(60*time.Second, agg+" on: every site back", isolatedAre(nil))

	// The cables to an overseas territory (both when it has two: one alone
	// cuts nobody off).
	cables := map[string][]string{}
	for _, l := range inv.Links {
		if l.Technology == inventory.TechTransoceanic {
			r := inv.DeviceRegion(inv.Device(l.A.Device))
			for _, g := range l.SRLGs {
				cables[r] = append(cables[r], "srlg:"+g)
			}
		}
	}
	var cut []string
	for _, r := range inv.Regions {
		if len(cables[r.ID]) > 0 && len(predict(cables[r.ID]...)) > 0 {
			cut = cables[r.ID]
			break
		}
	}
	if cut == nil {
		t.Fatalf("no overseas territory with sites behind its cables: %v", cables)
	}
	want = predict(cut...)
	vigieSim(append([]string{"cut"}, cut...)...)
	waitFor(60*time.Second, fmt.Sprintf("the sites behind %v isolated", cut), isolatedAre(want))
	t.Logf("%v cut: %d sites isolated, as predicted", cut, len(want))
	if said := vigieSim("restore", "--all"); !strings.Contains(said, "restored "+cut[0]) {
		t.Errorf("vigie-sim restore --all said %q", said)
	}
	waitFor(60*time.Second, "every site back after the cables are mended", isolatedAre(nil))
}

// TestServeAndRunFollowCuts is the same rehearsal with the two processes a
// planner runs: `vigie-sim serve --bgp-port` and `vigie run` on the
// inventory `vigie-sim generate --bgp-port` wrote, the cut set with
// `vigie-sim cut` on serve's control address. vigie sees the internet edges
// lose their default routes and the predicted sites isolated, then all back.
func TestServeAndRunFollowCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries (about 20 s)")
	}
	dir := t.TempDir()
	simBin := goBuild(t, dir, ".", "vigie-sim")
	vigieBin := goBuild(t, dir, "../vigie", "vigie")
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	snmpPort := strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)
	udp.Close()
	bgpPort, controlPort, webPort := strconv.Itoa(freeport.TCP(t)), strconv.Itoa(freeport.TCP(t)), strconv.Itoa(freeport.TCP(t))
	gen := []string{"--sites", "200", "--seed", "4", "--port", snmpPort, "--bgp-port", bgpPort}
	var out, errb bytes.Buffer
	if err := run(append([]string{"generate", "--out", dir}, gen...), &out, &errb); err != nil {
		t.Fatalf("vigie-sim generate: %v\n%s", err, errb.String())
	}
	// Poll every 5 s (vigie's minimum) rather than every 30-60 s.
	config := filepath.Join(dir, "vigie.yml")
	inv, err := inventory.Load(config, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.BGP.Peers) != 6 {
		t.Fatalf("generate --bgp-port wrote %d BGP peers, want 6 (2 reflectors, 2 internet edges, 2 PFS)", len(inv.BGP.Peers))
	}
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = 5 * time.Second
	}
	inv.Agent.Listen = "127.0.0.1:" + webPort
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "VIGIE_SIM_COMMUNITY="+sim.DefaultCommunity, "VIGIE_SIM_AUTH="+sim.DefaultAuthPassword,
		"VIGIE_SIM_PRIV="+sim.DefaultPrivPassword)

	var logs syncBuf
	start := func(bin string, args ...string) chan error {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return exited
	}
	simExited := start(simBin, append([]string{"serve", "--control", "127.0.0.1:" + controlPort}, gen...)...)
	vigieExited := start(vigieBin, "run", "--config", config, "--db", "-")
	url := "http://127.0.0.1:" + webPort
	metric := func(name, device string) string {
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Get(url + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, name+"{") && strings.Contains(line, `device="`+device+`"`) {
				return line[strings.LastIndexByte(line, ' ')+1:]
			}
		}
		return ""
	}
	waitFor := func(what string, cond func() (bool, string)) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok, state := cond()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not within 60 s: %s (%s)\nlogs (tail):\n%s", what, state, tail(logs.String(), 3000))
			}
			select {
			case err := <-simExited:
				t.Fatalf("vigie-sim serve exited (%v) while waiting for %s\n%s", err, what, tail(logs.String(), 3000))
			case err := <-vigieExited:
				t.Fatalf("vigie run exited (%v) while waiting for %s\n%s", err, what, tail(logs.String(), 3000))
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	defaults := func(want string) func() (bool, string) {
		return func() (bool, string) {
			a, b := metric("vigie_bgp_default_route_present", "pfai-1"), metric("vigie_bgp_default_route_present", "pfai-2")
			return a == want && b == want, fmt.Sprintf("pfai-1 %q, pfai-2 %q, want %q", a, b, want)
		}
	}
	isolated := func(want []string) func() (bool, string) {
		return func() (bool, string) {
			got, seen := sitesAt(url, "vigie_site_isolated", "1")
			return seen && slices.Equal(got, want), fmt.Sprintf("isolated %d: %v, want %d: %v", len(got), got, len(want), want)
		}
	}
	waitFor("both default routes received", defaults("1"))
	waitFor("no site isolated", isolated(nil))

	cmd := exec.Command(vigieBin, "whatif", "--config", config, "--fail", "internet", "--format", "json")
	cmd.Env = env
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("vigie whatif: %v\n%s", err, b)
	}
	var pred struct {
		Isolated []string `json:"isolated_sites"`
	}
	if err := json.Unmarshal(b, &pred); err != nil || len(pred.Isolated) == 0 {
		t.Fatalf("vigie whatif --fail internet: %v, %d sites isolated\n%s", err, len(pred.Isolated), b)
	}
	slices.Sort(pred.Isolated)
	vigieSim := func(args ...string) {
		t.Helper()
		if b, err := exec.Command(simBin, append(args, "--control", "127.0.0.1:"+controlPort)...).CombinedOutput(); err != nil {
			t.Fatalf("vigie-sim %v: %v\n%s", args, err, b)
		}
	}
	vigieSim("cut", "internet")
	waitFor("both default routes withdrawn", defaults("0"))
	waitFor("the predicted sites isolated", isolated(pred.Isolated))
	vigieSim("restore", "--all")
	waitFor("both default routes back", defaults("1"))
	waitFor("every site back", isolated(nil))
}

// metricLines returns the sample lines of the given families on /metrics.
func metricLines(url string, families ...string) []string {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range families {
			if strings.HasPrefix(line, f+"{") {
				out = append(out, line)
			}
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
