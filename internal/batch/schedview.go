package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"batchd/internal/store"
)

// SchedulingReader reads what the scheduler decides from — job queues,
// compute environments, scheduling policies and the jobs in a state — all
// in one store transaction, so that a decision sees one consistent state.
// It is valid only inside the function given to ReadScheduling.
type SchedulingReader struct {
	s  *Service
	tx store.Tx
}

// ReadScheduling runs fn with a SchedulingReader over one read
// transaction.
func (s *Service) ReadScheduling(ctx context.Context, fn func(r *SchedulingReader) error) error {
	return s.store.View(ctx, func(tx store.Tx) error { return fn(&SchedulingReader{s: s, tx: tx}) })
}

// listAll decodes every document of kind.
func listAll[T any](tx store.Tx, kind string) ([]T, error) {
	items, err := tx.List(kind, "", "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it.Value, &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", kind, it.Key, err)
		}
	}
	return out, nil
}

// JobQueues returns every job queue, by name.
func (r *SchedulingReader) JobQueues() ([]JobQueueDetail, error) {
	return listAll[JobQueueDetail](r.tx, kindJQ)
}

// ComputeEnvironments returns every compute environment, by name.
func (r *SchedulingReader) ComputeEnvironments() ([]ComputeEnvironmentDetail, error) {
	return listAll[ComputeEnvironmentDetail](r.tx, kindCE)
}

// SchedulingPolicy returns a scheduling policy by ARN; found is false when
// there is none.
func (r *SchedulingReader) SchedulingPolicy(arn string) (sp *SchedulingPolicyDetail, found bool, err error) {
	return r.s.loadSP(r.tx, arn)
}

// JobsInState is Service.JobsInState within the reader's transaction.
func (r *SchedulingReader) JobsInState(queue, status string, limit int) ([]JobDetail, error) {
	return r.s.jobsInStateTx(r.tx, queue, status, limit)
}

// RunnableIDs lists the IDs of the RUNNABLE jobs of a queue that
// JobsInState would describe, in its order (oldest first), without
// reading the jobs; last is the position of the last of them, to compare
// with TakeRunnable's ("" when none).
func (r *SchedulingReader) RunnableIDs(queue string, limit int) (ids []string, last string, err error) {
	return jobIDsInStateTx(r.tx, queue, JobStatusRunnable, limit)
}

// Jobs describes jobs by ID within the reader's transaction, as
// DescribeJobs does (IDs of no job left out).
func (r *SchedulingReader) Jobs(ids []string) ([]JobDetail, error) {
	return r.s.newJobTx(r.tx).details(ids)
}

// jobsInStateTx lists up to limit jobs of a queue in status, oldest first
// for the states the scheduler works on (kindJobSched), newest first
// otherwise (kindJobIdx).
func (s *Service) jobsInStateTx(tx store.Tx, queue, status string, limit int) ([]JobDetail, error) {
	ids, _, err := jobIDsInStateTx(tx, queue, status, limit)
	if err != nil {
		return nil, err
	}
	return s.newJobTx(tx).details(ids)
}

// jobIDsInStateTx lists the IDs jobsInStateTx describes, and the last
// one's key past the queue and status: for the states the scheduler works
// on, its position (schedPos); "" when none.
func jobIDsInStateTx(tx store.Tx, queue, status string, limit int) (ids []string, last string, err error) {
	if !validStatus(status) {
		return nil, "", fmt.Errorf("batch: JobsInState: no job status %q", status)
	}
	q := queueName(queue)
	kind, prefix := kindJobIdx, idxPrefix(q, status)
	if scheduled(status) {
		kind, prefix = kindJobSched, schedPrefix(q, status)
	}
	items, err := tx.List(kind, prefix, "", limit)
	if err != nil {
		return nil, "", err
	}
	ids = make([]string, len(items))
	for i, it := range items {
		if kind == kindJobSched {
			ids[i] = schedID(it.Key)
		} else {
			ids[i] = it.Key[strings.LastIndexByte(it.Key, 0)+1:]
		}
	}
	if len(items) > 0 {
		last = items[len(items)-1].Key[len(prefix):]
	}
	return ids, last, nil
}
