package scheduler

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/iam"
)

// Why an attempt was stopped.
type stopKind int

const (
	stopNone stopKind = iota
	stopTerminate
	stopTimeout
	stopShutdown
)

// attempt is one dispatch of a job: its goroutine (run) drives it from
// MarkStarting to MarkFinished; the loop may stop it.
type attempt struct {
	s         *Scheduler
	id        string
	job       batch.JobDetail
	queue, ce string
	share     string
	cluster   string
	need      Resources
	gpus      []string // GPU IDs held
	number    int
	arraySize int32
	executor  executor.Executor
	execName  string // its name, a key of Config.Executors when executor is set
	// dispatched is when the loop dispatched the attempt (for
	// Config.OnStart).
	dispatched time.Time
	principal  *iam.Principal // the compute environment's service session
	ctx        context.Context
	cancel     context.CancelFunc
	// marked is set once MarkStarting returned: the job is no longer
	// RUNNABLE.
	marked atomic.Bool
	// recorded is set once the attempt's end was recorded (or it never
	// started), before its last endedAttempt.
	recorded atomic.Bool

	mu       sync.Mutex
	handle   executor.Handle
	kind     stopKind
	reason   string
	grace    time.Duration
	stopWake chan struct{} // closed when stopped
}

// stop asks the attempt to end for kind (the first reason given stands;
// a later call may only shorten the grace period).
func (a *attempt) stop(kind stopKind, reason string, grace time.Duration) {
	a.mu.Lock()
	if a.kind == stopNone {
		a.kind, a.reason, a.grace = kind, reason, grace
	} else {
		a.grace = min(a.grace, grace)
	}
	h, g := a.handle, a.grace
	a.mu.Unlock()
	if h != nil {
		h.Stop(g)
	}
}

// stopping reports whether the attempt was asked to stop.
func (a *attempt) stopping() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.kind != stopNone
}

func (a *attempt) stopped() (stopKind, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.kind, a.reason
}

// started records the handle; when the attempt was stopped meanwhile the
// handle is stopped at once.
func (a *attempt) started(h executor.Handle) {
	a.mu.Lock()
	a.handle = h
	kind, g := a.kind, a.grace
	a.mu.Unlock()
	if kind != stopNone {
		h.Stop(g)
	}
}

