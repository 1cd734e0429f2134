package main

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// Two share identifiers on a fair-share queue get capacity by their
// weights: a share's usage counts times its weightFactor, so weight 0.25
// gets four times the capacity of weight 1 (AWS Batch User Guide, "Fair
// share scheduling policies"). With one vCPU, jobs run one at a time, so
// the order they start in shows the split.
func TestFairShareWeights(t *testing.T) {
	t.Parallel()
	ts := startJobServer(t, func(c *Config) { c.HostVCPUs = 1 })
	c := ts.batch(ts.Root)
	ctx := context.Background()
	unmanagedCE(t, c, "ce")
	sp, err := c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("fair"), FairsharePolicy: &batchtypes.FairsharePolicy{
		ShareDecaySeconds: aws.Int32(0),
		ShareDistribution: []batchtypes.ShareAttributes{
			{ShareIdentifier: aws.String("heavy"), WeightFactor: aws.Float32(1)},
			{ShareIdentifier: aws.String("light"), WeightFactor: aws.Float32(0.25)},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q"), Priority: aws.Int32(1), SchedulingPolicyArn: sp.Arn,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}},
	}); err != nil {
		t.Fatal(err)
	}
	// Nothing may start before every job is queued.
	if _, err := c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled}); err != nil {
		t.Fatal(err)
	}
	register(t, c, shellDef("short", "sleep 0.15"))
	share := map[string]string{}
	var ids []string
	for i := 0; i < 8; i++ {
		for _, s := range []string{"heavy", "light"} {
			id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String(s), JobQueue: aws.String("q"), JobDefinition: aws.String("short"), ShareIdentifier: aws.String(s), SchedulingPriorityOverride: aws.Int32(1)})
			share[id] = s
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		waitJob(t, c, id, batchtypes.JobStatusRunnable, 10*time.Second)
	}
	if _, err := c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateEnabled}); err != nil {
		t.Fatal(err)
	}
	type start struct {
		at    int64
		share string
	}
	var starts []start
	for _, id := range ids {
		j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 30*time.Second)
		starts = append(starts, start{aws.ToInt64(j.StartedAt), share[id]})
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].at < starts[j].at })
	light := 0
	for _, s := range starts[:5] {
		if s.share == "light" {
			light++
		}
	}
	// Weights 1 and 0.25 split capacity 1:4: of the first five jobs, four
	// are light's (one is allowed to go either way at the start).
	if light < 3 {
		t.Errorf("of the first 5 jobs started, %d were light's; want at least 3 (order %+v)", light, starts)
	}
}

// GetJobQueueSnapshot's queueUtilization gives the vCPUs the queue's
// running jobs hold, in all and, on a fair-share queue, by share, the
// largest first (Batch API Reference, QueueSnapshotUtilizationDetail).
func TestQueueSnapshotUtilization(t *testing.T) {
	t.Parallel()
	ts := startJobServer(t, func(c *Config) { c.HostVCPUs = 4 })
	c := ts.batch(ts.Root)
	ctx := context.Background()
	unmanagedCE(t, c, "ce")
	sp := call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("fair"), FairsharePolicy: &batchtypes.FairsharePolicy{
		ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("a")}, {ShareIdentifier: aws.String("b")}}}})).ok(t)
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q"), Priority: aws.Int32(1), SchedulingPolicyArn: sp.Arn,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}})).ok(t)
	register(t, c, shellDef("long", "sleep 60"))
	var ids []string
	for share, vcpus := range map[string]string{"a": "1", "b": "2"} {
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String(share), JobQueue: aws.String("q"), JobDefinition: aws.String("long"),
			ShareIdentifier: aws.String(share), SchedulingPriorityOverride: aws.Int32(1), ContainerOverrides: &batchtypes.ContainerOverrides{
				ResourceRequirements: []batchtypes.ResourceRequirement{{Type: batchtypes.ResourceTypeVcpu, Value: aws.String(vcpus)}}}})
		ids = append(ids, id)
	}
	for _, id := range ids {
		waitJob(t, c, id, batchtypes.JobStatusRunning, 30*time.Second)
	}
	snap := call(c.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("q")})).ok(t)
	u := snap.QueueUtilization
	if u == nil || len(u.TotalCapacityUsage) != 1 || aws.ToFloat64(u.TotalCapacityUsage[0].Quantity) != 3 || aws.ToString(u.TotalCapacityUsage[0].CapacityUnit) != "VCPU" {
		t.Fatalf("queueUtilization %+v", u)
	}
	fs := u.FairshareUtilization
	if fs == nil || aws.ToInt64(fs.ActiveShareCount) != 2 || len(fs.TopCapacityUtilization) != 2 {
		t.Fatalf("fairshareUtilization %+v", fs)
	}
	top := fs.TopCapacityUtilization
	if aws.ToString(top[0].ShareIdentifier) != "b" || aws.ToFloat64(top[0].CapacityUsage[0].Quantity) != 2 ||
		aws.ToString(top[1].ShareIdentifier) != "a" || aws.ToFloat64(top[1].CapacityUsage[0].Quantity) != 1 {
		t.Fatalf("topCapacityUtilization %+v %+v", top[0], top[1])
	}
	for _, id := range ids {
		call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(id), Reason: aws.String("done")})).ok(t)
	}
}
