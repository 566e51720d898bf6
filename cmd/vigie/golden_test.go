package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/bgpsim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden* from what vigie serves now")

// goldenClock is the simulator's frozen time: every uptime, counter and
// BGP4-MIB timer it serves is computed from it, so that two runs of the
// golden test read the same values.
var goldenClock = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// TestGoldenExposition pins, byte for byte, what an operator reads from
// `vigie run`: /metrics (with and without gzip) and the /api/v1 JSON
// (topology, one isolated and one nominal site, what-if), on a small
// simulated RIE with BGP and a few faults. It is the contract the move of
// every rendering into package exposition must keep (issue 20).
//
// To rewrite the golden files after an intended change:
//
//	go test -tags gosnmp_nodebug ./cmd/vigie -run Golden -update
//
// and review the diff of cmd/vigie/testdata/golden/ before committing.
func TestGoldenExposition(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	g := newGoldenFleet(t)

	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", g.config(t, dir), "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--snmp.trap-listen-address", "127.0.0.1:0")

	// Converged: every device polled, every BGP session up, the slow
	// router's timeouts counted, and /metrics the same (normalised) for
	// longer than a poll interval.
	var metrics []byte
	var stableSince time.Time
	vigie.waitFor(60*time.Second, "a converged /metrics, stable for a poll interval", func() bool {
		body, err := goldenGet(base+"/metrics", false)
		if err != nil {
			return false
		}
		cur := normaliseMetrics(body)
		if !g.converged(body) {
			metrics = nil
			return false
		}
		if !bytes.Equal(cur, metrics) {
			metrics, stableSince = cur, time.Now()
			return false
		}
		return time.Since(stableSince) > inventory.MinInterval+time.Second
	})
	gz, err := goldenGet(base+"/metrics", true)
	if err != nil {
		t.Fatal(err)
	}
	if gz := normaliseMetrics(gz); !bytes.Equal(gz, metrics) {
		t.Errorf("/metrics with Accept-Encoding: gzip differs from without it:\n%s", firstDiff(metrics, gz))
	}
	goldenCompare(t, "metrics.txt", metrics)

	get := func(path string) []byte {
		t.Helper()
		body, err := goldenGet(base+path, false)
		if err != nil {
			t.Fatal(err)
		}
		return normaliseJSON(body)
	}
	goldenCompare(t, "topology.json", get("/api/v1/topology"))
	goldenCompare(t, "site-isolated.json", get("/api/v1/sites/"+g.isolated))
	goldenCompare(t, "site-nominal.json", get("/api/v1/sites/"+g.nominal))
	// /api/v1/events is not pinned: its events, and their order, follow
	// the order in which the polls of the fleet happened to come back (a
	// site may go nominal -> degraded -> isolated or straight to isolated).
	for _, w := range []struct{ file, body string }{
		{"whatif-internet.json", `{"fail": ["internet"]}`},
		{"whatif-device-srlg.json", `{"fail": ["device:` + g.whatifDevice + `", "srlg:` + g.whatifSRLG + `"]}`},
	} {
		resp, err := http.Post(base+"/api/v1/whatif", "application/json", strings.NewReader(w.body))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/v1/whatif %s: %s: %s", w.body, resp.Status, body)
		}
		goldenCompare(t, w.file, normaliseJSON(body))
	}

	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}

// goldenFleet is the simulated RIE the golden test polls.
type goldenFleet struct {
	// isolated and nominal are sites whose /api/v1/sites page is pinned;
	// whatifDevice and whatifSRLG are failures asked of /api/v1/whatif.
	isolated, nominal, whatifDevice, whatifSRLG string
	// slow is the router that times out.
	slow  string
	inv   *inventory.Inventory
	agent *snmpagent.Agent
	bgp   *bgpsim.Fleet
}

