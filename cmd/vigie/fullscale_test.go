package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// fullScaleInterval is every role's polling interval in TestFullScale: the
// scheduler spreads each pass over it, so it bounds the wait for the first
// complete pass and for a cut to show, while the machine polls the RIE
// twice (the single box and the collectors) at about 660 polls/s each.
const fullScaleInterval = 30 * time.Second

// TestFullScale is issue 15's check on the real network's size: the
// simulated RIE of sim's default generator (14,000 sites, about 19,900
// devices) polled by three `vigie collect` through nats-server, read by two
// centrals, and by a single-box `vigie run` for comparison. Once every
// device has been polled, both centrals' site and device series equal the
// single box's; again after an aggregation router is powered off, isolating
// the single-homed sites behind it. A collector of a small share keeps only
// that share: its RSS stays far below the ~250 MiB the whole inventory's
// load takes.
func TestFullScale(t *testing.T) {
	if testing.Short() {
		t.Skip("the full simulated RIE: builds the binary, runs nats-server and six vigie processes for about two minutes")
	}
	start := time.Now()
	placeIDs.Clear() // another test's vigie may have had these ports
	f := newDistFleet(t, sim.DefaultSites, 1, natstest.Options{})
	for r := range f.inv.Polling.Intervals {
		f.inv.Polling.Intervals[r] = fullScaleInterval
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)
	agg, behind := busiestAggregation(t, f.inv)

	single, singleURL := f.run(t, "")
	a, aURL := f.run(t, "central-a")
	b, bURL := f.runOn(t, "central-b", freeport.TCP(t), filepath.Join(t.TempDir(), "central-b.db"))
	procs := map[string]*vigieProc{"single box": single, "central-a": a, "central-b": b}
	collURLs := map[string]string{}
	for _, n := range distCollectors {
		procs["collector "+n], collURLs[n] = f.collect(t, n)
	}
	defer logCPU(t, procs)

	// Every device polled by the collectors (their /metrics are small),
	// and every site observed, in the same state, by the single box and
	// both centrals (the console's one letter a site). Only then are the
	// full /metrics compared: some 120 MB each.
	polled := func() (string, bool) {
		total := 0.0
		for _, n := range distCollectors {
			m := scrape(collURLs[n])
			if p, ok := seriesWith(m, "vigie_collector_devices", `state="pending"`); !ok || p > 0 {
				return fmt.Sprintf("collector %s has %v devices not polled yet", n, p), false
			}
			for _, v := range m["vigie_collector_devices"] {
				total += v
			}
		}
		if int(total) != len(f.inv.Devices) {
			return fmt.Sprintf("the collectors poll %v devices, the fleet has %d", total, len(f.inv.Devices)), false
		}
		return sameStates(singleURL, aURL, bURL)
	}
	waitFull(t, 5*time.Minute, "every device polled, every site observed alike", polled)
	t.Logf("every one of %d devices polled, every site observed alike by the single box and both centrals after %s",
		len(f.inv.Devices), time.Since(start).Round(time.Second))
	sameFullViews(t, "nominal", len(f.inv.Sites), singleURL, aURL, bURL)
	t.Logf("nominal: both centrals equal the single box after %s", time.Since(start).Round(time.Second))

	// A collector keeps its share only (issue 15: a collector of 2,000
	// devices under 128 MiB); overseas polls a few hundred devices.
	if rss, ok := seriesWith(scrape(collURLs["overseas"]), "process_resident_memory_bytes"); !ok || rss >= 128<<20 {
		t.Errorf("collector overseas: process_resident_memory_bytes = %.0f MiB, want under 128 MiB once its share is taken", rss/(1<<20))
	}

	if _, err := f.agent.Cut("device:" + agg); err != nil {
		t.Fatal(err)
	}
	waitFull(t, 5*time.Minute, fmt.Sprintf("the %d single-homed sites behind %s isolated, alike on the single box and both centrals", len(behind), agg), func() (string, bool) {
		st, ok := consoleState(singleURL)
		if !ok {
			return "the single box serves no console state", false
		}
		for _, s := range behind {
			if st[s] != 'i' {
				return fmt.Sprintf("%s is %q on the single box", s, st[s]), false
			}
		}
		return sameStates(singleURL, aURL, bURL)
	})
	sameFullViews(t, agg+" off", len(f.inv.Sites), singleURL, aURL, bURL)
	t.Logf("%s off (%d sites isolated): both centrals equal the single box after %s", agg, len(behind), time.Since(start).Round(time.Second))
}

// busiestAggregation returns the aggregation router behind which the most
// sites have their only access, and those sites.
func busiestAggregation(t *testing.T, inv *inventory.Inventory) (string, []string) {
	t.Helper()
	behind := map[string][]string{}
	for _, s := range inv.Sites {
		if len(s.Access) == 1 && s.Access[0].Router != "" && strings.HasPrefix(s.Access[0].Device, "agg-") {
			behind[s.Access[0].Device] = append(behind[s.Access[0].Device], s.ID)
		}
	}
	best := ""
	for d, ss := range behind {
		if best == "" || len(ss) > len(behind[best]) || (len(ss) == len(behind[best]) && d < best) {
			best = d
		}
	}
	if len(behind[best]) < 2 {
		t.Fatalf("the simulated RIE has no aggregation router with two single-homed sites behind it (best %q)", best)
	}
	return best, behind[best]
}

