// Package slab allocates many small values of one type in blocks, one
// allocation per block instead of one per value. The simulator and the
// node use it for messages, which they create by the million and drop soon
// after (a message is never modified or reused once sent, so every value is
// handed out once).
package slab
