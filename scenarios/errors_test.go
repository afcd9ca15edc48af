package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// problemsOf parses src as t.yaml and returns its problems as strings.
func problemsOf(t *testing.T, src string) []string {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	require.Error(t, err, "the file should be refused")
	require.Nil(t, s)
	var ps Problems
	require.True(t, errors.As(err, &ps), "error %T is not Problems", err)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// Each mistake yields exactly one problem, at the line and column of the
// offending text, naming the field path.
func TestEachMistakeGivesOnePreciseProblem(t *testing.T) {
	cases := []struct {
		name, src string
		at        string // the problem is at the first occurrence of this text in src ("" = no position)
		want      string
	}{
		{"unknown field with a suggestion",
			"workload:\n  clinets: 4\n",
			"clinets", `workload.clinets: unknown field; did you mean "clients"?`},
		{"unknown field without a close match",
			"cluster:\n  colour: red\n",
			"colour", `cluster.colour: unknown field (fields here: nodes, datacenters, racks_per_datacenter, vnodes)`},
		{"unknown field inside a distribution",
			"network:\n  default:\n    latency_ms: {dist: lognormal, median: 1, sigmaa: 0.5}\n",
			"sigmaa", `network.default.latency_ms.sigmaa: unknown field; did you mean "sigma"?`},
		{"wrong type",
			"workload:\n  clients: many\n",
			"many", `workload.clients: expected an integer, got string "many"`},
		{"fraction for an integer",
			"workload:\n  clients: 2.5\n",
			"2.5", `workload.clients: expected a whole number, got 2.5`},
		{"string for a boolean",
			"node:\n  two_phase_writes: yes\n",
			"yes", `node.two_phase_writes: expected true or false, got string "yes"`},
		{"scalar for a list",
			"faults:\n  - {at: 1s, action: crash, nodes: n1}\n",
			"n1}", `faults[0].nodes: expected a list, got string "n1" (write [n1] for a list of one)`},
		{"bad enum",
			"node:\n  version_mode: dvvv\n",
			"dvvv", `node.version_mode: unknown value "dvvv" (want vclock, dvv or lww); did you mean "dvv"?`},
		{"bad quorum mode",
			"node:\n  quorum: slopy\n",
			"slopy", `node.quorum: unknown value "slopy" (want strict or sloppy); did you mean "sloppy"?`},
		{"sloppy quorum without hinted handoff",
			"node:\n  quorum: sloppy\n",
			"sloppy", `node.quorum: quorum: sloppy needs node.hinted_handoff.enabled: true (its fallbacks keep the writes they take as hints)`},
		{"bad detector",
			"membership:\n  detector: phy\n",
			"phy", `membership.detector: unknown value "phy" (want heartbeat or phi); did you mean "phi"?`},
		{"fanout out of range",
			"membership:\n  fanout: 0\n",
			"0", `membership.fanout: must be within [1, 64], got 0`},
		{"suspicion shorter than two gossip rounds",
			"membership:\n  interval: 3s\n",
			"3s", `membership.interval: suspect_after (5s) must be at least two intervals (6s): every member would be suspected between rounds`},
		{"hint window without a unit",
			"node:\n  hinted_handoff: {window: 3}\n",
			"3}", `node.hinted_handoff.window: a duration needs a unit, e.g. 3ms or 3s; got integer 3`},
		{"malformed hint rate",
			"node:\n  hinted_handoff: {rate_bytes_per_s: 1XB}\n",
			"1XB", `node.hinted_handoff.rate_bytes_per_s: expected a size such as 4096, 64KiB or 4MiB, got "1XB"`},
		{"hints in flight out of range",
			"node:\n  hinted_handoff: {max_in_flight: -1}\n",
			"-1", `node.hinted_handoff.max_in_flight: must be within [1, 65536], got -1`},
		{"bad enum inside a choice",
			"node:\n  read_repair: {choice: [off, eager]}\n",
			"eager", `node.read_repair.choice[1]: unknown value "eager" (want off, async or blocking)`},
		{"bad consistency level",
			"workload:\n  read_level: QUORUMM\n",
			"QUORUMM", `workload.read_level: unknown consistency level "QUORUMM" (want ONE, TWO, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, DEFAULT, or a replica count); did you mean "QUORUM"?`},
		{"duration without a unit",
			"workload:\n  duration: 10\n",
			"10", `workload.duration: a duration needs a unit, e.g. 10ms or 10s; got integer 10`},
		{"integer in float notation beyond the limit is a number, not a string",
			"workload:\n  clients: 1e18\n",
			"1e18", `workload.clients: must be within [1, 100000], got 1000000000000000000`},
		{"fractional integer",
			"workload:\n  keys: {count: 2.5}\n",
			"2.5", `workload.keys.count: expected a whole number, got 2.5`},
		{"quoted integer",
			"workload:\n  clients: \"1e3\"\n",
			"\"1e3\"", `workload.clients: expected an integer, got string "1e3"`},
		{"more clients than the simulated network has endpoints",
			"cluster:\n  nodes: 5\nworkload:\n  clients: 8187\n",
			"8187", `workload.clients: 8187 clients and 5 nodes need 8193 simulated endpoints (one per node and client, plus the final reader), the limit is 8192: at most 8186 clients with 5 nodes`},
		{"a range of clients that can exceed the endpoints",
			"cluster:\n  nodes: {range: [3, 10]}\nworkload:\n  clients: {range: [1, 8185]}\n",
			"{range: [1, 8185]}", `workload.clients: 8185 clients and 10 nodes need 8196 simulated endpoints (one per node and client, plus the final reader), the limit is 8192: at most 8181 clients with 10 nodes`},
		{"malformed duration",
			"workload:\n  duration: 10 seconds\n",
			"10 seconds", `workload.duration: expected a duration such as 200ms, 1.5s or 2m, got "10 seconds"`},
		{"malformed size",
			"node:\n  storage:\n    memtable_size_bytes: 4 MiBs\n",
			"4 MiBs", `node.storage.memtable_size_bytes: expected a size such as 4096, 64KiB or 4MiB, got "4 MiBs"`},
		{"range with min > max",
			"workload:\n  clients: {range: [5, 1]}\n",
			"[5, 1]", `workload.clients.range: range is empty: min 5 is greater than max 1`},
		{"range of durations with min > max",
			"faults:\n  - {at: {range: [3s, 1s]}, action: crash, nodes: [n1]}\n",
			"[3s, 1s]", `faults[0].at.range: range is empty: min 3s is greater than max 1s`},
		{"range over an enum",
			"node:\n  version_mode: {range: [vclock, lww]}\n",
			"{range: [vclock", `node.version_mode: a range applies to numbers and durations only; use {choice: [...]} to list the alternatives`},
		{"range with one bound",
			"workload:\n  clients: {range: [5]}\n",
			"[5]", `workload.clients.range: expected a list of two values [min, max], got a list`},
		{"range mixed with other keys",
			"workload:\n  clients: {range: [1, 5], choice: [2]}\n",
			"{range: [1, 5], choice", `workload.clients: a range or choice is a mapping with that one key, e.g. {range: [1, 5]} or {choice: [a, b]}`},
		{"empty choice",
			"node:\n  version_mode: {choice: []}\n",
			"[]", `node.version_mode.choice: expected a list of 1 to 1000 alternatives, got a list`},
		{"field given twice",
			"workload:\n  clients: 1\n  clients: 2\n",
			"clients: 2", `workload.clients: given twice (first at line 2)`},
		{"W > N",
			"node:\n  n: 3\n  w: 4\n",
			"4", `node.w: w = 4 exceeds n = 3: a write cannot wait for more replicas than a key has`},
		{"R > N for some seed",
			"node:\n  n: {range: [1, 3]}\n  r: 2\n",
			"2", `node.r: r = 2 exceeds n = 1: a read cannot wait for more replicas than a key has`},
		{"N > nodes",
			"cluster:\n  nodes: 2\n",
			"2", `cluster.nodes: 2 nodes are fewer than the default n = 3 replicas; add nodes or set node.n`},
		{"level above N",
			"final_read_level: 4\n",
			"4", `final_read_level: 4 needs 4 replicas, but n can be 3`},
		{"unknown node in a fault",
			"cluster:\n  nodes: 5\nfaults:\n  - {at: 1s, action: crash, nodes: [n1, n9]}\n",
			"n9", `faults[0].nodes[1]: unknown node "n9" (nodes: n1, n2, n3, n4, n5)`},
		{"unknown node with a suggestion",
			"cluster:\n  nodes: [{name: alpha}, {name: beta}, {name: gamma}]\nfaults:\n  - {at: 1s, action: pause, nodes: [betta]}\n",
			"betta", `faults[0].nodes[0]: unknown node "betta"; did you mean "beta"? (nodes: alpha, beta, gamma)`},
		{"node that exists only for some seeds",
			"cluster:\n  nodes: {range: [3, 6]}\nfaults:\n  - {at: 1s, action: crash, nodes: [n5]}\n",
			"n5]", `faults[0].nodes[0]: node "n5" exists only when cluster.nodes picks at least 5 nodes; a target must exist for every seed`},
		{"unknown datacenter",
			"cluster:\n  nodes: 4\n  datacenters: [east, west]\nfaults:\n  - {at: 1s, action: partition_dc, datacenters: [east, wets]}\n",
			"wets", `faults[0].datacenters[1]: unknown datacenter "wets"; did you mean "west"? (datacenters: east, west)`},
		{"fault after the workload",
			"workload:\n  duration: 10s\nfaults:\n  - {at: 12s, action: crash, nodes: [n1]}\n",
			"12s", `faults[0].at: 12s is not before the workload ends (workload.duration 10s) at 10s`},
		{"window past the workload",
			"workload:\n  duration: 10s\nfaults:\n  - {at: 8s, for: 5s, action: crash, nodes: [n1]}\n",
			"5s", `faults[0].for: the window can end at 13s (at 8s + for 5s), after the workload ends (workload.duration 10s) at 10s`},
		{"window on an action without a reverse",
			"faults:\n  - {at: 1s, for: 1s, action: restart, nodes: [n1]}\n",
			"1s, action", `faults[0].for: action restart has no reverse action, so it takes no for: window`},
		{"field that does not apply to the action",
			"faults:\n  - {at: 1s, action: crash, nodes: [n1], factor: 3}\n",
			"3}", `faults[0].factor: does not apply to action crash (it takes at, for, nodes, mode)`},
		{"one_way on a node partition",
			"faults:\n  - {at: 1s, action: partition, sides: [[n1], [n2]], one_way: true}\n",
			"true", `faults[0].one_way: does not apply to action partition (it takes at, for, name, sides)`},
		{"heal without a name",
			"faults:\n  - {at: 1s, action: isolate, nodes: [n1]}\n  - {at: 2s, action: heal}\n",
			"{at: 2s", `faults[1].name: required by action heal`},
		{"field the action needs",
			"faults:\n  - at: 1s\n    action: slow\n    nodes: [n1]\n",
			"at: 1s", `faults[0].factor: required by action slow`},
		{"fault without a time",
			"faults:\n  - {action: crash, nodes: [n1]}\n",
			"{action", `faults[0].at: required: when the fault happens, e.g. at: 2s`},
		{"unknown action",
			"faults:\n  - {at: 1s, action: explode, nodes: [n1]}\n",
			"explode", `faults[0].action: unknown value "explode" (want partition, partition_one_way, partition_dc, isolate, heal, heal_all, crash, restart, pause, resume, clock_jump, disk_faults_on, disk_faults_off, slow or slow_off)`},
		{"restart of a running node",
			"faults:\n  - {at: 1s, action: crash, nodes: [n1]}\n  - {at: 2s, action: restart, nodes: [n1]}\n  - {at: 3s, action: restart, nodes: [n1]}\n",
			"{at: 3s", `faults[2]: n1 is not down at 3s, so it cannot restart`},
		{"heal of an unknown partition",
			"faults:\n  - {at: 1s, action: isolate, nodes: [n1], name: cut}\n  - {at: 2s, action: heal, name: cutt}\n",
			"cutt", `faults[1].name: no partition is named "cutt"; did you mean "cut"?`},
		{"partition sides overlap",
			"faults:\n  - {at: 1s, action: partition, sides: [[n1, n2], [n2, n3]]}\n",
			"n2, n3", `faults[0].sides[1][0]: n2 is on both sides`},
		{"more replicas in a datacenter than it has nodes",
			"cluster: {nodes: 4, datacenters: [a, b]}\nnode: {replicas_per_datacenter: {a: 3, b: 1}}\n",
			"a: 3", `node.replicas_per_datacenter.a: 3 replicas in a, which has only 2 nodes`},
		{"replicas in an unknown datacenter",
			"cluster: {nodes: 4, datacenters: [a, b]}\nnode: {replicas_per_datacenter: {a: 1, c: 1}}\n",
			"c: 1", `node.replicas_per_datacenter.c: unknown datacenter "c" (datacenters: a, b)`},
		{"clients in an unknown datacenter",
			"cluster: {nodes: 4, datacenters: [a, b]}\nworkload: {clients_per_dc: {a: 2, c: 1}}\n",
			"c: 1", `workload.clients_per_dc.c: unknown datacenter "c" (datacenters: a, b)`},
		{"clients beside clients_per_dc",
			"cluster: {nodes: 4, datacenters: [a, b]}\nworkload: {clients: 4, clients_per_dc: {a: 2, b: 1}}\n",
			"4, clients_per_dc", `workload.clients: clients is the sum of clients_per_dc (3); leave it out`},
		{"no clients in a datacenter",
			"cluster: {nodes: 4, datacenters: [a, b]}\nworkload: {clients_per_dc: {a: 0}}\n",
			"a: 0", `workload.clients_per_dc.a: must be within [1, 100000], got 0`},
		{"dc pair configured twice",
			"cluster: {nodes: 2, datacenters: [a, b]}\nnode: {n: 2}\nnetwork:\n  dc_pairs:\n    - {from: a, to: b, both_ways: true}\n    - {from: b, to: a}\n",
			"{from: b", `network.dc_pairs[1]: datacenter pair b->a is already configured by network.dc_pairs[0]`},
		{"link from a node to itself",
			"network:\n  links: [{from: n1, to: n1}]\n",
			"{from: n1", `network.links[0]: a link joins two different nodes, got n1 to itself`},
		{"sync interval with sync every",
			"node:\n  storage: {sync: every, sync_interval: 5ms}\n",
			"5ms", `node.storage.sync_interval: applies only to sync: group or periodic`},
		{"think time in an open loop",
			"workload: {rate_per_client: 100, think_time_ms: {dist: constant, value: 1}}\n",
			"{dist: constant", `workload.think_time_ms: applies only to a closed loop (rate_per_client: 0); an open loop starts operations at its rate`},
		{"a workload that never ends",
			"workload: {duration: 0s}\n",
			"0s", `workload.duration: the workload needs a duration or max_ops, or it never ends (both can be 0)`},
		{"a partition side holding every node",
			"faults: [{at: 1s, action: partition, sides: [[n1, n2, n3]]}]\n",
			"[[n1", `faults[0].sides: the side holds every node, so there is nothing to cut it from`},
		{"value size over the limit",
			"workload:\n  value_size_bytes: {dist: uniform, min: 100, max: 20000}\n",
			"{dist: uniform", `workload.value_size_bytes: uniform(min=100, max=20000) can draw 20000 bytes, over the 10240-byte value limit`},
		{"unbounded value size",
			"workload:\n  value_size_bytes: {dist: exponential, mean: 100}\n",
			"{dist: exponential", `workload.value_size_bytes: exponential(mean=100) has no upper bound, but a value is at most 10240 bytes; use constant, uniform or a mixture of them`},
		{"invalid distribution parameter",
			"network:\n  default:\n    latency_ms: {dist: pareto, scale: 1, shape: -1}\n",
			"-1}", `network.default.latency_ms.shape: must be > 0 for pareto, got -1`},
		{"negative latency",
			"network:\n  default:\n    latency_ms: {dist: uniform, min: -1, max: 1}\n",
			"{dist: uniform", `network.default.latency_ms: uniform(min=-1, max=1) can be negative (down to -1), and a latency cannot`},
		{"unknown message kind",
			"network:\n  default:\n    kind_latency_ms:\n      write_req: {dist: constant, value: 1}\n",
			"write_req", `network.default.kind_latency_ms.write_req: unknown message kind "write_req"; did you mean "write_request"? (kinds: client_get, client_put, client_delete, client_reply, write_request, write_ack, read_request, read_response, gossip_push, gossip_reply)`},
		{"probability above 1",
			"network:\n  default:\n    loss_prob: 1.5\n",
			"1.5", `network.default.loss_prob: must be a fraction within [0, 1], got 1.5`},
		{"unknown disk operation",
			"disks:\n  default:\n    error_prob: {fsync: 0.1}\n",
			"fsync", `disks.default.error_prob.fsync: unknown value "fsync" (want read, write, sync, create, open, remove, rename, list, stat, mkdir, dirsync or all); did you mean "sync"?`},
		{"linearizability expected but skipped",
			"node: {r: 1, w: 1}\nexpect:\n  linearizable: true\n",
			"true", `expect.linearizable: expects a linearizability verdict, but checks.linearizability: auto skips the check when W+R <= N (here R=1, W=1, N=3 can happen); set checks.linearizability: on to run it anyway`},
		{"fault-window expectation without faults",
			"expect:\n  availability_in_faults_max: 0.5\n",
			"0.5", `expect.availability_in_faults_max: needs faults, and the schedule is empty`},
		{"linearizability expected with a workload N above the node's quorums",
			"cluster: {nodes: 5}\nworkload: {n: 5}\nexpect: {linearizable: false}\n",
			"false", `expect.linearizable: expects a linearizability verdict, but checks.linearizability: auto skips the check when W+R <= N (here R=2, W=2, N=5 can happen); set checks.linearizability: on to run it anyway`},
		{"expectation out of range",
			"expect:\n  availability_min: 99\n",
			"99", `expect.availability_min: must be a fraction within [0, 1], got 99`},
		{"latency bound for an unknown operation",
			"expect:\n  p99_ms_max: {gets: 10}\n",
			"gets", `expect.p99_ms_max.gets: unknown value "gets" (want get, put, delete or all); did you mean "get"?`},
		{"a name that cannot name files",
			"name: ../etc\n",
			"../etc", `name: a name is at most 128 bytes, without / \ or control characters (it names output files)`},
		{"missing value",
			"workload:\n  clients:\n  duration: 5s\n",
			"\n  duration", `workload.clients: missing value`},
		{"negative seed",
			"seed: -1\n",
			"-1", `seed: -1 is outside [0, 18446744073709551615]`},
		{"neither a count nor a list of nodes",
			"cluster:\n  nodes: {count: 5}\n",
			"{count", `cluster.nodes: expected a node count (5, or {range: [3, 7]}) or a list of nodes ([{name: a1, datacenter: east}, ...]), got a mapping`},
		{"unknown node as a map key",
			"disks:\n  nodes:\n    n9:\n      full: true\n",
			"n9", `disks.nodes.n9: unknown node "n9" (nodes: n1, n2, n3)`},
		{"a list where a mapping belongs",
			"- name: x\n",
			"- name", `expected a mapping with fields name, description, seed, cluster, node, membership, network, disks, clocks, workload, faults, quiet_period, final_read_level, final_read_keys, heal_at_end, checks, expect, sim, got a list`},
		{"two documents",
			"name: a\n---\nname: b\n",
			"name: b", `a scenario file holds one YAML document, this one has 2`},
		{"alias to a missing anchor",
			"workload:\n  duration: *dur\n",
			"*dur", `alias *dur names no anchor`},
		{"YAML syntax error",
			"workload: [1, 2\nnode: {}\n",
			"node: {}", `YAML syntax: ',' or ']' must be specified`},
		{"empty file",
			"# nothing here\n",
			"", `the file is empty; a scenario is a YAML mapping (see the scenario reference)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := "t.yaml: " + c.want
			if c.at != "" {
				i := strings.Index(c.src, c.at)
				require.GreaterOrEqual(t, i, 0, "marker %q not in the source", c.at)
				line := 1 + strings.Count(c.src[:i], "\n")
				col := 1 + i - (strings.LastIndex(c.src[:i], "\n") + 1)
				want = fmt.Sprintf("t.yaml:%d:%d: %s", line, col, c.want)
			}
			require.Equal(t, []string{want}, problemsOf(t, c.src))
		})
	}
}

// Parse reports every problem of a file at once, in file order, and skips
// cross-checks whose inputs were already refused.
func TestParseReportsAllProblemsAtOnce(t *testing.T) {
	src := strings.Join([]string{
		"cluster:",
		"  nodes: 3",
		"node:",
		"  n: three",               // wrong type: no W <= N check against it
		"  w: 20",                  // out of range on its own
		"  read_repair: sometimes", // bad enum
		"workload:",
		"  duration: 5",            // no unit
		"  mix: {get: -1, put: 1}", // negative weight
		"faults:",
		"  - {at: 1s, action: crash, nodes: [n4]}",             // unknown node
		"  - {at: 2s, action: slow, nodes: [n1], factor: 0.5}", // factor < 1
		"  - {at: 99s, action: pause, nodes: [n2]}",            // duration refused: not checked against its default
		"bogus: 1", // unknown field
	}, "\n")
	got := problemsOf(t, src)
	require.Equal(t, []string{
		`t.yaml:4:6: node.n: expected an integer, got string "three"`,
		`t.yaml:5:6: node.w: must be within [1, 16], got 20`,
		`t.yaml:6:16: node.read_repair: unknown value "sometimes" (want off, async or blocking)`,
		`t.yaml:8:13: workload.duration: a duration needs a unit, e.g. 5ms or 5s; got integer 5`,
		`t.yaml:9:14: workload.mix.get: must be within [0, 1000000], got -1`,
		`t.yaml:11:37: faults[0].nodes[0]: unknown node "n4" (nodes: n1, n2, n3)`,
		`t.yaml:12:49: faults[1].factor: must be within [1, 1000000], got 0.5`,
		`t.yaml:14:1: bogus: unknown field (fields here: name, description, seed, cluster, node, membership, network, disks, clocks, workload, faults, quiet_period, final_read_level, final_read_keys, heal_at_end, checks, expect, sim)`,
	}, got)
}
