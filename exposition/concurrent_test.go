package exposition

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-rie/vigie/topology"
)

// TestConcurrentReaders applies polls while API requests and scrapes (the
// topology's collector and text families) run,
// so that the race detector (go test -race) sees writer and readers
// overlap. Bounded: 20 rounds, 4 readers.
func TestConcurrentReaders(t *testing.T) {
	h := newHarness(t, topology.Options{Debounce: 1})
	api := newAPI(h.topo)
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
				var path, body, method = "/api/v1/topology", "", "GET"
				switch (i + n) % 4 {
				case 1:
					path = "/api/v1/sites/S2"
				case 2:
					path = "/api/v1/events?limit=10"
				case 3:
					path, body, method = "/api/v1/whatif", `{"fail":["internet"]}`, "POST"
				}
				rec := httptest.NewRecorder()
				api.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
				if rec.Code >= 500 {
					t.Errorf("%s %s: %d", method, path, rec.Code)
				}
				if _, err := h.gatherer().Gather(); err != nil {
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
