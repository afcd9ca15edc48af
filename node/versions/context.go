package versions

import (
	"fmt"
	"slices"

	"dynasim/wire"
)

// ContextFormat is the first byte of every non-empty client context.
//
// A client context is opaque to clients: they copy it from a get reply into
// their next put or delete of the key. Its encoding is this format byte
// followed by the clock in wire's clock encoding (count, then actor, counter
// and timestamp varints per entry). The empty context — zero bytes — means
// "I have read nothing": a blind write. The format byte lets a later
// release change the encoding and still refuse, rather than misread, old
// contexts.
const ContextFormat = 1

// AppendContext appends the client encoding of c to dst.
func AppendContext(dst []byte, c wire.Clock) []byte {
	if len(c) == 0 {
		return dst
	}
	dst = slices.Grow(dst, ContextSize(c)) // one allocation, not one per doubling
	return wire.AppendClock(append(dst, ContextFormat), c)
}

// ContextSize is the exact number of bytes AppendContext appends.
func ContextSize(c wire.Clock) int {
	if len(c) == 0 {
		return 0
	}
	return 1 + wire.ClockEncodedSize(c)
}

// DecodeContext parses a client context. Anything malformed — an unknown
// format, a bad clock, trailing bytes, over wire.MaxContextBytes — is an
// error matching ErrInvalid (or wire.ErrTooLarge for size), never a panic:
// contexts come from clients.
func DecodeContext(b []byte) (wire.Clock, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) > wire.MaxContextBytes {
		return nil, &wire.SizeError{What: "context", Size: len(b), Limit: wire.MaxContextBytes}
	}
	if b[0] != ContextFormat {
		return nil, invalid("context format %d unknown (this build reads %d)", b[0], ContextFormat)
	}
	c, err := wire.DecodeClock(b[1:])
	if err != nil {
		return nil, &invalidError{msg: fmt.Sprintf("context: %v", err)}
	}
	return c, nil
}