// waitFull calls cond every 2 s until it holds (cond says what is not yet
// there), or fails after within.
func waitFull(t *testing.T, within time.Duration, what string, cond func() (string, bool)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for round := 1; ; round++ {
		why, ok := cond()
		if ok {
			t.Logf("%s: round %d, after %s", what, round, time.Since(start).Round(time.Second))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s: %s", within, what, why)
		}
		if round%10 == 1 {
			t.Logf("%s: round %d, %s: %s", what, round, time.Since(start).Round(time.Second), strings.SplitN(why, "\n", 3)[:min(2, strings.Count(why, "\n")+1)])
		}
		time.Sleep(3 * time.Second)
	}
}

// consoleState returns each site's state letter at url's vigie (n, d, i,
// u: GET /api/v1/console/state), by site ID.
func consoleState(metricsURL string) (map[string]byte, bool) {
	base := strings.TrimSuffix(metricsURL, "/metrics")
	ids, _ := placeIDs.Load(base)
	if ids == nil {
		var places struct {
			Sites [][]any `json:"sites"`
		}
		if !getJSON(base+"/api/v1/console/places", &places) {
			return nil, false
		}
		var l []string
		for _, p := range places.Sites {
			if len(p) > 0 {
				id, _ := p[0].(string)
				l = append(l, id)
			}
		}
		ids = l
		placeIDs.Store(base, l)
	}
	var st exposition.ConsoleState
	if !getJSON(base+"/api/v1/console/state", &st) || len(st.States) != len(ids.([]string)) {
		return nil, false
	}
	out := make(map[string]byte, len(st.States))
	for i, id := range ids.([]string) {
		out[id] = st.States[i]
	}
	return out, true
}

// placeIDs caches the site IDs of each vigie's console places, in their
// order: they change only with the inventory.
var placeIDs sync.Map

// getJSON decodes url's JSON answer into v.
func getJSON(url string, v any) bool {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}

// sameStates says whether every site is observed, in the same state, at
// want's vigie and at each of got's.
func sameStates(want string, got ...string) (string, bool) {
	w, ok := consoleState(want)
	if !ok {
		return want + " serves no console state", false
	}
	for id, s := range w {
		if s == 'u' {
			return fmt.Sprintf("site %s not yet observed at %s", id, want), false
		}
	}
	for _, g := range got {
		st, ok := consoleState(g)
		if !ok {
			return g + " serves no console state", false
		}
		for id, s := range w {
			if st[id] != s {
				return fmt.Sprintf("site %s is %q at %s, %q at %s", id, st[id], g, s, want), false
			}
		}
	}
	return "", true
}

// logCPU logs the CPU time each process has used (Linux /proc): what the
// test costs.
func logCPU(t *testing.T, procs map[string]*vigieProc) {
	tick := 100.0 // USER_HZ on Linux
	var total float64
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", procs[name].cmd.Process.Pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		k, _ := strconv.ParseFloat(f[12], 64)
		total += (u + k) / tick
		t.Logf("%s: %.1f s of CPU", name, (u+k)/tick)
	}
	t.Logf("the vigie processes: %.1f s of CPU in all", total)
}

// sameFullViews is sameViews for the full RIE: the single box's /metrics
// is some 120 MB, so only the families siteView keeps are read, and the
// three are compared every few seconds.
func sameFullViews(t *testing.T, what string, sites int, want string, got ...string) {
	t.Helper()
	var diff []string
	var n int
	waitFull(t, 3*time.Minute, what+": the centrals' site and device series equal the single box's", func() (string, bool) {
		w := siteView(scrapeFamilies(want, ""))
		n, diff = len(w), nil
		for _, g := range got {
			if d := viewDiff(w, siteView(scrapeFamilies(g, ""))); len(d) > 0 {
				diff = append([]string{g + ":"}, d...)
				break
			}
		}
		if n <= sites*5 {
			return fmt.Sprintf("the single box has only %d series", n), false
		}
		if len(diff) > 0 {
			return fmt.Sprintf("%d series; differences:\n%s", n, strings.Join(diff, "\n")), false
		}
		return "", true
	})
	t.Logf("%s: %d site and device series equal", what, n)
}

// scrapeFamilies reads url's text exposition line by line and keeps the
// series of the family named only, or with "" those siteView keeps (the
// vigie_site_, vigie_device_, vigie_interface_up... families): scrape's
// parse of all 1.1 million series of the full RIE would take seconds and
// gigabytes each time. Labels are kept as the exposition writes them.
func scrapeFamilies(url, only string) map[string]map[string]float64 {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	// Uncompressed: gzip would double the cost of 120 MB on both sides.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	keep := func(fam []byte) bool {
		if only != "" {
			return string(fam) == only
		}
		return bytes.HasPrefix(fam, []byte("vigie_site_")) || bytes.HasPrefix(fam, []byte("vigie_device_")) ||
			string(fam) == "vigie_sites" || string(fam) == "vigie_region_sites" || string(fam) == "vigie_interface_up" ||
			string(fam) == "vigie_transoceanic_link_up"
	}
	out := map[string]map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		end := bytes.IndexAny(line, "{ ")
		if end < 0 || !keep(line[:end]) {
			continue
		}
		fam := string(line[:end])
		labels, rest := "", line[end:]
		if rest[0] == '{' {
			close := bytes.LastIndexByte(rest, '}')
			if close < 0 {
				continue
			}
			labels, rest = string(rest[1:close]), rest[close+1:]
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil {
			continue
		}
		if out[fam] == nil {
			out[fam] = map[string]float64{}
		}
		out[fam][labels] = v
	}
	if sc.Err() != nil {
		return nil
	}
	return out
}
