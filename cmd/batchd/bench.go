package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// benchConfig is what `batchd bench submit` is told.
type benchConfig struct {
	Endpoint  string
	Region    string
	Profile   string
	Clients   int
	Jobs      int
	ArraySize int
	Prefix    string
	// ServiceRole is the serviceRole of the compute environment the bench
	// creates; "" lets the service use its service-linked role.
	ServiceRole string
}

const benchUsage = `Usage:
  batchd bench submit --endpoint URL [--clients 32] [--jobs N] [--array-size K]

Run "batchd bench submit --help" for its flags.
`

const benchSubmitSynopsis = "batchd bench submit --endpoint URL [--clients 32] [--jobs N] [--array-size K]"

const benchSubmitNotes = `Submits jobs to an AWS Batch endpoint from concurrent clients and reports
the rate and latencies. Credentials come from the AWS SDK's default chain
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...); the flags
without an environment variable in parentheses have none.`

func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, benchUsage)
		return 0
	}
	if len(args) == 0 || args[0] != "submit" {
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	fs := flag.NewFlagSet("batchd bench submit", flag.ContinueOnError)
	var bc benchConfig
	fs.StringVar(&bc.Endpoint, "endpoint", os.Getenv("AWS_ENDPOINT_URL"), "AWS Batch endpoint URL; empty: AWS's own endpoint for the region (AWS_ENDPOINT_URL)")
	fs.StringVar(&bc.Region, "region", cmp.Or(os.Getenv("AWS_REGION"), "us-east-1"), "region (AWS_REGION)")
	fs.StringVar(&bc.Profile, "profile", os.Getenv("AWS_PROFILE"), "shared credentials profile; empty: the SDK's default chain (AWS_PROFILE)")
	fs.IntVar(&bc.Clients, "clients", 32, "concurrent clients")
	fs.IntVar(&bc.Jobs, "jobs", 10000, "jobs to submit")
	fs.IntVar(&bc.ArraySize, "array-size", 0, "submit array jobs of this size (0: plain jobs)")
	fs.StringVar(&bc.Prefix, "prefix", "batchd-bench", "name prefix of the compute environment, queue and job definition it creates or reuses")
	fs.StringVar(&bc.ServiceRole, "service-role", "", "serviceRole of the compute environment it creates (some AWS Batch emulators require one)")
	if ok, code := parseFlags(fs, benchSubmitSynopsis, benchSubmitNotes, args[1:], stdout, stderr); !ok {
		return code
	}
	if bc.Clients < 1 || bc.Jobs < 1 || bc.ArraySize == 1 || bc.ArraySize > 10000 || bc.ArraySize < 0 {
		fmt.Fprintln(stderr, "batchd bench submit: --clients and --jobs must be positive; --array-size 0 or 2..10000")
		return 2
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(bc.Region), config.WithRetryMaxAttempts(1)}
	if bc.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(bc.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "batchd bench submit: %v\n", err)
		return 1
	}
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bc.Clients * 2, MaxIdleConns: bc.Clients * 2}}
	client := batch.NewFromConfig(cfg, func(o *batch.Options) {
		if bc.Endpoint != "" {
			o.BaseEndpoint = aws.String(bc.Endpoint)
		}
	})
	res, err := runBench(ctx, client, bc, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "batchd bench submit: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// benchResult is the machine-readable outcome.
type benchResult struct {
	SubmitPerSec   float64
	P50, P99       time.Duration
	DescribePerSec float64
	// Errors are the SubmitJob calls that failed; DescribeErrors the
	// DescribeJobs pages that failed or came back short.
	Errors, DescribeErrors int64
}

func (r benchResult) String() string {
	return fmt.Sprintf("submit_per_s=%.1f p50_ms=%.2f p99_ms=%.2f describe_per_s=%.1f errors=%d describe_errors=%d",
		r.SubmitPerSec, float64(r.P50)/1e6, float64(r.P99)/1e6, r.DescribePerSec, r.Errors, r.DescribeErrors)
}

// setupBench creates, or reuses, a compute environment, a job queue and a
// job definition, and returns the queue and definition names.
func setupBench(ctx context.Context, c *batch.Client, prefix, serviceRole string) (queue, def string, err error) {
	ce, queue, def := prefix+"-ce", prefix+"-queue", prefix+"-jd"
	ces, err := c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{ce}})
	if err != nil {
		return "", "", err
	}
	if len(ces.ComputeEnvironments) == 0 {
		if _, err := c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
			ComputeEnvironmentName: aws.String(ce), Type: types.CETypeUnmanaged, State: types.CEStateEnabled,
			ServiceRole: nonEmpty(serviceRole),
		}); err != nil {
			return "", "", fmt.Errorf("create compute environment: %w", err)
		}
	}
	if err := waitValid(ctx, func() (string, error) {
		out, err := c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{ce}})
		if err != nil || len(out.ComputeEnvironments) == 0 {
			return "", err
		}
		return string(out.ComputeEnvironments[0].Status), nil
	}); err != nil {
		return "", "", err
	}
	qs, err := c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{queue}})
	if err != nil {
		return "", "", err
	}
	if len(qs.JobQueues) == 0 {
		if _, err := c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
			JobQueueName: aws.String(queue), Priority: aws.Int32(1), State: types.JQStateEnabled,
			ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{ComputeEnvironment: aws.String(ce), Order: aws.Int32(1)}},
		}); err != nil {
			return "", "", fmt.Errorf("create job queue: %w", err)
		}
	}
	if err := waitValid(ctx, func() (string, error) {
		out, err := c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{queue}})
		if err != nil || len(out.JobQueues) == 0 {
			return "", err
		}
		return string(out.JobQueues[0].Status), nil
	}); err != nil {
		return "", "", err
	}
	ds, err := c.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String(def), Status: aws.String("ACTIVE")})
	if err != nil {
		return "", "", err
	}
	if len(ds.JobDefinitions) == 0 {
		if _, err := c.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: aws.String(def), Type: types.JobDefinitionTypeContainer,
			ContainerProperties: &types.ContainerProperties{
				Image: aws.String("public.ecr.aws/docker/library/busybox:latest"), Command: []string{"true"},
				ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("1")}, {Type: types.ResourceTypeMemory, Value: aws.String("128")}},
			},
		}); err != nil {
			return "", "", fmt.Errorf("register job definition: %w", err)
		}
	}
	return queue, def, nil
}

