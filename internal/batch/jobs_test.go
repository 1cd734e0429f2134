package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

func jsonString(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func dependsOn(ids ...string) []JobDependency {
	var out []JobDependency
	for _, id := range ids {
		out = append(out, JobDependency{JobId: ptrTo(id)})
	}
	return out
}

// TestDependencies walks the state machine of jobs with dependencies.
func TestDependencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, f *jobsFixture)
	}{
		{"no dependency is RUNNABLE", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.wantStatus(map[string]string{a: JobStatusSubmitted})
			f.advance()
			f.wantStatus(map[string]string{a: JobStatusRunnable}, "")
		}},
		{"waits PENDING, then RUNNABLE when the dependency succeeds", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			f.advance()
			f.wantStatus(map[string]string{a: JobStatusRunnable, b: JobStatusPending})
			f.start(a)
			f.wantStatus(map[string]string{b: JobStatusPending})
			f.finish(a, 0)
			f.wantStatus(map[string]string{a: JobStatusSucceeded, b: JobStatusRunnable})
		}},
		{"all dependencies must succeed", func(t *testing.T, f *jobsFixture) {
			a, b := f.submit(req("a")), f.submit(req("b"))
			c := f.submit(&SubmitJobRequest{JobName: "c", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a, b)})
			f.advance()
			f.run(a, 0)
			f.wantStatus(map[string]string{c: JobStatusPending})
			f.run(b, 0)
			f.wantStatus(map[string]string{c: JobStatusRunnable})
		}},
		{"failure cascades down the chain", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			c := f.submit(&SubmitJobRequest{JobName: "c", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(b)})
			other := f.submit(req("other"))
			f.advance()
			f.run(a, 1)
			f.wantStatus(map[string]string{a: JobStatusFailed}, "Essential container in task exited")
			f.wantStatus(map[string]string{b: JobStatusFailed, c: JobStatusFailed}, "Dependent Job failed")
			f.wantStatus(map[string]string{other: JobStatusRunnable})
			if d := f.describe(c); d.StoppedAt == nil || d.StartedAt != nil {
				t.Errorf("failed dependent: startedAt %v stoppedAt %v", d.StartedAt, d.StoppedAt)
			}
		}},
		{"dependency already FAILED when evaluated", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			f.run(a, 1)
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			f.advance()
			f.wantStatus(map[string]string{b: JobStatusFailed}, "Dependent Job failed")
		}},
		{"dependency already SUCCEEDED when evaluated", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			f.run(a, 0)
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			f.advance()
			f.wantStatus(map[string]string{b: JobStatusRunnable})
		}},
		{"dependency ends before the dependent is evaluated", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			f.run(a, 0) // b is still SUBMITTED
			f.wantStatus(map[string]string{b: JobStatusSubmitted})
			f.advance()
			f.wantStatus(map[string]string{b: JobStatusRunnable})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newJobsFixture(t))
		})
	}
}

func summaryOf(d JobDetail) map[string]int32 {
	if d.ArrayProperties == nil {
		return nil
	}
	m := map[string]int32{}
	for k, v := range d.ArrayProperties.StatusSummary {
		if v != 0 {
			m[k] = v
		}
	}
	return m
}

