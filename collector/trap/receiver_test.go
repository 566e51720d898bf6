package trap

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/traptest"
	"github.com/vigie-rie/vigie/inventory"
)

const (
	v2Addr, v3Addr, v3NoPrivAddr, unknownAddr = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.99"
	community                                 = "s3cret-comm"
	user, authPass, privPass                  = "vigie-trap", "auth-pass-1234", "priv-pass-5678"
)

// testInventory has a v2c device, a v3 authPriv one and a v3 authNoPriv
// one, at three loopback addresses.
func testInventory() *inventory.Inventory {
	inv := &inventory.Inventory{
		Profiles: []inventory.SNMPProfile{
			{Name: "v2", Version: inventory.SNMPv2c, Community: inventory.NewSecret(community, "test")},
			{Name: "v3", Version: inventory.SNMPv3, Username: user, AuthProtocol: "SHA", PrivProtocol: "AES",
				AuthPassword: inventory.NewSecret(authPass, "test"), PrivPassword: inventory.NewSecret(privPass, "test")},
			{Name: "v3np", Version: inventory.SNMPv3, Username: user, AuthProtocol: "SHA256", PrivProtocol: "NONE",
				AuthPassword: inventory.NewSecret(authPass, "test")},
		},
	}
	for _, d := range []struct{ name, addr, profile string }{{"ce-v2", v2Addr, "v2"}, {"ce-v3", v3Addr, "v3"}, {"ce-v3np", v3NoPrivAddr, "v3np"}} {
		inv.Devices = append(inv.Devices, inventory.Device{Name: d.name, Role: inventory.RoleCollection,
			Address: netip.AddrPortFrom(netip.MustParseAddr(d.addr), 161), Profile: d.profile})
	}
	inv.Index()
	return inv
}

// polls records PollNow's requests.
type polls struct {
	mu    sync.Mutex
	names []string
}

func (p *polls) poll(name string) collector.Trigger {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = append(p.names, name)
	return collector.TriggerQueued
}

func (p *polls) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, x := range p.names {
		if x == name {
			n++
		}
	}
	return n
}

func startReceiver(t *testing.T, opts Options) (*Receiver, *polls, *logbuf.Buffer) {
	t.Helper()
	var logs logbuf.Buffer
	opts.Listen = "127.0.0.1:0"
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p := &polls{}
	v, err := r.View(testInventory(), p.poll)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(v)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r, p, &logs
}

func v3Auth(u, a, x string) []string {
	return []string{"-v", "3", "-u", u, "-l", "authPriv", "-a", "SHA", "-A", a, "-x", "AES", "-X", x}
}

