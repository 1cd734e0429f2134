package logs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPutLogEventsRules(t *testing.T) {
	t.Parallel()
	const hour = 3600 * 1000
	const day = 24 * hour
	big := func(n, size int) []InputLogEvent {
		evs := make([]InputLogEvent, n)
		for i := range evs {
			evs[i] = InputLogEvent{Timestamp: ptr(nowMs), Message: strings.Repeat("x", size)}
		}
		return evs
	}
	none := [3]int32{-1, -1, -1}
	tests := []struct {
		name      string
		retention int32
		events    []InputLogEvent
		seqToken  *string
		code, msg string
		// stored are the messages the stream then holds (nil: not
		// checked); rejected is rejectedLogEventsInfo as its tooOld,
		// expired and tooNew indexes (-1: absent).
		stored   []string
		rejected [3]int32
	}{
		{name: "one event", events: events(nowMs), stored: []string{"m0"}, rejected: none},
		{name: "equal timestamps", events: events(nowMs-5, nowMs-5, nowMs), stored: []string{"m0", "m1", "m2"}, rejected: none},
		{name: "a sequence token is ignored", events: events(nowMs), seqToken: ptr("bogus"), stored: []string{"m0"}, rejected: none},
		{name: "out of order", events: events(nowMs, nowMs-1), code: "InvalidParameterException", msg: "Log events in a single PutLogEvents request must be in chronological order."},
		{name: "empty batch", events: []InputLogEvent{}, code: "InvalidParameterException", msg: "logEvents"},
		{name: "empty message", events: []InputLogEvent{{Timestamp: ptr(nowMs)}}, code: "InvalidParameterException", msg: "logEvents.1.member.message"},
		{name: "10,000 events", events: big(10000, 1), rejected: none},
		{name: "10,001 events", events: big(10001, 1), code: "InvalidParameterException", msg: "less than or equal to 10000"},
		{name: "1,048,576 bytes with 26 an event", events: big(4, 1048576/4-26), rejected: none},
		{name: "1,048,577 bytes", events: append(big(4, 1048576/4-26), InputLogEvent{Timestamp: ptr(nowMs), Message: "x"}), code: "InvalidParameterException", msg: "Upload too large: 1048603 bytes exceeds limit of 1048576"},
		{name: "span of 24 hours", events: events(nowMs-day, nowMs), stored: []string{"m0", "m1"}, rejected: none},
		{name: "span over 24 hours", events: events(nowMs-day-1, nowMs), code: "InvalidParameterException", msg: "cannot span more than 24 hours"},
		{name: "too old", events: events(nowMs-14*day-2, nowMs-14*day-1, nowMs-14*day, nowMs-14*day+1), stored: []string{"m2", "m3"}, rejected: [3]int32{1, -1, -1}},
		{name: "too new", events: events(nowMs, nowMs+2*hour, nowMs+2*hour+1, nowMs+3*hour), stored: []string{"m0", "m1"}, rejected: [3]int32{-1, -1, 2}},
		{name: "all too new", events: events(nowMs + 3*hour), stored: []string{}, rejected: [3]int32{-1, -1, 0}},
		{name: "older than the retention", retention: 1, events: events(nowMs-day-2, nowMs-day-1, nowMs-day, nowMs-2), stored: []string{"m2", "m3"}, rejected: [3]int32{-1, 1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestService(t)
			ctx := context.Background()
			mustGroupStream(t, s, "g", "s")
			if tt.retention > 0 {
				if err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "g", RetentionInDays: ptr(tt.retention)}); err != nil {
					t.Fatal(err)
				}
			}
			out, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: tt.events, SequenceToken: tt.seqToken})
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.NextSequenceToken == nil {
				t.Error("no nextSequenceToken")
			}
			idx := func(p *int32) int32 {
				if p == nil {
					return -1
				}
				return *p
			}
			var got [3]int32
			if r := out.RejectedLogEventsInfo; r == nil {
				got = [3]int32{-1, -1, -1}
			} else {
				got = [3]int32{idx(r.TooOldLogEventEndIndex), idx(r.ExpiredLogEventEndIndex), idx(r.TooNewLogEventStartIndex)}
				if got == [3]int32{-1, -1, -1} {
					t.Error("rejectedLogEventsInfo is present but empty")
				}
			}
			if got != tt.rejected {
				t.Errorf("rejected (tooOld, expired, tooNew) = %v, want %v", got, tt.rejected)
			}
			if tt.stored != nil {
				ev, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s", StartFromHead: ptr(true)})
				if err != nil {
					t.Fatal(err)
				}
				if got := messages(ev.Events); !slices.Equal(got, tt.stored) {
					t.Errorf("stored = %q, want %q", got, tt.stored)
				}
			}
		})
	}
	t.Run("missing stream", func(t *testing.T) {
		t.Parallel()
		s, _ := newTestService(t)
		mustGroupStream(t, s, "g", "s")
		_, err := s.PutLogEvents(context.Background(), &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "nope", LogEvents: events(nowMs)})
		wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
		_, err = s.PutLogEvents(context.Background(), &PutLogEventsRequest{LogGroupName: "nope", LogStreamName: "s", LogEvents: events(nowMs)})
		wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	})
}