// TestArrayJobs walks array jobs: children, their dependencies and the
// parent's status and statusSummary.
func TestArrayJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, f *jobsFixture)
	}{
		{"children run, parent PENDING then SUCCEEDED", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 3))
			f.advance()
			d := f.describe(p)
			if d.Status != JobStatusPending || *d.ArrayProperties.Size != 3 || !reflect.DeepEqual(summaryOf(d), map[string]int32{"RUNNABLE": 3}) {
				t.Fatalf("parent: %s %s", d.Status, jsonString(d.ArrayProperties))
			}
			if len(d.ArrayProperties.StatusSummary) != 7 {
				t.Errorf("statusSummary has %d statuses, want all 7", len(d.ArrayProperties.StatusSummary))
			}
			c1 := f.describe(p + ":1")
			if c1.JobName != "arr" || *c1.ArrayProperties.Index != 1 || c1.Status != JobStatusRunnable {
				t.Errorf("child 1: %s %s %v", c1.JobName, c1.Status, jsonString(c1.ArrayProperties))
			}
			env := c1.Container.Environment
			if i := slices.IndexFunc(env, func(e KeyValuePair) bool { return *e.Name == "AWS_BATCH_JOB_ARRAY_INDEX" }); i < 0 || *env[i].Value != "1" {
				t.Errorf("child 1 environment = %s", jsonString(env))
			}
			// ListJobs shows the parent's counts as they are now, though
			// its listing entry holds none (summary).
			listed := func(status string) map[string]int32 {
				t.Helper()
				out, err := f.s.ListJobs(context.Background(), &ListJobsRequest{JobQueue: ptrIf("q"), JobStatus: status})
				if err != nil || len(out.JobSummaryList) != 1 || out.JobSummaryList[0].ArrayProperties == nil {
					t.Fatalf("ListJobs %s = %s, %v; want the parent", status, jsonString(out), err)
				}
				m := map[string]int32{}
				for k, v := range out.JobSummaryList[0].ArrayProperties.StatusSummary {
					if v != 0 {
						m[k] = v
					}
				}
				return m
			}
			f.run(p+":0", 0)
			if got, want := listed(JobStatusPending), map[string]int32{"RUNNABLE": 2, "SUCCEEDED": 1}; !reflect.DeepEqual(got, want) {
				t.Errorf("listed parent's statusSummary = %v, want %v", got, want)
			}
			for i := 1; i < 3; i++ {
				f.run(fmt.Sprint(p, ":", i), 0)
			}
			d = f.describe(p)
			if d.Status != JobStatusSucceeded || !reflect.DeepEqual(summaryOf(d), map[string]int32{"SUCCEEDED": 3}) {
				t.Errorf("parent: %s %v", d.Status, summaryOf(d))
			}
			if got, want := listed(JobStatusSucceeded), map[string]int32{"SUCCEEDED": 3}; !reflect.DeepEqual(got, want) {
				t.Errorf("listed parent's statusSummary = %v, want %v", got, want)
			}
		}},
		{"a failed child fails the parent once all children end", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 3))
			f.advance()
			f.run(p+":0", 1)
			f.start(p + ":1")
			d := f.describe(p)
			if d.Status != JobStatusPending || !reflect.DeepEqual(summaryOf(d), map[string]int32{"FAILED": 1, "RUNNING": 1, "RUNNABLE": 1}) {
				t.Fatalf("parent: %s %v", d.Status, summaryOf(d))
			}
			f.finish(p+":1", 0)
			f.run(p+":2", 0)
			f.wantStatus(map[string]string{p: JobStatusFailed}, "Array Child Job failed")
		}},
		{"SEQUENTIAL children run one after another", func(t *testing.T, f *jobsFixture) {
			r := withArray(req("seq"), 3)
			r.DependsOn = []JobDependency{{Type: ArrayJobDependencySequential}}
			p := f.submit(r)
			f.advance()
			f.wantStatus(map[string]string{p + ":0": JobStatusRunnable, p + ":1": JobStatusPending, p + ":2": JobStatusPending})
			if d := f.describe(p + ":2"); !reflect.DeepEqual(d.DependsOn, []JobDependency{{JobId: ptrTo(p + ":1"), Type: ArrayJobDependencySequential}}) {
				t.Errorf("child 2 dependsOn = %s", jsonString(d.DependsOn))
			}
			f.run(p+":0", 0)
			f.wantStatus(map[string]string{p + ":1": JobStatusRunnable, p + ":2": JobStatusPending})
			f.run(p+":1", 1)
			f.wantStatus(map[string]string{p + ":2": JobStatusFailed}, "Dependent Job failed")
			f.wantStatus(map[string]string{p: JobStatusFailed}, "Array Child Job failed")
		}},
		{"N_TO_N children wait for their peers", func(t *testing.T, f *jobsFixture) {
			a := f.submit(withArray(req("a"), 2))
			r := withArray(req("b"), 2)
			r.DependsOn = []JobDependency{{JobId: &a, Type: ArrayJobDependencyNToN}}
			b := f.submit(r)
			f.advance()
			f.wantStatus(map[string]string{a + ":0": JobStatusRunnable, b + ":0": JobStatusPending, b + ":1": JobStatusPending, b: JobStatusPending})
			f.run(a+":0", 0)
			f.wantStatus(map[string]string{b + ":0": JobStatusRunnable, b + ":1": JobStatusPending})
			f.run(a+":1", 1)
			f.wantStatus(map[string]string{b + ":1": JobStatusFailed}, "Dependent Job failed")
			f.wantStatus(map[string]string{a: JobStatusFailed})
			f.run(b+":0", 0)
			f.wantStatus(map[string]string{b: JobStatusFailed}, "Array Child Job failed")
		}},
		{"N_TO_N on an array that fails before spawning", func(t *testing.T, f *jobsFixture) {
			x := f.submit(req("x"))
			ra := withArray(req("a"), 2)
			ra.DependsOn = dependsOn(x)
			a := f.submit(ra)
			rb := withArray(req("b"), 2)
			rb.DependsOn = []JobDependency{{JobId: &a, Type: ArrayJobDependencyNToN}}
			b := f.submit(rb)
			f.advance()
			f.wantStatus(map[string]string{a: JobStatusPending, b: JobStatusPending, b + ":0": JobStatusPending})
			f.run(x, 1)
			f.wantStatus(map[string]string{a: JobStatusFailed, b + ":0": JobStatusFailed, b + ":1": JobStatusFailed}, "Dependent Job failed")
			f.wantStatus(map[string]string{b: JobStatusFailed}, "Array Child Job failed")
		}},
		{"an array waits for its dependencies before spawning", func(t *testing.T, f *jobsFixture) {
			x := f.submit(req("x"))
			r := withArray(req("arr"), 2)
			r.DependsOn = dependsOn(x)
			p := f.submit(r)
			f.advance()
			f.wantStatus(map[string]string{p: JobStatusPending})
			if out, _ := f.s.DescribeJobs(context.Background(), &DescribeJobsRequest{Jobs: []string{p + ":0"}}); len(out.Jobs) != 0 {
				t.Fatalf("child exists before the parent's dependency succeeded")
			}
			f.tick()
			f.run(x, 0)
			f.wantStatus(map[string]string{p + ":0": JobStatusRunnable, p + ":1": JobStatusRunnable})
			if c := f.describe(p + ":0"); *c.CreatedAt != f.clock.UnixMilli() {
				t.Errorf("child createdAt = %d, want the spawn time %d", *c.CreatedAt, f.clock.UnixMilli())
			}
		}},
		{"a job depending on an array waits for all its children", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 2))
			j := f.submit(&SubmitJobRequest{JobName: "after", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(p)})
			f.advance()
			f.run(p+":0", 0)
			f.wantStatus(map[string]string{j: JobStatusPending})
			f.run(p+":1", 0)
			f.wantStatus(map[string]string{p: JobStatusSucceeded, j: JobStatusRunnable})
		}},
		{"a job depending on one child", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 2))
			j := f.submit(&SubmitJobRequest{JobName: "after", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(p + ":1")})
			f.advance()
			f.run(p+":1", 0)
			f.wantStatus(map[string]string{j: JobStatusRunnable})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newJobsFixture(t))
		})
	}
}

