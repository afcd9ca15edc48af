package dist

import (
	"fmt"
	"math"
	"strings"
)

// Validate reports the first problem with s, naming the offending field by
// its path as written in a scenario file, e.g.
// "mixture[1].shape: must be > 0 for pareto, got 0".
func (s Spec) Validate() error {
	return s.validate("", 1, false)
}

func (s *Spec) validate(path string, depth int, component bool) error {
	field := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	if !component && s.Weight != 0 {
		return fmt.Errorf("%s: applies only to mixture components", field("weight"))
	}
	if component {
		if err := finite(field("weight"), s.Weight); err != nil {
			return err
		}
		if s.Weight <= 0 {
			return fmt.Errorf("%s: must be > 0, got %s", field("weight"), fmtFloat(s.Weight))
		}
	}
	k := s.kind()
	if k == "" {
		return fmt.Errorf("%s: is required (one of %s)", field("dist"), strings.Join(Names(), ", "))
	}
	used, known := uses[k]
	if !known {
		return fmt.Errorf("%s: unknown distribution %q (want one of %s)", field("dist"), k, strings.Join(Names(), ", "))
	}
	if k != Mixture && len(s.Mixture) > 0 {
		return fmt.Errorf("%s: applies only to dist %s, not %s", field("mixture"), Mixture, k)
	}
	vals := s.params()
	for i, v := range vals {
		if err := finite(field(paramNames[i]), v); err != nil {
			return err
		}
		if v != 0 && !contains(used, i) {
			return fmt.Errorf("%s: does not apply to %s (it uses %s)", field(paramNames[i]), k, usedNames(used))
		}
	}
	positive := func(i int) error {
		if vals[i] <= 0 {
			return fmt.Errorf("%s: must be > 0 for %s, got %s", field(paramNames[i]), k, fmtFloat(vals[i]))
		}
		return nil
	}
	switch k {
	case Constant:
		return nil
	case Uniform:
		if s.Max <= s.Min {
			return fmt.Errorf("%s: must be > min (%s) for uniform, got %s; use constant for a fixed value",
				field("max"), fmtFloat(s.Min), fmtFloat(s.Max))
		}
		return nil
	case Normal:
		if err := positive(pStddev); err != nil {
			return err
		}
		if s.Mean < MinNormalMeanInStddevs*s.Stddev {
			return fmt.Errorf("%s: must be >= %d*stddev (%s) for normal, which is truncated at 0, got %s",
				field("mean"), MinNormalMeanInStddevs, fmtFloat(MinNormalMeanInStddevs*s.Stddev), fmtFloat(s.Mean))
		}
		return nil
	case Exponential:
		return positive(pMean)
	case LogNormal:
		if s.Mu != 0 && s.Median != 0 {
			return fmt.Errorf("%s: set mu or median for lognormal, not both", field("median"))
		}
		if s.Median < 0 {
			return fmt.Errorf("%s: must be > 0 for lognormal, got %s", field("median"), fmtFloat(s.Median))
		}
		return positive(pSigma)
	case Pareto:
		if err := positive(pScale); err != nil {
			return err
		}
		return positive(pShape)
	case Mixture:
		return s.validateMixture(field, depth)
	}
	return nil
}

func (s *Spec) validateMixture(field func(string) string, depth int) error {
	if depth > MaxMixtureDepth {
		return fmt.Errorf("%s: mixtures nest %d deep, the limit is %d", field("mixture"), depth, MaxMixtureDepth)
	}
	n := len(s.Mixture)
	if n == 0 {
		return fmt.Errorf("%s: a mixture needs at least one component", field("mixture"))
	}
	if n > MaxMixtureComponents {
		return fmt.Errorf("%s: %d components, the limit is %d", field("mixture"), n, MaxMixtureComponents)
	}
	for i := range s.Mixture {
		if err := s.Mixture[i].validate(fmt.Sprintf("%s[%d]", field("mixture"), i), depth+1, true); err != nil {
			return err
		}
	}
	return nil
}

func finite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: must be a finite number, got %v", name, v)
	}
	return nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func usedNames(used []int) string {
	if len(used) == 0 {
		return "only mixture"
	}
	names := make([]string, len(used))
	for i, p := range used {
		names[i] = paramNames[p]
	}
	return strings.Join(names, ", ")
}