// seedStream puts n events, one a millisecond, messages "e0".."e<n-1>",
// the last at nowMs-1, in batches of 1,000.
func seedStream(t testing.TB, s *Service, group, stream string, n int) {
	t.Helper()
	mustGroupStream(t, s, group, stream)
	for start := 0; start < n; start += 1000 {
		var evs []InputLogEvent
		for i := start; i < min(n, start+1000); i++ {
			evs = append(evs, InputLogEvent{Timestamp: ptr(nowMs - int64(n) + int64(i)), Message: fmt.Sprintf("e%d", i)})
		}
		if _, err := s.PutLogEvents(context.Background(), &PutLogEventsRequest{LogGroupName: group, LogStreamName: stream, LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
}

func seq(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("e%d", i))
	}
	return out
}

func TestGetLogEvents(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	const n = 25
	seedStream(t, s, "g", "s", n)
	ts := func(i int) *int64 { return ptr(nowMs - n + int64(i)) }
	get := func(in GetLogEventsRequest) *GetLogEventsResponse {
		t.Helper()
		in.LogGroupName, in.LogStreamName = ptr("g"), "s"
		out, err := s.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		in   GetLogEventsRequest
		want []string
	}{
		{"latest first by default", GetLogEventsRequest{Limit: ptr(int32(3))}, seq(22, 25)},
		{"from the head", GetLogEventsRequest{Limit: ptr(int32(3)), StartFromHead: ptr(true)}, seq(0, 3)},
		{"everything", GetLogEventsRequest{}, seq(0, 25)},
		{"startTime inclusive, endTime exclusive", GetLogEventsRequest{StartTime: ts(5), EndTime: ts(9)}, seq(5, 9)},
		{"window from the head", GetLogEventsRequest{StartTime: ts(5), EndTime: ts(9), StartFromHead: ptr(true), Limit: ptr(int32(2))}, seq(5, 7)},
		{"window from the end", GetLogEventsRequest{StartTime: ts(5), EndTime: ts(9), Limit: ptr(int32(2))}, seq(7, 9)},
		{"empty window", GetLogEventsRequest{StartTime: ts(30)}, nil},
		{"by group ARN", GetLogEventsRequest{LogGroupIdentifier: ptr("arn:aws:logs:us-east-1:123456789012:log-group:g"), Limit: ptr(int32(1))}, seq(24, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.LogGroupName, in.LogStreamName = ptr("g"), "s"
			if in.LogGroupIdentifier != nil {
				in.LogGroupName = nil
			}
			out, err := s.GetLogEvents(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := messages(out.Events); !slices.Equal(got, tt.want) {
				t.Errorf("events = %q, want %q", got, tt.want)
			}
			if out.NextForwardToken == nil || !strings.HasPrefix(*out.NextForwardToken, "f/") || out.NextBackwardToken == nil || !strings.HasPrefix(*out.NextBackwardToken, "b/") {
				t.Errorf("tokens = %v, %v", out.NextForwardToken, out.NextBackwardToken)
			}
		})
	}

	t.Run("forward pages to the end, then the same token", func(t *testing.T) {
		var got []string
		in := GetLogEventsRequest{StartFromHead: ptr(true), Limit: ptr(int32(10))}
		for range 10 {
			out := get(in)
			got = append(got, messages(out.Events)...)
			if in.NextToken != nil && *out.NextForwardToken == *in.NextToken {
				if len(out.Events) != 0 {
					t.Errorf("the same token came back with %d events", len(out.Events))
				}
				break
			}
			in.NextToken = out.NextForwardToken
		}
		if !slices.Equal(got, seq(0, n)) {
			t.Errorf("events = %q", got)
		}
	})
	t.Run("backward pages to the start, then the same token", func(t *testing.T) {
		var pages [][]string
		in := GetLogEventsRequest{Limit: ptr(int32(10))}
		for range 10 {
			out := get(in)
			pages = append(pages, messages(out.Events))
			if in.NextToken != nil && *out.NextBackwardToken == *in.NextToken {
				break
			}
			in.NextToken = out.NextBackwardToken
		}
		want := [][]string{seq(15, 25), seq(5, 15), seq(0, 5), nil}
		if fmt.Sprint(pages) != fmt.Sprint(want) {
			t.Errorf("pages = %q, want %q", pages, want)
		}
	})
	t.Run("back, then forward again", func(t *testing.T) {
		first := get(GetLogEventsRequest{Limit: ptr(int32(5))}) // e20..e24
		back := get(GetLogEventsRequest{Limit: ptr(int32(5)), NextToken: first.NextBackwardToken})
		if got := messages(back.Events); !slices.Equal(got, seq(15, 20)) {
			t.Fatalf("back = %q", got)
		}
		fwd := get(GetLogEventsRequest{Limit: ptr(int32(3)), NextToken: back.NextForwardToken})
		if got := messages(fwd.Events); !slices.Equal(got, seq(20, 23)) {
			t.Errorf("forward = %q", got)
		}
	})
	t.Run("tail: new events after the forward token", func(t *testing.T) {
		s, _ := newTestService(t)
		mustGroupStream(t, s, "g", "tail")
		in := GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "tail"}
		out, err := s.GetLogEvents(ctx, &in)
		if err != nil || len(out.Events) != 0 {
			t.Fatalf("empty stream: %v, %v", out, err)
		}
		in.NextToken = out.NextForwardToken
		again, _ := s.GetLogEvents(ctx, &in)
		if *again.NextForwardToken != *in.NextToken {
			t.Errorf("empty stream: forward token %q, then %q", *in.NextToken, *again.NextForwardToken)
		}
		if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "tail", LogEvents: events(nowMs-10, nowMs)}); err != nil {
			t.Fatal(err)
		}
		out, _ = s.GetLogEvents(ctx, &in)
		if got := messages(out.Events); !slices.Equal(got, []string{"m0", "m1"}) {
			t.Errorf("after the put: %q", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s", NextToken: ptr("x/123")})
		wantErr(t, err, "InvalidParameterException", "nextToken")
		_, err = s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "nope"})
		wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
		_, err = s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("nope"), LogStreamName: "s"})
		wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
		_, err = s.GetLogEvents(ctx, &GetLogEventsRequest{LogStreamName: "s"})
		wantErr(t, err, "InvalidParameterException", "logGroupName or logGroupIdentifier")
	})
}