func listIDs(t *testing.T, s *Service, in *ListJobsRequest) ([]string, *string) {
	t.Helper()
	out, err := s.ListJobs(context.Background(), in)
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	var ids []string
	for _, js := range out.JobSummaryList {
		ids = append(ids, js.JobId)
	}
	return ids, out.NextToken
}

func TestListJobs(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	registerTestJD(t, f.s, "jd")    // revision 2
	registerTestJD(t, f.s, "jdx")   // another name with the prefix
	registerTestJD(t, f.s, "other") // and one without
	// Jobs a..f, a millisecond apart: a, b, c run on jd:1, d on jd:2, e on
	// jdx, f on other. a and b are RUNNING, c SUCCEEDED.
	names := []string{"Alpha", "alpine", "beta", "Test1", "test10", "gamma"}
	defs := []string{"jd:1", "jd:1", "jd:1", "jd:2", "jdx", "other"}
	ids := make([]string, len(names))
	for i := range names {
		r := req(names[i])
		r.JobDefinition = defs[i]
		ids[i] = f.submit(r)
		f.tick()
	}
	t0 := testNow.UnixMilli()
	f.advance()
	f.start(ids[0])
	f.start(ids[1])
	f.run(ids[2], 0)
	arr := f.submit(withArray(req("array"), 3))
	f.advance()
	newestFirst := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	filter := func(name, value string) []KeyValuesPair {
		return []KeyValuesPair{{Name: &name, Values: []string{value}}}
	}
	tests := []struct {
		name string
		in   ListJobsRequest
		want []string
	}{
		{"RUNNING by default", ListJobsRequest{JobQueue: ptrTo("q")}, newestFirst(1, 0)},
		{"queue by ARN", ListJobsRequest{JobQueue: ptrTo(f.s.JobQueueARN("q"))}, newestFirst(1, 0)},
		{"by status, newest first", ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusRunnable}, newestFirst(5, 4, 3)},
		{"array parents listed, not children", ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusPending}, []string{arr}},
		{"JOB_NAME exact, case-insensitive", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_NAME", "test1")}, newestFirst(3)},
		{"JOB_NAME prefix", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_NAME", "TEST1*")}, newestFirst(4, 3)},
		{"JOB_NAME any status", ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusFailed, Filters: filter("JOB_NAME", "al*")}, newestFirst(1, 0)},
		{"JOB_DEFINITION name, every revision", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", "jd")}, append([]string{arr}, newestFirst(3, 2, 1, 0)...)},
		{"JOB_DEFINITION prefix", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", "jd*")}, append([]string{arr}, newestFirst(4, 3, 2, 1, 0)...)},
		{"JOB_DEFINITION name:revision", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", "jd:2")}, []string{arr, ids[3]}},
		{"JOB_DEFINITION ARN", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", f.s.JobDefinitionARN("jd", 1))}, newestFirst(2, 1, 0)},
		{"JOB_DEFINITION ARN without revision", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", "arn:aws:batch:us-east-1:123456789012:job-definition/jdx")}, newestFirst(4)},
		{"BEFORE_CREATED_AT", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("BEFORE_CREATED_AT", fmt.Sprint(t0+2))}, newestFirst(1, 0)},
		{"AFTER_CREATED_AT", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("AFTER_CREATED_AT", fmt.Sprint(t0+3))}, append([]string{arr}, newestFirst(5, 4)...)},
		{"array children by index", ListJobsRequest{ArrayJobId: &arr, JobStatus: JobStatusRunnable}, []string{arr + ":0", arr + ":1", arr + ":2"}},
		{"array children, RUNNING by default", ListJobsRequest{ArrayJobId: &arr}, nil},
		{"multi-node job: none", ListJobsRequest{MultiNodeJobId: &arr}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, tok := listIDs(t, f.s, &tc.in)
			if !slices.Equal(got, tc.want) || tok != nil {
				t.Errorf("ListJobs = %v (nextToken %v), want %v", got, tok, tc.want)
			}
		})
	}

	t.Run("summary", func(t *testing.T) {
		out, err := f.s.ListJobs(context.Background(), &ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusSucceeded})
		if err != nil {
			t.Fatal(err)
		}
		js := out.JobSummaryList[0]
		if js.JobId != ids[2] || js.JobName != "beta" || *js.JobDefinition != f.s.JobDefinitionARN("jd", 1) ||
			*js.JobArn != f.s.JobARN(ids[2]) || *js.Container.ExitCode != 0 || js.StartedAt == nil || js.StoppedAt == nil {
			t.Errorf("summary = %s", jsonString(js))
		}
	})

	t.Run("pages", func(t *testing.T) {
		for _, in := range []ListJobsRequest{
			{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", "jd*")},
			{ArrayJobId: &arr, JobStatus: JobStatusRunnable},
		} {
			all, _ := listIDs(t, f.s, &in)
			var paged []string
			in.MaxResults = ptrTo(int32(2))
			for page := 0; ; page++ {
				got, tok := listIDs(t, f.s, &in)
				if len(got) > 2 || page > 10 {
					t.Fatalf("page %d: %v", page, got)
				}
				paged = append(paged, got...)
				if tok == nil {
					break
				}
				in.NextToken = tok
			}
			if !slices.Equal(paged, all) {
				t.Errorf("pages = %v, want %v", paged, all)
			}
		}
	})

	errTests := []struct {
		name string
		in   ListJobsRequest
		want string
	}{
		{"no queue nor array", ListJobsRequest{}, msgListOneOf},
		{"queue and array", ListJobsRequest{JobQueue: ptrTo("q"), ArrayJobId: &arr}, msgListOneOf},
		{"unknown queue", ListJobsRequest{JobQueue: ptrTo("nope")}, "JobQueue nope not found."},
		{"two filters", ListJobsRequest{JobQueue: ptrTo("q"), Filters: append(filter("JOB_NAME", "a"), filter("JOB_NAME", "b")...)}, msgListOneFilter},
		{"unknown filter", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("COLOR", "red")}, fmt.Sprintf(msgListFilterName, "COLOR")},
		{"time not a number", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("AFTER_CREATED_AT", "yesterday")}, fmt.Sprintf(msgListFilterValue, "yesterday", "AFTER_CREATED_AT")},
		{"ARN with asterisk", ListJobsRequest{JobQueue: ptrTo("q"), Filters: filter("JOB_DEFINITION", f.s.JobDefinitionARN("jd", 1)+"*")}, msgListDefARNStar},
		{"maxResults 0", ListJobsRequest{JobQueue: ptrTo("q"), MaxResults: ptrTo(int32(0))}, msgListMaxResults},
		{"bad nextToken", ListJobsRequest{JobQueue: ptrTo("q"), NextToken: ptrTo("!!")}, msgListNextToken},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.ListJobs(context.Background(), &tc.in)
			wantClientError(t, err, tc.want)
		})
	}
}

