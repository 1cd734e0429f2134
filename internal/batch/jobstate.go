package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"batchd/internal/store"
)

// The job state machine (AWS Batch User Guide, "Job states", "Job
// dependencies", "Array jobs"):
//
//   - SUBMITTED → (Advance) PENDING when a dependency has not SUCCEEDED, or
//     the job is an array parent; RUNNABLE otherwise; FAILED, with
//     statusReason "Dependent Job failed", when a dependency FAILED.
//   - PENDING → RUNNABLE when the last dependency SUCCEEDS; FAILED ("Dependent
//     Job failed") when one FAILS, and so on down the dependents.
//   - RUNNABLE → STARTING → RUNNING → SUCCEEDED | FAILED, as the scheduler
//     reports (MarkStarting, MarkRunning, MarkFinished); a failed attempt
//     with attempts left in its retry strategy goes back to RUNNABLE.
//   - An array parent spawns its children ("parentID:index") once its own
//     dependencies (those with no type) have SUCCEEDED: child i waits for
//     child i of each N_TO_N dependency and, with SEQUENTIAL, for child
//     i-1. The parent stays PENDING while they run and ends when they all
//     have: SUCCEEDED when all did, else FAILED ("Array Child Job failed").
//     arrayProperties.statusSummary counts the children by status.
//   - CancelJob fails SUBMITTED, PENDING and RUNNABLE jobs (isCancelled; a
//     PENDING one once its dependencies have completed); TerminateJob
//     fails any job not yet done (isCancelled before STARTING, isTerminated
//     after) and, for a
//     STARTING or RUNNING one, asks the scheduler to stop its process
//     (TerminationRequests). Their dependents fail with it.
//
// Every change is made in one store transaction with the listing entries
// it moves (jobTx.flush).

// Reasons AWS gives.
const (
	reasonDependentFailed  = "Dependent Job failed"   // observed
	reasonArrayChildFailed = "Array Child Job failed" // observed
)

// ErrJobState is returned by the scheduler's transitions (MarkStarting,
// MarkRunning, MarkFinished) when the job is not in a state the transition
// leaves (cancelled or terminated meanwhile, say).
var ErrJobState = errors.New("batch: the job is not in a state this transition leaves")

// setStatus moves a job to status with reason. A child counts in its
// parent's statusSummary, and the parent ends when its last child does. A
// job that ends is queued for settle, which tells its dependents.
func (t *jobTx) setStatus(l *loaded, status, reason string) error {
	r := l.rec
	old := r.Status
	if old == status && r.Reason == reason {
		return nil // nothing to write (a PENDING job still waiting)
	}
	r.Status, r.Reason = status, reason
	if terminal(status) && r.StoppedAt == 0 {
		r.StoppedAt = t.now
	}
	t.touch(l)
	if old == status {
		return nil
	}
	if terminal(status) {
		t.done = append(t.done, r.ID)
	}
	if !r.isChild() {
		t.noteChange(r, r, old)
		return nil
	}
	pl, err := t.get(r.Parent)
	if err != nil {
		return err
	}
	if pl == nil {
		return fmt.Errorf("batch: array child %s has no parent", r.ID)
	}
	p := pl.rec
	t.noteChange(r, p, old)
	p.Summary[old]--
	p.Summary[status]++
	p.SummaryAt = t.now
	t.touchCounts(pl)
	if terminal(p.Status) || p.Summary[JobStatusSucceeded]+p.Summary[JobStatusFailed] < p.Size {
		return nil
	}
	if p.Summary[JobStatusFailed] == 0 {
		return t.setStatus(pl, JobStatusSucceeded, "")
	}
	why := reasonArrayChildFailed
	if p.Cancelled || p.Terminated {
		why = p.Reason
	}
	return t.setStatus(pl, JobStatusFailed, why)
}

// depState is what a job's dependencies allow.
type depState int

const (
	depsMet depState = iota
	depsWaiting
	depsFailed
)

// depStatus returns a dependency's status. A child of an array that ended
// without it never ran: FAILED; one not spawned yet: PENDING.
func (t *jobTx) depStatus(id string) (string, error) {
	l, err := t.get(id)
	if err != nil {
		return "", err
	}
	if l != nil {
		return l.rec.Status, nil
	}
	parent, _, ok := splitChildID(id)
	if !ok {
		return JobStatusFailed, nil // gone
	}
	p, err := t.get(parent)
	if err != nil {
		return "", err
	}
	if p == nil || terminal(p.rec.Status) {
		return JobStatusFailed, nil
	}
	return JobStatusPending, nil
}

