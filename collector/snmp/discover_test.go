package snmp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestLocalKeysAsGosnmp: the keys vigie localises for a discovered engine
// are the ones gosnmp's InitSecurityKeys derives, octet for octet, for
// every authentication protocol and the privacy protocols a profile may
// name (AES through the short path, the others through gosnmp).
func TestLocalKeysAsGosnmp(t *testing.T) {
	const engine = "\x80\x00\x1f\x88\x80\x12\x34\x56\x78\x9a\xbc\xde"
	auths := []gosnmp.SnmpV3AuthProtocol{gosnmp.MD5, gosnmp.SHA, gosnmp.SHA224, gosnmp.SHA256, gosnmp.SHA384, gosnmp.SHA512}
	privs := []gosnmp.SnmpV3PrivProtocol{gosnmp.NoPriv, gosnmp.DES, gosnmp.AES, gosnmp.AES192, gosnmp.AES256, gosnmp.AES192C, gosnmp.AES256C}
	for _, ap := range auths {
		for _, pp := range privs {
			t.Run(fmt.Sprintf("%v-%v", ap, pp), func(t *testing.T) {
				want := &gosnmp.UsmSecurityParameters{AuthenticationProtocol: ap, AuthenticationPassphrase: "auth-pass-1",
					PrivacyProtocol: pp, PrivacyPassphrase: "priv-pass-2", AuthoritativeEngineID: engine}
				if err := want.InitSecurityKeys(); err != nil {
					t.Fatal(err)
				}
				auth, priv, err := localKeys(ap, "auth-pass-1", pp, "priv-pass-2", engine)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(auth, want.SecretKey) || !bytes.Equal(priv, want.PrivacyKey) {
					t.Errorf("keys %x / %x, gosnmp's %x / %x", auth, priv, want.SecretKey, want.PrivacyKey)
				}
			})
		}
	}
}

// TestV3DiscoveryAllocatesLittle: the first poll of an SNMPv3 device
// discovers its engine and localises its keys. gosnmp's own discovery
// hashed 1 MiB more per engine for AES (and allocated 2 MB doing it): over
// the RIE's ~2,000 v3 devices, 3.9 GB in the daemon's first minute. Each
// device of the simulated fleet has its own engine: polling new ones must
// cost well under that per device, and every poll must succeed.
func TestV3DiscoveryAllocatesLittle(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Seed: 5, Sites: 12})
	simtest.Serve(t, inv, snmpagent.Options{Seed: 5, Sockets: 1, Logger: slog.New(slog.DiscardHandler)})
	var tgs []*Target
	for i := range inv.Devices {
		d := inv.Devices[i]
		d.Profile = sim.ProfileV3
		tg, err := NewTarget(&d, inv.Profile(sim.ProfileV3), inventory.Polling{})
		if err != nil {
			t.Fatal(err)
		}
		if tg.PrivProtocol != gosnmp.AES {
			t.Fatalf("the simulated fleet's v3 profile uses %v, want AES: the test would not exercise the short path", tg.PrivProtocol)
		}
		tg.Tables = 0 // the system group only: what is measured is the discovery
		tgs = append(tgs, tg)
	}
	const devices = 8
	if len(tgs) < devices+1 {
		t.Fatalf("%d devices in the simulated fleet, want %d", len(tgs), devices+1)
	}
	p := newTestPoller(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The first one pays for the passwords' master keys, cached per password.
	seen := map[string]bool{}
	poll := func(tg *Target) {
		st := NewDeviceState()
		if r := p.Poll(ctx, tg, st); r.Err != nil {
			t.Fatalf("%s: %v", tg.Device, r.Err)
		}
		if st.EngineID() == "" || seen[st.EngineID()] {
			t.Fatalf("%s: engine %x learnt, want a new one", tg.Device, st.EngineID())
		}
		seen[st.EngineID()] = true
	}
	poll(tgs[0])
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, tg := range tgs[1 : devices+1] {
		poll(tg)
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / devices
	t.Logf("%d bytes allocated per first poll of a v3 device (simulated agent included)", per)
	if per > 512<<10 {
		t.Errorf("%d bytes allocated per first poll of a v3 device: the keys are hashed per engine again", per)
	}
}
