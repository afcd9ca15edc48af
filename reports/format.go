package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Number formatting shared by the text and HTML renderings, so both show
// the same figures. All of it is ASCII: terminal width never depends on the
// locale.

// fmtInt writes n with thousands separators: 1234567 -> "1,234,567".
func fmtInt(n int) string {
	if n < 0 {
		return "-" + group(strconv.FormatUint(uint64(-int64(n)), 10))
	}
	return group(strconv.Itoa(n))
}

// fmtUint is fmtInt for counters.
func fmtUint(n uint64) string { return group(strconv.FormatUint(n, 10)) }

func group(digits string) string {
	var b strings.Builder
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// fmtSig writes x with about three significant digits and at most three
// decimals, the way benchstat does: 0.123, 1.23, 12.3, 123, 1234.
func fmtSig(x float64) string {
	a := math.Abs(x)
	switch {
	case x == 0:
		return "0"
	case a < 1:
		return strconv.FormatFloat(x, 'f', 3, 64)
	case a < 10:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case a < 100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}

// fmtMs writes a duration in milliseconds with its unit.
func fmtMs(ms float64) string { return fmtSig(ms) + " ms" }

// fmtSeconds writes seconds with millisecond precision.
func fmtSeconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) + " s" }

// fmtPct writes a fraction as a percentage with two decimals, never
// rounding a fraction short of 1 up to "100.00%" or one above 0 down to
// "0.00%": a single failure in a million operations stays visible.
func fmtPct(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 2, 64)
	switch {
	case f < 1 && s == "100.00":
		return ">99.99%"
	case f > 0 && s == "0.00":
		return "<0.01%"
	}
	return s + "%"
}

// fmtRate writes a per-second rate.
func fmtRate(x float64) string {
	if x >= 1000 {
		return fmtUint(uint64(math.Round(x)))
	}
	return fmtSig(x)
}

// fmtBytes writes a byte count in binary units.
func fmtBytes(b float64) string {
	switch {
	case b < 1024:
		return fmtSig(b) + " B"
	case b < 1024*1024:
		return fmtSig(b/1024) + " KiB"
	case b < 1024*1024*1024:
		return fmtSig(b/(1024*1024)) + " MiB"
	default:
		return fmtSig(b/(1024*1024*1024)) + " GiB"
	}
}

// fmtValue writes an expectation's want or got. A number decoded from JSON
// (float64) prints like the integer it was, so a report reads the same
// before and after a JSON round trip.
func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return fmtValue(float64(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	default:
		return fmt.Sprint(x)
	}
}

// yesNo writes a boolean verdict.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
