package scheduler

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/iam"
)

// LogEvent is one line of a job's output, as CloudWatch Logs stores it.
type LogEvent struct {
	Timestamp int64 // milliseconds since the epoch
	Message   string
}

// LogSink is where job output goes: CloudWatch Logs' log groups and
// streams.
type LogSink interface {
	// CheckLogGroup fails when the log group does not exist.
	CheckLogGroup(ctx context.Context, name string) error
	// Append appends events to a stream. With start, it first makes the
	// stream (with start.CreateGroup, the group too) unless it exists,
	// in the same write: an attempt's stream costs no write of its own.
	Append(ctx context.Context, group, stream string, start *LogStart, events []LogEvent) error
	// AppendWith returns a context whose next store write (the record of
	// an attempt's end) also makes that Append, in the same transaction,
	// and a func that tells, once that write is done, whether the events
	// went with it.
	AppendWith(ctx context.Context, group, stream string, start *LogStart, events []LogEvent) (context.Context, func() bool)
}

// LogStart is how an attempt's log stream is made: as the awslogs driver
// makes it when the container starts.
type LogStart struct {
	CreateGroup bool  // awslogs-create-group, or the default group
	Created     int64 // the stream's creation time, milliseconds
}

// Credentials serves job roles' credentials over the container
// credentials protocol (AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN).
type Credentials interface {
	// Grant makes credentials of roleARN, assumed as
	// ecs-tasks.amazonaws.com with sessionName, available to one attempt
	// at uri for whoever presents token. It fails when the role may not be
	// assumed.
	Grant(ctx context.Context, sessionName, roleARN string) (uri, token string, err error)
	// Revoke ends a grant.
	Revoke(uri string)
}

// Batch is what the scheduler reads and records of AWS Batch: the
// queues, compute environments, scheduling policies and jobs, and the
// transitions of an attempt (package batch's Service).
type Batch interface {
	DescribeJobQueues(ctx context.Context, in *batch.DescribeJobQueuesRequest) (*batch.DescribeJobQueuesResponse, error)
	DescribeJobs(ctx context.Context, in *batch.DescribeJobsRequest) (*batch.DescribeJobsResponse, error)
	JobsInState(ctx context.Context, queue, status string, limit int) ([]batch.JobDetail, error)
	SetComputeEnvironmentStatus(ctx context.Context, name, status, reason string) error
	SetRunnableReason(ctx context.Context, jobID, reason string) error
	CancelJob(ctx context.Context, in *batch.CancelJobRequest) (*batch.CancelJobResponse, error)
	MarkStarting(ctx context.Context, jobID string) error
	MarkRunning(ctx context.Context, jobID string, c batch.AttemptContainerDetail, startedAt int64) error
	MarkFinished(ctx context.Context, jobID string, attempt batch.AttemptDetail, succeeded bool, reason string) error
	MarkTimedOut(ctx context.Context, jobID string, attempt batch.AttemptDetail, reason string) error
	TerminationRequests(ctx context.Context, limit int) ([]string, error)
	TerminationDone(ctx context.Context, jobID string) error
	// ReadScheduling reads queues, compute environments, policies and
	// jobs in one transaction.
	ReadScheduling(ctx context.Context, fn func(r *batch.SchedulingReader) error) error
	// Changes receives when a compute environment, job queue or
	// scheduling policy changed, or a job was cancelled or terminated.
	Changes() <-chan struct{}
	// Generation counts the writes to compute environments, job queues,
	// job definitions and scheduling policies: what was read after it
	// returned g is out of date once it returns another value.
	Generation() uint64
	// Runnable receives when jobs became RUNNABLE; TakeRunnable returns
	// the least position of those jobs by queue since it was last called
	// (batch.SchedulingReader.RunnableIDs).
	Runnable() <-chan struct{}
	TakeRunnable() map[string]string
}

// IAM is what the scheduler asks of IAM: a session of a compute
// environment's service role as batch.amazonaws.com, and decisions for it
// (package iam's Service).
type IAM interface {
	ServiceSession(ctx context.Context, roleARN, service, sessionName string) (*iam.Principal, error)
	Authorize(ctx context.Context, p *iam.Principal, env iam.Env, c iam.Check) (*iam.Verdict, error)
}

