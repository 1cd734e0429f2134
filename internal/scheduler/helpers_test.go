package scheduler

// Test helpers: a Scheduler over batch and IAM services on memstore, with a
// fake executor whose attempts the tests end, a log sink and a credentials
// issuer that remember what they got.

import (
	"batchd/internal/store"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/iam"
	"batchd/internal/store/memstore"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

// fakeHandle is an attempt of the fake executor: it runs until the test
// calls exit, or until Stop (it then exits 143, as a process that obeys
// SIGTERM, unless ignoreTerm is set: then 137 when the grace has passed).
type fakeHandle struct {
	spec executor.Spec
	out  func(executor.Line)

	mu         sync.Mutex
	stops      []time.Duration
	ignoreTerm bool
	done       chan struct{}
	res        executor.Result
	ended      bool
}

func (h *fakeHandle) Wait() executor.Result {
	<-h.done
	return h.res
}

func (h *fakeHandle) Stop(grace time.Duration) {
	h.mu.Lock()
	h.stops = append(h.stops, grace)
	ignore := h.ignoreTerm
	h.mu.Unlock()
	if !ignore {
		h.exit(executor.Result{ExitCode: 143})
		return
	}
	go func() {
		time.Sleep(grace)
		h.exit(executor.Result{ExitCode: 137})
	}()
}

// exit ends the attempt with res (a second call does nothing).
func (h *fakeHandle) exit(res executor.Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended {
		return
	}
	h.ended = true
	h.res = res
	close(h.done)
}

// print writes lines of output.
func (h *fakeHandle) print(lines ...string) {
	for _, l := range lines {
		if h.out != nil {
			h.out(executor.Line{Time: time.Now(), Text: l})
		}
	}
}

func (h *fakeHandle) env(name string) string {
	for _, kv := range h.spec.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func (h *fakeHandle) stopGraces() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.stops)
}

// fakeExecutor starts fakeHandles; script, when set, runs each attempt
// (in its own goroutine) instead of leaving it to the test.
type fakeExecutor struct {
	mu      sync.Mutex
	handles []*fakeHandle
	script  func(h *fakeHandle)
}

func (e *fakeExecutor) Start(ctx context.Context, spec executor.Spec, out func(executor.Line)) (executor.Handle, error) {
	h := &fakeHandle{spec: spec, out: out, done: make(chan struct{})}
	e.mu.Lock()
	e.handles = append(e.handles, h)
	script := e.script
	e.mu.Unlock()
	if script != nil {
		go script(h)
	}
	return h, nil
}

// started returns the attempts started so far, in order.
func (e *fakeExecutor) started() []*fakeHandle {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.handles)
}

// running returns the attempts that have not ended.
func (e *fakeExecutor) running() []*fakeHandle {
	var out []*fakeHandle
	for _, h := range e.started() {
		h.mu.Lock()
		if !h.ended {
			out = append(out, h)
		}
		h.mu.Unlock()
	}
	return out
}

// fakeLogs remembers the events of each stream.
type fakeLogs struct {
	mu      sync.Mutex
	groups  map[string]bool
	streams map[string][]LogEvent // group "\x00" stream
	// together counts the appends made with the write they went with
	// (AppendWith).
	together int
}

func (l *fakeLogs) CheckLogGroup(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.groups[name] {
		return errors.New("ResourceNotFoundException: The specified log group does not exist.")
	}
	return nil
}

func (l *fakeLogs) Append(_ context.Context, group, stream string, start *LogStart, events []LogEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.groups == nil {
		l.groups = map[string]bool{}
	}
	if l.streams == nil {
		l.streams = map[string][]LogEvent{}
	}
	k := group + "\x00" + stream
	if start != nil {
		if start.CreateGroup {
			l.groups[group] = true
		}
		if !l.groups[group] {
			return errors.New("ResourceNotFoundException: The specified log group does not exist.")
		}
		if _, ok := l.streams[k]; !ok {
			l.streams[k] = []LogEvent{}
		}
	}
	if _, ok := l.streams[k]; !ok {
		return errors.New("ResourceNotFoundException: The specified log stream does not exist.")
	}
	l.streams[k] = append(l.streams[k], events...)
	return nil
}

