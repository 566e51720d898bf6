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

// seriesWith returns the value of the one series of family whose labels
// hold every one of want (`k="v"` each), and whether there is one.
func seriesWith(m map[string]map[string]float64, family string, want ...string) (float64, bool) {
next:
	for labels, v := range m[family] {
		for _, w := range want {
			if !strings.Contains(","+labels+",", ","+w+",") {
				continue next
			}
		}
		return v, true
	}
	return 0, false
}

// gaugeIn returns the value of the one series of family in m with labels
// (seriesWith), -1 when there is none.
func gaugeIn(m map[string]map[string]float64, family string, labels ...string) float64 {
	if v, ok := seriesWith(m, family, labels...); ok {
		return v
	}
	return -1
}

// TestNOCSeriesThroughRun: what the NOC's dashboards read from `vigie run`
// over a simulated RIE with an overseas territory. A site's
// vigie_site_state_since_seconds moves to the time its only access is cut
// (isolated since then) and again when it is restored, and another site's
// stays; vigie_transoceanic_link_up shows each cable of the territory up,
// then 0 for the one cut.
func TestNOCSeriesThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	bin := buildVigie(t)
	inv := fastInventory(24, 20)
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 20})
	var site, other *inventory.Site
	for i := range inv.Sites {
		s := &inv.Sites[i]
		switch {
		case site == nil && len(s.Access) == 1 && s.Access[0].Router != "":
			site = s
		case other == nil && len(s.Access) > 1:
			other = s
		}
	}
	var cables []inventory.Link
	for _, l := range inv.Links {
		if l.Technology == inventory.TechTransoceanic {
			cables = append(cables, l)
		}
	}
	if site == nil || other == nil || len(cables) == 0 {
		t.Fatalf("the simulated RIE needs a single-homed site, a multi-homed one and a transoceanic link (got %v, %v, %d)", site, other, len(cables))
	}
	cableOf := func(l inventory.Link) string {
		return l.A.Device + ":" + l.A.Interface + "--" + l.B.Device + ":" + l.B.Interface
	}

	port := freeport.TCP(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var stderr logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &stderr, &stderr, stderr.String,
		"run", "--config", writeConfig(t, t.TempDir(), inv), "--db", "-", "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	siteL, otherL := fmt.Sprintf("site=%q", site.ID), fmt.Sprintf("site=%q", other.ID)
	var m map[string]map[string]float64
	state := func(label string) (isolated, since float64) {
		isolated, ok1 := seriesWith(m, "vigie_site_isolated", label)
		since, ok2 := seriesWith(m, "vigie_site_state_since_seconds", label)
		if !ok1 || !ok2 {
			return -1, -1
		}
		return isolated, since
	}
	vigie.waitFor(60*time.Second, "every cable up and "+site.ID+" connected, dated", func() bool {
		m = scrape(url)
		for _, c := range cables {
			if v, ok := seriesWith(m, "vigie_transoceanic_link_up", fmt.Sprintf("link=%q", cableOf(c))); !ok || v != 1 {
				return false
			}
		}
		iso, _ := state(siteL)
		return iso == 0
	})
	// Each cable is labelled with the overseas region it serves.
	for _, c := range cables {
		var region string
		for _, r := range inv.Regions {
			for _, d := range []string{c.A.Device, c.B.Device} {
				if dev := inv.Device(d); dev != nil && r.Overseas && inv.DeviceRegion(dev) == r.ID {
					region = r.ID
				}
			}
		}
		if _, ok := seriesWith(m, "vigie_transoceanic_link_up", fmt.Sprintf("link=%q", cableOf(c)), fmt.Sprintf("region=%q", region)); region == "" || !ok {
			t.Errorf("cable %s: no series labelled with its overseas region %q", cableOf(c), region)
		}
	}
	_, otherSince := state(otherL)

	cutAt := time.Now().Unix()
	access := "link:" + site.Access[0].Router + "--" + site.Access[0].Device
	if _, err := agent.Cut(access); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(60*time.Second, site.ID+" isolated once its access is cut", func() bool {
		m = scrape(url)
		iso, _ := state(siteL)
		return iso == 1
	})
	_, since := state(siteL)
	if now := time.Now().Unix(); since < float64(cutAt) || since > float64(now) {
		t.Errorf("%s isolated since %v, want between the cut (%d) and now (%d)", site.ID, since, cutAt, now)
	}
	if _, s := state(otherL); s != otherSince {
		t.Errorf("%s, untouched, dated %v after the cut, %v before", other.ID, s, otherSince)
	}

	cable := cables[0]
	if _, err := agent.Cut("link:" + cable.A.Device + "--" + cable.B.Device); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(60*time.Second, "the cut cable 0 in vigie_transoceanic_link_up", func() bool {
		m = scrape(url)
		v, ok := seriesWith(m, "vigie_transoceanic_link_up", fmt.Sprintf("link=%q", cableOf(cable)))
		return ok && v == 0
	})

	restoredAt := time.Now().Unix()
	if _, err := agent.Restore(access); err != nil {
		t.Fatal(err)
	}
	vigie.waitFor(60*time.Second, site.ID+" connected again once its access is restored", func() bool {
		m = scrape(url)
		iso, _ := state(siteL)
		return iso == 0
	})
	if _, s := state(siteL); s < float64(restoredAt) {
		t.Errorf("%s connected again since %v, want at or after the repair (%d)", site.ID, s, restoredAt)
	}
	if _, err := vigie.stop(stopBound); err != nil {
		t.Errorf("vigie run: %v\n%s", err, stderr.String())
	}
}
