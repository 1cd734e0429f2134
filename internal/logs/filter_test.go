package logs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestFilterPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"", []string{"anything", "x"}, nil},
		{"ERROR", []string{"ERROR disk", "[ERROR]", "ERRORS"}, []string{"error disk", "WARN"}},
		{"ERROR disk", []string{"disk ERROR", "ERROR: disk full"}, []string{"ERROR net", "disk full"}},
		{`"disk full"`, []string{"ERROR disk full!"}, []string{"full disk", "disk  full"}},
		{`ERROR "disk full"`, []string{"ERROR: disk full"}, []string{"WARN: disk full"}},
		{"?ERROR ?WARN", []string{"ERROR x", "WARN y"}, []string{"INFO z"}},
		{"ERROR -timeout", []string{"ERROR disk"}, []string{"ERROR timeout"}},
		{`-"health check"`, []string{"GET /"}, []string{"GET / health check"}},
		{`disk ?ERROR ?WARN -ignore`, []string{"disk WARN", "ERROR disk"}, []string{"disk INFO", "ERROR disk ignore", "ERROR net"}},
		{`"say \"hi\""`, []string{`they say "hi" twice`}, []string{"say hi"}},
		{"  a   b  ", []string{"b a"}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			p, err := parsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.match {
				if !p.matches(m) {
					t.Errorf("%q does not match %q", tt.pattern, m)
				}
			}
			for _, m := range tt.miss {
				if p.matches(m) {
					t.Errorf("%q matches %q", tt.pattern, m)
				}
			}
		})
	}
}