// Config wires a Scheduler.
type Config struct {
	Batch Batch
	IAM   IAM
	// Executors by name; a compute environment picks one with its tag
	// "batchd:executor", DefaultExecutor without it.
	Executors map[string]executor.Executor
	// Unavailable says why an executor batchd knows of is not in
	// Executors (no engine answered): a compute environment that names
	// it turns INVALID with that reason.
	Unavailable map[string]string
	// DefaultExecutor names the executor of compute environments without
	// the tag; default "local".
	DefaultExecutor string
	// GPUDevices are the IDs of the host's GPUs ("0", "1", ...); each
	// attempt that needs GPUs is given that many of them, none shared.
	// Host.GPUs bounds how many are in use; with no IDs, attempts get a
	// count only.
	GPUDevices []string
	// Logs receives job output; nil discards it.
	Logs LogSink
	// Credentials serves job roles; nil fails every attempt of a job with
	// a jobRoleArn.
	Credentials Credentials
	// Host is what this host offers to all compute environments together.
	Host      Resources
	Region    string
	AccountID string
	Partition string // default "aws"
	// Endpoint is batchd's URL as jobs reach it (AWS_ENDPOINT_URL).
	Endpoint string
	// WorkDir holds each attempt's working directory; "" lets the
	// executor choose.
	WorkDir string
	// PATH is the PATH jobs get.
	PATH string
	// Now is the clock of timeouts and fair-share decay; default time.Now.
	Now func() time.Time
	// Tick is how often a pass runs unwoken, a safety net under the
	// events that wake it (Wake, an attempt's end, Batch.Changes) and the
	// clock of jobStateTimeLimitActions; default 1 s.
	Tick time.Duration
	// StopGrace is the time between SIGTERM and SIGKILL when a job is
	// terminated or times out; default 30 s, as AWS.
	StopGrace time.Duration
	// ShutdownGrace is that time when batchd stops; default 5 s.
	ShutdownGrace time.Duration
	// Instance names this batchd in the statusReason of the attempts it
	// was running when it stopped (HostTerminated); default "batchd".
	Instance string
	Log      *slog.Logger
	// OnStart, when set, hears how long an attempt took from its
	// dispatch to its process (or container) started, by executor name
	// (a key of Executors).
	OnStart func(executor string, d time.Duration)
	// OnAttemptEnd, when set, hears each attempt whose end was recorded:
	// whether it succeeded and why it ended, one of the Attempt* reasons.
	OnAttemptEnd func(succeeded bool, reason string)
	// APIBusy reports whether batchd's API is serving requests; nil:
	// never. While it is, passes woken by attempts' ends come at least
	// minPassGap apart (passGap), and an attempt's MarkStarting is
	// patient (batch.Patient): its record shares the sync of a request's
	// write.
	APIBusy func() bool
}

// Why an attempt ended, as Config.OnAttemptEnd hears it: a bounded set.
const (
	AttemptExit        = "exit"         // its process exited
	AttemptTimeout     = "timeout"      // it ran past attemptDurationSeconds
	AttemptTerminated  = "terminated"   // TerminateJob
	AttemptHost        = "host"         // batchd stopped while it ran
	AttemptCannotStart = "cannot_start" // it could not be started
)

// Reasons and names AWS uses.
const (
	reasonExited        = "Essential container in task exited"
	reasonFailedToStart = "Task failed to start"
	reasonTimeout       = "Job attempt duration exceeded timeout"
	// ReasonHostTerminated ends the attempts batchd was running when it
	// stopped or died (see the package documentation): HostTerminated of
	// the default Instance.
	ReasonHostTerminated = "Host EC2 (instance " + defaultInstance + ") terminated."
	defaultInstance      = "batchd"
	reasonTimeLimit      = "Canceled by JobStateTimeLimit action due to reason: "
	cannotStartPrefix    = "CannotStartContainerError: "
	serviceName          = "batch.amazonaws.com"
	serviceSessionName   = "aws-batch"
	defaultLogGroup      = "/aws/batch/job"
	executorTag          = "batchd:executor"
	defaultExecutor      = "local"
	// sessionTTL is how long a compute environment's service session is
	// used before it is made again (the role's trust policy read anew).
	sessionTTL = 10 * time.Second
	// allowedTTL is how long the service role's permissions, once they
	// passed, are trusted before they are asked again.
	allowedTTL = time.Second
	// minPassGap spaces passes woken in quick succession by attempts'
	// ends while the API is busy (passGap).
	minPassGap = time.Millisecond
	// passBackoffMax bounds the wait after failed passes.
	passBackoffMax = 5 * time.Second
	// Fetch windows: RUNNABLE jobs read per queue and pass beyond those in
	// flight. A FIFO queue's pass places no more than its room allows
	// (placeWindow), from a listing of up to fifoWindow jobs that serves
	// the passes after it (see listing).
	fifoWindow = 64
	fairWindow = 1000
)

