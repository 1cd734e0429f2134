package batch

import (
	"context"
	"testing"
	"time"

	"batchd/internal/store"
)

// TestExpireJobs: a finished job goes, with its listing entries and (an
// array) its children, once it ended before the cutoff; a running job and
// one that ended later stay.
func TestExpireJobs(t *testing.T) {
	ctx := context.Background()
	f := newJobsFixture(t)
	old := f.submit(req("old"))
	arr := f.submit(&SubmitJobRequest{JobName: "arr", JobQueue: "q", JobDefinition: "jd", ArrayProperties: &ArrayProperties{Size: ptrTo(int32(3))}})
	dependent := f.submit(&SubmitJobRequest{JobName: "dep", JobQueue: "q", JobDefinition: "jd", DependsOn: dependsOn(old)})
	f.advance()
	f.run(old, 0)
	for i := range 3 {
		f.run(childID(arr, int32(i)), 0)
	}
	f.advance()
	f.run(dependent, 1)
	endedAt := f.clock
	f.clock = f.clock.Add(time.Hour)
	running := f.submit(req("running"))
	f.advance()
	f.start(running)
	later := f.submit(req("later"))
	f.advance()
	f.run(later, 0)
	before := f.countJobs()
	if before != 8 {
		t.Fatalf("%d job documents before, want 8", before)
	}

	// Nothing ended before endedAt.
	if n, err := f.s.ExpireJobs(ctx, endedAt, 100); err != nil || n != 0 {
		t.Fatalf("ExpireJobs(endedAt) = %d, %v; want 0", n, err)
	}
	n, err := f.s.ExpireJobs(ctx, endedAt.Add(time.Millisecond), 100)
	if err != nil || n != 3 {
		t.Fatalf("ExpireJobs = %d, %v; want 3 (old, arr, dep)", n, err)
	}
	if got := f.countJobs(); got != 2 {
		t.Errorf("%d job documents after, want 2 (running, later)", got)
	}
	out, err := f.s.DescribeJobs(ctx, &DescribeJobsRequest{Jobs: []string{old, arr, arr + ":1", dependent, running, later}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range out.Jobs {
		ids = append(ids, j.JobId)
	}
	if len(ids) != 2 || ids[0] != running || ids[1] != later {
		t.Errorf("DescribeJobs shows %v, want [running later]", ids)
	}
	for _, st := range []string{JobStatusSucceeded, JobStatusFailed} {
		l, err := f.s.ListJobs(ctx, &ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: st})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range l.JobSummaryList {
			if s.JobId != later {
				t.Errorf("ListJobs %s still lists %s", st, s.JobId)
			}
		}
	}
	// No entry of the expired jobs is left behind.
	err = f.s.store.View(ctx, func(tx store.Tx) error {
		for _, kind := range []string{kindArrIdx, kindDeps} {
			if n, err := tx.Count(kind, ""); err != nil || n != 0 {
				t.Errorf("%d %s entries left, %v", n, kind, err)
			}
		}
		if n, err := tx.Count(kindJobEnded, ""); err != nil || n != 1 {
			t.Errorf("%d %s entries, want 1 (later), %v", n, kindJobEnded, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Limit 0: every job that ended before the cutoff.
	f.clock = f.clock.Add(time.Hour)
	if n, err := f.s.ExpireJobs(ctx, f.clock, 0); err != nil || n != 1 {
		t.Fatalf("ExpireJobs(all) = %d, %v; want 1", n, err)
	}
}
