package logs

// Test helpers shared by the package's tests: a Service on memstore with a
// fixed clock, and fixtures.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"batchd/internal/store/memstore"
)

// testNow is the fixed clock of test services.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// nowMs is testNow in epoch milliseconds.
var nowMs = testNow.UnixMilli()

func newTestService(t testing.TB) (*Service, *memstore.Store) {
	t.Helper()
	st := memstore.New()
	return New(Config{Store: st, Region: "us-east-1", AccountID: "123456789012", Now: func() time.Time { return testNow }}), st
}

// mustGroupStream creates a group and a stream in it.
func mustGroupStream(t testing.TB, s *Service, group, stream string) {
	t.Helper()
	ctx := context.Background()
	if err := s.AppendStarting(ctx, group, stream, StreamStart{CreateGroup: true, Created: nowMs}, nil); err != nil {
		t.Fatal(err)
	}
}

// events returns InputLogEvents of the given timestamps, messages "m<i>".
func events(ts ...int64) []InputLogEvent {
	out := make([]InputLogEvent, len(ts))
	for i, t := range ts {
		out[i] = InputLogEvent{Timestamp: ptr(t), Message: "m" + itoa(i)}
	}
	return out
}

func itoa(i int) string { return pad(int64(i), 1) }

// wantErr checks that err is the API error code, with a message containing
// msg.
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("err = %s: %q, want %s containing %q", e.Code, e.Message, code, msg)
	}
}

// messages returns the messages of output events.
func messages(evs []OutputLogEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = *e.Message
	}
	return out
}
