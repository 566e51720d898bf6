package snmpagent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/inventory"
)

const (
	oidIfOutErr   = ".1.3.6.1.2.1.2.2.1.20"
	oidIfDiscTime = ".1.3.6.1.2.1.31.1.1.1.19"
)

func bigOf(v gosnmp.SnmpPDU) uint64 { return gosnmp.ToBigInt(v.Value).Uint64() }

// TestClearCounters: an operator's clear counters, on one interface over
// HTTP then on all of them, sets the counters back to zero without a
// reboot and stamps ifCounterDiscontinuityTime; a reboot voids the stamp.
func TestClearCounters(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	g := v2client(t, f, d.Address.Addr())
	srv := httptest.NewServer(f.agent.Handler())
	defer srv.Close()
	f.clock.Add(time.Hour)
	r, err := g.Get([]string{oidSysUpTime})
	if err != nil {
		t.Fatal(err)
	}
	up0 := r.Variables[0].Value.(uint32)
	before := walkColumn(t, g, oidHCIn)
	if disc := walkColumn(t, g, oidIfDiscTime); len(disc) != len(before) || bigOf(disc["2"]) != 0 {
		t.Fatalf("ifCounterDiscontinuityTime before any clear: %v, want a 0 per interface", disc)
	}
	if bigOf(before["2"]) == 0 {
		t.Fatal("ifHCInOctets.2 is 0 after an hour: nothing to clear")
	}

	// One interface, over the control endpoint.
	var resp *http.Response
	name := ""
	for n, idx := range ifIndexByName(t, g) {
		if idx == "2" {
			name = n
		}
	}
	resp, err = http.Post(srv.URL+"/clear-counters/"+d.Name+"?interface="+url.QueryEscape(name), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /clear-counters: %d", resp.StatusCode)
	}
	after := walkColumn(t, g, oidHCIn)
	disc := walkColumn(t, g, oidIfDiscTime)
	if bigOf(after["2"]) != 0 || disc["2"].Value.(uint32) != up0 {
		t.Errorf("after clearing %s: ifHCInOctets.2 %v, ifCounterDiscontinuityTime.2 %v; want 0 and sysUpTime %d", name, after["2"].Value, disc["2"].Value, up0)
	}
	for idx, v := range after {
		if idx != "2" && idx != "1" && (bigOf(v) != bigOf(before[idx]) || bigOf(disc[idx]) != 0) {
			t.Errorf("interface %s changed with the clear of another: %v -> %v, discontinuity %v", idx, before[idx].Value, v.Value, disc[idx].Value)
		}
	}

	// All of them: errors too, then they count again from zero.
	f.clock.Add(time.Minute)
	errsBefore := walkColumn(t, g, oidIfOutErr)
	if err := f.agent.ClearCounters(d.Name, ""); err != nil {
		t.Fatal(err)
	}
	for idx, v := range walkColumn(t, g, oidIfOutErr) {
		if bigOf(v) != 0 {
			t.Errorf("ifOutErrors.%s = %v after clear counters, want 0", idx, v.Value)
		}
	}
	f.clock.Add(time.Hour)
	grown := 0
	for idx, v := range walkColumn(t, g, oidIfOutErr) {
		if bigOf(v) > 0 {
			grown++
		}
		// Interfaces other than 2 had counted for an hour and a minute
		// before the clear, an hour since.
		if idx != "2" && bigOf(v) > bigOf(errsBefore[idx]) {
			t.Errorf("ifOutErrors.%s = %v an hour after the clear, more than the %v of the 61 minutes before it", idx, v.Value, errsBefore[idx].Value)
		}
	}
	if grown == 0 {
		t.Error("no ifOutErrors counts again after the clear")
	}
	if err := f.agent.ClearCounters(d.Name, "no-such-if"); err == nil {
		t.Error("ClearCounters accepted an unknown interface")
	}

	// A reboot restarts the counters and forgets the clear.
	if err := f.agent.Reboot(d.Name); err != nil {
		t.Fatal(err)
	}
	for idx, v := range walkColumn(t, g, oidIfDiscTime) {
		if bigOf(v) != 0 {
			t.Errorf("ifCounterDiscontinuityTime.%s = %v after a reboot, want 0", idx, v.Value)
		}
	}
}

// TestFaultMissingColumns: a device with a partial IF-MIB has no rows in
// the columns it lacks (Get: noSuchInstance), the others are intact, and
// the fault is set, listed and refused over HTTP like the others.
func TestFaultMissingColumns(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	g := v2client(t, f, d.Address.Addr())
	srv := httptest.NewServer(f.agent.Handler())
	defer srv.Close()
	put := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest("PUT", srv.URL+"/faults/"+d.Name, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put(`{"missing": "ifInErrors, ifCounterDiscontinuityTime"}`); code != 200 {
		t.Fatalf("PUT missing: %d", code)
	}
	if n := len(walkColumn(t, g, oidIfInErr)); n != 0 {
		t.Errorf("ifInErrors has %d rows, want none", n)
	}
	if n := len(walkColumn(t, g, oidIfDiscTime)); n != 0 {
		t.Errorf("ifCounterDiscontinuityTime has %d rows, want none", n)
	}
	if len(walkColumn(t, g, oidIfOutErr)) == 0 || len(walkColumn(t, g, oidHCIn)) == 0 {
		t.Error("columns not listed as missing lost their rows")
	}
	r, err := g.Get([]string{oidIfInErr + ".1", oidIfOutErr + ".1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Variables[0].Type != gosnmp.NoSuchInstance || r.Variables[1].Type != gosnmp.Counter32 {
		t.Errorf("Get ifInErrors.1, ifOutErrors.1 = %v, %v; want noSuchInstance, Counter32", r.Variables[0].Type, r.Variables[1].Type)
	}
	got, _ := f.agent.DeviceFaults(d.Name)
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"missing":"ifInErrors, ifCounterDiscontinuityTime"`) {
		t.Errorf("faults as JSON: %s", b)
	}
	if code := put(`{"missing": "ifInErrorz"}`); code != 400 {
		t.Errorf("an unknown column gave %d, want 400", code)
	}
	if err := f.agent.SetFaults(d.Name, Faults{}); err != nil {
		t.Fatal(err)
	}
	if n := len(walkColumn(t, g, oidIfInErr)); n == 0 {
		t.Error("ifInErrors still missing after healing")
	}
}
