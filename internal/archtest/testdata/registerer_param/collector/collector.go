// Package collector is a stand-in.
package collector

import (
	prom "github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"vigie.test/m/collector/snmp"
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
func New(opts Options, reg prom.Registerer) (*Thing, error) {
	var _ snmp.Thing
	return &Thing{}, nil
}

// NewWithRegistry takes a registry.
func NewWithRegistry(opts Options, reg *prom.Registry) (*Thing, error) { return nil, nil }
