package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A supervised loop that fails is restarted with doubling backoff and
// said to have failed each time; it stops when asked.
func TestSupervise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out lockedBuffer
		log := slog.New(slog.NewTextHandler(&out, nil))
		ctx, cancel := context.WithCancel(context.Background())
		var starts []time.Duration
		t0 := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			supervise(ctx, log, "evaluator", func(ctx context.Context) error {
				starts = append(starts, time.Since(t0))
				if len(starts) <= 3 {
					return errors.New("disk full")
				}
				<-ctx.Done()
				return nil
			})
		}()
		time.Sleep(10 * time.Second)
		cancel()
		<-done
		want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond}
		if len(starts) != len(want) {
			t.Fatalf("started at %v, want %v", starts, want)
		}
		for i := range want {
			if starts[i] != want[i] {
				t.Fatalf("started at %v, want %v", starts, want)
			}
		}
		if n := strings.Count(out.String(), `msg="evaluator failed; restarting" err="disk full"`); n != 3 {
			t.Errorf("%d failure lines:\n%s", n, out.String())
		}
	})
}
