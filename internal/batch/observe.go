package batch

import (
	"context"
	"log/slog"

	"batchd/internal/store"
)

// JobChange is a job's move from one status to another, told to
// Config.OnJobChange once the write that made it committed. From is ""
// for a job the write created (SubmitJob, an array's children).
type JobChange struct {
	Queue   string // job queue name (an array child's: its parent's)
	JobID   string
	JobName string
	// ArrayChild is set for the children of an array job.
	ArrayChild bool
	// Attempt is the attempt the change belongs to: 1 for the first
	// dispatch (STARTING, RUNNING and its end), 0 before any.
	Attempt      int
	From, To     string
	ExitCode     *int32
	StatusReason string
	// CreatedAt and StartedAt are the job's, in milliseconds (StartedAt
	// 0 when it has not run).
	CreatedAt, StartedAt int64
	// pos is the job's position among its queue's RUNNABLE jobs
	// (schedPos), when it became RUNNABLE.
	pos string
}

// noteChange queues a change for Config.OnJobChange and Runnable, when
// the transaction is a watched Update.
func (t *jobTx) noteChange(r, p *jobRecord, from string) {
	wt, ok := t.tx.(watchedTx)
	if !ok {
		return
	}
	attempt := len(r.Attempts)
	if r.Status == JobStatusStarting || r.Status == JobStatusRunning {
		attempt++
	}
	c := JobChange{
		Queue: p.Queue, JobID: r.ID, JobName: p.Name, ArrayChild: r.isChild(), Attempt: attempt,
		From: from, To: r.Status, ExitCode: r.ExitCode, StatusReason: r.Reason,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt,
	}
	if r.Status == JobStatusRunnable {
		c.pos = schedPos(r)
	}
	*wt.changes = append(*wt.changes, c)
}

// JobCounts returns how many jobs each job queue holds in each of
// statuses (every status when none is given), in one read transaction: a
// count of each (queue, status) range of the listing index, not a read of
// the jobs. Array children are not counted (their parent is, PENDING while
// they run); nor are jobs of queues that were deleted. A count costs in
// proportion to the jobs in its range: the finished ones, kept for
// --job-retention, are the many.
func (s *Service) JobCounts(ctx context.Context, statuses ...string) (map[string]map[string]int, error) {
	if len(statuses) == 0 {
		statuses = jobStatuses
	}
	out := map[string]map[string]int{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		queues, err := tx.List(kindJQ, "", "", 0)
		if err != nil {
			return err
		}
		for _, q := range queues {
			byStatus := make(map[string]int, len(statuses))
			for _, st := range statuses {
				n, err := tx.Count(kindJobIdx, idxPrefix(q.Key, st))
				if err != nil {
					return err
				}
				byStatus[st] = n
			}
			out[q.Key] = byStatus
		}
		return nil
	})
	return out, err
}

// logChange writes a job change at info level: one line per change, with
// what an operator looks for (the job's queue, ID, name and attempt, its
// exit code and statusReason once known).
func (s *Service) logChange(c JobChange) {
	from := c.From
	if from == "" {
		from = "(new)"
	}
	attrs := []slog.Attr{slog.String("queue", c.Queue), slog.String("jobId", c.JobID), slog.String("jobName", c.JobName),
		slog.Int("attempt", c.Attempt), slog.String("from", from), slog.String("to", c.To)}
	if c.ExitCode != nil && (c.To == JobStatusSucceeded || c.To == JobStatusFailed || c.From == JobStatusRunning) {
		attrs = append(attrs, slog.Int("exitCode", int(*c.ExitCode)))
	}
	if c.StatusReason != "" {
		attrs = append(attrs, slog.String("statusReason", c.StatusReason))
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "job status changed", attrs...)
}
