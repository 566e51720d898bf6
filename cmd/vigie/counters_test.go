package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// scrape reads /metrics into family -> labels (sorted, k="v" joined by ,)
// -> value; nil if the daemon does not answer yet.
func scrape(url string) map[string]map[string]float64 {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	out := map[string]map[string]float64{}
	for name, mf := range mfs {
		series := map[string]float64{}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			series[strings.Join(ls, ",")] = v
		}
		out[name] = series
	}
	return out
}

// ofDevice returns a family's series of one device, by interface label
// (or "" for per-device families).
func ofDevice(m map[string]map[string]float64, family, device string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m[family] {
		if !strings.Contains(k, `device="`+device+`"`) {
			continue
		}
		ifName := ""
		if _, rest, ok := strings.Cut(k, `interface="`); ok {
			ifName, _, _ = strings.Cut(rest, `"`)
		}
		out[ifName] = v
	}
	return out
}

// TestClearCountersThroughRun: `vigie run` polls a simulated fleet; an
// operator clears the counters of two routers, one that says so in
// ifCounterDiscontinuityTime and one that does not. /metrics must not jump
// by four billion errors (nor by any amount), must count the
// discontinuities, and the log must say it once per router. A router
// without ifInErrors has no receive-errors series at all.
func TestClearCountersThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(6, 17)
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 17})
	var ces []string
	for _, d := range inv.Devices {
		if d.Site != "" && d.Address.Addr().Is4() {
			ces = append(ces, d.Name)
		}
	}
	if len(ces) < 3 {
		t.Fatalf("%d CE routers in the simulated fleet, want 3", len(ces))
	}
	told, silent, partial := ces[0], ces[1], ces[2]
	if err := agent.SetFaults(silent, snmpagent.Faults{Missing: "ifCounterDiscontinuityTime"}); err != nil {
		t.Fatal(err)
	}
	if err := agent.SetFaults(partial, snmpagent.Faults{Missing: "ifInErrors"}); err != nil {
		t.Fatal(err)
	}
	config := writeConfig(t, dir, inv)
	port := freeport.TCP(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	env := simEnv()
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", env, &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", filepath.Join(dir, "vigie.db"), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))

	const errorsFamily = "vigie_interface_receive_errors_total"
	const discFamily = "vigie_device_counters_discontinuities_total"
	var before map[string]map[string]float64
	vigie.waitFor(60*time.Second, "a first poll of the CEs", func() bool {
		m := scrape(metricsURL)
		for _, dev := range []string{told, silent} {
			if len(ofDevice(m, errorsFamily, dev)) == 0 {
				return false
			}
		}
		if len(ofDevice(m, "vigie_interface_oper_up", partial)) == 0 {
			return false
		}
		before = m
		return true
	})
	for _, dev := range []string{told, silent} {
		if got := ofDevice(before, discFamily, dev)[""]; got != 0 {
			t.Fatalf("%s: %v counter discontinuities before any clear", dev, got)
		}
	}
	var errsBefore float64
	for _, v := range ofDevice(before, errorsFamily, told) {
		errsBefore += v
	}
	if errsBefore == 0 {
		t.Fatalf("%s counted no errors before the clear: nothing to clear", told)
	}

	for _, dev := range []string{told, silent} {
		if err := agent.ClearCounters(dev, ""); err != nil {
			t.Fatal(err)
		}
	}
	var after map[string]map[string]float64
	vigie.waitFor(60*time.Second, "the clears counted", func() bool {
		m := scrape(metricsURL)
		if ofDevice(m, discFamily, told)[""] == 0 || ofDevice(m, discFamily, silent)[""] == 0 {
			return false
		}
		after = m
		return true
	})
	for _, dev := range []string{told, silent} {
		was := ofDevice(before, errorsFamily, dev)
		for ifName, v := range ofDevice(after, errorsFamily, dev) {
			// The simulated error rates are under 0.05/s: a few errors
			// at most between two scrapes, never 2^32.
			if v < was[ifName] || v > was[ifName]+100 {
				t.Errorf("%s %s: %s went from %v to %v across a clear counters", dev, ifName, errorsFamily, was[ifName], v)
			}
		}
		t.Logf("%s: %v counter discontinuities", dev, ofDevice(after, discFamily, dev)[""])
	}
	// The router without ifInErrors: no series, not a 0; the rest is there.
	if got := ofDevice(after, errorsFamily, partial); len(got) != 0 {
		t.Errorf("%s lacks ifInErrors but has %s series: %v", partial, errorsFamily, got)
	}
	if len(ofDevice(after, "vigie_interface_transmit_errors_total", partial)) == 0 {
		t.Errorf("%s: no vigie_interface_transmit_errors_total, though it has ifOutErrors", partial)
	}

	logs := stderr.String()
	for _, dev := range []string{told, silent} {
		n := 0
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "interface counters discontinuous") && strings.Contains(l, "device="+dev+" ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d log lines about discontinuous counters, want 1\n%s", dev, n, logs)
		}
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}
