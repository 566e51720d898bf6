package pkg

// V is linked.
const V = 1
