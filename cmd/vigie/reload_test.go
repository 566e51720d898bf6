package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
)

// httpGet returns the body of a 200 answer, or false.
func httpGet(url string) (string, bool) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err == nil && resp.StatusCode == 200
}

// eventKeys returns the events base serves, as kind|subject|time.
func eventKeys(base string) (map[string]bool, bool) {
	body, ok := httpGet(base + "/api/v1/events?limit=1000")
	var evs struct{ Events []topology.Event }
	if !ok || json.Unmarshal([]byte(body), &evs) != nil {
		return nil, false
	}
	keys := make(map[string]bool, len(evs.Events))
	for _, e := range evs.Events {
		keys[string(e.Kind)+"|"+e.Subject+"|"+e.Time.Format(time.RFC3339Nano)] = true
	}
	return keys, true
}

// missingKeys lists the keys of want that got lacks.
func missingKeys(want, got map[string]bool) []string {
	var out []string
	for k := range want {
		if !got[k] {
			out = append(out, k)
		}
	}
	return out
}

// TestReloadRefusedKeepsRunning sends SIGHUP to `vigie run` with valid
// inventories whose new configuration cannot start: a corrupt store, a
// store locked by another process, a listen port already taken, a BGP
// listen port already taken. Each
// reload is refused with its reason in the log; the running configuration
// goes on polling and serving /metrics, with
// vigie_config_last_reload_successful 0. Then good reloads take effect
// (1, a newer success timestamp): one with the same store and address
// (shared with the running daemon, not opened twice), one moving to
// another address; the events served before are still served after. On
// SIGTERM vigie exits 0 and the store is released.
func TestReloadRefusedKeepsRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reloads a running daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv, agent, config, env := simFleet(t, dir, 3)
	linkDown(t, inv, agent)
	fastPolling(inv)
	db := filepath.Join(dir, "vigie.db")
	addr := fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))
	writeInventory(t, config, inv, db, addr)

	var logs logbuf.Buffer
	vigie := startVigie(t, bin, dir, env, &logs, &logs, logs.String, "run", "--config", config)
	metrics := func(addr string) (string, bool) { return httpGet("http://" + addr + "/metrics") }
	metric := func(addr, name string) float64 {
		text, _ := metrics(addr)
		return sumMetric(text, name+" ") + sumMetric(text, name+"{")
	}
	var before map[string]bool
	vigie.waitFor(60*time.Second, "polls, events and vigie_config_last_reload_successful 1", func() bool {
		var ok bool
		before, ok = eventKeys("http://" + addr)
		return ok && len(before) > 0 && metric(addr, "vigie_config_last_reload_successful") == 1 &&
			metric(addr, "vigie_collector_polls_total") > 0
	})
	started := metric(addr, "vigie_config_last_reload_success_timestamp_seconds")
	if started == 0 {
		t.Fatal("no vigie_config_last_reload_success_timestamp_seconds at start")
	}

	// What the refused reloads point at.
	corrupt := filepath.Join(dir, "corrupt.db")
	corruptStore(t, corrupt)
	locked := filepath.Join(dir, "locked.db")
	holder, err := store.Open(locked, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	hup := func() {
		t.Helper()
		if err := vigie.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	refusals := 0
	for _, tc := range []struct {
		name, db, listen string
		bgpPort          int // a BGP section listening there, when set
		wants            []string
	}{
		{"corrupt store", corrupt, addr, 0, []string{corrupt, "database corrupt"}},
		// Refused again the same way: the first refusal left nothing open.
		{"corrupt store again", corrupt, addr, 0, []string{corrupt, "database corrupt"}},
		{"store locked by another process", locked, addr, 0, []string{locked, "database locked"}},
		{"listen port taken", db, taken.Addr().String(), 0, []string{"cannot listen on " + taken.Addr().String(), "address already in use"}},
		{"BGP listen port taken", db, addr, taken.Addr().(*net.TCPAddr).Port, []string{fmt.Sprintf("bgp: cannot listen on 0.0.0.0:%d", taken.Addr().(*net.TCPAddr).Port)}},
	} {
		func() {
			polls := metric(addr, "vigie_collector_polls_total")
			next := inv
			if tc.bgpPort != 0 {
				next = withBGPListen(t, inv, tc.bgpPort)
			}
			writeInventory(t, config, next, tc.db, tc.listen)
			hup()
			refusals++
			vigie.waitFor(30*time.Second, tc.name+": the reload refused", func() bool {
				return strings.Count(logs.String(), "reload refused: the new configuration cannot start") == refusals
			})
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "reload refused") {
					line = l
				}
			}
			t.Logf("%s: %s", tc.name, line)
			for _, w := range append(tc.wants, "keeping the running configuration") {
				if !strings.Contains(line, w) {
					t.Errorf("%s: the refusal does not say %q:\n%s", tc.name, w, line)
				}
			}
			if v := metric(addr, "vigie_config_last_reload_successful"); v != 0 {
				t.Errorf("%s: vigie_config_last_reload_successful = %v after the refused reload, want 0", tc.name, v)
			}
			// The running configuration still polls and serves.
			vigie.waitFor(30*time.Second, tc.name+": polls after the refused reload", func() bool {
				return metric(addr, "vigie_collector_polls_total") > polls
			})
			got, ok := eventKeys("http://" + addr)
			if !ok {
				t.Fatalf("%s: /api/v1/events not served after the refused reload", tc.name)
			}
			if m := missingKeys(before, got); len(m) > 0 {
				t.Errorf("%s: %d events served before the refused reload are gone, e.g. %s", tc.name, len(m), m[0])
			}
		}()
	}
	if strings.Count(logs.String(), "vigie started") != 1 {
		t.Fatalf("the daemon restarted during refused reloads:\n%s", logs.String())
	}

	// Good reloads: the same store and address (shared, handed over), then
	// another address.
	addr2 := fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))
	for i, listen := range []string{addr, addr2} {
		writeInventory(t, config, inv, db, listen)
		// While the first reload swaps the daemons on the same address, a
		// scraper keeps asking (new connection each time, as after a
		// Prometheus restart): the socket is handed over, never closed, so
		// no scrape is refused.
		var scrapes, failed int
		var firstErr error
		stopScraping, scraped := make(chan struct{}), make(chan struct{})
		if i == 0 {
			go func() {
				defer close(scraped)
				c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
				for n := 0; n < 10_000; n++ { // bounded; stopped once the reload is seen
					select {
					case <-stopScraping:
						return
					default:
					}
					scrapes++
					// Every request is answered, also one the old
					// daemon accepted as it stopped (it used to end in
					// EOF, about 1 in 300: see web's openConns).
					resp, err := c.Get("http://" + addr + "/-/healthy")
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("status %s", resp.Status)
						}
					}
					if err != nil {
						if failed++; firstErr == nil {
							firstErr = err
						}
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		} else {
			close(scraped)
		}
		sent := time.Now()
		hup()
		vigie.waitFor(30*time.Second, "the reload taken", func() bool {
			return strings.Count(logs.String(), "vigie started") == 2+i &&
				metric(listen, "vigie_config_last_reload_successful") == 1
		})
		close(stopScraping)
		<-scraped
		if i == 0 {
			t.Logf("reload on the same store and address: seen taken %v after SIGHUP; %d requests during it, %d failed",
				time.Since(sent).Round(time.Millisecond), scrapes, failed)
			if failed > 0 {
				t.Errorf("%d of %d requests failed while the daemons swapped, first: %v", failed, scrapes, firstErr)
			}
		}
		if ts := metric(listen, "vigie_config_last_reload_success_timestamp_seconds"); ts <= started {
			t.Errorf("success timestamp %v after a good reload, want after the start's %v", ts, started)
		}
		got, ok := eventKeys("http://" + listen)
		if !ok {
			t.Fatal("/api/v1/events not served after the reload")
		}
		if m := missingKeys(before, got); len(m) > 0 {
			t.Errorf("%d events served before the reload are gone, e.g. %s", len(m), m[0])
		}
	}
	if _, ok := metrics(addr); ok {
		t.Errorf("%s still served after the reload moved to %s", addr, addr2)
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Fatalf("vigie run exited with %v after SIGTERM\n%s", err, logs.String())
	}
	// The shared store was closed once, at the end: free, and whole.
	st, err := store.Open(db, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopening the store after the reloads: %v", err)
	}
	st.Close()
}

