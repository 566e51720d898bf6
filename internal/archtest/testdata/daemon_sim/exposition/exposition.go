// Package exposition is a stand-in.
package exposition

import (
	"log/slog"
	"vigie.test/m/topology"
)

// Thing is the component.
type Thing struct{}

// Options tunes the thing.
type Options struct {
	Size   int
	Logger *slog.Logger
}

// DefaultOptions returns the production defaults.
func DefaultOptions() Options { return Options{Size: 1} }

func (o *Options) setDefaults() {
	if o.Size == 0 {
		o.Size = DefaultOptions().Size
	}
}

// New builds the thing.
func New(opts Options) (*Thing, error) {
	var _ topology.Thing
	return &Thing{}, nil
}
