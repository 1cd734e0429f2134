package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"batchd/internal/batch"
)

// MetricsConfig wires Metrics.
type MetricsConfig struct {
	// JobCounts counts the jobs by queue in each of statuses (all when
	// none) for batchd_jobs (batch.Service.JobCounts); nil: batchd_jobs is
	// not exported.
	JobCounts func(ctx context.Context, statuses ...string) (map[string]map[string]int, error)
	// Leading reports whether this replica leads (runs the scheduler),
	// for batchd_leader; nil: not exported.
	Leading func() bool
	Log     *slog.Logger
}

// Metrics is batchd's Prometheus registry (its own, not the process-wide
// default) and the observers the domain packages are given: their hooks
// (batch.Config.OnJobChange, scheduler.Config.OnStart and OnAttemptEnd,
// sqlite's ObserveCommits) call its methods, so that no domain package
// imports Prometheus. Every label takes values from a bounded set: the
// operation tables, the scheduler's attempt reasons, job statuses, the
// account's queue names; never text a caller chose. Series are looked up
// once and kept, so an observation allocates nothing.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler
	log     *slog.Logger

	submissions     *prometheus.CounterVec
	submitToRunning prometheus.Histogram
	attempts        *prometheus.CounterVec
	decisions       *prometheus.CounterVec
	requests        *prometheus.HistogramVec
	commits         prometheus.Histogram
	executorStart   *prometheus.HistogramVec
	jobs            *jobsCollector // nil without MetricsConfig.JobCounts

	mu        sync.RWMutex
	queues    map[string]prometheus.Counter     // submissions by queue
	actions   map[string]*[2]prometheus.Counter // decisions by action: deny, allow
	calls     map[callKey]prometheus.Observer   // requests
	executors map[string]prometheus.Observer    // executor starts
	outcomes  map[attemptKey]prometheus.Counter // attempts
}

type callKey struct{ service, operation, code string }

type attemptKey struct {
	succeeded bool
	reason    string
}

// Latency buckets: requests and commits (1 ms to 10 s), job waits (10 ms to
// an hour).
var (
	fastBuckets = prometheus.ExponentialBucketsRange(0.0005, 10, 16)
	slowBuckets = prometheus.ExponentialBucketsRange(0.01, 3600, 16)
)

