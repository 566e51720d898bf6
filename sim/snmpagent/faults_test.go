package snmpagent

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/inventory"
)

// accessOf returns a site's first non-tunnelled access link.
func accessOf(t *testing.T, f *fixture) inventory.AccessLink {
	t.Helper()
	for _, s := range f.inv.Sites {
		for _, a := range s.Access {
			if !a.ViaInternet {
				return a
			}
		}
	}
	t.Fatal("no physical access link")
	return inventory.AccessLink{}
}

// walkColumn walks one column and returns its values by row suffix.
func walkColumn(t *testing.T, g *gosnmp.GoSNMP, oid string) map[string]gosnmp.SnmpPDU {
	t.Helper()
	rows, err := g.BulkWalkAll(oid)
	if err != nil {
		t.Fatalf("walk %s: %v", oid, err)
	}
	out := map[string]gosnmp.SnmpPDU{}
	for _, r := range rows {
		out[strings.TrimPrefix(r.Name, oid+".")] = r
	}
	return out
}

// ifIndexByName maps ifName to ifIndex (as the OID suffix).
func ifIndexByName(t *testing.T, g *gosnmp.GoSNMP) map[string]string {
	t.Helper()
	out := map[string]string{}
	for idx, v := range walkColumn(t, g, oidIfName) {
		out[string(v.Value.([]byte))] = idx
	}
	return out
}

func TestFaultLinkDown(t *testing.T) {
	f := startAgent(t, 30, Options{})
	al := accessOf(t, f)
	ce := v2client(t, f, f.inv.Device(al.Router).Address.Addr())
	agg := v2client(t, f, f.inv.Device(al.Device).Address.Addr())
	ceIdx, aggIdx := ifIndexByName(t, ce)[al.RouterInterface], ifIndexByName(t, agg)[al.Interface]

	check := func(g *gosnmp.GoSNMP, idx, peer string, wantOper int, wantLLDP bool, wantBGP int) {
		t.Helper()
		if got := gosnmp.ToBigInt(walkColumn(t, g, oidIfOper)[idx].Value).Int64(); got != int64(wantOper) {
			t.Errorf("%s ifOperStatus.%s = %d, want %d", g.Target, idx, got, wantOper)
		}
		seen := false
		for row, v := range walkColumn(t, g, oidRemSys) {
			if strings.HasPrefix(row, "0."+idx+".") && string(v.Value.([]byte)) == peer {
				seen = true
			}
		}
		if seen != wantLLDP {
			t.Errorf("%s LLDP neighbour %s on ifIndex %s seen = %v, want %v", g.Target, peer, idx, seen, wantLLDP)
		}
		states := walkColumn(t, g, oidPeerState)
		idle := 0
		for _, v := range states {
			if gosnmp.ToBigInt(v.Value).Int64() == 1 {
				idle++
			}
		}
		if idle != wantBGP {
			t.Errorf("%s has %d idle BGP sessions, want %d", g.Target, idle, wantBGP)
		}
	}
	check(ce, ceIdx, al.Device, 1, true, 0)
	check(agg, aggIdx, al.Router, 1, true, 0)
	transBefore := walkColumn(t, ce, oidPeerTrans)

	if err := f.agent.SetLink(al.Router, al.RouterInterface, false); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	check(ce, ceIdx, al.Device, 2, false, 1)
	check(agg, aggIdx, al.Router, 2, false, 1)

	// From the other end, back up: the session re-establishes and counts it.
	if err := f.agent.SetLink(al.Device, al.Interface, true); err != nil {
		t.Fatal(err)
	}
	check(ce, ceIdx, al.Device, 1, true, 0)
	transAfter := walkColumn(t, ce, oidPeerTrans)
	sum := func(m map[string]gosnmp.SnmpPDU) (n int64) {
		for _, v := range m {
			n += gosnmp.ToBigInt(v.Value).Int64()
		}
		return n
	}
	if sum(transAfter) != sum(transBefore)+1 {
		t.Errorf("established transitions went from %d to %d, want +1", sum(transBefore), sum(transAfter))
	}
	if err := f.agent.SetLink(al.Router, "no-such-if", false); err == nil {
		t.Error("SetLink accepted an unknown interface")
	}
}

func TestFaultRebootResetsCounters(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	g := v2client(t, f, d.Address.Addr())
	before := walkColumn(t, g, oidHCIn)
	f.clock.Add(10 * time.Second)
	later := walkColumn(t, g, oidHCIn)
	for idx, v := range later {
		if gosnmp.ToBigInt(v.Value).Cmp(gosnmp.ToBigInt(before[idx].Value)) < 0 {
			t.Errorf("ifHCInOctets.%s went backwards without a reboot", idx)
		}
	}
	if err := f.agent.Reboot(d.Name); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(5 * time.Second)
	r, err := g.Get([]string{oidSysUpTime})
	if err != nil {
		t.Fatal(err)
	}
	if up := r.Variables[0].Value.(uint32); up != 500 {
		t.Errorf("sysUpTime 5 s after reboot = %d, want 500", up)
	}
	after := walkColumn(t, g, oidHCIn)
	for idx, v := range after {
		if idx == "1" {
			continue // lo carries nothing
		}
		if gosnmp.ToBigInt(v.Value).Cmp(gosnmp.ToBigInt(later[idx].Value)) >= 0 {
			t.Errorf("ifHCInOctets.%s did not reset on reboot: %v then %v", idx, later[idx].Value, v.Value)
		}
	}
}

