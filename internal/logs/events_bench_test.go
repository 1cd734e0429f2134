package logs

// Paging on a real SQLite store, and benchmarks of the event operations:
//
//	go test ./internal/logs -run '^$' -bench . -benchtime 3s

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"batchd/internal/store/sqlite"
)

// newSQLiteService returns a Service on a SQLite store in a temporary
// directory, its clock fixed at testNow.
func newSQLiteService(tb testing.TB) *Service {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "logs.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return New(Config{Store: db, Region: "us-east-1", AccountID: "123456789012", Now: func() time.Time { return testNow }})
}

// TestPagingOnSQLite: tokens both ways and the stream listings on the
// durable store, whose keys are SQLite TEXT.
func TestPagingOnSQLite(t *testing.T) {
	t.Parallel()
	s := newSQLiteService(t)
	ctx := context.Background()
	seedStream(t, s, "/aws/batch/job", "jd/default/1", 2500)
	mustGroupStream(t, s, "/aws/batch/job", "jd/default/0")

	var fwd []string
	in := GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/1", StartFromHead: ptr(true), Limit: ptr(int32(1000))}
	for range 10 {
		out, err := s.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		fwd = append(fwd, messages(out.Events)...)
		if in.NextToken != nil && *in.NextToken == *out.NextForwardToken {
			break
		}
		in.NextToken = out.NextForwardToken
	}
	if !slices.Equal(fwd, seq(0, 2500)) {
		t.Errorf("forward: %d events", len(fwd))
	}
	var back []string
	in = GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/1", Limit: ptr(int32(1000))}
	for range 10 {
		out, err := s.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		back = append(messages(out.Events), back...)
		if in.NextToken != nil && *in.NextToken == *out.NextBackwardToken {
			break
		}
		in.NextToken = out.NextBackwardToken
	}
	if !slices.Equal(back, seq(0, 2500)) {
		t.Errorf("backward: %d events", len(back))
	}
	for _, desc := range []bool{false, true} {
		out, err := s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("/aws/batch/job"), OrderBy: OrderByLastEventTime, Descending: ptr(desc)})
		if err != nil {
			t.Fatal(err)
		}
		first := *out.LogStreams[0].LogStreamName
		if len(out.LogStreams) != 2 || first != map[bool]string{false: "jd/default/0", true: "jd/default/1"}[desc] {
			t.Errorf("descending %v: first %s of %d", desc, first, len(out.LogStreams))
		}
	}
	f, err := s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), FilterPattern: ptr(`"e2499"`)})
	if err != nil || len(f.Events) != 1 {
		t.Errorf("FilterLogEvents: %+v, %v", f, err)
	}
	if err := s.DeleteLogGroup(ctx, &DeleteLogGroupRequest{LogGroupName: "/aws/batch/job"}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPutLogEvents stores batches of 1,000 events of 100 bytes.
func BenchmarkPutLogEvents(b *testing.B) {
	s := newSQLiteService(b)
	ctx := context.Background()
	mustGroupStream(b, s, "g", "s")
	msg := fmt.Sprintf("%099d", 0)
	evs := make([]InputLogEvent, 1000)
	for i := range evs {
		evs[i] = InputLogEvent{Timestamp: ptr(nowMs - 1000 + int64(i)), Message: msg}
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: evs})
		if err != nil || out.RejectedLogEventsInfo != nil {
			b.Fatal(out, err)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGetLogEvents reads the latest 1,000 events (a backward page,
// GetLogEvents' default) and the first 1,000 of a stream of 100,000.
func BenchmarkGetLogEvents(b *testing.B) {
	s := newSQLiteService(b)
	ctx := context.Background()
	seedStream(b, s, "g", "s", 100000)
	for _, head := range []bool{false, true} {
		b.Run(fmt.Sprintf("startFromHead=%v", head), func(b *testing.B) {
			in := &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s", Limit: ptr(int32(1000)), StartFromHead: ptr(head)}
			want := map[bool]string{false: "e99000", true: "e0"}[head]
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.GetLogEvents(ctx, in)
				if err != nil || len(out.Events) != 1000 || *out.Events[0].Message != want {
					b.Fatal(err)
				}
			}
		})
	}
}
