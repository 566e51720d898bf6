package collector

import "vigie.test/m/exposition"

var _ exposition.Thing
