package snmpagent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// TestFaultLLDPChurn: the LLDPChurn fault adds that many neighbours, each
// on its own local port (churnK, in lldpLocPortTable), after the real ones,
// all renamed a second later; clearing it leaves the real neighbours.
func TestFaultLLDPChurn(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	g := v2client(t, f, d.Address.Addr())
	const oidLocPortID = ".1.0.8802.1.1.2.1.3.7.1.3"
	real := walkColumn(t, g, oidRemSys)
	locPorts := walkColumn(t, g, oidLocPortID)
	if err := f.agent.SetFaults(d.Name, Faults{LLDPChurn: 300}); err != nil {
		t.Fatal(err)
	}
	names := func() map[string]string {
		out := map[string]string{}
		for row, v := range walkColumn(t, g, oidRemSys) {
			out[row] = string(v.Value.([]byte))
		}
		return out
	}
	first := names()
	if len(first) != len(real)+300 {
		t.Fatalf("%d LLDP neighbours, want the %d real ones and 300", len(first), len(real))
	}
	loc := walkColumn(t, g, oidLocPortID)
	for k := range 300 {
		port := len(locPorts) + 2 + k // after lo and the real interfaces
		row := fmt.Sprintf("0.%d.1", port)
		if got, want := first[row], fmt.Sprintf("churn-0-%d", k); got != want {
			t.Fatalf("lldpRemSysName.%s = %q, want %q", row, got, want)
		}
		if got := string(loc[fmt.Sprint(port)].Value.([]byte)); got != fmt.Sprint("churn", k) {
			t.Fatalf("lldpLocPortId.%d = %q, want churn%d", port, got, k)
		}
	}
	f.clock.Add(time.Second)
	second := names()
	changed := 0
	for row, n := range second {
		if n != first[row] {
			changed++
		}
	}
	if changed != 300 {
		t.Errorf("%d neighbours renamed a second later, want the 300 of the fault", changed)
	}
	if err := f.agent.SetFaults(d.Name, Faults{}); err != nil {
		t.Fatal(err)
	}
	if n := len(names()); n != len(real) {
		t.Errorf("%d neighbours after the fault is cleared, want the %d real ones", n, len(real))
	}
	if err := f.agent.SetFaults(d.Name, Faults{LLDPChurn: -1}); err == nil {
		t.Error("a negative lldp_churn accepted")
	}
	// The control API's JSON (vigie-sim, vigie demo's /sim/).
	var back Faults
	b, err := json.Marshal(Faults{LLDPChurn: 3000})
	if err != nil || json.Unmarshal(b, &back) != nil || back.LLDPChurn != 3000 || !strings.Contains(string(b), `"lldp_churn":3000`) {
		t.Errorf("JSON %s (%v) read back as %+v", b, err, back)
	}
}
