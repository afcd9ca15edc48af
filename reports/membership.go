package reports

import "fmt"

// Membership is what the nodes' gossip failure detectors did (absent when
// membership is disabled): every down, up and left mark each node made,
// how long the live nodes took to mark each crashed node down, and the
// false suspicions.
type Membership struct {
	// Nodes lists, per observing node (history node index order), the
	// marks it made about the others.
	Nodes []MembershipNode `json:"nodes"`
	// Detections are the (crash, live observer) pairs: how long after the
	// crash the observer marked the crashed node down (Missed: it never
	// did while the node was down).
	Detections []Detection `json:"detections"`
	// DetectionMs are quantiles of the detections' latencies in ms (over
	// the detections that happened).
	DetectionMs DetectionQuantiles `json:"detection_ms"`
	// MissedDetections counts detections that never happened.
	MissedDetections int `json:"missed_detections"`
	// FalseDown counts down marks of a node whose process was up for the
	// whole suspicion timeout before the mark (a partition or lost
	// messages, not a crash or pause, made it look dead).
	FalseDown int `json:"false_down"`
}

// MembershipNode is one node's marks.
type MembershipNode struct {
	Node  int            `json:"node"`
	Name  string         `json:"name"`
	Marks []MembershipMk `json:"marks"`
}

// MembershipMk is one mark: at virtual time AtS (s), Member was marked
// Kind (down, up, left) with Reporters reporting it suspected; False marks
// a false down.
type MembershipMk struct {
	AtS       float64 `json:"at_s"`
	Member    string  `json:"member"`
	Kind      string  `json:"kind"`
	Reporters int     `json:"reporters,omitempty"`
	Phi       float64 `json:"phi,omitempty"`
	False     bool    `json:"false,omitempty"`
}

// Detection is one live observer's detection of one crash (or pause):
// CrashS is when it began and DownForS how long it lasted.
type Detection struct {
	Member   string  `json:"member"`
	Observer string  `json:"observer"`
	CrashS   float64 `json:"crash_s"`
	DownForS float64 `json:"down_for_s"`
	AfterMs  float64 `json:"after_ms,omitempty"`
	Missed   bool    `json:"missed,omitempty"`
}

// DetectionQuantiles are detection latency statistics in ms.
type DetectionQuantiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Hints are the nodes' hinted handoff counters (absent when hinted handoff
// is disabled), in total and per node.
type Hints struct {
	HintCounts
	Nodes []NodeHints `json:"nodes"`
}

// HintCounts: hints created (stored by fallbacks), delivered (acknowledged
// by their targets and deleted), dropped (expired past the window),
// pending at the end, the bytes handed over (redeliveries included) and
// handoffs refused for naming another node.
type HintCounts struct {
	Created      uint64 `json:"created"`
	Delivered    uint64 `json:"delivered"`
	Dropped      uint64 `json:"dropped"`
	Pending      int    `json:"pending"`
	PendingBytes int64  `json:"pending_bytes"`
	BytesSent    uint64 `json:"bytes_sent"`
	WrongTarget  uint64 `json:"wrong_target"`
}

// Add adds o's counts to c.
func (c *HintCounts) Add(o HintCounts) {
	c.Created += o.Created
	c.Delivered += o.Delivered
	c.Dropped += o.Dropped
	c.Pending += o.Pending
	c.PendingBytes += o.PendingBytes
	c.BytesSent += o.BytesSent
	c.WrongTarget += o.WrongTarget
}

// NodeHints is one node's hint counts.
type NodeHints struct {
	Node int    `json:"node"`
	Name string `json:"name"`
	HintCounts
}

// failuresTable is the text and HTML table of membership marks and hints
// per node, with the detection figures as notes; nil when the run had
// neither.
func failuresTable(r *Report) *table {
	m, h := r.Membership, r.Hints
	if m == nil && h == nil {
		return nil
	}
	t := &table{Title: "Failure detection and hints", Header: []string{"node", "marked down", "marked up", "false down", "hints created", "delivered", "dropped", "pending"}, Right: rightFrom(8, 1)}
	n := 0
	if m != nil {
		n = len(m.Nodes)
	}
	if h != nil {
		n = max(n, len(h.Nodes))
	}
	for i := 0; i < n; i++ {
		name := ""
		down, up, falseDown := "-", "-", "-"
		if m != nil && i < len(m.Nodes) {
			name = m.Nodes[i].Name
			d, u, f := 0, 0, 0
			for _, mk := range m.Nodes[i].Marks {
				switch mk.Kind {
				case "down":
					d++
				case "up":
					u++
				}
				if mk.False {
					f++
				}
			}
			down, up, falseDown = fmtInt(d), fmtInt(u), fmtInt(f)
		}
		created, delivered, dropped, pending := "-", "-", "-", "-"
		if h != nil && i < len(h.Nodes) {
			name = h.Nodes[i].Name
			hc := h.Nodes[i].HintCounts
			created, delivered, dropped, pending = fmtUint(hc.Created), fmtUint(hc.Delivered), fmtUint(hc.Dropped), fmtInt(hc.Pending)
		}
		t.add(c(name, down, up, falseDown, created, delivered, dropped, pending)...)
	}
	if m != nil {
		if m.DetectionMs.Count > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("detection of downed nodes: %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms; missed %d", m.DetectionMs.Count, m.DetectionMs.P50, m.DetectionMs.P99, m.DetectionMs.Max, m.MissedDetections))
		} else if m.MissedDetections > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("detection of downed nodes: missed %d", m.MissedDetections))
		}
		t.Notes = append(t.Notes, fmt.Sprintf("false down marks (node up for the whole suspicion timeout): %d", m.FalseDown))
	}
	if h != nil {
		t.Notes = append(t.Notes, fmt.Sprintf("hints: %d created, %d delivered, %d dropped, %d pending (%s), %s handed over, %d refused for naming another node",
			h.Created, h.Delivered, h.Dropped, h.Pending, fmtBytes(float64(h.PendingBytes)), fmtBytes(float64(h.BytesSent)), h.WrongTarget))
	}
	return t
}
