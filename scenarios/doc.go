// Package scenarios is dynasim's scenario format: a YAML file that describes
// a cluster, its configuration, the simulated world (network, disks, clocks),
// a workload, a fault schedule and the expectations a run must meet. It
// parses, validates and resolves scenarios; it does not run them (a runner
// maps Resolved onto the simulator, which this package never imports).
//
// # API
//
//	Parse(filename, data) (*Scenario, error)  strict decode + Validate; error is Problems
//	Load(path) (*Scenario, error)             read a file and Parse it
//	(*Scenario).Validate() error               re-check a Scenario changed in code
//	(*Scenario).Resolve(seed) (*Resolved, error)  pick every knob, fill every default
//	(*Scenario).DefaultSeed() uint64           the file's seed, or 1
//	MarshalResolved(*Resolved) ([]byte, error) the resolved scenario as a scenario file
//	(*Resolved).Steps() []Step                 the fault schedule in time order, with window ends
//	(*Resolved).FaultWindows(end) []FaultWindow  when each fault was active, for availability
//	(*Resolved).LinearizabilityEnabled() bool  on, off, or auto (R+W > N)
//	(Expect).List() []Expectation              the expectations a report checks
//
// Problems is every problem of a file, in file order, each rendered as
// "file:line:col: field.path: message", e.g.
//
//	x.yaml:12:8: node.w: w = 4 exceeds n = 3: a write cannot wait for more replicas than a key has
//	x.yaml:31:37: faults[2].nodes[0]: unknown node "n9" (nodes: n1, n2, n3, n4, n5)
//
// `dynasim validate` prints them and exits 2 when there are any.
//
// # Why a hand-written decoder
//
// goccy/go-yaml parses the file into an AST with positions; this package
// walks that AST itself (decode.go) instead of calling yaml.Unmarshal, so
// that one run reports every mistake — unknown or duplicated fields (with a
// "did you mean"), wrong types, enum values outside their list, malformed
// durations and sizes, ranges and choices that do not fit their field —
// each at its own line and column, then goes on to the cross-field checks
// (Validate), which skip fields already refused so one typo does not cascade.
// Anchors, aliases and merge keys (<<: *base) work, and top-level fields
// whose names start with "x-" are ignored so they can hold anchors (as in
// Compose files); alias expansion is bounded. Problems about a map entry
// (an unknown node under disks.nodes) point at its key.
//
// # Knobs: ranges and choices
//
// Any numeric knob — integers, floats, durations, sizes — may be written as
// a range, and any knob at all (numbers, enums, booleans, distributions,
// lists of node names) as a choice; the seed picks:
//
//	clients: {range: [4, 16]}            # uniform integer in [4, 16]
//	loss_prob: {range: [0, 0.01]}        # uniform float in [0, 0.01)
//	at: {range: [2s, 8s]}                # uniform duration in [2s, 8s] (ns steps)
//	version_mode: {choice: [vclock, dvv]}
//	nodes: {choice: [[n1], [n2, n3]]}
//
// A distribution is one knob: a choice picks between whole specs, and a
// spec's parameters take plain numbers. The fields that are not knobs are the ones that name or structure things:
// name, description, seed, cluster.datacenters, the names, datacenters and
// racks of listed nodes, from/to/both_ways of network overrides, a fault's
// action, name, datacenters, one_way and kinds, checks.t_visibility_ms, and
// expect.
//
// Each knob draws from its own stream (internal/streams) named
// "scenario/<field path>", so adding, removing or reordering other knobs
// never changes what a knob picks for a seed. Knobs of disks.default and
// clocks.default are drawn once per node under that node's path, so
// `offset: {range: [-50ms, 50ms]}` there gives every node its own offset.
// List entries are named by index (faults[3].at).
//
// Validation holds for every value a knob can take: `w: {range: [2, 3]}`
// with `n: 2` is refused, because some seed would pick w = 3. The only
// check left to Resolve is the consistency of a fault schedule whose times
// or targets are knobs (a restart must follow its crash); Resolve reports
// such a seed with the seed number in the message.
//
// # Resolution and replay
//
// Resolve(seed) returns a Resolved scenario: only concrete values, every
// default filled in, every node listed with its own disk and clock, every
// override link complete (fields left out of dc_pairs and links come from
// network.default). A DEFAULT workload read or write level stays DEFAULT:
// the requests carry DEFAULT on the wire and each node applies its own
// node.r / node.w (final_read_level DEFAULT is replaced by node.r, since
// the final reads are the harness's, not the workload's). MarshalResolved writes it as an ordinary scenario file; Parse and
// Resolve read that file back to an identical Resolved (a tested property),
// which is what `dynasim replay` re-runs. The seed both picks the knobs and
// seeds the run.
//
// # File reference
//
// Every section and field is optional. Sizes (fields ending in _bytes, but
// value_size_bytes, a distribution) are integers or strings with a unit: 512B, 64KiB, 4MiB, 1GiB (powers of 1024),
// 10KB, 4MB (powers of 1000). Durations are Go duration strings: 200ms,
// 1.5s, 2m, -2s; a bare 0 is allowed, other bare numbers are refused.
// Integers may also be written in float notation when the value is whole
// (1e3, 2.5e3, 4.0); a fraction (2.5) or a quoted number ("1e3") is not
// an integer. Float fields read the same notations.
// Distributions (fields ending in _ms, and value_size_bytes) are
// internal/dist specs:
//
//	{dist: constant, value: 5}
//	{dist: uniform, min: 1, max: 3}
//	{dist: normal, mean: 5, stddev: 1}        # truncated at 0
//	{dist: exponential, mean: 2}
//	{dist: lognormal, median: 2, sigma: 0.6}  # or mu instead of median
//	{dist: pareto, scale: 1, shape: 1.5}
//	{mixture: [{weight: 0.9, dist: constant, value: 1}, {weight: 0.1, dist: pareto, scale: 5, shape: 1.5}]}
//
// Consistency levels are ONE, TWO, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM
// (any letter case), DEFAULT (the node's R or W), or a replica count.
// Names of nodes, datacenters and racks are 1-64 letters, digits, '_', '-'
// or '.', starting with a letter or digit.
//
//	name: quorum-partition        # default: the file name without extension; no / \
//	description: text
//	seed: 42                      # the seed when `dynasim run` gets no --seed
//
//	cluster:
//	  nodes: 5                    # shorthand: n1..n5, spread over datacenters in
//	  datacenters: [east, west]   #   contiguous blocks (n1-n3 east, n4-n5 west)
//	  racks_per_datacenter: 2     #   racks r1, r2, ... in turn within each datacenter
//	  vnodes: 256                 # virtual nodes per unit of weight
//	  # or a list (then no datacenters/racks_per_datacenter):
//	  # nodes:
//	  #   - {name: a1, datacenter: east, rack: r1, weight: 2}   # weight scales vnodes
//
//	node:                         # every node's configuration
//	  n: 3                        # replicas per key
//	  r: 2                        # default read quorum
//	  w: 2                        # default write quorum
//	  replicas_per_datacenter: {east: 2, west: 1}   # instead of n; n is the sum
//	  version_mode: dvv           # vclock | dvv | lww
//	  max_siblings: 100           # a put leaving more fails; replica merges may hold up to 128
//	  read_repair: async          # off | async | blocking
//	  two_phase_writes: false     # read the current version before writing
//	  request_timeout: 500ms      # coordinator waiting for replicas
//	  vclock_pruning: {small_vclock: 50, big_vclock: 50, young_vclock: 20s, old_vclock: 24h}
//	  storage:
//	    sync: every               # every | group | periodic (periodic may lose acked writes)
//	    sync_interval: 2ms        # group: commit window; periodic: sync period
//	    memtable_size_bytes: 4MiB # 16KiB to 1GiB
//	    bloom_bits_per_key: 10    # 0: no Bloom filters
//	    block_cache_size_bytes: 8MiB   # 0: no block cache
//	  quorum: strict              # strict | sloppy (the first N healthy nodes of the
//	                              # extended preference list; needs hinted_handoff)
//	  hinted_handoff:             # fallbacks keep hinted writes on disk, hand them over
//	    enabled: false            #   when the target is believed up again
//	    window: 3h                # hints older than this are dropped (and counted)
//	    rate_bytes_per_s: 1MiB    # handoff rate of one node, burst one second
//	    max_in_flight: 16         # unacknowledged handoffs per target
//	  anti_entropy:               # Merkle-tree anti-entropy between replicas
//	    enabled: false            #   (exchanges per ring range, only differing buckets copied)
//	    interval: 10s             # how often a node queues a round of exchanges
//	    buckets: 64               # leaves per range tree, a power of two in [1, 512]
//	    rate_bytes_per_s: 1MiB    # what one node sends for anti-entropy, burst one second
//	    max_in_flight: 2          # exchanges one node runs at once
//	  streaming:                  # range streaming on join and decommission
//	    rate_bytes_per_s: 8MiB    # what one gaining node pulls, in [1KiB, 16GiB]
//	    chunk_bytes: 64KiB        # entries per chunk, in [1KiB, 4MiB]
//	    start_delay: 1s           # wait, once every member runs a change's step, before the next (>= 2 x request_timeout)
//
//	membership:                   # gossip membership and failure detection
//	  enabled: false              # false: each coordinator judges by missed replies only
//	  interval: 1s                # gossip round
//	  fanout: 2                   # peers per round
//	  suspect_after: 5s           # heartbeat silence before suspicion; >= 2 intervals
//	  confirm_reporters: 2        # heartbeat detector: reporters needed to mark down
//	  detector: heartbeat         # heartbeat | phi
//	  phi_threshold: 8            # phi detector: mark down above this
//
//	network:
//	  default:                    # every link
//	    latency_ms: {dist: lognormal, median: 1, sigma: 0.5}
//	    kind_latency_ms: {write_request: {dist: constant, value: 2}}   # by message kind
//	    loss_prob: 0
//	    dup_prob: 0
//	    bandwidth_bytes_per_sec: 0   # 0: unlimited
//	  dc_pairs:                   # datacenter From -> To; missing fields from default
//	    - {from: east, to: west, both_ways: true, latency_ms: {dist: constant, value: 40}}
//	  links:                      # node From -> To; missing fields from default
//	    - {from: n1, to: n4, loss_prob: 0.1}
//	  fifo: false                 # deliver each link in send order
//	  max_latency_ms: 60000       # cap on one latency draw
//
//	disks:
//	  default:
//	    capacity_bytes: 0         # 0: unlimited
//	    sector_size_bytes: 512    # a torn write keeps whole sectors
//	    crash_mode: lose-unsynced # lose-unsynced | keep-prefix | torn-write
//	    latency_ms: {sync: {dist: constant, value: 2}}   # by operation, or all
//	    error_prob: {write: 0.001}                       # by operation, or all
//	    bit_flip_prob: 0          # per read
//	    full: false               # the disk starts full
//	    faults_from_start: true   # false: errors and bit flips wait for disk_faults_on
//	  nodes:
//	    n3: {crash_mode: torn-write}   # replaces only the fields it gives
//
//	clocks:
//	  default: {offset: 0s, drift_ppm: 0}
//	  nodes:
//	    n1: {offset: -300ms}      # replaces only the fields it gives
//
//	workload:                     # mirrors sim.WorkloadConfig
//	  kind: mixed                 # mixed | probe (see "Probe workload" below)
//	  probe:                      # kind: probe only
//	    t_ms: [0, 1, 2, 5, 10, 20, 50, 100]   # delays t after the write's ack, ms
//	    t_range_ms: {from: 0, to: 100, step: 10}   # instead of t_ms
//	    trials_per_t: 1000        # trials at each delay (at most 1,000,000 in all)
//	    versions: 1               # values written per trial before the read (k-staleness)
//	    predict_trials: 200000    # WARS Monte Carlo trials for the prediction
//	    family_alpha: 0.001       # family-wise error of prediction_agrees
//	  clients: 1
//	  clients_per_dc: {east: 3, west: 2}   # instead of clients; clients is the sum
//	                              # (client0.. fill the datacenters in name order)
//	  rate_per_client: 0          # > 0: open loop, Poisson arrivals per second
//	  think_time_ms: {dist: exponential, mean: 5}   # closed loop only
//	  duration: 10s               # stop starting operations after this
//	  max_ops: 0                  # or after this many (0: no limit)
//	  max_outstanding: 10000      # open loop: more arrivals are shed
//	  mix: {get: 0.5, put: 0.5, delete: 0, rmw: 0}  # relative weights
//	  keys: {count: 100, dist: uniform, zipf_s: 0.99, hotspot_keys: 0.2, hotspot_ops: 0.8}
//	                              # dist: uniform | zipfian | hotspot | sequential
//	  value_size_bytes: {dist: constant, value: 100}   # at most 10240 bytes
//	  n: 3                        # replicas per request (default node.n)
//	  read_level: DEFAULT         # per-request R for gets (DEFAULT: the node's r)
//	  write_level: DEFAULT        # per-request W for puts and deletes (the node's w)
//	  routing: random             # random | first_replica | non_replica
//	  timeout: 1s                 # per attempt
//	  retries: 0                  # blind retries, unknown writes too; 0 with client_policy
//	  client_policy:              # load balancing and retries like Cassandra's/Riak's drivers
//	    enabled: false            # per-client view of healthy coordinators
//	    connect_timeout: 100ms    # no first byte by then: coordinator unhealthy (<= timeout)
//	    retry_attempts: 3         # more attempts, each at another coordinator, for gets and
//	                              # writes answered "failed"; never for unknown writes
//	    unhealthy_backoff: 1s     # how long an unhealthy coordinator is avoided; then probed
//	    max_unhealthy_backoff: 10s   # the backoff doubles per failed probe, up to this
//
//	faults:                       # see "Faults" below
//	  - {at: 5s, for: 10s, action: partition, sides: [[n1, n2], [n3, n4, n5]]}
//
//	quiet_period: 5s              # after the workload, before the final reads
//	final_read_level: ALL         # level of the final read of every key
//	final_read_keys: written      # written: read back (and probe) the keys a put or
//	                              # delete was issued for; all: the whole key space
//	heal_at_end: true             # undo every active fault when the workload ends
//
//	checks:
//	  linearizability: auto       # on | off | auto (when R+W > N)
//	  lin_step_budget: 20000000   # per key, in model steps: over it the key is inconclusive,
//	                              # the same verdict on every machine
//	  lin_memory_budget_mb: 512   # per key, an upper bound on what the search caches; over it: inconclusive
//	  lin_time_limit: 10m         # last-resort wall-clock safety cap; running out is
//	                              # inconclusive and the report says it is machine-dependent
//	  t_visibility_ms: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
//	  max_examples: 20
//
//	expect:                       # each optional; see Expect
//	  linearizable: true          # or false: the anomaly must be found
//	  lost_acked_writes: 0        # at most; also asserts unverified_acked_writes <= 0
//	  unverified_acked_writes_max: 0   # acked writes whose final read never succeeded
//	                              # that lost_acked_writes may leave unverified
//	  lost_acked_writes_min: 1    # at least (demonstrating a loss)
//	  converged: true             # "not yet" (messages still in flight) is not true
//	  availability_min: 0.99
//	  availability_in_faults_min: 0.5
//	  availability_in_faults_max: 0.9
//	  availability_after_faults_min: 0.5   # ops invoked 1s or more after the last
//	                              # fault window ended (liveness after heal)
//	  stale_fraction_max: 0.01
//	  stale_fraction_min: 0.05    # at least (demonstrating stale reads)
//	  p50_ms_max: 10              # a number bounds every operation ...
//	  p99_ms_max: {get: 20, put: 30}   # ... a mapping some (get, put, delete, all)
//	  p999_ms_max: {all: 100}
//	  prediction_agrees: true     # probe: measured and WARS-predicted curves agree
//	  detected_down_within_ms: 20000   # every node that stayed up marked each crashed
//	                              # or paused node down within this (needs membership)
//	  false_down_max: 0           # down marks of nodes up for the whole suspect_after before
//	  hints_pending_max: 0        # hints still held at the end (needs hinted_handoff)
//	  hints_dropped_max: 0        # hints dropped past their window
//	  anti_entropy_bytes_max: 2MiB  # every anti-entropy byte sent (needs anti_entropy)
//	  repaired_within_ms: 15000   # each wiped (or corrupted) node holds every key it
//	                              # held again within this (needs a wipe or corrupt_table)
//	  moved_fraction_max: 0.2167  # per join: share of replica placements moved
//	                              # (ideal 1/(n+1) joining n members; needs a join)
//
//	sim:
//	  event_cost: 0s              # processing time charged per event
//	  max_queued_events: 1000000  # per endpoint
//
// # Client policy
//
// workload.client_policy gives the simulated clients what real drivers
// have (sim.ClientPolicy has the details). Each client keeps its own view
// of the coordinators: one whose attempt got no reply within
// connect_timeout, or that answered "failed" or "unknown", is unhealthy
// for unhealthy_backoff, doubling per failed probe up to
// max_unhealthy_backoff, and requests go to healthy coordinators (the
// routing's pick when it is healthy; first_replica then takes the next
// healthy replica, the others a random healthy node). Once the backoff has
// passed, gets probe it again. Only requests that are safe to retry are
// retried, each at a coordinator the operation has not tried: gets (one
// without a first byte is abandoned at the connect timeout), and puts and
// deletes answered "failed" (definitely not applied). A write that timed
// out or was answered "unknown" is never sent again. The history's
// `tried` lists every coordinator a retried operation was sent to; it
// stays one operation with the last attempt's outcome, over the whole
// interval, so the checks treat it as one.
//
// # Faults
//
// Each entry has `at` (virtual time, required), `action`, the fields its
// action takes, and optionally `for`, a window after which the reverse
// action runs on its own. Targets name nodes; every target must exist for
// every seed.
//
//	action             fields                        required        for: reverse
//	partition          sides, name                   sides           heal (name)
//	partition_one_way  sides, name                   sides           heal (name)
//	partition_dc       datacenters, one_way, name    datacenters     heal (name)
//	isolate            nodes, name                   nodes           heal (name)
//	heal               name                          name            -
//	heal_all           -                             -               -
//	crash              nodes, mode                   nodes           restart
//	restart            nodes                         nodes           -
//	wipe               nodes                         nodes           -
//	corrupt_table      nodes                         nodes           -
//	pause              nodes                         nodes           resume
//	resume             nodes                         nodes           -
//	clock_jump         nodes, by (e.g. -2s)          nodes, by       clock_jump by -by
//	disk_faults_on     nodes, kinds                  nodes           disk_faults_off
//	disk_faults_off    nodes, kinds                  nodes           disk_faults_on
//	slow               nodes, factor (1 to 1e6)      nodes, factor   slow_off
//	slow_off           nodes                         nodes           -
//	join               nodes (one new), dc, rack,    nodes           -
//	                   weight
//	decommission       nodes (one member)            nodes           -
//
// The action names are sim.FaultKind's. sides is one list (those nodes
// against every other node) or two disjoint lists; partition_one_way cuts
// only sides[0] -> sides[1], and one_way on partition_dc only
// datacenters[0] -> datacenters[1]. A partition is named by name, or
// "faults[<index>]"; heal names an active one, heal_all heals every one.
// isolate cuts each listed node from every other node. mode is a crash mode
// (default: each node's disk crash_mode). kinds are latency, error, bitflip
// and diskfull (default error and bitflip). wipe replaces each node's disk
// with an empty one and starts the node on it (stopping it first if it is
// up): everything it stored is gone, and only anti-entropy (or read repair)
// brings its data back; it restarts under an epoch above its last.
// corrupt_table flips a few bits in the data blocks of each node's largest
// storage table, for good (crashes keep the damage): the node finds it by
// checksum when it reads the table, quarantines the table after three
// corrupt reads in a row, and pulls its ranges back from its peers with
// anti-entropy; the run fails if a node has no table yet.
//
// join adds a new server (a name no cluster node has; dc defaults to
// dc1, weight to 1) and decommission retires a member; both need
// membership.enabled, since the ring change (a transitional ring version:
// writes to the old and new replicas, reads from the old) travels by
// gossip. The gaining nodes stream the ranges they take over from the
// nodes that lose them (node.streaming), then the node that changes issues
// the settled ring version; a decommissioned node is stopped once every
// member runs it. One change at a time: a change scheduled while another
// is in progress fails (a fault error). A joined node may be the target of
// later faults. The report gains `ring` (ring versions, each change with
// its moved fraction against the ideal and the bytes and keys streamed,
// the cluster size per second against the offered load) and MEMBERSHIP
// CHANGES, RING VERSIONS and CLUSTER SIZE OVER TIME tables.
//
// # Autoscaling
//
// autoscale is an operator policy outside the nodes (sim/autoscale): every
// interval it measures the requests the clients started per ring member
// per second; when that stayed above scale_up_above for the whole window
// it joins the next of nodes, below scale_down_below it decommissions the
// node it added last, within [min, max] members, at most once per cooldown
// and never while a change is in progress. It needs membership.enabled.
//
//	autoscale:
//	  enabled: false
//	  scale_up_above: 300         # requests per node per second
//	  scale_down_below: 100
//	  window: 5s                  # the load must stay beyond a threshold this long
//	  interval: 1s                # sampling interval, at most the window
//	  min: 1                      # cluster size bounds (default max: nodes + len(nodes))
//	  max: 6
//	  cooldown: 10s               # least time between decisions
//	  nodes: [n4, n5, n6]         # new nodes it may add, in order
//	  dc: dc1                     # their datacenter (default: the first node's)
//
// workload.rate_profile ([{at: 0s, rate_per_client: 10}, ...]) varies the
// open loop's per-client rate over time, linearly between points (the
// first point's rate before it, the last's after); it makes the loop
// open.
//
// Times: at must come before the workload ends (workload.duration), and a
// window must end by then, because heal_at_end undoes every active fault at
// that moment; with heal_at_end: false the quiet period counts too. With
// only max_ops the end is unknown and times are not bounded. The schedule
// must make sense in time order: no crash of a node that is down, no
// restart of one that is up, no resume of one not paused, no second
// partition under an active name, no heal of a partition that is not
// active. At equal times, window ends apply before new faults.
//
// # Probe workload
//
// workload.kind: probe reproduces Probabilistically Bounded Staleness
// (Bailis et al., VLDB 2012). Trial i writes workload.probe.versions fresh
// values, one after another, to key i (no other trial touches it), waits
// exactly t = t_ms[i mod len(t_ms)] after the client saw the last write
// acknowledged, and reads the key once; it is consistent if the read
// returned the last value, and k versions stale if its newest value is k
// behind (k = versions: none of them). Each client runs one trial at a
// time. The report shows this "t-visibility at exactly t" with Wilson
// intervals beside the WARS Monte Carlo prediction from the same latency
// distributions (`dynasim predict FILE` prints it alone). A probe ignores
// duration, max_ops, mix, keys, think_time_ms and rate_per_client, skips
// the final reads and the replica states (so lost_acked_writes and
// converged are not checked), and needs node.read_repair: off.
//
// The prediction models exactly what the simulation does only when:
// routing is non_replica (with more nodes than n; the write is forwarded to
// the key's first replica, which stores it at once and sends it to the
// other n-1; the read's coordinator reads all n remotely) or first_replica
// (that replica coordinates both: always consistent); the legs are
// network.default's kind_latency_ms for write_request (W), write_ack (A),
// read_request (R) and read_response (S), and client_put, client_reply and
// client_get for the client's path (set them to constant 0 for the paper's
// model); and there are no dc_pairs, links, loss, duplication, bandwidth,
// FIFO, event cost, disk latency, faults or two-phase writes. Otherwise the
// run reports the measurement without a prediction and prediction_agrees
// fails. Keep 2 x max_latency_ms below node.request_timeout so that no
// trial times out (timed-out trials are left out of the measurement).
//
// prediction_agrees holds when, at every one of the m delays, the Wilson
// interval of the measurement and the Wilson interval of the prediction
// (its own Monte Carlo trials), each at the Bonferroni-adjusted confidence
// 1 - family_alpha/m, overlap. If the model is right, the chance that any
// delay fails is at most family_alpha (the overlap test is conservative),
// so the expectation holds across seeds; a wrong model of the latencies is
// still detected with a few thousand trials per delay.
//
// # Defaults
//
//	field                                  default
//	seed                                   1
//	name                                   file name without extension
//	cluster.nodes                          3 (n1, n2, n3)
//	cluster.datacenters                    [dc1]
//	cluster.racks_per_datacenter           0 (no racks)
//	cluster.vnodes                         256
//	cluster.nodes[].datacenter             dc1
//	cluster.nodes[].weight                 1
//	node.n                                 3, or the sum of replicas_per_datacenter
//	node.r, node.w                         n/2+1 (a majority)
//	node.version_mode                      dvv
//	node.max_siblings                      100
//	node.read_repair                       async
//	node.two_phase_writes                  false
//	node.request_timeout                   500ms
//	node.vclock_pruning                    small 50, big max(50, small), young 20s, old max(24h, young)
//	node.storage.sync                      every
//	node.storage.sync_interval             2ms for group, 100ms for periodic (none for every)
//	node.storage.memtable_size_bytes       4MiB
//	node.storage.bloom_bits_per_key        10
//	node.storage.block_cache_size_bytes    8MiB
//	node.quorum                            strict
//	node.hinted_handoff.enabled            false
//	node.hinted_handoff.window             3h
//	node.hinted_handoff.rate_bytes_per_s   1MiB
//	node.hinted_handoff.max_in_flight      16
//	node.anti_entropy.enabled              false
//	node.anti_entropy.interval             10s
//	node.anti_entropy.buckets              64
//	node.anti_entropy.rate_bytes_per_s     1MiB
//	node.anti_entropy.max_in_flight        2
//	node.streaming.rate_bytes_per_s        8MiB
//	node.streaming.chunk_bytes             64KiB
//	node.streaming.start_delay             1s
//	membership.enabled                     false
//	membership.interval                    1s
//	membership.fanout                      2
//	membership.suspect_after               5s
//	membership.confirm_reporters           2
//	membership.detector                    heartbeat
//	membership.phi_threshold               8
//	network.default.latency_ms             lognormal(median=1, sigma=0.5)
//	network.default.kind_latency_ms        none
//	network.default.loss_prob, dup_prob    0
//	network.default.bandwidth_bytes_per_sec  0 (unlimited)
//	network.dc_pairs[], links[] fields     those of network.default
//	network.fifo                           false
//	network.max_latency_ms                 60000
//	disks.*.capacity_bytes                 0 (unlimited)
//	disks.*.sector_size_bytes              512
//	disks.*.crash_mode                     lose-unsynced
//	disks.*.latency_ms, error_prob         none
//	disks.*.bit_flip_prob                  0
//	disks.*.full                           false
//	disks.*.faults_from_start              true
//	clocks.*.offset, drift_ppm             0
//	workload.kind                          mixed
//	workload.probe.trials_per_t            1000
//	workload.probe.versions                1
//	workload.probe.predict_trials          200000
//	workload.probe.family_alpha            0.001
//	workload.clients                       1, or the sum of clients_per_dc
//	workload.clients_per_dc                none (every client in the first node's datacenter)
//	workload.rate_per_client               0 (closed loop)
//	workload.think_time_ms                 none (no pause)
//	workload.duration                      10s, or 0 (no limit) when max_ops is set
//	workload.max_ops                       0 (no limit)
//	workload.max_outstanding               10000
//	workload.mix                           get 0.5, put 0.5 (if no weight is given; else unset weights are 0)
//	workload.keys.count                    100
//	workload.keys.dist                     uniform
//	workload.keys.zipf_s                   0.99
//	workload.keys.hotspot_keys, hotspot_ops  0.2, 0.8
//	workload.value_size_bytes              constant(100)
//	workload.n                             node.n
//	workload.read_level, write_level       DEFAULT (sent as DEFAULT; the node applies node.r, node.w)
//	workload.routing                       random
//	workload.timeout                       1s
//	workload.retries                       0
//	workload.client_policy.enabled         false (requests go where routing says)
//	workload.client_policy.connect_timeout 100ms
//	workload.client_policy.retry_attempts  3 (0: route around, never retry)
//	workload.client_policy.unhealthy_backoff      1s
//	workload.client_policy.max_unhealthy_backoff  10s
//	faults[].for                           none (no window)
//	faults[].name (partitions)             faults[<index>]
//	faults[].mode (crash)                  the node's disks crash_mode
//	faults[].kinds (disk_faults_*)         [error, bitflip]
//	quiet_period                           5s
//	final_read_level                       ALL
//	final_read_keys                        written
//	heal_at_end                            true
//	checks.linearizability                 auto
//	checks.lin_step_budget                 20000000
//	checks.lin_memory_budget_mb            512
//	checks.lin_time_limit                  10m
//	checks.t_visibility_ms                 0 1 2 5 10 20 50 100 200 500 1000 2000 5000 10000
//	checks.max_examples                    20
//	expect.*                               nothing asserted
//	sim.event_cost                         0s
//	sim.max_queued_events                  1000000
//
// # Limits
//
// At most 1024 nodes (64 bytes per name), n ≤ 16, weight ≤ 64 and vnodes ×
// weight ≤ 4096 (the ring's), values of at most 10240 bytes, 100,000
// clients and, with the nodes and the final reader, at most 8192 simulated
// endpoints (so with 5 nodes at most 8186 clients; the network keeps a
// matrix over endpoint pairs, 640 MiB at that size), 10,000,000 keys,
// 10,000 faults, 1000 alternatives per choice, a 4 MiB file, and 100
// problems reported per file.
package scenarios