// newAttemptID returns an ID in the form of an ECS task ID: 32 hex digits.
func newAttemptID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("scheduler: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// run drives the attempt.
func (a *attempt) run() {
	s := a.s
	defer s.wg.Done()
	defer s.endedAttempt(a)
	defer a.recorded.Store(true)
	defer a.cancel()
	ctx := a.ctx
	// The job is recorded STARTING while the attempt is prepared (its log
	// stream, its sandbox or container, its process stopped); the
	// executor waits for that record (Spec.Ready) before the job's code
	// runs.
	marked := make(chan error, 1)
	mctx := ctx
	if s.apiBusy() {
		// The record shares the sync of the next request's write, which
		// comes soon, instead of one of its own before it (batch.Patient).
		mctx = batch.Patient(ctx)
	}
	go func() {
		err := s.cfg.Batch.MarkStarting(mctx, a.id)
		a.marked.Store(true)
		marked <- err
	}()
	var once sync.Once
	var markErr error
	ready := func() error {
		once.Do(func() { markErr = <-marked })
		return markErr
	}
	err := a.execute(ctx, ready)
	if merr := ready(); merr != nil {
		// Not STARTING: nothing ran, nothing to record.
		if !errors.Is(merr, batch.ErrJobState) {
			s.log.Error("scheduler: MarkStarting", "job", a.id, "err", merr)
		}
		return
	}
	if err != nil {
		s.log.Error("scheduler: recording an attempt", "job", a.id, "attempt", a.number, "err", err)
	}
}

// logTarget is where an attempt's output goes: its log group and stream,
// none when the job logs with another driver.
func (a *attempt) logTarget(attemptID string) (group, stream string) {
	c := a.job.Container
	def := jobDefinitionName(a.job.JobDefinition)
	group, prefix := defaultLogGroup, def
	if c != nil && c.LogConfiguration != nil {
		lc := c.LogConfiguration
		if lc.LogDriver != "awslogs" {
			return "", ""
		}
		if g := lc.Options["awslogs-group"]; g != "" {
			group = g
		}
		if p := lc.Options["awslogs-stream-prefix"]; p != "" {
			prefix = p
		}
	}
	if len(prefix) > 200 {
		prefix = prefix[:200] // "first200CharsOfJobDefinitionName"
	}
	return group, prefix + "/default/" + attemptID
}

// containerInstanceID is the ID of the one ECS container instance batchd's
// host stands for in a compute environment's cluster: 32 hex digits, as
// AWS's (arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID in the
// ECS API Reference, ContainerInstance; DescribeJobs shows it as
// containerInstanceArn), the same for every attempt in that cluster.
func containerInstanceID(cluster string) string {
	sum := sha256.Sum256([]byte("batchd container instance\x00" + cluster))
	return hex.EncodeToString(sum[:16])
}

// jobDefinitionName is the name in a job definition ARN
// (arn:...:job-definition/name:revision).
func jobDefinitionName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":job-definition/")
	if !ok {
		rest = arn
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// execute runs the attempt of a job being recorded STARTING (ready waits
// for that record, and fails when the job is not the scheduler's any more:
// nothing is started or recorded then) and records how it ended.
func (a *attempt) execute(ctx context.Context, ready func() error) error {
	s := a.s
	attemptID := newAttemptID()
	group, stream := a.logTarget(attemptID)
	cont := &batch.AttemptContainerDetail{}
	if a.cluster != "" {
		ecs := "arn:" + s.cfg.Partition + ":ecs:" + s.cfg.Region + ":" + s.cfg.AccountID
		cont.TaskArn = ptr(ecs + ":task/" + a.cluster + "/" + attemptID)
		cont.ContainerInstanceArn = ptr(ecs + ":container-instance/" + a.cluster + "/" + containerInstanceID(a.cluster))
	}
	if stream != "" {
		cont.LogStreamName = ptr(stream)
	}
	// ended tells Config.OnAttemptEnd of an end that was recorded.
	ended := func(succeeded bool, reason string, err error) error {
		if err == nil && s.cfg.OnAttemptEnd != nil {
			s.cfg.OnAttemptEnd(succeeded, reason)
		}
		return err
	}
	failStart := func(statusReason, containerReason string) error {
		if ready() != nil {
			return nil // run says why
		}
		if containerReason != "" {
			cont.Reason = ptr(containerReason)
		}
		cont.LogStreamName = nil
		why := AttemptCannotStart
		switch kind, _ := a.stopped(); kind {
		case stopShutdown:
			why = AttemptHost
		case stopTerminate:
			why = AttemptTerminated
		}
		return ended(false, why, s.cfg.Batch.MarkFinished(ctx, a.id, batch.AttemptDetail{Container: cont, StoppedAt: ptr(s.cfg.Now().UnixMilli())}, false, statusReason))
	}
	switch kind, why := a.stopped(); kind {
	case stopShutdown:
		return failStart(HostTerminated(s.cfg.Instance), "")
	case stopTerminate:
		return failStart(why, "")
	}

	var out *logWriter
	if stream != "" && s.cfg.Logs != nil {
		create, err := a.openLog(ctx, group, stream)
		if err != nil {
			return failStart(reasonFailedToStart, cannotStartPrefix+"Error response from daemon: failed to initialize logging driver: "+err.Error())
		}
		out = &logWriter{ctx: ctx, sink: s.cfg.Logs, group: group, stream: stream, log: s,
			start: &LogStart{CreateGroup: create, Created: s.cfg.Now().UnixMilli()}}
	}

	var credsURI, credsToken string
	if role := deref(a.job.Container).JobRoleArn; role != nil && *role != "" {
		if s.cfg.Credentials == nil {
			return failStart(unableToAssume(*role), "")
		}
		uri, token, err := s.cfg.Credentials.Grant(ctx, strings.ReplaceAll(a.id, ":", "-"), *role)
		if err != nil {
			s.log.Warn("scheduler: job role", "job", a.id, "role", *role, "err", err)
			return failStart(unableToAssume(*role), "")
		}
		defer s.cfg.Credentials.Revoke(uri)
		credsURI, credsToken = uri, token
	}

	spec := a.spec(attemptID, credsURI, credsToken)
	spec.Ready = ready
	if a.executor == nil {
		return failStart(reasonFailedToStart, cannotStartPrefix+"no executor")
	}
	var lineFn func(executor.Line)
	if out != nil {
		lineFn = out.line
	}
	h, err := a.executor.Start(ctx, spec, lineFn)
	if err != nil {
		return failStart(reasonFailedToStart, cannotStartPrefix+err.Error())
	}
	if ready() != nil {
		// An executor that started without asking: undone.
		h.Stop(0)
		h.Wait()
		return nil
	}
	a.started(h)
	startedAt := s.cfg.Now().UnixMilli()
	if s.cfg.OnStart != nil {
		s.cfg.OnStart(a.execName, time.Since(a.dispatched))
	}
	// RUNNING is recorded runningDelay after the start; a job that ends
	// sooner has it recorded with its end, in one write (MarkFinished of
	// a STARTING job with a startedAt).
	markRunning := func() {
		if err := s.cfg.Batch.MarkRunning(ctx, a.id, *cont, startedAt); err != nil {
			// Terminated while STARTING (or gone): stop the process; the
			// attempt is still recorded below.
			if errors.Is(err, batch.ErrJobState) {
				a.stop(stopTerminate, s.jobReason(ctx, a.id), s.cfg.StopGrace)
			} else {
				s.log.Error("scheduler: MarkRunning", "job", a.id, "err", err)
			}
		}
	}
	rt := time.NewTimer(runningDelay)
	defer rt.Stop()
	running := rt.C

	// Wait for the end, flushing output every second and stopping the
	// attempt when it runs past its timeout.
	done := make(chan executor.Result, 1)
	go func() { done <- h.Wait() }()
	var timeout <-chan time.Time
	if t := a.job.Timeout; t != nil && t.AttemptDurationSeconds != nil && *t.AttemptDurationSeconds > 0 {
		tm := time.NewTimer(time.Duration(*t.AttemptDurationSeconds) * time.Second)
		defer tm.Stop()
		timeout = tm.C
	}
	var flush, first <-chan time.Time
	if out != nil {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		flush = tk.C
		// The stream exists soon after the start, as the awslogs driver
		// makes it, output or not; a job that ends sooner makes it with its
		// output.
		ft := time.NewTimer(firstFlush)
		defer ft.Stop()
		first = ft.C
	}
	var res executor.Result
wait:
	for {
		select {
		case res = <-done:
			break wait
		case <-timeout:
			timeout = nil
			a.stop(stopTimeout, reasonTimeout, s.cfg.StopGrace)
		case <-flush:
			out.flush()
		case <-first:
			out.flush()
		case <-running:
			running = nil
			markRunning()
		}
	}
	stoppedAt := s.cfg.Now().UnixMilli()
	// The process is gone: its capacity goes back now, and the next
	// attempt's start joins this end's writes (the store's group commit)
	// instead of waiting for them.
	s.endedAttempt(a)
	// The output's last lines go with the record of the end, in one
	// write. Should that write fail (a log group deleted meanwhile, the
	// end refused), they are written on their own, and the end recorded
	// again without them: as before, the output is never dropped for the
	// end, nor the end for the output, and never recorded after it.
	endCtx, settle := ctx, func() bool { return false }
	if out != nil {
		endCtx, settle = out.final(ctx)
	}
	record := func(mark func(ctx context.Context) error) error {
		err := mark(endCtx)
		if settle() && err != nil {
			err = mark(ctx)
		}
		return err
	}

	if res.ExitCode >= 0 {
		cont.ExitCode = ptr(int32(res.ExitCode))
	}
	if res.Reason != "" {
		cont.Reason = ptr(res.Reason)
	}
	att := batch.AttemptDetail{Container: cont, StoppedAt: &stoppedAt}
	neverRan := res.ExitCode < 0 && res.Reason != ""
	if running != nil && !neverRan {
		att.StartedAt = &startedAt // never recorded RUNNING: MarkFinished does
	}
	kind, why := a.stopped()
	finished := func(succeeded bool, reason string) func(context.Context) error {
		return func(ctx context.Context) error { return s.cfg.Batch.MarkFinished(ctx, a.id, att, succeeded, reason) }
	}
	switch {
	case kind == stopTimeout:
		return ended(false, AttemptTimeout, record(func(ctx context.Context) error {
			return s.cfg.Batch.MarkTimedOut(ctx, a.id, att, reasonTimeout)
		}))
	case kind == stopTerminate:
		return ended(false, AttemptTerminated, record(finished(false, why)))
	case kind == stopShutdown:
		return ended(false, AttemptHost, record(finished(false, HostTerminated(s.cfg.Instance))))
	case neverRan:
		// It never ran: the image could not be pulled, the container
		// made or started.
		cont.LogStreamName = nil
		return ended(false, AttemptCannotStart, record(finished(false, reasonFailedToStart)))
	}
	succeeded := res.ExitCode == 0 && !res.OOM
	return ended(succeeded, AttemptExit, record(finished(succeeded, reasonExited)))
}

// unableToAssume is ECS's reason for a task whose role it may not assume.
func unableToAssume(role string) string {
	return "ECS was unable to assume the role '" + role + "' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role."
}

// openLog checks that the attempt's output can go to group, after
// authorizing the service role for a log group other than /aws/batch/job,
// and says whether the group may be created. The stream itself (and the
// group, so allowed) is made by the first write of the output
// (logWriter.flush), 100 ms after the start at the latest.
func (a *attempt) openLog(ctx context.Context, group, stream string) (create bool, err error) {
	s := a.s
	create = group == defaultLogGroup
	if group != defaultLogGroup {
		lc := a.job.Container.LogConfiguration
		create = lc != nil && lc.Options["awslogs-create-group"] == "true"
		if err := s.authorizeLogGroup(ctx, a.principal, group, stream, create); err != nil {
			return false, err
		}
	}
	if create {
		return true, nil // made with the stream
	}
	return false, s.cfg.Logs.CheckLogGroup(ctx, group)
}

// spec is what the executor runs.
func (a *attempt) spec(attemptID, credsURI, credsToken string) executor.Spec {
	s := a.s
	c := deref(a.job.Container)
	workDir := ""
	if s.cfg.WorkDir != "" {
		workDir = filepath.Join(s.cfg.WorkDir, attemptID)
	}
	var env envList
	if s.cfg.PATH != "" {
		env.set("PATH", s.cfg.PATH)
	}
	if workDir != "" {
		env.set("HOME", workDir)
	}
	for _, kv := range c.Environment {
		if n := deref(kv.Name); n != "" {
			env.set(n, deref(kv.Value))
		}
	}
	env.set("AWS_BATCH_JOB_ID", a.id)
	env.set("AWS_BATCH_JOB_ATTEMPT", strconv.Itoa(a.number))
	env.set("AWS_BATCH_JQ_NAME", a.queue)
	env.set("AWS_BATCH_CE_NAME", a.ce)
	if ap := a.job.ArrayProperties; ap != nil && ap.Index != nil {
		env.set("AWS_BATCH_JOB_ARRAY_INDEX", strconv.Itoa(int(*ap.Index)))
		if a.arraySize > 0 {
			env.set("AWS_BATCH_JOB_ARRAY_SIZE", strconv.Itoa(int(a.arraySize)))
		}
	}
	env.setDefault("AWS_REGION", s.cfg.Region)
	env.setDefault("AWS_DEFAULT_REGION", s.cfg.Region)
	if s.cfg.Endpoint != "" {
		env.setDefault("AWS_ENDPOINT_URL", s.cfg.Endpoint)
	}
	// batchd has no instance metadata service: the SDKs should not wait for
	// one.
	env.setDefault("AWS_EC2_METADATA_DISABLED", "true")
	if credsURI != "" {
		env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", credsURI)
		env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", credsToken)
	}
	spec := executor.Spec{
		JobID: a.id, Attempt: a.number, AttemptID: attemptID, Command: c.Command, Env: env.list(),
		Image: deref(c.Image), User: deref(c.User), Privileged: deref(c.Privileged),
		ReadonlyRootFilesystem: deref(c.ReadonlyRootFilesystem),
		VCPUs:                  a.need.VCPUs, MemoryMiB: a.need.MemoryMiB, GPUs: a.need.GPUs, GPUDevices: a.gpus,
		WorkDir: workDir,
	}
	for _, v := range c.Volumes {
		vol := executor.Volume{Name: deref(v.Name)}
		if v.Host != nil {
			vol.HostPath = deref(v.Host.SourcePath)
		}
		spec.Volumes = append(spec.Volumes, vol)
	}
	for _, m := range c.MountPoints {
		spec.MountPoints = append(spec.MountPoints, executor.MountPoint{
			SourceVolume: deref(m.SourceVolume), ContainerPath: deref(m.ContainerPath), ReadOnly: deref(m.ReadOnly)})
	}
	for _, u := range c.Ulimits {
		spec.Ulimits = append(spec.Ulimits, executor.Ulimit{Name: u.Name, Soft: int64(deref(u.SoftLimit)), Hard: int64(deref(u.HardLimit))})
	}
	if lp := c.LinuxParameters; lp != nil {
		spec.Linux.InitProcessEnabled = deref(lp.InitProcessEnabled)
		spec.Linux.SharedMemoryMiB = int64(deref(lp.SharedMemorySize))
		if lp.MaxSwap != nil {
			spec.Linux.MaxSwapMiB = ptr(int64(*lp.MaxSwap))
		}
		if lp.Swappiness != nil {
			spec.Linux.Swappiness = ptr(int64(*lp.Swappiness))
		}
		for _, d := range lp.Devices {
			spec.Linux.Devices = append(spec.Linux.Devices, executor.Device{HostPath: d.HostPath, ContainerPath: deref(d.ContainerPath), Permissions: d.Permissions})
		}
		for _, t := range lp.Tmpfs {
			spec.Linux.Tmpfs = append(spec.Linux.Tmpfs, executor.Tmpfs{ContainerPath: t.ContainerPath, SizeMiB: int64(deref(t.Size)), MountOptions: t.MountOptions})
		}
	}
	return spec
}

// envList is an environment in the order its names were first set.
type envList struct {
	names []string
	vals  map[string]string
}

func (e *envList) set(name, val string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[name]; !ok {
		e.names = append(e.names, name)
	}
	e.vals[name] = val
}

func (e *envList) setDefault(name, val string) {
	if _, ok := e.vals[name]; !ok {
		e.set(name, val)
	}
}

func (e *envList) list() []string {
	out := make([]string, len(e.names))
	for i, n := range e.names {
		out[i] = n + "=" + e.vals[n]
	}
	return out
}

// logWriter batches an attempt's output into log events.
type logWriter struct {
	ctx           context.Context
	sink          LogSink
	group, stream string
	log           *Scheduler

	mu  sync.Mutex
	buf []LogEvent
	// size is the bytes buffered as PutLogEvents counts them (message
	// plus 26 bytes per event).
	size int

	flushMu sync.Mutex
	failed  bool
	start   *LogStart // until the first write has made the stream
}

// firstFlush is when an attempt's output is first written (its stream
// made), after the start.
const firstFlush = 100 * time.Millisecond

// runningDelay is when a running attempt is recorded RUNNING, after its
// process started (startedAt is the start's): an attempt that ends sooner
// is recorded RUNNING and ended at once.
const runningDelay = 20 * time.Millisecond

// PutLogEvents' limits on a batch.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1 << 20
)

