package batch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"batchd/internal/store"
)

// Store kinds of the job state machine beside those of service.go (they
// belong in its list).
const (
	// kindJobSched holds the jobs the scheduler works on: every RUNNABLE,
	// STARTING and RUNNING job, array children included, oldest first.
	// key: queue "\x00" status "\x00" createdAt (20 digits, ascending) "\x00"
	// sort ID (a child: parentID ":" index in 10 digits) → "".
	kindJobSched = "batch.jobsched"
	// kindJobEval holds the SUBMITTED jobs the evaluator (Advance) has yet
	// to see. key: createdAt (20 digits) "\x00" ID → "".
	kindJobEval = "batch.jobeval"
	// kindJobEvalAside holds the kindJobEval entries of jobs the evaluator
	// could not evaluate alone (a poison record), set aside so that the
	// jobs after them move on. key: as kindJobEval → the error.
	kindJobEvalAside = "batch.jobeval.aside"
	// kindJobTerm holds the jobs TerminateJob failed while they were
	// STARTING or RUNNING: their processes are still to be stopped by the
	// scheduler (TerminationRequests, TerminationDone). key: ID → "".
	kindJobTerm = "batch.jobterm"
	// kindJobEnded holds the jobs that ended (SUCCEEDED or FAILED), array
	// children aside, in the order they ended, for ExpireJobs. key:
	// stoppedAt (20 digits) "\x00" ID → "".
	kindJobEnded = "batch.jobended"
)

// jobStatuses are the job states in the order AWS lists them.
var jobStatuses = []string{
	JobStatusSubmitted, JobStatusPending, JobStatusRunnable, JobStatusStarting,
	JobStatusRunning, JobStatusSucceeded, JobStatusFailed,
}

func validStatus(s string) bool { return slices.Contains(jobStatuses, s) }

func terminal(status string) bool {
	return status == JobStatusSucceeded || status == JobStatusFailed
}

// scheduled reports whether a job in status belongs in kindJobSched.
func scheduled(status string) bool {
	return status == JobStatusRunnable || status == JobStatusStarting || status == JobStatusRunning
}

// jobRecord is a job as stored (kindJob). An array child stores only what
// is its own; the rest (name, queue, definition, parameters, overrides,
// tags, ...) it reads from its parent, so spawning 10,000 children writes
// 10,000 small documents. JSON names are short: the document is written at
// every state change.
type jobRecord struct {
	ID        string `json:"id"`
	Status    string `json:"s"`
	Reason    string `json:"r,omitempty"`
	CreatedAt int64  `json:"c"`
	StartedAt int64  `json:"st,omitempty"`
	StoppedAt int64  `json:"sp,omitempty"`

	// A parent or a single job.
	Name          string              `json:"n,omitempty"`
	Queue         string              `json:"q,omitempty"` // job queue name
	Def           string              `json:"d,omitempty"` // job definition name
	Rev           int32               `json:"v,omitempty"` // and revision
	Share         *string             `json:"sh,omitempty"`
	Priority      *int32              `json:"pr,omitempty"`
	Params        map[string]string   `json:"pa,omitempty"` // as submitted (the definition's are merged when shown)
	Overrides     *ContainerOverrides `json:"co,omitempty"`
	Retry         *RetryStrategy      `json:"rs,omitempty"` // as submitted (nil: the definition's)
	Timeout       *JobTimeout         `json:"to,omitempty"`
	Tags          map[string]string   `json:"tg,omitempty"`
	PropagateTags *bool               `json:"pt,omitempty"`

	// dependsOn: a job's as submitted; a child's are the jobs it waits for
	// (the N_TO_N peers, the previous SEQUENTIAL sibling).
	DependsOn []JobDependency `json:"dp,omitempty"`

	// An array parent.
	Size      int32            `json:"sz,omitempty"`
	Spawned   bool             `json:"sw,omitempty"` // its children exist
	Summary   map[string]int32 `json:"ss,omitempty"` // children by status
	SummaryAt int64            `json:"sa,omitempty"`

	// An array child.
	Parent string `json:"p,omitempty"`
	Index  int32  `json:"i,omitempty"`

	Attempts        []AttemptDetail `json:"at,omitempty"`
	LogStream       string          `json:"ls,omitempty"`
	TaskArn         string          `json:"ta,omitempty"` // the last attempt's ECS task
	InstanceArn     string          `json:"ci,omitempty"` // and container instance
	ExitCode        *int32          `json:"ec,omitempty"`
	ContainerReason string          `json:"cr,omitempty"`
	Cancelled       bool            `json:"cx,omitempty"`
	// CancelReason is the reason of a CancelJob of a PENDING job whose
	// dependencies have not all completed: it fails with it once they have.
	CancelReason string `json:"xr,omitempty"`
	Terminated   bool   `json:"tx,omitempty"`
	// LastContainer says that LogStream, TaskArn, InstanceArn, ExitCode
	// and ContainerReason are the last attempt's container's, which the
	// stored document does not repeat (putJob, getJob).
	LastContainer bool `json:"lc,omitempty"`
}

