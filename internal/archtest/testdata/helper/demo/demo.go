// Package demo is a stand-in.
package demo

import (
	"log/slog"
	"vigie.test/m/daemon"
	"vigie.test/m/internal/simtest"
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
	var _ daemon.Thing
	_ = simtest.Serve
	return &Thing{}, nil
}
