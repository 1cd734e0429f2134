package batch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/store"
)

// jobsFixture is a Service with a compute environment "ce", an ENABLED
// queue "q" and a container job definition "jd" (revision 1), and a clock
// the test moves.
type jobsFixture struct {
	t     testing.TB
	s     *Service
	clock time.Time
}

func newJobsFixture(t testing.TB) *jobsFixture {
	t.Helper()
	return newJobsFixtureLimits(t, Limits{})
}

func newJobsFixtureLimits(t testing.TB, l Limits) *jobsFixture {
	t.Helper()
	f := &jobsFixture{t: t, s: newTestServiceLimits(t, l), clock: testNow}
	f.s.now = func() time.Time { return f.clock }
	createTestCE(t, f.s, "ce")
	createTestQueue(t, f.s, "q", "ce")
	registerTestJD(t, f.s, "jd")
	return f
}

// tick moves the clock on by a millisecond.
func (f *jobsFixture) tick() { f.clock = f.clock.Add(time.Millisecond) }

// req is a valid SubmitJob request for queue q and definition jd.
func req(name string) *SubmitJobRequest {
	return &SubmitJobRequest{JobName: name, JobQueue: "q", JobDefinition: "jd"}
}

func (f *jobsFixture) submit(in *SubmitJobRequest) string {
	f.t.Helper()
	out, err := f.s.SubmitJob(context.Background(), in)
	if err != nil {
		f.t.Fatalf("SubmitJob %s: %v", in.JobName, err)
	}
	return out.JobId
}

func (f *jobsFixture) advance() {
	f.t.Helper()
	if _, err := f.s.Advance(context.Background(), 0); err != nil {
		f.t.Fatalf("Advance: %v", err)
	}
}

func (f *jobsFixture) describe(id string) JobDetail {
	f.t.Helper()
	out, err := f.s.DescribeJobs(context.Background(), &DescribeJobsRequest{Jobs: []string{id}})
	if err != nil {
		f.t.Fatalf("DescribeJobs %s: %v", id, err)
	}
	if len(out.Jobs) != 1 {
		f.t.Fatalf("DescribeJobs %s: %d jobs, want 1", id, len(out.Jobs))
	}
	return out.Jobs[0]
}

func (f *jobsFixture) status(id string) string {
	f.t.Helper()
	return f.describe(id).Status
}

// wantStatus checks the status (and, when reason is not "-", the
// statusReason) of each job.
func (f *jobsFixture) wantStatus(want map[string]string, reason ...string) {
	f.t.Helper()
	for id, st := range want {
		d := f.describe(id)
		if d.Status != st {
			f.t.Errorf("job %s is %s (%q), want %s", id, d.Status, deref(d.StatusReason), st)
		}
		if len(reason) > 0 && deref(d.StatusReason) != reason[0] {
			f.t.Errorf("job %s statusReason = %q, want %q", id, deref(d.StatusReason), reason[0])
		}
	}
}

// start takes a RUNNABLE job to RUNNING as the scheduler would.
func (f *jobsFixture) start(id string) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.s.MarkStarting(ctx, id); err != nil {
		f.t.Fatalf("MarkStarting %s: %v", id, err)
	}
	if err := f.s.MarkRunning(ctx, id, AttemptContainerDetail{LogStreamName: ptrIf("jd/default/" + id)}, 0); err != nil {
		f.t.Fatalf("MarkRunning %s: %v", id, err)
	}
}

// finish ends a RUNNING job's attempt with an exit code.
func (f *jobsFixture) finish(id string, exit int32) {
	f.t.Helper()
	a := AttemptDetail{Container: &AttemptContainerDetail{ExitCode: &exit}}
	reason := "Essential container in task exited"
	if err := f.s.MarkFinished(context.Background(), id, a, exit == 0, reason); err != nil {
		f.t.Fatalf("MarkFinished %s: %v", id, err)
	}
}

// run takes a RUNNABLE job through to its end.
func (f *jobsFixture) run(id string, exit int32) {
	f.t.Helper()
	f.start(id)
	f.finish(id, exit)
}

