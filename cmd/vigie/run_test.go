package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestReloadKeepsRunningOnInvalidInventory: SIGHUP with a broken file is
// refused with the reason and the daemon keeps running; a valid file
// replaces it; cancelling stops it cleanly.
func TestReloadKeepsRunningOnInvalidInventory(t *testing.T) {
	inv := sim.Generate(sim.GenerateOptions{Sites: 5, Seed: 1})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var loads int
	var mu sync.Mutex
	load := func() (*inventory.Inventory, error) {
		mu.Lock()
		defer mu.Unlock()
		loads++
		if loads == 1 {
			return nil, errors.New("vigie.yml:3: devices[0].role: unknown role \"core\"")
		}
		return sim.Generate(sim.GenerateOptions{Sites: 6, Seed: 1}), nil
	}
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runReloading(ctx, inv, load, hup, daemon.Options{ListenAddresses: []string{addr}, DB: "-", Logger: logger}, logger)
	}()
	waitLog := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(logs.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line %q within 15 s; logs:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitLog("vigie started")
	hup <- os.Interrupt // any signal value: runReloading only counts them
	waitLog("reload refused")
	if !strings.Contains(logs.String(), `unknown role \"core\"`) {
		t.Errorf("the refusal does not say why; logs:\n%s", logs.String())
	}
	select {
	case err := <-done:
		t.Fatalf("runReloading returned %v after an invalid reload; it must keep running", err)
	case <-time.After(500 * time.Millisecond):
	}
	hup <- os.Interrupt
	waitLog("reloading the inventory")
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(logs.String(), "vigie started") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not restart with the new inventory; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runReloading after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runReloading did not stop within 30 s of cancel")
	}
}

func TestParseMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "900MiB", want: 900 << 20},
		{in: "2GiB", want: 2 << 30},
		{in: "off", want: -1},
		{in: "0MiB", bad: true},
		{in: "900", bad: true},
		{in: "900MB", bad: true},
		{in: "-5GiB", bad: true},
		{in: "99999999999GiB", bad: true},
	} {
		got, err := parseMemoryLimit(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