// TestListJobsScanBudget: a filter matching nothing in a large queue
// answers a short page with a nextToken rather than scanning it all.
func TestListJobsScanBudget(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	bulkJobs(t, f.s, "q", listScanBudget+500, JobStatusRunnable)
	in := &ListJobsRequest{JobQueue: ptrTo("q"), Filters: []KeyValuesPair{{Name: ptrTo("JOB_NAME"), Values: []string{"nothing"}}}}
	got, tok := listIDs(t, f.s, in)
	if len(got) != 0 || tok == nil {
		t.Fatalf("first page: %d jobs, token %v; want none and a token", len(got), tok)
	}
	in.NextToken = tok
	if got, tok = listIDs(t, f.s, in); len(got) != 0 || tok != nil {
		t.Fatalf("second page: %d jobs, token %v; want none and no token", len(got), tok)
	}
}

func TestDescribeJobsLimits(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	a := f.submit(req("a"))
	tests := []struct {
		name  string
		ids   []string
		want  []string
		error string
	}{
		{"unknown IDs are left out", []string{"nope", a, "nope:1", a + ":0"}, []string{a}, ""},
		{"empty list", nil, nil, ""},
		{"100 IDs", append(slices.Repeat([]string{"x"}, 99), a), []string{a}, ""},
		{"101 IDs", slices.Repeat([]string{a}, 101), nil, awsPrefix + "Maximum number of jobs supported is  100 ."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.s.DescribeJobs(context.Background(), &DescribeJobsRequest{Jobs: tc.ids})
			if tc.error != "" {
				wantClientError(t, err, tc.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range out.Jobs {
				got = append(got, j.JobId)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("jobs = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("limit from Limits", func(t *testing.T) {
		f := newJobsFixtureLimits(t, Limits{DescribeJobsIDs: 2})
		_, err := f.s.DescribeJobs(context.Background(), &DescribeJobsRequest{Jobs: []string{"a", "b", "c"}})
		wantClientError(t, err, awsPrefix+"Maximum number of jobs supported is  2 .")
	})
}

func TestCancelTerminate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cancel := func(f *jobsFixture, id string) error {
		_, err := f.s.CancelJob(ctx, &CancelJobRequest{JobId: id, Reason: "not needed"})
		return err
	}
	terminate := func(f *jobsFixture, id string) error {
		_, err := f.s.TerminateJob(ctx, &TerminateJobRequest{JobId: id, Reason: "stop it"})
		return err
	}
	tests := []struct {
		name string
		run  func(t *testing.T, f *jobsFixture)
	}{
		{"cancel SUBMITTED, PENDING, RUNNABLE", func(t *testing.T, f *jobsFixture) {
			sub := f.submit(req("sub"))
			f.advance()
			runnable := f.submit(req("runnable"))
			pending := f.submit(&SubmitJobRequest{JobName: "pending", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(runnable)})
			f.advance()
			sub2 := f.submit(req("sub2"))
			// "A PENDING job is canceled after all dependency jobs are
			// completed" (API reference, CancelJob): pending waits for
			// runnable, then fails with the cancel's reason, not as a
			// dependent.
			if err := cancel(f, pending); err != nil {
				t.Fatal(err)
			}
			if d := f.describe(pending); d.Status != JobStatusPending || !deref(d.IsCancelled) {
				t.Errorf("pending after CancelJob: %s cancelled %v, want PENDING and cancelled", d.Status, d.IsCancelled)
			}
			for _, id := range []string{sub, runnable, sub2} {
				if err := cancel(f, id); err != nil {
					t.Fatal(err)
				}
				d := f.describe(id)
				if d.Status != JobStatusFailed || deref(d.StatusReason) != "not needed" || !deref(d.IsCancelled) || d.IsTerminated != nil {
					t.Errorf("%s: %s %q cancelled %v terminated %v", d.JobName, d.Status, deref(d.StatusReason), d.IsCancelled, d.IsTerminated)
				}
			}
			f.advance() // sub2's evaluation finds it cancelled; pending's dependency has ended
			f.wantStatus(map[string]string{sub2: JobStatusFailed, pending: JobStatusFailed})
			if d := f.describe(pending); deref(d.StatusReason) != "not needed" || !deref(d.IsCancelled) {
				t.Errorf("pending: %q cancelled %v, want the cancel's reason", deref(d.StatusReason), d.IsCancelled)
			}
		}},
		{"cancel leaves STARTING and RUNNING jobs", func(t *testing.T, f *jobsFixture) {
			a, b := f.submit(req("a")), f.submit(req("b"))
			f.advance()
			if err := f.s.MarkStarting(ctx, a); err != nil {
				t.Fatal(err)
			}
			f.start(b)
			for _, id := range []string{a, b} {
				if err := cancel(f, id); err != nil {
					t.Fatal(err)
				}
			}
			f.wantStatus(map[string]string{a: JobStatusStarting, b: JobStatusRunning}, "")
		}},
		{"cancel fails the dependents", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			b := f.submit(&SubmitJobRequest{JobName: "b", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(a)})
			f.advance()
			if err := cancel(f, a); err != nil {
				t.Fatal(err)
			}
			f.wantStatus(map[string]string{b: JobStatusFailed}, "Dependent Job failed")
		}},
		{"cancel and terminate an unknown or finished job", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			f.run(a, 0)
			for _, id := range []string{"nope", a} {
				if err := cancel(f, id); err != nil {
					t.Errorf("CancelJob %s: %v", id, err)
				}
				if err := terminate(f, id); err != nil {
					t.Errorf("TerminateJob %s: %v", id, err)
				}
			}
			f.wantStatus(map[string]string{a: JobStatusSucceeded})
		}},
		{"reason is required", func(t *testing.T, f *jobsFixture) {
			_, err := f.s.CancelJob(ctx, &CancelJobRequest{JobId: "x"})
			wantClientError(t, err, msgReasonRequired)
			_, err = f.s.TerminateJob(ctx, &TerminateJobRequest{JobId: "x", Reason: string(make([]byte, 1025))})
			wantClientError(t, err, msgReasonLength)
		}},
		{"terminate a RUNNING job", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			f.start(a)
			if err := terminate(f, a); err != nil {
				t.Fatal(err)
			}
			d := f.describe(a)
			if d.Status != JobStatusFailed || deref(d.StatusReason) != "stop it" || !deref(d.IsTerminated) {
				t.Errorf("job: %s %q terminated %v", d.Status, deref(d.StatusReason), d.IsTerminated)
			}
			reqs, err := f.s.TerminationRequests(ctx, 10)
			if err != nil || !slices.Equal(reqs, []string{a}) {
				t.Fatalf("TerminationRequests = %v, %v", reqs, err)
			}
			f.finish(a, 143) // the scheduler stopped it
			d = f.describe(a)
			if d.Status != JobStatusFailed || deref(d.StatusReason) != "stop it" || len(d.Attempts) != 1 || *d.Container.ExitCode != 143 {
				t.Errorf("after the attempt: %s %q attempts %d", d.Status, deref(d.StatusReason), len(d.Attempts))
			}
			if reqs, _ := f.s.TerminationRequests(ctx, 10); len(reqs) != 0 {
				t.Errorf("TerminationRequests after MarkFinished = %v", reqs)
			}
		}},
		{"terminate a RUNNABLE job", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			if err := terminate(f, a); err != nil {
				t.Fatal(err)
			}
			f.wantStatus(map[string]string{a: JobStatusFailed}, "stop it")
			if reqs, _ := f.s.TerminationRequests(ctx, 10); len(reqs) != 0 {
				t.Errorf("TerminationRequests = %v, want none (nothing runs)", reqs)
			}
			if err := f.s.MarkStarting(ctx, a); !errors.Is(err, ErrJobState) {
				t.Errorf("MarkStarting a terminated job: %v", err)
			}
		}},
		{"cancel an array: waiting children fail, running ones go on", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 3))
			f.advance()
			f.start(p + ":0")
			if err := cancel(f, p); err != nil {
				t.Fatal(err)
			}
			f.wantStatus(map[string]string{p + ":1": JobStatusFailed, p + ":2": JobStatusFailed}, "not needed")
			f.wantStatus(map[string]string{p: JobStatusPending, p + ":0": JobStatusRunning})
			f.finish(p+":0", 0)
			d := f.describe(p)
			if d.Status != JobStatusFailed || deref(d.StatusReason) != "not needed" || !deref(d.IsCancelled) {
				t.Errorf("parent: %s %q cancelled %v", d.Status, deref(d.StatusReason), d.IsCancelled)
			}
		}},
		{"terminate an array", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 2))
			f.advance()
			f.start(p + ":0")
			if err := terminate(f, p); err != nil {
				t.Fatal(err)
			}
			f.wantStatus(map[string]string{p: JobStatusFailed, p + ":0": JobStatusFailed, p + ":1": JobStatusFailed}, "stop it")
			if reqs, _ := f.s.TerminationRequests(ctx, 10); !slices.Equal(reqs, []string{p + ":0"}) {
				t.Errorf("TerminationRequests = %v", reqs)
			}
			if err := f.s.TerminationDone(ctx, p+":0"); err != nil {
				t.Fatal(err)
			}
			if reqs, _ := f.s.TerminationRequests(ctx, 10); len(reqs) != 0 {
				t.Errorf("TerminationRequests after TerminationDone = %v", reqs)
			}
		}},
		{"cancel an array: its dependents fail once it ends", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 2))
			f.advance()
			f.start(p + ":0")
			d := f.submit(&SubmitJobRequest{JobName: "after", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(p)})
			f.advance()
			if err := cancel(f, p); err != nil {
				t.Fatal(err)
			}
			// The parent waits for its running child ("The array parent
			// job is canceled when all child jobs are completed"), and its
			// dependent with it.
			f.wantStatus(map[string]string{p: JobStatusPending, d: JobStatusPending})
			f.finish(p+":0", 0)
			f.wantStatus(map[string]string{p: JobStatusFailed}, "not needed")
			f.wantStatus(map[string]string{d: JobStatusFailed}, reasonDependentFailed)
		}},
		{"cancel and terminate an array child", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 3))
			f.advance()
			if err := cancel(f, p+":1"); err != nil {
				t.Fatal(err)
			}
			f.start(p + ":2")
			if err := terminate(f, p+":2"); err != nil {
				t.Fatal(err)
			}
			f.wantStatus(map[string]string{p + ":1": JobStatusFailed, p + ":2": JobStatusFailed})
			if c := f.describe(p + ":1"); !deref(c.IsCancelled) {
				t.Errorf("cancelled child: isCancelled %v", c.IsCancelled)
			}
			f.wantStatus(map[string]string{p: JobStatusPending, p + ":0": JobStatusRunnable})
			f.run(p+":0", 0)
			f.wantStatus(map[string]string{p: JobStatusFailed}, reasonArrayChildFailed)
		}},
		{"cancel an array not yet spawned", func(t *testing.T, f *jobsFixture) {
			p := f.submit(withArray(req("arr"), 2))
			if err := cancel(f, p); err != nil {
				t.Fatal(err)
			}
			f.advance()
			f.wantStatus(map[string]string{p: JobStatusFailed}, "not needed")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newJobsFixture(t))
		})
	}
}

func TestSchedulerTransitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *jobsFixture)
	}{
		{"wrong states", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			if err := f.s.MarkStarting(ctx, a); !errors.Is(err, ErrJobState) {
				t.Errorf("MarkStarting SUBMITTED: %v", err)
			}
			f.advance()
			if err := f.s.MarkRunning(ctx, a, AttemptContainerDetail{}, 0); !errors.Is(err, ErrJobState) {
				t.Errorf("MarkRunning RUNNABLE: %v", err)
			}
			if err := f.s.MarkFinished(ctx, a, AttemptDetail{}, true, ""); !errors.Is(err, ErrJobState) {
				t.Errorf("MarkFinished RUNNABLE: %v", err)
			}
			if err := f.s.MarkStarting(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("MarkStarting unknown: %v", err)
			}
		}},
		{"a run is recorded", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.advance()
			f.tick()
			f.start(a)
			started := f.clock.UnixMilli()
			f.tick()
			f.finish(a, 0)
			d := f.describe(a)
			if d.Status != JobStatusSucceeded || *d.StartedAt != started || *d.StoppedAt != started+1 ||
				*d.Container.LogStreamName != "jd/default/"+a || *d.Container.ExitCode != 0 || len(d.Attempts) != 1 ||
				*d.Attempts[0].StartedAt != started || *d.Attempts[0].StoppedAt != started+1 {
				t.Errorf("job = %s", jsonString(d))
			}
		}},
		{"retried while attempts are left", func(t *testing.T, f *jobsFixture) {
			r := req("a")
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2))}
			a := f.submit(r)
			f.advance()
			f.run(a, 1)
			f.wantStatus(map[string]string{a: JobStatusRunnable})
			f.run(a, 1)
			d := f.describe(a)
			if d.Status != JobStatusFailed || len(d.Attempts) != 2 {
				t.Errorf("job %s, %d attempts", d.Status, len(d.Attempts))
			}
		}},
		{"evaluateOnExit EXIT ends the retries", func(t *testing.T, f *jobsFixture) {
			r := req("a")
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(5)), EvaluateOnExit: []EvaluateOnExit{
				{OnExitCode: ptrTo("1*"), Action: "exit"},
				{OnExitCode: ptrTo("2"), Action: RetryActionRetry},
			}}
			a := f.submit(r)
			f.advance()
			f.run(a, 2)
			f.wantStatus(map[string]string{a: JobStatusRunnable})
			f.run(a, 3) // no condition matches: retried
			f.wantStatus(map[string]string{a: JobStatusRunnable})
			f.run(a, 137)
			f.wantStatus(map[string]string{a: JobStatusFailed})
		}},
		{"the definition's retry strategy", func(t *testing.T, f *jobsFixture) {
			jd := containerJDRequest("retrying")
			jd.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2))}
			if _, err := f.s.RegisterJobDefinition(ctx, jd); err != nil {
				t.Fatal(err)
			}
			a := f.submit(&SubmitJobRequest{JobName: "a", JobQueue: "q", JobDefinition: "retrying"})
			f.advance()
			f.run(a, 1)
			f.wantStatus(map[string]string{a: JobStatusRunnable})
		}},
		{"JobsInState: oldest first, children included", func(t *testing.T, f *jobsFixture) {
			a := f.submit(req("a"))
			f.tick()
			p := f.submit(withArray(req("arr"), 2))
			f.tick()
			b := f.submit(req("b"))
			f.tick()
			f.advance() // the children are spawned now: after b
			got, err := f.s.JobsInState(ctx, f.s.JobQueueARN("q"), JobStatusRunnable, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range got {
				ids = append(ids, d.JobId)
			}
			if want := []string{a, b, p + ":0", p + ":1"}; !slices.Equal(ids, want) {
				t.Errorf("JobsInState RUNNABLE = %v, want %v", ids, want)
			}
			f.start(p + ":1")
			got, _ = f.s.JobsInState(ctx, "q", JobStatusRunning, 10)
			if len(got) != 1 || got[0].JobId != p+":1" || got[0].Container == nil {
				t.Errorf("JobsInState RUNNING = %s", jsonString(got))
			}
			got, _ = f.s.JobsInState(ctx, "q", JobStatusPending, 10)
			if len(got) != 1 || got[0].JobId != p {
				t.Errorf("JobsInState PENDING = %v", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newJobsFixture(t))
		})
	}
}