// putJob stores r. A job that ran keeps its container's fields once, in
// its last attempt: the ARNs make a finished array child's document about
// 1 KB otherwise, past what SQLite keeps in a B-tree cell (about 1,000
// bytes on a 4 KB page), so that every seek that compared against one
// read its overflow page.
func putJob(tx store.Tx, r *jobRecord) error {
	if n := len(r.Attempts); n > 0 && !r.LastContainer {
		if c := r.Attempts[n-1].Container; c != nil && r.LogStream == deref(c.LogStreamName) && r.TaskArn == deref(c.TaskArn) &&
			r.InstanceArn == deref(c.ContainerInstanceArn) && r.ContainerReason == deref(c.Reason) && equalPtr(r.ExitCode, c.ExitCode) {
			w := *r
			w.LogStream, w.TaskArn, w.InstanceArn, w.ContainerReason, w.ExitCode = "", "", "", "", nil
			w.LastContainer = true
			r = &w
		}
	}
	return store.PutJSON(tx, kindJob, r.ID, r)
}

// getJob reads a job's record as putJob stored it.
func getJob(tx store.Tx, id string) (*jobRecord, bool, error) {
	r, found, err := store.GetJSON[jobRecord](tx, kindJob, id)
	if err != nil || !found {
		return nil, found, err
	}
	if r.LastContainer {
		if n := len(r.Attempts); n > 0 && r.Attempts[n-1].Container != nil {
			c := r.Attempts[n-1].Container
			r.LogStream, r.TaskArn, r.InstanceArn, r.ContainerReason = deref(c.LogStreamName), deref(c.TaskArn), deref(c.ContainerInstanceArn), deref(c.Reason)
			if c.ExitCode != nil {
				r.ExitCode = new(*c.ExitCode)
			}
		}
		r.LastContainer = false
	}
	return r, true, nil
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func (r *jobRecord) isParent() bool { return r.Size > 0 }
func (r *jobRecord) isChild() bool  { return r.Parent != "" }

// splitChildID splits "parentID:index" into its parts.
func splitChildID(id string) (parent string, index int32, ok bool) {
	p, i, found := strings.Cut(id, ":")
	if !found {
		return "", 0, false
	}
	n, err := strconv.ParseInt(i, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != i {
		return "", 0, false
	}
	return p, int32(n), true
}

func childID(parent string, index int32) string {
	return parent + ":" + strconv.FormatInt(int64(index), 10)
}

// invTime orders createdAt newest first in a key: MaxInt64 - t in 20 digits.
func invTime(t int64) string { return pad20(math.MaxInt64 - t) }

func pad20(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", max(0, 20-len(s))) + s
}

func pad10(n int32) string {
	s := strconv.FormatInt(int64(n), 10)
	return strings.Repeat("0", max(0, 10-len(s))) + s
}

// The listing keys. ListJobs lists a queue newest first (as AWS sorts
// filtered listings, "with the most recent jobs being first"), so the time
// in kindJobIdx keys is inverted: store.Tx lists in ascending key order only.
func idxPrefix(queue, status string) string { return queue + "\x00" + status + "\x00" }
func idxKey(queue, status string, createdAt int64, id string) string {
	return idxPrefix(queue, status) + invTime(createdAt) + "\x00" + id
}
func arrPrefix(parent, status string) string { return parent + "\x00" + status + "\x00" }
func arrKey(parent, status string, index int32) string {
	return arrPrefix(parent, status) + pad10(index)
}
func schedPrefix(queue, status string) string { return queue + "\x00" + status + "\x00" }
func depsKey(dep, dependent string) string    { return dep + "\x00" + dependent }

// queueName returns the name in a job queue name or ARN.
func queueName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if _, n, ok := strings.Cut(nameOrARN, ":job-queue/"); ok {
			return n
		}
	}
	return nameOrARN
}

// jdKey is the kindJD key of a job definition revision.
func jdKey(name string, rev int32) string { return name + "\x00" + pad10(rev) }

// loaded is a job read (or created) in a jobTx.
type loaded struct {
	rec        *jobRecord
	origStatus string // status as stored; "" for a job this transaction created
	dirty      bool
	// relist: its listing entry is to be written at flush, not only the
	// document (a parent whose children's counts alone changed keeps its
	// entry: listings carry no counts, see summary).
	relist bool
}

// jobTx is a store transaction's view of jobs: documents are read once and
// written once, at flush, with their listing entries (kindJobIdx or
// kindArrIdx, kindJobSched) moved from the status they had to the one they
// have. Every state change goes through it, so no change forgets an index.
type jobTx struct {
	s     *Service
	tx    store.Tx
	now   int64
	jobs  map[string]*loaded
	order []string // dirty jobs, in the order they first changed
	defs  map[string]*JobDefinition
	// done are jobs that reached SUCCEEDED or FAILED and whose dependents
	// are still to be told (settle).
	done []string
}

func (s *Service) newJobTx(tx store.Tx) *jobTx {
	return &jobTx{s: s, tx: tx, now: s.nowMillis(), jobs: map[string]*loaded{}}
}

// get returns the job, or nil when there is none.
func (t *jobTx) get(id string) (*loaded, error) {
	if l, ok := t.jobs[id]; ok {
		return l, nil
	}
	r, found, err := getJob(t.tx, id)
	if err != nil || !found {
		return nil, err
	}
	l := &loaded{rec: r, origStatus: r.Status}
	t.jobs[id] = l
	return l, nil
}

