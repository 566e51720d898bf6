// Package exposition is a stand-in.
package exposition

import (
	"log/slog"
	"vigie.test/m/topology"
)

// Thing is the component.
type Thing struct{}

// New builds the thing.
func New(opts Options) (*Thing, error) {
	var _ topology.Thing
	return &Thing{}, nil
}

// Options has no DefaultOptions.
type Options struct{ Logger *slog.Logger }

func (o *Options) setDefaults() {}