// line buffers a line; a full batch is written at once (the executor's
// reader waits, which paces a job that writes faster than the logs take).
func (w *logWriter) line(l executor.Line) {
	w.mu.Lock()
	w.buf = append(w.buf, LogEvent{Timestamp: l.Time.UnixMilli(), Message: l.Text})
	w.size += len(l.Text) + 26
	full := len(w.buf) >= maxBatchEvents || w.size >= maxBatchBytes-300<<10
	w.mu.Unlock()
	if full {
		w.flush()
	}
}

// flush writes what is buffered, in order.
func (w *logWriter) flush() {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if start, events, ok := w.take(); ok {
		w.write(start, events)
	}
}

// take empties the buffer, with flushMu held: what to write, and whether
// there is anything (events, or the stream to make).
func (w *logWriter) take() (start *LogStart, events []LogEvent, ok bool) {
	w.mu.Lock()
	events = w.buf
	w.buf, w.size = nil, 0
	w.mu.Unlock()
	start, w.start = w.start, nil
	return start, events, len(events) > 0 || start != nil
}

// write appends events (making the stream with start) on its own.
func (w *logWriter) write(start *LogStart, events []LogEvent) {
	if err := w.sink.Append(w.ctx, w.group, w.stream, start, events); err != nil && !w.failed {
		w.failed = true // once per attempt
		w.log.log.Warn("scheduler: writing job output", "group", w.group, "stream", w.stream, "err", err)
	}
}

// final hands what is buffered, once the process is gone and its output
// drained, to the write of the attempt's end (LogSink.AppendWith): one
// write for both. settle, called after that write, writes the events on
// their own when they did not go with it, and reports so.
func (w *logWriter) final(ctx context.Context) (_ context.Context, settle func() bool) {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	start, events, ok := w.take()
	if !ok {
		return ctx, func() bool { return false }
	}
	ctx, written := w.sink.AppendWith(ctx, w.group, w.stream, start, events)
	return ctx, func() bool {
		if written() {
			return false
		}
		w.write(start, events)
		return true
	}
}
