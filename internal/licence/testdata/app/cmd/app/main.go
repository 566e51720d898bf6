// Command app links one module of each case TestAuditRefuses checks.
package main

import (
	"fmt"

	"example.com/bare/pkg"
	"example.com/gpl"
	"example.com/mit"
	"example.com/unknown"
)

func main() { fmt.Println(pkg.V, gpl.V, mit.V, unknown.V) }
