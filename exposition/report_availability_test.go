package exposition

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAvailabilityReportBounds: a bad query is a 400 naming the parameter,
// and a report asked while another is computed is a 429, not a second
// walk of the whole history.
func TestAvailabilityReportBounds(t *testing.T) {
	a := api{reports: make(chan struct{}, maxReports)}
	get := func(q string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		a.serveAvailability(w, httptest.NewRequest(http.MethodGet, "/api/v1/reports/availability?"+q, nil))
		return w
	}
	if w := get("from=2026-11-01&to=2026-12-01&by=city"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `by \"city\" is not a grouping`) {
		t.Errorf("bad by: %d %s", w.Code, w.Body)
	}
	a.reports <- struct{}{} // one report running
	if w := get("from=2026-11-01&to=2026-12-01"); w.Code != http.StatusTooManyRequests {
		t.Errorf("second report at once: %d %s, want 429", w.Code, w.Body)
	}
}
