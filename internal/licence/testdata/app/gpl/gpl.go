package gpl

// V is linked.
const V = 1
