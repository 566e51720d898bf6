package exposition

import "flag"

// update rewrites the golden files in testdata/ from the current output.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")
