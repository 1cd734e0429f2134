// Package batch owns the AWS Batch domain: compute environments, job
// queues, job definitions, scheduling policies and jobs, with AWS Batch's
// validation, quotas, ARNs and job state machine (AWS Batch API Reference,
// 2016-08-10; AWS Batch User Guide, "Job states").
//
// Job states: SUBMITTED → PENDING (waiting on dependencies) → RUNNABLE →
// STARTING → RUNNING → SUCCEEDED | FAILED. This package moves a job up to
// RUNNABLE, fails the dependents of a failed job with AWS's statusReason,
// and cancels or terminates on request; the scheduler (internal/scheduler)
// takes jobs from RUNNABLE on.
//
// The API's shapes are the generated types of api_types.go (from the
// botocore model), so a request decodes into its input type and a result
// encodes from its output type with no hand-written mapping. Every
// operation runs in one store transaction: a failed request changes
// nothing. Listing indexes are kept beside the documents (a job queue's
// jobs by status and creation time), so a page costs the same however many
// jobs are stored. The package decides nothing about permissions: the
// server authorizes every call before it gets here.
package batch
