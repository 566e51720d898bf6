package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const killChildEnv = "VIGIE_STORE_KILL_CHILD"

// TestKillChild is the child half of TestKill9: it writes batches in a loop
// and prints the number of each committed batch. It does nothing unless
// re-executed by TestKill9.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("child of TestKill9 only")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	deadline := time.Now().Add(30 * time.Second) // bounded even if never killed
	for n := 1; time.Now().Before(deadline); n++ {
		for i := range 200 {
			s.PutLink(Link{ID: fmt.Sprintf("link-%03d", i), State: "up", Sources: []string{"declared"}, LLDPMissed: n})
		}
		s.PutDevice(Device{Name: "batch", Polls: uint64(n)})
		for i := range 20 {
			s.AddEvent(Event{Time: time.Now(), Kind: "link_up", Subject: fmt.Sprintf("%d/%d", n, i)})
		}
		if err := s.Flush(); err != nil {
			fmt.Println("flush:", err)
			os.Exit(4)
		}
		fmt.Println("committed", n)
	}
	os.Exit(0)
}

// TestKill9 kills a writer with SIGKILL in the middle of its batches, as
// bbolt's own robustness tests do, and checks that the file reopens, passes
// the consistency check (Open runs it) and holds at least the last batch
// the child reported committed.
func TestKill9(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "vigie.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		sc := bufio.NewScanner(out)
		last := 0
		// Kill after a number of batches that varies per round, so the
		// signal lands at different points of the write.
		target := 20 + 37*round
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "committed "); ok {
				last, _ = strconv.Atoi(n)
				if last >= target {
					break
				}
			} else if strings.HasPrefix(line, "open:") || strings.HasPrefix(line, "flush:") {
				t.Fatalf("child: %s", line)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if last < target {
			t.Fatalf("round %d: child stopped at batch %d before being killed", round, last)
		}

		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		snap, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		var polls uint64
		for _, d := range snap.Devices {
			if d.Name == "batch" {
				polls = d.Polls
			}
		}
		if polls < uint64(last) {
			t.Errorf("round %d: store holds batch %d, child had committed %d", round, polls, last)
		}
		if len(snap.Links) != 200 {
			t.Errorf("round %d: %d links, want 200", round, len(snap.Links))
		}
		for _, l := range snap.Links {
			// A batch is all or nothing: every link carries the same batch number.
			if uint64(l.LLDPMissed) != polls {
				t.Errorf("round %d: link %s from batch %d, device from batch %d: a torn batch", round, l.ID, l.LLDPMissed, polls)
				break
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after batch %d, store holds batch %d", round, last, polls)
	}
}
