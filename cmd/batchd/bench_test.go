package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
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
	if res.Errors != 0 {
		b.Fatalf("%d errors", res.Errors)
	}
	b.ReportMetric(res.SubmitPerSec, "jobs/s")
	b.ReportMetric(float64(res.P99)/1e6, "p99_ms")
	b.ReportMetric(res.DescribePerSec, "describe/s")
}

// BenchmarkSubmitJobServerSide is issue 11's one-client figure: signed
// SubmitJob requests, signed beforehand (the client's own cost left out),
// sent one at a time over a kept-alive loopback connection to batchd on
// its SQLite store; ns/op is batchd's time per request plus the loopback
// round trip. The jobs run meanwhile.
func BenchmarkSubmitJobServerSide(b *testing.B) {
	ts, _ := trueServer(b, nil)
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
	b.ResetTimer()
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
	b.ReportMetric(percentileMS(lat, 0.5), "p50_ms")
	b.ReportMetric(percentileMS(lat, 0.99), "p99_ms")
}
