package collector

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigie-rie/vigie/collector/snmp"
	expo "github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/internal/snmpdtest"
	"github.com/vigie-rie/vigie/inventory"
)

// TestSnmpdWrongV3Password polls a real snmpd twice: as a v2c device, and
// over v3 with a wrong password. The first is up with interface series; the
// second is down with reason auth, a metric, and one clear log line however
// many polls fail.
func TestSnmpdWrongV3Password(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	inv := testInventory(2, 400*time.Millisecond, a.Addr)
	inv.Polling.MaxBackoff = 400 * time.Millisecond // keep retrying: the log must still say it once
	inv.Profiles[0].Community = inventory.NewSecret(a.Community, "test")
	inv.Profiles = append(inv.Profiles, inventory.SNMPProfile{Name: "v3", Version: inventory.SNMPv3, Username: a.User,
		AuthProtocol: "SHA", AuthPassword: inventory.NewSecret("not-the-password", "test"),
		PrivProtocol: "AES", PrivPassword: inventory.NewSecret(a.PrivPassword, "test"),
		Timeout: 300 * time.Millisecond, MaxRepetitions: 25})
	inv.Devices[1].Profile = "v3"
	inv.Index()
	logs := &captureHandler{}
	reg := prometheus.NewPedanticRegistry()
	var last lastPolls
	opts := Options{OnPoll: last.onPoll}
	_, g := withExposition(t, inv, &opts, expo.Options{}, reg)
	c := newTestCollector(t, inv, opts, reg, slog.New(logs))
	authErrs := c.m.roles[inventory.RoleCollection].errs[snmp.ReasonAuth]
	runFor(t, c, func() bool {
		p, ok := last.get("d000")
		return ok && p.Err == nil && testutil.ToFloat64(authErrs) >= 3
	})
	if got := logs.count("device poll failed"); got != 1 {
		t.Errorf("auth failure logged %d times, want once: %q", got, logs.lines())
	}
	for _, l := range logs.lines() {
		if strings.HasPrefix(l, "device poll failed") && (!strings.Contains(l, "reason=auth") ||
			!strings.Contains(l, "authentication failed") || strings.Contains(l, "not-the-password")) {
			t.Errorf("unclear or leaky log line: %s", l)
		}
	}
	p, _ := last.get("d001")
	if p == nil || p.Reason != snmp.ReasonAuth {
		t.Fatalf("v3 device: %+v", p)
	}
	expect := `
# HELP vigie_device_up 1 if the last poll got the device's system group, else 0.
# TYPE vigie_device_up gauge
vigie_device_up{device="d000",region="bretagne",role="collection"} 1
vigie_device_up{device="d001",region="bretagne",role="collection"} 0
`
	if err := testutil.GatherAndCompare(g, strings.NewReader(expect), "vigie_device_up"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(g, "vigie_interface_receive_bytes_total"); n == 0 {
		t.Error("no interface series for the v2c device")
	}
	if n, _ := testutil.GatherAndCount(g, "vigie_device_poll_errors_total"); n != 1 {
		t.Errorf("%d per-device error series, want 1 (d001, auth)", n)
	}
}