// Scheduler dispatches RUNNABLE jobs. Run drives it.
type Scheduler struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}  // Wake: a pass now
	done chan struct{}  // an attempt ended: a pass soon
	wg   sync.WaitGroup // attempts

	mu    sync.Mutex
	ended []*attempt // attempts that ended, for the loop to release

	// Owned by Run's goroutine.
	running map[string]*attempt // job ID → attempt in flight
	// waiting are the RUNNABLE jobs read, by ID (see runnable).
	waiting map[string]*batch.JobDetail
	// listed is, by queue, what its last read listed RUNNABLE (see
	// listing); reread says that jobs may have become RUNNABLE since
	// (Wake), so that no listing serves the next pass.
	listed map[string]*listing
	reread bool
	// finishing are attempts whose process ended and whose capacity went
	// back (attempt.execute releases it before recording the end), until
	// their end is recorded: a TerminateJob meanwhile is theirs to record.
	finishing map[string]*attempt
	inflight  map[string]int // queue → attempts in flight
	ceUsed    map[string]Resources
	hostUsed  Resources
	shares    map[shareKey]*shareUsage
	sessions  map[string]*ceSession // compute environment → its service session
	allowed   map[string]time.Time  // compute environment → when its role last passed
	blocked   map[string]blockInfo  // queue → the job blocking its head
	arraySize map[string]int32      // array parent → size
	lastDecay time.Time
	gpuFree   []string // GPU IDs no attempt holds
	// queues is the last snapshot of the dispatchable queues, read under
	// Batch.Generation queuesGen; stale says it must be read again
	// (Batch.Changes, the tick), and termination requests with it.
	queues    []*queueView
	queuesGen uint64
	stale     bool
	// loop is set while Run dispatches (Running).
	loop atomic.Bool
}

// ceSession is a compute environment's service role session.
type ceSession struct {
	role      string
	principal *iam.Principal
	made      time.Time
}

// blockInfo is the job at the head of a queue that cannot be placed.
type blockInfo struct {
	jobID  string
	reason string
	since  time.Time
}

// New returns a Scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 30 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	if cfg.Instance == "" {
		cfg.Instance = defaultInstance
	}
	if cfg.DefaultExecutor == "" {
		cfg.DefaultExecutor = defaultExecutor
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Scheduler{
		cfg: cfg, log: log, wake: make(chan struct{}, 1), done: make(chan struct{}, 1),
		running: map[string]*attempt{}, waiting: map[string]*batch.JobDetail{}, listed: map[string]*listing{}, finishing: map[string]*attempt{}, inflight: map[string]int{}, ceUsed: map[string]Resources{},
		shares: map[shareKey]*shareUsage{}, sessions: map[string]*ceSession{}, blocked: map[string]blockInfo{}, allowed: map[string]time.Time{},
		arraySize: map[string]int32{}, gpuFree: slices.Clone(cfg.GPUDevices),
	}
}

// Wake asks for a pass now (a job became RUNNABLE, capacity changed).
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// HostTerminated is the statusReason of the attempts a batchd (or a
// replica) named instance was running when it stopped or died, as AWS
// words the loss of a host.
func HostTerminated(instance string) string {
	return "Host EC2 (instance " + instance + ") terminated."
}

// ErrAbandon, as the cause of Run's context, stops the attempts at once
// (SIGKILL, no grace): this replica lost the leadership, and another may
// start them again soon (internal/leader).
var ErrAbandon = errors.New("scheduler: attempts abandoned")

// Running reports whether Run is dispatching: it has ended the attempts
// a previous batchd left and has not returned.
func (s *Scheduler) Running() bool { return s.loop.Load() }

// Run ends the attempts a previous batchd left behind, then dispatches
// until ctx is done; it then stops every attempt (SIGTERM, SIGKILL after
// ShutdownGrace), records how each ended, and returns nil once all have.
// It returns an error only when the attempts left behind could not be
// read or ended; a failed pass is logged and tried again.
func (s *Scheduler) Run(ctx context.Context) error {
	return s.RunAfter(ctx, s.cfg.Instance)
}

// RunAfter is Run for a replica that takes over from previous: the
// attempts left STARTING or RUNNING are ended with HostTerminated of
// previous.
func (s *Scheduler) RunAfter(ctx context.Context, previous string) error {
	if err := s.recoverLost(ctx, previous); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	defer s.shutdown(ctx)
	s.loop.Store(true)
	defer s.loop.Store(false)
	var lastErr string
	failures := 0
	for {
		passStart := time.Now()
		err := s.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && err.Error() != lastErr {
			s.log.Error("scheduler pass", "err", err)
		}
		lastErr = ""
		if err != nil {
			lastErr = err.Error()
			// Failing passes back off (a full disk, a store that went
			// away): the next one waits, doubling up to passBackoffMax,
			// whatever wakes it.
			failures++
			t := time.NewTimer(min(s.cfg.Tick<<min(failures, 10), passBackoffMax))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			continue
		}
		failures = 0
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			s.reread = true
		case <-s.cfg.Batch.Runnable():
			s.madeRunnable(s.cfg.Batch.TakeRunnable())
		case <-s.cfg.Batch.Changes():
			s.stale = true
		case <-s.done:
			if d := s.passGap(time.Since(passStart)); d > 0 {
				time.Sleep(d)
			}
			// What was told meanwhile (an attempt's end that made a
			// dependent RUNNABLE) counts for this pass.
			s.takeSignals()
		case <-tick.C:
			s.stale = true
		}
	}
}