// TestNotificationsFromNetSNMP: real snmptrap and snmpinform, each case
// counted under its result; accepted ones ask for a poll of their device,
// informs are acknowledged (snmpinform exits 0), dropped ones are not.
func TestNotificationsFromNetSNMP(t *testing.T) {
	r, p, logs := startReceiver(t, Options{})
	s := traptest.New(t, r.Addr().String())
	linkDown, lvb := traptest.LinkDown(3)
	bgpDown := "1.3.6.1.2.1.15.0.2"
	for _, tc := range []struct {
		name   string
		n      traptest.Notification
		result string
		device string // polled, when accepted
		typ    string
	}{
		{"v2c linkDown", traptest.Notification{From: v2Addr, Auth: []string{"-v", "2c", "-c", community}, TrapOID: linkDown, Varbinds: lvb},
			resultAccepted, "ce-v2", "linkDown"},
		{"v2c inform", traptest.Notification{From: v2Addr, Inform: true, Auth: []string{"-v", "2c", "-c", community}, TrapOID: bgpDown},
			resultAccepted, "ce-v2", "bgpBackwardTransNotification"},
		{"v1 coldStart", traptest.Notification{From: v2Addr, Auth: []string{"-v", "1", "-c", community},
			TrapOID: "1.3.6.1.4.1.8072.3.2.10", Varbinds: []string{"127.0.0.2", "0", "0", ""}},
			resultAccepted, "ce-v2", "coldStart"},
		{"v2c bad community", traptest.Notification{From: v2Addr, Auth: []string{"-v", "2c", "-c", "guess"}, TrapOID: linkDown, Varbinds: lvb},
			resultBadCommunity, "", ""},
		{"unknown source", traptest.Notification{From: unknownAddr, Auth: []string{"-v", "2c", "-c", community}, TrapOID: linkDown, Varbinds: lvb},
			resultUnknownSource, "", ""},
		{"v2c to a v3 device", traptest.Notification{From: v3Addr, Auth: []string{"-v", "2c", "-c", community}, TrapOID: linkDown, Varbinds: lvb},
			resultWrongVersion, "", ""},
		{"v3 authPriv trap", traptest.Notification{From: v3Addr, Auth: v3Auth(user, authPass, privPass), TrapOID: "1.3.6.1.6.3.1.1.5.4", Varbinds: lvb[:3]},
			resultAccepted, "ce-v3", "linkUp"},
		{"v3 authPriv inform", traptest.Notification{From: v3Addr, Inform: true, Auth: v3Auth(user, authPass, privPass), TrapOID: "1.3.6.1.4.1.9.9.187.0.2"},
			resultAccepted, "ce-v3", "cbgpBackwardTransition"},
		{"v3 authNoPriv SHA256 inform", traptest.Notification{From: v3NoPrivAddr, Inform: true,
			Auth: []string{"-v", "3", "-u", user, "-l", "authNoPriv", "-a", "SHA-256", "-A", authPass}, TrapOID: "1.3.6.1.2.1.15.7.1"},
			resultAccepted, "ce-v3np", "bgpEstablishedNotification"},
		{"v3 wrong auth password", traptest.Notification{From: v3Addr, Auth: v3Auth(user, "not-the-password", privPass), TrapOID: linkDown, Varbinds: lvb},
			resultAuthFailure, "", ""},
		{"v3 wrong privacy password", traptest.Notification{From: v3Addr, Auth: v3Auth(user, authPass, "not-the-privpass"), TrapOID: linkDown, Varbinds: lvb},
			resultDecryption, "", ""},
		{"v3 unknown user", traptest.Notification{From: v3Addr, Auth: v3Auth("mallory", authPass, privPass), TrapOID: linkDown, Varbinds: lvb},
			resultUnknownUser, "", ""},
		{"v3 noAuthNoPriv to an authPriv device", traptest.Notification{From: v3Addr, Auth: []string{"-v", "3", "-u", user, "-l", "noAuthNoPriv"}, TrapOID: linkDown, Varbinds: lvb},
			resultAuthFailure, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testutil.ToFloat64(r.m.results[tc.result])
			polled := 0
			if tc.device != "" {
				polled = p.count(tc.device)
			}
			var typeBefore float64
			if tc.typ != "" {
				typeBefore = testutil.ToFloat64(r.m.received[tc.typ])
			}
			out, err := s.Send(tc.n)
			if tc.n.Inform && tc.result == resultAccepted && err != nil {
				t.Fatalf("snmpinform was not acknowledged: %v\n%s\nlogs:\n%s", err, out, logs.String())
			}
			if !tc.n.Inform && err != nil {
				t.Fatalf("snmptrap: %v\n%s", err, out)
			}
			waitFor(t, "the notification counted as "+tc.result, func() bool { return testutil.ToFloat64(r.m.results[tc.result]) > before }, logs)
			if tc.device != "" {
				if got := p.count(tc.device); got != polled+1 {
					t.Errorf("%s polled %d more times, want 1", tc.device, got-polled)
				}
				if got := testutil.ToFloat64(r.m.received[tc.typ]); got != typeBefore+1 {
					t.Errorf("received{type=%s} went from %v to %v", tc.typ, typeBefore, got)
				}
			}
		})
	}
	// Dropped notifications asked for no poll: only accepted ones did.
	accepted := int(testutil.ToFloat64(r.m.results[resultAccepted]))
	p.mu.Lock()
	n := len(p.names)
	p.mu.Unlock()
	if n != accepted {
		t.Errorf("%d polls asked for %d accepted notifications", n, accepted)
	}
	if acks := testutil.ToFloat64(r.m.acks); acks != 3 {
		t.Errorf("%v informs acknowledged, want 3", acks)
	}
	if !strings.Contains(logs.String(), "ifindex=3") {
		t.Errorf("the linkDown's ifIndex is not in the debug line:\n%s", logs.String())
	}
	for _, word := range []string{"bad_community", "unknown_source", "auth_failure", "decryption_failure", "unknown_user"} {
		if !strings.Contains(logs.String(), "result="+word) {
			t.Errorf("no log line for %s:\n%s", word, logs.String())
		}
	}
	if strings.Contains(logs.String(), authPass) || strings.Contains(logs.String(), community) {
		t.Errorf("a secret is in the logs:\n%s", logs.String())
	}
}

// TestRateLimitPerSource: a flooding device is cut to its bucket while
// another device's notification still gets through and polls.
func TestRateLimitPerSource(t *testing.T) {
	r, p, logs := startReceiver(t, Options{Rate: 0.01, Burst: 3})
	s := traptest.New(t, r.Addr().String())
	linkDown, lvb := traptest.LinkDown(1)
	flood := traptest.Notification{From: v2Addr, Auth: []string{"-v", "2c", "-c", community}, TrapOID: linkDown, Varbinds: lvb}
	for range 6 {
		if out, err := s.Send(flood); err != nil {
			t.Fatalf("snmptrap: %v\n%s", err, out)
		}
	}
	waitFor(t, "3 accepted and 3 rate-limited", func() bool {
		return testutil.ToFloat64(r.m.results[resultAccepted]) == 3 && testutil.ToFloat64(r.m.results[resultRateLimited]) == 3
	}, logs)
	other := traptest.Notification{From: v3Addr, Auth: v3Auth(user, authPass, privPass), TrapOID: linkDown, Varbinds: lvb}
	if out, err := s.Send(other); err != nil {
		t.Fatalf("snmptrap: %v\n%s", err, out)
	}
	waitFor(t, "the other device's notification accepted", func() bool { return p.count("ce-v3") == 1 }, logs)
	if got := p.count("ce-v2"); got != 3 {
		t.Errorf("the flooding device asked %d polls, want 3 (its burst)", got)
	}
	if n := strings.Count(logs.String(), "result=rate_limited"); n != 1 {
		t.Errorf("%d log lines about the rate limit, want 1:\n%s", n, logs.String())
	}
}

func waitFor(t *testing.T, what string, cond func() bool, logs *logbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s\nlogs:\n%s", what, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