// deps says whether deps allow a job to run. typed: whether N_TO_N
// dependencies count (they do for a child, whose dependsOn names its
// peers; not for a parent, whose N_TO_N dependencies its children carry).
func (t *jobTx) deps(deps []JobDependency, typed bool) (depState, error) {
	st := depsMet
	for _, d := range deps {
		id := deref(d.JobId)
		if id == "" || !typed && d.Type == ArrayJobDependencyNToN {
			continue
		}
		s, err := t.depStatus(id)
		if err != nil {
			return 0, err
		}
		switch s {
		case JobStatusFailed:
			return depsFailed, nil
		case JobStatusSucceeded:
		default:
			st = depsWaiting
		}
	}
	return st, nil
}

// evaluate moves a SUBMITTED or PENDING job as its dependencies allow.
func (t *jobTx) evaluate(l *loaded) error {
	r := l.rec
	if r.isParent() {
		if r.Spawned {
			// An N_TO_N dependency ended: children waiting on a peer that
			// will never run must fail.
			return t.evaluateChildren(r)
		}
		st, err := t.deps(r.DependsOn, false)
		if err != nil {
			return err
		}
		switch st {
		case depsFailed:
			return t.setStatus(l, JobStatusFailed, reasonDependentFailed)
		case depsMet:
			if err := t.setStatus(l, JobStatusPending, ""); err != nil {
				return err
			}
			return t.spawn(l)
		}
		return t.setStatus(l, JobStatusPending, "")
	}
	st, err := t.deps(r.DependsOn, true)
	if err != nil {
		return err
	}
	switch {
	case st != depsWaiting && r.CancelReason != "":
		// A cancel asked for while it waited (CancelJob).
		return t.setStatus(l, JobStatusFailed, r.CancelReason)
	case st == depsFailed:
		return t.setStatus(l, JobStatusFailed, reasonDependentFailed)
	case st == depsMet:
		return t.setStatus(l, JobStatusRunnable, "")
	}
	return t.setStatus(l, JobStatusPending, "")
}