// passGap is how long a pass woken by attempts' ends waits, the last pass
// having begun since ago. While the API serves requests, passes
// come at least minPassGap apart: one pass then serves several ends, and
// jobs that start in quick succession leave the requests their share of
// the CPUs (on a small host a request waits for the CPU the jobs' starts
// and ends take, and so for how fast they come). With the API idle, the
// pass follows at once: an end's capacity is used again without delay.
func (s *Scheduler) passGap(since time.Duration) time.Duration {
	if !s.apiBusy() {
		return 0
	}
	return max(0, minPassGap-since)
}

// apiBusy reports whether batchd's API serves requests (Config.APIBusy).
func (s *Scheduler) apiBusy() bool { return s.cfg.APIBusy != nil && s.cfg.APIBusy() }

// takeSignals takes the wake-ups pending, without waiting: what they say
// must be read again.
func (s *Scheduler) takeSignals() {
	for {
		select {
		case <-s.wake:
			s.reread = true
		case <-s.cfg.Batch.Runnable():
			s.madeRunnable(s.cfg.Batch.TakeRunnable())
		case <-s.cfg.Batch.Changes():
			s.stale = true
		default:
			return
		}
	}
}

// recoverLost ends, with ReasonHostTerminated, every attempt left STARTING
// or RUNNING: its process died with the batchd that ran it (or will be
// killed with it), so the retry strategy decides what comes next. Jobs
// TerminateJob failed while they ran get their attempt recorded.
func (s *Scheduler) recoverLost(ctx context.Context, previous string) error {
	reason := HostTerminated(previous)
	queues, err := s.allQueues(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, q := range queues {
		for _, st := range []string{batch.JobStatusStarting, batch.JobStatusRunning} {
			for {
				jobs, err := s.cfg.Batch.JobsInState(ctx, q.JobQueueName, st, 500)
				if err != nil {
					return err
				}
				moved := 0
				for _, j := range jobs {
					if err := s.reclaim(ctx, j.JobId); err != nil {
						return err
					}
					var att batch.AttemptDetail
					if c := j.Container; c != nil && c.LogStreamName != nil && st == batch.JobStatusRunning {
						att.Container = &batch.AttemptContainerDetail{LogStreamName: c.LogStreamName}
					}
					err := s.cfg.Batch.MarkFinished(ctx, j.JobId, att, false, reason)
					if err != nil && !errors.Is(err, batch.ErrJobState) {
						return err
					}
					if err == nil {
						moved++
					}
				}
				n += moved
				if len(jobs) < 500 || moved == 0 {
					break
				}
			}
		}
	}
	ids, err := s.cfg.Batch.TerminationRequests(ctx, 0)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.endLostTerminated(ctx, id); err != nil {
			return err
		}
	}
	if n > 0 {
		s.log.Warn("scheduler: attempts lost with the previous batchd ended", "jobs", n, "reason", reason)
	}
	return nil
}

// reclaim ends what is left running of a lost attempt of job on the
// executors whose attempts outlive their batchd (executor.Reclaimer):
// the containers of a replica that died, on an engine this one shares.
func (s *Scheduler) reclaim(ctx context.Context, jobID string) error {
	for name, ex := range s.cfg.Executors {
		r, ok := ex.(executor.Reclaimer)
		if !ok {
			continue
		}
		n, err := r.Reclaim(ctx, jobID)
		if err != nil {
			return err
		}
		if n > 0 {
			s.log.Warn("scheduler: removed what a lost attempt left running", "job", jobID, "executor", name, "containers", n)
		}
	}
	return nil
}

// endLostTerminated records the attempt of a job TerminateJob failed while
// it ran, whose process is no longer batchd's, and clears the request.
func (s *Scheduler) endLostTerminated(ctx context.Context, id string) error {
	reason := s.jobReason(ctx, id)
	err := s.cfg.Batch.MarkFinished(ctx, id, batch.AttemptDetail{}, false, reason)
	if err == nil {
		return nil
	}
	return s.cfg.Batch.TerminationDone(ctx, id)
}

// jobReason is a job's statusReason, or "" when it cannot be read.
func (s *Scheduler) jobReason(ctx context.Context, id string) string {
	out, err := s.cfg.Batch.DescribeJobs(ctx, &batch.DescribeJobsRequest{Jobs: []string{id}})
	if err != nil || len(out.Jobs) == 0 {
		return ""
	}
	return deref(out.Jobs[0].StatusReason)
}

// shutdown stops every attempt and waits for them: at once when ctx's
// cause is ErrAbandon, else after ShutdownGrace.
func (s *Scheduler) shutdown(ctx context.Context) {
	grace := s.cfg.ShutdownGrace
	if errors.Is(context.Cause(ctx), ErrAbandon) {
		grace = 0
	}
	for _, a := range s.running {
		a.stop(stopShutdown, HostTerminated(s.cfg.Instance), grace)
	}
	s.wg.Wait()
	s.release()
}

