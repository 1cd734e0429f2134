package batch

import (
	"context"
	"testing"
)

// GetJobQueueSnapshot lists the queue's RUNNABLE jobs, oldest first.
func TestJobQueueSnapshotFront(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	createTestCE(t, s, "ce")
	createTestQueue(t, s, "q", "ce")
	registerTestJD(t, s, "jd")
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		out, err := s.SubmitJob(ctx, &SubmitJobRequest{JobName: name, JobQueue: "q", JobDefinition: "jd"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out.JobId)
	}
	if _, err := s.Advance(ctx, 100); err != nil {
		t.Fatal(err)
	}
	snap, err := s.GetJobQueueSnapshot(ctx, &GetJobQueueSnapshotRequest{JobQueue: "q"})
	if err != nil {
		t.Fatal(err)
	}
	jobs := snap.FrontOfQueue.Jobs
	if len(jobs) != 3 {
		t.Fatalf("front = %d jobs, want 3", len(jobs))
	}
	// The test clock stands still, so the three share one creation time:
	// any order of the three is the queue's order.
	want := map[string]bool{}
	for _, id := range ids {
		want[s.JobARN(id)] = true
	}
	for i, j := range jobs {
		if !want[*j.JobArn] || j.EarliestTimeAtPosition == nil || *j.EarliestTimeAtPosition <= 0 {
			t.Errorf("front[%d] = %s at %v, want one of %v", i, *j.JobArn, j.EarliestTimeAtPosition, want)
		}
		delete(want, *j.JobArn)
	}
}