// countJobs counts the stored job documents.
func (f *jobsFixture) countJobs() int {
	f.t.Helper()
	n := 0
	err := f.s.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(kindJob, "")
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// fairQueue creates queue "fair" with a scheduling policy.
func (f *jobsFixture) fairQueue() {
	f.t.Helper()
	sp := createTestSP(f.t, f.s, "sp")
	_, err := f.s.CreateJobQueue(context.Background(), &CreateJobQueueRequest{
		JobQueueName: "fair", Priority: ptrTo(int32(1)), SchedulingPolicyArn: &sp,
		ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: "ce"}},
	})
	if err != nil {
		f.t.Fatalf("CreateJobQueue fair: %v", err)
	}
}

func TestSubmitJobValidation(t *testing.T) {
	t.Parallel()
	dep := func(id, typ string) JobDependency { return JobDependency{JobId: ptrIf(id), Type: typ} }
	override := func(typ, v string) func(r *SubmitJobRequest, _ []string) {
		return func(r *SubmitJobRequest, _ []string) {
			r.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: typ, Value: v}}}
		}
	}
	tests := []struct {
		name string
		// setup prepares the fixture and returns values the request uses
		// (job IDs).
		setup func(f *jobsFixture) []string
		mod   func(r *SubmitJobRequest, ids []string)
		want  string
		wantf func(ids []string) string // a message naming a job setup made
	}{
		{name: "name with a dot", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = "a.b" }, want: msgJobName},
		{name: "name starting with a hyphen", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = "-a" }, want: msgJobName},
		{name: "name starting with an underscore", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = "_a" }, want: msgJobName},
		{name: "empty name", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = "" }, want: msgJobName},
		{name: "name of 129 characters", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = strings.Repeat("a", 129) }, want: msgJobName},
		{name: "name with a space", mod: func(r *SubmitJobRequest, _ []string) { r.JobName = "a b" }, want: msgJobName},
		{
			name: "request over 30 KiB",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.Parameters = map[string]string{"big": strings.Repeat("x", 40*1024)}
			},
			want: fmt.Sprintf(msgJobSize, 30, 41),
		},
		{name: "unknown queue", mod: func(r *SubmitJobRequest, _ []string) { r.JobQueue = "nope" }, want: "JobQueue nope not found."},
		{name: "VCPU override 1e300", mod: override(ResourceTypeVcpu, "1e300"), want: fmt.Sprintf(msgOverrideValue, 0, "1e300", "VCPU", "must be a decimal number")},
		{name: "MEMORY override NaN", mod: override(ResourceTypeMemory, "NaN"), want: fmt.Sprintf(msgOverrideValue, 0, "NaN", "MEMORY", "must be a decimal number")},
		{name: "MEMORY override 2 MiB", mod: override(ResourceTypeMemory, "2"), want: fmt.Sprintf(msgOverrideValue, 0, "2", "MEMORY", "must be at least 4 MiB")},
		{name: "VCPU override 0", mod: override(ResourceTypeVcpu, "0"), want: fmt.Sprintf(msgOverrideValue, 0, "0", "VCPU", "must be more than 0 and at most 1048576")},
		{name: "VCPU override -1", mod: override(ResourceTypeVcpu, "-1"), want: fmt.Sprintf(msgOverrideValue, 0, "-1", "VCPU", "must be a decimal number")},
		{name: "GPU override Inf", mod: override(ResourceTypeGpu, "Inf"), want: fmt.Sprintf(msgOverrideValue, 0, "Inf", "GPU", "must be a decimal number")},
		{name: "unknown override type", mod: override("DISK", "1"), want: fmt.Sprintf(msgOverrideType, 0, "DISK")},
		{
			name: "unknown queue ARN",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.JobQueue = "arn:aws:batch:us-east-1:123456789012:job-queue/nope"
			},
			want: "JobQueue arn:aws:batch:us-east-1:123456789012:job-queue/nope not found.",
		},
		{
			name: "disabled queue",
			setup: func(f *jobsFixture) []string {
				if _, err := f.s.UpdateJobQueue(context.Background(), &UpdateJobQueueRequest{JobQueue: "q", State: JQStateDisabled}); err != nil {
					f.t.Fatal(err)
				}
				return nil
			},
			want: fmt.Sprintf(msgQueueDisabled, "arn:aws:batch:us-east-1:123456789012:job-queue/q"),
		},
		{name: "unknown definition name", mod: func(r *SubmitJobRequest, _ []string) { r.JobDefinition = "nope" }, want: "JobDefinition name nope does not exist or is not in ACTIVE status"},
		{name: "unknown revision", mod: func(r *SubmitJobRequest, _ []string) { r.JobDefinition = "jd:7" }, want: "JobDefinition jd:7 not found."},
		{
			name: "unknown definition ARN",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.JobDefinition = "arn:aws:batch:us-east-1:123456789012:job-definition/nope:1"
			},
			want: "JobDefinition arn:aws:batch:us-east-1:123456789012:job-definition/nope:1 not found.",
		},
		{
			name: "deregistered definition by name",
			setup: func(f *jobsFixture) []string {
				if _, err := f.s.DeregisterJobDefinition(context.Background(), &DeregisterJobDefinitionRequest{JobDefinition: "jd:1"}); err != nil {
					f.t.Fatal(err)
				}
				return nil
			},
			want: "JobDefinition name jd does not exist or is not in ACTIVE status",
		},
		{
			name: "deregistered revision",
			setup: func(f *jobsFixture) []string {
				if _, err := f.s.DeregisterJobDefinition(context.Background(), &DeregisterJobDefinitionRequest{JobDefinition: "jd:1"}); err != nil {
					f.t.Fatal(err)
				}
				return nil
			},
			mod:  func(r *SubmitJobRequest, _ []string) { r.JobDefinition = "jd:1" },
			want: "JobDefinition jd:1 not found.",
		},
		{
			name:  "fair-share queue without shareIdentifier",
			setup: func(f *jobsFixture) []string { f.fairQueue(); return nil },
			mod: func(r *SubmitJobRequest, _ []string) {
				r.JobQueue = "fair"
				r.SchedulingPriorityOverride = ptrTo(int32(1))
			},
			want: msgShareRequired,
		},
		{
			name:  "fair-share queue without scheduling priority",
			setup: func(f *jobsFixture) []string { f.fairQueue(); return nil },
			mod:   func(r *SubmitJobRequest, _ []string) { r.JobQueue = "fair"; r.ShareIdentifier = ptrTo("a") },
			want:  msgPriorityRequired,
		},
		{name: "shareIdentifier without scheduling policy", mod: func(r *SubmitJobRequest, _ []string) { r.ShareIdentifier = ptrTo("a") }, want: msgShareNotAllowed},
		{name: "priority below 0", mod: func(r *SubmitJobRequest, _ []string) { r.SchedulingPriorityOverride = ptrTo(int32(-1)) }, want: msgPriorityRange},
		{name: "priority above 9999", mod: func(r *SubmitJobRequest, _ []string) { r.SchedulingPriorityOverride = ptrTo(int32(10000)) }, want: msgPriorityRange},
		{name: "array of 1", mod: func(r *SubmitJobRequest, _ []string) { r.ArrayProperties = &ArrayProperties{Size: ptrTo(int32(1))} }, want: msgArraySize},
		{name: "array of 10001", mod: func(r *SubmitJobRequest, _ []string) { r.ArrayProperties = &ArrayProperties{Size: ptrTo(int32(10001))} }, want: msgArraySize},
		{name: "timeout of 59 s", mod: func(r *SubmitJobRequest, _ []string) {
			r.Timeout = &JobTimeout{AttemptDurationSeconds: ptrTo(int32(59))}
		}, want: msgTimeout},
		// The retry strategy is checked as RegisterJobDefinition checks it.
		{name: "0 attempts", mod: func(r *SubmitJobRequest, _ []string) { r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(0))} }, want: execPrefix + "retryStrategy.attempts must be between 1 and 10."},
		{name: "11 attempts", mod: func(r *SubmitJobRequest, _ []string) { r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(11))} }, want: execPrefix + "retryStrategy.attempts must be between 1 and 10."},
		{name: "retry strategy without attempts", mod: func(r *SubmitJobRequest, _ []string) { r.RetryStrategy = &RetryStrategy{} }, want: execPrefix + "RetryAttempts must be provided with retry strategy"},
		{name: "6 evaluateOnExit", mod: func(r *SubmitJobRequest, _ []string) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: make([]EvaluateOnExit, 6)}
			for i := range r.RetryStrategy.EvaluateOnExit {
				r.RetryStrategy.EvaluateOnExit[i].Action = "EXIT"
			}
		}, want: execPrefix + "retryStrategy.evaluateOnExit must have length less than or equal to 5."},
		{name: "evaluateOnExit action IGNORE", mod: func(r *SubmitJobRequest, _ []string) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "IGNORE"}}}
		}, want: execPrefix + "retryStrategy.evaluateOnExit[0].action must satisfy enum value set: [RETRY, EXIT]."},
		{name: "evaluateOnExit onExitCode pattern", mod: func(r *SubmitJobRequest, _ []string) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "exit", OnExitCode: ptrTo("a*")}}}
		}, want: execPrefix + "retryStrategy.evaluateOnExit[0].onExitCode must satisfy regular expression pattern: " + onExitCodeRE.String()},
		{name: "evaluateOnExit onReason too long", mod: func(r *SubmitJobRequest, _ []string) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "Retry", OnReason: ptrTo(strings.Repeat("x", 513))}}}
		}, want: execPrefix + "retryStrategy.evaluateOnExit[0].onReason must have length less than or equal to 512."},
		{
			name: "AWS_BATCH environment variable",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.ContainerOverrides = &ContainerOverrides{Environment: []KeyValuePair{{Name: ptrTo("AWS_BATCH_X"), Value: ptrTo("1")}}}
			},
			want: fmt.Sprintf(msgEnvReserved, "AWS_BATCH_X"),
		},
		{
			name: "21 dependencies",
			mod: func(r *SubmitJobRequest, _ []string) {
				for i := range 21 {
					r.DependsOn = append(r.DependsOn, dep(fmt.Sprint("j", i), ""))
				}
			},
			want: awsPrefix + "Job cannot have more than 20 dependencies",
		},
		{
			name: "SEQUENTIAL with a jobId",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.ArrayProperties = &ArrayProperties{Size: ptrTo(int32(2))}
				r.DependsOn = []JobDependency{dep("x", ArrayJobDependencySequential)}
			},
			want: msgSequentialJobID,
		},
		{
			name: "SEQUENTIAL on a job that is no array",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.DependsOn = []JobDependency{{Type: ArrayJobDependencySequential}}
			},
			want: msgSequentialArray,
		},
		{
			name: "N_TO_N without a jobId",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.ArrayProperties = &ArrayProperties{Size: ptrTo(int32(2))}
				r.DependsOn = []JobDependency{{Type: ArrayJobDependencyNToN}}
			},
			want: fmt.Sprintf(msgDepNoJobID, "N_TO_N"),
		},
		{
			name: "dependency without a jobId",
			mod:  func(r *SubmitJobRequest, _ []string) { r.DependsOn = []JobDependency{{}} },
			want: fmt.Sprintf(msgDepNoJobID, "STANDARD"),
		},
		{
			name:  "N_TO_N for a job that is no array",
			setup: func(f *jobsFixture) []string { return []string{f.submit(withArray(req("a"), 2))} },
			mod: func(r *SubmitJobRequest, ids []string) {
				r.DependsOn = []JobDependency{dep(ids[0], ArrayJobDependencyNToN)}
			},
			want: msgNToNArray,
		},
		{
			name:  "N_TO_N on an array of another size",
			setup: func(f *jobsFixture) []string { return []string{f.submit(withArray(req("a"), 3))} },
			mod: func(r *SubmitJobRequest, ids []string) {
				withArray(r, 2)
				r.DependsOn = []JobDependency{dep(ids[0], ArrayJobDependencyNToN)}
			},
			wantf: func(ids []string) string { return fmt.Sprintf(msgNToNSize, ids[0]) },
		},
		{
			name:  "N_TO_N on a dependency that is no array",
			setup: func(f *jobsFixture) []string { return []string{f.submit(req("a"))} },
			mod: func(r *SubmitJobRequest, ids []string) {
				withArray(r, 2)
				r.DependsOn = []JobDependency{dep(ids[0], ArrayJobDependencyNToN)}
			},
			wantf: func(ids []string) string { return fmt.Sprintf(msgNToNSize, ids[0]) },
		},
		{
			name: "unknown dependency",
			mod: func(r *SubmitJobRequest, _ []string) {
				r.DependsOn = []JobDependency{dep("4f1e2d3c-0000-4000-8000-000000000000", "")}
			},
			want: fmt.Sprintf(msgDepNotFound, "4f1e2d3c-0000-4000-8000-000000000000"),
		},
		{
			name:  "child of an array beyond its size",
			setup: func(f *jobsFixture) []string { return []string{f.submit(withArray(req("a"), 2))} },
			mod:   func(r *SubmitJobRequest, ids []string) { r.DependsOn = []JobDependency{dep(ids[0]+":2", "")} },
			wantf: func(ids []string) string { return fmt.Sprintf(msgDepNotFound, ids[0]+":2") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newJobsFixture(t)
			var ids []string
			if tc.setup != nil {
				ids = tc.setup(f)
			}
			r := req("job")
			if tc.mod != nil {
				tc.mod(r, ids)
			}
			want := tc.want
			if tc.wantf != nil {
				want = tc.wantf(ids)
			}
			before := f.countJobs()
			_, err := f.s.SubmitJob(context.Background(), r)
			wantClientError(t, err, want)
			if n := f.countJobs(); n != before {
				t.Errorf("a refused SubmitJob stored %d jobs", n-before)
			}
		})
	}
}

