package host

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dynasim/wire"
)

// metrics is a host's Prometheus instrumentation: its own registry (never
// the global default one), the client-request metrics the host records as
// requests complete, and a collector that reads the node's and the
// transport's counters at scrape time.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // kind, outcome
	latency  *prometheus.HistogramVec // kind
	quorum   *prometheus.CounterVec   // kind
	srv      *http.Server
	ln       net.Listener
	served   chan struct{}
}

func newMetrics(h *Host) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dynasim_client_requests_total",
			Help: "Client requests handed to the node, by kind (get, put, delete) and outcome (ok, not_found, bad_request, quorum_failed, unknown, shutdown).",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dynasim_client_request_duration_seconds",
			Help:    "Client request latency through the node's coordinator, by kind.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16), // 100µs .. ~3.3s
		}, []string{"kind"}),
		quorum: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dynasim_client_quorum_failures_total",
			Help: "Client requests that failed for too few replicas answering (nothing applied), by kind.",
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.quorum, &collector{h: h}, &nodeCollector{h: h})
	return m
}

// observe records one completed client request.
func (m *metrics) observe(req wire.Message, r *wire.ClientReply, took time.Duration) {
	kind := requestKind(req)
	outcome := "shutdown"
	if r != nil {
		switch r.Status {
		case wire.StatusOK:
			outcome = "ok"
		case wire.StatusNotFound:
			outcome = "not_found"
		case wire.StatusBadRequest:
			outcome = "bad_request"
		case wire.StatusUnknown:
			outcome = "unknown"
		default:
			outcome = "quorum_failed"
			m.quorum.WithLabelValues(kind).Inc()
		}
	}
	m.requests.WithLabelValues(kind, outcome).Inc()
	m.latency.WithLabelValues(kind).Observe(took.Seconds())
}

func requestKind(req wire.Message) string {
	switch req.(type) {
	case *wire.ClientGet:
		return "get"
	case *wire.ClientPut:
		return "put"
	case *wire.ClientDelete:
		return "delete"
	}
	return req.Kind().String()
}

// serve serves /metrics on ln until stop.
func (m *metrics) serve(ln net.Listener, log interface {
	Warn(string, ...any)
}) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	m.ln = ln
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.served = make(chan struct{})
	go func() {
		defer close(m.served)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", "err", err)
		}
	}()
}

// stop shuts the metrics server down, letting scrapes in progress finish
// (bounded by timeout).
func (m *metrics) stop(timeout time.Duration) {
	if m.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		_ = m.srv.Close()
	}
	<-m.served
}

// collector reads the counters the host already keeps at scrape time: the
// node's statistics through the event loop (Host.Stats, between two
// events — never from the HTTP goroutine directly), the transport's atomic
// counters, and the client port's overruns.
type collector struct{ h *Host }

var (
	descMsgSent = prometheus.NewDesc("dynasim_messages_sent_total",
		"Frames written to peers, by wire message kind.", []string{"kind"}, nil)
	descBytesSent = prometheus.NewDesc("dynasim_message_bytes_sent_total",
		"Frame bytes written to peers, by wire message kind.", []string{"kind"}, nil)
	descMsgRecv = prometheus.NewDesc("dynasim_messages_received_total",
		"Frames received from peers that decoded, by wire message kind.", []string{"kind"}, nil)
	descBytesRecv = prometheus.NewDesc("dynasim_message_bytes_received_total",
		"Frame bytes received from peers that decoded, by wire message kind.", []string{"kind"}, nil)
	descOverruns = prometheus.NewDesc("dynasim_client_input_overruns_total",
		"Client connections closed for sending more than MaxUnansweredBytes without a complete command.", nil, nil)
)

