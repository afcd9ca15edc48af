package network

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"dynasim/internal/dist"
	"dynasim/wire"
)

// Arrivals says how many copies of a transmitted message arrive, and when.
type Arrivals struct {
	// N is 0 (lost, or cut by a partition), 1, or 2 (duplicated).
	N int
	// AtNs holds the virtual arrival times of copies 0..N-1, in the same
	// clock as Transmit's nowNs. Copy 1 may arrive before copy 0.
	AtNs [2]int64
}

// Network models the wire between simulated endpoints. It is a pure model
// with no scheduler: Transmit decides whether and when a message arrives, and
// the caller (sim's scheduler) delivers it, re-checking Connected at delivery
// time so that a partition that starts while a message is in flight drops it.
//
// Every random draw for the directed link from->to — loss, duplication,
// latency — comes from that link's own stream, named LinkStreamName(from,
// to) and created on the link's first message. So a run replays exactly from
// its seed, and adding endpoints or traffic elsewhere never shifts a link's
// draws.
//
// Transmit and Connected are O(1) and do not allocate (except on a link's
// first message): per-link state and partition cut counts live in dense
// matrices indexed by address, grown as endpoints are added.
//
// A Network is not safe for concurrent use; the simulator runs on one
// goroutine.
type Network struct {
	cfg          Config
	streams      func(name string) *rand.Rand
	maxLatencyMs float64

	defaultModel *linkModel
	dcPairModels map[[2]int32]*linkModel
	linkModels   map[[2]wire.Addr]*linkModel

	dcIDs     map[string]int32
	dcNames   []string
	dcMembers [][]wire.Addr // endpoints of each datacenter, in the order added

	endpoints []wire.Addr  // every endpoint, in the order added
	dcOf      []int32      // datacenter of each address, -1 if not added; len stride
	stride    int          // row length of links and cuts
	links     []*linkState // [from*stride+to], nil until the link's first message
	cuts      []uint16     // [from*stride+to]: active partitions cutting the link

	partitions []*partition // active, in the order created
	counts     [256]Counts
}

// linkModel is a compiled LinkConfig.
type linkModel struct {
	latency   [256]*dist.Sampler // per kind: KindLatencyMs, else LatencyMs
	lossProb  float64
	dupProb   float64
	bandwidth int64
}

// linkState is one directed link's model, stream and queue.
type linkState struct {
	model         *linkModel
	rng           *rand.Rand
	busyUntilNs   int64 // when the link finishes serialising its last message
	lastArrivalNs int64 // latest arrival so far, for FIFO
}

// LinkStreamName is the name of the stream that drives the link from->to,
// e.g. "link/3->7".
func LinkStreamName(from, to wire.Addr) string {
	return "link/" + strconv.Itoa(int(from)) + "->" + strconv.Itoa(int(to))
}

// New validates cfg (after WithDefaults) and returns a network with
// no endpoints. streams returns the named seeded stream; it is called once per
// directed link, on the link's first message.
func New(cfg Config, streams func(name string) *rand.Rand) (*Network, error) {
	if streams == nil {
		return nil, errors.New("network: New needs a streams function")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("network: invalid Config: %w", err)
	}
	n := &Network{
		cfg:          cfg,
		streams:      streams,
		maxLatencyMs: cfg.MaxLatencyMs,
		dcPairModels: map[[2]int32]*linkModel{},
		linkModels:   map[[2]wire.Addr]*linkModel{},
		dcIDs:        map[string]int32{},
	}
	var err error
	if n.defaultModel, err = compileLink(cfg.Default); err != nil {
		return nil, err
	}
	for _, p := range cfg.DCPairs {
		m, err := compileLink(p.Link)
		if err != nil {
			return nil, err
		}
		for _, d := range directions(n.dcID(p.From), n.dcID(p.To), p.BothWays) {
			n.dcPairModels[d] = m
		}
	}
	for _, l := range cfg.Links {
		m, err := compileLink(l.Link)
		if err != nil {
			return nil, err
		}
		for _, d := range directions(l.From, l.To, l.BothWays) {
			n.linkModels[d] = m
		}
	}
	return n, nil
}

