package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
	vigieSim("cut", "device:"+agg)
	waitFor(60*time.Second, agg+" off: its single-homed sites isolated", isolatedAre(want))
	vigieSim("restore", "device:"+agg)
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

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