// TestGetLogEventsPageBytes: a page stops before 1 MB.
func TestGetLogEventsPageBytes(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	mustGroupStream(t, s, "g", "s")
	msg := strings.Repeat("x", 100000)
	for i := range 3 {
		evs := make([]InputLogEvent, 5)
		for j := range evs {
			evs[j] = InputLogEvent{Timestamp: ptr(nowMs - 100 + int64(i*5+j)), Message: msg}
		}
		if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
	for _, head := range []bool{true, false} {
		out, err := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s", StartFromHead: ptr(head)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 10 {
			t.Errorf("startFromHead %v: %d events of 100,000 bytes, want 10", head, len(out.Events))
		}
	}
}

// TestRetentionHidesAndTrims: events older than the retention are not
// read, and a write deletes them.
func TestRetentionHidesAndTrims(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	mustGroupStream(t, s, "g", "s")
	const day = 24 * 3600 * 1000
	if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: events(nowMs-3*day, nowMs-3*day+1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: events(nowMs - day/2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "g", RetentionInDays: ptr(int32(1))}); err != nil {
		t.Fatal(err)
	}
	out, _ := s.GetLogEvents(ctx, &GetLogEventsRequest{LogGroupName: ptr("g"), LogStreamName: "s", StartFromHead: ptr(true)})
	if len(out.Events) != 1 {
		t.Errorf("with a 1-day retention: %d events, want 1", len(out.Events))
	}
	f, _ := s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("g")})
	if len(f.Events) != 1 {
		t.Errorf("FilterLogEvents with a 1-day retention: %d events, want 1", len(f.Events))
	}
	if _, err := s.PutLogEvents(ctx, &PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: events(nowMs)}); err != nil {
		t.Fatal(err)
	}
	g, _ := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{})
	if *g.LogGroups[0].StoredBytes != 4 {
		t.Errorf("storedBytes after the trim = %d, want 4", *g.LogGroups[0].StoredBytes)
	}
	ls, _ := s.DescribeLogStreams(ctx, &DescribeLogStreamsRequest{LogGroupName: ptr("g")})
	if *ls.LogStreams[0].FirstEventTimestamp != nowMs-day/2 {
		t.Errorf("firstEventTimestamp after the trim = %d", *ls.LogStreams[0].FirstEventTimestamp)
	}
}