// SetLink overrides the model of the link from->to (and to->from with
// bothWays), as a Config.Links entry does, for a harness that learns its
// endpoints' addresses only when it adds them. It must come before any
// message has crossed the link: a link's model is fixed at its first
// message.
func (n *Network) SetLink(from, to wire.Addr, bothWays bool, l LinkConfig) error {
	if err := l.validate(fmt.Sprintf("link %d -> %d", from, to)); err != nil {
		return err
	}
	m, err := compileLink(l)
	if err != nil {
		return err
	}
	dirs := directions(from, to, bothWays)
	for _, d := range dirs {
		if n.added(d[0]) && n.added(d[1]) && n.links[int(d[0])*n.stride+int(d[1])] != nil {
			return fmt.Errorf("network: link %d -> %d has carried messages already", d[0], d[1])
		}
	}
	for _, d := range dirs {
		n.linkModels[d] = m
	}
	return nil
}

func compileLink(l LinkConfig) (*linkModel, error) {
	base, err := l.LatencyMs.Compile()
	if err != nil {
		return nil, err
	}
	m := &linkModel{lossProb: l.LossProb, dupProb: l.DupProb, bandwidth: l.BandwidthBytesPerSec}
	for k := range m.latency {
		m.latency[k] = base
	}
	for name, spec := range l.KindLatencyMs {
		k, ok := wire.KindByName(name)
		if !ok {
			return nil, fmt.Errorf("network: unknown message kind %q", name)
		}
		if m.latency[k], err = spec.Compile(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// dcID interns a datacenter name.
func (n *Network) dcID(name string) int32 {
	if id, ok := n.dcIDs[name]; ok {
		return id
	}
	id := int32(len(n.dcNames))
	n.dcIDs[name] = id
	n.dcNames = append(n.dcNames, name)
	n.dcMembers = append(n.dcMembers, nil)
	return id
}

// AddEndpoint adds the endpoint a in datacenter dc ("" if the run has no
// datacenters). Endpoints may be added at any time; a new endpoint is
// immediately subject to the active PartitionDC and Isolate partitions that
// cover it. Addresses should be dense from 0: tables grow to the largest one.
func (n *Network) AddEndpoint(a wire.Addr, dc string) error {
	if a < 0 || int(a) >= n.cfg.MaxEndpoints {
		return fmt.Errorf("network: endpoint address %d is outside [0, max_endpoints=%d)", a, n.cfg.MaxEndpoints)
	}
	if int(a) < n.stride && n.dcOf[a] >= 0 {
		return fmt.Errorf("network: endpoint %d already added (datacenter %q)", a, n.dcNames[n.dcOf[a]])
	}
	if int(a) >= n.stride {
		n.grow(int(a) + 1)
	}
	id := n.dcID(dc)
	n.dcOf[a] = id
	n.dcMembers[id] = append(n.dcMembers[id], a)
	n.endpoints = append(n.endpoints, a)
	for _, p := range n.partitions {
		n.extend(p, a)
	}
	return nil
}

// DC returns the datacenter of endpoint a, and whether a has been added.
func (n *Network) DC(a wire.Addr) (string, bool) {
	if !n.added(a) {
		return "", false
	}
	return n.dcNames[n.dcOf[a]], true
}

func (n *Network) added(a wire.Addr) bool {
	return uint(a) < uint(n.stride) && n.dcOf[a] >= 0
}

// grow re-lays the matrices out for at least need addresses, doubling so that
// adding endpoints one by one costs amortised O(n) per endpoint.
func (n *Network) grow(need int) {
	s := max(need, 2*n.stride, 16)
	s = min(s, n.cfg.MaxEndpoints)
	links := make([]*linkState, s*s)
	cuts := make([]uint16, s*s)
	for from := range n.stride {
		copy(links[from*s:from*s+n.stride], n.links[from*n.stride:(from+1)*n.stride])
		copy(cuts[from*s:from*s+n.stride], n.cuts[from*n.stride:(from+1)*n.stride])
	}
	dcOf := make([]int32, s)
	copy(dcOf, n.dcOf)
	for i := n.stride; i < s; i++ {
		dcOf[i] = -1
	}
	n.stride, n.links, n.cuts, n.dcOf = s, links, cuts, dcOf
}

// Connected reports whether no active partition cuts the link from->to. It
// is false if either endpoint has not been added.
func (n *Network) Connected(from, to wire.Addr) bool {
	if !n.added(from) || !n.added(to) {
		return false
	}
	return n.cuts[int(from)*n.stride+int(to)] == 0
}

// Transmit models sending a message of the given kind and size from from to
// to at virtual time nowNs, and returns when its copies arrive. In order:
// the message is counted as sent; if a partition cuts the link it is dropped
// (cut); with limited bandwidth it waits for the link and occupies it for its
// serialisation time; it may be lost (LossProb) or duplicated (DupProb); and
// each copy draws its latency, clamped to MaxLatencyMs and, in FIFO mode, to
// the link's previous arrival.
//
// The error is non-nil only for bad arguments: an endpoint not added, a
// negative size or one over MaxTransmitSizeBytes, or a streams function that
// returned nil. Nothing is counted then.
func (n *Network) Transmit(nowNs int64, from, to wire.Addr, kind wire.Kind, sizeBytes int) (Arrivals, error) {
	if !n.added(from) || !n.added(to) {
		return Arrivals{}, n.unknownEndpoint(from, to)
	}
	if sizeBytes < 0 || int64(sizeBytes) > MaxTransmitSizeBytes {
		return Arrivals{}, fmt.Errorf("network: transmit %d->%d: size %d bytes outside [0, %d]", from, to, sizeBytes, MaxTransmitSizeBytes)
	}
	i := int(from)*n.stride + int(to)
	ls := n.links[i]
	if ls == nil {
		var err error
		if ls, err = n.newLink(from, to, i); err != nil {
			return Arrivals{}, err
		}
	}
	c := &n.counts[kind]
	c.Sent++
	c.SentBytes += uint64(sizeBytes)
	if n.cuts[i] != 0 {
		c.Cut++
		return Arrivals{}, nil
	}
	m := ls.model
	departNs := nowNs
	if m.bandwidth > 0 {
		start := max(nowNs, ls.busyUntilNs)
		byteNs := int64(sizeBytes) * 1e9 // bytes * ns per second
		ser := byteNs / m.bandwidth
		if byteNs%m.bandwidth != 0 {
			ser++
		}
		departNs = start + ser
		ls.busyUntilNs = departNs
	}
	r := ls.rng
	if m.lossProb > 0 && r.Float64() < m.lossProb {
		c.Lost++
		return Arrivals{}, nil
	}
	out := Arrivals{N: 1}
	if m.dupProb > 0 && r.Float64() < m.dupProb {
		c.Duplicated++
		out.N = 2
	}
	lat := m.latency[kind]
	for k := range out.N {
		at := departNs + n.latencyNs(lat, r)
		if n.cfg.FIFO && at < ls.lastArrivalNs {
			at = ls.lastArrivalNs
		}
		ls.lastArrivalNs = max(ls.lastArrivalNs, at)
		out.AtNs[k] = at
	}
	return out, nil
}

// latencyNs draws one latency and converts it from milliseconds to whole
// nanoseconds, capped at MaxLatencyMs.
func (n *Network) latencyNs(s *dist.Sampler, r *rand.Rand) int64 {
	ms := s.Sample(r)
	if !(ms <= n.maxLatencyMs) { // also catches NaN and +Inf
		ms = n.maxLatencyMs
	}
	return int64(math.Round(max(ms, 0) * 1e6))
}

// newLink resolves the model of the link from->to (link override, else
// datacenter pair, else default) and creates its stream.
func (n *Network) newLink(from, to wire.Addr, i int) (*linkState, error) {
	m, ok := n.linkModels[[2]wire.Addr{from, to}]
	if !ok {
		if m, ok = n.dcPairModels[[2]int32{n.dcOf[from], n.dcOf[to]}]; !ok {
			m = n.defaultModel
		}
	}
	name := LinkStreamName(from, to)
	r := n.streams(name)
	if r == nil {
		return nil, fmt.Errorf("network: streams(%q) returned nil", name)
	}
	ls := &linkState{model: m, rng: r}
	n.links[i] = ls
	return ls, nil
}

func (n *Network) unknownEndpoint(from, to wire.Addr) error {
	a := from
	if n.added(from) {
		a = to
	}
	return fmt.Errorf("network: transmit %d->%d: endpoint %d has not been added", from, to, a)
}