// NewMetrics returns batchd's metrics, the Go runtime's and the process's
// registered.
func NewMetrics(cfg MetricsConfig) *Metrics {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(), log: log,
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchd_job_submissions_total", Help: "Jobs submitted (SubmitJob), by job queue.",
		}, []string{"queue"}),
		submitToRunning: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "batchd_job_submit_to_running_seconds", Help: "Time from a job's submission to its first RUNNING.", Buckets: slowBuckets,
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchd_job_attempts_total", Help: "Job attempts whose end was recorded, by outcome and why they ended (exit, timeout, terminated, host, cannot_start).",
		}, []string{"outcome", "reason"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchd_authorization_decisions_total", Help: "Authorization decisions of API calls, by service, IAM action and decision.",
		}, []string{"service", "action", "decision"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "batchd_request_duration_seconds", Help: "AWS API requests, by service, operation and AWS error code (OK on success).", Buckets: fastBuckets,
		}, []string{"service", "operation", "code"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "batchd_store_commit_duration_seconds", Help: "Store write commits (a group of Updates, its sync included).", Buckets: fastBuckets,
		}),
		executorStart: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "batchd_executor_start_seconds", Help: "Time from an attempt's dispatch to its process or container started, by executor.", Buckets: fastBuckets,
		}, []string{"executor"}),
		queues: map[string]prometheus.Counter{}, actions: map[string]*[2]prometheus.Counter{}, calls: map[callKey]prometheus.Observer{},
		executors: map[string]prometheus.Observer{}, outcomes: map[attemptKey]prometheus.Counter{},
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.submissions, m.submitToRunning, m.attempts, m.decisions, m.requests, m.commits, m.executorStart)
	if cfg.Leading != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "batchd_leader", Help: "1 when this replica leads (runs the job evaluator and the scheduler), else 0.",
		}, func() float64 {
			if cfg.Leading() {
				return 1
			}
			return 0
		}))
	}
	if cfg.JobCounts != nil {
		m.jobs = &jobsCollector{count: cfg.JobCounts, log: log}
		m.reg.MustRegister(m.jobs)
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: slogPrinter{log}})
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry is the registry the metrics are in (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// cached returns the series of key in cache, made by mk the first time.
func cached[K comparable, V any](m *Metrics, cache map[K]V, key K, mk func() V) V {
	m.mu.RLock()
	v, ok := cache[key]
	m.mu.RUnlock()
	if ok {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := cache[key]; ok {
		return v
	}
	v = mk()
	cache[key] = v
	return v
}

// JobChanged counts a job change (batch.Config.OnJobChange): a submission
// (a job created that is not an array child) and a first RUNNING.
func (m *Metrics) JobChanged(c batch.JobChange) {
	if c.ArrayChild {
		return
	}
	if m.jobs != nil && (c.To == batch.JobStatusSucceeded || c.To == batch.JobStatusFailed) && c.From != c.To {
		m.jobs.finishedOne(c.Queue, c.To)
	}
	switch {
	case c.From == "":
		cached(m, m.queues, c.Queue, func() prometheus.Counter { return m.submissions.WithLabelValues(c.Queue) }).Inc()
	case c.To == batch.JobStatusRunning && c.Attempt == 1 && c.StartedAt >= c.CreatedAt:
		m.submitToRunning.Observe(float64(c.StartedAt-c.CreatedAt) / 1e3)
	}
}

// AttemptEnded counts an attempt's end (scheduler.Config.OnAttemptEnd).
func (m *Metrics) AttemptEnded(succeeded bool, reason string) {
	cached(m, m.outcomes, attemptKey{succeeded, reason}, func() prometheus.Counter {
		outcome := batch.JobStatusFailed
		if succeeded {
			outcome = batch.JobStatusSucceeded
		}
		return m.attempts.WithLabelValues(outcome, reason)
	}).Inc()
}

// ExecutorStarted observes an attempt's start (scheduler.Config.OnStart).
func (m *Metrics) ExecutorStarted(executor string, d time.Duration) {
	cached(m, m.executors, executor, func() prometheus.Observer { return m.executorStart.WithLabelValues(executor) }).Observe(d.Seconds())
}

// StoreCommitted observes a store commit (sqlite.DB.ObserveCommits).
func (m *Metrics) StoreCommitted(d time.Duration) { m.commits.Observe(d.Seconds()) }

// decision counts an authorization decision of an API call; action comes
// from the operation tables ("batch:SubmitJob").
func (m *Metrics) decision(action string, allowed bool) {
	c := cached(m, m.actions, action, func() *[2]prometheus.Counter {
		service, _, _ := strings.Cut(action, ":")
		return &[2]prometheus.Counter{m.decisions.WithLabelValues(service, action, "deny"), m.decisions.WithLabelValues(service, action, "allow")}
	})
	if allowed {
		c[1].Inc()
	} else {
		c[0].Inc()
	}
}

// request observes an API request; the caller bounds the labels
// (Server.observe).
func (m *Metrics) request(service, operation, code string, d time.Duration) {
	cached(m, m.calls, callKey{service, operation, code}, func() prometheus.Observer {
		return m.requests.WithLabelValues(service, operation, code)
	}).Observe(d.Seconds())
}

// jobsCollector exports batchd_jobs from counts made at the scrape, in one
// read transaction each. Unfinished jobs are counted at every scrape: a
// count costs in proportion to the jobs counted, and they are few (70 µs
// beside a million finished ones, BenchmarkJobCounts). The finished ones,
// kept for the retention, may be millions (85-125 ms a million in
// SQLite): between counts, made when the last is older than finishedEvery
// or 100 times what it took, jobs that finish are added as they do
// (finishedOne); the next count corrects what that misses (jobs removed
// after the retention).
type jobsCollector struct {
	count func(ctx context.Context, statuses ...string) (map[string]map[string]int, error)
	log   *slog.Logger

	mu       sync.Mutex
	finished map[string]map[string]int // queue → SUCCEEDED, FAILED
	at       time.Time                 // when finished was counted
	cost     time.Duration             // and what it took
}

var jobsDesc = prometheus.NewDesc("batchd_jobs", "Jobs by job queue and status (array children not counted).", []string{"queue", "status"}, nil)

var unfinishedStatuses = []string{batch.JobStatusSubmitted, batch.JobStatusPending, batch.JobStatusRunnable, batch.JobStatusStarting, batch.JobStatusRunning}

const (
	// jobsTimeout bounds the count of a scrape.
	jobsTimeout = 10 * time.Second
	// finishedEvery is how often finished jobs are counted at most.
	finishedEvery = 30 * time.Second
)

// finishedOne adds a job that just finished to the counts kept.
func (c *jobsCollector) finishedOne(queue, status string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished == nil {
		return // the first scrape counts it
	}
	byStatus := c.finished[queue]
	if byStatus == nil {
		byStatus = map[string]int{}
		c.finished[queue] = byStatus
	}
	byStatus[status]++
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	all := c.finished == nil || start.Sub(c.at) >= max(finishedEvery, 100*c.cost)
	var counts map[string]map[string]int
	var err error
	if all {
		counts, err = c.count(ctx)
	} else {
		counts, err = c.count(ctx, unfinishedStatuses...)
	}
	if err != nil {
		c.log.Warn("metrics: counting jobs failed; batchd_jobs is left out of this scrape (check the store's errors)", "err", err)
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	if all {
		c.finished, c.at, c.cost = map[string]map[string]int{}, start, time.Since(start)
		for queue, byStatus := range counts {
			c.finished[queue] = map[string]int{batch.JobStatusSucceeded: byStatus[batch.JobStatusSucceeded], batch.JobStatusFailed: byStatus[batch.JobStatusFailed]}
		}
	}
	for queue, byStatus := range counts {
		for status, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), queue, status)
		}
		if !all {
			for status, n := range c.finished[queue] {
				ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), queue, status)
			}
		}
	}
}

// slogPrinter is promhttp's error log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: serving a scrape failed", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
