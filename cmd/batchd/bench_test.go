package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
