package batch

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"batchd/internal/store"
)

// A job record the evaluator cannot read does not hold up the jobs after
// it: it is set aside with a log line, and they move on.
func TestAdvanceSetsAPoisonRecordAside(t *testing.T) {
	f := newJobsFixture(t)
	var logged bytes.Buffer
	f.s.log = slog.New(slog.NewTextHandler(&logged, nil))
	ctx := context.Background()
	a := f.submit(req("a"))
	f.tick()
	bad := f.submit(req("bad"))
	f.tick()
	c := f.submit(req("c"))
	if err := f.s.store.Update(ctx, func(tx store.Tx) error { return tx.Put(kindJob, bad, []byte("{not json")) }); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.Advance(ctx, 100)
	if err != nil || n != 2 {
		t.Fatalf("Advance = %d, %v; want the 2 good jobs moved on", n, err)
	}
	for _, id := range []string{a, c} {
		if st := f.describe(id).Status; st != JobStatusRunnable {
			t.Errorf("job %s is %s, want RUNNABLE", id, st)
		}
	}
	var aside []store.Item
	if err := f.s.store.View(ctx, func(tx store.Tx) error {
		var err error
		aside, err = tx.List(kindJobEvalAside, "", "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(aside) != 1 || !strings.HasSuffix(aside[0].Key, bad) {
		t.Fatalf("set aside: %+v, want the bad job", aside)
	}
	if !strings.Contains(logged.String(), "set aside a job it cannot evaluate") || !strings.Contains(logged.String(), bad) {
		t.Errorf("no log line naming the job: %q", logged.String())
	}
	// The next pass has nothing to do and no error.
	if n, err := f.s.Advance(ctx, 100); err != nil || n != 0 {
		t.Errorf("next Advance = %d, %v", n, err)
	}
}

// An Advance transaction holds a bounded number of job documents: arrays
// submitted together are spawned one (or a few) per transaction, not all
// at once (a hundred arrays of 10,000 children took a batchd to 1.2 GB).
func TestAdvanceBoundsItsTransaction(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		r := req("arr")
		r.ArrayProperties = &ArrayProperties{Size: ptrTo(int32(advanceDocs))}
		ids = append(ids, f.submit(r))
		f.tick()
	}
	small := f.submit(req("small"))
	for i, want := range []int{1, 1, 1, 1} {
		n, err := f.s.Advance(ctx, 100)
		if err != nil || n != want {
			t.Fatalf("Advance %d = %d, %v; want %d jobs moved on", i, n, err, want)
		}
	}
	for _, id := range append(ids, small) {
		if st := f.describe(id).Status; st == JobStatusSubmitted {
			t.Errorf("job %s still SUBMITTED", id)
		}
	}
}
