// Package web is a stand-in.
package web

import (
	"log/slog"
)

// Thing is the component.
type Thing struct{}

// New builds the thing.
func New(opts Options) (*Thing, error) {
	return &Thing{}, nil
}

// Options fills its defaults by value, and its DefaultOptions takes an argument.
type Options struct{ Logger *slog.Logger }

// DefaultOptions is not the pattern's: it takes an argument.
func DefaultOptions(n int) Options { return Options{} }

func (o Options) withDefaults() Options { return o }