// TestReloadInMemoryKeepsState: a daemon without agent.db (--db -) is
// reloaded with SIGHUP; the event history and the device states it had
// are served at once by the new configuration. The new inventory polls
// every 10 minutes, so that what the API shows right after the reload
// comes from the hand-over, not from new polls.
func TestReloadInMemoryKeepsState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reloads a running daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv, agent, config, env := simFleet(t, dir, 3)
	linkDown(t, inv, agent)
	fastPolling(inv)
	addr := fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))
	base := "http://" + addr
	writeInventory(t, config, inv, "", addr)
	var logs logbuf.Buffer
	vigie := startVigie(t, bin, dir, env, &logs, &logs, logs.String, "run", "--config", config, "--db", "-")
	topo := func() (map[string]exposition.NodeView, bool) {
		body, ok := httpGet(base + "/api/v1/topology")
		var v exposition.TopologyView
		if !ok || json.Unmarshal([]byte(body), &v) != nil {
			return nil, false
		}
		nodes := map[string]exposition.NodeView{}
		for _, n := range v.Nodes {
			if n.Declared {
				nodes[n.Name] = n
			}
		}
		return nodes, true
	}
	var before map[string]bool
	var nodes map[string]exposition.NodeView
	vigie.waitFor(60*time.Second, "every device polled, events", func() bool {
		var ok bool
		if nodes, ok = topo(); !ok {
			return false
		}
		for _, n := range nodes {
			if n.LastPoll.IsZero() {
				return false
			}
		}
		before, ok = eventKeys(base)
		return ok && len(before) > 0
	})

	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = 10 * time.Minute
	}
	writeInventory(t, config, inv, "", addr)
	if err := vigie.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(30*time.Second, "the reload taken", func() bool {
		return strings.Count(logs.String(), "vigie started") == 2
	})
	var after map[string]exposition.NodeView
	vigie.waitFor(10*time.Second, "the new configuration serving", func() bool {
		var ok bool
		after, ok = topo()
		return ok
	})
	for name, n := range nodes {
		a := after[name]
		if a.LastPoll.Before(n.LastPoll) || a.State != n.State {
			t.Errorf("device %s after the reload: state %q, last poll %v; before: %q, %v", name, a.State, a.LastPoll, n.State, n.LastPoll)
		}
	}
	got, ok := eventKeys(base)
	if !ok {
		t.Fatal("/api/v1/events not served after the reload")
	}
	if m := missingKeys(before, got); len(m) > 0 {
		t.Errorf("%d of %d events served before the reload are gone, e.g. %s", len(m), len(before), m[0])
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Fatalf("vigie run exited with %v after SIGTERM\n%s", err, logs.String())
	}
}
