package versions

import (
	"fmt"
	"slices"

	"dynasim/net"
)

// ContextFormat is the first byte of every non-empty client context.
//
// A client context is opaque to clients: they copy it from a get reply into
// their next put or delete of the key. Its encoding is this format byte
// followed by the clock in net's clock encoding (count, then actor, counter
// and timestamp varints per entry). The empty context — zero bytes — means
// "I have read nothing": a blind write. The format byte lets a later
// release change the encoding and still refuse, rather than misread, old
// contexts.
const ContextFormat = 1

// AppendContext appends the client encoding of c to dst.
func AppendContext(dst []byte, c net.Clock) []byte {
	if len(c) == 0 {
		return dst
	}
	dst = slices.Grow(dst, ContextSize(c)) // one allocation, not one per doubling
	return net.AppendClock(append(dst, ContextFormat), c)
}

// ContextSize is the exact number of bytes AppendContext appends.
func ContextSize(c net.Clock) int {
	if len(c) == 0 {
		return 0
	}
	return 1 + net.ClockEncodedSize(c)
}

// DecodeContext parses a client context. Anything malformed — an unknown
// format, a bad clock, trailing bytes, over net.MaxContextBytes — is an
// error matching ErrInvalid (or net.ErrTooLarge for size), never a panic:
// contexts come from clients.
func DecodeContext(b []byte) (net.Clock, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) > net.MaxContextBytes {
		return nil, &net.SizeError{What: "context", Size: len(b), Limit: net.MaxContextBytes}
	}
	if b[0] != ContextFormat {
		return nil, invalid("context format %d unknown (this build reads %d)", b[0], ContextFormat)
	}
	c, err := net.DecodeClock(b[1:])
	if err != nil {
		return nil, &invalidError{msg: fmt.Sprintf("context: %v", err)}
	}
	return c, nil
}
