package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"batchd/internal/store/sqlite"
)

// scrape GETs url and parses the Prometheus text it answers.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

// metricValue is the value of the series of name whose labels include
// labels (a counter's or gauge's value, a histogram's count), and whether
// there is one.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, lp := range m.Label {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func httpGet(t testing.TB, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// /healthz and /readyz answer without a signature, GET and HEAD only;
// they shadow no AWS path.
func TestHealthAndReadiness(t *testing.T) {
	ts := startJobServer(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/healthz", 200, "ok\n"},
		{"HEAD", "/healthz", 200, ""},
		{"GET", "/readyz", 200, "ok (leader)\n"},
		{"POST", "/healthz", 405, ""},
		{"DELETE", "/readyz", 405, ""},
		{"PUT", "/metrics", 405, ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			var code int
			var body string
			deadline := time.Now().Add(10 * time.Second)
			for {
				// /readyz waits for the scheduler's loop, which starts
				// after the credentials are written, once this replica
				// took the lead (a moment after it serves: "ok (standby)").
				code, body = httpGet(t, tc.method, ts.URL+tc.path)
				if code == tc.status && (tc.body == "" || body == tc.body) || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if code != tc.status || tc.body != "" && body != tc.body {
				t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, code, body, tc.status, tc.body)
			}
		})
	}
	// The AWS paths still answer as AWS does: an unsigned Batch call is
	// refused with an AWS error, not a health answer.
	if code, body := httpGet(t, "GET", ts.URL+"/v1/healthz"); code == 200 || !strings.Contains(body, "__type") {
		t.Errorf("GET /v1/healthz = %d %q, want an AWS error", code, body)
	}
}

