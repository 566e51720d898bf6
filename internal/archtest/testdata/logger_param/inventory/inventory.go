// Package inventory is a stand-in.
package inventory

// Inventory is the fleet.
type Inventory struct{}
