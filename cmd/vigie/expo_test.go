package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestInterfaceMetricsThroughRun: `vigie run --collector.interface-metrics
// collection=none` over a simulated fleet serves every device's series
// from its polls (now kept by the exposition package, issue 20), and
// per-interface series only for the roles not narrowed, each device's
// interfaces whole (as many oper_up as admin_up series).
func TestInterfaceMetricsThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(4, 23)
	simtest.Serve(t, inv, snmpagent.Options{Seed: 23})
	config := writeConfig(t, dir, inv)
	port := freeport.TCP(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", config, "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--collector.interface-metrics", "collection=none")
	var m map[string]map[string]float64
	vigie.waitFor(30*time.Second, "every device up in /metrics", func() bool {
		m = scrape(url)
		for _, d := range inv.Devices {
			if v, ok := ofDevice(m, "vigie_device_up", d.Name)[""]; !ok || v != 1 {
				return false
			}
		}
		return true
	})
	narrowed, others := 0, 0
	for _, d := range inv.Devices {
		oper := ofDevice(m, "vigie_interface_oper_up", d.Name)
		admin := ofDevice(m, "vigie_interface_admin_up", d.Name)
		if _, ok := ofDevice(m, "vigie_device_info", d.Name)[""]; !ok {
			t.Errorf("%s: no vigie_device_info", d.Name)
		}
		switch {
		case d.Role == inventory.RoleCollection:
			narrowed++
			if len(oper)+len(admin) > 0 {
				t.Errorf("%s (collection=none): %d interface series", d.Name, len(oper)+len(admin))
			}
		default:
			others++
			if len(oper) == 0 || len(oper) != len(admin) {
				t.Errorf("%s (%s): %d oper_up and %d admin_up series, want as many, not 0", d.Name, d.Role, len(oper), len(admin))
			}
		}
	}
	if narrowed == 0 || others == 0 {
		t.Fatalf("%d collection devices and %d others in the fleet: the test needs both", narrowed, others)
	}
	if _, err := vigie.stop(15 * time.Second); err != nil {
		t.Errorf("vigie run: %v\n%s", err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "panic") {
		t.Errorf("vigie logged a panic:\n%s", s)
	}
}
