package batch

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestSubmitTargetsSeeTagChanges: SubmitJob's authorization reads tags
// through the cache; every tag change is seen by the next read, also while
// reads and writes race.
func TestSubmitTargetsSeeTagChanges(t *testing.T) {
	ctx := context.Background()
	f := newJobsFixture(t)
	qARN := f.s.JobQueueARN("q")
	dARN := f.s.JobDefinitionARN("jd", 1)
	want := func(team string) {
		t.Helper()
		got, err := f.s.SubmitTargetsOf(ctx, "q", "jd:1")
		if err != nil {
			t.Fatal(err)
		}
		if got.QueueTags["team"] != team || got.DefinitionTags["team"] != team {
			t.Fatalf("tags: queue %v, definition %v; want team=%q", got.QueueTags, got.DefinitionTags, team)
		}
	}
	tag := func(team string) {
		t.Helper()
		for _, arn := range []string{qARN, dARN} {
			if _, err := f.s.TagResource(ctx, &TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"team": team}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want("")
	want("") // from the cache
	tag("a")
	want("a")
	if _, err := f.s.UntagResource(ctx, &UntagResourceRequest{ResourceArn: qARN, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.s.SubmitTargetsOf(ctx, "q", "jd:1"); err != nil || got.QueueTags["team"] != "" || got.DefinitionTags["team"] != "a" {
		t.Fatalf("after UntagResource: %+v, %v", got, err)
	}

	// Readers race a writer; once the writer is done, the next read sees
	// its last write.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.s.SubmitTargetsOf(ctx, "q", "jd:1"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 50 {
		tag(fmt.Sprint("t", i))
	}
	close(stop)
	wg.Wait()
	want("t49")
}

// TestTagCacheFirstPut: the first entry of a fresh service (generation 0)
// is cached, not a panic.
func TestTagCacheFirstPut(t *testing.T) {
	var c genCache
	c.put(0, "arn", map[string]string{"k": "v"})
	if v, ok := c.get(0, "arn"); !ok || v.(map[string]string)["k"] != "v" {
		t.Fatalf("get = %v, %v", v, ok)
	}
	if _, ok := c.get(1, "arn"); ok {
		t.Fatal("an entry of generation 0 served at generation 1")
	}
	c.put(2, "new", map[string]string{})
	if _, ok := c.get(2, "arn"); ok {
		t.Fatal("generation 2 kept generation 0's entries")
	}
	c.put(1, "old", map[string]string{}) // read before generation 2: dropped
	if _, ok := c.get(2, "old"); ok {
		t.Fatal("a read of generation 1 was cached at generation 2")
	}
}

// TestChangesFollowResourceWrites: Changes receives after a write to a
// resource document — through the store's watch, whatever operation made
// it — and after a cancel; a job's own writes do not signal it.
func TestChangesFollowResourceWrites(t *testing.T) {
	ctx := context.Background()
	f := newJobsFixture(t)
	drain := func() {
		select {
		case <-f.s.Changes():
		default:
		}
	}
	want := func(what string, signalled bool) {
		t.Helper()
		select {
		case <-f.s.Changes():
			if !signalled {
				t.Errorf("%s signalled Changes", what)
			}
		default:
			if signalled {
				t.Errorf("%s did not signal Changes", what)
			}
		}
	}
	drain()
	id := f.submit(req("a"))
	f.advance()
	want("SubmitJob and its evaluation", false)
	if _, err := f.s.TagResource(ctx, &TagResourceRequest{ResourceArn: f.s.JobQueueARN("q"), Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	want("TagResource on a queue", true)
	if err := f.s.SetComputeEnvironmentStatus(ctx, "ce", CEStatusInvalid, "CLIENT_ERROR - x"); err != nil {
		t.Fatal(err)
	}
	want("SetComputeEnvironmentStatus", true)
	if err := f.s.SetComputeEnvironmentStatus(ctx, "ce", CEStatusInvalid, "CLIENT_ERROR - x"); err != nil {
		t.Fatal(err)
	}
	want("SetComputeEnvironmentStatus to the status it has", false)
	if _, err := f.s.CancelJob(ctx, &CancelJobRequest{JobId: id, Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	want("CancelJob", true)
}
