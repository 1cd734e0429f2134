// Package server owns batchd's HTTP endpoint and the request pipeline every
// call goes through: read the body, authenticate the SigV4 signature
// (internal/sigv4) against the caller's key (internal/iam), route by the
// signature's service, decode the service's wire protocol
// (internal/awsproto), check the operation's input against AWS's model,
// authorize the operation's IAM action on each resource it declares in its
// service's operation table, run the handler, encode the answer or AWS's
// error, and append the decision to the audit trail.
//
// A new operation is one row in its service's table (iam_ops.go,
// sts_ops.go) plus its handler; nothing else changes. Handlers hold no
// business rules: they turn wire parameters into domain calls and domain
// results into wire fields.
//
// Ahead of SigV4, unauthenticated, GET and HEAD only: /healthz (the process
// serves), /readyz (Config.Ready: the store reads, the scheduler runs) and,
// with Config.ServeMetrics, /metrics. Metrics owns batchd's Prometheus
// registry; the domain packages expose hooks (batch.Config.OnJobChange,
// scheduler.Config.OnStart and OnAttemptEnd, sqlite's ObserveCommits) that
// cmd/batchd points at its methods, so none of them imports Prometheus.
// Every request is observed once it ends (observe): its duration, by
// service, operation and code from bounded sets, and a line at debug level
// that never holds a header, body or secret.
package server