func TestFilterPatternRefused(t *testing.T) {
	t.Parallel()
	for pattern, msg := range map[string]string{
		`{ $.level = "ERROR" }`:  "JSON filter patterns are not supported",
		`[ip, user, status=404]`: "space-delimited",
		`%ERR[0-9]+%`:            "regular expression",
		`"unterminated`:          "unterminated",
		`ERROR ?`:                "empty term",
	} {
		_, err := parsePattern(pattern)
		wantErr(t, err, "InvalidParameterException", msg)
	}
}

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	// Three streams, one event a millisecond, interleaved: stream k holds
	// the timestamps t0+3i+k.
	t0 := nowMs - 10000
	for k, name := range []string{"app/1", "app/2", "web/1"} {
		mustGroupStream(t, s, "g", name)
		var evs []InputLogEvent
		for i := range 300 {
			level := "INFO"
			if i%10 == 0 {
				level = "ERROR"
			}
			evs = append(evs, InputLogEvent{Timestamp: ptr(t0 + int64(3*i+k)), Message: fmt.Sprintf("%s %s n=%d", level, name, i)})
		}
		if err := s.Append(ctx, "g", name, evs); err != nil {
			t.Fatal(err)
		}
	}
	mustGroupStream(t, s, "g", "empty")
	filter := func(in FilterLogEventsRequest) []FilteredLogEvent {
		t.Helper()
		in.LogGroupName = ptr("g")
		var all []FilteredLogEvent
		for range 1000 {
			out, err := s.FilterLogEvents(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.Events...)
			if out.NextToken == nil {
				return all
			}
			in.NextToken = out.NextToken
		}
		t.Fatal("no end of pages")
		return nil
	}
	tests := []struct {
		name  string
		in    FilterLogEventsRequest
		count int
		first string
	}{
		{"everything", FilterLogEventsRequest{}, 900, "ERROR app/1 n=0"},
		{"everything, pages of 7", FilterLogEventsRequest{Limit: ptr(int32(7))}, 900, "ERROR app/1 n=0"},
		{"errors", FilterLogEventsRequest{FilterPattern: ptr("ERROR")}, 90, "ERROR app/1 n=0"},
		{"errors, pages of 4", FilterLogEventsRequest{FilterPattern: ptr("ERROR"), Limit: ptr(int32(4))}, 90, "ERROR app/1 n=0"},
		{"prefix", FilterLogEventsRequest{LogStreamNamePrefix: ptr("app/"), FilterPattern: ptr("ERROR")}, 60, "ERROR app/1 n=0"},
		{"names", FilterLogEventsRequest{LogStreamNames: []string{"web/1", "nope"}, FilterPattern: ptr(`"ERROR web"`)}, 30, "ERROR web/1 n=0"},
		{"exclusion", FilterLogEventsRequest{FilterPattern: ptr("ERROR -app")}, 30, "ERROR web/1 n=0"},
		{"or", FilterLogEventsRequest{FilterPattern: ptr(`?"n=299" ?"n=298"`)}, 6, "INFO app/1 n=298"},
		{"time window", FilterLogEventsRequest{StartTime: ptr(t0 + 30), EndTime: ptr(t0 + 60)}, 30, "ERROR app/1 n=10"},
		{"window and pattern, pages of 1", FilterLogEventsRequest{StartTime: ptr(t0 + 30), EndTime: ptr(t0 + 60), FilterPattern: ptr("ERROR"), Limit: ptr(int32(1))}, 3, "ERROR app/1 n=10"},
		{"nothing", FilterLogEventsRequest{FilterPattern: ptr("FATAL")}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := filter(tt.in)
			if len(got) != tt.count {
				t.Fatalf("%d events, want %d", len(got), tt.count)
			}
			if tt.count == 0 {
				return
			}
			if *got[0].Message != tt.first {
				t.Errorf("first = %q, want %q", *got[0].Message, tt.first)
			}
			ids := map[string]bool{}
			for i, e := range got {
				if i > 0 && *e.Timestamp < *got[i-1].Timestamp {
					t.Fatalf("event %d out of timestamp order", i)
				}
				if !strings.Contains(*e.Message, *e.LogStreamName) || e.IngestionTime == nil || e.EventId == nil || ids[*e.EventId] {
					t.Fatalf("event %d = %+v", i, e)
				}
				ids[*e.EventId] = true
			}
		})
	}
	t.Run("ties across streams keep stream order", func(t *testing.T) {
		s, _ := newTestService(t)
		for _, name := range []string{"b", "a", "c"} {
			mustGroupStream(t, s, "g", name)
			if err := s.Append(ctx, "g", name, []InputLogEvent{{Timestamp: ptr(nowMs), Message: name + "1"}, {Timestamp: ptr(nowMs), Message: name + "2"}}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		in := FilterLogEventsRequest{LogGroupName: ptr("g"), Limit: ptr(int32(1))}
		for {
			out, err := s.FilterLogEvents(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Events {
				got = append(got, *e.Message)
			}
			if in.NextToken = out.NextToken; in.NextToken == nil {
				break
			}
		}
		if want := []string{"a1", "a2", "b1", "b2", "c1", "c2"}; !slices.Equal(got, want) {
			t.Errorf("events = %q, want %q", got, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: ptr("a")})
		wantErr(t, err, "InvalidParameterException", "mutually exclusive")
		_, err = s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("g"), FilterPattern: ptr(`{ $.x = 1 }`)})
		wantErr(t, err, "InvalidParameterException", "JSON filter patterns are not supported")
		_, err = s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("nope")})
		wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
		_, err = s.FilterLogEvents(ctx, &FilterLogEventsRequest{LogGroupName: ptr("g"), NextToken: ptr("???")})
		wantErr(t, err, "InvalidParameterException", "nextToken")
	})
}

// TestFilterLogEventsScanBudget: a search that reads maxScan events
// without filling the page returns what it has and a nextToken.
func TestFilterLogEventsScanBudget(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	s.maxScan = 1000
	ctx := context.Background()
	mustGroupStream(t, s, "g", "s")
	evs := make([]InputLogEvent, s.maxScan+5)
	for i := range evs {
		evs[i] = InputLogEvent{Timestamp: ptr(nowMs - int64(len(evs)) + int64(i)), Message: "noise"}
	}
	evs[len(evs)-1].Message = "needle"
	if err := s.Append(ctx, "g", "s", evs); err != nil {
		t.Fatal(err)
	}
	in := FilterLogEventsRequest{LogGroupName: ptr("g"), FilterPattern: ptr("needle")}
	out, err := s.FilterLogEvents(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 0 || out.NextToken == nil {
		t.Fatalf("first page: %d events, token %v", len(out.Events), out.NextToken)
	}
	in.NextToken = out.NextToken
	out, err = s.FilterLogEvents(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 || *out.Events[0].Message != "needle" || out.NextToken != nil {
		t.Errorf("second page: %+v", out)
	}
}