func withArray(r *SubmitJobRequest, size int32) *SubmitJobRequest {
	r.ArrayProperties = &ArrayProperties{Size: &size}
	return r
}

func TestSubmitJobAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(r *SubmitJobRequest)
	}{
		{name: "name of 128 characters", mod: func(r *SubmitJobRequest) { r.JobName = "A" + strings.Repeat("b-_9", 31) + "xyz" }},
		{name: "name starting with a digit", mod: func(r *SubmitJobRequest) { r.JobName = "9lives" }},
		{name: "queue by ARN", mod: func(r *SubmitJobRequest) { r.JobQueue = "arn:aws:batch:us-east-1:123456789012:job-queue/q" }},
		{name: "definition by name:revision", mod: func(r *SubmitJobRequest) { r.JobDefinition = "jd:1" }},
		{name: "definition by ARN", mod: func(r *SubmitJobRequest) {
			r.JobDefinition = "arn:aws:batch:us-east-1:123456789012:job-definition/jd:1"
		}},
		{name: "definition by ARN without revision", mod: func(r *SubmitJobRequest) { r.JobDefinition = "arn:aws:batch:us-east-1:123456789012:job-definition/jd" }},
		{name: "priority 0 and 9999", mod: func(r *SubmitJobRequest) { r.SchedulingPriorityOverride = ptrTo(int32(9999)) }},
		{name: "array of 2", mod: func(r *SubmitJobRequest) { withArray(r, 2) }},
		{name: "array of 10000", mod: func(r *SubmitJobRequest) { withArray(r, 10000) }},
		{name: "timeout of 60 s", mod: func(r *SubmitJobRequest) { r.Timeout = &JobTimeout{AttemptDurationSeconds: ptrTo(int32(60))} }},
		{name: "evaluateOnExit actions in any case", mod: func(r *SubmitJobRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(3)), EvaluateOnExit: []EvaluateOnExit{{Action: "retry", OnExitCode: ptrTo("1")}, {Action: "Exit", OnReason: ptrTo("*")}}}
		}},
		{name: "SEQUENTIAL array", mod: func(r *SubmitJobRequest) {
			withArray(r, 3)
			r.DependsOn = []JobDependency{{Type: ArrayJobDependencySequential}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newJobsFixture(t)
			r := req("job")
			tc.mod(r)
			out, err := f.s.SubmitJob(context.Background(), r)
			if err != nil {
				t.Fatalf("SubmitJob: %v", err)
			}
			if out.JobName != r.JobName || *out.JobArn != f.s.JobARN(out.JobId) {
				t.Errorf("response = %+v", out)
			}
			if d := f.describe(out.JobId); d.Status != JobStatusSubmitted || d.JobDefinition != f.s.JobDefinitionARN("jd", 1) || d.JobQueue != f.s.JobQueueARN("q") {
				t.Errorf("job = %s %s %s", d.Status, d.JobDefinition, d.JobQueue)
			}
		})
	}
}

