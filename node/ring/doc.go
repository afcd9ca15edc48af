// Package ring is the consistent-hashing ring: which nodes store a key.
//
// # Hash
//
// Keys and tokens live on a 64-bit ring. A key's position is xxHash64 of the
// key bytes (github.com/cespare/xxhash/v2, seed 0): fast, well mixed, and
// stable across processes and releases, which a placement function must be.
// Changing it would move every key.
//
// # Tokens
//
// Every member owns virtual nodes ("vnodes"): Config.VNodes per unit of
// weight, so a server with Weight 2 gets twice the tokens and, on average,
// twice the data (the design's answer to heterogeneous servers). Token j of
// member m is xxHash64 of (Config.Seed, m.ID, j) in little-endian bytes: the
// placement depends only on the seed and member IDs, never on the order in
// which members joined, and a member keeps its tokens when others come and
// go, so a join or leave moves only the ranges next to the changed tokens.
//
// With random tokens a member's share of the ring is a sum of its vnodes'
// gaps; for M equal members with v vnodes each the shares are Dirichlet
// distributed and their coefficient of variation (population std-dev over
// mean) is sqrt((M-1)/(M·v+1)) ≈ 1/sqrt(v): about 0.095 for 100 vnodes over
// 10 members, 0.067 for 200. More vnodes buy balance with a larger table.
//
// # Preference lists
//
// A key's preference list is found by walking clockwise from the key's
// position (the first token >= it, wrapping) and picking distinct physical
// members. With Placement.PerDC each listed datacenter gets its own replica
// count (Cassandra's NetworkTopologyStrategy); members of unlisted
// datacenters are never replicas. Within a datacenter the walk prefers
// members on racks it has not used yet; only when every rack of that
// datacenter is used does it take the skipped members, clockwise from the
// key. A member without a rack is a rack of its own. The list is returned
// in clockwise order of the chosen members, so its head is the natural
// coordinator. If a datacenter has fewer members than its count, the list is
// shorter than Replicas(): the caller sees that and decides.
//
// The extended list continues the walk past the preference list with every
// other member in clockwise order: the fallbacks a sloppy quorum uses when
// replicas are unreachable.
//
// Lookups are a binary search over the sorted token array and a short walk,
// with bitsets on the stack: no allocation when the caller's buffer is large
// enough.
//
// # Ring versions
//
// A Member has an ID — its identity, from which its tokens are hashed — and
// a wire address; a Ring places and names members by ID and ignores the
// address. A Membership is one version of the ring: the Ring plus the
// members' addresses, a version number (at least 1; larger is newer) and a
// Digest, a stable hash of the configuration and the members (IDs,
// addresses, datacenters, racks, weights) in ID order. Its lookups
// (PreferenceList, ExtendedList, Owner) name members by address, through a
// per-member table, at the cost of the plain Ring's. Index gives a member's
// dense position, the key for per-member state such as suspicion. A
// version is immutable and can be rebuilt anywhere from Version, Config and
// Members, so it can travel in messages; Newer and Same compare versions
// cheaply.
//
// # Membership and statistics
//
// A Ring is immutable; Add, Remove and WithPlacement return new rings, so a
// node can keep serving from the old ring while it builds the next.
// Ownership reports each member's fraction of the hash space (as the first
// token owner and as any replica) with its spread; Movement compares two
// rings exactly over the hash space: the fraction of keys whose primary,
// replica set or replica slots change, which is what a join or leave costs
// in data transfer.
//
// # Transitions (transition.go)
//
// A join or a decommission is a transition: the version after a settled
// one, over the new member set, remembering the version it leaves (Prev)
// and the member running it (Changer). ReadList is the old preference
// list, WriteList the old one followed by the new replicas not in it (the
// pending ones), Gains the arcs a member gains with the members it pulls
// them from (those losing the arc), Gainers who gains anything, and
// MovedFraction the share of replica placements that change (about
// 1/(n+1) for a join into n members). Settle is the next, settled version
// over the new members; every node builds the same one. Encode and
// DecodeMembership carry a version (transition or not) in gossip.
package ring
