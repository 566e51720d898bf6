package inventory

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret holds a credential read from an environment variable or a file.
// It never prints its value: fmt, slog, JSON and %#v all show "<secret>",
// so a secret cannot leak through a log line, an API answer or a panic.
type Secret struct {
	value string
	// Ref says where the value came from ("env:NAME" or "file:PATH"), for
	// error messages; it is not secret.
	Ref string
}

// NewSecret wraps a value obtained elsewhere (tests, the simulator).
func NewSecret(value, ref string) Secret { return Secret{value: value, Ref: ref} }

// Value returns the secret itself; call it only where the protocol needs it.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

const redacted = "<secret>"

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return redacted }

// Format implements fmt.Formatter so that every verb prints "<secret>".
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