// TestSubmitJobDescribed checks what DescribeJobs shows of a submission:
// the definition with the overrides laid over it.
func TestSubmitJobDescribed(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	jd := containerJDRequest("params")
	jd.Parameters = map[string]string{"in": "default.txt", "mode": "fast"}
	jd.ContainerProperties.Command = []string{"run", "Ref::in", "Ref::mode", "--out=Ref::in", "Ref::unset"}
	jd.ContainerProperties.Environment = []KeyValuePair{{Name: ptrTo("A"), Value: ptrTo("1")}, {Name: ptrTo("B"), Value: ptrTo("2")}}
	jd.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2))}
	jd.Timeout = &JobTimeout{AttemptDurationSeconds: ptrTo(int32(300))}
	jd.PlatformCapabilities = []string{PlatformCapabilityEc2}
	if _, err := f.s.RegisterJobDefinition(context.Background(), jd); err != nil {
		t.Fatal(err)
	}
	id := f.submit(&SubmitJobRequest{
		JobName: "described", JobQueue: "q", JobDefinition: "params",
		Parameters: map[string]string{"in": "mine.txt"},
		ContainerOverrides: &ContainerOverrides{
			Environment:          []KeyValuePair{{Name: ptrTo("B"), Value: ptrTo("two")}, {Name: ptrTo("C"), Value: ptrTo("3")}},
			ResourceRequirements: []ResourceRequirement{{Type: ResourceTypeMemory, Value: "1024"}},
		},
		Timeout:       &JobTimeout{AttemptDurationSeconds: ptrTo(int32(120))},
		Tags:          map[string]string{"team": "a"},
		PropagateTags: ptrTo(true),
	})
	d := f.describe(id)
	want := JobDetail{
		JobArn: ptrTo(f.s.JobARN(id)), JobName: "described", JobId: id,
		JobQueue: f.s.JobQueueARN("q"), Status: JobStatusSubmitted,
		CreatedAt:     ptrTo(testNow.UnixMilli()),
		Attempts:      []AttemptDetail{},
		DependsOn:     []JobDependency{},
		EksAttempts:   []EksAttemptDetail{},
		RetryStrategy: &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{}},
		JobDefinition: f.s.JobDefinitionARN("params", 1),
		Parameters:    map[string]string{"in": "mine.txt", "mode": "fast"},
		Container: &ContainerDetail{
			Image:   ptrTo("busybox"),
			Command: []string{"run", "mine.txt", "fast", "--out=Ref::in", "Ref::unset"},
			Environment: []KeyValuePair{
				{Name: ptrTo("A"), Value: ptrTo("1")}, {Name: ptrTo("B"), Value: ptrTo("two")}, {Name: ptrTo("C"), Value: ptrTo("3")},
			},
			ResourceRequirements: []ResourceRequirement{{Type: ResourceTypeVcpu, Value: "1"}, {Type: ResourceTypeMemory, Value: "1024"}},
		},
		Timeout:              &JobTimeout{AttemptDurationSeconds: ptrTo(int32(120))},
		Tags:                 map[string]string{"team": "a"},
		PropagateTags:        ptrTo(true),
		PlatformCapabilities: []string{PlatformCapabilityEc2},
	}
	// The definition's container may carry more defaults than the request
	// set; compare the fields the job decides.
	d.Container = &ContainerDetail{Image: d.Container.Image, Command: d.Container.Command, Environment: d.Container.Environment, ResourceRequirements: d.Container.ResourceRequirements}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("DescribeJobs =\n%s\nwant\n%s", jsonString(d), jsonString(want))
	}

	t.Run("fair-share queue", func(t *testing.T) {
		f.fairQueue()
		id := f.submit(&SubmitJobRequest{JobName: "fair", JobQueue: "fair", JobDefinition: "jd", ShareIdentifier: ptrTo("teamA"), SchedulingPriorityOverride: ptrTo(int32(7))})
		d := f.describe(id)
		if deref(d.ShareIdentifier) != "teamA" || deref(d.SchedulingPriority) != 7 {
			t.Errorf("shareIdentifier, schedulingPriority = %q, %d", deref(d.ShareIdentifier), deref(d.SchedulingPriority))
		}
	})
}

