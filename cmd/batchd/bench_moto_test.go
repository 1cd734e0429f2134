package main

// Issue 11's peer for SubmitJob: moto, the AWS Batch emulator most used in
// tests, driven by the same load generator in the same run.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// motoJobs is how many jobs each side submits per round: moto takes
// about 200 a second here.
const motoJobs = 2000

// BenchmarkSubmitVsMoto runs `batchd bench submit`'s load generator (32
// SDK clients submitting, then describing in pages of 100), in one run and
// interleaved, against a moto_server of its own and against batchd on its
// SQLite store (BenchmarkSubmitJob's server, whose jobs run meanwhile),
// motoJobs jobs each per round, and reports both SubmitJob rates and
// their ratio (medians over the rounds: -benchtime 3x gives three).
// Both servers share the machine with the generator. moto's jobs do not
// run: it gives them to a Docker Engine, and none answers at
// /var/run/docker.sock here, so each fails at once; its DescribeJobs
// pages fail or come back short, which moto_describe_errors counts. It needs
// moto_server in PATH (pip's moto[server]); without it, it is skipped (it
// is a benchmark: CI does not run it).
func BenchmarkSubmitVsMoto(b *testing.B) {
	moto := startMoto(b)
	ts := startServer(b, "")
	cfg := ts.awsConfig(ts.Root)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}
	batchdClient := batch.NewFromConfig(cfg, func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	ctx := context.Background()
	var ours, theirs []float64
	var motoDescribeErrs int64
	round := 0
	for b.Loop() {
		round++
		m, err := runBench(ctx, moto.client, benchConfig{Clients: 32, Jobs: motoJobs, Prefix: "bench", ServiceRole: moto.role}, io.Discard)
		if err != nil {
			b.Fatalf("moto: %v", err)
		}
		if m.Errors != 0 {
			b.Fatalf("moto: %d SubmitJob errors", m.Errors)
		}
		motoDescribeErrs += m.DescribeErrors
		o, err := runBench(ctx, batchdClient, benchConfig{Clients: 32, Jobs: motoJobs, Prefix: "bench"}, io.Discard)
		if err != nil {
			b.Fatalf("batchd: %v", err)
		}
		if o.Errors != 0 || o.DescribeErrors != 0 {
			b.Fatalf("batchd: %d SubmitJob errors, %d DescribeJobs pages failed or short", o.Errors, o.DescribeErrors)
		}
		theirs, ours = append(theirs, m.SubmitPerSec), append(ours, o.SubmitPerSec)
		b.Logf("round %d: batchd %s; moto %s", round, o, m)
	}
	mb, mm := percentileMS(ours, 0.5), percentileMS(theirs, 0.5)
	b.ReportMetric(mb, "batchd_jobs/s")
	b.ReportMetric(mm, "moto_jobs/s")
	b.ReportMetric(mb/mm, "ratio")
	b.ReportMetric(float64(motoDescribeErrs), "moto_describe_errors")
}

// motoServer is a moto_server that startMoto started.
type motoServer struct {
	client *batch.Client
	role   string // the compute environments' service role, made in moto's IAM
}

// startMoto starts moto_server on a free loopback port (stopped at
// cleanup), waits for it to answer, and makes the service role its
// CreateComputeEnvironment requires.
func startMoto(b *testing.B) *motoServer {
	b.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		b.Skip("moto_server is not installed (pip install 'moto[server]')")
	}
	port := freePorts(b, 1)[0]
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, err := os.Create(b.TempDir() + "/moto.log")
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		// The server and whatever it started, then its exit status
		// (killed: not an error worth reporting).
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			b.Logf("stopping moto_server: %v", err)
		}
		_ = cmd.Wait() // killed above: its error is that
		log.Close()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(b, "moto_server to answer at "+url, func() bool {
		resp, err := http.Get(url + "/moto-api/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
	role, err := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) }).CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName:                 aws.String("batch-service-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		b.Fatalf("moto: create the service role: %v", err)
	}
	return &motoServer{
		client: batch.NewFromConfig(cfg, func(o *batch.Options) { o.BaseEndpoint = aws.String(url) }),
		role:   *role.Role.Arn,
	}
}
