package collector

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/logbuf"
)

// TestDiscontinuityLogged: a poll with discontinuous interfaces logs one
// line naming the device, how many interfaces and the first of them; the
// next one within LogEvery logs nothing more.
func TestDiscontinuityLogged(t *testing.T) {
	var logs logbuf.Buffer
	c, err := New(testInventory(1, time.Minute, anyAddr), Options{Sessions: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.poller.Close() })
	d := c.devices[0]
	for range 3 {
		p := benchPoll(d.name)
		p.Discontinuities = []snmp.CounterDiscontinuity{
			{IfIndex: 3, Interface: "GigabitEthernet0/3", Reason: snmp.DiscontinuityDecrease, Counter: "ifInErrors"},
			{IfIndex: 4, Interface: "GigabitEthernet0/4", Reason: snmp.DiscontinuityDecrease, Counter: "ifHCInOctets"},
		}
		c.record(d, p)
	}
	got := logs.String()
	if n := strings.Count(got, "interface counters discontinuous"); n != 1 {
		t.Fatalf("%d log lines for 3 polls with discontinuities, want 1:\n%s", n, got)
	}
	for _, want := range []string{"device=" + d.name, "interfaces=2", "interface=GigabitEthernet0/3", "reason=decrease", "counter=ifInErrors"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line lacks %s:\n%s", want, got)
		}
	}
}
