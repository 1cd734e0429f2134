package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BenchmarkGetCallerIdentity is a signed GetCallerIdentity round trip over
// loopback: the AWS SDK client and batchd in one process, requests in
// parallel. It reports requests per second.
func BenchmarkGetCallerIdentity(b *testing.B) {
	ts := startServer(b, "")
	cfg := ts.awsConfig(ts.Root)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	ctx := context.Background()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *out.Arn != "arn:aws:iam::123456789012:root" {
		b.Fatalf("GetCallerIdentity = %v, %v", out, err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkSubmitJob is `batchd bench submit` in process: 32 SDK clients
// submit signed SubmitJob requests over loopback to batchd on its SQLite
// store (each job durably stored before the 200), then describe them in
// pages of 100.
func BenchmarkSubmitJob(b *testing.B) {
	ts := startServer(b, "")
	cfg := ts.awsConfig(ts.Root)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}
	client := batch.NewFromConfig(cfg, func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	b.ResetTimer()
	res, err := runBench(context.Background(), client, benchConfig{Clients: 32, Jobs: max(b.N, 1000), Prefix: "bench"}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors != 0 || res.DescribeErrors != 0 {
		b.Fatalf("%d SubmitJob errors, %d DescribeJobs pages failed or short", res.Errors, res.DescribeErrors)
	}
	b.ReportMetric(res.SubmitPerSec, "jobs/s")
	b.ReportMetric(float64(res.P99)/1e6, "p99_ms")
	b.ReportMetric(res.DescribePerSec, "describe/s")
}

// BenchmarkSubmitJobServerSide is issue 11's one-client figure: signed
// SubmitJob requests, signed beforehand (the client's own cost left out),
// sent one at a time over a kept-alive loopback connection to batchd on
// its SQLite store, while the jobs run. It reports two latencies:
// server_p50_ms and server_p99_ms, batchd's own time per request, from
// the read that brought the request's first bytes to the write of its
// response (timedListener; the read's wake-up is not in it); p50_ms and p99_ms, the round trip the client
// sees, which adds the loopback, the wake-ups of the server's and the
// client's goroutines, and the client's HTTP code, all sharing the CPUs
// with the jobs. cpu_ms/op is this process's CPU per request: batchd's
// (the jobs' processes aside) and the client's HTTP code; what the jobs'
// scheduling, recording and logging cost batchd is in it.
func BenchmarkSubmitJobServerSide(b *testing.B) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ln := &timedListener{Listener: inner}
	ts := startServerOn(b, ln, nil, slog.New(slog.DiscardHandler))
	trueSetUp(b, ts)
	body := []byte(`{"jobName":"j","jobQueue":"q","jobDefinition":"true"}`)
	hash := hashOf(body)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/submitjob", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := v4.NewSigner().SignHTTP(context.Background(), ts.Root, req, hash, "batch", "us-east-1", time.Now()); err != nil {
			b.Fatal(err)
		}
		reqs[i] = req
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	lat := make([]float64, 0, b.N)
	ln.taken() // the set-up's requests
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := range b.N {
		req := reqs[i]
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	server := ln.taken()
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu_ms/op")
	b.ReportMetric(percentileMS(server, 0.5), "server_p50_ms")
	b.ReportMetric(percentileMS(server, 0.99), "server_p99_ms")
	b.ReportMetric(percentileMS(lat, 0.5), "p50_ms")
	b.ReportMetric(percentileMS(lat, 0.99), "p99_ms")
}

// timedListener times the requests served on its connections, one at a
// time on each: from the read that brings a request's first bytes to the
// first write of its response (both included).
type timedListener struct {
	net.Listener
	mu  sync.Mutex
	lat []float64 // ms
}

func (l *timedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &timedConn{Conn: c, l: l}, nil
}

// taken returns the latencies timed so far, and forgets them.
func (l *timedListener) taken() []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	lat := l.lat
	l.lat = nil
	return lat
}

type timedConn struct {
	net.Conn
	l *timedListener
	// start is when the request being served arrived (UnixNano), 0
	// between requests. The server's background read and its handler's
	// write run on two goroutines.
	start atomic.Int64
}

func (c *timedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.start.CompareAndSwap(0, time.Now().UnixNano())
	}
	return n, err
}

// Write times the request as its response is handed to the kernel: the
// time is kept before the client can have the response.
func (c *timedConn) Write(p []byte) (int, error) {
	if start := c.start.Swap(0); start != 0 {
		ms := float64(time.Now().UnixNano()-start) / 1e6
		c.l.mu.Lock()
		c.l.lat = append(c.l.lat, ms)
		c.l.mu.Unlock()
	}
	return c.Conn.Write(p)
}