// newGoldenFleet generates a RIE of 24 sites, serves its SNMP agents (on
// the frozen clock) and BGP speakers in-process until the test ends, and
// breaks a few things in it.
func newGoldenFleet(t *testing.T) *goldenFleet {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Sites: 24, Seed: 20})
	fastPolling(inv)
	inv.Sites[len(inv.Sites)-1].Access[0].RouterInterface = trickyInterface
	speakers, err := bgpsim.New(inv, bgpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv.BGP = speakers.Config(sim.RIEAS, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- speakers.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulated BGP speakers: %v", err)
		}
	})
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 20, Clock: func() time.Time { return goldenClock },
		BGPSessions: func(device string) []snmpagent.BGPSession {
			ss := speakers.Sessions(device)
			out := make([]snmpagent.BGPSession, len(ss))
			for i, s := range ss {
				// Established an hour before the frozen clock, whenever vigie connected.
				out[i] = snmpagent.BGPSession{Local: s.Local, Remote: s.Remote, RemoteAS: s.RemoteAS, RemoteID: s.RemoteID,
					Since: goldenClock.Add(-time.Hour)}
			}
			return out
		}})
	agent.SetRouting(speakers)
	g := &goldenFleet{inv: inv, agent: agent, bgp: speakers}
	g.breakSome(t)
	return g
}

// trickyInterface is the name the simulated CE of the last site gives
// one of its access interfaces: every character the text format escapes
// (backslash, double quote, newline), UTF-8, and a byte that is not UTF-8
// (0xff), as a device sending Latin-1 would. The inventory file cannot
// hold that byte (it is written as U+FFFD there); vigie reads the device's
// ifName as Latin-1, so that "é" and 0xff come out as "Ã©" and "ÿ".
const trickyInterface = "Gi0/0 \"WAN\" \\ préfecture\nligne 2 \xff"

// breakSome breaks what every rendered family needs to show something:
// an aggregation router off and one site's only access cut (isolated
// sites and their causes, routes withdrawn), another aggregation router
// that times out (poll errors by reason), an access down on a dual-homed
// site (degraded), a CE whose tables loop (a contained table problem), a
// datacentre router's link cut (a bridge), a site prefix withdrawn while
// its CE answers (a routing disagreement), and CEs with a partial IF-MIB
// (interfaces without some series). Every choice follows the generated
// inventory's order, so that each run breaks the same things.
func (g *goldenFleet) breakSome(t *testing.T) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cut := func(item string) {
		t.Helper()
		rep, err := g.agent.Cut(item)
		must(err)
		if !rep.Changed {
			t.Fatalf("cutting %s changed nothing in the simulator", item)
		}
	}
	var single, dual []*inventory.Site
	for i := range g.inv.Sites {
		s := &g.inv.Sites[i]
		if len(s.Access) == 1 {
			single = append(single, s)
		} else {
			dual = append(dual, s)
		}
	}
	if len(single) < 3 || len(dual) < 5 {
		t.Fatalf("%d single-homed and %d multi-homed sites, want 3 and 5", len(single), len(dual))
	}
	offAgg := single[0].Access[0].Device
	cut("device:" + offAgg)
	cut("link:" + single[1].Access[0].Router + "--" + single[1].Access[0].Device)
	var slow string
	for _, d := range g.inv.Devices {
		if d.Role == inventory.RoleCollection && d.PoP != "" && d.Name != offAgg {
			slow = d.Name
			break
		}
	}
	must(g.agent.SetFaults(slow, snmpagent.Faults{Timeout: true}))
	g.slow, g.isolated, g.nominal = slow, single[1].ID, dual[len(dual)-1].ID
	g.whatifDevice = dual[3].Access[0].Device
	for _, s := range g.inv.Sites {
		for _, a := range s.Access {
			if len(a.SRLGs) > 0 && g.whatifSRLG == "" {
				g.whatifSRLG = a.SRLGs[0]
			}
		}
	}
	degraded := dual[0].Access[0]
	must(g.agent.SetLink(degraded.Device, degraded.Interface, false))
	// A datacentre router keeps one link to the backbone: a bridge.
	dcLink := slices.IndexFunc(g.inv.Links, func(l inventory.Link) bool {
		return strings.HasPrefix(l.A.Device, "bb-") != strings.HasPrefix(l.B.Device, "bb-") &&
			(strings.HasPrefix(l.A.Device, "dc-") || strings.HasPrefix(l.B.Device, "dc-"))
	})
	if dcLink < 0 {
		t.Fatal("no link between the backbone and a datacentre router in the simulated RIE")
	}
	cut("link:" + g.inv.Links[dcLink].A.Device + "--" + g.inv.Links[dcLink].B.Device)
	must(g.bgp.WithdrawSite(dual[1].ID, true))
	must(g.agent.SetFaults(dual[2].Access[0].Router, snmpagent.Faults{Missing: "ifHCInOctets,ifInErrors"}))
	must(g.agent.SetFaults(single[2].Access[0].Router, snmpagent.Faults{Missing: "ifHighSpeed"}))
	must(g.agent.SetFaults(dual[4].Access[0].Router, snmpagent.Faults{OIDLoop: true}))
}