// AppendWith makes the Append when the write it goes with commits (a
// commit hook on the memstore the harness runs on), and not otherwise.
func (l *fakeLogs) AppendWith(ctx context.Context, group, stream string, start *LogStart, events []LogEvent) (context.Context, func() bool) {
	var written atomic.Bool
	h := &store.CommitHook{
		Prepare: func() func(store.Tx) error {
			return func(store.Tx) error {
				l.mu.Lock()
				defer l.mu.Unlock()
				if start != nil && !start.CreateGroup && !l.groups[group] {
					return errors.New("ResourceNotFoundException: The specified log group does not exist.")
				}
				return nil
			}
		},
		Done: func(committed bool) {
			if committed {
				written.Store(l.Append(context.Background(), group, stream, start, events) == nil)
				l.mu.Lock()
				l.together++
				l.mu.Unlock()
			}
		},
	}
	return store.WithCommitHook(ctx, h), written.Load
}

func (l *fakeLogs) events(group, stream string) []LogEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.streams[group+"\x00"+stream])
}

// fakeCreds grants every role but those named "untrusted".
type fakeCreds struct {
	mu      sync.Mutex
	grants  map[string]string // uri → role
	revoked []string
	n       int
}

func (c *fakeCreds) Grant(_ context.Context, session, role string) (string, string, error) {
	if strings.HasSuffix(role, "/untrusted") {
		return "", "", errors.New("AccessDenied: ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	uri := fmt.Sprintf("http://127.0.0.1:1/batchd/credentials/%d-%s", c.n, session)
	if c.grants == nil {
		c.grants = map[string]string{}
	}
	c.grants[uri] = role
	return uri, fmt.Sprintf("token-%d", c.n), nil
}

func (c *fakeCreds) Revoke(uri string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.grants, uri)
	c.revoked = append(c.revoked, uri)
}

// batchRoles is what Batch asks of IAM (as cmd/batchd wires it).
type batchRoles struct{ iam *iam.Service }

func (r batchRoles) RoleExists(ctx context.Context, arn string) bool {
	_, err := r.iam.RoleByARN(ctx, arn)
	return err == nil
}

func (r batchRoles) EnsureServiceLinkedRole(ctx context.Context) (string, error) {
	role, err := r.iam.EnsureBatchServiceLinkedRole(ctx)
	if err != nil {
		return "", err
	}
	return role.ARN, nil
}

// harness is a scheduler and the services it works with.
type harness struct {
	t     testing.TB
	ctx   context.Context
	batch *batch.Service
	iam   *iam.Service
	exec  *fakeExecutor
	logs  *fakeLogs
	creds *fakeCreds
	cfg   Config
	stop  func() // stops the scheduler; idempotent
}

// newHarness returns services on an empty memstore and a scheduler
// configured by cfg (Batch, IAM, Executors, Logs, Credentials, Region and
// AccountID filled in), not yet running.
func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	return newHarnessOn(t, cfg, memstore.New())
}

// newHarnessOn is newHarness on the store st.
func newHarnessOn(t testing.TB, cfg Config, st store.Store) *harness {
	t.Helper()
	kr, err := iam.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	iamSvc := iam.New(iam.Config{Store: st, Keyring: kr, AccountID: testAccount, Region: testRegion})
	batchSvc := batch.New(batch.Config{Store: st, Roles: batchRoles{iamSvc}, AccountID: testAccount, Region: testRegion})
	h := &harness{t: t, ctx: context.Background(), batch: batchSvc, iam: iamSvc, exec: &fakeExecutor{}, logs: &fakeLogs{}, creds: &fakeCreds{}, stop: func() {}}
	cfg.Batch, cfg.IAM = batchSvc, iamSvc
	if cfg.Executors == nil {
		cfg.Executors = map[string]executor.Executor{"local": h.exec}
	}
	cfg.Logs, cfg.Credentials = h.logs, h.creds
	cfg.Region, cfg.AccountID = testRegion, testAccount
	if cfg.Host == (Resources{}) {
		cfg.Host = Resources{VCPUs: 4, MemoryMiB: 8192}
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "http://127.0.0.1:1"
	}
	h.cfg = cfg
	return h
}

// start runs a scheduler until the test ends (or stop).
func (h *harness) start() *Scheduler {
	h.t.Helper()
	s := New(h.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				h.t.Errorf("Run: %v", err)
			}
		})
	}
	h.t.Cleanup(h.stop)
	return s
}

// result is a call's output and error, checked by ok.
type result[T any] struct {
	v   T
	err error
}

func call[T any](v T, err error) result[T] { return result[T]{v, err} }