// create adds a job this transaction made.
func (t *jobTx) create(r *jobRecord) *loaded {
	l := &loaded{rec: r}
	t.jobs[r.ID] = l
	t.touch(l)
	if !r.isChild() {
		t.noteChange(r, r, "")
	} else if p, ok := t.jobs[r.Parent]; ok {
		t.noteChange(r, p.rec, "")
	}
	return l
}

// touch marks a job changed: its document and listing entry are written
// at flush.
func (t *jobTx) touch(l *loaded) {
	t.touchCounts(l)
	l.relist = true
}

// touchCounts marks an array parent whose children's counts (Summary,
// SummaryAt) alone changed: its document is written at flush.
func (t *jobTx) touchCounts(l *loaded) {
	if !l.dirty {
		l.dirty = true
		t.order = append(t.order, l.rec.ID)
	}
}

// parentOf returns a child's parent.
func (t *jobTx) parentOf(r *jobRecord) (*jobRecord, error) {
	if !r.isChild() {
		return r, nil
	}
	p, err := t.get(r.Parent)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("batch: array child %s has no parent", r.ID)
	}
	return p.rec, nil
}

// definition returns a job definition revision, whatever its status (a
// job keeps the revision it was submitted with after it is deregistered).
func (t *jobTx) definition(name string, rev int32) (*JobDefinition, error) {
	k := jdKey(name, rev)
	if d, ok := t.defs[k]; ok {
		return d, nil
	}
	d, found, err := store.GetJSON[JobDefinition](t.tx, kindJD, k)
	if err != nil {
		return nil, err
	}
	if !found {
		d = nil
	}
	if t.defs == nil {
		t.defs = map[string]*JobDefinition{}
	}
	t.defs[k] = d
	return d, nil
}