// signedQuery sends an IAM Query request with Action action, signed by the
// root.
func signedQuery(t testing.TB, ts *testServer, action string) int {
	t.Helper()
	body := []byte("Action=" + action + "&Version=2010-05-08")
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := v4.NewSigner().SignHTTP(context.Background(), ts.Root, req, hashOf(body), "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// SubmitJob, a denied call and a job that ran show in /metrics; a made-up
// operation is counted as "unknown", never under its name.
func TestMetricsEndToEnd(t *testing.T) {
	ts, c := jobSetup(t)
	register(t, c, containerDef("true", "true"))
	ctx := context.Background()

	before := scrape(t, ts.URL+"/metrics")
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "batchd_store_commit_duration_seconds"} {
		if _, ok := before[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v, _ := metricValue(before, "batchd_job_submissions_total", map[string]string{"queue": "q"}); v != 0 {
		t.Fatalf("submissions before any = %v", v)
	}

	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("m"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")})
	waitJob(t, c, id, batchtypes.JobStatusSucceeded, 30*time.Second)

	bob := newUser(t, ts.iam(ts.Root), "bob", policyDoc(`{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"*"}`))
	_, err := ts.batch(bob).SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")})
	wantAPIError(t, err, "AccessDeniedException", "batch:SubmitJob")
	if code := signedQuery(t, ts, "NoSuchOperationEvil1234"); code != 400 {
		t.Errorf("unknown IAM action: status %d, want 400", code)
	}

	after := scrape(t, ts.URL+"/metrics")
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64 // at least
	}{
		{"batchd_job_submissions_total", map[string]string{"queue": "q"}, 1},
		{"batchd_jobs", map[string]string{"queue": "q", "status": "SUCCEEDED"}, 1},
		{"batchd_job_attempts_total", map[string]string{"outcome": "SUCCEEDED", "reason": "exit"}, 1},
		{"batchd_job_submit_to_running_seconds", nil, 1},
		{"batchd_executor_start_seconds", map[string]string{"executor": "local"}, 1},
		{"batchd_authorization_decisions_total", map[string]string{"service": "batch", "action": "batch:SubmitJob", "decision": "deny"}, 1},
		{"batchd_authorization_decisions_total", map[string]string{"service": "iam", "action": "iam:CreateUser", "decision": "allow"}, 1},
		{"batchd_request_duration_seconds", map[string]string{"service": "batch", "operation": "SubmitJob", "code": "OK"}, 1},
		{"batchd_request_duration_seconds", map[string]string{"service": "batch", "operation": "SubmitJob", "code": "AccessDeniedException"}, 1},
		{"batchd_request_duration_seconds", map[string]string{"service": "iam", "operation": "unknown", "code": "InvalidAction"}, 1},
		{"batchd_store_commit_duration_seconds", nil, 1},
	} {
		got, ok := metricValue(after, tc.name, tc.labels)
		if !ok || got < tc.want {
			t.Errorf("%s%v = %v (present %v), want at least %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if got, _ := metricValue(after, "batchd_job_submissions_total", map[string]string{"queue": "q"}); got != 1 {
		t.Errorf("submissions = %v, want 1 (the denied one is not)", got)
	}
	_, text := httpGet(t, "GET", ts.URL+"/metrics")
	if strings.Contains(text, "Evil1234") {
		t.Errorf("/metrics holds a label a caller chose")
	}
}

// With --metrics-listen, /metrics is served there only; on the main
// listener it is an AWS path like any other.
func TestMetricsListen(t *testing.T) {
	var mu sync.Mutex
	var addr net.Addr
	ts := startJobServer(t, func(c *Config) {
		c.MetricsListen = "127.0.0.1:0"
		c.metricsAddr = func(a net.Addr) { mu.Lock(); addr = a; mu.Unlock() }
	})
	// The listener starts after the root's credentials are written, which
	// startJobServer waits for: wait for it too.
	var a net.Addr
	for deadline := time.Now().Add(10 * time.Second); a == nil; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		a = addr
		mu.Unlock()
		if a == nil && time.Now().After(deadline) {
			t.Fatal("metrics listener not started within 10s")
		}
	}
	fams := scrape(t, "http://"+a.String()+"/metrics")
	if _, ok := fams["go_goroutines"]; !ok {
		t.Errorf("metrics listener lacks go_goroutines")
	}
	if code, body := httpGet(t, "GET", ts.URL+"/metrics"); code == 200 || strings.Contains(body, "go_goroutines") {
		t.Errorf("main listener GET /metrics = %d, want an AWS error", code)
	}
	if code, _ := httpGet(t, "GET", "http://"+a.String()+"/v1/describejobs"); code != 404 {
		t.Errorf("metrics listener serves other paths: %d", code)
	}
}

// At debug level every request has a line (operation, principal,
// decision, status, latency, request id) and every job change one at info;
// no secret reaches the log.
func TestRequestAndJobLogs(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := startLoggedServer(t, func(c *Config) { c.HostVCPUs = 16 }, log)
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, containerDef("true", "true"))
	ctx := context.Background()
	alice := newUser(t, ts.iam(ts.Root), "alice", policyDoc(`{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"*"}`))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("logged"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")})
	waitJob(t, c, id, batchtypes.JobStatusSucceeded, 30*time.Second)
	_, err := ts.batch(alice).SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")})
	wantAPIError(t, err, "AccessDeniedException", "batch:SubmitJob")
	// A session's calls: its token must not be logged either.
	tok, err := ts.sts(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	session := aws.Credentials{AccessKeyID: *tok.Credentials.AccessKeyId, SecretAccessKey: *tok.Credentials.SecretAccessKey, SessionToken: *tok.Credentials.SessionToken}
	if _, err := ts.batch(session).DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{id}}); err != nil {
		t.Fatal(err)
	}
	ts.stop()

	out := buf.String()
	for _, want := range []string{
		`"msg":"request"`, `"operation":"SubmitJob"`, `"principal":"arn:aws:iam::123456789012:root"`, `"decision":"allow"`,
		`"principal":"arn:aws:iam::123456789012:user/alice"`, `"decision":"deny"`, `"status":403`, `"code":"AccessDeniedException"`, `"latency":`, `"requestId":`,
		`"msg":"job status changed"`, `"jobId":"` + id + `"`, `"jobName":"logged"`, `"from":"RUNNING"`, `"to":"SUCCEEDED"`, `"exitCode":0`, `"attempt":1`, `"queue":"q"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	for _, secret := range []string{ts.Root.SecretAccessKey, alice.SecretAccessKey, session.SecretAccessKey, session.SessionToken, "Authorization", "Signature=", "X-Amz-Security-Token", "AWS4-HMAC-SHA256"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds a secret: %q", secret)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fakeLoop bool

func (f fakeLoop) Running() bool { return bool(f) }

// /readyz's check: a store that answers a read, a scheduler whose loop
// runs where this replica leads; each failure with its short reason.
func TestReadyChecksStoreAndScheduler(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "batchd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ready(ctx, db, fakeRole(true), fakeLoop(true)); err != nil {
		t.Errorf("ready: %v", err)
	}
	if err := ready(ctx, db, fakeRole(true), fakeLoop(false)); err == nil || err.Error() != "scheduler: not running" {
		t.Errorf("scheduler stopped: %v", err)
	}
	// A standby replica runs no scheduler, and is ready all the same.
	if err := ready(ctx, db, fakeRole(false), fakeLoop(false)); err != nil {
		t.Errorf("standby: %v", err)
	}
	db.Close()
	if err := ready(ctx, db, fakeRole(true), fakeLoop(true)); err == nil || err.Error() != "store: not ready" {
		t.Errorf("store closed: %v", err)
	}
}

type fakeRole bool

func (f fakeRole) Leading() bool { return bool(f) }
