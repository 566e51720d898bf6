// Package snmp is a stand-in.
package snmp

import (
	"log/slog"
	"vigie.test/m/internal/ber"
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
	var _ ber.Tag
	var _ inventory.Inventory
	return &Thing{}, nil
}
