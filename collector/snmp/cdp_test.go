package snmp

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// cdpVars is a cdpCacheTable row (CISCO-CDP-MIB) for ifIndex.devIndex.
func cdpVars(ifIndex, devIndex, devID, port, platform string, addr []byte) []gosnmp.SnmpPDU {
	idx := "." + ifIndex + "." + devIndex
	return []gosnmp.SnmpPDU{
		integer(oidCdpCacheAddressType+idx, cdpAddressIP),
		{Name: oidCdpCacheAddress + idx, Type: gosnmp.OctetString, Value: addr},
		str(oidCdpCacheDeviceID+idx, devID), str(oidCdpCacheDevicePort+idx, port), str(oidCdpCachePlatform+idx, platform),
	}
}

// TestCDP: the cache is decoded (address, local port by ifIndex, NX-OS
// serial dropped by CDPHostname); a device is first asked in its second
// poll; one without CISCO-CDP-MIB then every cdpRetryPolls polls; one that
// showed a neighbour at every poll, even when its cache empties.
func TestCDP(t *testing.T) {
	base := healthyMIB()
	withCDP := append(slices.Clone([]gosnmp.SnmpPDU(base)), cdpVars("2", "1", "pe-paris-1(FOX1234ABCD)", "GigabitEthernet0/0/1", "cisco ASR1001-X", []byte{10, 0, 0, 1})...)
	withCDP = append(withCDP, cdpVars("3", "7", "sw-lan.rie.gouv.fr", "Gi1/0/24", "cisco WS-C2960X", []byte{10, 0, 0, 9})...)
	f := startFakeAgent(t, base)
	var mu sync.Mutex
	asked := false
	f.set(nil, func(req *gosnmp.SnmpPacket, normal []byte) []byte {
		for _, v := range req.Variables {
			if strings.HasPrefix(v.Name, oidCdpCacheEntry) {
				mu.Lock()
				asked = true
				mu.Unlock()
			}
		}
		return normal
	})
	p := newTestPoller(t, 1)
	tg := fakeTarget(f)
	st := NewDeviceState()
	poll := func(name string) (*Poll, bool) {
		t.Helper()
		mu.Lock()
		asked = false
		mu.Unlock()
		res := p.Poll(context.Background(), tg, st)
		if res.Err != nil || len(res.Problems) > 0 {
			t.Fatalf("%s: err %v problems %v", name, res.Err, res.Problems)
		}
		mu.Lock()
		defer mu.Unlock()
		return res, asked
	}
	if res, a := poll("first poll"); a || res.CDP != nil {
		t.Fatalf("first poll: asked %v, CDP %v; want not asked", a, res.CDP)
	}
	if res, a := poll("no CDP, second poll"); !a || res.CDP == nil || len(res.CDP) != 0 {
		t.Fatalf("no CDP, second poll: asked %v, CDP %v; want asked and an empty table", a, res.CDP)
	}
	for i := range cdpRetryPolls {
		if res, a := poll("no CDP, later poll"); a || res.CDP != nil {
			t.Fatalf("no CDP, poll %d after: asked %v, CDP %v; want not asked", i+1, a, res.CDP)
		}
	}
	f.set(newStaticMIB(withCDP...), f.respond)
	res, a := poll("CDP after the retry")
	if !a {
		t.Fatal("the CDP table was not asked again after cdpRetryPolls polls")
	}
	want := []CDPNeighbor{
		{IfIndex: 2, LocalPort: "eth2", DeviceID: "pe-paris-1(FOX1234ABCD)", Port: "GigabitEthernet0/0/1", Address: netip.MustParseAddr("10.0.0.1"), Platform: "cisco ASR1001-X"},
		{IfIndex: 3, LocalPort: "eth3", DeviceID: "sw-lan.rie.gouv.fr", Port: "Gi1/0/24", Address: netip.MustParseAddr("10.0.0.9"), Platform: "cisco WS-C2960X"},
	}
	if !slices.Equal(res.CDP, want) {
		t.Errorf("CDP neighbours:\n got %+v\nwant %+v", res.CDP, want)
	}
	if got := CDPHostname(res.CDP[0].DeviceID); got != "pe-paris-1" {
		t.Errorf("CDPHostname(%q) = %q, want pe-paris-1", res.CDP[0].DeviceID, got)
	}
	// The cache empties (the neighbour went): still read at every poll.
	f.set(base, f.respond)
	for range 3 {
		if res, a := poll("CDP device, cache empty"); !a || res.CDP == nil {
			t.Fatalf("a device that showed CDP: asked %v, table %v; want read at every poll", a, res.CDP)
		}
	}
}
