// Package autoscale is the operator's scaling policy of the simulated
// world: the design's "servers added and removed automatically with the
// traffic". It lives outside node/ — no node decides to add a server; an
// operator watching the cluster does — and is a pure decision function,
// so a synthetic load trace tests it without a simulation.
//
// Every Interval the harness (sim/cluster's Autoscale) gives the
// Autoscaler a Sample: the client requests started so far (a running
// total: the offered load), the ring's member count, and whether a join
// or decommission is still in progress. The load of an interval is the
// requests of it per member per second. When the load of every interval
// of the last Window stayed above ScaleUpAbove, and the cluster has fewer
// than Max members, it decides Add; when it stayed below ScaleDownBelow
// with more than Min members, Remove. No decision is made while a change
// is in progress, nor within Cooldown of the last one, and the window
// must be full (Window/Interval samples since the start or the last
// decision), so one decision's effect is measured before the next.
package autoscale
