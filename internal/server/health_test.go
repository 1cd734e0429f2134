package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"batchd/internal/batch"
)

func TestReadyz(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ready  func(context.Context) error
		status int
		body   string
	}{
		{"ready", func(context.Context) error { return nil }, 200, "ok\n"},
		{"no check", nil, 200, "ok\n"},
		{"store closed", func(context.Context) error { return errors.New("store: not ready") }, 503, "store: not ready\n"},
		{"scheduler stopped", func(context.Context) error { return errors.New("scheduler: not running") }, 503, "scheduler: not running\n"},
		{"check times out", func(ctx context.Context) error { <-ctx.Done(); return errors.New("store: not ready") }, 503, "store: not ready\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(Config{Ready: tc.ready})
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, ReadyzPath, nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("GET /readyz = %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
		})
	}
}

func TestOperatorPaths(t *testing.T) {
	t.Parallel()
	m := NewMetrics(MetricsConfig{})
	for _, tc := range []struct {
		name         string
		serveMetrics bool
		method, path string
		status       int
	}{
		{"healthz", false, "GET", HealthzPath, 200},
		{"healthz head", false, "HEAD", HealthzPath, 200},
		{"healthz post", false, "POST", HealthzPath, 405},
		{"readyz put", false, "PUT", ReadyzPath, 405},
		{"metrics", true, "GET", MetricsPath, 200},
		{"metrics post", true, "POST", MetricsPath, 405},
		// Not served here: an AWS path (which needs a signature).
		{"metrics elsewhere", false, "GET", MetricsPath, 0},
		{"healthz below", false, "GET", HealthzPath + "/x", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(Config{Metrics: m, ServeMetrics: tc.serveMetrics})
			rec := httptest.NewRecorder()
			served := s.operatorPath(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if tc.status == 0 {
				if served {
					t.Errorf("%s %s served as an operator path", tc.method, tc.path)
				}
				return
			}
			if !served || rec.Code != tc.status {
				t.Errorf("%s %s = %v %d, want %d", tc.method, tc.path, served, rec.Code, tc.status)
			}
		})
	}
}

// The paths cannot be an AWS API's: Batch's are under /v1/, the Query and
// JSON protocols POST to /.
func TestOperatorPathsShadowNoAWSPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{HealthzPath, ReadyzPath, MetricsPath} {
		if strings.HasPrefix(p, "/v1/") || p == "/" || strings.HasPrefix(p, CredentialsPathPrefix) {
			t.Errorf("%s may shadow an AWS path", p)
		}
	}
}

// Observations allocate nothing once their series exist.
func TestMetricsObservationsDoNotAllocate(t *testing.T) {
	m := NewMetrics(MetricsConfig{})
	change := batch.JobChange{Queue: "q", From: "", To: batch.JobStatusSubmitted}
	running := batch.JobChange{Queue: "q", From: batch.JobStatusStarting, To: batch.JobStatusRunning, Attempt: 1, CreatedAt: 1, StartedAt: 2}
	for name, f := range map[string]func(){
		"request":   func() { m.request("batch", "SubmitJob", "OK", time.Millisecond) },
		"decision":  func() { m.decision("batch:SubmitJob", true) },
		"submitted": func() { m.JobChanged(change) },
		"running":   func() { m.JobChanged(running) },
		"attempt":   func() { m.AttemptEnded(true, "exit") },
		"executor":  func() { m.ExecutorStarted("local", time.Millisecond) },
		"commit":    func() { m.StoreCommitted(time.Millisecond) },
	} {
		f()
		if n := testing.AllocsPerRun(100, f); n > 0 {
			t.Errorf("%s: %v allocations per observation", name, n)
		}
	}
}

// batchd_jobs counts unfinished jobs at every scrape and finished ones at
// most every finishedEvery, adding those that finish in between.
func TestJobsGaugeCountsFinishedSeldom(t *testing.T) {
	var calls []int
	store := map[string]int{batch.JobStatusRunning: 2, batch.JobStatusSucceeded: 1000}
	m := NewMetrics(MetricsConfig{JobCounts: func(_ context.Context, statuses ...string) (map[string]map[string]int, error) {
		calls = append(calls, len(statuses))
		out := map[string]int{}
		for _, st := range []string{batch.JobStatusSubmitted, batch.JobStatusPending, batch.JobStatusRunnable, batch.JobStatusStarting, batch.JobStatusRunning, batch.JobStatusSucceeded, batch.JobStatusFailed} {
			if len(statuses) == 0 || strings.Contains(strings.Join(statuses, ","), st) {
				out[st] = store[st]
			}
		}
		return map[string]map[string]int{"q": out}, nil
	}})
	gauge := func(status string) float64 {
		t.Helper()
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "batchd_jobs" {
				continue
			}
			for _, s := range f.Metric {
				if s.Label[1].GetValue() == status {
					return s.Gauge.GetValue()
				}
			}
		}
		t.Fatalf("no batchd_jobs{status=%q}", status)
		return 0
	}
	if got := gauge(batch.JobStatusSucceeded); got != 1000 {
		t.Errorf("SUCCEEDED = %v, want 1000", got)
	}
	store[batch.JobStatusRunning], store[batch.JobStatusSucceeded] = 1, 1001
	m.JobChanged(batch.JobChange{Queue: "q", From: batch.JobStatusRunning, To: batch.JobStatusSucceeded})
	if got := gauge(batch.JobStatusSucceeded); got != 1001 {
		t.Errorf("SUCCEEDED after one finished = %v, want 1001", got)
	}
	if got := gauge(batch.JobStatusRunning); got != 1 {
		t.Errorf("RUNNING = %v, want 1", got)
	}
	if calls[0] != 0 || calls[1] != 5 || calls[2] != 5 {
		t.Errorf("counts asked for %v statuses, want all (0) then the 5 unfinished", calls)
	}
}
