package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// openConns counts the connections a server has accepted and not yet
// finished a request on (new or active), through http.Server.ConnState.
//
// It exists for the hand-over between a daemon and its successor on one
// socket. http.Server.Shutdown drops, unanswered, a request it reads after
// the shutdown began: a connection accepted just before then ends in EOF
// for the client (about one scrape in 300 during a reload), although the
// socket was never closed. So a server that hands its socket over first
// stops accepting, lets those connections be answered, and only then shuts
// down.
type openConns struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
	open  int // conns in StateNew or StateActive
}

func (o *openConns) hook(c net.Conn, st http.ConnState) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == nil {
		o.state = map[net.Conn]http.ConnState{}
	}
	was, known := o.state[c]
	if known && (was == http.StateNew || was == http.StateActive) {
		o.open--
	}
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(o.state, c)
		return
	case http.StateNew, http.StateActive:
		o.open++
	}
	o.state[c] = st
}

func (o *openConns) busy() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.open
}

// drain stops srv accepting on its views (the sockets stay open for the
// next server), waits for its Serve loops to return (served: what they
// returned, nil if they had not within bound), so that every accepted
// connection is counted, turns keep-alives off so that idle connections
// close and busy ones close after their response, and waits, within
// bound, for the accepted connections to be answered. Shutdown then finds
// nothing left to drop.
func drain(srv *http.Server, views []net.Listener, serving <-chan error, conns *openConns, bound time.Duration) (served error) {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	for _, v := range views {
		_ = v.Close()
	}
	srv.SetKeepAlivesEnabled(false)
	select {
	case served = <-serving:
		if served == nil {
			served = http.ErrServerClosed // Serve never returns nil
		}
	case <-deadline.C:
		return nil
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for conns.busy() > 0 {
		select {
		case <-tick.C:
		case <-deadline.C:
			return served
		}
	}
	return served
}
