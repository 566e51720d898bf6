package topology

import (
	"errors"
	"strings"

	"github.com/vigie-rie/vigie/topology/resilience"
)

// WhatIf analyses the live failures plus extra items, without touching the
// live state. A bad item is an error for which IsBadRequest is true; any
// other error is vigie's and is logged here.
func (t *Topology) WhatIf(extra []string) (*resilience.WhatIf, error) {
	t.mu.RLock()
	f := t.failures()
	t.mu.RUnlock()
	w, err := t.eng.whatIf(f, extra)
	if err != nil && !IsBadRequest(err) {
		t.log.Error("what-if failed", "err", err)
	}
	return w, err
}

// AcquireWhatIf takes one of the Options.MaxWhatIf slots of concurrent
// what-if computations, each a full analysis of the RIE; ok is false when
// every slot is taken. The caller calls release when done.
func (t *Topology) AcquireWhatIf() (release func(), ok bool) {
	select {
	case t.whatIfs <- struct{}{}:
		return func() { <-t.whatIfs }, true
	default:
		return nil, false
	}
}

// IsBadRequest reports whether err comes from a malformed or unknown
// failure item rather than from vigie.
func IsBadRequest(err error) bool { return errors.Is(err, errBadRequest) }

// BadRequestMessage is the message of a bad-request error (IsBadRequest)
// without its "bad request" mark: what the caller got wrong, to show them.
func BadRequestMessage(err error) string {
	return strings.TrimPrefix(err.Error(), errBadRequest.Error()+": ")
}
