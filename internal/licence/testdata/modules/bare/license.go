package bare

// license.go is code, not a licence file.
