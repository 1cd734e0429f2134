package batch

// Benchmarks of the job operations on a real SQLite store in a temporary
// directory:
//
//	go test ./internal/batch -run '^$' -bench 'SubmitJob|DescribeJobs|ListJobs' -benchtime 3s
//
// BenchmarkListJobs builds a queue of 10,000 and one of 1,000,000 jobs (set
// BATCHD_BENCH_LIST_BIG to another size); the big one takes a while.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/sqlite"
)

// bulkJobs stores n jobs of queue in one Update, bypassing SubmitJob, as
// SubmitJob and the evaluator would have left them: statuses in turn,
// createdAt a millisecond apart (oldest first), names job-0, job-1, ...
// It returns their IDs in creation order.
func bulkJobs(tb testing.TB, s *Service, queue string, n int, statuses ...string) []string {
	tb.Helper()
	ids := make([]string, n)
	base := s.nowMillis() - int64(n)
	err := s.store.Update(context.Background(), func(tx store.Tx) error {
		for i := range n {
			r := &jobRecord{
				ID: newJobID(), Status: statuses[i%len(statuses)], CreatedAt: base + int64(i),
				Name: "job-" + strconv.Itoa(i), Queue: queue, Def: "jd", Rev: 1,
				Params: map[string]string{"input": "s3://bucket/key-" + strconv.Itoa(i)},
			}
			if r.Status != JobStatusSubmitted && r.Status != JobStatusPending && r.Status != JobStatusRunnable {
				r.StartedAt = r.CreatedAt + 1
			}
			if terminal(r.Status) {
				r.StoppedAt = r.CreatedAt + 2
				r.ExitCode = ptrTo(int32(0))
			}
			ids[i] = r.ID
			doc, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := tx.Put(kindJob, r.ID, doc); err != nil {
				return err
			}
			sum, err := json.Marshal(s.summary(r, r))
			if err != nil {
				return err
			}
			if err := tx.Put(kindJobIdx, idxKey(queue, r.Status, r.CreatedAt, r.ID), sum); err != nil {
				return err
			}
			if scheduled(r.Status) {
				if err := tx.Put(kindJobSched, schedKey(queue, r.Status, r), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("bulkJobs: %v", err)
	}
	return ids
}

// newSQLiteJobs is a Service on SQLite in a temporary directory, real
// clock, with compute environment ce, queue q and job definition jd.
func newSQLiteJobs(tb testing.TB) *Service {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "batchd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := New(Config{Store: db, Roles: &fakeRoles{}, AccountID: testAccount, Region: testRegion})
	createTestCE(tb, s, "ce")
	createTestQueue(tb, s, "q", "ce")
	registerTestJD(tb, s, "jd")
	return s
}

// BenchmarkSubmitJob submits from 32 goroutines at once.
func BenchmarkSubmitJob(b *testing.B) {
	s := newSQLiteJobs(b)
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var n, failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := &SubmitJobRequest{JobName: "bench", JobQueue: "q", JobDefinition: "jd",
			Parameters: map[string]string{"input": "s3://bucket/key"}}
		for pb.Next() {
			if _, err := s.SubmitJob(context.Background(), in); err != nil {
				failed.Add(1)
				continue
			}
			n.Add(1)
		}
	})
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d SubmitJob calls failed", failed.Load())
	}
	var stored int
	err := s.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		stored, err = tx.Count(kindJobIdx, idxPrefix("q", JobStatusSubmitted))
		return err
	})
	if err != nil || int64(stored) < n.Load() {
		b.Fatalf("%d jobs SUBMITTED, %d acknowledged (%v)", stored, n.Load(), err)
	}
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkDescribeJobs describes 100 jobs a call out of 100,000 stored.
func BenchmarkDescribeJobs(b *testing.B) {
	s := newSQLiteJobs(b)
	const stored = 100_000
	ids := bulkJobs(b, s, "q", stored, JobStatusRunnable, JobStatusRunning, JobStatusSucceeded, JobStatusFailed)
	call := func(i int) *DescribeJobsRequest {
		start := (i * 7919) % (stored - 100) // spread over the data set
		return &DescribeJobsRequest{Jobs: ids[start : start+100]}
	}
	out, err := s.DescribeJobs(context.Background(), call(1))
	if err != nil || len(out.Jobs) != 100 || out.Jobs[0].Container == nil || out.Jobs[0].Parameters["input"] == "" {
		b.Fatalf("DescribeJobs: %d jobs, %v", len(out.Jobs), err)
	}
	for _, par := range []bool{false, true} {
		b.Run(fmt.Sprintf("parallel=%v", par), func(b *testing.B) {
			b.ReportAllocs()
			if par {
				var seq atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.DescribeJobs(context.Background(), call(int(seq.Add(1)))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				i := 0
				for b.Loop() {
					i++
					if _, err := s.DescribeJobs(context.Background(), call(i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkListJobs reads a page of 100 from a queue of 10,000 jobs and
// from one of 1,000,000: the first page and one deep in the queue, by
// status and with a filter. A page should cost the same in both.
func BenchmarkListJobs(b *testing.B) {
	big := 1_000_000
	if v := os.Getenv("BATCHD_BENCH_LIST_BIG"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		big = n
	}
	statuses := []string{JobStatusSucceeded, JobStatusSucceeded, JobStatusFailed, JobStatusRunnable}
	for _, n := range []int{10_000, big} {
		s := newSQLiteJobs(b)
		start := time.Now()
		ids := bulkJobs(b, s, "q", n, statuses...)
		b.Logf("%d jobs stored in %v", n, time.Since(start).Round(time.Millisecond))
		// A token from deep in the queue: the page after the job half way.
		mid := ids[n/2]
		var midTok string
		err := s.store.View(context.Background(), func(tx store.Tx) error {
			l, err := s.newJobTx(tx).get(mid)
			if err != nil || l == nil {
				return fmt.Errorf("job %s: %v", mid, err)
			}
			midTok = listToken(invTime(l.rec.CreatedAt) + "\x00" + mid)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		cases := []struct {
			name string
			in   ListJobsRequest
		}{
			{"status", ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusSucceeded, MaxResults: ptrTo(int32(100))}},
			{"status-deep", ListJobsRequest{JobQueue: ptrTo("q"), JobStatus: JobStatusSucceeded, MaxResults: ptrTo(int32(100)), NextToken: &midTok}},
			{"filter", ListJobsRequest{JobQueue: ptrTo("q"), MaxResults: ptrTo(int32(100)),
				Filters: []KeyValuesPair{{Name: ptrTo("JOB_NAME"), Values: []string{"job-*"}}}}},
			{"filter-deep", ListJobsRequest{JobQueue: ptrTo("q"), MaxResults: ptrTo(int32(100)), NextToken: &midTok,
				Filters: []KeyValuesPair{{Name: ptrTo("JOB_NAME"), Values: []string{"job-*"}}}}},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("jobs=%d/%s", n, c.name), func(b *testing.B) {
				out, err := s.ListJobs(context.Background(), &c.in)
				if err != nil || len(out.JobSummaryList) != 100 || out.NextToken == nil {
					b.Fatalf("ListJobs: %d jobs, token %v, %v", len(out.JobSummaryList), out.NextToken, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.ListJobs(context.Background(), &c.in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			})
		}
	}
}
