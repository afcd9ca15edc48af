// Package layout holds the module's shape: which packages may import which,
// as DESIGN.md draws it. The arrows point one way —
// cmd -> runner -> {scenarios, sim, checker, reports} -> node -> {wire, disk};
// history is a leaf — and its test (TestModuleHoldsTheDesignedShape) fails on
// any import that goes against them, printing the offending import chain.
//
// The graph comes from `go list -deps -json ./...` (Load), so it is exactly
// what the go command builds: direct and transitive imports of every
// package's non-test files, and the direct imports of its test files. A rule
// (Rule) names the packages it applies to and the packages they must not
// reach, directly or through any chain of imports; Check is a pure function
// of a graph and the rules, so it is tested on synthetic graphs too.
//
// What the node's code may do inside the packages it is allowed to import
// (no goroutines, wall clock, global randomness, ...) is the purity lint's
// business (internal/purity), not this package's.
package layout
