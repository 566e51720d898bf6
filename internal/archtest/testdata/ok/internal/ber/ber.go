// Package ber is a stand-in.
package ber

// Tag is a tag.
type Tag byte