// TestSubmitJobConcurrent submits from many goroutines at once: each call
// gets its own answer, refused calls store nothing, accepted ones are all
// there.
func TestSubmitJobConcurrent(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	const n = 200
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids []string
	)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r := req(fmt.Sprint("job-", i))
			if i%3 == 0 {
				r.JobQueue = "nope" // refused in the store transaction
			}
			out, err := f.s.SubmitJob(context.Background(), r)
			errs[i] = err
			if err == nil {
				mu.Lock()
				ids = append(ids, out.JobId)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%3 == 0 {
			wantClientError(t, err, "JobQueue nope not found.")
		} else if err != nil {
			t.Errorf("job-%d: %v", i, err)
		}
	}
	if got, want := f.countJobs(), n-(n+2)/3; got != want || len(ids) != want {
		t.Fatalf("stored %d jobs, answered %d, want %d", got, len(ids), want)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(ids) {
		t.Error("duplicate job IDs")
	}
}

// TestSubmitJobStoreError: a store error fails the call and keeps nothing
// of it.
func TestSubmitJobStoreError(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	fs := &failingStore{Store: f.s.store}
	f.s.store = fs
	fs.fail.Store(true)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = f.s.SubmitJob(context.Background(), req(fmt.Sprint("j", i))) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, errInjected) {
			t.Errorf("j%d: %v, want the store's error", i, err)
		}
	}
	fs.fail.Store(false)
	if n := f.countJobs(); n != 0 {
		t.Errorf("stored %d jobs", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.s.SubmitJob(ctx, req("late")); !errors.Is(err, context.Canceled) {
		t.Errorf("SubmitJob with a done context: %v, want context.Canceled", err)
	}
}

var errInjected = errors.New("injected store failure")

// failingStore fails every Put of a job document while fail is set.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (s *failingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(failingTx{tx, s}) })
}