func TestJobTags(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	ctx := context.Background()
	r := withArray(req("arr"), 2)
	r.Tags = map[string]string{"team": "a"}
	p := f.submit(r)
	f.advance()
	for _, id := range []string{p, p + ":1"} {
		if tags, err := f.s.JobTags(ctx, id); err != nil || !reflect.DeepEqual(tags, map[string]string{"team": "a"}) {
			t.Errorf("JobTags %s = %v, %v", id, tags, err)
		}
	}
	if tags, err := f.s.JobTags(ctx, "nope"); err != nil || tags != nil {
		t.Errorf("JobTags unknown = %v, %v", tags, err)
	}
	err := f.s.store.Update(ctx, func(tx store.Tx) error { return f.s.setJobTagsTx(tx, p, map[string]string{"team": "b"}) })
	if err != nil {
		t.Fatal(err)
	}
	if d := f.describe(p + ":0"); !reflect.DeepEqual(d.Tags, map[string]string{"team": "b"}) || d.Status != JobStatusRunnable {
		t.Errorf("child after setJobTagsTx: %v %s", d.Tags, d.Status)
	}
	err = f.s.store.View(ctx, func(tx store.Tx) error {
		_, err := f.s.jobTagsTx(tx, "nope")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("jobTagsTx unknown: %v", err)
	}
	// Through the control plane's TagResource.
	if _, err := f.s.TagResource(ctx, &TagResourceRequest{ResourceArn: f.s.JobARN(p), Tags: map[string]string{"env": "x"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if tags, _ := f.s.JobTags(ctx, p); !reflect.DeepEqual(tags, map[string]string{"team": "b", "env": "x"}) {
		t.Errorf("after TagResource: %v", tags)
	}
}

// TestRun: the evaluator moves submitted jobs without being asked, and
// returns when its context ends.
func TestRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newJobsFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- f.s.Run(ctx) }()
		a := f.submit(req("a"))
		synctest.Wait() // Run woke, advanced, and sleeps again
		f.wantStatus(map[string]string{a: JobStatusRunnable})

		// A job stored behind SubmitJob's back is found by the ticker.
		err := f.s.store.Update(ctx, func(tx store.Tx) error {
			_, err := f.s.submitTx(tx, req("b"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n, _ := f.s.JobsInState(ctx, "q", JobStatusRunnable, 10); len(n) != 1 {
			t.Fatalf("before the tick: %d RUNNABLE, want 1", len(n))
		}
		<-time.After(advanceTick)
		synctest.Wait()
		if n, _ := f.s.JobsInState(ctx, "q", JobStatusRunnable, 10); len(n) != 2 {
			t.Fatalf("after the tick: %d RUNNABLE, want 2", len(n))
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

// TestDescribeJobsEmptyCollections checks that DescribeJobs sends the list
// and map fields AWS always sends as [] and {} when they are empty, and
// the job-level container's taskArn and containerInstanceArn as those of
// the attempt that runs or ran last.
func TestDescribeJobsEmptyCollections(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	ctx := context.Background()
	jd := containerJDRequest("lp")
	jd.ContainerProperties.LinuxParameters = &LinuxParameters{InitProcessEnabled: ptrTo(true)}
	jd.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2))}
	if _, err := f.s.RegisterJobDefinition(ctx, jd); err != nil {
		t.Fatal(err)
	}
	id := f.submit(&SubmitJobRequest{JobName: "plain", JobQueue: "q", JobDefinition: "lp"})
	arr := f.submit(&SubmitJobRequest{JobName: "arr", JobQueue: "q", JobDefinition: "jd", ArrayProperties: &ArrayProperties{Size: ptrTo(int32(2))}})
	f.advance()

	paths := []string{
		"attempts", "dependsOn", "parameters", "tags", "platformCapabilities", "eksAttempts",
		"retryStrategy.evaluateOnExit",
		"container.command", "container.volumes", "container.environment", "container.mountPoints",
		"container.ulimits", "container.networkInterfaces", "container.resourceRequirements",
		"container.secrets", "container.linuxParameters.devices", "container.linuxParameters.tmpfs",
	}
	got := describeJSON(t, f, id)
	for _, p := range paths {
		v, ok := lookupJSON(got, p)
		if !ok {
			t.Errorf("%s: absent, want it empty", p)
			continue
		}
		switch v := v.(type) {
		case []any:
			if !slices.Contains([]string{"container.resourceRequirements", "container.command", "platformCapabilities"}, p) && len(v) != 0 {
				t.Errorf("%s = %v, want []", p, v)
			}
		case map[string]any:
			if len(v) != 0 {
				t.Errorf("%s = %v, want {}", p, v)
			}
		default:
			t.Errorf("%s = %#v (%T), want [] or {}", p, v, v)
		}
	}
	child := describeJSON(t, f, arr+":0")
	if v, ok := lookupJSON(child, "arrayProperties.statusSummary"); !ok || len(v.(map[string]any)) != 0 {
		t.Errorf("child arrayProperties.statusSummary = %v (%v), want {}", v, ok)
	}

	// The stored definition and job are not changed by what DescribeJobs
	// adds.
	dd, err := f.s.DescribeJobDefinitions(ctx, &DescribeJobDefinitionsRequest{JobDefinitionName: ptrTo("lp")})
	if err != nil || len(dd.JobDefinitions) != 1 {
		t.Fatal(dd, err)
	}
	if d := dd.JobDefinitions[0]; d.RetryStrategy.EvaluateOnExit != nil || d.ContainerProperties.LinuxParameters.Devices != nil {
		t.Errorf("the definition was changed: %s", jsonString(d))
	}

	// While the attempt runs, and after it ends, the job's container names
	// the attempt's task and container instance.
	task := "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"
	inst := "arn:aws:ecs:us-east-1:123456789012:container-instance/c/fedcba9876543210fedcba9876543210"
	if err := f.s.MarkStarting(ctx, id); err != nil {
		t.Fatal(err)
	}
	if c := f.describe(id).Container; c.TaskArn != nil || c.ContainerInstanceArn != nil {
		t.Errorf("STARTING: taskArn %v, containerInstanceArn %v, want none", deref(c.TaskArn), deref(c.ContainerInstanceArn))
	}
	if err := f.s.MarkRunning(ctx, id, AttemptContainerDetail{TaskArn: &task, ContainerInstanceArn: &inst}, 0); err != nil {
		t.Fatal(err)
	}
	if c := f.describe(id).Container; deref(c.TaskArn) != task || deref(c.ContainerInstanceArn) != inst {
		t.Errorf("RUNNING: taskArn %q, containerInstanceArn %q", deref(c.TaskArn), deref(c.ContainerInstanceArn))
	}
	a := AttemptDetail{Container: &AttemptContainerDetail{TaskArn: &task, ContainerInstanceArn: &inst, ExitCode: ptrTo(int32(0))}}
	if err := f.s.MarkFinished(ctx, id, a, true, "Essential container in task exited"); err != nil {
		t.Fatal(err)
	}
	got = describeJSON(t, f, id)
	for p, want := range map[string]string{
		"container.taskArn": task, "container.containerInstanceArn": inst,
		"attempts.0.container.taskArn": task, "attempts.0.container.containerInstanceArn": inst,
	} {
		if v, _ := lookupJSON(got, p); v != want {
			t.Errorf("%s = %v, want %s", p, v, want)
		}
	}
	if v, ok := lookupJSON(got, "attempts.0.container.networkInterfaces"); !ok || len(v.([]any)) != 0 {
		t.Errorf("attempts[0].container.networkInterfaces = %v (%v), want []", v, ok)
	}
}

// describeJSON is DescribeJobs' answer for one job as the client decodes it.
func describeJSON(t *testing.T, f *jobsFixture, id string) map[string]any {
	t.Helper()
	b, err := json.Marshal(f.describe(id))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// lookupJSON follows a dotted path (a number indexes a list).
func lookupJSON(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// An attempt that ended before it was recorded RUNNING (a short job) is
// recorded RUNNING and ended in one MarkFinished: startedAt is its
// process's start, and a dependant is told.
func TestFinishedBeforeRunning(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	ctx := context.Background()
	id := f.submit(req("short"))
	f.advance()
	if err := f.s.MarkStarting(ctx, id); err != nil {
		t.Fatal(err)
	}
	started, stopped, exit := f.clock.UnixMilli()-7, f.clock.UnixMilli(), int32(0)
	att := AttemptDetail{StartedAt: &started, StoppedAt: &stopped,
		Container: &AttemptContainerDetail{ExitCode: &exit, LogStreamName: ptrIf("jd/default/x")}}
	if err := f.s.MarkFinished(ctx, id, att, true, "Essential container in task exited"); err != nil {
		t.Fatal(err)
	}
	d := f.describe(id)
	if d.Status != JobStatusSucceeded || deref(d.StartedAt) != started || len(d.Attempts) != 1 || deref(d.Attempts[0].StartedAt) != started ||
		d.Container == nil || deref(d.Container.LogStreamName) != "jd/default/x" {
		t.Errorf("job %s startedAt %d attempts %s; want SUCCEEDED, started at %d", d.Status, deref(d.StartedAt), jsonString(d.Attempts), started)
	}
}

// A job's container fields are stored once when they are its last
// attempt's (putJob), and read back whole (getJob); when they are not (an
// earlier attempt's log stream kept), they are stored as they are.
func TestJobRecordLastContainer(t *testing.T) {
	st := memstore.New()
	attempt := func(stream, task string, code int32) AttemptDetail {
		return AttemptDetail{Container: &AttemptContainerDetail{LogStreamName: new(stream), TaskArn: new(task),
			ContainerInstanceArn: new("arn:ci"), ExitCode: new(code), Reason: new("why")}}
	}
	cases := []struct {
		name    string
		rec     jobRecord
		compact bool
	}{
		{"last attempt's", jobRecord{ID: "a", Status: JobStatusFailed, Attempts: []AttemptDetail{attempt("s1", "t1", 1), attempt("s2", "t2", 2)},
			LogStream: "s2", TaskArn: "t2", InstanceArn: "arn:ci", ExitCode: new(int32(2)), ContainerReason: "why"}, true},
		{"an earlier stream", jobRecord{ID: "b", Status: JobStatusFailed, Attempts: []AttemptDetail{attempt("s1", "t1", 1), {Container: &AttemptContainerDetail{Reason: new("why")}}},
			LogStream: "s1", TaskArn: "t1", InstanceArn: "arn:ci", ContainerReason: "why"}, false},
		{"another exit code", jobRecord{ID: "c", Status: JobStatusFailed, Attempts: []AttemptDetail{attempt("s1", "t1", 1)},
			LogStream: "s1", TaskArn: "t1", InstanceArn: "arn:ci", ExitCode: new(int32(3)), ContainerReason: "why"}, false},
		{"no attempt", jobRecord{ID: "d", Status: JobStatusRunning, LogStream: "s1", TaskArn: "t1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Update(context.Background(), func(tx store.Tx) error { return putJob(tx, &tc.rec) })
			if err != nil {
				t.Fatal(err)
			}
			err = st.View(context.Background(), func(tx store.Tx) error {
				raw, err := tx.Get(kindJob, tc.rec.ID)
				if err != nil {
					return err
				}
				if got := strings.Contains(string(raw), `"lc":true`) && !strings.Contains(string(raw), `"ta":`); got != tc.compact {
					t.Errorf("stored %s: compact %t, want %t", raw, got, tc.compact)
				}
				back, found, err := getJob(tx, tc.rec.ID)
				if err != nil || !found {
					return fmt.Errorf("getJob: %v, found %t", err, found)
				}
				if !reflect.DeepEqual(*back, tc.rec) {
					t.Errorf("read back %+v, want %+v", *back, tc.rec)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
