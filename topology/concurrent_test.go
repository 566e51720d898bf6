package topology

import (
	"sync"
	"testing"
	"time"
)

// TestConcurrentReaders applies polls while every published snapshot is
// read, so that the race detector (go test -race) sees writer and readers
// overlap. Bounded: 20 rounds, 4 readers.
func TestConcurrentReaders(t *testing.T) {
	h := newHarness(t, Options{Debounce: 1})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 500; n++ {
				select {
				case <-stop:
					return
				default:
				}
				switch (i + n) % 4 {
				case 0:
					if s := h.topo.Snapshot(); len(s.Nodes) == 0 {
						t.Error("snapshot without nodes")
					}
				case 1:
					if len(h.topo.SiteLinks("S2")) == 0 {
						t.Error("S2 without access links")
					}
					_ = h.topo.Analysis().Site("S2")
				case 2:
					_ = h.topo.Events(time.Time{}, 10)
					_ = h.topo.Routing()
				case 3:
					if release, ok := h.topo.AcquireWhatIf(); ok {
						if _, err := h.topo.WhatIf([]string{"internet"}); err != nil {
							t.Errorf("what-if: %v", err)
						}
						release()
					}
				}
				_ = h.topo.Counts()
				if _, err := h.reg.Gather(); err != nil {
					t.Errorf("gather: %v", err)
				}
			}
		}()
	}
	for r := range 20 {
		if r%2 == 0 {
			h.down["agg-lyon-1:ge2"] = true
		} else {
			delete(h.down, "agg-lyon-1:ge2")
		}
		h.round()
	}
	close(stop)
	wg.Wait()
}
