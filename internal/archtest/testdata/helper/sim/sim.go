// Package sim is a stand-in.
package sim

// Fleet is simulated.
type Fleet struct{}