// allQueues lists every job queue.
func (s *Scheduler) allQueues(ctx context.Context) ([]batch.JobQueueDetail, error) {
	var out []batch.JobQueueDetail
	var next *string
	for {
		page, err := s.cfg.Batch.DescribeJobQueues(ctx, &batch.DescribeJobQueuesRequest{MaxResults: ptr(int32(100)), NextToken: next})
		if err != nil {
			return nil, err
		}
		out = append(out, page.JobQueues...)
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		next = page.NextToken
	}
}

// ceView is a compute environment as a pass sees it.
type ceView struct {
	detail   *batch.ComputeEnvironmentDetail
	capacity Resources
}

func (c *ceView) name() string { return c.detail.ComputeEnvironmentName }

func (c *ceView) usable() bool {
	return c.detail.State == batch.CEStateEnabled && c.detail.Status == batch.CEStatusValid
}

// queueView is an ENABLED and VALID job queue as a pass sees it.
type queueView struct {
	detail *batch.JobQueueDetail
	ces    []*ceView // in computeEnvironmentOrder
	fair   *batch.FairsharePolicy
	// jobs are the queue's RUNNABLE jobs not in flight, oldest first, as
	// many as the pass may place (runnable).
	jobs []batch.JobDetail
}

func (q *queueView) name() string { return q.detail.JobQueueName }

