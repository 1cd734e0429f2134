package logs

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

func TestCreateLogStreamRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, group, stream string
		code, msg           string
	}{
		{name: "plain", group: "g", stream: "job/default/1234"},
		{name: "any character but : and *", group: "g", stream: "a b#ü/\\?"},
		{name: "512 characters", group: "g", stream: strings.Repeat("s", 512)},
		{name: "513 characters", group: "g", stream: strings.Repeat("s", 513), code: "InvalidParameterException", msg: "less than or equal to 512"},
		{name: "empty", group: "g", stream: "", code: "InvalidParameterException", msg: "greater than or equal to 1"},
		{name: "colon", group: "g", stream: "a:b", code: "InvalidParameterException", msg: "Member must satisfy regular expression pattern: [^:*]*"},
		{name: "star", group: "g", stream: "a*", code: "InvalidParameterException", msg: "[^:*]*"},
		{name: "no group", group: "nope", stream: "s", code: "ResourceNotFoundException", msg: "The specified log group does not exist."},
		{name: "exists", group: "g", stream: "dup", code: "ResourceAlreadyExistsException", msg: "The specified log stream already exists."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestService(t)
			ctx := context.Background()
			mustGroupStream(t, s, "g", "dup")
			err := s.CreateLogStream(ctx, &CreateLogStreamRequest{LogGroupName: tt.group, LogStreamName: tt.stream})
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A job's stream is made by its first write, once (events or not), with
// the creation time given; the group only where the job may create it.
func TestAppendStarting(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	start := StreamStart{CreateGroup: true, Created: nowMs - 5000}
	for range 2 {
		if err := s.AppendStarting(ctx, "/aws/batch/job", "jd/default/1", start, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendStarting(ctx, "/aws/batch/job", "jd/default/2", start, events(nowMs-2, nowMs-1)); err != nil {
		t.Fatal(err)
	}
	out, err := s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("/aws/batch/job")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LogStreams) != 2 || *out.LogStreams[0].CreationTime != nowMs-5000 || *out.LogStreams[1].CreationTime != nowMs-5000 {
		t.Fatalf("streams %+v, want 2 made at %d", out.LogStreams, nowMs-5000)
	}
	got, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/2", StartFromHead: ptr(true)})
	if err != nil || len(got.Events) != 2 {
		t.Fatalf("events %+v, %v; want the 2 appended with the stream", got, err)
	}
	err = s.AppendStarting(ctx, "missing", "s", StreamStart{Created: nowMs}, events(nowMs-1))
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	if err := s.CheckLogGroup(ctx, "missing"); err == nil {
		t.Error("a stream was made in a group the job may not create")
	}
	err = s.AppendStarting(ctx, "bad group", "s", start, nil)
	wantErr(t, err, "InvalidParameterException", "logGroupName")
}

// AppendTx makes the stream and appends within the caller's transaction:
// both are there once it commits, neither when it rolls back.
func TestAppendTx(t *testing.T) {
	t.Parallel()
	s, st := newTestService(t)
	ctx := context.Background()
	start := &StreamStart{CreateGroup: true, Created: nowMs - 5000}
	failed := errors.New("the other write failed")
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := s.AppendTx(tx, "/aws/batch/job", "jd/default/1", start, events(nowMs-2)); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update = %v", err)
	}
	if _, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/1"}); err == nil {
		t.Fatal("a rolled-back AppendTx left its stream")
	}
	for range 2 { // the second makes nothing again
		if err := st.Update(ctx, func(tx store.Tx) error {
			return s.AppendTx(tx, "/aws/batch/job", "jd/default/1", start, events(nowMs-2, nowMs-1))
		}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/1", StartFromHead: ptr(true)})
	if err != nil || len(got.Events) != 4 {
		t.Fatalf("events %+v, %v; want the 4 appended", got, err)
	}
	err = st.Update(ctx, func(tx store.Tx) error { return s.AppendTx(tx, "bad group", "s", start, nil) })
	wantErr(t, err, "InvalidParameterException", "logGroupName")
}

func TestDescribeLogStreams(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	// Streams and the timestamp of their last event (none for "e").
	last := map[string]int64{"a": nowMs - 3000, "ab": nowMs - 1000, "b": nowMs - 2000, "c": nowMs - 1000, "e": 0}
	for name, ts := range last {
		mustGroupStream(t, s, "g", name)
		if ts != 0 {
			if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: name, LogEvents: events(ts-500, ts)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustGroupStream(t, s, "other", "zz")
	names := func(ls []LogStream) string {
		var out []string
		for _, l := range ls {
			out = append(out, *l.LogStreamName)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name string
		in   DescribeLogStreamsRequest
		want string
	}{
		{"by name", DescribeLogStreamsRequest{}, "a,ab,b,c,e"},
		{"by name descending", DescribeLogStreamsRequest{Descending: ptr(true)}, "e,c,b,ab,a"},
		{"prefix", DescribeLogStreamsRequest{LogStreamNamePrefix: ptr("a")}, "a,ab"},
		{"prefix descending", DescribeLogStreamsRequest{LogStreamNamePrefix: ptr("a"), Descending: ptr(true)}, "ab,a"},
		{"by last event time", DescribeLogStreamsRequest{OrderBy: "LastEventTime"}, "e,a,b,ab,c"},
		{"by last event time descending", DescribeLogStreamsRequest{OrderBy: "LastEventTime", Descending: ptr(true)}, "c,ab,b,a,e"},
		{"group by ARN", DescribeLogStreamsRequest{LogGroupIdentifier: ptr("arn:aws:logs:us-east-1:123456789012:log-group:g"), LogStreamNamePrefix: ptr("b")}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.LogGroupIdentifier == nil {
				in.LogGroupName = ptr("g")
			}
			out, err := s.DescribeLogStreams(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(out.LogStreams); got != tt.want {
				t.Errorf("streams = %s, want %s", got, tt.want)
			}
			// The same in pages of two.
			var pages []string
			in.Limit = ptr(int32(2))
			for range 10 {
				out, err := s.DescribeLogStreams(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, names(out.LogStreams))
				if in.NextToken = out.NextToken; in.NextToken == nil {
					break
				}
			}
			if got := strings.Join(pages, ","); got != tt.want {
				t.Errorf("paged streams = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		out, err := s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("g"), LogStreamNamePrefix: ptr("ab")})
		if err != nil {
			t.Fatal(err)
		}
		l := out.LogStreams[0]
		if *l.Arn != "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:ab" || *l.CreationTime != nowMs ||
			*l.FirstEventTimestamp != last["ab"]-500 || *l.LastEventTimestamp != last["ab"] || *l.LastIngestionTime != nowMs ||
			*l.StoredBytes != 4 || l.UploadSequenceToken == nil {
			t.Errorf("stream = %+v", l)
		}
		out, _ = s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("g"), LogStreamNamePrefix: ptr("e")})
		if l := out.LogStreams[0]; l.FirstEventTimestamp != nil || l.LastEventTimestamp != nil || l.LastIngestionTime != nil {
			t.Errorf("stream without events = %+v", l)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("g"), OrderBy: "LastEventTime", LogStreamNamePrefix: ptr("a")})
		wantErr(t, err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
		_, err = s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("nope")})
		wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	})
}

// kinds returns the kinds of the Logs domain that hold documents.
func kinds(t testing.TB, st *memstore.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := st.View(context.Background(), func(tx store.Tx) error {
		for _, k := range []string{kindGroup, kindStream, kindStreamDesc, kindStreamTime, kindStreamTimeDesc, kindPurge} {
			if n, err := tx.Count(k, ""); err != nil {
				return err
			} else if n > 0 {
				out[k] = n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeleteRemovesEverything(t *testing.T) {
	t.Parallel()
	s, st := newTestService(t)
	ctx := context.Background()
	mustGroupStream(t, s, "g", "s1")
	mustGroupStream(t, s, "g", "s2")
	var ids []string
	for _, name := range []string{"s1", "s2"} {
		evs := make([]InputLogEvent, 0, 4500)
		for i := range 4500 {
			evs = append(evs, InputLogEvent{Timestamp: ptr(nowMs - 4500 + int64(i)), Message: "x"})
		}
		if err := s.Append(ctx, "g", name, evs); err != nil {
			t.Fatal(err)
		}
		st.View(ctx, func(tx store.Tx) error {
			d, _, _ := store.GetJSON[streamDoc](tx, kindStream, streamKey("g", name))
			ids = append(ids, d.ID)
			return nil
		})
	}
	eventCount := func(id string) int {
		n := 0
		st.View(ctx, func(tx store.Tx) error {
			a, _ := tx.Count(kindEvents+id, "")
			b, _ := tx.Count(kindEventsRev+id, "")
			n = a + b
			return nil
		})
		return n
	}
	// One entry an event: no mirror entries (NoMirrors).
	if n := eventCount(ids[0]); n != 4500 {
		t.Fatalf("stored entries = %d, want 4500", n)
	}
	if err := s.DeleteLogStream(ctx, &DeleteLogStreamRequest{LogGroupName: "g", LogStreamName: "s1"}); err != nil {
		t.Fatal(err)
	}
	if n := eventCount(ids[0]); n != 0 {
		t.Errorf("entries left of a deleted stream = %d", n)
	}
	out, _ := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{})
	if *out.LogGroups[0].StoredBytes != 4500 {
		t.Errorf("group storedBytes = %d, want 4500", *out.LogGroups[0].StoredBytes)
	}
	err := s.DeleteLogStream(ctx, &DeleteLogStreamRequest{LogGroupName: "g", LogStreamName: "s1"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	err = s.DeleteLogStream(ctx, &DeleteLogStreamRequest{LogGroupName: "nope", LogStreamName: "s1"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	// A stream created again under the same name starts empty.
	mustGroupStream(t, s, "g", "s1")
	got, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s1"})
	if err != nil || len(got.Events) != 0 {
		t.Fatalf("recreated stream: %d events, %v", len(got.Events), err)
	}

	if err := s.DeleteLogGroup(ctx, &DeleteLogGroupRequest{LogGroupName: "g"}); err != nil {
		t.Fatal(err)
	}
	if n := eventCount(ids[1]); n != 0 {
		t.Errorf("entries left of a deleted group's stream = %d", n)
	}
	if k := kinds(t, st); len(k) != 0 {
		t.Errorf("documents left after deleting the group: %v", k)
	}
	err = s.DeleteLogGroup(ctx, &DeleteLogGroupRequest{LogGroupName: "g"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

// TestMirroredStreamDeleted: a stream stored with the mirror entries batchd
// kept before it read backwards (no NoMirrors) reads as any other, and
// loses every entry with it, whether deleted, trimmed or its group deleted.
func TestMirroredStreamDeleted(t *testing.T) {
	t.Parallel()
	s, st := newTestService(t)
	ctx := context.Background()
	mustGroupStream(t, s, "g", "old")
	var evs []InputLogEvent
	for i := range 3000 {
		evs = append(evs, InputLogEvent{Timestamp: ptr(nowMs - 3000 + int64(i)), Message: strconv.Itoa(i)})
	}
	if err := s.Append(ctx, "g", "old", evs); err != nil {
		t.Fatal(err)
	}
	// Made as an older batchd stored it: every mirror entry, no NoMirrors.
	err := st.Update(ctx, func(tx store.Tx) error {
		d, _, err := store.GetJSON[streamDoc](tx, kindStream, streamKey("g", "old"))
		if err != nil {
			return err
		}
		d.NoMirrors = false
		if err := store.PutJSON(tx, kindStream, streamKey("g", "old"), d); err != nil {
			return err
		}
		if err := tx.Put(kindStreamDesc, "g\x00"+descName("old"), []byte("old")); err != nil {
			return err
		}
		if err := tx.Put(kindStreamTimeDesc, "g\x00"+timeDescKey(d.LastEvent)+"\x00"+descName("old"), []byte("old")); err != nil {
			return err
		}
		items, err := tx.List(kindEvents+d.ID, "", "", 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			p, _ := parsePos(it.Key)
			if err := tx.Put(kindEventsRev+d.ID, p.revKey(), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "old", Limit: ptr(int32(2))})
	if err != nil || len(got.Events) != 2 || got.Events[1].Message == nil || *got.Events[1].Message != "2999" {
		t.Fatalf("the last events of a mirrored stream: %+v, %v", got, err)
	}
	// Another event moves its time entry: the mirror of the old one goes.
	if err := s.Append(ctx, "g", "old", []InputLogEvent{{Timestamp: ptr(nowMs), Message: "more"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogStream(ctx, &DeleteLogStreamRequest{LogGroupName: "g", LogStreamName: "old"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogGroup(ctx, &DeleteLogGroupRequest{LogGroupName: "g"}); err != nil {
		t.Fatal(err)
	}
	if k := kinds(t, st); len(k) != 0 {
		t.Errorf("documents left after deleting a mirrored stream and its group: %v", k)
	}
}
