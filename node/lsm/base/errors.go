package base

import (
	"errors"
	"fmt"
)

// ErrCorruption is matched (errors.Is) by every CorruptionError.
var ErrCorruption = errors.New("lsm: corruption")

// CorruptionError reports damaged data: a checksum mismatch, an impossible
// length, a sequence gap. It names the file and the byte offset where the
// damage was found. Corrupt data is never returned to a reader as data.
type CorruptionError struct {
	File   string // path of the damaged file
	Offset int64  // byte offset of the damaged record, block or field
	Reason string // what is wrong, e.g. "block checksum mismatch"
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("lsm: corruption in %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorruption) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorruption }

// Corruptf builds a CorruptionError.
func Corruptf(file string, offset int64, format string, args ...any) error {
	return &CorruptionError{File: file, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}
