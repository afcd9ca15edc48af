package gossip

import (
	"math"
	"time"
)

// Phi accrual (Hayashibara et al., as Cassandra implements it). For each
// member the node keeps the last PhiWindow inter-arrival times of
// heartbeat advances: the virtual time between two moments at which it
// learned a newer heartbeat of the member (directly or through gossip).
// It models them as exponentially distributed with the window's mean μ
// (Cassandra's choice; Akka uses a normal distribution). With t the time
// since the last advance,
//
//	P(no advance for t) = exp(-t/μ)
//	phi(t) = -log10(exp(-t/μ)) = t / (μ · ln 10)
//
// so phi 1 means a 10 % chance that a live member would have been this
// quiet, phi 8 one in 10^8. With the default threshold 8 a member is
// marked down after about 18.4 μ of silence.
//
// Every window starts with one sample of PhiBootstrap (default two gossip
// intervals), taken when the first heartbeat of a generation arrives, and a
// member never heard of uses μ = PhiBootstrap. Without that seed the first
// real samples — often a few milliseconds, when a heartbeat reaches a node
// by two paths in quick succession — would make μ tiny and convict a
// healthy member at once; with it, μ starts near one interval and the seed
// ages out of the window after PhiWindow samples (Akka seeds its window the
// same way). A new generation starts a new window: a restart's silence says
// nothing about the new incarnation's rhythm. Samples are the times between
// advances as seen here, so they include gossip's propagation jitter.

// phiWindow is a ring buffer of inter-arrival times with a running sum.
type phiWindow struct {
	samples []time.Duration
	next    int
	sum     time.Duration
}

func (w *phiWindow) add(d time.Duration, size int) {
	if w.samples == nil {
		w.samples = make([]time.Duration, 0, min(size, 64))
	}
	if len(w.samples) < size {
		w.samples = append(w.samples, d)
		w.sum += d
		return
	}
	w.sum += d - w.samples[w.next]
	w.samples[w.next] = d
	w.next = (w.next + 1) % size
}

func (w *phiWindow) reset() {
	w.samples, w.next, w.sum = w.samples[:0], 0, 0
}

// mean is the window's mean inter-arrival time, or bootstrap without
// samples.
func (w *phiWindow) mean(bootstrap time.Duration) time.Duration {
	if len(w.samples) == 0 {
		return bootstrap
	}
	return w.sum / time.Duration(len(w.samples))
}

// phiOf is t / (μ ln 10) for t the silence and μ the mean, both in any
// common unit; a non-positive mean (all samples zero) counts as 1 ns.
func phiOf(silence, mean time.Duration) float64 {
	if silence <= 0 {
		return 0
	}
	mean = max(mean, 1)
	return float64(silence) / (float64(mean) * math.Ln10)
}
