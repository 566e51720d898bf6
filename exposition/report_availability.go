package exposition

import (
	"bytes"
	"net/http"
	"time"

	"github.com/vigie-rie/vigie/topology/availability"
)

// maxReports is how many availability reports may be computed at once.
const maxReports = 1

// serveAvailability is GET /api/v1/reports/availability: the report
// `vigie report availability` prints from a stopped vigie's file, computed
// by the same code from the running vigie's store; open intervals end now.
func (a api) serveAvailability(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := availability.ParseQuery(v.Get("from"), v.Get("to"), v.Get("by"), v.Get("format"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	select {
	case a.reports <- struct{}{}:
		defer func() { <-a.reports }()
	default:
		writeError(w, http.StatusTooManyRequests, "an availability report is already being computed; retry shortly")
		return
	}
	st := a.t.Options().Store
	if st == nil {
		writeError(w, http.StatusNotFound, "this vigie keeps no store (agent.db or --db), so no availability history: set one and restart")
		return
	}
	rep, err := availability.Compute(st, a.t.Inventory(), q, time.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var b bytes.Buffer
	if err := availability.Write(&b, rep, q.Format); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", availability.ContentType(q.Format))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}
