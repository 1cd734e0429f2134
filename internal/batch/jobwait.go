package batch

import (
	"context"
	"errors"
)

// What the scheduler records on jobs beyond MarkStarting, MarkRunning and
// MarkFinished (jobstate.go).

// SetRunnableReason records why a RUNNABLE job waits, as its statusReason:
// AWS shows none while a job merely waits its turn, and a reason when the
// job at the head of a queue blocks it (AWS Batch User Guide, "Jobs stuck
// in a RUNNABLE status": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ...").
// reason "" clears it. ErrJobState when the job is no longer RUNNABLE.
func (s *Service) SetRunnableReason(ctx context.Context, jobID, reason string) error {
	return s.transition(ctx, jobID, func(t *jobTx, l *loaded) error {
		if l.rec.Status != JobStatusRunnable {
			return stateError(l.rec, JobStatusRunnable)
		}
		return t.setStatus(l, JobStatusRunnable, reason)
	})
}

// errNotActive tells MarkTimedOut that the job is not STARTING or RUNNING.
var errNotActive = errors.New("batch: job not active")

// MarkTimedOut records the end of an attempt the scheduler stopped because
// it ran longer than timeout.attemptDurationSeconds: the attempt is
// recorded as MarkFinished records it and the job is FAILED with reason,
// whatever attempts its retry strategy has left (AWS Batch User Guide, "Job
// timeouts": "If a job is terminated for exceeding the timeout duration,
// it isn't retried"). A job TerminateJob failed meanwhile is left to
// MarkFinished.
func (s *Service) MarkTimedOut(ctx context.Context, jobID string, attempt AttemptDetail, reason string) error {
	err := s.transition(ctx, jobID, func(t *jobTx, l *loaded) error {
		r := l.rec
		if r.Status != JobStatusStarting && r.Status != JobStatusRunning {
			return errNotActive
		}
		if attempt.StartedAt == nil && r.StartedAt != 0 {
			attempt.StartedAt = ptrIf(r.StartedAt)
		}
		if attempt.StoppedAt == nil {
			attempt.StoppedAt = ptrIf(t.now)
		}
		if attempt.StatusReason == nil {
			attempt.StatusReason = ptrIf(reason)
		}
		r.Attempts = append(r.Attempts, attempt)
		r.recordContainer(attempt.Container)
		t.touch(l)
		return t.setStatus(l, JobStatusFailed, reason)
	})
	if errors.Is(err, errNotActive) {
		return s.MarkFinished(ctx, jobID, attempt, false, reason)
	}
	return err
}
