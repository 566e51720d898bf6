// Package store is a stand-in.
package store

import (
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
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
	return &Thing{}, nil
}

// Register adds the metrics to reg too: a method, for a store a reload shares.
func (t *Thing) Register(reg prometheus.Registerer) error { return nil }
