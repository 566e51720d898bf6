package lab

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotificationsInLab: the RIE slice's snmpd send IF-MIB linkDown and
// linkUp (SNMPv3 authPriv traps, DisMan monitor every second) to vigie in
// the mgmt namespace. Polled every hour after a reload, vigie still sees
// one of S-03's two accesses cut and restored within seconds: only the
// notifications can explain it (the BGP monitor, which would see routes
// change, is left out of the inventory). The times are logged, for BENCHMARKS.md, not asserted.
func TestNotificationsInLab(t *testing.T) {
	requireLab(t)
	if _, err := exec.LookPath("go"); err != nil {
		needed(t, "go is needed to build vigie: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigie")
	build := exec.Command("go", "build", "-tags", "gosnmp_nodebug", "-o", bin, "./cmd/vigie")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/vigie: %v\n%s", err, out)
	}
	orig, err := os.ReadFile("rie-slice/vigie.yml")
	if err != nil {
		t.Fatal(err)
	}
	const fast = "intervals: {collection: 10s, backbone: 10s, pfai: 10s, pfs: 10s}"
	if !strings.Contains(string(orig), fast) {
		t.Fatalf("rie-slice/vigie.yml no longer polls every 10 s (%q): update this test", fast)
	}
	// Without the BGP monitor: the sites' routes would tell vigie of the
	// cut too, and only SNMP may explain what this test sees.
	i := strings.Index(string(orig), "\nbgp:\n")
	if i < 0 {
		t.Fatal("rie-slice/vigie.yml has no bgp section to leave out: update this test")
	}
	rest := string(orig[i+len("\nbgp:\n"):])
	for rest != "" && (rest[0] == ' ' || rest[0] == '\n') {
		_, rest, _ = strings.Cut(rest, "\n")
	}
	orig = append(orig[:i+1:i+1], rest...)
	config := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(config, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	l := upForTest(t, "rie-slice/rie-slice.clab.yml", Options{ReadyTimeout: 120 * time.Second})
	v := e2eStartVigie(t, l, bin, config, dir, "--snmp.trap-listen-address", l.MgmtGateway().String()+":162")

	const site, ce, agg = "S-03", "s03-dual-srlg", "agg-paris"
	eventually(t, 90*time.Second, "every device polled and "+site+"'s protection as designed", func() (bool, string) {
		m := v.metrics()
		up, pending := m.value("vigie_collector_devices", "state", "up"), m.value("vigie_collector_devices", "state", "pending")
		des, eff := m.value("vigie_site_protection_designed", "site", site), m.value("vigie_site_protection_effective", "site", site)
		ifUp := m.value("vigie_interface_oper_up", "device", ce, "interface", "eth1")
		return pending == 0 && up > 0 && des >= 1 && eff == des && ifUp == 1,
			fmt.Sprintf("%v devices up; %s designed %v effective %v; %s eth1 up %v; sites %v", up, site, des, eff, ce, ifUp, m.match("vigie_sites"))
	})

	// Reload with an hour between polls; the new scheduler's first polls
	// of the CE and its aggregation router are minutes away (collector.firstDue).
	const slow = time.Hour
	for _, d := range []string{ce, agg} {
		h := fnv.New64a()
		_, _ = h.Write([]byte(d))
		if first := time.Duration(h.Sum64() % uint64(slow)); first < 5*time.Minute {
			t.Fatalf("%s's first poll after the reload comes %v after it: too soon to tell a notification's poll from it", d, first)
		}
	}
	if err := os.WriteFile(config, []byte(strings.Replace(string(orig), fast, "intervals: {collection: 1h, backbone: 1h, pfai: 1h, pfs: 1h}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := v.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the reloaded configuration running", func() (bool, string) {
		b, _ := os.ReadFile(v.log)
		n := strings.Count(string(b), "vigie started")
		return n == 2, fmt.Sprintf("%d starts in the log", n)
	})

	ctx := context.Background()
	measure := func(what string, cond func(m e2eMetrics) bool) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 30*time.Second {
			if cond(v.metrics()) {
				return time.Since(start)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b, _ := os.ReadFile(v.log)
		t.Fatalf("not within 30 s: %s\nvigie's log:\n%s", what, b)
		return 0
	}
	before := v.metrics()
	designed := before.value("vigie_site_protection_designed", "site", site)
	cutAt := time.Now()
	if err := l.Cut(ctx, Target{Kind: CutLink, Name: ce + ":eth1"}); err != nil {
		t.Fatal(err)
	}
	down := measure(site+"'s effective protection lower in vigie's /metrics", func(m e2eMetrics) bool {
		return m.value("vigie_site_protection_effective", "site", site) < designed &&
			m.value("vigie_interface_oper_up", "device", ce, "interface", "eth1") == 0
	})
	cutTook := time.Since(cutAt) - down
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	up := measure(site+"'s effective protection back in vigie's /metrics", func(m e2eMetrics) bool {
		return m.value("vigie_site_protection_effective", "site", site) == designed &&
			m.value("vigie_interface_oper_up", "device", ce, "interface", "eth1") == 1
	})
	after := v.metrics()
	t.Logf("poll interval %v: site %s's effective protection lower on /metrics %v after its access was cut (the cut itself took %v), back %v after the restore",
		slow, site, down.Round(10*time.Millisecond), cutTook.Round(10*time.Millisecond), up.Round(10*time.Millisecond))
	for _, typ := range []string{"linkDown", "linkUp"} {
		n := after.value("vigie_snmp_notifications_received_total", "type", typ) - before.value("vigie_snmp_notifications_received_total", "type", typ)
		t.Logf("%s notifications received: %v", typ, n)
		if n < 1 {
			t.Errorf("no %s notification received from the lab's snmpd", typ)
		}
	}
	for _, r := range []string{"unknown_source", "auth_failure", "decryption_failure", "unknown_user", "wrong_version", "malformed"} {
		if n := after.value("vigie_snmp_notifications_total", "result", r); n != 0 {
			t.Errorf("%v notifications dropped as %s: the lab's snmpd and vigie's inventory disagree", n, r)
		}
	}
}
