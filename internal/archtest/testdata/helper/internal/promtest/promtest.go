// Package promtest is a test helper by its name.
package promtest

// Text is a helper.
func Text() {}
