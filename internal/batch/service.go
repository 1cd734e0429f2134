package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"batchd/internal/store"
)

// Error is an AWS Batch API error: ClientException (400) or ServerException
// (500).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string        { return e.Code + ": " + e.Message }
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

// clientError is a ClientException with AWS's message.
func clientError(format string, args ...any) *Error {
	return &Error{Code: "ClientException", Message: fmt.Sprintf(format, args...)}
}

// Roles is what Batch needs to know of IAM: whether a role exists, and the
// service-linked role it uses when a compute environment names none.
type Roles interface {
	RoleExists(ctx context.Context, arn string) bool
	EnsureServiceLinkedRole(ctx context.Context) (arn string, err error)
}

// Limits are AWS Batch's quotas (AWS Batch User Guide, "Service quotas").
type Limits struct {
	ComputeEnvironments int // per account, 50
	JobQueues           int // per account, 50
	CEsPerQueue         int // 3
	DependsOn           int // 20
	JobDefinitionBytes  int // 24 KiB
	SubmitJobBytes      int // 30 KiB
	DescribeJobsIDs     int // 100
}

func (l *Limits) fill() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.ComputeEnvironments, 50)
	def(&l.JobQueues, 50)
	def(&l.CEsPerQueue, 3)
	def(&l.DependsOn, 20)
	def(&l.JobDefinitionBytes, 24*1024)
	def(&l.SubmitJobBytes, 30*1024)
	def(&l.DescribeJobsIDs, 100)
}

// Config wires a Service.
type Config struct {
	Store     store.Store
	Roles     Roles
	AccountID string
	Region    string
	Partition string // default "aws"
	Now       func() time.Time
	Limits    Limits
	// Log hears what the operator must know (a job record set aside);
	// nil discards it.
	Log *slog.Logger
	// OnJobChange, when set, is told of every job status change once it
	// committed, in the committing goroutine: it must be quick and must
	// not call the Service.
	OnJobChange func(JobChange)
}

// Service is the Batch domain. It is safe for concurrent use.
type Service struct {
	store     store.Store
	roles     Roles
	account   string
	region    string
	partition string
	now       func() time.Time
	limits    Limits
	log       *slog.Logger
	// wake tells the evaluator (Run) that SubmitJob stored jobs.
	wake chan struct{}
	// changes tells the scheduler that what it reads changed (Changes).
	changes chan struct{}
	// runnable tells the scheduler that jobs became RUNNABLE (Runnable);
	// runnableFrom holds, by queue, the least position (schedPos) of
	// those jobs since the scheduler last took it (TakeRunnable).
	runnable     chan struct{}
	runnableMu   sync.Mutex
	runnableFrom map[string]string
	// gen counts writes to resource documents (cache.go); cache holds
	// what was read of them against it.
	gen   atomic.Uint64
	cache genCache
}

// Changes receives after a change to what the scheduler decides from: a
// write to a compute environment, job queue, job definition or scheduling
// policy (seen by the store's watch, cache.go), a job cancelled or
// terminated. Jobs that become RUNNABLE are told by Run's notify.
func (s *Service) Changes() <-chan struct{} { return s.changes }

// Generation counts the writes to what the scheduler decides from
// (compute environments, job queues, job definitions, scheduling
// policies), this replica's and those Heard from others. A write counts
// before it commits and again once it has, before its caller hears that
// it succeeded: what was read after Generation returned g is out of date
// once it returns another value, and a write a caller was told of counts
// in any value read after that.
func (s *Service) Generation() uint64 { return s.gen.Load() }

// Runnable receives after a write that committed made jobs RUNNABLE: the
// evaluator's, a retry, a dependency met when a job ended. TakeRunnable
// says where they are in their queues: the scheduler reads the RUNNABLE
// jobs again when they may come before or among those it listed, and
// otherwise places the ones it read before.
func (s *Service) Runnable() <-chan struct{} { return s.runnable }

// TakeRunnable returns, by job queue name, the least position
// (SchedulingReader.RunnableIDs) of the jobs made RUNNABLE since the last
// call, and forgets them. Each write records its jobs before it signals
// Runnable.
func (s *Service) TakeRunnable() map[string]string {
	s.runnableMu.Lock()
	defer s.runnableMu.Unlock()
	from := s.runnableFrom
	s.runnableFrom = nil
	return from
}

// madeRunnable records the jobs changes made RUNNABLE (TakeRunnable), and
// signals Runnable when there are any.
func (s *Service) madeRunnable(changes []JobChange) {
	made := false
	s.runnableMu.Lock()
	for _, c := range changes {
		if c.To != JobStatusRunnable || c.From == JobStatusRunnable {
			continue
		}
		made = true
		if s.runnableFrom == nil {
			s.runnableFrom = map[string]string{}
		}
		if from, ok := s.runnableFrom[c.Queue]; !ok || c.pos < from {
			s.runnableFrom[c.Queue] = c.pos
		}
	}
	s.runnableMu.Unlock()
	if made {
		signal(s.runnable)
	}
}

