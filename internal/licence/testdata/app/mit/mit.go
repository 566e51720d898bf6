package mit

// V is linked.
const V = 1
