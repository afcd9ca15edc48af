package versions

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (errors.Is) by every error about a malformed set,
// clock or context.
var ErrInvalid = errors.New("versions: invalid")

// ErrTooMany is matched (errors.Is) by every *LimitError.
var ErrTooMany = errors.New("versions: over a limit")

// LimitError reports a result over a count limit, stating both.
type LimitError struct {
	What  string // "siblings", "context entries", ...
	Count int
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("versions: %d %s exceeds the limit of %d", e.Count, e.What, e.Limit)
}

// Is makes errors.Is(err, ErrTooMany) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooMany }

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return "versions: " + e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}
