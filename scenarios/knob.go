package scenarios

import (
	"fmt"
	"math/rand/v2"
	"reflect"

	"github.com/goccy/go-yaml/ast"

	"dynasim/internal/streams"
)

// MaxChoices bounds the alternatives of one choice knob.
const MaxChoices = 1000

// Knob is a scenario value that may be left to the seed. In a file it is
// written as a plain value, as a range {range: [lo, hi]} (numbers and
// durations: integers and durations uniform over [lo, hi] inclusive, floats
// uniform over [lo, hi)), or as a choice {choice: [a, b, ...]} (any type,
// each alternative equally likely). Resolve picks every knob from its own
// stream, named by the knob's field path, so adding or removing a knob never
// changes what the others pick for a seed.
type Knob[T any] struct {
	// Value is the value when the knob is neither a range nor a choice.
	Value T
	// Range, when it has two elements, is the inclusive range [lo, hi].
	Range []T
	// Choice, when not empty, lists the alternatives.
	Choice []T
	// Set records that the file (or the caller) gave the knob; an unset
	// knob takes its default.
	Set bool
}

// Fixed returns a knob set to v.
func Fixed[T any](v T) Knob[T] { return Knob[T]{Value: v, Set: true} }

// RangeOf returns a knob that the seed picks from [lo, hi].
func RangeOf[T any](lo, hi T) Knob[T] { return Knob[T]{Range: []T{lo, hi}, Set: true} }

// ChoiceOf returns a knob that the seed picks from vs.
func ChoiceOf[T any](vs ...T) Knob[T] { return Knob[T]{Choice: vs, Set: true} }

// IsFixed reports whether the knob has exactly one possible value.
func (k Knob[T]) IsFixed() bool { return len(k.Range) == 0 && len(k.Choice) == 0 }

// Possible lists the values the knob can take, for validation: the value,
// the two ends of a range, or every choice. def stands for an unset knob.
func (k Knob[T]) Possible(def T) []T {
	switch {
	case !k.Set:
		return []T{def}
	case len(k.Range) == 2:
		return k.Range
	case len(k.Choice) > 0:
		return k.Choice
	}
	return []T{k.Value}
}

// pick returns the knob's value for a seed, or def when it is unset.
func (k Knob[T]) pick(src streams.Source, path string, def T) T {
	switch {
	case !k.Set:
		return def
	case len(k.Range) == 2:
		return pickRange(src.Stream("scenario/"+path), k.Range[0], k.Range[1])
	case len(k.Choice) > 0:
		return k.Choice[src.Stream("scenario/"+path).IntN(len(k.Choice))]
	}
	return k.Value
}

// pickRange draws uniformly from [lo, hi] for integer-like types and from
// [lo, hi) for floats. Types that cannot be ranged never reach it (the
// decoder refuses them).
func pickRange[T any](r *rand.Rand, lo, hi T) T {
	a, b := reflect.ValueOf(lo), reflect.ValueOf(hi)
	out := reflect.New(a.Type()).Elem()
	switch {
	case a.CanInt():
		span := uint64(b.Int() - a.Int())
		var off uint64
		if span == ^uint64(0) {
			off = r.Uint64()
		} else {
			off = r.Uint64N(span + 1)
		}
		out.SetInt(a.Int() + int64(off))
	case a.CanFloat():
		out.SetFloat(a.Float() + r.Float64()*(b.Float()-a.Float()))
	default:
		return lo
	}
	return out.Interface().(T)
}

// rangeable reports whether values of t may be written as a range.
func rangeable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

// less orders two values of a rangeable type.
func less(a, b reflect.Value) bool {
	if a.CanInt() {
		return a.Int() < b.Int()
	}
	return a.Float() < b.Float()
}

// unmarshalNode decodes a knob. A knob that fails to decode is left unset,
// so validation does not pile further problems onto the one reported.
func (k *Knob[T]) unmarshalNode(d *decoder, n ast.Node, path string) bool {
	if k.decode(d, n, path) {
		return true
	}
	*k = Knob[T]{}
	return false
}

func (k *Knob[T]) decode(d *decoder, n ast.Node, path string) bool {
	*k = Knob[T]{Set: true}
	m, ok := n.(*ast.MappingNode)
	if !ok || !hasKey(m, "range", "choice") {
		return d.decode(n, reflect.ValueOf(&k.Value).Elem(), path)
	}
	if len(m.Values) != 1 {
		d.fail(n, path, "a range or choice is a mapping with that one key, e.g. {range: [1, 5]} or {choice: [a, b]}")
		return false
	}
	key, val := keyString(m.Values[0].Key), d.deref(m.Values[0].Value)
	seq, ok := val.(*ast.SequenceNode)
	if key == "range" {
		t := reflect.TypeFor[T]()
		if !rangeable(t) {
			d.fail(n, path, "a range applies to numbers and durations only; use {choice: [...]} to list the alternatives")
			return false
		}
		if !ok || len(seq.Values) != 2 {
			d.fail(val, path+".range", "expected a list of two values [min, max], got %s", describe(val))
			return false
		}
		k.Range = make([]T, 2)
		okLo := d.decode(seq.Values[0], reflect.ValueOf(&k.Range[0]).Elem(), path+".range[0]")
		okHi := d.decode(seq.Values[1], reflect.ValueOf(&k.Range[1]).Elem(), path+".range[1]")
		if !okLo || !okHi {
			return false
		}
		if less(reflect.ValueOf(k.Range[1]), reflect.ValueOf(k.Range[0])) {
			d.fail(val, path+".range", "range is empty: min %v is greater than max %v", k.Range[0], k.Range[1])
			return false
		}
		return true
	}
	if !ok || len(seq.Values) == 0 || len(seq.Values) > MaxChoices {
		d.fail(val, path+".choice", "expected a list of 1 to %d alternatives, got %s", MaxChoices, describe(val))
		return false
	}
	k.Choice = make([]T, len(seq.Values))
	good := true
	for i, e := range seq.Values {
		if !d.decode(e, reflect.ValueOf(&k.Choice[i]).Elem(), fmt.Sprintf("%s.choice[%d]", path, i)) {
			good = false
		}
	}
	return good
}
