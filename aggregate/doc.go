// Package aggregate is the group-by engine over flowlog's Arrow record batches: exact, mergeable,
// deterministic, within a memory budget.
//
// Its input is decoded batches; for the three records
//
//	eni-a 10.0.0.1 10.0.0.2 443 6 10 1000 1762000000 1762000050 ACCEPT OK
//	eni-a 10.0.0.1 10.0.0.2 443 6  5  500 1762000100 1762000150 ACCEPT OK
//	eni-b 10.0.0.4 10.0.0.1  22 6  3  180 1762003600 1762003660 REJECT OK
//
// the Spec {Keys: interface-id, hour(start); Measures: Bytes, Flows, RejectFlows} gives the groups
//
//	eni-a 2025-11-01T12:00Z  bytes=1500 flows=2 rejected_flows=0
//	eni-b 2025-11-01T13:00Z  bytes=180  flows=1 rejected_flows=1
//
// An Engine holds the specs, the run-wide string ids and the memory Budget; each goroutine that reads
// batches owns a Worker (Engine.NewWorkers) and Merge combines them into a Result of Tables, whose Top
// lists groups by measure with ties broken by key. Run drives the whole pipeline over flowlog sources:
// a worker per core, each owning one object at a time, or every worker on the blocks of one object.
package aggregate