// snapshot reads the queues that may dispatch, highest priority first:
// the VALID ones, DISABLED ones included: "If the job queue state is
// DISABLED, new jobs can't be added to the queue, but jobs already in the
// queue can finish" (API reference, JobQueueDetail and UpdateJobQueue,
// state). SubmitJob refuses new ones; RUNNABLE ones are still dispatched.
func (s *Scheduler) snapshot(r *batch.SchedulingReader) ([]*queueView, error) {
	qs, err := r.JobQueues()
	if err != nil {
		return nil, err
	}
	var live []*batch.JobQueueDetail
	var policyARNs []string
	for i := range qs {
		q := &qs[i]
		if q.Status != batch.JQStatusValid {
			continue
		}
		live = append(live, q)
		if a := deref(q.SchedulingPolicyArn); a != "" && !slices.Contains(policyARNs, a) {
			policyARNs = append(policyARNs, a)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	ces, err := r.ComputeEnvironments()
	if err != nil {
		return nil, err
	}
	byARN := make(map[string]*ceView, len(ces))
	for i := range ces {
		byARN[ces[i].ComputeEnvironmentArn] = &ceView{detail: &ces[i], capacity: ceCapacity(&ces[i], s.cfg.Host)}
	}
	policies := map[string]*batch.FairsharePolicy{}
	for _, a := range policyARNs {
		p, found, err := r.SchedulingPolicy(a)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		fp := p.FairsharePolicy
		if fp == nil {
			fp = &batch.FairsharePolicy{}
		}
		policies[a] = fp
	}
	slices.SortStableFunc(live, func(a, b *batch.JobQueueDetail) int {
		if c := cmp.Compare(deref(b.Priority), deref(a.Priority)); c != 0 {
			return c
		}
		return strings.Compare(a.JobQueueName, b.JobQueueName)
	})
	views := make([]*queueView, 0, len(live))
	for _, q := range live {
		v := &queueView{detail: q}
		if a := deref(q.SchedulingPolicyArn); a != "" {
			v.fair = policies[a]
			if v.fair == nil {
				v.fair = &batch.FairsharePolicy{} // deleted meanwhile: equal shares
			}
		}
		order := slices.Clone(q.ComputeEnvironmentOrder)
		slices.SortStableFunc(order, func(a, b batch.ComputeEnvironmentOrder) int { return cmp.Compare(deref(a.Order), deref(b.Order)) })
		for _, o := range order {
			if c := byARN[o.ComputeEnvironment]; c != nil {
				v.ces = append(v.ces, c)
			}
		}
		views = append(views, v)
	}
	return views, nil
}

// pass is one round: attempts that ended release their capacity,
// termination requests stop processes, then the pass reads a view,
// decides a plan (decide, a pure function) and carries it out.
func (s *Scheduler) pass(ctx context.Context) error {
	now := s.cfg.Now()
	// Usage decays over the time since the last pass with the vCPUs that
	// ran through it, those of attempts that ended since included.
	s.decayShares(now)
	s.release()
	if s.stale || s.queues == nil {
		// What the scheduler decides from changed (or the tick came): the
		// termination requests TerminateJob may have left are read too.
		if err := s.terminations(ctx); err != nil {
			return err
		}
	}
	v, err := s.view(ctx, now)
	if err != nil {
		return err
	}
	return s.apply(ctx, decide(v))
}

// view reads what a decision needs: the dispatchable queues with their
// RUNNABLE jobs (as many as could be placed), which compute environments'
// service roles may do the work, and what runs.
func (s *Scheduler) view(ctx context.Context, now time.Time) (*view, error) {
	// One read transaction: the queues, compute environments and policies
	// (again only when they changed, see stale) and the RUNNABLE jobs
	// the decision places, so that it decides from one consistent state.
	queues, stale := s.queues, s.stale || s.queues == nil
	// A write to what the snapshot holds wakes Run (Changes), but Run
	// takes one wake-up at a time: a job made RUNNABLE may wake this pass
	// first. The generation says so, and the snapshot is read again: a
	// job submitted after its compute environment was disabled does not
	// start there.
	gen := s.cfg.Batch.Generation()
	if gen != s.queuesGen {
		stale = true
	}
	use := s.capacityUse()
	if !stale && s.reread && !anyWindow(queues, use) {
		// No queue may place: nothing to read now. What the queues listed
		// may be out of date: it serves no pass until read again, and
		// keeps its jobs' descriptions for that read (as below).
		for _, l := range s.listed {
			l.stale = true
		}
		s.reread = false
	}
	if stale || s.reread || !s.fromListings(queues, use) {
		seen := map[string]bool{}
		err := s.cfg.Batch.ReadScheduling(ctx, func(r *batch.SchedulingReader) error {
			if stale {
				var err error
				if queues, err = s.snapshot(r); err != nil {
					return err
				}
			}
			if stale || s.reread {
				// What the queues listed may be out of date; those
				// without room now are not listed again, and keep the
				// jobs they read (stale): had they dropped them, each
				// read after a wake-up without room would describe a
				// window of jobs anew.
				for name, l := range s.listed {
					if slices.ContainsFunc(queues, func(q *queueView) bool { return q.name() == name }) {
						l.stale = true
					} else {
						delete(s.listed, name) // a queue gone
					}
				}
			}
			for _, q := range queues {
				q.jobs = nil
				window := placeWindow(q, use)
				if window == 0 {
					continue
				}
				var err error
				if q.jobs, err = s.runnable(r, q, window, seen); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// Jobs no longer listed (dispatched, cancelled, or out of the
		// windows) are read again should they come back.
		for _, l := range s.listed {
			for _, id := range l.ids {
				seen[id] = true
			}
		}
		for id := range s.waiting {
			if !seen[id] {
				delete(s.waiting, id)
			}
		}
		s.reread = false
	}
	s.queues, s.stale = queues, false
	if stale {
		s.queuesGen = gen
	}
	v := &view{capacityUse: *use, now: now, queues: queues, allowed: map[string]bool{},
		blocked: s.blocked, shares: make(map[shareKey]shareUsage, len(s.shares))}
	for k, u := range s.shares {
		v.shares[k] = *u
	}
	// The service roles are asked outside the transaction.
	for _, q := range queues {
		if len(q.jobs) == 0 {
			continue
		}
		usable, _ := usableCEs(q)
		for _, c := range usable {
			if _, done := v.allowed[c.name()]; !done {
				v.allowed[c.name()] = s.authorized(ctx, c)
			}
		}
	}
	return v, nil
}

// anyWindow reports whether a pass with use may place a job of any of
// queues (placeWindow).
func anyWindow(queues []*queueView, use *capacityUse) bool {
	return slices.ContainsFunc(queues, func(q *queueView) bool { return placeWindow(q, use) > 0 })
}

// placeWindow is how many of q's RUNNABLE jobs (beyond those in flight)
// a pass with use may place: none when it has no room; for a FIFO queue,
// no more than could fit (the smallest job has a quarter vCPU, Fargate's
// least); for a fair-share queue, a window to choose among.
func placeWindow(q *queueView, use *capacityUse) int {
	usable, allInvalid := usableCEs(q)
	switch {
	case len(usable) == 0:
		if allInvalid {
			return 1 // its head shows why it waits
		}
		return 0
	case !use.anyRoom(usable):
		return 0
	case q.fair != nil:
		return fairWindow
	}
	free := 0.0
	for _, c := range usable {
		free = max(free, use.free(c).VCPUs)
	}
	return min(fifoWindow, 4*int(math.Ceil(free))+1)
}

// listing is what a read listed of a queue's RUNNABLE jobs, in its order,
// less those dispatched since; all says it listed every one, last is the
// position of the last it listed.
//
// Until jobs may have become RUNNABLE before or among them (Wake;
// Batch.Runnable, with a position before last, or any when all) or what
// the scheduler decides from changed (stale), the next passes place from
// the listing without reading: an attempt that ends (the common wake)
// costs no read, nor does a job submitted behind a queue's backlog. A
// job whose reason a pass writes (apply) drops its queue's listing, as
// does anything that leaves a listed job out of waiting. A listing that
// may be out of date but was not read again (its queue had no room) is
// stale: it serves no pass, and keeps its jobs' descriptions (waiting)
// for the read that lists them again.
type listing struct {
	ids   []string
	all   bool
	last  string
	stale bool
}

// madeRunnable marks stale the listings that the jobs made RUNNABLE may
// come before or among: from holds their least position by queue
// (Batch.TakeRunnable). A listing of all of its queue's RUNNABLE jobs
// lacks them; one of the oldest only, whose last job comes before them,
// holds the jobs the queue places first, still.
func (s *Scheduler) madeRunnable(from map[string]string) {
	for q, pos := range from {
		if l := s.listed[q]; l != nil && (l.all || pos < l.last) {
			l.stale = true
		}
	}
}

// fromListings sets each queue's jobs from its listing, and reports
// whether every queue that may place had one that serves: one holding
// its window, or all of its RUNNABLE jobs.
func (s *Scheduler) fromListings(queues []*queueView, use *capacityUse) bool {
	for _, q := range queues {
		q.jobs = nil
		window := placeWindow(q, use)
		if window == 0 {
			continue
		}
		l := s.listed[q.name()]
		if l == nil || l.stale || len(l.ids) < window && !l.all {
			return false
		}
		for _, id := range l.ids[:min(window, len(l.ids))] {
			j := s.waiting[id]
			if j == nil || s.running[id] != nil {
				return false
			}
			q.jobs = append(q.jobs, *j)
		}
	}
	return true
}

// apply carries out a plan: it starts its attempts, records why the heads
// of queues wait, and cancels what the time-limit actions name.
func (s *Scheduler) apply(ctx context.Context, p plan) error {
	for _, st := range p.starts {
		s.dispatch(ctx, st.queue, st.ce, st.job, st.need)
	}
	for _, w := range p.waits {
		if err := s.cfg.Batch.SetRunnableReason(ctx, w.job.JobId, w.reason); err != nil && !errors.Is(err, batch.ErrJobState) {
			s.log.Warn("scheduler: recording why a job waits", "job", w.job.JobId, "err", err)
		}
		delete(s.waiting, w.job.JobId) // read again, with its reason
		delete(s.listed, w.queue)
	}
	s.blocked = p.blocked
	for _, c := range p.cancels {
		if _, err := s.cfg.Batch.CancelJob(ctx, &batch.CancelJobRequest{JobId: c.jobID, Reason: c.reason}); err != nil {
			return err
		}
		s.Wake() // the next job comes to the head
	}
	return nil
}

// release returns the capacity of attempts that ended.
func (s *Scheduler) release() {
	s.mu.Lock()
	ended := s.ended
	s.ended = nil
	s.mu.Unlock()
	for _, a := range ended {
		if a.recorded.Load() && s.finishing[a.id] == a {
			delete(s.finishing, a.id)
		}
		if s.running[a.id] != a {
			continue
		}
		delete(s.running, a.id)
		if !a.recorded.Load() {
			s.finishing[a.id] = a
		}
		s.inflight[a.queue]--
		if s.inflight[a.queue] <= 0 {
			delete(s.inflight, a.queue)
		}
		s.ceUsed[a.ce] = s.ceUsed[a.ce].sub(a.need)
		s.hostUsed = s.hostUsed.sub(a.need)
		s.gpuFree = append(s.gpuFree, a.gpus...)
		if a.share != "" {
			if u := s.shares[shareKey{a.queue, a.share}]; u != nil {
				u.running = max(0, u.running-a.need.VCPUs)
			}
		}
	}
}

// terminations stops the processes of jobs TerminateJob failed while they
// ran (SIGTERM, SIGKILL after StopGrace).
func (s *Scheduler) terminations(ctx context.Context) error {
	ids, err := s.cfg.Batch.TerminationRequests(ctx, 100)
	if err != nil || len(ids) == 0 {
		return err
	}
	var fresh []string
	for _, id := range ids {
		a := s.running[id]
		if a == nil && s.finishing[id] != nil {
			continue // its process ended; its attempt records the end
		}
		if a == nil {
			// Not batchd's process (any more): record and clear.
			if err := s.endLostTerminated(ctx, id); err != nil {
				return err
			}
			continue
		}
		if !a.stopping() {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	reasons := map[string]string{}
	if out, err := s.cfg.Batch.DescribeJobs(ctx, &batch.DescribeJobsRequest{Jobs: fresh}); err == nil {
		for _, j := range out.Jobs {
			reasons[j.JobId] = deref(j.StatusReason)
		}
	}
	for _, id := range fresh {
		s.running[id].stop(stopTerminate, reasons[id], s.cfg.StopGrace)
	}
	return nil
}

// runnable reads a queue's RUNNABLE jobs, oldest first, leaving out those
// in flight (dispatched, MarkStarting not done, so still listed), and
// returns the first window of them. It lists at least fifoWindow, kept as
// the queue's listing for the passes after (see listing).
//
// A job is read once while it waits: its description is kept (s.waiting)
// for the passes after, as long as it is listed RUNNABLE and not
// dispatched. What may change of a RUNNABLE job is its statusReason, which
// the scheduler itself writes (apply has it read again), and its tags,
// which nothing here reads.
func (s *Scheduler) runnable(r *batch.SchedulingReader, q *queueView, window int, seen map[string]bool) ([]batch.JobDetail, error) {
	unmarked := 0
	if s.inflight[q.name()] > 0 {
		for _, a := range s.running {
			if a.queue == q.name() && !a.marked.Load() {
				unmarked++
			}
		}
	}
	limit := unmarked + max(window, fifoWindow)
	ids, last, err := r.RunnableIDs(q.name(), limit)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if s.running[id] != nil {
			continue
		}
		seen[id] = true
		if _, ok := s.waiting[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		jobs, err := r.Jobs(missing)
		if err != nil {
			return nil, err
		}
		for i := range jobs {
			if jobs[i].Status == batch.JobStatusRunnable {
				s.waiting[jobs[i].JobId] = &jobs[i]
			}
		}
	}
	l := &listing{all: len(ids) < limit, last: last}
	out := make([]batch.JobDetail, 0, min(window, len(ids)))
	for _, id := range ids {
		if j := s.waiting[id]; j != nil && s.running[id] == nil {
			l.ids = append(l.ids, id)
			if len(out) < window {
				out = append(out, *j)
			}
		}
	}
	s.listed[q.name()] = l
	return out, nil
}

// capacityUse is what runs now.
func (s *Scheduler) capacityUse() *capacityUse {
	return &capacityUse{host: s.cfg.Host, ceUsed: s.ceUsed, hostUsed: s.hostUsed}
}

// dispatch starts an attempt of j on c.
func (s *Scheduler) dispatch(ctx context.Context, q *queueView, c *ceView, j *batch.JobDetail, need Resources) {
	delete(s.waiting, j.JobId)
	if l := s.listed[q.name()]; l != nil {
		l.ids = slices.DeleteFunc(l.ids, func(id string) bool { return id == j.JobId })
	}
	a := &attempt{
		s: s, id: j.JobId, job: *j, queue: q.name(), ce: c.name(), need: need,
		number:     len(j.Attempts) + 1,
		execName:   s.executorName(c.detail),
		executor:   s.cfg.Executors[s.executorName(c.detail)],
		dispatched: time.Now(),
		principal:  s.sessions[c.name()].principal,
		cluster:    clusterName(c.detail),
	}
	if q.fair != nil {
		a.share = deref(j.ShareIdentifier)
	}
	if ap := j.ArrayProperties; ap != nil && ap.Index != nil {
		a.arraySize = s.parentSize(ctx, j.JobId)
	}
	a.ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.running[a.id] = a
	s.inflight[a.queue]++
	s.ceUsed[a.ce] = s.ceUsed[a.ce].add(need)
	s.hostUsed = s.hostUsed.add(need)
	if n := need.GPUs; n > 0 && n <= len(s.gpuFree) {
		a.gpus = slices.Clone(s.gpuFree[:n])
		s.gpuFree = slices.Delete(s.gpuFree, 0, n)
	}
	if a.share != "" {
		s.shareUsage(shareKey{a.queue, a.share}, q.fair).running += need.VCPUs
	}
	s.wg.Add(1)
	go a.run()
}

// parentSize returns the size of a child's array.
func (s *Scheduler) parentSize(ctx context.Context, childID string) int32 {
	parent, _, _ := strings.Cut(childID, ":")
	if n, ok := s.arraySize[parent]; ok {
		return n
	}
	out, err := s.cfg.Batch.DescribeJobs(ctx, &batch.DescribeJobsRequest{Jobs: []string{parent}})
	if err != nil || len(out.Jobs) == 0 || out.Jobs[0].ArrayProperties == nil {
		return 0
	}
	n := deref(out.Jobs[0].ArrayProperties.Size)
	if len(s.arraySize) >= 1000 {
		clear(s.arraySize)
	}
	s.arraySize[parent] = n
	return n
}

// endedAttempt hands an attempt that ended back to the loop.
func (s *Scheduler) endedAttempt(a *attempt) {
	s.mu.Lock()
	s.ended = append(s.ended, a)
	s.mu.Unlock()
	select {
	case s.done <- struct{}{}:
	default:
	}
}

// executorName is the executor a compute environment names.
func (s *Scheduler) executorName(ce *batch.ComputeEnvironmentDetail) string {
	if n := ce.Tags[executorTag]; n != "" {
		return n
	}
	return s.cfg.DefaultExecutor
}

// clusterName is the name in a compute environment's ECS cluster ARN.
func clusterName(ce *batch.ComputeEnvironmentDetail) string {
	_, n, _ := strings.Cut(deref(ce.EcsClusterArn), ":cluster/")
	return n
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
