// Package daemon is a stand-in.
package daemon

import (
	"log/slog"
	"vigie.test/m/collector"
	"vigie.test/m/exposition"
	"vigie.test/m/topology"
	"vigie.test/m/web"
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
	var _ collector.Thing
	var _ exposition.Thing
	var _ topology.Thing
	var _ web.Thing
	return &Thing{}, nil
}
