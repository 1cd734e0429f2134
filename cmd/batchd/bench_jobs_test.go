package main

// Benchmarks of jobs that really run: how soon a submitted job runs, and
// how fast a large array goes through, with batchd's CPU use (getrusage:
// batchd and the benchmark's SDK client share the process; the client only
// submits and polls).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"batchd/internal/executor/docker/dockertest"
)

// cpuTime is the process's user+system CPU time so far (RUSAGE_SELF: not
// the jobs, which are child processes).
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentileMS(ms []float64, p float64) float64 {
	s := slices.Clone(ms)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// BenchmarkSubmitToRunning submits `true` jobs one at a time and measures
// submit → RUNNING: the job's startedAt less its createdAt, as batchd
// records them (ms), and as the client sees it (SubmitJob sent → the
// first DescribeJobs that shows it RUNNING or done, polling every ms).
func BenchmarkSubmitToRunning(b *testing.B) {
	_, c := trueServer(b, nil)
	ctx := context.Background()
	in := &batch.SubmitJobInput{JobName: aws.String("t"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")}
	run := func() (server, client float64) {
		start := time.Now()
		id := submit(b, c, in)
		var seen time.Duration
		for {
			j := describeJob(b, c, id)
			if j.StartedAt != nil && seen == 0 {
				seen = time.Since(start)
			}
			if j.Status == batchtypes.JobStatusSucceeded {
				return float64(aws.ToInt64(j.StartedAt) - aws.ToInt64(j.CreatedAt)), float64(seen.Microseconds()) / 1000
			}
			if j.Status == batchtypes.JobStatusFailed {
				b.Fatalf("job failed: %s", aws.ToString(j.StatusReason))
			}
			time.Sleep(time.Millisecond)
		}
	}
	run() // warm up: the service role session, the log group
	var server, client []float64
	cpu0, t0 := cpuTime(b), time.Now()
	for b.Loop() {
		s, cl := run()
		server, client = append(server, s), append(client, cl)
	}
	cpu, wall := cpuTime(b)-cpu0, time.Since(t0)
	_ = ctx
	b.ReportMetric(percentileMS(server, 0.5), "p50_ms")
	b.ReportMetric(percentileMS(server, 0.9), "p90_ms")
	b.ReportMetric(percentileMS(client, 0.5), "client_p50_ms")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu%")
}

// BenchmarkArray10000 submits an array job of 10,000 `true` children and
// waits for the parent to SUCCEED; it reports the time that took and the
// CPU batchd used meanwhile (percent of one core). The host is declared
// with 32 vCPUs, so that 32 children of 1 vCPU run at once.
func BenchmarkArray10000(b *testing.B) {
	for b.Loop() {
		wall, cpu := runArray(b, 10000, func(c *Config) { c.HostVCPUs = 32 })
		b.ReportMetric(wall.Seconds(), "s_to_SUCCEEDED")
		b.ReportMetric(10000/wall.Seconds(), "jobs/s")
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu%")
	}
}

// BenchmarkArray5000 is issue 11's figure: an array job of 5,000 `true`
// children of 1 vCPU each, default host capacity (this machine's CPUs),
// the local executor, from SubmitJob to the parent SUCCEEDED. It reports
// jobs/s and batchd's own CPU per job (getrusage of this process: the
// server and the polling client; the jobs are children and not counted).
func BenchmarkArray5000(b *testing.B) {
	n := benchArraySize()
	for b.Loop() {
		wall, cpu := runArray(b, n, nil)
		b.ReportMetric(float64(n)/wall.Seconds(), "jobs/s")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu_ms/job")
	}
}

// trueServer starts a job server (mutate adjusts its flags) with compute
// environment "ce", queue "q" and job definition "true" running `true`.
func trueServer(b *testing.B, mutate func(*Config)) (*testServer, *batch.Client) {
	ts := startJobServer(b, mutate)
	return ts, trueSetUp(b, ts)
}

// trueSetUp makes trueServer's compute environment, queue and job
// definition on ts, and returns its client.
func trueSetUp(b *testing.B, ts *testServer) *batch.Client {
	c := ts.batch(ts.Root)
	unmanagedCE(b, c, "ce")
	queue(b, c, "q", "ce", nil)
	register(b, c, containerDef("true", "true"))
	return c
}

// runArray starts a job server (mutate adjusts its flags), submits an
// array of n `true` children and waits for it to SUCCEED; it returns the
// time from SubmitJob and this process's CPU time meanwhile.
func runArray(b *testing.B, n int, mutate func(*Config)) (wall, cpu time.Duration) {
	ts, c := trueServer(b, mutate)
	defer ts.stop()
	cpu0, t0 := cpuTime(b), time.Now()
	id := submit(b, c, &batch.SubmitJobInput{JobName: aws.String("arr"), JobQueue: aws.String("q"), JobDefinition: aws.String("true"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(int32(n))}})
	var j batchtypes.JobDetail
	for {
		j = describeJob(b, c, id)
		if j.Status == batchtypes.JobStatusSucceeded || j.Status == batchtypes.JobStatusFailed {
			break
		}
		if time.Since(t0) > 10*time.Minute {
			b.Fatalf("array not done after 10 minutes: %v", j.ArrayProperties.StatusSummary)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wall, cpu = time.Since(t0), cpuTime(b)-cpu0
	if j.Status != batchtypes.JobStatusSucceeded || j.ArrayProperties.StatusSummary["SUCCEEDED"] != int32(n) {
		b.Fatalf("array %s: %v", j.Status, j.ArrayProperties.StatusSummary)
	}
	return wall, cpu
}

// BenchmarkDockerJobVsDockerRun compares, in one run and interleaved, the
// time from SubmitJob to SUCCEEDED of a `true` job in a container (the
// Docker executor, default flags: the isolated network) with the time
// `docker run --rm` of the same image and command takes on the same
// engine. It reports both medians and their ratio (batchd's overhead).
func BenchmarkDockerJobVsDockerRun(b *testing.B) {
	host := dockertest.Host(b)
	dockertest.Image(b, host, testImage, testImageChanges...)
	ts := startJobServer(b, func(c *Config) { c.Executor = "docker"; c.DockerHost = host })
	c := ts.batch(ts.Root)
	unmanagedCE(b, c, "ce")
	queue(b, c, "q", "ce", nil)
	def := containerDef("true", "true")
	def.ContainerProperties.Image = aws.String(testImage)
	register(b, c, def)
	in := &batch.SubmitJobInput{JobName: aws.String("t"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")}
	viaBatchd := func() float64 {
		start := time.Now()
		id := submit(b, c, in)
		for {
			j := describeJob(b, c, id)
			if j.Status == batchtypes.JobStatusSucceeded {
				return float64(time.Since(start).Microseconds()) / 1000
			}
			if j.Status == batchtypes.JobStatusFailed {
				b.Fatalf("job failed: %s", aws.ToString(j.StatusReason))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	viaDocker := func() float64 {
		start := time.Now()
		cmd := exec.Command("docker", "run", "--rm", testImage, "true")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("docker run: %v\n%s", err, out)
		}
		return float64(time.Since(start).Microseconds()) / 1000
	}
	viaBatchd() // warm up: the service role session, the log group, the holders
	viaDocker()
	var batchd, docker []float64
	for b.Loop() {
		docker = append(docker, viaDocker())
		batchd = append(batchd, viaBatchd())
	}
	mb, md := percentileMS(batchd, 0.5), percentileMS(docker, 0.5)
	b.ReportMetric(mb, "batchd_p50_ms")
	b.ReportMetric(md, "docker_run_p50_ms")
	b.ReportMetric(mb/md, "ratio")
}

// benchArraySize is BenchmarkArray5000's size: 5,000, or BATCHD_BENCH_ARRAY
// for a quicker look (profiling).
func benchArraySize() int {
	if v, err := strconv.Atoi(os.Getenv("BATCHD_BENCH_ARRAY")); err == nil && v > 0 {
		return v
	}
	return 5000
}

// BenchmarkRSSMillionJobs is issue 11's memory figure: `batchd serve`, a
// real process with default flags, holding 1,000,000 finished jobs (100
// arrays of 10,000 children, submitted while their compute environment is
// DISABLED and then cancelled, so that nothing runs). It reports the
// server's resident set (VmRSS) and its peak (VmHWM) once the jobs are
// finished and DescribeJobs and ListJobs have read them, and again after a
// restart on the same data dir. BATCHD_BENCH_ARRAYS sets the number of
// arrays for a quicker look.
func BenchmarkRSSMillionJobs(b *testing.B) {
	arrays := 100
	if v, err := strconv.Atoi(os.Getenv("BATCHD_BENCH_ARRAYS")); err == nil && v > 0 {
		arrays = v
	}
	bin := buildBinary(b)
	for b.Loop() {
		dir := b.TempDir()
		endpoint, cmd := startProcess(b, bin, dir)
		creds, err := readCredentials(filepath.Join(dir, "root-credentials"))
		if err != nil {
			b.Fatal(err)
		}
		ts := &testServer{URL: endpoint}
		c := ts.batch(creds)
		ctx := context.Background()
		unmanagedCE(b, c, "ce")
		queue(b, c, "q", "ce", nil)
		register(b, c, containerDef("true", "true"))
		if _, err := c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled}); err != nil {
			b.Fatal(err)
		}
		var ids []string
		for range arrays {
			ids = append(ids, submit(b, c, &batch.SubmitJobInput{JobName: aws.String("arr"), JobQueue: aws.String("q"), JobDefinition: aws.String("true"),
				ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(10000)}}))
		}
		for _, id := range ids {
			waitJob(b, c, id, batchtypes.JobStatusPending, 5*time.Minute)
			if _, err := c.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(id), Reason: aws.String("bench")}); err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range ids {
			waitJob(b, c, id, batchtypes.JobStatusFailed, 5*time.Minute)
		}
		read := func() {
			for _, id := range ids {
				if _, err := c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{id, id + ":0", id + ":9999"}}); err != nil {
					b.Fatal(err)
				}
				if _, err := c.ListJobs(ctx, &batch.ListJobsInput{ArrayJobId: aws.String(id), JobStatus: batchtypes.JobStatusFailed}); err != nil {
					b.Fatal(err)
				}
			}
		}
		read()
		rss, hwm := procMemMiB(b, cmd.Process.Pid)
		b.ReportMetric(float64(arrays)*10000, "jobs")
		b.ReportMetric(rss, "rss_MiB")
		b.ReportMetric(hwm, "peak_rss_MiB")
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		endpoint, cmd = startProcess(b, bin, dir)
		ts.URL = endpoint
		c = ts.batch(creds)
		read()
		rss, _ = procMemMiB(b, cmd.Process.Pid)
		b.ReportMetric(rss, "restarted_rss_MiB")
	}
}

// procMemMiB reads a process's VmRSS and VmHWM.
func procMemMiB(tb testing.TB, pid int) (rss, hwm float64) {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb float64
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fmt.Sscan(v, &kb)
			rss = kb / 1024
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Sscan(v, &kb)
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