// config writes the inventory in dir and returns its path.
func (g *goldenFleet) config(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := inventory.Write(&buf, g.inv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// converged reports whether m (raw /metrics) shows every device polled,
// every BGP session up and the slow router's timeouts.
func (g *goldenFleet) converged(m []byte) bool {
	up := map[string]bool{}
	for _, l := range strings.Split(string(m), "\n") {
		if rest, ok := strings.CutPrefix(l, `vigie_bgp_session_up{device="`); ok && strings.HasSuffix(l, " 1") {
			dev, _, _ := strings.Cut(rest, `"`)
			up[dev] = true
		}
	}
	for _, p := range g.inv.BGP.Peers {
		if !up[p.Device] {
			return false
		}
	}
	for _, d := range g.inv.Devices {
		if !bytes.Contains(m, []byte(`vigie_device_up{device="`+d.Name+`"`)) {
			return false
		}
	}
	// The unreachable routers have moved from down to backoff.
	return bytes.Contains(m, []byte(`vigie_device_poll_errors_total{device="`+g.slow+`"`)) &&
		bytes.Contains(m, []byte("\nvigie_collector_devices{state=\"down\"} 0\n"))
}

// goldenGet fetches url, asking for gzip when gz is set, and returns the
// decompressed body; asked for gzip, the server must use it.
func goldenGet(url string, gz bool) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	// A transport of its own: the default one would add Accept-Encoding
	// and decompress silently.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch enc := resp.Header.Get("Content-Encoding"); {
	case gz && enc != "gzip":
		return nil, fmt.Errorf("GET %s with Accept-Encoding: gzip: Content-Encoding %q, want gzip", url, enc)
	case enc == "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, nil
}

// droppedFamilies are whole families of /metrics the golden file leaves
// out, by name prefix: the client library's own (go_*, process_*,
// promhttp_*), whose values follow the machine and the Go runtime, and
// vigie_build_info, whose labels follow the build (version, Go version).
// None of them is rendered by collector or topology.
var droppedFamilies = []string{"go_", "process_", "promhttp_", "vigie_build_info"}

// maskedFamilies are the vigie_ families whose values (only the values:
// their lines, names, labels and order stay pinned) follow the clock or
// how many polls happened before the scrape. Histograms lose the values of
// their _bucket, _sum and _count lines.
var maskedFamilies = []string{
	// Wall time of polls and analyses, and their spread.
	"vigie_collector_cycle_duration_seconds",
	"vigie_collector_poll_duration_seconds",
	"vigie_collector_poll_lag_seconds",
	"vigie_device_poll_duration_seconds",
	"vigie_resilience_analysis_duration_seconds",
	// Timestamps and ages on vigie's clock.
	"vigie_device_last_poll_success_timestamp_seconds",
	"vigie_config_last_reload_success_timestamp_seconds",
	"vigie_bgp_session_uptime_seconds",
	"vigie_site_state_since_seconds",
	// Counts of polls, requests and per-poll failures so far, and polls
	// running at the moment of the scrape.
	"vigie_collector_polls_in_flight",
	"vigie_collector_polls_total",
	"vigie_collector_polls_skipped_total",
	"vigie_collector_poll_errors_total",
	"vigie_collector_requests_total",
	"vigie_collector_varbinds_total",
	"vigie_device_poll_errors_total",
	// Changes seen so far, which depend on the order in which the polls
	// came back (a site may go through degraded on its way to isolated).
	"vigie_topology_changes_total",
}

// maskedValue replaces a masked value in the golden files.
const maskedValue = "<masked>"

// normaliseMetrics drops droppedFamilies from a /metrics body and masks
// the values of maskedFamilies; every other byte is kept.
func normaliseMetrics(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		name := line
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			name = rest
		} else if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name = rest
		}
		if i := strings.IndexAny(name, "{ \n"); i >= 0 {
			name = name[:i]
		}
		if slices.ContainsFunc(droppedFamilies, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		if !strings.HasPrefix(line, "#") && slices.ContainsFunc(maskedFamilies, func(f string) bool {
			return name == f || name == f+"_bucket" || name == f+"_sum" || name == f+"_count"
		}) {
			if i := strings.LastIndexByte(line, ' '); i >= 0 {
				line = line[:i+1] + maskedValue + "\n"
			}
		}
		out.WriteString(line)
	}
	return out.Bytes()
}