// transportMetrics names the transport's counters: metric suffix, help.
var transportMetrics = []struct {
	name, help string
	get        func(TransportStats) uint64
}{
	{"frames_sent_total", "Frames written to peers.", func(s TransportStats) uint64 { return s.FramesSent }},
	{"bytes_sent_total", "Frame bytes written to peers.", func(s TransportStats) uint64 { return s.BytesSent }},
	{"frames_received_total", "Frames read from peers (before decoding).", func(s TransportStats) uint64 { return s.FramesReceived }},
	{"bytes_received_total", "Frame bytes read from peers (before decoding).", func(s TransportStats) uint64 { return s.BytesReceived }},
	{"frames_dropped_total", "Frames dropped on send: full peer queue, no such peer, or over the frame limit.", func(s TransportStats) uint64 { return s.Dropped }},
	{"frames_bad_checksum_total", "Received frames dropped for failing their CRC-32C.", func(s TransportStats) uint64 { return s.BadChecksum }},
	{"frames_malformed_total", "Received frames with a valid CRC that did not decode.", func(s TransportStats) uint64 { return s.Malformed }},
	{"conns_bad_length_total", "Peer connections closed for an impossible frame length.", func(s TransportStats) uint64 { return s.BadLength }},
	{"conns_bad_hello_total", "Peer connections closed for not opening with a hello.", func(s TransportStats) uint64 { return s.BadHello }},
	{"dials_total", "Outgoing peer connection attempts.", func(s TransportStats) uint64 { return s.Dials }},
	{"dial_failures_total", "Outgoing peer connection attempts that failed.", func(s TransportStats) uint64 { return s.DialFailures }},
	{"write_errors_total", "Outgoing peer connections lost to a failed write.", func(s TransportStats) uint64 { return s.WriteErrors }},
	{"accepted_total", "Incoming peer connections accepted.", func(s TransportStats) uint64 { return s.Accepted }},
	{"conns_tls_refused_total", "Incoming peer connections refused for a failed TLS handshake (mutual TLS: no valid client certificate).", func(s TransportStats) uint64 { return s.TLSRefused }},
	{"frames_partitioned_total", "Frames dropped on send or receipt because DEBUG PARTITION cut their peer off.", func(s TransportStats) uint64 { return s.Partitioned }},
	{"conns_unauthenticated_total", "Incoming peer connections refused because the hello named a member the certificate is not valid for.", func(s TransportStats) uint64 { return s.Unauthenticated }},
}

var transportDescs = func() []*prometheus.Desc {
	ds := make([]*prometheus.Desc, len(transportMetrics))
	for i, t := range transportMetrics {
		ds[i] = prometheus.NewDesc("dynasim_transport_"+t.name, t.help, nil, nil)
	}
	return ds
}()

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descMsgSent
	ch <- descBytesSent
	ch <- descMsgRecv
	ch <- descBytesRecv
	ch <- descOverruns
	for _, d := range transportDescs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	tr := h.tr.stats.snapshot()
	for i, t := range transportMetrics {
		ch <- prometheus.MustNewConstMetric(transportDescs[i], prometheus.CounterValue, float64(t.get(tr)))
	}
	ch <- prometheus.MustNewConstMetric(descOverruns, prometheus.CounterValue, float64(h.clientOverruns.Load()))
	s := &h.tr.stats
	for _, k := range byKind(&s.kindSent, &s.kindSentBytes) {
		ch <- prometheus.MustNewConstMetric(descMsgSent, prometheus.CounterValue, float64(k.Frames), k.Kind.String())
		ch <- prometheus.MustNewConstMetric(descBytesSent, prometheus.CounterValue, float64(k.Bytes), k.Kind.String())
	}
	for _, k := range byKind(&s.kindRecv, &s.kindRecvBytes) {
		ch <- prometheus.MustNewConstMetric(descMsgRecv, prometheus.CounterValue, float64(k.Frames), k.Kind.String())
		ch <- prometheus.MustNewConstMetric(descBytesRecv, prometheus.CounterValue, float64(k.Bytes), k.Kind.String())
	}
}

// nodeCollector is the node's statistics, read on the loop: every numeric
// and boolean INFO field of the Node section as dynasim_node_<field>,
// untyped (some are running totals, some levels such as the memtable
// size). Its set of metrics is whatever node.Stats holds, so it describes
// none (an unchecked collector).
type nodeCollector struct{ h *Host }

func (*nodeCollector) Describe(chan<- *prometheus.Desc) {}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.h.Stats()
	eachStat("", reflect.ValueOf(st), func(name string, fv reflect.Value) {
		var v float64
		switch fv.Kind() {
		case reflect.String:
			return
		case reflect.Bool:
			if fv.Bool() {
				v = 1
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v = float64(fv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			v = float64(fv.Uint())
		case reflect.Float32, reflect.Float64:
			v = fv.Float()
		}
		d := prometheus.NewDesc("dynasim_node_"+name, "node.Stats field "+name+" (as in INFO).", nil, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.UntypedValue, v)
	})
}
