package testonly

// V is linked.
const V = 1
