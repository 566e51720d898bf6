// Package collector is a stand-in.
package collector

import (
	"log/slog"
	"vigie.test/m/collector/snmp"
	"vigie.test/m/inventory"
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
	var _ snmp.Thing
	var _ inventory.Inventory
	return &Thing{}, nil
}

// newMetrics may take a logger: it is unexported.
func newMetrics(reg *slog.Logger) {}