// Topics this service notifies (store.Tx.Notify) for the replicas that
// share its store (store.Listener), and hears through Heard.
const (
	// TopicResources: a compute environment, job queue, job definition
	// or scheduling policy was written.
	TopicResources = "batch"
	// TopicJobs: jobs were submitted, cancelled or terminated.
	TopicJobs = "batch-jobs"
)

// Heard tells the service what another replica sharing its store
// committed (store.Listener): TopicResources drops what it cached of the
// resources and wakes the scheduler (Changes); TopicJobs wakes the
// evaluator and the scheduler; "" (the listener began again, and may have
// missed topics) does all of it.
func (s *Service) Heard(topic string) {
	switch topic {
	case TopicResources:
		s.gen.Add(1)
		s.changed()
	case TopicJobs:
		s.wakeEvaluator()
		s.changed()
	case "":
		s.gen.Add(1)
		s.wakeEvaluator()
		s.changed()
	}
}

// wakeEvaluator tells Run that jobs were stored, without waiting.
func (s *Service) wakeEvaluator() { signal(s.wake) }

// changed signals Changes without waiting.
func (s *Service) changed() { signal(s.changes) }

// signal sends on a channel of one without waiting: a signal already
// pending stands for both.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, roles: cfg.Roles, account: cfg.AccountID, region: cfg.Region, partition: cfg.Partition, now: cfg.Now, limits: cfg.Limits, log: cfg.Log,
		wake: make(chan struct{}, 1), changes: make(chan struct{}, 1), runnable: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	ws := watchedStore{Store: cfg.Store, gen: &s.gen, changed: s.changed, runnable: s.madeRunnable}
	logChanges := s.log.Enabled(context.Background(), slog.LevelInfo)
	switch hook := cfg.OnJobChange; {
	case logChanges && hook != nil:
		ws.onJob = func(c JobChange) { s.logChange(c); hook(c) }
	case logChanges:
		ws.onJob = s.logChange
	default:
		ws.onJob = hook
	}
	s.store = ws
	if s.partition == "" {
		s.partition = "aws"
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.limits.fill()
	return s
}

// Limits returns the quotas in force.
func (s *Service) Limits() Limits { return s.limits }

// arn forms a Batch ARN: arn:aws:batch:REGION:ACCOUNT:RESOURCE.
func (s *Service) arn(resource string) string {
	return "arn:" + s.partition + ":batch:" + s.region + ":" + s.account + ":" + resource
}

// ComputeEnvironmentARN, JobQueueARN, JobDefinitionARN, JobARN and
// SchedulingPolicyARN form the ARNs AWS gives each resource.
func (s *Service) ComputeEnvironmentARN(name string) string {
	return s.arn("compute-environment/" + name)
}
func (s *Service) JobQueueARN(name string) string { return s.arn("job-queue/" + name) }
func (s *Service) JobDefinitionARN(name string, rev int32) string {
	return s.arn(fmt.Sprintf("job-definition/%s:%d", name, rev))
}
func (s *Service) JobARN(id string) string                { return s.arn("job/" + id) }
func (s *Service) SchedulingPolicyARN(name string) string { return s.arn("scheduling-policy/" + name) }

// nowMillis is the time as AWS Batch reports it: epoch milliseconds.
func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }

// newJobID returns a job ID in AWS's form, a UUID: version 7 (RFC 9562),
// the millisecond of its making then 74 random bits, so that the IDs of
// jobs submitted together sort together and their documents share the
// store's pages (a burst of SubmitJob writes a few pages, not one for
// each job, at each commit); AWS's are random (version 4), and both are
// opaque to clients.
func newJobID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("batch: crypto/rand failed: " + err.Error())
	}
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Store kinds of the Batch domain.
const (
	kindCE     = "batch.ce"     // key: name
	kindJQ     = "batch.jq"     // key: name
	kindJD     = "batch.jd"     // key: name "\x00" revision (10 digits)
	kindSP     = "batch.sp"     // key: name
	kindJob    = "batch.job"    // key: job ID (array child: parentID:index)
	kindJobIdx = "batch.jobidx" // key: queue "\x00" status "\x00" createdAt (20 digits) "\x00" ID → JobSummary
	kindArrIdx = "batch.arridx" // key: parent ID "\x00" status "\x00" index (10 digits) → JobSummary
	kindDeps   = "batch.deps"   // key: dependency ID "\x00" dependent ID → ""
)

// JobDefinitionNameARN is the unversioned ARN of a job definition name, the
// resource RegisterJobDefinition is authorized on.
func (s *Service) JobDefinitionNameARN(name string) string { return s.arn("job-definition/" + name) }
