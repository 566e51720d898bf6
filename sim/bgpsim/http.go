package bgpsim

// http.go is the fleet's control endpoint, mounted by `vigie demo` under
// /sim/bgp/: break BGP while vigie watches.

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Handler serves the fleet's controls, with paths relative to where it is
// mounted (the demo strips "/sim/bgp"):
//
//	GET  /                                   the speakers, as JSON
//	POST /default/{device}?state=withdrawn   withdraw (state=announced: restore) an edge's default route
//	POST /site/{site}?state=withdrawn        withdraw (or restore) a site's prefixes
//	POST /interconnect/{id}?state=withdrawn  withdraw (or restore) a partner's prefix in its VRF
//	POST /reset/{device}                     reset a speaker's sessions
//	POST /stop/{device}, /start/{device}     shut a speaker down, bring it back
//
// It takes no address and no credential from the request: only names of
// the simulated inventory.
func (f *Fleet) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.Speakers())
	})
	withState := func(set func(name string, withdrawn bool) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var withdrawn bool
			switch st := r.URL.Query().Get("state"); st {
			case "withdrawn":
				withdrawn = true
			case "announced":
			default:
				http.Error(w, fmt.Sprintf("state=%q: want state=withdrawn or state=announced", st), http.StatusBadRequest)
				return
			}
			reply(w, set(r.PathValue("name"), withdrawn))
		}
	}
	mux.HandleFunc("POST /default/{name}", withState(f.WithdrawDefault))
	mux.HandleFunc("POST /site/{name}", withState(f.WithdrawSite))
	mux.HandleFunc("POST /interconnect/{name}", withState(f.WithdrawInterconnect))
	for path, act := range map[string]func(string) error{"reset": f.ResetSession, "stop": f.Stop, "start": f.Start} {
		mux.HandleFunc("POST /"+path+"/{name}", func(w http.ResponseWriter, r *http.Request) {
			reply(w, act(r.PathValue("name")))
		})
	}
	return mux
}

// reply answers 204 on success and 404 with the error's advice otherwise
// (every control error is an unknown or unfit name, or a stopped fleet).
func reply(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