// waitValid polls until status is VALID, for up to a minute.
func waitValid(ctx context.Context, status func() (string, error)) error {
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := status()
		if err != nil {
			return err
		}
		if s == "VALID" {
			return nil
		}
		if s == "INVALID" || time.Now().After(deadline) {
			return fmt.Errorf("resource is %s, not VALID", s)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func runBench(ctx context.Context, c *batch.Client, bc benchConfig, progress io.Writer) (benchResult, error) {
	var res benchResult
	queue, def, err := setupBench(ctx, c, bc.Prefix, bc.ServiceRole)
	if err != nil {
		return res, err
	}
	var next, done, errs atomic.Int64
	latencies := make([][]time.Duration, bc.Clients)
	ids := make([][]string, bc.Clients)
	stop := make(chan struct{})
	var tick sync.WaitGroup
	tick.Add(1)
	start := time.Now()
	go func() {
		defer tick.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(progress, "submitted %d/%d (%.0f/s), errors %d\n", n, bc.Jobs, float64(n)/time.Since(start).Seconds(), errs.Load())
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < bc.Clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(bc.Jobs) || ctx.Err() != nil {
					return
				}
				in := &batch.SubmitJobInput{JobName: aws.String(fmt.Sprintf("bench-%d", i)), JobQueue: aws.String(queue), JobDefinition: aws.String(def)}
				if bc.ArraySize > 0 {
					in.ArrayProperties = &types.ArrayProperties{Size: aws.Int32(int32(bc.ArraySize))}
				}
				t0 := time.Now()
				out, err := c.SubmitJob(ctx, in)
				latencies[w] = append(latencies[w], time.Since(t0))
				if err != nil {
					errs.Add(1)
					continue
				}
				ids[w] = append(ids[w], *out.JobId)
				done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	tick.Wait()
	var all []time.Duration
	var allIDs []string
	for w := range latencies {
		all = append(all, latencies[w]...)
		allIDs = append(allIDs, ids[w]...)
	}
	slices.Sort(all)
	res.SubmitPerSec = float64(done.Load()) / elapsed.Seconds()
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)

	// Describe every submitted job in pages of 100 ids, with the same
	// number of clients.
	var pages [][]string
	for i := 0; i < len(allIDs); i += 100 {
		pages = append(pages, allIDs[i:min(i+100, len(allIDs))])
	}
	var page, derrs atomic.Int64
	dstart := time.Now()
	for w := 0; w < bc.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(page.Add(1)) - 1
				if i >= len(pages) || ctx.Err() != nil {
					return
				}
				out, err := c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: pages[i]})
				if err != nil || len(out.Jobs) != len(pages[i]) {
					derrs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if len(pages) > 0 {
		res.DescribePerSec = float64(len(pages)) / time.Since(dstart).Seconds()
	}
	res.Errors, res.DescribeErrors = errs.Load(), derrs.Load()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if done.Load() == 0 {
		return res, errors.New("no job was submitted")
	}
	return res, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// nonEmpty is s, or nil when s is "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