type failingTx struct {
	store.Tx
	s *failingStore
}

func (t failingTx) Put(kind, key string, v []byte) error {
	if kind == kindJob && t.s.fail.Load() {
		return errInjected
	}
	return t.Tx.Put(kind, key, v)
}

// SubmitJob refuses a Fargate definition on a queue of EC2 compute
// environments and an EC2 one (explicit or by default) on a queue of
// Fargate ones; each goes to its own kind.
func TestSubmitJobPlatformMismatch(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	ctx := t.Context()
	if _, err := f.s.CreateComputeEnvironment(ctx, fargateCERequest("fce")); err != nil {
		t.Fatal(err)
	}
	createTestQueue(t, f.s, "fq", "fce")
	fjd := containerJDRequest("fjd")
	fjd.PlatformCapabilities = []string{PlatformCapabilityFargate}
	fjd.ContainerProperties.ExecutionRoleArn = ptrTo(testRole)
	fjd.ContainerProperties.Vcpus, fjd.ContainerProperties.Memory = nil, nil
	fjd.ContainerProperties.ResourceRequirements = []ResourceRequirement{{Type: ResourceTypeVcpu, Value: "0.25"}, {Type: ResourceTypeMemory, Value: "512"}}
	if _, err := f.s.RegisterJobDefinition(ctx, fjd); err != nil {
		t.Fatal(err)
	}
	ejd := containerJDRequest("ejd")
	ejd.PlatformCapabilities = []string{PlatformCapabilityEc2}
	if _, err := f.s.RegisterJobDefinition(ctx, ejd); err != nil {
		t.Fatal(err)
	}
	q, fq := f.s.JobQueueARN("q"), f.s.JobQueueARN("fq")
	tests := []struct {
		name, queue, def, want string
	}{
		{"fargate on EC2", "q", "fjd", fmt.Sprintf(msgPlatform, f.s.JobDefinitionARN("fjd", 1), "[FARGATE]", q, "EC2 or SPOT")},
		{"EC2 on fargate", "fq", "ejd", fmt.Sprintf(msgPlatform, f.s.JobDefinitionARN("ejd", 1), "[EC2]", fq, "FARGATE or FARGATE_SPOT")},
		{"default EC2 on fargate", "fq", "jd", fmt.Sprintf(msgPlatform, f.s.JobDefinitionARN("jd", 1), "[EC2]", fq, "FARGATE or FARGATE_SPOT")},
		{"fargate on fargate", "fq", "fjd", ""},
		{"EC2 on EC2", "q", "ejd", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.SubmitJob(ctx, &SubmitJobRequest{JobName: "j", JobQueue: tc.queue, JobDefinition: tc.def})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("SubmitJob: %v", err)
				}
				return
			}
			wantClientError(t, err, tc.want)
		})
	}
}

// TestJobIDsSortByTime: job IDs are version-7 UUIDs, unique, and an ID
// made a millisecond later sorts after every earlier one.
func TestJobIDsSortByTime(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	var earlier []string
	for range 3 {
		var batch []string
		for range 2000 {
			id := newJobID()
			if !uuid.MatchString(id) {
				t.Fatalf("job ID %q is no version-7 UUID", id)
			}
			if seen[id] {
				t.Fatalf("job ID %q made twice", id)
			}
			seen[id] = true
			batch = append(batch, id)
		}
		time.Sleep(2 * time.Millisecond)
		if len(earlier) > 0 && slices.Min(batch) < slices.Max(earlier) {
			t.Errorf("an ID made later (%s) sorts before one made earlier (%s)", slices.Min(batch), slices.Max(earlier))
		}
		earlier = batch
	}
}