func TestFaultCounterWrap(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	g := v2client(t, f, d.Address.Addr())
	if err := f.agent.SetFaults(d.Name, Faults{WrapIn: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	before := walkColumn(t, g, oidIfInErr)
	f.clock.Add(time.Minute)
	after := walkColumn(t, g, oidIfInErr)
	wrapped := 0
	for idx, v := range after {
		if v.Type != gosnmp.Counter32 {
			t.Fatalf("ifInErrors.%s is %v, want Counter32", idx, v.Type)
		}
		if v.Value.(uint) < before[idx].Value.(uint) {
			wrapped++
		}
	}
	if wrapped != len(after) {
		t.Errorf("%d of %d ifInErrors wrapped in a minute, want all (before %v, after %v)", wrapped, len(after), before, after)
	}
}

func TestFaultTimeoutSlowMalformed(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	for _, c := range []struct {
		name    string
		faults  Faults
		timeout time.Duration
		ok      bool
	}{
		{"healthy", Faults{}, time.Second, true},
		{"timeout", Faults{Timeout: true}, 300 * time.Millisecond, false},
		{"slow, patient client", Faults{Slow: 200 * time.Millisecond}, 3 * time.Second, true},
		{"slow, hasty client", Faults{Slow: 2 * time.Second}, 100 * time.Millisecond, false},
		{"truncate", Faults{Malformed: MalformTruncate}, 300 * time.Millisecond, false},
		{"garbage", Faults{Malformed: MalformGarbage}, 300 * time.Millisecond, false},
		{"wrong request-id", Faults{Malformed: MalformRequestID}, 300 * time.Millisecond, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := f.agent.SetFaults(d.Name, c.faults); err != nil {
				t.Fatal(err)
			}
			g := v2client(t, f, d.Address.Addr())
			g.Timeout, g.Retries = c.timeout, 0
			r, err := g.Get([]string{oidSysName})
			if c.ok != (err == nil) {
				t.Fatalf("Get: err = %v, want success %v", err, c.ok)
			}
			if c.ok && string(r.Variables[0].Value.([]byte)) != d.Name {
				t.Errorf("sysName = %v", r.Variables[0].Value)
			}
		})
	}
	if n := f.agent.Stats().Dropped["fault_timeout"]; n == 0 {
		t.Error("timeouts not counted")
	}
}

func TestFaultOIDLoopAndFlood(t *testing.T) {
	f := startAgent(t, 10, Options{})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	g := v2client(t, f, d.Address.Addr())
	if err := f.agent.SetFaults(d.Name, Faults{OIDLoop: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.BulkWalkAll(oidIfName); err == nil || !strings.Contains(err.Error(), "increasing") {
		t.Errorf("bulk walk under an OID loop: err = %v, want gosnmp's non-increasing OID error", err)
	}
	if _, err := g.WalkAll(oidIfName); err == nil {
		t.Error("walk under an OID loop succeeded")
	}
	// The system group stays sane so the device still looks alive.
	if _, err := g.Get([]string{oidSysName}); err != nil {
		t.Error(err)
	}

	if err := f.agent.SetFaults(d.Name, Faults{Flood: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	r, err := g.Get([]string{".1.3.6.1.2.1.2.1.0", oidIfName + ".1000000", oidIfName + ".1000001"})
	if err != nil {
		t.Fatal(err)
	}
	if n := gosnmp.ToBigInt(r.Variables[0].Value).Int64(); n != 1_000_000 {
		t.Errorf("ifNumber = %d, want 1,000,000", n)
	}
	if s, _ := r.Variables[1].Value.([]byte); string(s) != "flood1000000" {
		t.Errorf("ifName.1000000 = %v", r.Variables[1].Value)
	}
	if r.Variables[2].Type != gosnmp.NoSuchInstance {
		t.Errorf("ifName.1000001 = %v, want noSuchInstance", r.Variables[2].Type)
	}
	// A bounded walk keeps getting rows: count 2,000 of them.
	rows := 0
	err = g.BulkWalk(oidIfName, func(gosnmp.SnmpPDU) error {
		rows++
		if rows == 2000 {
			return errStop
		}
		return nil
	})
	if err != errStop {
		t.Errorf("flooded walk ended early after %d rows: %v", rows, err)
	}
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop error = stopErr{}

func TestTooBig(t *testing.T) {
	f := startAgent(t, 10, Options{MaxMessageSize: 484})
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "agg-") })
	g := v2client(t, f, d.Address.Addr())
	// 30 sysDescr in one Get cannot fit in 484 bytes: tooBig.
	oids := make([]string, 30)
	for i := range oids {
		oids[i] = ".1.3.6.1.2.1.1.1.0"
	}
	r, err := g.Get(oids)
	if err != nil {
		t.Fatal(err)
	}
	if r.Error != gosnmp.TooBig || len(r.Variables) != 0 {
		t.Errorf("oversized Get: error %v with %d varbinds, want tooBig and none", r.Error, len(r.Variables))
	}
	// A GetBulk is cut to what fits instead, and a walk still completes.
	r, err = g.GetBulk([]string{".1.3.6.1.2.1.2.2.1.2"}, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	if r.Error != gosnmp.NoError || len(r.Variables) == 0 || len(r.Variables) >= 200 {
		t.Errorf("oversized GetBulk: error %v with %d varbinds", r.Error, len(r.Variables))
	}
	if _, err := g.BulkWalkAll(".1.3.6.1.2.1.2.2"); err != nil {
		t.Error(err)
	}
}

func TestControlEndpoint(t *testing.T) {
	f := startAgent(t, 10, Options{})
	srv := httptest.NewServer(f.agent.Handler())
	defer srv.Close()
	d := f.dev(t, func(d *inventory.Device) bool { return strings.HasPrefix(d.Name, "ce-") })
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, sb.String()
	}
	if code, body := do("PUT", "/faults/"+d.Name, `{"timeout": true, "slow": "1s"}`); code != 200 {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	if got, _ := f.agent.DeviceFaults(d.Name); !got.Timeout || got.Slow != time.Second {
		t.Errorf("faults after PUT = %+v", got)
	}
	if code, body := do("GET", "/faults", ""); code != 200 || !strings.Contains(body, d.Name) || !strings.Contains(body, `"slow": "1s"`) {
		t.Errorf("GET /faults: %d %s", code, body)
	}
	if code, _ := do("PUT", "/faults/"+d.Name, `{"timeuot": true}`); code != 400 {
		t.Errorf("a misspelt fault gave %d, want 400", code)
	}
	if code, _ := do("PUT", "/faults/no-such-device", `{}`); code != 404 {
		t.Errorf("unknown device gave %d, want 404", code)
	}
	if code, _ := do("DELETE", "/faults", ""); code != 204 {
		t.Errorf("DELETE /faults: %d", code)
	}
	if len(f.agent.FaultyDevices()) != 0 {
		t.Error("faults left after DELETE /faults")
	}
	al := accessOf(t, f)
	q := "/link/" + al.Router + "?interface=" + url.QueryEscape(al.RouterInterface) + "&state=down"
	if code, body := do("POST", q, ""); code != 204 {
		t.Fatalf("POST link: %d %s", code, body)
	}
	code, body := do("GET", "/devices/"+al.Device, "")
	if code != 200 || !strings.Contains(body, `"up": false`) || !strings.Contains(body, al.Router) {
		t.Errorf("GET device after link down: %d %s", code, body)
	}
	if code, _ := do("POST", "/reboot/"+d.Name, ""); code != 204 {
		t.Errorf("POST reboot: %d", code)
	}
}

func TestPowerOffAggregationRouter(t *testing.T) {
	f := startAgent(t, 30, Options{})
	al := accessOf(t, f)
	aggName := al.Device
	if f.inv.Device(aggName).Role != inventory.RoleCollection {
		t.Skip("first access lands on a concentrator")
	}
	ce := v2client(t, f, f.inv.Device(al.Router).Address.Addr())
	rr := v2client(t, f, f.inv.Device("rr-1").Address.Addr())
	agg := v2client(t, f, f.inv.Device(aggName).Address.Addr())
	agg.Retries, agg.Timeout = 0, 300*time.Millisecond
	idle := func(g *gosnmp.GoSNMP) int {
		n := 0
		for _, v := range walkColumn(t, g, oidPeerState) {
			if gosnmp.ToBigInt(v.Value).Int64() == 1 {
				n++
			}
		}
		return n
	}
	if idle(ce) != 0 || idle(rr) != 0 {
		t.Fatal("idle sessions before the power cut")
	}
	if err := f.agent.SetPower(aggName, false); err != nil {
		t.Fatal(err)
	}
	if _, err := agg.Get([]string{oidSysName}); err == nil {
		t.Error("a powered-off router answered")
	}
	if idle(ce) == 0 {
		t.Error("the CE's session to the dead aggregation router is not idle")
	}
	if idle(rr) != 1 {
		t.Errorf("route reflector has %d idle sessions, want 1 (the dead router's)", idle(rr))
	}
	ceIdx := ifIndexByName(t, ce)[al.RouterInterface]
	if gosnmp.ToBigInt(walkColumn(t, ce, oidIfOper)[ceIdx].Value).Int64() != 2 {
		t.Error("the CE's access interface is not down")
	}
	f.clock.Add(3 * time.Second)
	if err := f.agent.SetPower(aggName, true); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Second)
	agg.Timeout = time.Second
	r, err := agg.Get([]string{oidSysUpTime})
	if err != nil {
		t.Fatal(err)
	}
	if up := r.Variables[0].Value.(uint32); up != 200 {
		t.Errorf("sysUpTime 2 s after power-on = %d, want 200", up)
	}
	if idle(ce) != 0 || idle(rr) != 0 {
		t.Error("sessions still idle after power-on")
	}
}
