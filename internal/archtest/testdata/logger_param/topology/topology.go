// Package topology is a stand-in.
package topology

import (
	"log/slog"
	"vigie.test/m/collector"
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
func New(opts Options, log *slog.Logger) (*Thing, error) {
	var _ collector.Thing
	return &Thing{}, nil
}