// jsonClockFields matches the API's fields whose values follow vigie's
// clock: times of analyses, polls and state changes ("time", "last_poll",
// "since", "analysis_time") and how long an analysis took. A string value
// cannot match by accident: its inner quotes are escaped.
var jsonClockFields = regexp.MustCompile(`"(time|last_poll|since|analysis_time)":"[^"]*"|"(duration_ns|duration_seconds)":[0-9.e+-]+`)

// normaliseJSON masks the values of jsonClockFields in an API answer.
func normaliseJSON(b []byte) []byte {
	return jsonClockFields.ReplaceAllFunc(b, func(m []byte) []byte {
		name, _, _ := bytes.Cut(m, []byte(":"))
		return []byte(string(name) + `:"` + maskedValue + `"`)
	})
}

// goldenCompare compares got with testdata/golden/name, or rewrites the
// file with -update.
func goldenCompare(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./cmd/vigie -run Golden -update to write it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: vigie serves other bytes than the golden file (if the change is intended, rerun with -update and review the diff):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff shows the first differing lines of want and got, with two
// lines of context and at most ten differing lines each, as a unified diff
// would, rather than the whole file. Lines longer than 200 bytes (the API's
// JSON is one line) are cut to a window around the first differing byte.
func firstDiff(want, got []byte) string {
	split := func(b []byte) []string {
		ls := strings.SplitAfter(string(b), "\n")
		if ls[len(ls)-1] == "" {
			ls = ls[:len(ls)-1]
		}
		return ls
	}
	wl, gl := split(want), split(got)
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	// The first differing byte of the first differing lines.
	off := 0
	if i < len(wl) && i < len(gl) {
		for off < len(wl[i]) && off < len(gl[i]) && wl[i][off] == gl[i][off] {
			off++
		}
	}
	clip := func(l string) string {
		l = strings.TrimSuffix(l, "\n")
		if len(l) <= 200 {
			return l
		}
		from, to := max(0, off-80), min(len(l), off+120)
		out := l[from:to]
		if from > 0 {
			out = fmt.Sprintf("[bytes %d-%d] ...", from, to) + out
		}
		if to < len(l) {
			out += "..."
		}
		return out
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@@ line %d @@\n", i+1)
	for k := max(0, i-2); k < i; k++ {
		fmt.Fprintf(&b, " %s\n", clip(wl[k]))
	}
	// Resynchronise on the next line common to both, within a window.
	j, k := min(len(wl), i+10), min(len(gl), i+10)
	for d := 1; d < 200; d++ {
		a := 0
		for ; a <= d; a++ {
			if i+a < len(wl) && i+d-a < len(gl) && wl[i+a] == gl[i+d-a] {
				break
			}
		}
		if a <= d {
			j, k = i+a, i+d-a
			break
		}
	}
	show := func(sign string, lines []string) {
		for n, l := range lines {
			if n == 10 {
				fmt.Fprintf(&b, "%s... (%d more lines)\n", sign, len(lines)-10)
				break
			}
			fmt.Fprintf(&b, "%s%s\n", sign, clip(l))
		}
	}
	show("-", wl[i:j])
	show("+", gl[i:k])
	if j < len(wl) {
		fmt.Fprintf(&b, " %s\n", clip(wl[j]))
	}
	return b.String()
}

// TestGoldenNormalise: the normalisation drops whole families only by
// droppedFamilies, masks values and nothing else (names, labels, lines
// and their order stay), and leaves a string that merely contains a
// clock field's name alone; firstDiff shows the first differing lines.
func TestGoldenNormalise(t *testing.T) {
	metrics := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n" +
		"# HELP vigie_build_info Build.\n# TYPE vigie_build_info gauge\nvigie_build_info{version=\"x\"} 1\n" +
		"# HELP vigie_device_poll_duration_seconds Wall time.\n# TYPE vigie_device_poll_duration_seconds gauge\n" +
		"vigie_device_poll_duration_seconds{device=\"a b\",interface=\"x\\\" 1\"} 0.0123\n" +
		"# TYPE vigie_resilience_analysis_duration_seconds histogram\n" +
		"vigie_resilience_analysis_duration_seconds_bucket{le=\"+Inf\"} 3\nvigie_resilience_analysis_duration_seconds_sum 0.5\n" +
		"# TYPE vigie_device_up gauge\nvigie_device_up{device=\"vigie_device_poll_duration_seconds\"} 1\n" +
		"vigie_interface_receive_bytes_total{device=\"a\",interface=\"Gi0/0\"} 1.2345e+09\n"
	want := "# HELP vigie_device_poll_duration_seconds Wall time.\n# TYPE vigie_device_poll_duration_seconds gauge\n" +
		"vigie_device_poll_duration_seconds{device=\"a b\",interface=\"x\\\" 1\"} <masked>\n" +
		"# TYPE vigie_resilience_analysis_duration_seconds histogram\n" +
		"vigie_resilience_analysis_duration_seconds_bucket{le=\"+Inf\"} <masked>\nvigie_resilience_analysis_duration_seconds_sum <masked>\n" +
		"# TYPE vigie_device_up gauge\nvigie_device_up{device=\"vigie_device_poll_duration_seconds\"} 1\n" +
		"vigie_interface_receive_bytes_total{device=\"a\",interface=\"Gi0/0\"} 1.2345e+09\n"
	if got := string(normaliseMetrics([]byte(metrics))); got != want {
		t.Errorf("normaliseMetrics:\n%s", firstDiff([]byte(want), []byte(got)))
	}

	for _, tc := range []struct{ in, want string }{
		{`{"time":"2026-12-03T17:11:30.5Z","nodes":[{"since":"2026-12-03T17:10:51Z","uptime_seconds":4952672.07}]}`,
			`{"time":"<masked>","nodes":[{"since":"<masked>","uptime_seconds":4952672.07}]}`},
		{`{"analysis_time":"x","duration_seconds":0.0042,"duration_ns":1200}`,
			`{"analysis_time":"<masked>","duration_seconds":"<masked>","duration_ns":"<masked>"}`},
		{`{"detail":"a \"time\":\"kept\" b","last_poll":"t"}`, `{"detail":"a \"time\":\"kept\" b","last_poll":"<masked>"}`},
	} {
		if got := string(normaliseJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("normaliseJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}

	var a, b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&a, "line %d\n", i)
		if i == 50 {
			b.WriteString("changed\n")
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	wantDiff := "@@ line 51 @@\n line 48\n line 49\n-line 50\n+changed\n line 51\n"
	if got := firstDiff([]byte(a.String()), []byte(b.String())); got != wantDiff {
		t.Errorf("firstDiff = %q, want %q", got, wantDiff)
	}
}

// TestGoldenDiffLongLine: a difference in a long line (the API's JSON) is
// shown around the first differing byte, not as the whole line.
func TestGoldenDiffLongLine(t *testing.T) {
	want := `{"a":"` + strings.Repeat("x", 300) + `","designed":2,"b":"` + strings.Repeat("y", 300) + "\"}\n"
	got := strings.Replace(want, `"designed":2`, `"designed":3`, 1)
	d := firstDiff([]byte(want), []byte(got))
	if len(d) > 600 || !strings.Contains(d, `-[bytes 239-439] ...`) || !strings.Contains(d, `"designed":2`) || !strings.Contains(d, `"designed":3`) {
		t.Errorf("firstDiff of a long line:\n%s", d)
	}
}
