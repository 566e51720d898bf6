package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/demo"
	"github.com/vigie-rie/vigie/internal/demotest"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/storetest"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
)

const (
	fullDiskChildEnv = "VIGIE_T_FULLDISK_DIR"
	parentMountNSEnv = "VIGIE_T_PARENT_MOUNT_NS"
)

// TestFullDisk runs TestFullDiskChild in a private mount namespace (Go's
// Unshareflags CLONE_NEWNS also makes every mount private, as unshare(1)
// does), where it mounts a small tmpfs for the store: nothing is ever
// mounted in the machine's own namespace. It needs CAP_SYS_ADMIN.
func TestFullDisk(t *testing.T) {
	if os.Getenv(fullDiskChildEnv) != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("runs a demo in a child process")
	}
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFullDiskChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fullDiskChildEnv+"="+dir, parentMountNSEnv+"="+ns)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	var perr *os.PathError
	if errors.As(err, &perr) && errors.Is(perr.Err, syscall.EPERM) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot create a mount namespace (%v): run the tests as root or with CAP_SYS_ADMIN", err)
		}
		t.Skipf("cannot create a mount namespace (%v): needs root or CAP_SYS_ADMIN", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFullDiskChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
	// The tmpfs lived and died with the child's namespace.
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), dir) {
		t.Errorf("%s is mounted in the test's own namespace: the private namespace leaked", dir)
	}
}

// TestFullDiskChild: with the store on a tmpfs that fills up, vigie keeps
// polling and serving /metrics, reports the failure (one log line,
// vigie_store_write_errors_total, vigie_store_pending_changes), and once
// space is freed writes the held batch: every event it served while the
// disk was full is in the file afterwards.
func TestFullDiskChild(t *testing.T) {
	dir := os.Getenv(fullDiskChildEnv)
	if dir == "" {
		t.Skip("child of TestFullDisk only")
	}
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil || ns == os.Getenv(parentMountNSEnv) {
		t.Fatalf("not in a private mount namespace (%s, parent %s, %v): refusing to mount", ns, os.Getenv(parentMountNSEnv), err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=4m,mode=0700"); err != nil {
		t.Fatalf("mounting a tmpfs on %s: %v", dir, err)
	}
	defer func() { _ = syscall.Unmount(dir, 0) }()
	db := filepath.Join(dir, "vigie.db")
	var logs logbuf.Buffer
	d, stop := demotest.Start(t, demo.Options{Sites: 40, Seed: 9, Interval: time.Second,
		Daemon: daemon.Options{DB: db, Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	metric := func(name string, labels map[string]string) float64 {
		v, _ := demotest.Gauge(t, d, name, labels)
		return v
	}
	polls := func() float64 { return metric("vigie_collector_polls_total", map[string]string{"result": "success"}) }
	demotest.Eventually(t, 30*time.Second, "every device polled and a first batch committed", func() bool {
		return metric("vigie_collector_devices", map[string]string{"state": "pending"}) == 0 &&
			metric("vigie_collector_devices", map[string]string{"state": "up"}) > 0 &&
			demotest.HistogramCount(t, d, "vigie_store_batch_duration_seconds") > 0
	})

	// Fill the disk.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0xff}, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v", err)
			}
			break
		}
	}
	filler.Close()
	// Changes that must be written: access links down.
	var downed []string
	for _, s := range d.Inventory.Sites {
		for _, a := range s.Access {
			if a.Interface != "" && !a.ViaInternet && len(downed) < 3 {
				if err := d.Agent.SetLink(a.Device, a.Interface, false); err != nil {
					t.Fatal(err)
				}
				downed = append(downed, a.Device+":"+a.Interface)
			}
		}
	}
	demotest.Eventually(t, 30*time.Second, "the write failure reported (metric and log)", func() bool {
		return metric("vigie_store_write_errors_total", nil) > 0 && metric("vigie_store_pending_changes", nil) > 0 &&
			strings.Contains(logs.String(), "store write failed")
	})
	if !strings.Contains(logs.String(), "no space left on device") || !strings.Contains(logs.String(), db) {
		t.Errorf("the log does not say the disk is full and which file:\n%s", logs.String())
	}
	// Still polling and serving while full.
	p0 := polls()
	demotest.Eventually(t, 30*time.Second, "a full round of polls while the disk is full", func() bool {
		return polls()-p0 >= float64(len(d.Inventory.Devices))
	})
	srv := httptest.NewServer(d.Daemon.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(body.String(), "vigie_store_write_errors_total") {
		t.Fatalf("/metrics while the disk is full: %d, %d bytes", resp.StatusCode, body.Len())
	}
	var served struct{ Events []topology.Event }
	resp, err = srv.Client().Get(srv.URL + "/api/v1/events?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	downEvents := 0
	for _, e := range served.Events {
		if e.Kind == topology.EventKind("link_down") {
			downEvents++
		}
	}
	if downEvents == 0 {
		t.Fatalf("no link_down event served while the disk was full (downed %v): nothing to check in the file", downed)
	}
	held := metric("vigie_store_pending_changes", nil)
	errs := metric("vigie_store_write_errors_total", nil)

	// Space returns: the held batch is written.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	demotest.Eventually(t, 30*time.Second, "the held batch committed", func() bool {
		return metric("vigie_store_pending_changes", nil) == 0 && strings.Contains(logs.String(), "store writes recovered")
	})
	t.Logf("disk full: %v failed commits, %v changes held; recovered", errs, held)
	stop()

	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatalf("reopening the store: %v", err)
	}
	defer st.Close()
	missing, _, err := storetest.MissingEvents(st, served.Events)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range missing {
		t.Errorf("event served while the disk was full is not in the file: %+v", e)
	}
	if got := metricDropped(t, d); got != 0 {
		t.Errorf("vigie_store_dropped_events_total = %v, want 0", got)
	}
}

func metricDropped(t *testing.T, d *demo.Demo) float64 {
	v, _ := demotest.Gauge(t, d, "vigie_store_dropped_events_total", nil)
	return v
}