// spawn creates an array parent's children, each PENDING or RUNNABLE (or
// FAILED) as its dependencies allow, with a kindDeps entry for each
// dependency it waits for.
func (t *jobTx) spawn(pl *loaded) error {
	p := pl.rec
	p.Spawned = true
	p.Summary = make(map[string]int32, len(jobStatuses))
	for _, st := range jobStatuses {
		p.Summary[st] = 0
	}
	p.SummaryAt = t.now
	t.touch(pl)
	sequential := false
	var peers []string // N_TO_N dependencies
	for _, d := range p.DependsOn {
		switch d.Type {
		case ArrayJobDependencySequential:
			sequential = true
		case ArrayJobDependencyNToN:
			peers = append(peers, deref(d.JobId))
		}
	}
	for i := range p.Size {
		c := &jobRecord{ID: childID(p.ID, i), Parent: p.ID, Index: i, CreatedAt: t.now, Status: JobStatusPending}
		for _, peer := range peers {
			c.DependsOn = append(c.DependsOn, JobDependency{JobId: ptrIf(childID(peer, i)), Type: ArrayJobDependencyNToN})
		}
		if sequential && i > 0 {
			c.DependsOn = append(c.DependsOn, JobDependency{JobId: ptrIf(childID(p.ID, i-1)), Type: ArrayJobDependencySequential})
		}
		cl := t.create(c)
		p.Summary[JobStatusPending]++
		st, err := t.deps(c.DependsOn, true)
		if err != nil {
			return err
		}
		switch st {
		case depsFailed:
			if err := t.setStatus(cl, JobStatusFailed, reasonDependentFailed); err != nil {
				return err
			}
		case depsMet:
			if err := t.setStatus(cl, JobStatusRunnable, ""); err != nil {
				return err
			}
		default:
			for _, d := range c.DependsOn {
				s, err := t.depStatus(*d.JobId)
				if err != nil {
					return err
				}
				if !terminal(s) {
					if err := t.tx.Put(kindDeps, depsKey(*d.JobId, c.ID), nil); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// evaluateChildren evaluates the PENDING children of a spawned parent.
func (t *jobTx) evaluateChildren(p *jobRecord) error {
	if err := t.flush(); err != nil { // the index must show this transaction's changes
		return err
	}
	items, err := t.tx.List(kindArrIdx, arrPrefix(p.ID, JobStatusPending), "", 0)
	if err != nil {
		return err
	}
	for _, it := range items {
		idx, err := strconv.ParseInt(it.Key[len(arrPrefix(p.ID, JobStatusPending)):], 10, 32)
		if err != nil {
			return fmt.Errorf("batch: bad %s key %q", kindArrIdx, it.Key)
		}
		cl, err := t.get(childID(p.ID, int32(idx)))
		if err != nil {
			return err
		}
		if cl != nil && cl.rec.Status == JobStatusPending {
			if err := t.evaluate(cl); err != nil {
				return err
			}
		}
	}
	return nil
}

// settle tells the dependents of each job that ended, and theirs in turn
// (a worklist, not recursion: a SEQUENTIAL array of 10,000 fails child by
// child). Each kindDeps entry is removed once used.
func (t *jobTx) settle() error {
	for len(t.done) > 0 {
		id := t.done[0]
		t.done = t.done[1:]
		prefixes := []string{id + "\x00"}
		if l, err := t.get(id); err != nil {
			return err
		} else if l != nil && l.rec.isParent() {
			// Dependents of children that never came to be ("id:3").
			prefixes = append(prefixes, id+":")
		}
		for _, prefix := range prefixes {
			items, err := t.tx.List(kindDeps, prefix, "", 0)
			if err != nil {
				return err
			}
			for _, it := range items {
				if err := t.tx.Delete(kindDeps, it.Key); err != nil {
					return err
				}
				dependent := it.Key[strings.IndexByte(it.Key, 0)+1:]
				dl, err := t.get(dependent)
				if err != nil {
					return err
				}
				// A SUBMITTED dependent is Advance's: it reads the
				// statuses when it gets there.
				if dl == nil || dl.rec.Status != JobStatusPending {
					continue
				}
				if err := t.evaluate(dl); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// commit ends a state-changing transaction: dependents told, documents and
// listing entries written.
func (t *jobTx) commit() error {
	if err := t.settle(); err != nil {
		return err
	}
	return t.flush()
}

// Advance evaluates up to max SUBMITTED jobs (max <= 0: all), oldest
// first, in one store transaction, and returns how many it moved on:
// to PENDING (dependencies outstanding; array parents, whose children it
// spawns when their dependencies allow), RUNNABLE, or FAILED (a dependency
// FAILED: "Dependent Job failed").
func (s *Service) Advance(ctx context.Context, max int) (int, error) {
	n, err := s.advance(ctx, "", max)
	if err == nil || ctx.Err() != nil {
		return n, err
	}
	// One record may be at fault: take the jobs one at a time, and set
	// aside the one that fails alone, so that those after it move on.
	return s.advanceEach(ctx, max, err)
}

// advance evaluates up to max jobs of kindJobEval, from the entry key
// (all when "") on, in one transaction; it stops after the job that took
// the transaction to advanceDocs documents (an array's children), so
// that what one transaction holds stays bounded.
func (s *Service) advance(ctx context.Context, key string, max int) (int, error) {
	n := 0
	// Lazy: lost in a crash, the jobs are evaluated again (their
	// kindJobEval entries come back with them).
	err := s.store.Update(store.Lazy(ctx), func(tx store.Tx) error {
		n = 0
		var items []store.Item
		if key != "" {
			if _, err := tx.Get(kindJobEval, key); errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			items = []store.Item{{Key: key}}
		} else {
			var err error
			items, err = tx.List(kindJobEval, "", "", max)
			if err != nil || len(items) == 0 {
				return err
			}
		}
		t := s.newJobTx(tx)
		for _, it := range items {
			if n > 0 && len(t.jobs) >= advanceDocs {
				break // the rest in the next transaction
			}
			if err := tx.Delete(kindJobEval, it.Key); err != nil {
				return err
			}
			l, err := t.get(it.Key[strings.IndexByte(it.Key, 0)+1:])
			if err != nil {
				return err
			}
			if l == nil || l.rec.Status != JobStatusSubmitted {
				continue // cancelled or terminated before it was seen
			}
			if err := t.evaluate(l); err != nil {
				return err
			}
			n++
		}
		return t.commit()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// advanceEach evaluates the waiting jobs one transaction each after the
// batch failed with batchErr. A job that fails alone is set aside
// (kindJobEvalAside, with a log line): it stays SUBMITTED, and the jobs
// after it move on. When setting it aside fails too, the store itself is
// failing: that error is returned, nothing is set aside.
func (s *Service) advanceEach(ctx context.Context, max int, batchErr error) (int, error) {
	var items []store.Item
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		items, err = tx.List(kindJobEval, "", "", max)
		return err
	})
	if err != nil {
		return 0, err
	}
	n, aside := 0, 0
	for _, it := range items {
		k, err := s.advance(ctx, it.Key, 1)
		if err == nil {
			n += k
			continue
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		id := it.Key[strings.IndexByte(it.Key, 0)+1:]
		if serr := s.store.Update(ctx, func(tx store.Tx) error {
			if err := tx.Delete(kindJobEval, it.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return tx.Put(kindJobEvalAside, it.Key, []byte(err.Error()))
		}); serr != nil {
			return n, fmt.Errorf("%w (and setting job %s aside failed: %v)", batchErr, id, serr)
		}
		aside++
		s.log.Error("job evaluator: set aside a job it cannot evaluate; it stays SUBMITTED, the jobs after it move on",
			"job", id, "err", err)
	}
	if n == 0 && aside == 0 {
		return 0, batchErr
	}
	return n, nil
}

// Evaluator pacing: jobs taken per Advance, and how often Run looks
// without being woken.
const (
	advanceBatch = 1000
	// advanceDocs bounds the job documents one Advance transaction
	// reads and writes, but for its first job: an array's children are
	// made with it, up to 10,000 (AWS's largest array), so that a
	// thousand arrays submitted at once are spawned one or a few at a
	// time instead of in one transaction of ten million documents.
	advanceDocs = 10000
	advanceTick = time.Second
)

// Run evaluates submitted jobs until ctx is done, then returns nil: it
// calls Advance whenever SubmitJob has stored a job, and at least every
// second. The scheduler hears of the jobs Advance made RUNNABLE through
// Runnable, as of those any other write made RUNNABLE. It returns
// Advance's error, if any; its owner decides whether to run it again.
func (s *Service) Run(ctx context.Context) error {
	tick := time.NewTicker(advanceTick)
	defer tick.Stop()
	for {
		n, err := s.Advance(ctx, advanceBatch)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// transition runs fn on one job in an Update and commits what it changed.
func (s *Service) transition(ctx context.Context, jobID string, fn func(t *jobTx, l *loaded) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		t := s.newJobTx(tx)
		l, err := t.get(jobID)
		if err != nil {
			return err
		}
		if l == nil {
			return fmt.Errorf("batch: job %s: %w", jobID, store.ErrNotFound)
		}
		if err := fn(t, l); err != nil {
			return err
		}
		return t.commit()
	})
}

func stateError(r *jobRecord, want string) error {
	return fmt.Errorf("%w: job %s is %s, not %s", ErrJobState, r.ID, r.Status, want)
}

// MarkStarting records that the scheduler placed a RUNNABLE job: it is
// STARTING. ErrJobState when it is no longer RUNNABLE; an error wrapping
// store.ErrNotFound when there is no such job.
func (s *Service) MarkStarting(ctx context.Context, jobID string) error {
	return s.transition(ctx, jobID, func(t *jobTx, l *loaded) error {
		if l.rec.Status != JobStatusRunnable || l.rec.isParent() {
			return stateError(l.rec, JobStatusRunnable)
		}
		return t.setStatus(l, JobStatusStarting, "")
	})
}

// Patient returns a context whose writes (MarkStarting's) return, as
// always, once durable, but share the sync of the next write that wants
// its own at once (a request's), rather than have one of their own at
// once (store.Patient).
func Patient(ctx context.Context) context.Context { return store.Patient(ctx) }

// MarkRunning records that a STARTING job's container runs, with what is
// known of it so far (its log stream, ECS task and container instance,
// which DescribeJobs shows in the job's container while it runs, as AWS
// does): it is RUNNING since startedAt (milliseconds; 0 is now), when its
// process started.
func (s *Service) MarkRunning(ctx context.Context, jobID string, c AttemptContainerDetail, startedAt int64) error {
	// Lazy: lost in a crash, the job is STARTING, and its attempt ends
	// as a RUNNING one's would (the host's loss).
	return s.transition(store.Lazy(ctx), jobID, func(t *jobTx, l *loaded) error {
		if l.rec.Status != JobStatusStarting {
			return stateError(l.rec, JobStatusStarting)
		}
		l.rec.StartedAt = t.now
		if startedAt > 0 {
			l.rec.StartedAt = startedAt
		}
		l.rec.recordContainer(&c)
		return t.setStatus(l, JobStatusRunning, "")
	})
}

// recordContainer makes an attempt's container the job's: its exit code
// and reason, log stream, task and container instance. The
// job-level container shows the latest attempt's (DescribeJobs answers
// from AWS carry the same taskArn and containerInstanceArn in container as
// in the last attempts[].container).
func (r *jobRecord) recordContainer(c *AttemptContainerDetail) {
	if c == nil {
		return
	}
	r.ExitCode = c.ExitCode // none yet while it runs
	r.ContainerReason = deref(c.Reason)
	if c.LogStreamName != nil {
		r.LogStream = *c.LogStreamName
	}
	if c.TaskArn != nil {
		r.TaskArn = *c.TaskArn
	}
	if c.ContainerInstanceArn != nil {
		r.InstanceArn = *c.ContainerInstanceArn
	}
}

// MarkFinished records the end of a STARTING or RUNNING job's attempt:
// the attempt is appended to attempts (startedAt and stoppedAt filled in
// when unset), its container's exit code and reason become the job's, and
// the job is SUCCEEDED, or FAILED with reason, or RUNNABLE again when it
// failed with attempts left in its retry strategy (retryStrategy.attempts,
// evaluateOnExit: the first condition that matches decides; none matching
// means retry, as AWS documents). Dependents are told.
//
// A job TerminateJob failed while it ran gets its attempt recorded and
// stays FAILED; its termination request is cleared. A STARTING job whose
// attempt has a startedAt (its process ran, and ended before MarkRunning)
// goes through RUNNING first, in the same write.
//
// The record is lazy (store.Lazy): durable with the next synced commit —
// the next attempt's MarkStarting, any API write — and within
// store.LazySyncDelay in any case. Lost in a crash of the machine (a
// killed batchd loses nothing), the job is RUNNING again, and its attempt
// ends as the host's loss, as it would had the crash come a moment
// sooner; nothing that depends on the end (a dependent's start, a retry)
// can be durable before it.
func (s *Service) MarkFinished(ctx context.Context, jobID string, attempt AttemptDetail, succeeded bool, reason string) error {
	return s.transition(store.Lazy(ctx), jobID, func(t *jobTx, l *loaded) error {
		r := l.rec
		terminatedRunning := false
		if r.Terminated && r.Status == JobStatusFailed {
			_, err := t.tx.Get(kindJobTerm, r.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			terminatedRunning = err == nil
		}
		if !terminatedRunning && r.Status != JobStatusStarting && r.Status != JobStatusRunning {
			return stateError(r, JobStatusRunning)
		}
		if r.Status == JobStatusStarting && attempt.StartedAt != nil {
			// It ran, and ended before RUNNING was recorded: it is, first.
			r.StartedAt = *attempt.StartedAt
			r.recordContainer(attempt.Container)
			if err := t.setStatus(l, JobStatusRunning, ""); err != nil {
				return err
			}
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
		if terminatedRunning {
			if err := t.tx.Delete(kindJobTerm, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		}
		if succeeded {
			return t.setStatus(l, JobStatusSucceeded, reason)
		}
		retry, err := t.retry(r, attempt, reason)
		if err != nil {
			return err
		}
		if retry {
			r.StartedAt = 0
			return t.setStatus(l, JobStatusRunnable, "")
		}
		return t.setStatus(l, JobStatusFailed, reason)
	})
}

// retry says whether a failed attempt is tried again (RetryStrategy,
// EvaluateOnExit in the API reference).
func (t *jobTx) retry(r *jobRecord, a AttemptDetail, reason string) (bool, error) {
	p, err := t.parentOf(r)
	if err != nil {
		return false, err
	}
	rs := p.Retry
	if rs == nil {
		def, err := t.definition(p.Def, p.Rev)
		if err != nil {
			return false, err
		}
		if def != nil {
			rs = def.RetryStrategy
		}
	}
	attempts := int32(1)
	if rs != nil && rs.Attempts != nil {
		attempts = *rs.Attempts
	}
	if int32(len(r.Attempts)) >= attempts {
		return false, nil
	}
	var exit, creason string
	if a.Container != nil {
		if a.Container.ExitCode != nil {
			exit = strconv.Itoa(int(*a.Container.ExitCode))
		}
		creason = deref(a.Container.Reason)
	}
	for _, e := range rs.EvaluateOnExit {
		if globMatch(e.OnStatusReason, reason) && globMatch(e.OnReason, creason) && globMatch(e.OnExitCode, exit) {
			return strings.EqualFold(e.Action, RetryActionRetry), nil
		}
	}
	return true, nil
}

// globMatch matches an EvaluateOnExit pattern: exact, or a prefix when it
// ends with '*'; no pattern matches anything.
func globMatch(pattern *string, s string) bool {
	if pattern == nil {
		return true
	}
	if p, ok := strings.CutSuffix(*pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return *pattern == s
}

// JobsInState returns up to limit jobs of a queue (name or ARN) in a
// status, described as DescribeJobs describes them, for the scheduler.
// RUNNABLE, STARTING and RUNNING include array children and come oldest
// first (createdAt, then array index), the order the scheduler takes them
// in; the other statuses list as ListJobs does (newest first, no
// children).
func (s *Service) JobsInState(ctx context.Context, queue, status string, limit int) ([]JobDetail, error) {
	var out []JobDetail
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = s.jobsInStateTx(tx, queue, status, limit)
		return err
	})
	return out, err
}

// checkReason checks CancelJob's and TerminateJob's reason.
func checkReason(reason string) error {
	switch {
	case reason == "":
		return clientError(msgReasonRequired)
	case len([]rune(reason)) > 1024:
		return clientError(msgReasonLength)
	}
	return nil
}

// CancelJob cancels a job (API reference, CancelJob: "Jobs that are in a
// SUBMITTED, PENDING, or RUNNABLE state are cancelled and the job status is
// updated to FAILED"): it becomes FAILED with statusReason reason and
// isCancelled, and its dependents fail. "Jobs that progressed to the
// STARTING or RUNNING state aren't canceled. However, the API operation
// still succeeds": they, and finished jobs, are left as they are. "When
// you try to cancel an array parent job in PENDING, AWS Batch attempts to
// cancel all child jobs. The array parent job is canceled when all child
// jobs are completed": the waiting children are cancelled, the parent ends
// (FAILED, isCancelled) when its last child does. "A PENDING job is
// canceled after all dependency jobs are completed": it is marked
// isCancelled at once and stays PENDING until they have, then fails with
// reason (jobRecord.CancelReason).
//
// A job ID that names no job is no error: AWS answers 200 with {} for one
// (aws/aws-cli#2551, "aws batch terminate-job does not fail with
// incorrect input": the service's response logged as 200, body {}), and
// its bulk CancelJobs documents "Jobs that can't be found are treated as
// successfully processed". (moto answers ClientException "Job not found",
// getmoto/moto#5394: a mock's choice, not AWS's.)
func (s *Service) CancelJob(ctx context.Context, in *CancelJobRequest) (*CancelJobResponse, error) {
	if err := checkReason(in.Reason); err != nil {
		return nil, err
	}
	if err := s.stop(ctx, in.JobId, in.Reason, false); err != nil {
		return nil, err
	}
	s.changed()
	return &CancelJobResponse{}, nil
}

// TerminateJob terminates a job (AWS Batch API, TerminateJob): any job not
// yet SUCCEEDED or FAILED becomes FAILED with statusReason reason and
// isTerminated, and its dependents fail. For a STARTING or RUNNING job the
// request to stop its process is recorded (kindJobTerm) for the scheduler,
// which reads TerminationRequests and acknowledges with TerminationDone
// (or MarkFinished). An array parent's children are all terminated, the
// parent with them (API reference, TerminateJob: "Jobs that are in the
// STARTING or RUNNING state are terminated, which causes them to transition
// to FAILED. Jobs that have not progressed to the STARTING state are
// cancelled"). A job that does not exist is no
// error, as with AWS (see CancelJob).
func (s *Service) TerminateJob(ctx context.Context, in *TerminateJobRequest) (*TerminateJobResponse, error) {
	if err := checkReason(in.Reason); err != nil {
		return nil, err
	}
	if err := s.stop(ctx, in.JobId, in.Reason, true); err != nil {
		return nil, err
	}
	s.changed()
	return &TerminateJobResponse{}, nil
}

// stop cancels (terminate false) or terminates a job.
func (s *Service) stop(ctx context.Context, jobID, reason string, terminate bool) error {
	err := s.transition(ctx, jobID, func(t *jobTx, l *loaded) error {
		r := l.rec
		if terminal(r.Status) {
			return nil
		}
		// The scheduler of the replica that leads, if not this one,
		// looks at once.
		if err := t.tx.Notify(TopicJobs); err != nil {
			return err
		}
		if !r.isParent() {
			return t.stopOne(l, reason, terminate)
		}
		if terminate {
			r.Terminated = true
		} else {
			r.Cancelled = true
		}
		r.Reason = reason
		t.touch(l)
		if !r.Spawned {
			return t.setStatus(l, JobStatusFailed, reason)
		}
		if err := t.flush(); err != nil { // the index must show this transaction's changes
			return err
		}
		statuses := []string{JobStatusPending, JobStatusRunnable}
		if terminate {
			statuses = append(statuses, JobStatusStarting, JobStatusRunning)
		}
		for _, st := range statuses {
			prefix := arrPrefix(r.ID, st)
			items, err := t.tx.List(kindArrIdx, prefix, "", 0)
			if err != nil {
				return err
			}
			for _, it := range items {
				idx, err := strconv.ParseInt(it.Key[len(prefix):], 10, 32)
				if err != nil {
					return fmt.Errorf("batch: bad %s key %q", kindArrIdx, it.Key)
				}
				cl, err := t.get(childID(r.ID, int32(idx)))
				if err != nil {
					return err
				}
				if cl != nil {
					if err := t.stopOne(cl, reason, terminate); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // AWS answers 200 for a job it does not know (see CancelJob)
	}
	return err
}

// stopOne cancels or terminates a job that is no array parent.
func (t *jobTx) stopOne(l *loaded, reason string, terminate bool) error {
	r := l.rec
	switch r.Status {
	case JobStatusSubmitted, JobStatusPending, JobStatusRunnable:
		// TerminateJob: "Jobs that have not progressed to the STARTING
		// state are cancelled" (API reference); both mark isCancelled.
		r.Cancelled = true
		if !terminate && r.Status == JobStatusPending {
			// "A PENDING job is canceled after all dependency jobs are
			// completed" (API reference, CancelJob).
			st, err := t.deps(r.DependsOn, true)
			if err != nil {
				return err
			}
			if st == depsWaiting {
				r.CancelReason = reason
				t.touch(l)
				return nil
			}
		}
		return t.setStatus(l, JobStatusFailed, reason)
	case JobStatusStarting, JobStatusRunning:
		if !terminate {
			return nil // CancelJob leaves these running
		}
		r.Terminated = true
		if err := t.tx.Put(kindJobTerm, r.ID, nil); err != nil {
			return err
		}
		return t.setStatus(l, JobStatusFailed, reason)
	}
	return nil
}

// TerminationRequests returns up to limit IDs of jobs TerminateJob failed
// while they were STARTING or RUNNING: the scheduler stops their
// processes, then calls TerminationDone (or MarkFinished with the
// attempt).
func (s *Service) TerminationRequests(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := s.store.View(ctx, func(tx store.Tx) error {
		items, err := tx.List(kindJobTerm, "", "", limit)
		for _, it := range items {
			ids = append(ids, it.Key)
		}
		return err
	})
	return ids, err
}

// TerminationDone clears a termination request.
func (s *Service) TerminationDone(ctx context.Context, jobID string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.Delete(kindJobTerm, jobID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
}
