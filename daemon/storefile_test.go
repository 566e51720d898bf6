package daemon_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/demo"
	"github.com/vigie-rie/vigie/internal/demotest"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/topology/store"
)

// TestStoreDeletedWhileRunning: rm of the store file under a running
// daemon. vigie notices it at the next commit, says so in one log line
// naming the file, counts it, recreates the file from the copy it still
// has open, and goes on writing there: after a restart, the file holds
// every device and the changes made after the deletion.
func TestStoreDeletedWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a demo")
	}
	db := filepath.Join(t.TempDir(), "vigie.db")
	var logs logbuf.Buffer
	d, stop := demotest.Start(t, demo.Options{Sites: 30, Seed: 4, Interval: time.Second,
		Daemon: daemon.Options{DB: db, Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	metric := func(name string) float64 { v, _ := demotest.Gauge(t, d, name, nil); return v }
	demotest.Eventually(t, 30*time.Second, "every device polled and committed", func() bool {
		v, _ := demotest.Gauge(t, d, "vigie_collector_devices", map[string]string{"state": "pending"})
		return v == 0 && demotest.HistogramCount(t, d, "vigie_store_batch_duration_seconds") > 0
	})
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	// A change after the deletion, which must land in the new file.
	var link string
	for _, s := range d.Inventory.Sites {
		if a := s.Access[0]; a.Interface != "" && !a.ViaInternet {
			if err := d.Agent.SetLink(a.Device, a.Interface, false); err != nil {
				t.Fatal(err)
			}
			link = a.Device + ":" + a.Interface
			break
		}
	}
	demotest.Eventually(t, 30*time.Second, "the deleted file recreated", func() bool {
		_, err := os.Stat(db)
		return metric("vigie_store_file_recreated_total") == 1 && err == nil
	})
	if l := logs.String(); !strings.Contains(l, "store file was deleted while vigie ran") || !strings.Contains(l, db) {
		t.Errorf("no log line naming %s and what happened:\n%s", db, l)
	}
	demotest.Eventually(t, 30*time.Second, "the link down seen", func() bool {
		return strings.Contains(eventsText(d), link)
	})
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := d.Daemon.Topology().Sync(sctx); err != nil {
		t.Fatal(err)
	}
	stop()

	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatalf("reopening the recreated store: %v", err)
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Devices) != len(d.Inventory.Devices) {
		t.Errorf("the recreated file holds %d devices, want %d", len(snap.Devices), len(d.Inventory.Devices))
	}
	evs, err := st.Events(time.Time{}, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || e.Kind == "link_down" && strings.Contains(e.Subject+e.Detail, link)
	}
	if !found {
		t.Errorf("the link_down of %s, after the deletion, is not in the recreated file (%d events)", link, len(evs))
	}
}

// eventsText is the in-memory change log as text, for substring checks.
func eventsText(d *demo.Demo) string {
	var b strings.Builder
	for _, e := range d.Daemon.Topology().Events(time.Time{}, 10_000) {
		b.WriteString(string(e.Kind) + " " + e.Subject + " " + e.Detail + "\n")
	}
	return b.String()
}
