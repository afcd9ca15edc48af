package wars

import (
	"math"
	"reflect"
	"testing"

	"dynasim/internal/dist"
)

func constant(v float64) dist.Spec { return dist.Spec{Dist: dist.Constant, Value: v} }
func expo(mean float64) dist.Spec  { return dist.Spec{Dist: dist.Exponential, Mean: mean} }

// within asserts that the closed-form p lies in the prediction's Wilson
// interval at a strict level (1e-6 two-sided), so the test is not flaky
// by construction (and it is seeded, so not flaky at all).
func within(t *testing.T, pt Point, want float64) {
	t.Helper()
	lo, hi := Wilson(pt.Consistent, pt.Trials, 1-1e-6)
	if want < lo || want > hi {
		t.Errorf("t=%v: predicted %.4f [%.4f, %.4f], closed form %.4f", pt.TMs, pt.P, lo, hi, want)
	}
}

// Identical constant legs: every replica receives the write at w, before
// the commit at w+a, so every read is consistent at every t >= 0.
func TestConstantLegsAlwaysConsistent(t *testing.T) {
	for _, q := range [][3]int{{3, 1, 1}, {3, 2, 1}, {5, 1, 2}} {
		p, err := Predict(Config{N: q[0], R: q[1], W: q[2], WriteMs: constant(7), AckMs: constant(3), ReadMs: constant(2), ResponseMs: constant(1),
			TMs: []float64{0, 1, 10}, Trials: 1000, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, pt := range p.Points {
			if pt.Consistent != pt.Trials {
				t.Errorf("N,R,W=%v t=%v: %d of %d consistent, want all", q, pt.TMs, pt.Consistent, pt.Trials)
			}
		}
	}
}

// A two-point write latency, 1 ms with probability p or 20 ms, and
// constant A = R = S = 1 ms, N=3, R=W=1. The write commits at
// min(w)+1; the read reaches each replica at min(w)+2+t; all responses
// arrive together, so the answering replica is any fixed one (they are
// exchangeable). By hand: it is stale iff its w = 20 while some other
// replica's w = 1, and 20 > min(w)+2+t = 3+t, i.e. t < 17. So
// P(consistent) = 1 - q(1-q^2) for t < 17 (q = 1-p) and exactly 1 from
// t = 17 on.
func TestTwoPointLegsStepAtBound(t *testing.T) {
	pr := 0.7
	wspec := dist.Spec{Mixture: []dist.Spec{
		{Weight: pr, Dist: dist.Constant, Value: 1},
		{Weight: 1 - pr, Dist: dist.Constant, Value: 20},
	}}
	p, err := Predict(Config{N: 3, R: 1, W: 1, WriteMs: wspec, AckMs: constant(1), ReadMs: constant(1), ResponseMs: constant(1),
		TMs: []float64{0, 5, 16.999, 17, 50}, Trials: 200_000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	q := 1 - pr
	before := 1 - q*(1-q*q)
	for _, pt := range p.Points {
		if pt.TMs >= 17 {
			if pt.Consistent != pt.Trials {
				t.Errorf("t=%v: %d of %d consistent, want all (t >= the 17 ms bound)", pt.TMs, pt.Consistent, pt.Trials)
			}
			continue
		}
		within(t, pt, before)
	}
}

// Exponential legs against a closed form. N=3, R=W=1, all replicas
// remote, W_i ~ Exp(mean 1/lambda), R_i ~ Exp(mean 1/mu), A = S = 0. The
// write commits at m = min W_i; the answering replica J is the one with
// the least R_J, independent of the writes and equally likely any of the
// three, and R_J = min R_i ~ Exp(3mu). J is the first to receive the write
// with probability 1/3; otherwise, by memorylessness, W_J - m ~ Exp(lambda)
// and the read is stale iff W_J - m > t + R_J:
// P(consistent) = 1 - (2/3) e^{-lambda t} 3mu/(3mu+lambda).
func TestExponentialLegsClosedForm(t *testing.T) {
	for _, c := range []struct{ wMean, rMean float64 }{{5, 1}, {20, 2}, {1, 1}} {
		lambda, mu := 1/c.wMean, 1/c.rMean
		ts := []float64{0, 1, 2, 5, 10, 20, 50}
		p, err := Predict(Config{N: 3, R: 1, W: 1, WriteMs: expo(c.wMean), AckMs: constant(0), ReadMs: expo(c.rMean), ResponseMs: constant(0),
			TMs: ts, Trials: 200_000, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, pt := range p.Points {
			want := 1 - 2.0/3*math.Exp(-lambda*pt.TMs)*3*mu/(3*mu+lambda)
			within(t, pt, want)
		}
	}
}

// N=1 with the paper's legs: the only replica has the write before it
// acknowledges, so reads are always consistent; R=W=N likewise.
func TestStrictQuorumsAlwaysConsistent(t *testing.T) {
	for _, q := range [][3]int{{1, 1, 1}, {3, 2, 2}, {3, 1, 3}, {5, 3, 3}} {
		p, err := Predict(Config{N: q[0], R: q[1], W: q[2], WriteMs: expo(10), AckMs: expo(1), ReadMs: expo(3), ResponseMs: expo(1),
			TMs: []float64{0}, Trials: 20_000, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if pt := p.Points[0]; pt.Consistent != pt.Trials {
			t.Errorf("N,R,W=%v: %d of %d consistent; R+W>N must always be", q, pt.Consistent, pt.Trials)
		}
	}
}

// The local replica: with routing first_replica the minting replica also
// coordinates the read and answers it itself, so every read is
// consistent; with only the write local (non_replica routing) it is
// stale sometimes.
func TestLocalReplicas(t *testing.T) {
	base := Config{N: 3, R: 1, W: 1, WriteMs: expo(20), AckMs: expo(1), ReadMs: expo(1), ResponseMs: expo(1), TMs: []float64{0, 10}, Trials: 50_000, Seed: 9, LocalWriteReplica: true}
	both := base
	both.LocalReadReplica = true
	p, err := Predict(both)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range p.Points {
		if pt.Consistent != pt.Trials {
			t.Errorf("local read: t=%v %d of %d consistent, want all", pt.TMs, pt.Consistent, pt.Trials)
		}
	}
	p, err = Predict(base)
	if err != nil {
		t.Fatal(err)
	}
	if pt := p.Points[0]; !(pt.P > 0.3 && pt.P < 0.9) {
		t.Errorf("local write only: P(t=0) = %v, want clearly between (the local replica answers a third of reads)", pt.P)
	}
}

// Versions: k-staleness counts versions behind; the histogram sums to the
// trials and k = 0 is the consistent count.
func TestVersionsKStaleness(t *testing.T) {
	p, err := Predict(Config{N: 3, R: 1, W: 1, WriteMs: expo(30), AckMs: expo(1), ReadMs: expo(1), ResponseMs: expo(1), Versions: 3, TMs: []float64{0, 5, 200}, Trials: 50_000, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range p.Points {
		sum := 0
		for _, c := range pt.KStaleness {
			sum += c
		}
		if sum != pt.Trials || pt.KStaleness[0] != pt.Consistent || len(pt.KStaleness) != 4 {
			t.Errorf("t=%v: histogram %v, trials %d, consistent %d", pt.TMs, pt.KStaleness, pt.Trials, pt.Consistent)
		}
	}
	if p.Points[0].KStaleness[1] == 0 || p.Points[2].P < p.Points[0].P {
		t.Errorf("want some reads one version behind at t=0 and a rising curve: %+v", p.Points)
	}
}

func TestDeterministic(t *testing.T) {
	c := Config{N: 3, R: 1, W: 1, WriteMs: dist.Spec{Dist: dist.Pareto, Scale: 1, Shape: 1.5}, AckMs: expo(1), ReadMs: expo(1), ResponseMs: expo(1), TMs: []float64{0, 1, 5}, Trials: 10_000, Seed: 42}
	a, _ := Predict(c)
	b, _ := Predict(c)
	if !reflect.DeepEqual(a.Points, b.Points) {
		t.Fatal("same config and seed gave different predictions")
	}
	c.Seed = 43
	d, _ := Predict(c)
	if reflect.DeepEqual(a.Points, d.Points) {
		t.Fatal("another seed gave the same prediction")
	}
}

func TestValidate(t *testing.T) {
	ok := Config{N: 3, R: 1, W: 1, WriteMs: expo(1), AckMs: expo(1), ReadMs: expo(1), ResponseMs: expo(1), TMs: []float64{0}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"R>N":        func(c *Config) { c.R = 4 },
		"W=0":        func(c *Config) { c.W = -1 },
		"no t":       func(c *Config) { c.TMs = nil },
		"descending": func(c *Config) { c.TMs = []float64{5, 1} },
		"neg leg":    func(c *Config) { c.ReadMs = dist.Spec{Dist: dist.Uniform, Min: -1, Max: 1} },
		"bad leg":    func(c *Config) { c.AckMs = dist.Spec{} },
		"local read": func(c *Config) { c.LocalReadReplica = true },
	} {
		c := ok
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}

func TestWilsonAndAgree(t *testing.T) {
	lo, hi := Wilson(50, 100, 0.95)
	if math.Abs(lo-0.4038) > 1e-3 || math.Abs(hi-0.5962) > 1e-3 {
		t.Errorf("Wilson(50,100) = [%v, %v], want about [0.4038, 0.5962]", lo, hi)
	}
	if lo, hi := Wilson(0, 10, 0.95); lo != 0 || hi < 0.25 || hi > 0.35 {
		t.Errorf("Wilson(0,10) = [%v, %v]", lo, hi)
	}
	m := []Sample{{500, 1000}, {900, 1000}}
	if ok, _ := Agree(m, []Sample{{50_500, 100_000}, {89_000, 100_000}}, DefaultFamilyAlpha); !ok {
		t.Error("close proportions disagree")
	}
	if ok, i := Agree(m, []Sample{{50_500, 100_000}, {70_000, 100_000}}, DefaultFamilyAlpha); ok || i != 1 {
		t.Errorf("0.9 vs 0.7 with 1000 trials agree (%v, %d)", ok, i)
	}
}

func BenchmarkPredict1M(b *testing.B) {
	heavy := dist.Spec{Mixture: []dist.Spec{
		{Weight: 0.8, Dist: dist.Exponential, Mean: 1},
		{Weight: 0.2, Dist: dist.Pareto, Scale: 2, Shape: 1.5},
	}}
	c := Config{N: 3, R: 1, W: 1, WriteMs: heavy, AckMs: expo(1), ReadMs: expo(1), ResponseMs: expo(1),
		PutPathMs: []dist.Spec{constant(0), constant(0)}, AckPathMs: []dist.Spec{constant(0), constant(0)}, GetPathMs: []dist.Spec{constant(0)},
		LocalWriteReplica: true, TMs: []float64{0, 1, 2, 5, 10, 20, 50, 100}, Trials: 1_000_000, Seed: 1}
	for b.Loop() {
		if _, err := Predict(c); err != nil {
			b.Fatal(err)
		}
	}
}
