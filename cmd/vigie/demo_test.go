package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/topology"
)

// TestDemoStartsClean starts `vigie demo` as a newcomer does and reads its
// log until every device has been polled and every simulated BGP speaker's
// BGP4-MIB, polled after vigie's session with it came up, shows that
// session. Nothing may be logged as wrong but what the demo says it broke:
// a fresh demo used to warn, within seconds, that each router's BGP4-MIB
// had no row for vigie (the simulated routers did not list vigie's
// session, and a poll read before the session came up was compared with
// vigie's view after it). It then stops the demo with SIGTERM, which must
// not log the speakers' shutdown as a fault either.
func TestDemoStartsClean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the demo")
	}
	bin := buildVigie(t)
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var stdout, stderr logbuf.Buffer
	logs := func() string { return stdout.String() + stderr.String() }
	demo := startVigie(t, bin, "", nil, &stdout, &stderr, logs,
		"demo", "--sites", "60", "--interval", "5s", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))

	speakersLine := regexp.MustCompile(`bgp +(\d+) simulated speakers`)
	speakers := 0
	demo.waitFor(30*time.Second, "the demo's banner", func() bool {
		if m := speakersLine.FindStringSubmatch(stdout.String()); m != nil {
			speakers, _ = strconv.Atoi(m[1])
			return true
		}
		return false
	})
	if speakers == 0 {
		t.Fatalf("the demo has no BGP speakers:\n%s", stdout.String())
	}
	// What the demo broke on purpose (one aggregation router stops
	// answering): its poll failures are the only warnings allowed.
	var broken []string
	for _, m := range regexp.MustCompile(`aggregation router (\S+) stops answering`).FindAllStringSubmatch(stdout.String(), -1) {
		broken = append(broken, "device="+m[1]+" ")
	}

	client := &http.Client{Timeout: 10 * time.Second}
	metrics := func() string {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// vigie's own session, as each speaker's BGP4-MIB shows it: vigie
	// connects from 127.0.0.1. Seen established on every speaker, it proves
	// a poll after the sessions came up, hence a reconciliation of each.
	vigieRow := regexp.MustCompile(`(?m)^vigie_device_bgp_peer_state\{device="[^"]+",peer="127\.0\.0\.1",[^}]*\} 6$`)
	demo.waitFor(90*time.Second, "every device polled, every speaker's BGP4-MIB showing vigie's session", func() bool {
		m := metrics()
		return strings.Contains(m, `vigie_collector_devices{state="pending"} 0`) &&
			len(vigieRow.FindAllString(m, -1)) == speakers
	})

	resp, err := client.Get(base + "/api/v1/events?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	var events struct{ Events []topology.Event }
	err = json.NewDecoder(resp.Body).Decode(&events)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Events {
		if strings.Contains(string(e.Kind), "discrepancy") {
			t.Errorf("event %s %s: %s", e.Kind, e.Subject, e.Detail)
		}
	}

	if _, err := demo.stop(30 * time.Second); err != nil {
		t.Errorf("vigie demo exited with %v after SIGTERM\n%s", err, logs())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") {
			continue
		}
		allowed := strings.Contains(line, `msg="device poll failed"`)
		if allowed {
			allowed = false
			for _, b := range broken {
				allowed = allowed || strings.Contains(line, b)
			}
		}
		if !allowed {
			t.Errorf("a fresh demo logged: %s", line)
		}
	}
}
