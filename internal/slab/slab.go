package slab

// blockLen is how many values one block holds: one allocation serves this
// many New calls.
const blockLen = 32

// Allocator hands out pointers to fresh zero values of T, taken from blocks
// of blockLen allocated at once. A block stays in memory as long as any of
// its values is referenced, so it suits many small objects with short,
// similar lifetimes — messages in flight — whose individual allocation
// would cost more than the memory a block holds on to. The zero value is
// ready; an Allocator is not safe for concurrent use.
type Allocator[T any] struct {
	block []T
}

// New returns a pointer to a zero T that nothing else refers to.
func (a *Allocator[T]) New() *T {
	if len(a.block) == 0 {
		a.block = make([]T, blockLen)
	}
	p := &a.block[0]
	a.block = a.block[1:]
	return p
}