func TestAppend(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	mustGroupStream(t, s, "/aws/batch/job", "jd/default/1")
	const day = 24 * 3600 * 1000
	var evs []InputLogEvent
	// 25,000 lines over two days, given newest first, lines of one
	// millisecond in their order.
	for i := range 25000 {
		ts := nowMs - 2*day + int64(i/2)*(2*day/12500)
		evs = append(evs, InputLogEvent{Timestamp: ptr(ts), Message: fmt.Sprintf("line %05d", i)})
	}
	slices.Reverse(evs)
	slices.SortStableFunc(evs, func(a, b InputLogEvent) int { return int(*b.Timestamp - *a.Timestamp) })
	// Pairs of one timestamp are now "line 00001, line 00000": Append
	// keeps that order.
	huge := strings.Repeat("é", 700000) // 1,400,000 bytes: two events
	evs = append(evs,
		InputLogEvent{Timestamp: ptr(nowMs), Message: huge},
		InputLogEvent{Timestamp: ptr(nowMs), Message: ""},
		InputLogEvent{Timestamp: ptr(nowMs - 15*day), Message: "too old"},
		InputLogEvent{Timestamp: ptr(nowMs + 3*3600*1000), Message: "too new"},
	)
	if err := s.Append(ctx, "/aws/batch/job", "jd/default/1", evs); err != nil {
		t.Fatal(err)
	}
	var got []string
	in := GetLogEventsRequest{LogGroupName: ptr("/aws/batch/job"), LogStreamName: "jd/default/1", StartFromHead: ptr(true)}
	for {
		out, err := s.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, messages(out.Events)...)
		if in.NextToken != nil && *in.NextToken == *out.NextForwardToken {
			break
		}
		in.NextToken = out.NextForwardToken
	}
	if len(got) != 25002 {
		t.Fatalf("%d events stored, want 25,002", len(got))
	}
	if got[0] != "line 00001" || got[1] != "line 00000" || got[24999] != "line 24998" {
		t.Errorf("order: %q %q ... %q", got[0], got[1], got[24999])
	}
	if got[25000]+got[25001] != huge {
		t.Errorf("the long line was not split into two events that join back")
	}
	err := s.Append(ctx, "/aws/batch/job", "missing", events(nowMs))
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
}