// ok fails the test on the call's error and returns its output.
func (r result[T]) ok(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// managedCE creates an ENABLED MANAGED EC2 compute environment with
// maxvCpus, on the service-linked role unless role is given.
func (h *harness) managedCE(name string, maxvCpus int32, role string) {
	h.t.Helper()
	in := &batch.CreateComputeEnvironmentRequest{
		ComputeEnvironmentName: name, Type: batch.CETypeManaged,
		ComputeResources: &batch.ComputeResource{Type: batch.CRTypeEc2, MinvCpus: ptr(int32(0)), MaxvCpus: ptr(maxvCpus),
			InstanceRole: ptr("ecsInstanceRole"), Subnets: []string{"subnet-1"}, InstanceTypes: []string{"optimal"}},
	}
	if role != "" {
		in.ServiceRole = &role
	}
	call(h.batch.CreateComputeEnvironment(h.ctx, in)).ok(h.t)
}

// unmanagedCE creates an ENABLED UNMANAGED compute environment.
func (h *harness) unmanagedCE(name string) {
	h.t.Helper()
	call(h.batch.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentRequest{ComputeEnvironmentName: name, Type: batch.CETypeUnmanaged})).ok(h.t)
}

// queue creates an ENABLED job queue on ces, in that order.
func (h *harness) queue(name string, priority int32, policyARN string, ces ...string) {
	h.t.Helper()
	in := &batch.CreateJobQueueRequest{JobQueueName: name, Priority: ptr(priority)}
	for i, c := range ces {
		in.ComputeEnvironmentOrder = append(in.ComputeEnvironmentOrder, batch.ComputeEnvironmentOrder{Order: ptr(int32(i + 1)), ComputeEnvironment: c})
	}
	if policyARN != "" {
		in.SchedulingPolicyArn = &policyARN
	}
	call(h.batch.CreateJobQueue(h.ctx, in)).ok(h.t)
}

// def registers a container job definition; fn adjusts it.
func (h *harness) def(name string, vcpus, memory int32, cmd []string, fn func(*batch.RegisterJobDefinitionRequest)) {
	h.t.Helper()
	in := &batch.RegisterJobDefinitionRequest{
		JobDefinitionName: name, Type: batch.JobDefinitionTypeContainer,
		ContainerProperties: &batch.ContainerProperties{Image: ptr("busybox"), Vcpus: ptr(vcpus), Memory: ptr(memory), Command: cmd},
	}
	if fn != nil {
		fn(in)
	}
	call(h.batch.RegisterJobDefinition(h.ctx, in)).ok(h.t)
}

// submit submits a job and has the evaluator look at it; fn adjusts the
// request.
func (h *harness) submit(name, queue, def string, fn func(*batch.SubmitJobRequest)) string {
	h.t.Helper()
	in := &batch.SubmitJobRequest{JobName: name, JobQueue: queue, JobDefinition: def}
	if fn != nil {
		fn(in)
	}
	out := call(h.batch.SubmitJob(h.ctx, in)).ok(h.t)
	h.advance()
	return out.JobId
}

// advance runs the evaluator until no SUBMITTED job is left.
func (h *harness) advance() {
	h.t.Helper()
	for {
		n, err := h.batch.Advance(h.ctx, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (h *harness) job(id string) batch.JobDetail {
	h.t.Helper()
	out := call(h.batch.DescribeJobs(h.ctx, &batch.DescribeJobsRequest{Jobs: []string{id}})).ok(h.t)
	if len(out.Jobs) != 1 {
		h.t.Fatalf("job %s: not found", id)
	}
	return out.Jobs[0]
}

func (h *harness) ce(name string) batch.ComputeEnvironmentDetail {
	h.t.Helper()
	out := call(h.batch.DescribeComputeEnvironments(h.ctx, &batch.DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{name}})).ok(h.t)
	if len(out.ComputeEnvironments) != 1 {
		h.t.Fatalf("compute environment %s: not found", name)
	}
	return out.ComputeEnvironments[0]
}

// waitFor polls cond (the clock is synctest's: polling costs no real time).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(time.Hour)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("waited an hour for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStatus waits until job id has status.
func (h *harness) waitStatus(id, status string) batch.JobDetail {
	h.t.Helper()
	var j batch.JobDetail
	h.waitFor("job "+id+" "+status, func() bool {
		j = h.job(id)
		return j.Status == status
	})
	return j
}

// waitStarted waits until n attempts were started.
func (h *harness) waitStarted(n int) []*fakeHandle {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("%d attempts", n), func() bool { return len(h.exec.started()) >= n })
	return h.exec.started()
}

// handleOf returns the latest attempt of job id.
func (h *harness) handleOf(id string) *fakeHandle {
	h.t.Helper()
	hs := h.exec.started()
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].spec.JobID == id {
			return hs[i]
		}
	}
	h.t.Fatalf("job %s has no attempt", id)
	return nil
}
