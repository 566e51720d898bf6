package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/inventory"
)

// TestMaintenanceThroughBinary declares planned works as an operator does:
// check-config refuses a bad window with one line each; `vigie run` with a
// window open now shows what it names and the sites it covers (one named,
// the single-homed sites of an aggregation router it takes down); a reload
// with the window removed makes them go.
func TestMaintenanceThroughBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reloads a running daemon")
	}
	bin := buildVigie(t)

	const bad = "../../inventory/testdata/bad/maintenance.yml"
	out, err := exec.Command(bin, "check-config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("check-config %s: %v, want exit status 1\n%s", bad, err, out)
	}
	for _, want := range []string{
		bad + `:13: maintenance[0].end: window "CHG-1" ends (2030-01-10T08:00:00Z) before it starts (2030-01-10T12:00:00Z)`,
		bad + `:14: maintenance[1].devices[0]: unknown device "agg-lyon-9"`,
		bad + `:14: maintenance[1].srlgs[0]: unknown SRLG "duct-2"`,
		bad + `:19: maintenance[6].end: warning: window "CHG-6" ended on 2020-01-10T12:00:00Z, more than a week ago: remove it`,
	} {
		if !strings.Contains(string(out), want+"") {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}

	dir := t.TempDir()
	inv, _, config, env := simFleet(t, dir, 6)
	fastPolling(inv)
	agg, behind := singleHomed(inv)
	if agg == "" {
		t.Fatal("the simulated RIE has no site whose every access lands on one aggregation router")
	}
	t.Logf("works on %s, behind which stand %v", agg, behind)
	var named string
	for _, s := range inv.Sites {
		if !slices.Contains(behind, s.ID) {
			named = s.ID
			break
		}
	}
	inv.Maintenance = []inventory.Maintenance{{ID: "CHG-T1", Start: time.Now().Add(-time.Minute).Truncate(time.Second),
		End: time.Now().Add(time.Hour).Truncate(time.Second), Reason: "line cards", Sites: []string{named}, Devices: []string{agg}}}
	addr := fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))
	writeInventory(t, config, inv, filepath.Join(dir, "vigie.db"), addr)
	if out, err := exec.Command(bin, "check-config", config).CombinedOutput(); err != nil {
		t.Fatalf("check-config on the window open now: %v\n%s", err, out)
	}

	var logs logbuf.Buffer
	vigie := startVigie(t, bin, dir, env, &logs, &logs, logs.String, "run", "--config", config)
	metrics := func() string { text, _ := httpGet("http://" + addr + "/metrics"); return text }
	want := []string{
		fmt.Sprintf(`vigie_maintenance_active{id=%q,kind="device",window="CHG-T1"} 1`, agg),
		fmt.Sprintf(`vigie_maintenance_active{id=%q,kind="site",window="CHG-T1"} 1`, named),
		fmt.Sprintf(`vigie_site_in_maintenance{site=%q,window="CHG-T1"} 1`, named),
	}
	for _, s := range behind {
		want = append(want, fmt.Sprintf(`vigie_site_in_maintenance{site=%q,window="CHG-T1"} 1`, s))
	}
	var text string
	vigie.waitFor(60*time.Second, "the maintenance series on /metrics", func() bool {
		text = metrics()
		return strings.Contains(text, "vigie_maintenance_active{")
	})
	for _, w := range want {
		if !strings.Contains(text, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	if n, w := strings.Count(text, "\nvigie_site_in_maintenance{"), 1+len(behind); n != w {
		t.Errorf("%d sites in maintenance, want %d (%s and the sites behind %s only: %v)", n, w, named, agg, behind)
	}

	// The works are cancelled: the window removed, vigie reloaded.
	started := sumMetric(text, "vigie_config_last_reload_success_timestamp_seconds ")
	inv.Maintenance = nil
	writeInventory(t, config, inv, filepath.Join(dir, "vigie.db"), addr)
	if err := vigie.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(60*time.Second, "the reload taken and the maintenance series gone", func() bool {
		text := metrics()
		return sumMetric(text, "vigie_config_last_reload_success_timestamp_seconds ") > started &&
			!strings.Contains(text, "vigie_maintenance_active") && !strings.Contains(text, "vigie_site_in_maintenance")
	})
	if _, err := vigie.stop(30 * time.Second); err != nil {
		t.Errorf("vigie run after SIGTERM: %v", err)
	}
}

// singleHomed returns an aggregation router of inv and the sites whose
// every access lands on it, the one with the most such sites.
func singleHomed(inv *inventory.Inventory) (string, []string) {
	by := map[string][]string{}
	for _, s := range inv.Sites {
		on := ""
		for _, a := range s.Access {
			if on != "" && a.Device != on || a.ViaInternet {
				on = "-"
				break
			}
			on = a.Device
		}
		if d := inv.Device(on); d != nil && d.Role == inventory.RoleCollection && d.PoP != "" {
			by[on] = append(by[on], s.ID)
		}
	}
	best := ""
	for d, ss := range by {
		if best == "" || len(ss) > len(by[best]) || len(ss) == len(by[best]) && d < best {
			best = d
		}
	}
	return best, by[best]
}
