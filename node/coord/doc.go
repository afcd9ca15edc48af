// Package coord is the Dynamo coordinator: the part of a node that serves
// client requests by talking to the key's replicas.
//
// # Requests
//
// Any node accepts a get, put or delete. The request's replicas are the
// first N nodes of the key's preference list (N from the request, or the
// ring's placement) in the ring version the View holds when the request
// arrives (View.Membership, read at every request: the coordinator keeps
// no ring of its own, so a node given a new version places the next
// request by it). Datacenters come from the same version. Quorums are per request: a count, or ONE, TWO,
// QUORUM, ALL, LOCAL_QUORUM (a majority of the replicas in this node's
// datacenter) or EACH_QUORUM (a majority in every datacenter holding
// replicas); a request without one uses Config.R or Config.W. A quorum the
// replicas cannot meet (W or R above N, no local replica) is a bad request.
//
//   - get: read all N replicas; after R answers, reply with the live values
//     of their merge (siblings, versions.Values) and its opaque context
//     (versions.AppendContext). Replicas that answer afterwards are
//     repaired as Config.ReadRepair says. A get that cannot reach R fails.
//   - put / delete: only a replica of the key mints the new version (a dot
//     must never be minted twice — see node/versions), so a node outside the
//     replicas forwards the request to the first replica its View believes
//     up and relays the answer. The replica calls Versioner.Update over its
//     current stored set, stores the result, and sends that whole set to
//     the other replicas, which merge it. The answer is ok after W durable
//     acknowledgements (its own included). A write that has been sent and
//     then times out or cannot reach W ends "unknown outcome": it may have
//     been applied and may still appear. Only a write refused before
//     anything was sent is "failed" or "bad request" — including one the
//     coordinator's own replica refused: the version is minted into the
//     local replica before it is sent anywhere, or not at all.
//
// Each request executes once: a duplicated put or delete (the network may
// copy a message and deliver the copy late) would mint a new version of an
// old value. Requests are named by sender and request ID (dedupe.go).
//
// # The research variants
//
// Read repair off / async / blocking, and one- or two-phase writes, are
// Config switches. Blocking read repair plus two-phase writes is ABD over
// Dynamo's replicas: reads write back what they return before returning it;
// writes read a quorum and write a version that dominates what it saw
// (with last-write-wins, a timestamp past every one seen). With W+R>N that
// combination is what makes a register linearizable; the others show the
// well-known anomalies (stale reads, new/old inversions, lost updates under
// clock skew).
//
// # Purity and bounds
//
// The coordinator is a state machine: it touches the world only through
// its Host (send, timers, the local replica) and keeps at most MaxPending
// requests; per-request state is fixed-size arrays over at most
// ring.MaxReplicas replicas. Request IDs carry the node's epoch, so answers
// meant for an earlier incarnation are never mistaken for current ones.
package coord