// flush writes every changed job and moves its listing entries.
func (t *jobTx) flush() error {
	for _, id := range t.order {
		l := t.jobs[id]
		r := l.rec
		if err := putJob(t.tx, r); err != nil {
			return err
		}
		if !l.relist && l.origStatus == r.Status {
			continue // the counts of a parent's children: not in its entry
		}
		p, err := t.parentOf(r)
		if err != nil {
			return err
		}
		sum, err := json.Marshal(t.s.summary(r, p))
		if err != nil {
			return err
		}
		var oldKey, newKey, kind string
		if r.isChild() {
			kind = kindArrIdx
			newKey = arrKey(r.Parent, r.Status, r.Index)
			if l.origStatus != "" {
				oldKey = arrKey(r.Parent, l.origStatus, r.Index)
			}
		} else {
			kind = kindJobIdx
			newKey = idxKey(r.Queue, r.Status, r.CreatedAt, r.ID)
			if l.origStatus != "" {
				oldKey = idxKey(r.Queue, l.origStatus, r.CreatedAt, r.ID)
			}
		}
		if oldKey != "" && oldKey != newKey {
			if err := t.tx.Delete(kind, oldKey); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := t.tx.Put(kind, newKey, sum); err != nil {
			return err
		}
		if !r.isChild() && terminal(r.Status) && !terminal(l.origStatus) {
			if err := t.tx.Put(kindJobEnded, endedKey(r), nil); err != nil {
				return err
			}
		}
		if r.isParent() || l.origStatus == r.Status {
			continue
		}
		if scheduled(l.origStatus) {
			if err := t.tx.Delete(kindJobSched, schedKey(p.Queue, l.origStatus, r)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if scheduled(r.Status) {
			if err := t.tx.Put(kindJobSched, schedKey(p.Queue, r.Status, r), nil); err != nil {
				return err
			}
		}
	}
	for _, id := range t.order {
		t.jobs[id].origStatus = t.jobs[id].rec.Status
		t.jobs[id].dirty, t.jobs[id].relist = false, false
	}
	t.order = t.order[:0]
	return nil
}

// schedKey is r's kindJobSched key in status: children of one array sort
// by index after each other.
func schedKey(queue, status string, r *jobRecord) string {
	return schedPrefix(queue, status) + schedPos(r)
}

// schedPos is r's position among its queue's jobs in one status: its
// kindJobSched key past the queue and status, in the same order.
func schedPos(r *jobRecord) string {
	sortID := r.ID
	if r.isChild() {
		sortID = r.Parent + ":" + pad10(r.Index)
	}
	return pad20(r.CreatedAt) + "\x00" + sortID
}

// schedID returns the job ID of a kindJobSched key.
func schedID(key string) string {
	i := strings.LastIndexByte(key, 0)
	id := key[i+1:]
	if p, idx, ok := strings.Cut(id, ":"); ok {
		n, _ := strconv.ParseInt(idx, 10, 32)
		return childID(p, int32(n))
	}
	return id
}

func ptrIf[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// summary is r's JobSummary, as its listing entry holds it; p is r's
// parent (r itself when r is no child). A parent's has no counts of its
// children (statusSummary): they change with every child's state, the
// entry only with the parent's, and ListJobs reads them from the parent
// (withCounts).
func (s *Service) summary(r, p *jobRecord) JobSummary {
	js := JobSummary{
		JobArn:          ptrIf(s.JobARN(r.ID)),
		JobId:           r.ID,
		JobName:         p.Name,
		CreatedAt:       &r.CreatedAt,
		ShareIdentifier: p.Share,
		Status:          r.Status,
		StatusReason:    ptrIf(r.Reason),
		StartedAt:       ptrIf(r.StartedAt),
		StoppedAt:       ptrIf(r.StoppedAt),
		JobDefinition:   ptrIf(s.JobDefinitionARN(p.Def, p.Rev)),
	}
	if r.ExitCode != nil || r.ContainerReason != "" {
		js.Container = &ContainerSummary{ExitCode: r.ExitCode, Reason: ptrIf(r.ContainerReason)}
	}
	switch {
	case r.isParent():
		js.ArrayProperties = &ArrayPropertiesSummary{Size: &r.Size}
	case r.isChild():
		js.ArrayProperties = &ArrayPropertiesSummary{Index: &r.Index}
	}
	return js
}

// detail is r's JobDetail, as DescribeJobs returns it: what was submitted
// laid over its job definition revision (def, nil when it is gone).
func (s *Service) detail(r, p *jobRecord, def *JobDefinition) JobDetail {
	d := JobDetail{
		JobArn:             ptrIf(s.JobARN(r.ID)),
		JobName:            p.Name,
		JobId:              r.ID,
		JobQueue:           s.JobQueueARN(p.Queue),
		Status:             r.Status,
		ShareIdentifier:    p.Share,
		SchedulingPriority: p.Priority,
		Attempts:           r.Attempts,
		StatusReason:       ptrIf(r.Reason),
		CreatedAt:          &r.CreatedAt,
		RetryStrategy:      p.Retry,
		StartedAt:          ptrIf(r.StartedAt),
		StoppedAt:          ptrIf(r.StoppedAt),
		DependsOn:          r.DependsOn,
		JobDefinition:      s.JobDefinitionARN(p.Def, p.Rev),
		Timeout:            p.Timeout,
		Tags:               p.Tags,
		PropagateTags:      p.PropagateTags,
		IsCancelled:        ptrIf(r.Cancelled),
		IsTerminated:       ptrIf(r.Terminated),
	}
	params := p.Params
	if def != nil {
		params = mergeParams(def.Parameters, p.Params)
		if d.RetryStrategy == nil {
			d.RetryStrategy = def.RetryStrategy
		}
		if d.Timeout == nil {
			d.Timeout = def.Timeout
		}
		if d.PropagateTags == nil {
			d.PropagateTags = def.PropagateTags
		}
		if d.SchedulingPriority == nil {
			d.SchedulingPriority = def.SchedulingPriority
		}
		d.PlatformCapabilities = def.PlatformCapabilities
		if def.ContainerProperties != nil {
			d.Container = containerDetail(def.ContainerProperties, p.Overrides, params, r)
		}
	}
	d.Parameters = params
	switch {
	case r.isParent():
		d.ArrayProperties = &ArrayPropertiesDetail{Size: &r.Size, StatusSummary: r.Summary, StatusSummaryLastUpdatedAt: ptrIf(r.SummaryAt)}
	case r.isChild():
		d.ArrayProperties = &ArrayPropertiesDetail{Index: &r.Index}
	}
	if d.Container != nil {
		d.Container.TaskArn = ptrIf(r.TaskArn)
		d.Container.ContainerInstanceArn = ptrIf(r.InstanceArn)
	}
	emptyCollections(&d)
	return d
}

// emptyCollections gives the list and map fields of a job's detail that
// AWS always returns their empty value ([] or {}) where batchd has none,
// so that a client reading them (aws batch describe-jobs --query
// 'length(jobs[0].attempts)') sees what AWS sends. AWS's answers show
// them: the AWS CLI's example for describe-jobs (aws-cli
// awscli/examples/batch/describe-jobs.rst: "parameters": {}, "dependsOn":
// [], container "mountPoints", "environment", "volumes", "ulimits": []),
// and DescribeJobs outputs users posted from AWS (2025: "attempts": [],
// "tags": {} for a job without tags, "platformCapabilities": [] for a
// definition without, "eksAttempts": [], container "command",
// "networkInterfaces", "resourceRequirements", "secrets": [], attempts'
// container "networkInterfaces": [], a child's arrayProperties
// "statusSummary": {}, retryStrategy "evaluateOnExit": [], linuxParameters
// "devices", "tmpfs": []). Values shared with the stored job or its
// definition are copied, never changed.
func emptyCollections(d *JobDetail) {
	d.Attempts = orEmpty(d.Attempts)
	cloned := false
	for i := range d.Attempts {
		if c := d.Attempts[i].Container; c != nil && c.NetworkInterfaces == nil {
			if !cloned {
				d.Attempts, cloned = slices.Clone(d.Attempts), true
			}
			cc := *c
			cc.NetworkInterfaces = []NetworkInterface{}
			d.Attempts[i].Container = &cc
		}
	}
	d.DependsOn = orEmpty(d.DependsOn)
	d.Parameters = orEmptyMap(d.Parameters)
	d.Tags = orEmptyMap(d.Tags)
	d.PlatformCapabilities = orEmpty(d.PlatformCapabilities)
	d.EksAttempts = orEmpty(d.EksAttempts)
	if rs := d.RetryStrategy; rs != nil && rs.EvaluateOnExit == nil {
		cp := *rs
		cp.EvaluateOnExit = []EvaluateOnExit{}
		d.RetryStrategy = &cp
	}
	if ap := d.ArrayProperties; ap != nil { // built for this answer
		ap.StatusSummary = orEmptyMap(ap.StatusSummary)
	}
	if c := d.Container; c != nil {
		c.Command = orEmpty(c.Command)
		c.Volumes = orEmpty(c.Volumes)
		c.Environment = orEmpty(c.Environment)
		c.MountPoints = orEmpty(c.MountPoints)
		c.Ulimits = orEmpty(c.Ulimits)
		c.NetworkInterfaces = orEmpty(c.NetworkInterfaces)
		c.ResourceRequirements = orEmpty(c.ResourceRequirements)
		c.Secrets = orEmpty(c.Secrets)
		if lp := c.LinuxParameters; lp != nil && (lp.Devices == nil || lp.Tmpfs == nil) {
			cp := *lp
			cp.Devices, cp.Tmpfs = orEmpty(cp.Devices), orEmpty(cp.Tmpfs)
			c.LinuxParameters = &cp
		}
	}
}

// orEmpty returns s, or an empty slice (encoded [], not omitted) when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// orEmptyMap returns m, or an empty map (encoded {}) when m is nil.
func orEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// mergeParams lays the job's parameters over the definition's defaults
// (SubmitJob: "Parameters in a SubmitJob request override any corresponding
// parameter defaults from the job definition").
func mergeParams(def, job map[string]string) map[string]string {
	if len(def) == 0 {
		return job
	}
	if len(job) == 0 {
		return def
	}
	m := make(map[string]string, len(def)+len(job))
	for k, v := range def {
		m[k] = v
	}
	for k, v := range job {
		m[k] = v
	}
	return m
}

// substitute replaces each command argument that is a "Ref::name"
// placeholder whose name has a value in params (AWS Batch User Guide, "Job
// definition parameters": parameter substitution placeholders in the
// command). An argument naming no parameter is left as it is.
func substitute(cmd []string, params map[string]string) []string {
	if len(params) == 0 {
		return cmd
	}
	var out []string
	for i, a := range cmd {
		name, ok := strings.CutPrefix(a, "Ref::")
		if !ok {
			continue
		}
		v, ok := params[name]
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(cmd)
		}
		out[i] = v
	}
	if out == nil {
		return cmd
	}
	return out
}

// containerDetail is the container a job runs: the definition's container
// properties with the job's overrides (SubmitJob containerOverrides:
// vcpus, memory, command, instanceType, environment added or replaced by
// name, resourceRequirements replaced by type), Ref:: placeholders of the
// command substituted, and for an array child AWS_BATCH_JOB_ARRAY_INDEX in
// the environment.
func containerDetail(cp *ContainerProperties, o *ContainerOverrides, params map[string]string, r *jobRecord) *ContainerDetail {
	c := &ContainerDetail{
		Image: cp.Image, Vcpus: cp.Vcpus, Memory: cp.Memory, Command: cp.Command,
		JobRoleArn: cp.JobRoleArn, ExecutionRoleArn: cp.ExecutionRoleArn, Volumes: cp.Volumes,
		Environment: cp.Environment, MountPoints: cp.MountPoints, ReadonlyRootFilesystem: cp.ReadonlyRootFilesystem,
		Ulimits: cp.Ulimits, Privileged: cp.Privileged, User: cp.User, InstanceType: cp.InstanceType,
		ResourceRequirements: cp.ResourceRequirements, LinuxParameters: cp.LinuxParameters,
		LogConfiguration: cp.LogConfiguration, Secrets: cp.Secrets, NetworkConfiguration: cp.NetworkConfiguration,
		FargatePlatformConfiguration: cp.FargatePlatformConfiguration, EphemeralStorage: cp.EphemeralStorage,
		RuntimePlatform: cp.RuntimePlatform, RepositoryCredentials: cp.RepositoryCredentials,
		EnableExecuteCommand: cp.EnableExecuteCommand,
		LogStreamName:        ptrIf(r.LogStream),
		ExitCode:             r.ExitCode,
		Reason:               ptrIf(r.ContainerReason),
	}
	if o != nil {
		if o.Vcpus != nil {
			c.Vcpus = o.Vcpus
		}
		if o.Memory != nil {
			c.Memory = o.Memory
		}
		if len(o.Command) > 0 {
			c.Command = o.Command
		}
		if o.InstanceType != nil {
			c.InstanceType = o.InstanceType
		}
		if len(o.Environment) > 0 {
			c.Environment = mergeEnv(c.Environment, o.Environment)
		}
		if len(o.ResourceRequirements) > 0 {
			c.ResourceRequirements = mergeRequirements(c.ResourceRequirements, o.ResourceRequirements)
		}
	}
	c.Command = substitute(c.Command, params)
	if r.isChild() {
		c.Environment = mergeEnv(c.Environment, []KeyValuePair{{Name: ptrIf("AWS_BATCH_JOB_ARRAY_INDEX"), Value: ptrIf(strconv.Itoa(int(r.Index)))}})
	}
	return c
}

func mergeEnv(base, over []KeyValuePair) []KeyValuePair {
	out := slices.Clone(base)
	for _, kv := range over {
		name := deref(kv.Name)
		i := slices.IndexFunc(out, func(e KeyValuePair) bool { return deref(e.Name) == name })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

func mergeRequirements(base, over []ResourceRequirement) []ResourceRequirement {
	out := slices.Clone(base)
	for _, rr := range over {
		i := slices.IndexFunc(out, func(e ResourceRequirement) bool { return e.Type == rr.Type })
		if i >= 0 {
			out[i] = rr
		} else {
			out = append(out, rr)
		}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// details renders jobs for DescribeJobs and JobsInState; unknown IDs are
// left out.
func (t *jobTx) details(ids []string) ([]JobDetail, error) {
	out := make([]JobDetail, 0, len(ids))
	for _, id := range ids {
		l, err := t.get(id)
		if err != nil {
			return nil, err
		}
		if l == nil {
			continue
		}
		p, err := t.parentOf(l.rec)
		if err != nil {
			return nil, err
		}
		def, err := t.definition(p.Def, p.Rev)
		if err != nil {
			return nil, err
		}
		out = append(out, t.s.detail(l.rec, p, def))
	}
	return out, nil
}

// DescribeJobs describes up to Limits.DescribeJobsIDs jobs, array parents
// and children ("parentID:index") alike. IDs of no job are left out of the
// answer, as AWS leaves them out.
func (s *Service) DescribeJobs(ctx context.Context, in *DescribeJobsRequest) (*DescribeJobsResponse, error) {
	if len(in.Jobs) > s.limits.DescribeJobsIDs {
		return nil, clientError(msgDescribeTooMany, s.limits.DescribeJobsIDs)
	}
	out := &DescribeJobsResponse{Jobs: []JobDetail{}}
	if len(in.Jobs) == 0 {
		return out, nil
	}
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		out.Jobs, err = s.newJobTx(tx).details(in.Jobs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listFilter is ListJobs' filter, parsed.
type listFilter struct {
	name      string // JOB_NAME, lower case
	namePre   bool   // ends with '*'
	defName   string // JOB_DEFINITION by name (any revision)
	defPre    bool
	defARN    string // JOB_DEFINITION by ARN or name:revision: that revision
	share     string // SHARE_IDENTIFIER
	before    int64  // BEFORE_CREATED_AT: createdAt < before
	after     int64  // AFTER_CREATED_AT: createdAt > after
	hasBefore bool
	hasAfter  bool
}

func (s *Service) parseFilters(fs []KeyValuesPair) (*listFilter, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	if len(fs) > 1 {
		return nil, clientError(msgListOneFilter)
	}
	f := &listFilter{}
	name := deref(fs[0].Name)
	if len(fs[0].Values) != 1 {
		return nil, clientError(msgListFilterValues, name)
	}
	v := fs[0].Values[0]
	switch name {
	case "JOB_NAME":
		f.name, f.namePre = strings.CutSuffix(strings.ToLower(v), "*")
	case "JOB_DEFINITION":
		switch {
		case strings.HasPrefix(v, "arn:"):
			if strings.HasSuffix(v, "*") {
				return nil, clientError(msgListDefARNStar)
			}
			_, rest, ok := strings.Cut(v, ":job-definition/")
			if !ok {
				return nil, clientError(msgListFilterValue, v, name)
			}
			if strings.Contains(rest, ":") {
				f.defARN = v
			} else {
				f.defName = rest
			}
		case strings.Contains(v, ":"):
			n, rev, _ := strings.Cut(v, ":")
			r, err := strconv.ParseInt(rev, 10, 32)
			if err != nil {
				return nil, clientError(msgListFilterValue, v, name)
			}
			f.defARN = s.JobDefinitionARN(n, int32(r))
		default:
			f.defName, f.defPre = strings.CutSuffix(v, "*")
		}
	case "BEFORE_CREATED_AT", "AFTER_CREATED_AT":
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil || t < 0 {
			return nil, clientError(msgListFilterValue, v, name)
		}
		if name == "BEFORE_CREATED_AT" {
			f.before, f.hasBefore = t, true
		} else {
			f.after, f.hasAfter = t, true
		}
	case "SHARE_IDENTIFIER":
		f.share = v
	default:
		return nil, clientError(msgListFilterName, name)
	}
	return f, nil
}

func (f *listFilter) match(js *JobSummary) bool {
	if f == nil {
		return true
	}
	if f.name != "" || f.namePre {
		n := strings.ToLower(js.JobName)
		if f.namePre && !strings.HasPrefix(n, f.name) || !f.namePre && n != f.name {
			return false
		}
	}
	if f.defARN != "" && deref(js.JobDefinition) != f.defARN {
		return false
	}
	if f.defName != "" || f.defPre {
		_, rest, _ := strings.Cut(deref(js.JobDefinition), ":job-definition/")
		n := rest[:max(0, strings.LastIndexByte(rest, ':'))]
		if f.defPre && !strings.HasPrefix(n, f.defName) || !f.defPre && n != f.defName {
			return false
		}
	}
	if f.share != "" && deref(js.ShareIdentifier) != f.share {
		return false
	}
	return true
}

// ListJobs pagination.
const (
	listMaxResults       = 1000 // with a status, or neither status nor filters
	listMaxResultsFilter = 100  // with filters
	// listScanBudget bounds the index entries one page reads: a filter that
	// matches few jobs gets a short (or empty) page and a nextToken, as
	// AWS's pages may be, instead of a scan of the whole queue.
	listScanBudget = 5000
	listChunk      = 256
)

// ListJobs lists the jobs of a queue (jobQueue, name or ARN) or the
// children of an array job (arrayJobId), as AWS does:
//
//   - with jobStatus, the jobs in that status; with neither jobStatus nor
//     filters, the RUNNING jobs; with a filter, jobs in every status
//     (jobStatus is ignored), except that SHARE_IDENTIFIER goes with
//     jobStatus;
//   - filters (one at a time): JOB_NAME, case-insensitive, a trailing '*'
//     matching any name it begins; JOB_DEFINITION, a name (any revision,
//     trailing '*' allowed), name:revision or ARN (that revision, no '*');
//     BEFORE_CREATED_AT and AFTER_CREATED_AT, epoch milliseconds, strictly
//     before or after; SHARE_IDENTIFIER;
//   - a queue's jobs newest first (createdAt, then job ID), array children
//     by index; array children are not listed with their queue (their
//     parent is), and filters do not apply to them;
//   - maxResults at least 1; up to 1000 results a page (100 with filters),
//     the default too; nextToken is opaque (the last key the page read).
//
// multiNodeJobId lists nothing: batchd runs no multi-node parallel jobs.
// A page reads at most listScanBudget index entries, however many jobs
// are stored.
func (s *Service) ListJobs(ctx context.Context, in *ListJobsRequest) (*ListJobsResponse, error) {
	n := 0
	for _, p := range []*string{in.JobQueue, in.ArrayJobId, in.MultiNodeJobId} {
		if p != nil && *p != "" {
			n++
		}
	}
	if n != 1 {
		return nil, clientError(msgListOneOf)
	}
	if in.JobStatus != "" && !validStatus(in.JobStatus) {
		return nil, clientError(msgListStatus, in.JobStatus)
	}
	filter, err := s.parseFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	limit := listMaxResults
	if filter != nil {
		limit = listMaxResultsFilter
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return nil, clientError(msgListMaxResults)
		}
		limit = min(limit, int(*in.MaxResults))
	}
	var pos string
	if in.NextToken != nil && *in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || !strings.HasPrefix(string(b), "1\x00") {
			return nil, clientError(msgListNextToken)
		}
		pos = string(b[2:])
	}
	out := &ListJobsResponse{JobSummaryList: []JobSummary{}}
	if in.MultiNodeJobId != nil && *in.MultiNodeJobId != "" {
		return out, nil
	}
	statuses := []string{JobStatusRunning}
	switch {
	case filter != nil && filter.share != "" && in.JobStatus != "":
		statuses = []string{in.JobStatus}
	case filter != nil:
		statuses = jobStatuses
	case in.JobStatus != "":
		statuses = []string{in.JobStatus}
	}
	err = s.store.View(ctx, func(tx store.Tx) error {
		var m *merger
		if in.ArrayJobId != nil && *in.ArrayJobId != "" {
			// Filters do not apply to children; they still widen the
			// listing to every status, as they do for a queue.
			filter = nil
			m = newMerger(tx, kindArrIdx, *in.ArrayJobId, statuses, pos, "", "", limit+1)
		} else {
			q, err := s.loadQueue(tx, *in.JobQueue)
			if err != nil {
				return s.queueError(err, *in.JobQueue)
			}
			lo, hi := "", ""
			if filter != nil && filter.hasBefore {
				// createdAt < before ⇔ inverted time > invTime(before).
				lo = invTime(filter.before) + "\x01"
			}
			if filter != nil && filter.hasAfter {
				hi = invTime(filter.after) // createdAt > after ⇔ inverted time < this
			}
			m = newMerger(tx, kindJobIdx, q.JobQueueName, statuses, pos, lo, hi, limit+1)
		}
		for len(out.JobSummaryList) < limit {
			it, ok, err := m.next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			var js JobSummary
			if err := json.Unmarshal(it.Value, &js); err != nil {
				return fmt.Errorf("decode %s %q: %w", m.kind, it.Key, err)
			}
			if err := withCounts(tx, &js); err != nil {
				return err
			}
			if filter.match(&js) {
				out.JobSummaryList = append(out.JobSummaryList, js)
			}
			if m.read >= listScanBudget {
				break
			}
		}
		more, err := m.more()
		if err != nil {
			return err
		}
		if more && m.last != "" {
			out.NextToken = ptrIf(listToken(m.last))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// withCounts gives an array parent's summary from its listing entry the
// counts of its children, from the parent's document (summary).
func withCounts(tx store.Tx, js *JobSummary) error {
	ap := js.ArrayProperties
	if ap == nil || ap.Size == nil || ap.Index != nil {
		return nil
	}
	r, found, err := getJob(tx, js.JobId)
	if err != nil || !found {
		return err // gone since it was listed: as it was
	}
	ap.StatusSummary, ap.StatusSummaryLastUpdatedAt = r.Summary, ptrIf(r.SummaryAt)
	return nil
}

// listToken is ListJobs' nextToken for a page that resumes after the
// listing key suffix pos.
func listToken(pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("1\x00" + pos))
}

// merger walks several status ranges of one listing kind (kindJobIdx of a
// queue, kindArrIdx of an array) as one, in the order of the key after the
// status (inverted time and ID; array index), reading each range in chunks.
type merger struct {
	tx      store.Tx
	kind    string
	streams []*stream
	lo, hi  string // suffix bounds: > lo, < hi ("" = none)
	last    string // suffix of the last entry returned
	read    int    // entries read from the store
}

type stream struct {
	prefix string
	after  string // full key to read after
	buf    []store.Item
	done   bool // nothing left past buf
	chunk  int  // entries the next read asks for
}

// newMerger starts a walk after pos (a key suffix; "" from the start). The
// first read of each range asks for first entries (a page's worth), later
// ones for listChunk.
func newMerger(tx store.Tx, kind, owner string, statuses []string, pos, lo, hi string, first int) *merger {
	m := &merger{tx: tx, kind: kind, lo: lo, hi: hi, last: pos}
	from := max(pos, lo)
	for _, st := range statuses {
		p := owner + "\x00" + st + "\x00"
		after := ""
		if from != "" {
			after = p + from
		}
		m.streams = append(m.streams, &stream{prefix: p, after: after, chunk: min(max(first, 1), listChunk)})
	}
	return m
}

// fill reads the next chunk of a stream whose buffer is empty.
func (m *merger) fill(s *stream) error {
	if len(s.buf) > 0 || s.done {
		return nil
	}
	items, err := m.tx.List(m.kind, s.prefix, s.after, s.chunk)
	if err != nil {
		return err
	}
	m.read += len(items)
	if len(items) < s.chunk {
		s.done = true
	}
	s.chunk = listChunk
	if m.hi != "" {
		// Cut the chunk at the upper bound; nothing past it is wanted.
		i := 0
		for i < len(items) && items[i].Key[len(s.prefix):] < m.hi {
			i++
		}
		if i < len(items) {
			items, s.done = items[:i], true
		}
	}
	s.buf = items
	if len(items) > 0 {
		s.after = items[len(items)-1].Key
	}
	return nil
}

// next returns the entry with the least suffix across the streams.
func (m *merger) next() (store.Item, bool, error) {
	var best *stream
	for _, s := range m.streams {
		if err := m.fill(s); err != nil {
			return store.Item{}, false, err
		}
		if len(s.buf) == 0 {
			continue
		}
		if best == nil || s.buf[0].Key[len(s.prefix):] < best.buf[0].Key[len(best.prefix):] {
			best = s
		}
	}
	if best == nil {
		return store.Item{}, false, nil
	}
	it := best.buf[0]
	best.buf = best.buf[1:]
	m.last = it.Key[len(best.prefix):]
	return it, true, nil
}

// more reports whether any entry is left.
func (m *merger) more() (bool, error) {
	for _, s := range m.streams {
		if err := m.fill(s); err != nil {
			return false, err
		}
		if len(s.buf) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// queueError turns loadQueue's "no such queue" into AWS's message.
func (s *Service) queueError(err error, ref string) error {
	if errors.Is(err, store.ErrNotFound) {
		return clientError(msgQueueNotFound, ref)
	}
	return err
}

// jobTagsTx returns a job's tags (an array child's are its parent's), or
// an error wrapping store.ErrNotFound. For TagResource and
// ListTagsForResource.
func (s *Service) jobTagsTx(tx store.Tx, jobID string) (map[string]string, error) {
	t := s.newJobTx(tx)
	l, err := t.get(jobID)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("job %q: %w", jobID, store.ErrNotFound)
	}
	p, err := t.parentOf(l.rec)
	if err != nil {
		return nil, err
	}
	return p.Tags, nil
}

// setJobTagsTx replaces a job's tags (an array child's: its parent's), or
// returns an error wrapping store.ErrNotFound. For TagResource and
// UntagResource.
func (s *Service) setJobTagsTx(tx store.Tx, jobID string, tags map[string]string) error {
	t := s.newJobTx(tx)
	l, err := t.get(jobID)
	if err != nil {
		return err
	}
	if l == nil {
		return fmt.Errorf("job %q: %w", jobID, store.ErrNotFound)
	}
	p, err := t.parentOf(l.rec)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		tags = nil
	}
	p.Tags = tags
	// Tags are in no listing entry: the document alone changes.
	return putJob(tx, p)
}

// JobTags returns a job's tags, for the aws:ResourceTag/ condition keys of
// the operations that name a job (CancelJob, TerminateJob, TagResource,
// ...). A job that does not exist has no tags and no error: the operation
// decides what an unknown job means.
func (s *Service) JobTags(ctx context.Context, jobID string) (map[string]string, error) {
	var tags map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		tags, err = s.jobTagsTx(tx, jobID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	return tags, err
}
