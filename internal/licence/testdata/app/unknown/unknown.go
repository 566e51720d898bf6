package unknown

// V is linked.
const V = 1
