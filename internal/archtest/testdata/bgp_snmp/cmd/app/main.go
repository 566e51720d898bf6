package main

import (
	"log/slog"

	"vigie.test/m/demo"
)

// Run may take a logger: package main is wiring.
func Run(log *slog.Logger) { _, _ = demo.New(demo.Options{}) }

func main() { Run(nil) }
