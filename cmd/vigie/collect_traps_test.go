package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/natstest"
	"github.com/vigie-rie/vigie/internal/traptest"
	"github.com/vigie-rie/vigie/inventory"
)

// TestNotificationsAtCollector: `vigie collect --snmp.trap-listen-address`
// with an hour-long poll interval receives real snmptrap notifications
// from its own devices. A coldStart from a CE polls it at once and the
// central shows its access up; the access cut in the simulator, the CE's
// linkDown lowers the site's effective protection at the central, long
// before any regular poll. A notification from another collector's device
// is counted as from an unknown source, on the collector's /metrics.
func TestNotificationsAtCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server, a collector and a central")
	}
	traptest.Require(t)
	f := newDistFleet(t, 8, 5, natstest.Options{})
	for r := range f.inv.Polling.Intervals {
		f.inv.Polling.Intervals[r] = trapInterval
	}
	f.config = writeConfig(t, t.TempDir(), f.inv)

	// A site with two accesses whose CE and access device the scheduler
	// would not poll within ten minutes of start.
	var site *inventory.Site
	var ifName string
	var ifIndex int
	for i := range f.inv.Sites {
		s := &f.inv.Sites[i]
		if len(s.Access) < 2 || s.Access[0].Router == "" || s.Access[0].RouterInterface == "" ||
			firstPollAfter(s.Access[0].Router) < 10*time.Minute || firstPollAfter(s.Access[0].Device) < 10*time.Minute {
			continue
		}
		info, err := f.agent.Device(s.Access[0].Router)
		if err != nil {
			t.Fatal(err)
		}
		for _, ii := range info.Interfaces {
			if ii.Name == s.Access[0].RouterInterface {
				site, ifName, ifIndex = s, ii.Name, ii.IfIndex
			}
		}
		if site != nil {
			break
		}
	}
	if site == nil {
		t.Fatal("the simulated fleet has no dual-access site polled late")
	}
	ce := f.inv.Device(site.Access[0].Router)
	name := f.inv.CollectorOf(ce)
	var stranger *inventory.Device
	for i := range f.inv.Devices {
		if f.inv.CollectorOf(&f.inv.Devices[i]) != name {
			stranger = &f.inv.Devices[i]
			break
		}
	}
	if stranger == nil {
		t.Fatalf("every device is %s's", name)
	}

	central, centralURL := f.run(t, "central-a")
	trapPort := freeUDP(t)
	coll, collURL := f.collect(t, name, "--snmp.trap-listen-address", fmt.Sprintf("127.0.0.1:%d", trapPort))
	send := traptest.New(t, fmt.Sprintf("127.0.0.1:%d", trapPort))
	mustSend := func(n traptest.Notification) {
		t.Helper()
		if out, err := send.Send(n); err != nil {
			t.Fatalf("%v\n%s\ncollector's logs:\n%s", err, out, coll.logs())
		}
	}
	coll.waitFor(30*time.Second, "the collector receiving notifications, with its counters", func() bool {
		m := scrape(collURL)
		return m["vigie_snmp_notifications_total"] != nil && strings.Contains(coll.logs(), "receiving SNMP notifications")
	})
	var m map[string]map[string]float64
	ifUp := func() (float64, bool) {
		v, ok := ofDevice(m, "vigie_interface_oper_up", ce.Name)[ifName]
		return v, ok
	}
	effective := func() (float64, bool) {
		return seriesWith(m, "vigie_site_protection_effective", fmt.Sprintf("site=%q", site.ID))
	}
	central.waitFor(30*time.Second, "the central answering", func() bool {
		m = scrape(centralURL)
		return m != nil
	})
	if _, ok := ifUp(); ok {
		t.Fatalf("%s polled before any notification: the test cannot tell the notification's poll from a regular one", ce.Name)
	}

	mustSend(traptest.Notification{From: ce.Address.Addr().String(), Auth: simAuth(f.inv, ce, false), TrapOID: "1.3.6.1.6.3.1.1.5.1"})
	var before float64
	central.waitFor(20*time.Second, ce.Name+" polled after its coldStart, seen at the central", func() bool {
		m = scrape(centralURL)
		up, ok := ifUp()
		eff, ok2 := effective()
		before = eff
		return ok && up == 1 && ok2
	})

	if err := f.agent.SetLink(ce.Name, ifName, false); err != nil {
		t.Fatal(err)
	}
	ld, vb := traptest.LinkDown(ifIndex)
	sent := time.Now()
	mustSend(traptest.Notification{From: ce.Address.Addr().String(), Auth: simAuth(f.inv, ce, false), TrapOID: ld, Varbinds: vb})
	central.waitFor(20*time.Second, site.ID+"'s effective protection lower at the central after the linkDown", func() bool {
		m = scrape(centralURL)
		up, _ := ifUp()
		eff, _ := effective()
		return up == 0 && eff < before
	})
	t.Logf("%s: linkDown to the collector, seen at the central within %v (poll interval %v)", site.ID,
		time.Since(sent).Round(10*time.Millisecond), trapInterval)

	mustSend(traptest.Notification{From: stranger.Address.Addr().String(), Auth: simAuth(f.inv, stranger, false), TrapOID: ld, Varbinds: vb})
	var cm map[string]map[string]float64
	coll.waitFor(20*time.Second, "the collector counting its notifications", func() bool {
		cm = scrape(collURL)
		return cm["vigie_snmp_notifications_total"][`result="unknown_source"`] == 1
	})
	if v := cm["vigie_snmp_notifications_total"][`result="accepted"`]; v != 2 {
		t.Errorf("collector: %v notifications accepted, want the coldStart and the linkDown", v)
	}
	if v := cm["vigie_snmp_notifications_received_total"][`type="linkDown"`]; v != 1 {
		t.Errorf("collector: received{type=linkDown} = %v, want 1", v)
	}
	if _, ok := scrape(centralURL)["vigie_snmp_notifications_total"]; ok {
		t.Errorf("the central exposes notification counters: they belong to the collector that receives them")
	}
	if _, err := coll.stop(stopBound); err != nil {
		t.Errorf("vigie collect exited with %v after SIGTERM\n%s", err, coll.logs())
	}
}
