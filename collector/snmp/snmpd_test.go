package snmp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/vigie-rie/vigie/internal/snmpdtest"
	"github.com/vigie-rie/vigie/inventory"
)

func v2Target(a *snmpdtest.Agent) *Target {
	return &Target{Device: "agent", Addr: a.Addr, Version: inventory.SNMPv2c,
		Community: inventory.NewSecret(a.Community, "test"), Timeout: time.Second, Retries: 1,
		MaxRepetitions: 25, MaxRows: 10000, Tables: TableInterfaces | TableLLDP | TableBGP}
}

func v3Target(a *snmpdtest.Agent, auth string) *Target {
	return &Target{Device: "agent-v3", Addr: a.Addr, Version: inventory.SNMPv3,
		User: a.User, AuthProtocol: gosnmp.SHA, AuthPassword: inventory.NewSecret(auth, "test"),
		PrivProtocol: gosnmp.AES, PrivPassword: inventory.NewSecret(a.PrivPassword, "test"),
		Timeout: time.Second, Retries: 0, MaxRepetitions: 25, MaxRows: 10000, Tables: TableInterfaces}
}

func newTestPoller(t *testing.T, sessions int) *Poller {
	t.Helper()
	p, err := NewPoller(Options{Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestPollSnmpdV2c(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	p := newTestPoller(t, 1)
	st := NewDeviceState()
	res := p.Poll(context.Background(), v2Target(a), st)
	if res.Err != nil {
		t.Fatalf("poll: %v", res.Err)
	}
	if res.System.Name == "" || res.System.Uptime <= 0 || !strings.HasPrefix(res.System.ObjectID, ".1.3.6.1.4.1.8072") {
		t.Errorf("system group: %+v", res.System)
	}
	if len(res.Interfaces) == 0 {
		t.Fatal("no interfaces")
	}
	var lo *Interface
	for i := range res.Interfaces {
		if res.Interfaces[i].Name == "lo" {
			lo = &res.Interfaces[i]
		}
	}
	if lo == nil || !lo.AdminUp || !lo.OperUp() {
		t.Errorf("lo missing or down: %+v", res.Interfaces)
	}
	// snmpd without lldpd or bgpd has neither table: nothing, and no problem.
	if len(res.LLDP) != 0 || len(res.BGPPeers) != 0 || len(res.Problems) != 0 {
		t.Errorf("lldp %v bgp %v problems %v", res.LLDP, res.BGPPeers, res.Problems)
	}
	if res.Requests < 2 || res.Varbinds < 4+12*len(res.Interfaces) {
		t.Errorf("requests %d varbinds %d", res.Requests, res.Varbinds)
	}
	if _, ok := st.Totals(lo.Index); !ok {
		t.Error("no totals for lo")
	}
}

// TestIfMIBMatchesSnmpbulkwalk compares what the poller decodes with what
// net-snmp's own snmpbulkwalk prints for the same columns.
func TestIfMIBMatchesSnmpbulkwalk(t *testing.T) {
	if _, err := exec.LookPath("snmpbulkwalk"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("snmpbulkwalk missing but CI=true: install the Debian package snmp")
		}
		t.Skip("snmpbulkwalk missing (Debian package snmp)")
	}
	a := snmpdtest.Start(t, snmpdtest.Options{})
	p := newTestPoller(t, 1)
	res := p.Poll(context.Background(), v2Target(a), NewDeviceState())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := map[string]string{} // numeric OID -> printed value
	for _, col := range []string{oidIfDescr, oidIfAdminStatus, oidIfOperStatus, oidIfName, oidIfHighSpeed, oidIfAlias, oidIfInErrors, oidIfOutErrors,
		oidIfCounterDiscontinuityTime} {
		out, err := exec.Command("snmpbulkwalk", "-v2c", "-c", a.Community, "-m", ":", "-On", "-Oe", "-Oq", "-Ot",
			a.Addr.String(), col).Output()
		if err != nil {
			t.Fatalf("snmpbulkwalk %s: %v", col, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			oid, val, _ := strings.Cut(sc.Text(), " ")
			want[oid] = strings.Trim(val, `"`)
		}
	}
	got := map[string]string{}
	for _, i := range res.Interfaces {
		idx := "." + strconv.Itoa(int(i.Index))
		admin := "2"
		if i.AdminUp {
			admin = "1"
		}
		got[oidIfDescr+idx] = i.Descr
		got[oidIfAdminStatus+idx] = admin
		got[oidIfOperStatus+idx] = strconv.Itoa(i.OperStatus)
		got[oidIfName+idx] = i.Name
		got[oidIfHighSpeed+idx] = strconv.FormatUint(i.HighSpeed, 10)
		got[oidIfAlias+idx] = i.Alias
		got[oidIfInErrors+idx] = strconv.FormatUint(i.InErrors, 10)
		got[oidIfOutErrors+idx] = strconv.FormatUint(i.OutErrors, 10)
		// Only where snmpd has it: a column an agent lacks must be absent.
		if i.Has.Contains(ColDiscontinuityTime) {
			got[oidIfCounterDiscontinuityTime+idx] = strconv.FormatInt(int64(i.DiscontinuityTime/(10*time.Millisecond)), 10)
		}
	}
	t.Logf("%d values compared", len(want))
	if len(want) == 0 || len(want) != len(got) {
		t.Fatalf("snmpbulkwalk gave %d values, poller %d", len(want), len(got))
	}
	for oid, w := range want {
		if got[oid] != w {
			t.Errorf("%s: snmpbulkwalk %q, poller %q", oid, w, got[oid])
		}
	}
}

func TestPollSnmpdV3(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	b := snmpdtest.Start(t, snmpdtest.Options{User: "other", AuthPassword: "other-auth-pass", PrivPassword: "other-priv-pass"})
	p := newTestPoller(t, 1) // one session shared by both devices
	sta, stb := NewDeviceState(), NewDeviceState()
	ta, tb := v3Target(a, a.AuthPassword), v3Target(b, b.AuthPassword)
	tb.Device = "agent-b"
	var first, later int
	for round := 0; round < 3; round++ {
		for _, c := range []struct {
			t  *Target
			st *DeviceState
		}{{ta, sta}, {tb, stb}} {
			res := p.Poll(context.Background(), c.t, c.st)
			if res.Err != nil {
				t.Fatalf("round %d %s: %v", round, c.t.Device, res.Err)
			}
			if len(res.Interfaces) == 0 {
				t.Fatalf("%s: no interfaces", c.t.Device)
			}
			if round == 0 {
				first = res.Requests
			} else {
				later = res.Requests
			}
		}
	}
	if sta.EngineID() == "" || sta.EngineID() == stb.EngineID() {
		t.Errorf("engine ids %x %x", sta.EngineID(), stb.EngineID())
	}
	// Discovery happens once per device: later polls save a round trip.
	if later >= first {
		t.Errorf("requests per poll: first %d, later %d: engine discovery repeated", first, later)
	}
}

func TestPollSnmpdV3WrongPassword(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	p := newTestPoller(t, 1)
	for _, st := range []*DeviceState{NewDeviceState(), nil} {
		if st == nil {
			// A device whose engine is already known, then the password changes.
			st = NewDeviceState()
			if r := p.Poll(context.Background(), v3Target(a, a.AuthPassword), st); r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		res := p.Poll(context.Background(), v3Target(a, "wrong-password"), st)
		t.Logf("reason %s requests %d err: %v", res.Reason, res.Requests, res.Err)
		if res.Err == nil || res.Reason != ReasonAuth || !errors.Is(res.Err, ErrAuth) {
			t.Fatalf("reason %q err %v", res.Reason, res.Err)
		}
		if strings.Contains(res.Err.Error(), "\n") || strings.Contains(res.Err.Error(), "wrong-password") {
			t.Errorf("error is not one clean line: %q", res.Err)
		}
	}
	_ = slog.Default()
}

// TestPollSnmpdMixedVersions: one session polls a v3 device (gosnmp, which
// leaves deadlines on the socket) and then v2c devices (vigie's exchange)
// and back; the deadlines of one poll must not leak into the next.
func TestPollSnmpdMixedVersions(t *testing.T) {
	a := snmpdtest.Start(t, snmpdtest.Options{})
	p := newTestPoller(t, 1)
	v3 := v3Target(a, a.AuthPassword)
	v3.Timeout = 100 * time.Millisecond // gosnmp's deadline expires before the next poll
	v2 := v2Target(a)
	st3, st2 := NewDeviceState(), NewDeviceState()
	for round := 0; round < 2; round++ {
		for _, c := range []struct {
			t  *Target
			st *DeviceState
		}{{v3, st3}, {v2, st2}} {
			time.Sleep(150 * time.Millisecond)
			res := p.Poll(context.Background(), c.t, c.st)
			if res.Err != nil || len(res.Interfaces) == 0 {
				t.Fatalf("round %d, %s (v%s): err %v, %d interfaces", round, c.t.Device, c.t.Version, res.Err, len(res.Interfaces))
			}
		}
	}
}
