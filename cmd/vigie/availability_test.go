package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim/snmpagent"
	"github.com/vigie-rie/vigie/topology/availability"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestAvailabilityThroughRun runs `vigie run` with a store on a simulated
// fleet, powers a site's CE router off (the simulator's cut) until vigie
// calls the site isolated, powers it back on until vigie calls it nominal,
// and checks the incident in /api/v1/reports/availability on the running
// vigie: one incident, the isolated seconds within what the test's clock
// allows, the CE as the top cause. While vigie runs, `vigie report
// availability --db` says in one line that the file is held and names the
// API. Stopped, restarted and stopped again, the same report from the file
// gives the same incident and minutes as the API did, and the store holds
// the gap between the two runs as an unobserved interval.
func TestAvailabilityThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon across an outage")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(6, 21)
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 21})
	site, ce := "", ""
	for _, s := range inv.Sites {
		if len(s.Access) > 0 && s.Access[0].Router != "" {
			site, ce = s.ID, s.Access[0].Router
			break
		}
	}
	if site == "" {
		t.Fatal("no site with a CE router in the simulated fleet")
	}
	config, db := writeConfig(t, dir, inv), filepath.Join(dir, "vigie.db")
	env := simEnv()
	client := &http.Client{Timeout: 10 * time.Second}
	from := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	to := from.Add(3 * time.Hour)
	window := fmt.Sprintf("from=%s&to=%s", from.Format(time.RFC3339), to.Format(time.RFC3339))

	start := func() (*vigieProc, string, *logbuf.Buffer) {
		port := freeport.TCP(t)
		var stderr logbuf.Buffer
		p := startVigie(t, bin, "", env, &stderr, &stderr, stderr.String,
			"run", "--config", config, "--db", db, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
		return p, fmt.Sprintf("http://127.0.0.1:%d", port), &stderr
	}
	state := func(base string) string {
		resp, err := client.Get(base + "/api/v1/sites/" + site)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var v exposition.SiteView
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil {
			return ""
		}
		return v.State
	}
	// Nominal here means polled: before the CE's first poll the analysis
	// already says nominal, so wait for its last_poll too.
	polled := func(base string, since time.Time) bool {
		resp, err := client.Get(base + "/api/v1/topology")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v exposition.TopologyView
		if json.NewDecoder(resp.Body).Decode(&v) != nil {
			return false
		}
		for _, n := range v.Nodes {
			if n.Name == ce {
				return n.LastPoll.After(since) && n.State == "reachable"
			}
		}
		return false
	}
	within := 12 * inventory5s

	began := time.Now()
	vigie, base, _ := start()
	vigie.waitFor(within, site+" polled and nominal", func() bool { return polled(base, began) && state(base) == "nominal" })
	cut := time.Now()
	if _, err := agent.Cut("device:" + ce); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(within, site+" isolated", func() bool { return state(base) == "isolated" })
	seenIsolated := time.Now()
	time.Sleep(2 * time.Second) // some isolated time that both clocks agree on
	restore := time.Now()
	if _, err := agent.Restore("device:" + ce); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(within, site+" nominal again", func() bool { return state(base) == "nominal" })
	seenBack := time.Now()
	lo, hi := restore.Sub(seenIsolated)-time.Second, seenBack.Sub(cut)+time.Second

	// The running vigie's API; give its writer a flush (1 s) first.
	time.Sleep(1500 * time.Millisecond)
	apiRep := func() availability.Report {
		resp, err := client.Get(base + "/api/v1/reports/availability?" + window + "&by=site&format=json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var r availability.Report
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("GET /api/v1/reports/availability: %d %s", resp.StatusCode, body)
		}
		return r
	}()
	api := rowOf(t, apiRep, site)
	checkIncident(t, "API", api, ce, lo, hi)

	// Bad arguments: 400 and one line naming the parameter, from the API
	// and from the command line.
	if resp, err := client.Get(base + "/api/v1/reports/availability?from=2026-13-01&to=2026-12-01"); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `from \"2026-13-01\" is not a date`) {
			t.Errorf("bad from: %d %s, want 400 naming from", resp.StatusCode, body)
		}
	}
	out, err := exec.Command(bin, "report", "availability", "--db", db, "--from", "2026-12-01", "--to", "2026-11-01").CombinedOutput()
	if code := exitCode(err); code != 2 || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 || !strings.Contains(string(out), "must be after from") {
		t.Errorf("to before from: exit %d, want 2 and one line:\n%s", code, out)
	}

	// The file is held while vigie runs: one line that names the API.
	out, err = exec.Command(bin, "report", "availability", "--db", db, "--from", from.Format(time.RFC3339),
		"--to", to.Format(time.RFC3339)).CombinedOutput()
	if err == nil || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 ||
		!strings.Contains(string(out), "held by a running vigie") || !strings.Contains(string(out), "/api/v1/reports/availability") {
		t.Errorf("report on a held file: err %v, want one line naming the API:\n%s", err, out)
	}
	if _, err := vigie.stop(20 * time.Second); err != nil {
		t.Fatalf("vigie run exited with %v after SIGTERM", err)
	}
	stopped := time.Now()
	time.Sleep(2 * time.Second) // a gap vigie cannot see
	began = time.Now()
	vigie, base, _ = start()
	vigie.waitFor(within, site+" polled after the restart", func() bool { return polled(base, began) && state(base) == "nominal" })
	time.Sleep(1500 * time.Millisecond) // a flush
	if _, err := vigie.stop(20 * time.Second); err != nil {
		t.Fatalf("vigie run exited with %v after SIGTERM", err)
	}

	// The stopped vigie's file: the same incident, and the text, csv and
	// html forms name the site.
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "report", "availability", "--db", db, "--config", config, "--from", from.Format(time.RFC3339),
		"--to", to.Format(time.RFC3339), "--format", "json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vigie report availability: %v\n%s", err, stderr.String())
	}
	var fileRep availability.Report
	if err := json.Unmarshal(stdout.Bytes(), &fileRep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	file := rowOf(t, fileRep, site)
	checkIncident(t, "file", file, ce, lo, hi)
	if file.IsolatedMinutes != api.IsolatedMinutes || file.Incidents != api.Incidents {
		t.Errorf("file says %v isolated minutes in %d incidents, the API said %v in %d", file.IsolatedMinutes, file.Incidents,
			api.IsolatedMinutes, api.Incidents)
	}
	if file.UnobservedMinutes*60 < stopped.Sub(from).Seconds()-stopped.Sub(cut).Seconds() {
		t.Errorf("%v unobserved minutes: the hour before vigie ran is unobserved", file.UnobservedMinutes)
	}
	for _, format := range []string{"text", "csv", "html"} {
		out, err := exec.Command(bin, "report", "availability", "--db", db, "--from", from.Format(time.RFC3339),
			"--to", to.Format(time.RFC3339), "--format", format).CombinedOutput()
		if err != nil || !strings.Contains(string(out), site) || !strings.Contains(string(out), ce) {
			t.Errorf("--format %s: %v, want %s and its cause in:\n%s", format, err, site, out)
		}
	}

	// The gap between the runs is an unobserved interval from the first
	// run's last beat (its stop) to the restart.
	st, err := store.OpenReadOnly(db, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var states []string
	var gap *store.Interval
	if err := st.Intervals(from, to, func(iv store.Interval) error {
		if iv.Site == site {
			states = append(states, iv.State)
			if iv.State == store.AvailUnobserved && iv.Start.After(restore) && gap == nil {
				gap = &iv
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %v", site, states)
	if len(states) == 0 || states[len(states)-1] != store.AvailNominal {
		t.Errorf("%s's intervals %v: want nominal last, after the restart's first poll", site, states)
	}
	if gap == nil || gap.End.IsZero() || gap.Start.After(stopped) || gap.End.Sub(gap.Start) < 2*time.Second {
		t.Errorf("no unobserved interval of at least 2 s from the first stop (%v) in %s's intervals %v (gap %+v)", stopped, site, states, gap)
	}
}

// inventory5s is the simulated fleet's poll interval (inventory.MinInterval).
const inventory5s = 5 * time.Second

func rowOf(t *testing.T, r availability.Report, site string) availability.Row {
	t.Helper()
	for _, g := range r.Groups {
		if g.Group == site {
			return g
		}
	}
	t.Fatalf("no row for %s in the report", site)
	return availability.Row{}
}

func checkIncident(t *testing.T, from string, r availability.Row, ce string, lo, hi time.Duration) {
	t.Helper()
	iso := time.Duration(r.IsolatedMinutes * 60 * float64(time.Second))
	if r.Incidents != 1 || iso < lo || iso > hi {
		t.Errorf("%s: %d incidents, %v isolated; want 1 incident of %v to %v", from, r.Incidents, iso, lo, hi)
	}
	// Powered off, the CE's links go down at both ends before its polls
	// time out: the cause names the CE's links or the CE itself.
	if len(r.TopCauses) == 0 || !strings.Contains(r.TopCauses[0].Cause, ce) {
		t.Errorf("%s: top causes %+v, want the CE %s", from, r.TopCauses, ce)
	}
	if r.Availability == nil || *r.Availability >= 100 || *r.Availability <= 0 {
		t.Errorf("%s: availability %v, want between 0 and 100", from, r.Availability)
	}
}
