package batch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/sqlite"
)

// OnJobChange hears each status change once its write committed, with
// the attempt it belongs to; a transition refused tells nothing.
func TestOnJobChange(t *testing.T) {
	f := newJobsFixture(t)
	var got []JobChange
	ws := f.s.store.(watchedStore)
	ws.onJob = func(c JobChange) { got = append(got, c) }
	f.s.store = ws
	ctx := context.Background()

	id := f.submit(req("a"))
	f.advance()
	if err := f.s.MarkStarting(ctx, id); err != nil {
		t.Fatal(err)
	}
	code := int32(3)
	if err := f.s.MarkFinished(ctx, id, AttemptDetail{StartedAt: ptrTo(int64(1)), Container: &AttemptContainerDetail{ExitCode: &code}}, false, "Essential container in task exited"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.MarkStarting(ctx, id); !errors.Is(err, ErrJobState) {
		t.Fatalf("MarkStarting a FAILED job: %v", err)
	}
	want := []struct {
		from, to string
		attempt  int
	}{
		{"", JobStatusSubmitted, 0},
		{JobStatusSubmitted, JobStatusRunnable, 0},
		{JobStatusRunnable, JobStatusStarting, 1},
		{JobStatusStarting, JobStatusRunning, 1},
		{JobStatusRunning, JobStatusFailed, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		c := got[i]
		if c.From != w.from || c.To != w.to || c.Attempt != w.attempt || c.Queue != "q" || c.JobID != id || c.JobName != "a" {
			t.Errorf("change %d = %+v, want %s→%s attempt %d", i, c, w.from, w.to, w.attempt)
		}
	}
	if last := got[len(got)-1]; last.ExitCode == nil || *last.ExitCode != 3 || last.StatusReason != "Essential container in task exited" {
		t.Errorf("end = %+v", last)
	}

	counts, err := f.s.JobCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["q"][JobStatusFailed] != 1 || counts["q"][JobStatusRunnable] != 0 || len(counts["q"]) != len(jobStatuses) {
		t.Errorf("JobCounts = %v", counts)
	}
}

// BenchmarkJobCounts measures the scrape-time count of batchd_jobs over
// one queue holding a million finished jobs in SQLite (index entries
// only: JobCounts reads nothing else).
func BenchmarkJobCounts(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "batchd.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := New(Config{Store: db, Roles: &fakeRoles{}, AccountID: testAccount, Region: testRegion, Now: func() time.Time { return testNow }})
	createTestCE(b, s, "ce")
	createTestQueue(b, s, "q", "ce")
	const total, batchSize = 1_000_000, 50_000
	for i := 0; i < total; i += batchSize {
		err := db.Update(ctx, func(tx store.Tx) error {
			for j := i; j < i+batchSize; j++ {
				if err := tx.Put(kindJobIdx, idxKey("q", JobStatusSucceeded, int64(j), fmt.Sprintf("job-%08d", j)), []byte("{}")); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	counts, err := s.JobCounts(ctx)
	if err != nil || counts["q"][JobStatusSucceeded] != total {
		b.Fatalf("JobCounts = %v, %v", counts["q"], err)
	}
	for _, bc := range []struct {
		name     string
		statuses []string
	}{
		{"all", nil},
		{"unfinished", []string{JobStatusSubmitted, JobStatusPending, JobStatusRunnable, JobStatusStarting, JobStatusRunning}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.JobCounts(ctx, bc.statuses...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
