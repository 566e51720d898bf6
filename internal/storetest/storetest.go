// Package storetest checks, for tests, that what the API served reached the
// store file.
package storetest

import (
	"fmt"
	"time"

	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
)

// MissingEvents returns the events of served that st does not hold (an
// event is the same when its kind, subject and time are), and how many
// events st holds.
func MissingEvents(st *store.Store, served []topology.Event) (missing []topology.Event, stored int, err error) {
	events, err := st.Events(time.Time{}, 1_000_000)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the store's events: %w", err)
	}
	key := func(kind, subject string, at time.Time) string {
		return kind + "|" + subject + "|" + at.Format(time.RFC3339Nano)
	}
	have := make(map[string]bool, len(events))
	for _, e := range events {
		have[key(e.Kind, e.Subject, e.Time)] = true
	}
	for _, e := range served {
		if !have[key(string(e.Kind), e.Subject, e.Time)] {
			missing = append(missing, e)
		}
	}
	return missing, len(events), nil
}
