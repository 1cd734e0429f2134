package main

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
