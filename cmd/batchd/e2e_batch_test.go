package main

// End-to-end tests of the AWS Batch API: each resource's lifecycle through
// the SDK's batch client, the domain's validation errors as a user meets
// them, and IAM authorization of the Batch operations (AWS Service
// Authorization Reference, "Actions, resources, and condition keys for AWS
// Batch", restated in shared/reference/batch-authz.md).

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

const (
	acct      = "123456789012"
	batchARN  = "arn:aws:batch:us-east-1:" + acct + ":"
	slrARN    = "arn:aws:iam::" + acct + ":role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
	ecsTrust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	svcTrust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	execPfx   = "Error executing request, Exception : "
	pollLimit = 10 * time.Second
)

// batch returns an AWS Batch client of ts signing with creds; opts adjust
// it (noInputValidation).
func (ts *testServer) batch(creds aws.Credentials, opts ...func(*batch.Options)) *batch.Client {
	return batch.NewFromConfig(ts.awsConfig(creds), append([]func(*batch.Options){func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) }}, opts...)...)
}

// noInputValidation removes the SDK's client-side check of required
// members, so that the request reaches batchd without them.
func noInputValidation(o *batch.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		_, err := s.Initialize.Remove("OperationInputValidation")
		return err
	})
}

// result is a call's output and error, checked by ok.
type result[T any] struct {
	v   T
	err error
}

func call[T any](v T, err error) result[T] { return result[T]{v, err} }

// ok fails the test on the call's error and returns its output.
func (r result[T]) ok(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// deniedMsg is AWS's AccessDeniedException message for an implicit deny
// (explicit false) or an explicit one.
func deniedMsg(user, action, resource string, explicit bool) string {
	m := "User: arn:aws:iam::" + acct + ":user/" + user + " is not authorized to perform: " + action + " on resource: " + resource
	if explicit {
		return m + " with an explicit deny in an identity-based policy"
	}
	return m + " because no identity-based policy allows the " + action + " action"
}

// wantDenied checks that err is Batch's AccessDeniedException with AWS's
// whole message.
func wantDenied(t testing.TB, err error, user, action, resource string, explicit bool) {
	t.Helper()
	want := deniedMsg(user, action, resource, explicit)
	wantAPIError(t, err, "AccessDeniedException", want)
	if got := apiMessage(err); got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
}

func apiMessage(err error) string {
	type msg interface{ ErrorMessage() string }
	for e := err; e != nil; {
		if m, ok := e.(msg); ok {
			return m.ErrorMessage()
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return ""
		}
		e = u.Unwrap()
	}
	return ""
}

// policyDoc is a policy document of the given statements.
func policyDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// describeJob returns one job's detail.
func describeJob(t testing.TB, c *batch.Client, id string) batchtypes.JobDetail {
	t.Helper()
	out := call(c.DescribeJobs(context.Background(), &batch.DescribeJobsInput{Jobs: []string{id}})).ok(t)
	if len(out.Jobs) != 1 {
		t.Fatalf("DescribeJobs %s: %d jobs", id, len(out.Jobs))
	}
	return out.Jobs[0]
}

// waitStatus polls a job until it has status, and returns its detail.
func waitStatus(t testing.TB, c *batch.Client, id string, status batchtypes.JobStatus) batchtypes.JobDetail {
	t.Helper()
	deadline := time.Now().Add(pollLimit)
	for {
		j := describeJob(t, c, id)
		if j.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s) after %v, want %s", id, j.Status, aws.ToString(j.StatusReason), pollLimit, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unmanagedCE creates an UNMANAGED compute environment, the cheapest to
// set up.
func unmanagedCE(t testing.TB, c *batch.Client, name string) string {
	t.Helper()
	out := call(c.CreateComputeEnvironment(context.Background(), &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(name), Type: batchtypes.CETypeUnmanaged,
	})).ok(t)
	return aws.ToString(out.ComputeEnvironmentArn)
}

// fargateCE creates a MANAGED FARGATE compute environment.
func fargateCE(t testing.TB, c *batch.Client, name string) string {
	t.Helper()
	out := call(c.CreateComputeEnvironment(context.Background(), &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(name), Type: batchtypes.CETypeManaged,
		ComputeResources: &batchtypes.ComputeResource{Type: batchtypes.CRTypeFargate, MaxvCpus: aws.Int32(8), Subnets: []string{"subnet-1"}, SecurityGroupIds: []string{"sg-1"}},
	})).ok(t)
	return aws.ToString(out.ComputeEnvironmentArn)
}

// queue creates an ENABLED job queue on compute environment ce.
func queue(t testing.TB, c *batch.Client, name, ce string, tags map[string]string) string {
	t.Helper()
	out := call(c.CreateJobQueue(context.Background(), &batch.CreateJobQueueInput{
		JobQueueName: aws.String(name), Priority: aws.Int32(1), Tags: tags,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(ce)}},
	})).ok(t)
	return aws.ToString(out.JobQueueArn)
}

// containerDef is a minimal EC2 container definition.
func containerDef(name string, cmd ...string) *batch.RegisterJobDefinitionInput {
	return &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(name), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{Image: aws.String("busybox"), Vcpus: aws.Int32(1), Memory: aws.Int32(128), Command: cmd},
	}
}

func register(t testing.TB, c *batch.Client, in *batch.RegisterJobDefinitionInput) string {
	t.Helper()
	return aws.ToString(call(c.RegisterJobDefinition(context.Background(), in)).ok(t).JobDefinitionArn)
}

func submit(t testing.TB, c *batch.Client, in *batch.SubmitJobInput) string {
	t.Helper()
	return aws.ToString(call(c.SubmitJob(context.Background(), in)).ok(t).JobId)
}

func ceNames(ces []batchtypes.ComputeEnvironmentDetail) []string {
	var out []string
	for _, ce := range ces {
		out = append(out, aws.ToString(ce.ComputeEnvironmentName))
	}
	return out
}

func jobIDs(js []batchtypes.JobSummary) []string {
	var out []string
	for _, j := range js {
		out = append(out, aws.ToString(j.JobId))
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// TestBatchComputeEnvironmentLifecycle creates MANAGED EC2, UNMANAGED and
// FARGATE environments, reads them back, updates, disables and deletes
// them.
func TestBatchComputeEnvironmentLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsInstanceRole"), AssumeRolePolicyDocument: aws.String(ec2Trust)})).ok(t)
	call(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")})).ok(t)
	call(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole"), RoleName: aws.String("ecsInstanceRole")})).ok(t)
	c := ts.batch(ts.Root)

	ec2 := call(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("ce-ec2"), Type: batchtypes.CETypeManaged, Tags: map[string]string{"team": "blue"},
		ComputeResources: &batchtypes.ComputeResource{
			Type: batchtypes.CRTypeEc2, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(16), InstanceTypes: []string{"optimal"},
			Subnets: []string{"subnet-1"}, SecurityGroupIds: []string{"sg-1"}, InstanceRole: aws.String("ecsInstanceRole"),
		},
	})).ok(t)
	if aws.ToString(ec2.ComputeEnvironmentArn) != batchARN+"compute-environment/ce-ec2" || aws.ToString(ec2.ComputeEnvironmentName) != "ce-ec2" {
		t.Fatalf("CreateComputeEnvironment = %+v", ec2)
	}
	call(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("ce-unmanaged"), Type: batchtypes.CETypeUnmanaged, UnmanagedvCpus: aws.Int32(4), State: batchtypes.CEStateDisabled,
	})).ok(t)
	fargateCE(t, c, "ce-fargate")
	_, err := c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce-fargate"), Type: batchtypes.CETypeUnmanaged})
	wantAPIError(t, err, "ClientException", "Object already exists")

	got := call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"ce-ec2"}})).ok(t).ComputeEnvironments
	if len(got) != 1 {
		t.Fatalf("Describe ce-ec2: %d", len(got))
	}
	e := got[0]
	if aws.ToString(e.ComputeEnvironmentArn) != batchARN+"compute-environment/ce-ec2" || e.Type != batchtypes.CETypeManaged ||
		e.State != batchtypes.CEStateEnabled || e.Status != batchtypes.CEStatusValid || aws.ToString(e.StatusReason) != "ComputeEnvironment Healthy" ||
		e.ContainerOrchestrationType != batchtypes.OrchestrationTypeEcs || aws.ToString(e.ServiceRole) != slrARN ||
		!strings.HasPrefix(aws.ToString(e.EcsClusterArn), "arn:aws:ecs:us-east-1:"+acct+":cluster/ce-ec2_Batch_") ||
		aws.ToString(e.Uuid) == "" || !strings.HasSuffix(aws.ToString(e.EcsClusterArn), aws.ToString(e.Uuid)) || e.Tags["team"] != "blue" {
		t.Errorf("ce-ec2 = %+v", e)
	}
	if cr := e.ComputeResources; cr == nil || cr.Type != batchtypes.CRTypeEc2 || aws.ToInt32(cr.MinvCpus) != 0 || aws.ToInt32(cr.MaxvCpus) != 16 ||
		cr.DesiredvCpus == nil || aws.ToInt32(cr.DesiredvCpus) != 0 || aws.ToString(cr.InstanceRole) != "arn:aws:iam::"+acct+":instance-profile/ecsInstanceRole" ||
		!slices.Equal(cr.InstanceTypes, []string{"optimal"}) || !slices.Equal(cr.Subnets, []string{"subnet-1"}) ||
		len(cr.Ec2Configuration) != 1 || aws.ToString(cr.Ec2Configuration[0].ImageType) != "ECS_AL2023" {
		t.Errorf("ce-ec2 computeResources = %+v", cr)
	}
	if up := e.UpdatePolicy; up == nil || aws.ToBool(up.TerminateJobsOnUpdate) || aws.ToInt64(up.JobExecutionTimeoutMinutes) != 30 {
		t.Errorf("ce-ec2 updatePolicy = %+v", up)
	}
	// The service-linked role was created for it.
	call(admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForBatch")})).ok(t)

	// By name and ARN, unknown ones left out, in name order.
	got = call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{
		batchARN + "compute-environment/ce-unmanaged", "nope", "ce-fargate", "ce-fargate",
	}})).ok(t).ComputeEnvironments
	if n := ceNames(got); !slices.Equal(n, []string{"ce-fargate", "ce-unmanaged"}) {
		t.Fatalf("Describe by names = %v", n)
	}
	f, u := got[0], got[1]
	if cr := f.ComputeResources; cr == nil || cr.Type != batchtypes.CRTypeFargate || aws.ToInt32(cr.MaxvCpus) != 8 || cr.MinvCpus != nil ||
		len(cr.Ec2Configuration) != 0 || f.UpdatePolicy != nil || !slices.Equal(cr.SecurityGroupIds, []string{"sg-1"}) {
		t.Errorf("ce-fargate = %+v / %+v", f, cr)
	}
	if u.Type != batchtypes.CETypeUnmanaged || u.ComputeResources != nil || aws.ToInt32(u.UnmanagedvCpus) != 4 || u.State != batchtypes.CEStateDisabled {
		t.Errorf("ce-unmanaged = %+v", u)
	}

	// Pagination: two pages in name order.
	p1 := call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{MaxResults: aws.Int32(2)})).ok(t)
	if n := ceNames(p1.ComputeEnvironments); !slices.Equal(n, []string{"ce-ec2", "ce-fargate"}) || p1.NextToken == nil {
		t.Fatalf("page 1 = %v, next %v", n, p1.NextToken)
	}
	p2 := call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{MaxResults: aws.Int32(2), NextToken: p1.NextToken})).ok(t)
	if n := ceNames(p2.ComputeEnvironments); !slices.Equal(n, []string{"ce-unmanaged"}) || p2.NextToken != nil {
		t.Fatalf("page 2 = %v, next %v", n, p2.NextToken)
	}
	var all []string
	for p := batch.NewDescribeComputeEnvironmentsPaginator(c, &batch.DescribeComputeEnvironmentsInput{MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		all = append(all, ceNames(call(p.NextPage(ctx)).ok(t).ComputeEnvironments)...)
	}
	if !slices.Equal(all, []string{"ce-ec2", "ce-fargate", "ce-unmanaged"}) {
		t.Fatalf("paginator = %v", all)
	}

	// Update: state, maxvCpus (desiredvCpus kept in range), unmanagedvCpus.
	up := call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String("ce-ec2"), State: batchtypes.CEStateDisabled,
		ComputeResources: &batchtypes.ComputeResourceUpdate{MaxvCpus: aws.Int32(32), MinvCpus: aws.Int32(2)},
	})).ok(t)
	if aws.ToString(up.ComputeEnvironmentArn) != batchARN+"compute-environment/ce-ec2" {
		t.Errorf("UpdateComputeEnvironment = %+v", up)
	}
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String(batchARN + "compute-environment/ce-fargate"), ComputeResources: &batchtypes.ComputeResourceUpdate{MaxvCpus: aws.Int32(4)},
	})).ok(t)
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-unmanaged"), UnmanagedvCpus: aws.Int32(8)})).ok(t)
	got = call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{})).ok(t).ComputeEnvironments
	if e := got[0]; e.State != batchtypes.CEStateDisabled || aws.ToInt32(e.ComputeResources.MaxvCpus) != 32 ||
		aws.ToInt32(e.ComputeResources.MinvCpus) != 2 || aws.ToInt32(e.ComputeResources.DesiredvCpus) != 2 || e.Status != batchtypes.CEStatusValid {
		t.Errorf("updated ce-ec2 = %+v %+v", e, e.ComputeResources)
	}
	if e := got[1]; aws.ToInt32(e.ComputeResources.MaxvCpus) != 4 || e.State != batchtypes.CEStateEnabled {
		t.Errorf("updated ce-fargate = %+v", e)
	}
	if e := got[2]; aws.ToInt32(e.UnmanagedvCpus) != 8 {
		t.Errorf("updated ce-unmanaged = %+v", e)
	}

	// Delete: only DISABLED ones; a deleted one is gone from Describe.
	call(c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-ec2")})).ok(t)
	_, err = c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-fargate")})
	wantAPIError(t, err, "ClientException", "Compute environment must be in DISABLED state before deletion")
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-fargate"), State: batchtypes.CEStateDisabled})).ok(t)
	call(c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String(batchARN + "compute-environment/ce-fargate")})).ok(t)
	got = call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{})).ok(t).ComputeEnvironments
	if n := ceNames(got); !slices.Equal(n, []string{"ce-unmanaged"}) {
		t.Fatalf("after deletes = %v", n)
	}
	_, err = c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-ec2")})
	wantAPIError(t, err, "ClientException", batchARN+"compute-environment/ce-ec2 does not exist")
	// The name is free again.
	unmanagedCE(t, c, "ce-ec2")
}

// TestBatchJobQueueLifecycle creates a queue, updates its priority, state
// and compute environment order, takes a snapshot, disables and deletes
// it.
func TestBatchJobQueueLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	a := unmanagedCE(t, c, "ce-a")
	b := unmanagedCE(t, c, "ce-b")

	out := call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q1"), Priority: aws.Int32(10), Tags: map[string]string{"team": "blue"},
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce-a")}},
		JobStateTimeLimitActions: []batchtypes.JobStateTimeLimitAction{{
			Action: batchtypes.JobStateTimeLimitActionsActionCancel, MaxTimeSeconds: aws.Int32(600), Reason: aws.String("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"),
			State: batchtypes.JobStateTimeLimitActionsStateRunnable,
		}},
	})).ok(t)
	if aws.ToString(out.JobQueueArn) != batchARN+"job-queue/q1" || aws.ToString(out.JobQueueName) != "q1" {
		t.Fatalf("CreateJobQueue = %+v", out)
	}
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q2"), Priority: aws.Int32(1), State: batchtypes.JQStateDisabled,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(b)}},
	})).ok(t)
	_, err := c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q1"), Priority: aws.Int32(1),
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(b)}},
	})
	wantAPIError(t, err, "ClientException", "Object already exists")

	q := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q1"}})).ok(t).JobQueues
	if len(q) != 1 {
		t.Fatalf("DescribeJobQueues q1: %d", len(q))
	}
	if d := q[0]; aws.ToString(d.JobQueueArn) != batchARN+"job-queue/q1" || aws.ToInt32(d.Priority) != 10 || d.State != batchtypes.JQStateEnabled ||
		d.Status != batchtypes.JQStatusValid || aws.ToString(d.StatusReason) != "JobQueue Healthy" || d.JobQueueType != batchtypes.JobQueueTypeEcs ||
		len(d.ComputeEnvironmentOrder) != 1 || aws.ToString(d.ComputeEnvironmentOrder[0].ComputeEnvironment) != a ||
		aws.ToInt32(d.ComputeEnvironmentOrder[0].Order) != 1 || d.Tags["team"] != "blue" || d.SchedulingPolicyArn != nil ||
		len(d.JobStateTimeLimitActions) != 1 || aws.ToInt32(d.JobStateTimeLimitActions[0].MaxTimeSeconds) != 600 {
		t.Errorf("q1 = %+v", d)
	}
	p1 := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{MaxResults: aws.Int32(1)})).ok(t)
	if len(p1.JobQueues) != 1 || aws.ToString(p1.JobQueues[0].JobQueueName) != "q1" || p1.NextToken == nil {
		t.Fatalf("queues page 1 = %+v", p1)
	}
	p2 := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{MaxResults: aws.Int32(1), NextToken: p1.NextToken})).ok(t)
	if len(p2.JobQueues) != 1 || aws.ToString(p2.JobQueues[0].JobQueueName) != "q2" || p2.JobQueues[0].State != batchtypes.JQStateDisabled || p2.NextToken != nil {
		t.Fatalf("queues page 2 = %+v", p2)
	}

	// Update priority and the compute environments, given out of order:
	// the queue keeps them in ascending order, as ARNs.
	call(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{
		JobQueue: aws.String(batchARN + "job-queue/q1"), Priority: aws.Int32(20),
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{
			{Order: aws.Int32(2), ComputeEnvironment: aws.String("ce-a")},
			{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce-b")},
		},
	})).ok(t)
	d := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q1"}})).ok(t).JobQueues[0]
	if aws.ToInt32(d.Priority) != 20 || len(d.ComputeEnvironmentOrder) != 2 || aws.ToString(d.ComputeEnvironmentOrder[0].ComputeEnvironment) != b ||
		aws.ToInt32(d.ComputeEnvironmentOrder[0].Order) != 1 || aws.ToString(d.ComputeEnvironmentOrder[1].ComputeEnvironment) != a ||
		d.State != batchtypes.JQStateEnabled || len(d.JobStateTimeLimitActions) != 1 {
		t.Errorf("updated q1 = %+v", d)
	}

	snap := call(c.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("q1")})).ok(t)
	if f := snap.FrontOfQueue; f == nil || f.LastUpdatedAt == nil || len(f.Jobs) != 0 {
		t.Errorf("GetJobQueueSnapshot = %+v", f)
	}
	_, err = c.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("nope")})
	wantAPIError(t, err, "ClientException", batchARN+"job-queue/nope does not exist")

	// A compute environment in a queue cannot go; nor can an ENABLED queue.
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-a"), State: batchtypes.CEStateDisabled})).ok(t)
	_, err = c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-a")})
	wantAPIError(t, err, "ClientException", "Cannot delete, found existing JobQueue relationship.")
	_, err = c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q1")})
	wantAPIError(t, err, "ClientException", "Job queue must be in DISABLED state before deletion")

	call(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q1"), State: batchtypes.JQStateDisabled})).ok(t)
	d = call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q1"}})).ok(t).JobQueues[0]
	if d.State != batchtypes.JQStateDisabled || aws.ToInt32(d.Priority) != 20 || len(d.ComputeEnvironmentOrder) != 2 {
		t.Errorf("disabled q1 = %+v", d)
	}
	call(c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String(batchARN + "job-queue/q1")})).ok(t)
	if qs := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q1", "q2"}})).ok(t).JobQueues; len(qs) != 1 || aws.ToString(qs[0].JobQueueName) != "q2" {
		t.Fatalf("after delete = %+v", qs)
	}
	// With the queue gone, its compute environment can go.
	call(c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-a")})).ok(t)
}

// TestBatchJobDefinitionLifecycle registers revisions, describes them every
// way AWS allows and deregisters them.
func TestBatchJobDefinitionLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)

	in := containerDef("jd", "echo", "Ref::msg")
	in.Parameters = map[string]string{"msg": "hi"}
	in.Tags = map[string]string{"team": "blue"}
	in.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(2)}
	r1 := call(c.RegisterJobDefinition(ctx, in)).ok(t)
	if aws.ToString(r1.JobDefinitionArn) != batchARN+"job-definition/jd:1" || aws.ToInt32(r1.Revision) != 1 || aws.ToString(r1.JobDefinitionName) != "jd" {
		t.Fatalf("revision 1 = %+v", r1)
	}
	in.ContainerProperties.Image = aws.String("busybox:2")
	r2 := call(c.RegisterJobDefinition(ctx, in)).ok(t)
	if aws.ToString(r2.JobDefinitionArn) != batchARN+"job-definition/jd:2" || aws.ToInt32(r2.Revision) != 2 {
		t.Fatalf("revision 2 = %+v", r2)
	}
	register(t, c, containerDef("other"))

	revs := func(in *batch.DescribeJobDefinitionsInput) []string {
		t.Helper()
		var out []string
		for _, d := range call(c.DescribeJobDefinitions(ctx, in)).ok(t).JobDefinitions {
			out = append(out, aws.ToString(d.JobDefinitionName)+":"+strconv.Itoa(int(aws.ToInt32(d.Revision)))+":"+aws.ToString(d.Status))
		}
		return out
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String("jd")}); !slices.Equal(got, []string{"jd:2:ACTIVE", "jd:1:ACTIVE"}) {
		t.Fatalf("by jobDefinitionName = %v", got)
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitions: []string{"jd:1"}}); !slices.Equal(got, []string{"jd:1:ACTIVE"}) {
		t.Fatalf("by name:revision = %v", got)
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitions: []string{batchARN + "job-definition/jd:2", "nope:1"}}); !slices.Equal(got, []string{"jd:2:ACTIVE"}) {
		t.Fatalf("by ARN = %v", got)
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitions: []string{"jd", "other"}}); !slices.Equal(got, []string{"jd:2:ACTIVE", "jd:1:ACTIVE", "other:1:ACTIVE"}) {
		t.Fatalf("by names = %v", got)
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{}); !slices.Equal(got, []string{"jd:2:ACTIVE", "jd:1:ACTIVE", "other:1:ACTIVE"}) {
		t.Fatalf("all = %v", got)
	}
	var paged []string
	for p := batch.NewDescribeJobDefinitionsPaginator(c, &batch.DescribeJobDefinitionsInput{MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		for _, d := range call(p.NextPage(ctx)).ok(t).JobDefinitions {
			paged = append(paged, aws.ToString(d.JobDefinitionArn))
		}
	}
	if want := []string{batchARN + "job-definition/jd:2", batchARN + "job-definition/jd:1", batchARN + "job-definition/other:1"}; !slices.Equal(paged, want) {
		t.Fatalf("paginated = %v", paged)
	}

	d := call(c.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{JobDefinitions: []string{"jd:1"}})).ok(t).JobDefinitions[0]
	if aws.ToString(d.Type) != "container" || aws.ToString(d.Status) != "ACTIVE" || !slices.Equal(d.PlatformCapabilities, []batchtypes.PlatformCapability{batchtypes.PlatformCapabilityEc2}) ||
		d.ContainerOrchestrationType != batchtypes.OrchestrationTypeEcs || aws.ToString(d.ContainerProperties.Image) != "busybox" ||
		!slices.Equal(d.ContainerProperties.Command, []string{"echo", "Ref::msg"}) || d.Parameters["msg"] != "hi" || d.Tags["team"] != "blue" ||
		aws.ToInt32(d.RetryStrategy.Attempts) != 2 || aws.ToInt32(d.ContainerProperties.Vcpus) != 1 {
		t.Errorf("jd:1 = %+v", d)
	}

	call(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("jd:1")})).ok(t)
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String("jd"), Status: aws.String("INACTIVE")}); !slices.Equal(got, []string{"jd:1:INACTIVE"}) {
		t.Fatalf("INACTIVE = %v", got)
	}
	if got := revs(&batch.DescribeJobDefinitionsInput{Status: aws.String("ACTIVE")}); !slices.Equal(got, []string{"jd:2:ACTIVE", "other:1:ACTIVE"}) {
		t.Fatalf("ACTIVE = %v", got)
	}
	// Deregistering again is no error.
	call(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("jd:1")})).ok(t)
	call(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String(batchARN + "job-definition/jd:2")})).ok(t)
	if got := revs(&batch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String("jd")}); !slices.Equal(got, []string{"jd:2:INACTIVE", "jd:1:INACTIVE"}) {
		t.Fatalf("after deregistering both = %v", got)
	}
	// Revision numbers are not reused.
	if r3 := call(c.RegisterJobDefinition(ctx, containerDef("jd"))).ok(t); aws.ToInt32(r3.Revision) != 3 {
		t.Fatalf("revision after deregistering = %d", aws.ToInt32(r3.Revision))
	}
	_, err := c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("jd:9")})
	wantAPIError(t, err, "ClientException", batchARN+"job-definition/jd:9 does not exist")
}

// TestBatchSchedulingPolicyLifecycle creates a fair-share policy, updates,
// describes and lists it, and deletes it once no queue uses it.
func TestBatchSchedulingPolicyLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)

	out := call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{
		Name: aws.String("sp"), Tags: map[string]string{"team": "blue"},
		FairsharePolicy: &batchtypes.FairsharePolicy{ShareDecaySeconds: aws.Int32(3600), ComputeReservation: aws.Int32(10), ShareDistribution: []batchtypes.ShareAttributes{
			{ShareIdentifier: aws.String("A"), WeightFactor: aws.Float32(1)},
			{ShareIdentifier: aws.String("B*"), WeightFactor: aws.Float32(0.5)},
		}},
	})).ok(t)
	spARN := batchARN + "scheduling-policy/sp"
	if aws.ToString(out.Arn) != spARN || aws.ToString(out.Name) != "sp" {
		t.Fatalf("CreateSchedulingPolicy = %+v", out)
	}
	_, err := c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp")})
	wantAPIError(t, err, "ClientException", "Object already exists")
	call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp2")})).ok(t)

	got := call(c.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{Arns: []string{spARN, batchARN + "scheduling-policy/nope"}})).ok(t).SchedulingPolicies
	if len(got) != 1 {
		t.Fatalf("DescribeSchedulingPolicies = %+v", got)
	}
	fp := got[0].FairsharePolicy
	if aws.ToString(got[0].Arn) != spARN || aws.ToString(got[0].Name) != "sp" || got[0].Tags["team"] != "blue" || fp == nil ||
		aws.ToInt32(fp.ShareDecaySeconds) != 3600 || aws.ToInt32(fp.ComputeReservation) != 10 || len(fp.ShareDistribution) != 2 ||
		aws.ToString(fp.ShareDistribution[1].ShareIdentifier) != "B*" || aws.ToFloat32(fp.ShareDistribution[1].WeightFactor) != 0.5 {
		t.Errorf("sp = %+v %+v", got[0], fp)
	}

	call(c.UpdateSchedulingPolicy(ctx, &batch.UpdateSchedulingPolicyInput{Arn: aws.String(spARN), FairsharePolicy: &batchtypes.FairsharePolicy{
		ShareDecaySeconds: aws.Int32(7200), ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("C"), WeightFactor: aws.Float32(2)}},
	}})).ok(t)
	fp = call(c.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{Arns: []string{spARN}})).ok(t).SchedulingPolicies[0].FairsharePolicy
	if aws.ToInt32(fp.ShareDecaySeconds) != 7200 || len(fp.ShareDistribution) != 1 || aws.ToString(fp.ShareDistribution[0].ShareIdentifier) != "C" {
		t.Errorf("updated sp = %+v", fp)
	}

	l1 := call(c.ListSchedulingPolicies(ctx, &batch.ListSchedulingPoliciesInput{MaxResults: aws.Int32(1)})).ok(t)
	if len(l1.SchedulingPolicies) != 1 || aws.ToString(l1.SchedulingPolicies[0].Arn) != spARN || l1.NextToken == nil {
		t.Fatalf("list page 1 = %+v", l1)
	}
	l2 := call(c.ListSchedulingPolicies(ctx, &batch.ListSchedulingPoliciesInput{MaxResults: aws.Int32(1), NextToken: l1.NextToken})).ok(t)
	if len(l2.SchedulingPolicies) != 1 || aws.ToString(l2.SchedulingPolicies[0].Arn) != spARN+"2" || l2.NextToken != nil {
		t.Fatalf("list page 2 = %+v", l2)
	}

	// In use by a queue, it cannot be deleted.
	unmanagedCE(t, c, "ce")
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("fair"), Priority: aws.Int32(1), SchedulingPolicyArn: aws.String(spARN),
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}},
	})).ok(t)
	if q := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"fair"}})).ok(t).JobQueues[0]; aws.ToString(q.SchedulingPolicyArn) != spARN {
		t.Errorf("fair queue = %+v", q)
	}
	_, err = c.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)})
	wantAPIError(t, err, "ClientException", "Cannot delete, found existing JobQueue relationship.")
	call(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("fair"), State: batchtypes.JQStateDisabled})).ok(t)
	call(c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("fair")})).ok(t)
	call(c.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)})).ok(t)
	if got := call(c.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{Arns: []string{spARN}})).ok(t).SchedulingPolicies; len(got) != 0 {
		t.Fatalf("after delete = %+v", got)
	}
	_, err = c.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)})
	wantAPIError(t, err, "ClientException", spARN+" does not exist")
}

// TestBatchJobs submits single, array and dependent jobs, follows them
// through the evaluator, lists, cancels and terminates them.
func TestBatchJobs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	// A DISABLED compute environment: the scheduler dispatches nothing, so
	// the jobs stay where the evaluator puts them.
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled})).ok(t)
	qARN := queue(t, c, "q", "ce", nil)
	queue(t, c, "q-other", "ce", nil)
	def := containerDef("echo", "echo", "Ref::msg", "Ref::unset", "Ref::who")
	def.Parameters = map[string]string{"msg": "default", "who": "world"}
	defARN := register(t, c, def)

	// A single job: RUNNABLE once the evaluator has seen it (its compute
	// environment is DISABLED), its command's placeholders substituted.
	sub := call(c.SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: aws.String("single"), JobQueue: aws.String("q"), JobDefinition: aws.String("echo"),
		Parameters: map[string]string{"msg": "hello"}, Tags: map[string]string{"k": "v"},
	})).ok(t)
	single := aws.ToString(sub.JobId)
	if aws.ToString(sub.JobArn) != batchARN+"job/"+single || aws.ToString(sub.JobName) != "single" || len(single) != 36 {
		t.Fatalf("SubmitJob = %+v", sub)
	}
	j := waitStatus(t, c, single, batchtypes.JobStatusRunnable)
	if aws.ToString(j.JobQueue) != qARN || aws.ToString(j.JobDefinition) != defARN || aws.ToString(j.JobName) != "single" ||
		aws.ToString(j.JobArn) != batchARN+"job/"+single || j.CreatedAt == nil || j.StartedAt != nil ||
		j.Parameters["msg"] != "hello" || j.Parameters["who"] != "world" || j.Tags["k"] != "v" {
		t.Errorf("single = %+v", j)
	}
	if ct := j.Container; ct == nil || !slices.Equal(ct.Command, []string{"echo", "hello", "Ref::unset", "world"}) || aws.ToString(ct.Image) != "busybox" {
		t.Errorf("single container = %+v", ct)
	}

	// An array job of 3: the parent PENDING, its children id:0..2 RUNNABLE.
	arr := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("arr-a"), JobQueue: aws.String(qARN), JobDefinition: aws.String(defARN), ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(3)}})
	p := waitStatus(t, c, arr, batchtypes.JobStatusPending)
	if ap := p.ArrayProperties; ap == nil || aws.ToInt32(ap.Size) != 3 || ap.StatusSummary["RUNNABLE"] != 3 || ap.Index != nil {
		t.Errorf("array parent = %+v", ap)
	}
	for i := range 3 {
		id := arr + ":" + strconv.Itoa(i)
		ch := waitStatus(t, c, id, batchtypes.JobStatusRunnable)
		if aws.ToString(ch.JobId) != id || aws.ToInt32(ch.ArrayProperties.Index) != int32(i) || aws.ToString(ch.JobName) != "arr-a" {
			t.Errorf("child %d = %+v", i, ch)
		}
		env := map[string]string{}
		for _, kv := range ch.Container.Environment {
			env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
		}
		if env["AWS_BATCH_JOB_ARRAY_INDEX"] != strconv.Itoa(i) {
			t.Errorf("child %d environment = %v", i, env)
		}
	}
	children := call(c.ListJobs(ctx, &batch.ListJobsInput{ArrayJobId: aws.String(arr), JobStatus: batchtypes.JobStatusRunnable})).ok(t)
	if got := jobIDs(children.JobSummaryList); !slices.Equal(got, []string{arr + ":0", arr + ":1", arr + ":2"}) {
		t.Errorf("ListJobs arrayJobId = %v", got)
	}

	// N_TO_N on that array, and a SEQUENTIAL array: PENDING.
	nton := submit(t, c, &batch.SubmitJobInput{
		JobName: aws.String("arr-n"), JobQueue: aws.String("q"), JobDefinition: aws.String("echo:1"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(3)},
		DependsOn:       []batchtypes.JobDependency{{JobId: aws.String(arr), Type: batchtypes.ArrayJobDependencyNToN}},
	})
	seq := submit(t, c, &batch.SubmitJobInput{
		JobName: aws.String("arr-s"), JobQueue: aws.String("q"), JobDefinition: aws.String("echo"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(3)},
		DependsOn:       []batchtypes.JobDependency{{Type: batchtypes.ArrayJobDependencySequential}},
	})
	waitStatus(t, c, nton, batchtypes.JobStatusPending)
	waitStatus(t, c, seq, batchtypes.JobStatusPending)
	for i := range 3 {
		ch := waitStatus(t, c, nton+":"+strconv.Itoa(i), batchtypes.JobStatusPending)
		if len(ch.DependsOn) != 1 || aws.ToString(ch.DependsOn[0].JobId) != arr+":"+strconv.Itoa(i) || ch.DependsOn[0].Type != batchtypes.ArrayJobDependencyNToN {
			t.Errorf("N_TO_N child %d dependsOn = %+v", i, ch.DependsOn)
		}
	}
	waitStatus(t, c, seq+":0", batchtypes.JobStatusRunnable)
	waitStatus(t, c, seq+":1", batchtypes.JobStatusPending)
	waitStatus(t, c, seq+":2", batchtypes.JobStatusPending)
	// A job depending on the single one: PENDING.
	dep := submit(t, c, &batch.SubmitJobInput{
		JobName: aws.String("dependent"), JobQueue: aws.String("q"), JobDefinition: aws.String("echo"),
		DependsOn: []batchtypes.JobDependency{{JobId: aws.String(single)}},
	})
	if d := waitStatus(t, c, dep, batchtypes.JobStatusPending); len(d.DependsOn) != 1 || aws.ToString(d.DependsOn[0].JobId) != single {
		t.Errorf("dependent = %+v", d.DependsOn)
	}
	time.Sleep(5 * time.Millisecond)
	late := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("Late"), JobQueue: aws.String("q"), JobDefinition: aws.String("echo")})
	waitStatus(t, c, late, batchtypes.JobStatusRunnable)
	other := submit(t, c, &batch.SubmitJobInput{
		JobName: aws.String("single"), JobQueue: aws.String("q-other"), JobDefinition: aws.String("echo"),
		ContainerOverrides: &batchtypes.ContainerOverrides{Command: []string{"printf", "Ref::who"}, Environment: []batchtypes.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}}},
	})
	if o := waitStatus(t, c, other, batchtypes.JobStatusRunnable); !slices.Equal(o.Container.Command, []string{"printf", "world"}) ||
		len(o.Container.Environment) != 1 || aws.ToString(o.Container.Environment[0].Name) != "A" {
		t.Errorf("overridden container = %+v", o.Container)
	}

	// ListJobs by queue and status: children are not listed with the queue.
	list := func(in *batch.ListJobsInput) []string {
		t.Helper()
		return jobIDs(call(c.ListJobs(ctx, in)).ok(t).JobSummaryList)
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: batchtypes.JobStatusRunnable}); !slices.Equal(got, sorted(single, late)) {
		t.Errorf("RUNNABLE = %v", got)
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String(qARN), JobStatus: batchtypes.JobStatusPending}); !slices.Equal(got, sorted(arr, nton, seq, dep)) {
		t.Errorf("PENDING = %v", got)
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q")}); len(got) != 0 {
		t.Errorf("no status (RUNNING) = %v", got)
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("JOB_NAME"), Values: []string{"arr*"}}}}); !slices.Equal(got, sorted(arr, nton, seq)) {
		t.Errorf("JOB_NAME arr* = %v", got)
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("JOB_NAME"), Values: []string{"SINGLE"}}}}); !slices.Equal(got, []string{single}) {
		t.Errorf("JOB_NAME SINGLE = %v", got)
	}
	depCreated := aws.ToInt64(describeJob(t, c, dep).CreatedAt)
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("AFTER_CREATED_AT"), Values: []string{strconv.FormatInt(depCreated, 10)}}}}); !slices.Equal(got, []string{late}) {
		t.Errorf("AFTER_CREATED_AT = %v", got)
	}
	lateCreated := aws.ToInt64(describeJob(t, c, late).CreatedAt)
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("BEFORE_CREATED_AT"), Values: []string{strconv.FormatInt(lateCreated, 10)}}}}); !slices.Equal(got, sorted(single, arr, nton, seq, dep)) {
		t.Errorf("BEFORE_CREATED_AT = %v", got)
	}
	for _, v := range []string{"echo", "ech*", "echo:1", defARN} {
		if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("JOB_DEFINITION"), Values: []string{v}}}}); !slices.Equal(got, sorted(single, arr, nton, seq, dep, late)) {
			t.Errorf("JOB_DEFINITION %s = %v", v, got)
		}
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("JOB_DEFINITION"), Values: []string{"echo:2"}}}}); len(got) != 0 {
		t.Errorf("JOB_DEFINITION echo:2 = %v", got)
	}
	// Newest first, a page at a time.
	pg := call(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: batchtypes.JobStatusRunnable, MaxResults: aws.Int32(1)})).ok(t)
	if len(pg.JobSummaryList) != 1 || aws.ToString(pg.JobSummaryList[0].JobId) != late || pg.NextToken == nil {
		t.Fatalf("page 1 = %+v", pg)
	}
	if s := pg.JobSummaryList[0]; s.Status != batchtypes.JobStatusRunnable || aws.ToString(s.JobName) != "Late" || aws.ToString(s.JobDefinition) != defARN {
		t.Errorf("summary = %+v", s)
	}
	pg = call(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: batchtypes.JobStatusRunnable, MaxResults: aws.Int32(1), NextToken: pg.NextToken})).ok(t)
	if len(pg.JobSummaryList) != 1 || aws.ToString(pg.JobSummaryList[0].JobId) != single || pg.NextToken != nil {
		t.Fatalf("page 2 = %+v", pg)
	}

	// CancelJob: FAILED with the reason; its dependent fails after it.
	call(c.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(single), Reason: aws.String("no longer needed")})).ok(t)
	j = waitStatus(t, c, single, batchtypes.JobStatusFailed)
	if aws.ToString(j.StatusReason) != "no longer needed" || !aws.ToBool(j.IsCancelled) || j.StoppedAt == nil {
		t.Errorf("cancelled = %+v", j)
	}
	if d := waitStatus(t, c, dep, batchtypes.JobStatusFailed); aws.ToString(d.StatusReason) != "Dependent Job failed" {
		t.Errorf("dependent = %s", aws.ToString(d.StatusReason))
	}
	// TerminateJob of the array: its children and the parent fail, and so
	// does the N_TO_N array waiting on them.
	call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(arr), Reason: aws.String("stop it")})).ok(t)
	j = waitStatus(t, c, arr, batchtypes.JobStatusFailed)
	if aws.ToString(j.StatusReason) != "stop it" || !aws.ToBool(j.IsTerminated) || j.ArrayProperties.StatusSummary["FAILED"] != 3 {
		t.Errorf("terminated array = %+v %+v", j, j.ArrayProperties)
	}
	// A child that had not reached STARTING is cancelled (API reference,
	// TerminateJob: "Jobs that have not progressed to the STARTING state
	// are cancelled").
	if ch := waitStatus(t, c, arr+":1", batchtypes.JobStatusFailed); aws.ToString(ch.StatusReason) != "stop it" || !aws.ToBool(ch.IsCancelled) {
		t.Errorf("terminated child = %+v", ch)
	}
	if n := waitStatus(t, c, nton, batchtypes.JobStatusFailed); aws.ToString(n.StatusReason) != "Array Child Job failed" {
		t.Errorf("N_TO_N parent = %s", aws.ToString(n.StatusReason))
	}
	call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(late), Reason: aws.String("terminated")})).ok(t)
	if l := waitStatus(t, c, late, batchtypes.JobStatusFailed); !aws.ToBool(l.IsCancelled) || aws.ToString(l.StatusReason) != "terminated" {
		t.Errorf("terminated = %+v", l)
	}
	// Cancelling a finished or unknown job succeeds and changes nothing.
	call(c.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(late), Reason: aws.String("again")})).ok(t)
	call(c.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String("00000000-0000-4000-8000-000000000000"), Reason: aws.String("nobody")})).ok(t)
	// AWS answers 200 to TerminateJob of any ID (aws/aws-cli#2551).
	call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String("Whatever-string"), Reason: aws.String("nobody")})).ok(t)
	if l := describeJob(t, c, late); aws.ToString(l.StatusReason) != "terminated" {
		t.Errorf("re-cancelled = %s", aws.ToString(l.StatusReason))
	}
	if got := list(&batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: batchtypes.JobStatusFailed}); !slices.Equal(got, sorted(single, arr, nton, dep, late)) {
		t.Errorf("FAILED = %v", got)
	}
	// DescribeJobs leaves out unknown IDs.
	if js := call(c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{other, "nope", seq + ":7"}})).ok(t).Jobs; len(js) != 1 || aws.ToString(js[0].JobId) != other {
		t.Errorf("DescribeJobs with unknown IDs = %+v", js)
	}
}

// TestBatchTags tags, untags and lists the tags of each taggable type.
func TestBatchTags(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	ce := unmanagedCE(t, c, "ce")
	q := queue(t, c, "q", "ce", map[string]string{"created": "yes"})
	jd := register(t, c, containerDef("jd"))
	sp := aws.ToString(call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp")})).ok(t).Arn)
	job := batchARN + "job/" + submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})

	for name, arn := range map[string]string{"compute-environment": ce, "job-queue": q, "job-definition": jd, "scheduling-policy": sp, "job": job} {
		t.Run(name, func(t *testing.T) {
			tags := func() map[string]string {
				t.Helper()
				return call(c.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(arn)})).ok(t).Tags
			}
			before := tags()
			call(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"a": "1", "b": "2"}})).ok(t)
			call(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"b": "3"}})).ok(t)
			want := maps.Clone(before)
			if want == nil {
				want = map[string]string{}
			}
			want["a"], want["b"] = "1", "3"
			if got := tags(); !maps.Equal(got, want) {
				t.Fatalf("after tagging = %v, want %v", got, want)
			}
			call(c.UntagResource(ctx, &batch.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a", "absent"}})).ok(t)
			delete(want, "a")
			if got := tags(); !maps.Equal(got, want) {
				t.Fatalf("after untagging = %v, want %v", got, want)
			}
		})
	}
	if got := call(c.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(q)})).ok(t).Tags; got["created"] != "yes" {
		t.Errorf("queue's create-time tag = %v", got)
	}
	// The tags show where the resource is described.
	if d := call(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}})).ok(t).JobQueues[0]; d.Tags["b"] != "3" {
		t.Errorf("queue tags in DescribeJobQueues = %v", d.Tags)
	}
	if d := describeJob(t, c, strings.TrimPrefix(job, batchARN+"job/")); d.Tags["b"] != "3" {
		t.Errorf("job tags in DescribeJobs = %v", d.Tags)
	}
}

// TestBatchValidationErrors runs each request the domain refuses, as a
// user sends it, and checks the ClientException's message.
func TestBatchValidationErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	raw := ts.batch(ts.Root, noInputValidation)
	ceARN := unmanagedCE(t, c, "ce")
	fargateCE(t, c, "ce-fargate")
	queue(t, c, "q", "ce", nil)
	queue(t, c, "fq", "ce-fargate", nil)
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("off"), Priority: aws.Int32(1), State: batchtypes.JQStateDisabled,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}},
	})).ok(t)
	spARN := aws.ToString(call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp")})).ok(t).Arn)
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("fair"), Priority: aws.Int32(1), SchedulingPolicyArn: aws.String(spARN),
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}},
	})).ok(t)
	register(t, c, containerDef("jd"))
	register(t, c, containerDef("gone"))
	call(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("gone:1")})).ok(t)
	job := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})

	order := func(ces ...string) []batchtypes.ComputeEnvironmentOrder {
		var o []batchtypes.ComputeEnvironmentOrder
		for i, ce := range ces {
			o = append(o, batchtypes.ComputeEnvironmentOrder{Order: aws.Int32(int32(i + 1)), ComputeEnvironment: aws.String(ce)})
		}
		return o
	}
	ec2 := func(mod func(*batchtypes.ComputeResource)) *batch.CreateComputeEnvironmentInput {
		cr := &batchtypes.ComputeResource{Type: batchtypes.CRTypeEc2, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(4), InstanceRole: aws.String("ecsInstanceRole"), Subnets: []string{"s"}, SecurityGroupIds: []string{"sg"}}
		mod(cr)
		return &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("new-ce"), Type: batchtypes.CETypeManaged, ComputeResources: cr}
	}
	jdef := func(mod func(*batch.RegisterJobDefinitionInput)) *batch.RegisterJobDefinitionInput {
		in := containerDef("new-jd")
		mod(in)
		return in
	}
	sj := func(mod func(*batch.SubmitJobInput)) *batch.SubmitJobInput {
		in := &batch.SubmitJobInput{JobName: aws.String("new"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")}
		mod(in)
		return in
	}
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		return out
	}
	deps := make([]batchtypes.JobDependency, 21)
	for i := range deps {
		deps[i] = batchtypes.JobDependency{JobId: aws.String(job)}
	}

	cases := []struct {
		name string
		call func() error
		msg  string
	}{
		// Compute environments.
		{"CE bad name", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("bad name!"), Type: batchtypes.CETypeUnmanaged}))
		}, execPfx + "Compute environment name should match valid pattern"},
		{"CE name too long", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String(strings.Repeat("a", 129)), Type: batchtypes.CETypeUnmanaged}))
		}, execPfx + "Compute environment name should match valid pattern"},
		{"CE empty name", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String(""), Type: batchtypes.CETypeUnmanaged}))
		}, execPfx + "computeEnvironmentName is required."},
		{"CE missing name", func() error {
			return errOf(raw.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{Type: batchtypes.CETypeUnmanaged}))
		}, execPfx + "computeEnvironmentName is required."},
		{"CE missing type", func() error {
			return errOf(raw.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x")}))
		}, execPfx + "type is required."},
		{"CE type enum", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: "SELF"}))
		}, execPfx + "type must satisfy enum value set: [MANAGED, UNMANAGED]."},
		{"CE state enum", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged, State: "ON"}))
		}, execPfx + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"CE exists", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeUnmanaged}))
		}, "Object already exists"},
		{"MANAGED without computeResources", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeManaged}))
		}, execPfx + "computeResources is required."},
		{"MANAGED with unmanagedvCpus", func() error {
			in := ec2(func(*batchtypes.ComputeResource) {})
			in.UnmanagedvCpus = aws.Int32(2)
			return errOf(c.CreateComputeEnvironment(ctx, in))
		}, execPfx + "unmanagedvCpus is not applicable for managed Compute Environments"},
		{"UNMANAGED negative unmanagedvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged, UnmanagedvCpus: aws.Int32(-1)}))
		}, execPfx + "unmanagedvCpus must be greater than or equal to 0."},
		{"computeResources type enum", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.Type = "GPU" })))
		}, execPfx + "computeResources.type must satisfy enum value set: [EC2, SPOT, FARGATE, FARGATE_SPOT]."},
		{"computeResources without maxvCpus", func() error {
			return errOf(raw.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.MaxvCpus = nil })))
		}, execPfx + "computeResources.maxvCpus is required."},
		{"EC2 without instanceRole", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.InstanceRole = nil })))
		}, execPfx + "Instance role is required."},
		{"EC2 without minvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.MinvCpus = nil })))
		}, execPfx + "Resource minvCpus is required."},
		{"minvCpus above maxvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.MinvCpus = aws.Int32(8) })))
		}, execPfx + "computeResources.minvCpus must be less than or equal to maxvCpus."},
		{"negative minvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.MinvCpus = aws.Int32(-1) })))
		}, execPfx + "computeResources.minvCpus must be greater than or equal to 0."},
		{"desiredvCpus above maxvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.DesiredvCpus = aws.Int32(5) })))
		}, execPfx + "desiredvCpus should be between minvCpus and maxvCpus."},
		{"bidPercentage on EC2", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.BidPercentage = aws.Int32(50) })))
		}, execPfx + "bidPercentage is only applicable for SPOT compute resources."},
		{"bidPercentage above 100", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) {
				cr.Type, cr.BidPercentage, cr.AllocationStrategy = batchtypes.CRTypeSpot, aws.Int32(101), batchtypes.CRAllocationStrategySpotCapacityOptimized
			})))
		}, execPfx + "computeResources.bidPercentage must be between 0 and 100."},
		{"SPOT without spotIamFleetRole", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.Type = batchtypes.CRTypeSpot })))
		}, "ComputeResources.spotIamFleetRole cannot not be null or empty"},
		{"SPOT with unknown spotIamFleetRole", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) {
				cr.Type, cr.SpotIamFleetRole = batchtypes.CRTypeSpot, aws.String("fleet")
			})))
		}, execPfx + "Role arn:aws:iam::" + acct + ":role/fleet does not exist."},
		{"spotIamFleetRole on EC2", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.SpotIamFleetRole = aws.String("fleet") })))
		}, execPfx + "spotIamFleetRole is only applicable for SPOT compute resources."},
		{"Fargate with desiredvCpus", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) {
				cr.Type, cr.MinvCpus, cr.InstanceRole, cr.DesiredvCpus = batchtypes.CRTypeFargate, nil, nil, aws.Int32(1)
			})))
		}, execPfx + "desiredvCpus is not applicable for Fargate."},
		{"Fargate with instanceRole", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) { cr.Type, cr.MinvCpus = batchtypes.CRTypeFargateSpot, nil })))
		}, execPfx + "instanceRole is not applicable for Fargate."},
		{"Fargate without security groups", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, ec2(func(cr *batchtypes.ComputeResource) {
				cr.Type, cr.MinvCpus, cr.InstanceRole, cr.SecurityGroupIds = batchtypes.CRTypeFargate, nil, nil, nil
			})))
		}, execPfx + "computeResources.securityGroupIds is required."},
		{"unknown serviceRole", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged, ServiceRole: aws.String("nope")}))
		}, execPfx + "Role arn:aws:iam::" + acct + ":role/nope does not exist."},
		{"CE tag key aws:", func() error {
			return errOf(c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged, Tags: map[string]string{"aws:x": "1"}}))
		}, execPfx + "Tag keys starting with 'aws:' are reserved for use by AWS."},
		{"update unknown CE", func() error {
			return errOf(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("nope"), State: batchtypes.CEStateDisabled}))
		}, batchARN + "compute-environment/nope does not exist"},
		{"update CE state enum", func() error {
			return errOf(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: "OFF"}))
		}, execPfx + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"update Fargate minvCpus", func() error {
			return errOf(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce-fargate"), ComputeResources: &batchtypes.ComputeResourceUpdate{MinvCpus: aws.Int32(1)}}))
		}, execPfx + "minvCpus is not applicable for Fargate."},
		{"update UNMANAGED computeResources", func() error {
			return errOf(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), ComputeResources: &batchtypes.ComputeResourceUpdate{MaxvCpus: aws.Int32(1)}}))
		}, execPfx + "computeResources is not applicable for UNMANAGED compute environments."},
		{"delete CE in a queue", func() error {
			return errOf(c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce")}))
		}, "Cannot delete, found existing JobQueue relationship."},
		{"delete unknown CE", func() error {
			return errOf(c.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("nope")}))
		}, batchARN + "compute-environment/nope does not exist"},
		{"describe CEs with names and maxResults", func() error {
			return errOf(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"ce"}, MaxResults: aws.Int32(1)}))
		}, execPfx + "ComputeEnvironments and MaxResults cannot both be set"},
		{"describe 101 CEs", func() error {
			return errOf(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: ids(101)}))
		}, execPfx + "computeEnvironments must have length less than or equal to 100."},
		{"describe queues with names and maxResults", func() error {
			return errOf(c.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}, MaxResults: aws.Int32(1)}))
		}, execPfx + "JobQueues and MaxResults cannot both be set"},
		{"list policies maxResults 0", func() error {
			return errOf(c.ListSchedulingPolicies(ctx, &batch.ListSchedulingPoliciesInput{MaxResults: aws.Int32(0)}))
		}, execPfx + "maxResults must be between 1 and 1000."},
		{"describe CEs maxResults 0", func() error {
			return errOf(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{MaxResults: aws.Int32(0)}))
		}, execPfx + "maxResults must be between 1 and 100."},
		{"describe CEs bad nextToken", func() error {
			return errOf(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{NextToken: aws.String("!!")}))
		}, execPfx + "nextToken is not valid."},

		// Job queues.
		{"queue bad name", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("q/1"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce")}))
		}, execPfx + "Job Queue name should match a valid pattern."},
		{"queue missing priority", func() error {
			return errOf(raw.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), ComputeEnvironmentOrder: order("ce")}))
		}, execPfx + "priority is required."},
		{"queue priority above 1000", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1001), ComputeEnvironmentOrder: order("ce")}))
		}, execPfx + "priority must be between 0 and 1000."},
		{"queue negative priority", func() error {
			return errOf(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), Priority: aws.Int32(-1)}))
		}, execPfx + "priority must be between 0 and 1000."},
		{"queue state enum", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), State: "PAUSED", ComputeEnvironmentOrder: order("ce")}))
		}, execPfx + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"queue without compute environments", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1)}))
		}, execPfx + "computeEnvironmentOrder is required."},
		{"queue unknown compute environment", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("nope")}))
		}, batchARN + "compute-environment/nope does not exist"},
		{"queue with 4 compute environments", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce", "ce", "ce", "ce")}))
		}, execPfx + "computeEnvironmentOrder must have length less than or equal to 3."},
		{"queue with a compute environment twice", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce", ceARN)}))
		}, execPfx + "computeEnvironmentOrder compute environments must be unique."},
		{"queue mixing EC2 and Fargate", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce", "ce-fargate")}))
		}, execPfx + "Fargate and EC2 compute environments can not be mixed."},
		{"queue unknown scheduling policy", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce"), SchedulingPolicyArn: aws.String(batchARN + "scheduling-policy/nope")}))
		}, batchARN + "scheduling-policy/nope does not exist"},
		{"queue time limit below 600", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce"),
				JobStateTimeLimitActions: []batchtypes.JobStateTimeLimitAction{{Action: "CANCEL", MaxTimeSeconds: aws.Int32(60), Reason: aws.String("r"), State: "RUNNABLE"}}}))
		}, execPfx + "jobStateTimeLimitActions[0].maxTimeSeconds must be between 600 and 86400."},
		{"queue exists", func() error {
			return errOf(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("q"), Priority: aws.Int32(1), ComputeEnvironmentOrder: order("ce")}))
		}, "Object already exists"},
		{"update unknown queue", func() error {
			return errOf(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("nope"), Priority: aws.Int32(1)}))
		}, batchARN + "job-queue/nope does not exist"},
		{"update FIFO queue with a scheduling policy", func() error {
			return errOf(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), SchedulingPolicyArn: aws.String(spARN)}))
		}, execPfx + "schedulingPolicyArn cannot be set on a first in, first out (FIFO) job queue."},
		{"update queue to Fargate", func() error {
			return errOf(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), ComputeEnvironmentOrder: order("ce-fargate")}))
		}, execPfx + "computeEnvironmentOrder cannot mix compute environments of types ECS and ECS_FARGATE."},
		{"delete ENABLED queue", func() error {
			return errOf(c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q")}))
		}, "Job queue must be in DISABLED state before deletion"},
		{"delete unknown queue", func() error {
			return errOf(c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("nope")}))
		}, batchARN + "job-queue/nope does not exist"},

		// Job definitions.
		{"definition bad name", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.JobDefinitionName = aws.String("jd:1") })))
		}, execPfx + "Job definition name should match valid pattern"},
		{"definition missing type", func() error {
			return errOf(raw.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.Type = "" })))
		}, execPfx + "type is required."},
		{"definition type enum", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.Type = "docker" })))
		}, execPfx + "type must satisfy enum value set: [container, multinode]."},
		{"definition without container", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties = nil })))
		}, execPfx + "One of containerProperties, ecsProperties or eksProperties is required for a container job definition."},
		{"definition without image", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties.Image = nil })))
		}, execPfx + "containerProperties.image is required."},
		{"definition without vCPU", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties.Vcpus = nil })))
		}, execPfx + "vCPU is not provided."},
		{"definition without memory", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties.Memory = nil })))
		}, execPfx + "Memory is not provided."},
		{"definition memory below 4 MiB", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.ContainerProperties.Memory = aws.Int32(2) })))
		}, execPfx + "containerProperties.memory must be at least 4 MiB."},
		{"definition platform enum", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.PlatformCapabilities = []batchtypes.PlatformCapability{"LAMBDA"}
			})))
		}, execPfx + "platformCapabilities[0] must satisfy enum value set: [EC2, FARGATE]."},
		{"Fargate definition with vcpus", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.PlatformCapabilities = []batchtypes.PlatformCapability{batchtypes.PlatformCapabilityFargate}
			})))
		}, execPfx + "vcpus is not applicable for Fargate."},
		{"Fargate definition with an unsupported vCPU", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.PlatformCapabilities = []batchtypes.PlatformCapability{batchtypes.PlatformCapabilityFargate}
				in.ContainerProperties.Vcpus, in.ContainerProperties.Memory = nil, nil
				in.ContainerProperties.ResourceRequirements = []batchtypes.ResourceRequirement{{Type: batchtypes.ResourceTypeVcpu, Value: aws.String("3")}, {Type: batchtypes.ResourceTypeMemory, Value: aws.String("2048")}}
			})))
		}, execPfx + "containerProperties.resourceRequirements VCPU value 3 is not supported for Fargate; use 0.25, 0.5, 1, 2, 4, 8 or 16."},
		{"definition retry attempts 11", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(11)}
			})))
		}, execPfx + "retryStrategy.attempts must be between 1 and 10."},
		{"definition retry without attempts", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.RetryStrategy = &batchtypes.RetryStrategy{} })))
		}, execPfx + "RetryAttempts must be provided with retry strategy"},
		{"definition timeout below 60", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.Timeout = &batchtypes.JobTimeout{AttemptDurationSeconds: aws.Int32(30)}
			})))
		}, execPfx + "timeout.attemptDurationSeconds must be at least 60 seconds."},
		{"definition schedulingPriority 10000", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) { in.SchedulingPriority = aws.Int32(10000) })))
		}, execPfx + "schedulingPriority must be between 0 and 9999."},
		{"definition AWS_BATCH variable", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.ContainerProperties.Environment = []batchtypes.KeyValuePair{{Name: aws.String("AWS_BATCH_X"), Value: aws.String("1")}}
			})))
		}, execPfx + "containerProperties.environment[0].name cannot start with AWS_BATCH."},
		{"definition unknown job role", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.ContainerProperties.JobRoleArn = aws.String("arn:aws:iam::" + acct + ":role/nope")
			})))
		}, execPfx + "Role arn:aws:iam::" + acct + ":role/nope does not exist."},
		{"definition over 24 KiB", func() error {
			return errOf(c.RegisterJobDefinition(ctx, jdef(func(in *batch.RegisterJobDefinitionInput) {
				in.Parameters = map[string]string{"big": strings.Repeat("x", 25*1024)}
			})))
		}, execPfx + "Job definition size"},
		{"deregister without revision", func() error {
			return errOf(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("jd")}))
		}, execPfx + "jobDefinition must be name:revision or the ARN of a revision."},
		{"deregister unknown", func() error {
			return errOf(c.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("nope:1")}))
		}, batchARN + "job-definition/nope:1 does not exist"},
		{"describe definitions with names and maxResults", func() error {
			return errOf(c.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{JobDefinitions: []string{"jd"}, MaxResults: aws.Int32(1)}))
		}, execPfx + "JobDefinitions and MaxResults cannot both be set"},

		// Scheduling policies.
		{"policy bad name", func() error {
			return errOf(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp!")}))
		}, execPfx + "Scheduling policy name should match a valid pattern."},
		{"policy shareDecaySeconds above a week", func() error {
			return errOf(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("x"), FairsharePolicy: &batchtypes.FairsharePolicy{ShareDecaySeconds: aws.Int32(604801)}}))
		}, execPfx + "fairsharePolicy.shareDecaySeconds must be between 0 and 604800."},
		{"policy computeReservation 100", func() error {
			return errOf(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("x"), FairsharePolicy: &batchtypes.FairsharePolicy{ComputeReservation: aws.Int32(100)}}))
		}, execPfx + "fairsharePolicy.computeReservation must be between 0 and 99."},
		{"policy weightFactor 0", func() error {
			return errOf(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("x"), FairsharePolicy: &batchtypes.FairsharePolicy{
				ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("A"), WeightFactor: aws.Float32(0)}},
			}}))
		}, execPfx + "Weight factor should be between 0.0001 and 999.9999."},
		{"policy overlapping shares", func() error {
			return errOf(c.UpdateSchedulingPolicy(ctx, &batch.UpdateSchedulingPolicyInput{Arn: aws.String(spARN), FairsharePolicy: &batchtypes.FairsharePolicy{
				ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("UserA*")}, {ShareIdentifier: aws.String("UserA1")}},
			}}))
		}, execPfx + "fairsharePolicy.shareDistribution share identifiers UserA* and UserA1 overlap."},
		{"policy share identifier with a dash", func() error {
			return errOf(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("x"), FairsharePolicy: &batchtypes.FairsharePolicy{
				ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("a-b")}},
			}}))
		}, execPfx + "ShareIdentifier name should match a valid pattern."},
		{"update unknown policy", func() error {
			return errOf(c.UpdateSchedulingPolicy(ctx, &batch.UpdateSchedulingPolicyInput{Arn: aws.String(batchARN + "scheduling-policy/nope")}))
		}, batchARN + "scheduling-policy/nope does not exist"},
		{"delete policy in use", func() error {
			return errOf(c.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)}))
		}, "Cannot delete, found existing JobQueue relationship."},
		{"describe policies without ARNs", func() error {
			return errOf(raw.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{}))
		}, execPfx + "arns is required."},

		// Jobs.
		{"job bad name", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobName = aws.String("-x") })))
		}, execPfx + "Job name should match valid pattern"},
		{"job missing queue", func() error {
			return errOf(raw.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue = nil })))
		}, execPfx + "jobQueue is required."},
		{"job unknown queue", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue = aws.String("nope") })))
		}, "JobQueue nope not found."},
		{"job DISABLED queue", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue = aws.String("off") })))
		}, execPfx + "JobQueue " + batchARN + "job-queue/off is not in ENABLED state."},
		{"job EC2 definition on a Fargate queue", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue = aws.String("fq") })))
		}, execPfx + "Job definition " + batchARN + "job-definition/jd:1 with platformCapabilities [EC2] can't be submitted to job queue " + batchARN + "job-queue/fq, whose compute environments are of type FARGATE or FARGATE_SPOT."},
		{"job unknown definition", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobDefinition = aws.String("nope") })))
		}, "JobDefinition name nope does not exist or is not in ACTIVE status"},
		{"job INACTIVE definition", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobDefinition = aws.String("gone") })))
		}, "JobDefinition name gone does not exist or is not in ACTIVE status"},
		{"job unknown definition revision", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobDefinition = aws.String("jd:7") })))
		}, "JobDefinition jd:7 not found."},
		{"job array of 1", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.ArrayProperties = &batchtypes.ArrayProperties{Size: aws.Int32(1)} })))
		}, execPfx + "Array size must be between 2 and 10000."},
		{"job array of 10001", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.ArrayProperties = &batchtypes.ArrayProperties{Size: aws.Int32(10001)}
			})))
		}, execPfx + "Array size must be between 2 and 10000."},
		{"job with 21 dependencies", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.DependsOn = deps })))
		}, execPfx + "Job cannot have more than 20 dependencies"},
		{"job depending on an unknown job", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.DependsOn = []batchtypes.JobDependency{{JobId: aws.String("nope")}} })))
		}, execPfx + "Dependency job nope does not exist."},
		{"N_TO_N on a single job", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.DependsOn = []batchtypes.JobDependency{{JobId: aws.String(job), Type: batchtypes.ArrayJobDependencyNToN}}
			})))
		}, execPfx + "N_TO_N dependency can only be specified for an array job."},
		{"N_TO_N of another size", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.ArrayProperties = &batchtypes.ArrayProperties{Size: aws.Int32(2)}
				in.DependsOn = []batchtypes.JobDependency{{JobId: aws.String(job), Type: batchtypes.ArrayJobDependencyNToN}}
			})))
		}, execPfx + "N_TO_N dependency " + job + " must be an array job of the same size."},
		{"SEQUENTIAL with a jobId", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.ArrayProperties = &batchtypes.ArrayProperties{Size: aws.Int32(2)}
				in.DependsOn = []batchtypes.JobDependency{{JobId: aws.String(job), Type: batchtypes.ArrayJobDependencySequential}}
			})))
		}, execPfx + "SEQUENTIAL dependency cannot specify a jobId."},
		{"SEQUENTIAL on a single job", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.DependsOn = []batchtypes.JobDependency{{Type: batchtypes.ArrayJobDependencySequential}}
			})))
		}, execPfx + "SEQUENTIAL dependency can only be specified for an array job."},
		{"dependency type enum", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.DependsOn = []batchtypes.JobDependency{{JobId: aws.String(job), Type: "ALL"}}
			})))
		}, execPfx + "dependsOn[0].type must satisfy enum value set: [N_TO_N, SEQUENTIAL]."},
		{"shareIdentifier on a FIFO queue", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.ShareIdentifier = aws.String("A") })))
		}, execPfx + "shareIdentifier can only be specified for a job queue with a fair share scheduling policy."},
		{"fair-share queue without shareIdentifier", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue = aws.String("fair") })))
		}, "shareIdentifier must be specified."},
		{"fair-share queue without a priority", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.JobQueue, in.ShareIdentifier = aws.String("fair"), aws.String("A") })))
		}, "Either schedulingPriority in job definition or schedulingPriorityOverride should be specified."},
		{"schedulingPriorityOverride 10000", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.JobQueue, in.ShareIdentifier, in.SchedulingPriorityOverride = aws.String("fair"), aws.String("A"), aws.Int32(10000)
			})))
		}, execPfx + "schedulingPriorityOverride must be between 0 and 9999."},
		{"job timeout below 60", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.Timeout = &batchtypes.JobTimeout{AttemptDurationSeconds: aws.Int32(59)}
			})))
		}, execPfx + "Timeout attemptDurationSeconds must be at least 60 seconds."},
		{"job override AWS_BATCH variable", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) {
				in.ContainerOverrides = &batchtypes.ContainerOverrides{Environment: []batchtypes.KeyValuePair{{Name: aws.String("AWS_BATCH_JOB_ID"), Value: aws.String("x")}}}
			})))
		}, execPfx + "Environment variable AWS_BATCH_JOB_ID cannot start with AWS_BATCH."},
		{"job payload over 30 KiB", func() error {
			return errOf(c.SubmitJob(ctx, sj(func(in *batch.SubmitJobInput) { in.Parameters = map[string]string{"big": strings.Repeat("x", 31*1024)} })))
		}, execPfx + "Job size must be less than 30 KiB, got 32 KiB"},
		{"describe 101 jobs", func() error {
			return errOf(c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: ids(101)}))
		}, execPfx + "Maximum number of jobs supported is  100 ."},
		{"list without queue", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{}))
		}, execPfx + "Exactly one of jobQueue, arrayJobId or multiNodeJobId must be specified."},
		{"list unknown queue", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("nope")}))
		}, "JobQueue nope not found."},
		{"list status enum", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: "DONE"}))
		}, execPfx + "jobStatus must satisfy enum value set: [SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED]."},
		{"list two filters", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{
				{Name: aws.String("JOB_NAME"), Values: []string{"a"}}, {Name: aws.String("JOB_NAME"), Values: []string{"b"}},
			}}))
		}, execPfx + "Only one filter can be used at a time."},
		{"list unknown filter", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("STATUS"), Values: []string{"a"}}}}))
		}, execPfx + "Filter name STATUS is not supported."},
		{"list AFTER_CREATED_AT not a time", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("AFTER_CREATED_AT"), Values: []string{"yesterday"}}}}))
		}, execPfx + "Value yesterday is not valid for filter AFTER_CREATED_AT."},
		{"list maxResults 0", func() error {
			return errOf(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), MaxResults: aws.Int32(0)}))
		}, execPfx + "maxResults must be at least 1."},
		{"cancel without reason", func() error {
			return errOf(c.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(job), Reason: aws.String("")}))
		}, execPfx + "reason is required."},
		{"terminate with a long reason", func() error {
			return errOf(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(job), Reason: aws.String(strings.Repeat("r", 1025))}))
		}, execPfx + "reason must have length less than or equal to 1024."},

		// Tags.
		{"tag unknown resource", func() error {
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "job-queue/nope"), Tags: map[string]string{"a": "b"}}))
		}, batchARN + "job-queue/nope does not exist"},
		{"tag a definition without revision", func() error {
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "job-definition/jd"), Tags: map[string]string{"a": "b"}}))
		}, batchARN + "job-definition/jd does not exist"},
		{"tag key aws:", func() error {
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(ceARN), Tags: map[string]string{"AWS:x": "b"}}))
		}, execPfx + "Tag keys starting with 'aws:' are reserved for use by AWS."},
		{"tag value too long", func() error {
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(ceARN), Tags: map[string]string{"k": strings.Repeat("v", 257)}}))
		}, execPfx + "tags[k] must have length less than or equal to 256."},
		{"tag an array child", func() error {
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "job/" + job + ":1"), Tags: map[string]string{"a": "b"}}))
		}, execPfx + "ARNs for child jobs of array and multi-node parallel (MNP) jobs aren't supported: " + batchARN + "job/" + job + ":1"},
		{"untag without keys", func() error {
			return errOf(raw.UntagResource(ctx, &batch.UntagResourceInput{ResourceArn: aws.String(ceARN)}))
		}, execPfx + "tagKeys is required."},
		{"51 tags", func() error {
			tags := map[string]string{}
			for i := range 51 {
				tags["k"+strconv.Itoa(i)] = "v"
			}
			return errOf(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(ceARN), Tags: tags}))
		}, execPfx + "tags must have length less than or equal to 50."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantAPIError(t, err, "ClientException", tc.msg)
			if got := apiMessage(err); !strings.HasPrefix(got, tc.msg) {
				t.Fatalf("message = %q, want it to begin %q", got, tc.msg)
			}
		})
	}
	// None of them changed anything.
	if got := ceNames(call(c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{})).ok(t).ComputeEnvironments); !slices.Equal(got, []string{"ce", "ce-fargate"}) {
		t.Errorf("compute environments = %v", got)
	}
	if got := call(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), Filters: []batchtypes.KeyValuesPair{{Name: aws.String("JOB_NAME"), Values: []string{"*"}}}})).ok(t).JobSummaryList; len(got) != 1 {
		t.Errorf("jobs = %+v", got)
	}
}

// TestBatchDeniedResources runs each Batch operation as a user with no
// policy and checks the action and resource AWS names in the denial.
func TestBatchDeniedResources(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	admin := ts.iam(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, containerDef("jd"))
	register(t, c, containerDef("jd"))
	spARN := aws.ToString(call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp")})).ok(t).Arn)
	job := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})
	n := ts.batch(newUser(t, admin, "nobody"))

	cases := []struct {
		action, resource string
		call             func() error
	}{
		// AWS authorizes before it looks the resource up: an unknown one
		// is denied alike.
		{"DeregisterJobDefinition", batchARN + "job-definition/nope:1", func() error {
			return errOf(n.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("nope:1")}))
		}},
		{"DeregisterJobDefinition", batchARN + "job-definition/nope:2", func() error {
			return errOf(n.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String(batchARN + "job-definition/nope:2")}))
		}},
		{"UpdateJobQueue", batchARN + "job-queue/nope", func() error {
			return errOf(n.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("nope")}))
		}},
		{"TagResource", batchARN + "compute-environment/nope", func() error {
			return errOf(n.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "compute-environment/nope"), Tags: map[string]string{"a": "b"}}))
		}},
		{"CreateComputeEnvironment", batchARN + "compute-environment/x", func() error {
			return errOf(n.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged}))
		}},
		{"UpdateComputeEnvironment", batchARN + "compute-environment/ce", func() error {
			return errOf(n.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce")}))
		}},
		{"DeleteComputeEnvironment", batchARN + "compute-environment/ce", func() error {
			return errOf(n.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String(batchARN + "compute-environment/ce")}))
		}},
		{"DescribeComputeEnvironments", "*", func() error {
			return errOf(n.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{}))
		}},
		{"CreateJobQueue", batchARN + "job-queue/x", func() error {
			return errOf(n.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("x"), Priority: aws.Int32(1),
				ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}}))
		}},
		{"UpdateJobQueue", batchARN + "job-queue/q", func() error {
			return errOf(n.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q")}))
		}},
		{"DeleteJobQueue", batchARN + "job-queue/q", func() error {
			return errOf(n.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q")}))
		}},
		{"DescribeJobQueues", "*", func() error { return errOf(n.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})) }},
		{"GetJobQueueSnapshot", batchARN + "job-queue/q", func() error {
			return errOf(n.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("q")}))
		}},
		{"RegisterJobDefinition", batchARN + "job-definition/x", func() error { return errOf(n.RegisterJobDefinition(ctx, containerDef("x"))) }},
		{"DeregisterJobDefinition", batchARN + "job-definition/jd:1", func() error {
			return errOf(n.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String("jd:1")}))
		}},
		{"DescribeJobDefinitions", "*", func() error { return errOf(n.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{})) }},
		{"SubmitJob", batchARN + "job-queue/q", func() error {
			return errOf(n.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")}))
		}},
		{"DescribeJobs", "*", func() error { return errOf(n.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{job}})) }},
		{"ListJobs", "*", func() error { return errOf(n.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q")})) }},
		{"CancelJob", batchARN + "job/" + job, func() error {
			return errOf(n.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(job), Reason: aws.String("r")}))
		}},
		{"TerminateJob", batchARN + "job/" + job, func() error {
			return errOf(n.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(job), Reason: aws.String("r")}))
		}},
		{"CreateSchedulingPolicy", batchARN + "scheduling-policy/x", func() error {
			return errOf(n.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("x")}))
		}},
		{"UpdateSchedulingPolicy", spARN, func() error {
			return errOf(n.UpdateSchedulingPolicy(ctx, &batch.UpdateSchedulingPolicyInput{Arn: aws.String(spARN)}))
		}},
		{"DeleteSchedulingPolicy", spARN, func() error {
			return errOf(n.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)}))
		}},
		{"DescribeSchedulingPolicies", "*", func() error {
			return errOf(n.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{Arns: []string{spARN}}))
		}},
		{"ListSchedulingPolicies", "*", func() error { return errOf(n.ListSchedulingPolicies(ctx, &batch.ListSchedulingPoliciesInput{})) }},
		{"TagResource", batchARN + "job-queue/q", func() error {
			return errOf(n.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "job-queue/q"), Tags: map[string]string{"a": "b"}}))
		}},
		{"UntagResource", batchARN + "job-definition/jd:2", func() error {
			return errOf(n.UntagResource(ctx, &batch.UntagResourceInput{ResourceArn: aws.String(batchARN + "job-definition/jd:2"), TagKeys: []string{"a"}}))
		}},
		{"ListTagsForResource", batchARN + "job/" + job, func() error {
			return errOf(n.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(batchARN + "job/" + job)}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.action+" "+strings.TrimPrefix(tc.resource, batchARN), func(t *testing.T) {
			wantDenied(t, tc.call(), "nobody", "batch:"+tc.action, tc.resource, false)
		})
	}
	// An explicit deny beats batch:*.
	call(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("all"), PolicyDocument: aws.String(policyDoc(
		`{"Effect":"Allow","Action":"batch:*","Resource":"*"}`,
		`{"Effect":"Deny","Action":"batch:DeleteJobQueue","Resource":"arn:aws:batch:*:*:job-queue/q"}`,
	))})).ok(t)
	call(n.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})).ok(t)
	_, err := n.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q")})
	wantDenied(t, err, "nobody", "batch:DeleteJobQueue", batchARN+"job-queue/q", true)

	// Tags given on create also need batch:TagResource; an EC2
	// environment's capacity tags, batch:SetCapacityTags.
	p := ts.batch(newUser(t, admin, "creator", policyDoc(
		`{"Effect":"Allow","Action":["batch:CreateComputeEnvironment","batch:CreateSchedulingPolicy","batch:RegisterJobDefinition","batch:SubmitJob"],"Resource":"*"}`,
	)))
	tags := map[string]string{"team": "blue"}
	_, err = p.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("t"), Type: batchtypes.CETypeUnmanaged, Tags: tags})
	wantDenied(t, err, "creator", "batch:TagResource", batchARN+"compute-environment/t", false)
	_, err = p.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("t"), Type: batchtypes.CETypeManaged,
		ComputeResources: &batchtypes.ComputeResource{Type: batchtypes.CRTypeEc2, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(4), InstanceRole: aws.String("ecsInstanceRole"),
			Subnets: []string{"s"}, SecurityGroupIds: []string{"sg"}, Tags: tags}})
	wantDenied(t, err, "creator", "batch:SetCapacityTags", batchARN+"compute-environment/t", false)
	_, err = p.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("t"), Tags: tags})
	wantDenied(t, err, "creator", "batch:TagResource", batchARN+"scheduling-policy/t", false)
	in := containerDef("t")
	in.Tags = tags
	_, err = p.RegisterJobDefinition(ctx, in)
	wantDenied(t, err, "creator", "batch:TagResource", batchARN+"job-definition/t", false)
	_, err = p.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("t"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd"), Tags: tags})
	wantDenied(t, err, "creator", "batch:TagResource", batchARN+"job/*", false)
	// Without tags, the same calls go through.
	call(p.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("t")})).ok(t)
	submit(t, p, &batch.SubmitJobInput{JobName: aws.String("t"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})
}

// TestBatchTagConditionedAccess: a user tagged team=blue may submit to and
// update its team's queue only, and create queues only tagged for its team
// (which also needs batch:TagResource). A denial's encoded message
// decodes with sts:DecodeAuthorizationMessage.
func TestBatchTagConditionedAccess(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	admin := ts.iam(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "blue-q", "ce", map[string]string{"team": "blue"})
	queue(t, c, "red-q", "ce", map[string]string{"team": "red"})
	register(t, c, containerDef("jd"))

	bob := newUser(t, admin, "bob", policyDoc(
		`{"Effect":"Allow","Action":["batch:SubmitJob","batch:UpdateJobQueue"],"Resource":"arn:aws:batch:*:*:job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`,
		`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job/*","arn:aws:batch:*:*:job-definition/*"]}`,
		`{"Effect":"Allow","Action":"batch:CreateJobQueue","Resource":"arn:aws:batch:*:*:job-queue/*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}`,
		`{"Effect":"Allow","Action":"batch:CreateJobQueue","Resource":"arn:aws:batch:*:*:compute-environment/*"}`,
	))
	call(admin.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})).ok(t)
	var encoded string
	b := ts.batch(bob, func(o *batch.Options) {
		o.APIOptions = append(o.APIOptions, captureHeader("X-Batchd-Authorization-Message", &encoded))
	})

	submitTo := func(q string) error {
		return errOf(b.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String(q), JobDefinition: aws.String("jd")}))
	}
	if err := submitTo("blue-q"); err != nil {
		t.Fatalf("SubmitJob to blue-q: %v", err)
	}
	if encoded != "" {
		t.Errorf("allowed call carries an authorization message")
	}
	wantDenied(t, submitTo("red-q"), "bob", "batch:SubmitJob", batchARN+"job-queue/red-q", false)
	if encoded == "" {
		t.Fatal("no X-Batchd-Authorization-Message on the denial")
	}
	dec := call(ts.sts(ts.Root).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})).ok(t)
	for _, want := range []string{`"allowed":false`, `"action":"batch:SubmitJob"`, `"resource":"` + batchARN + `job-queue/red-q"`, `"arn":"arn:aws:iam::` + acct + `:user/bob"`} {
		if !strings.Contains(aws.ToString(dec.DecodedMessage), want) {
			t.Errorf("decoded message lacks %s:\n%s", want, aws.ToString(dec.DecodedMessage))
		}
	}

	if err := errOf(b.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("blue-q"), Priority: aws.Int32(5)})); err != nil {
		t.Fatalf("UpdateJobQueue blue-q: %v", err)
	}
	_, err := b.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("red-q"), Priority: aws.Int32(5)})
	wantDenied(t, err, "bob", "batch:UpdateJobQueue", batchARN+"job-queue/red-q", false)
	// Retagging the red queue blue lets bob in.
	call(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(batchARN + "job-queue/red-q"), Tags: map[string]string{"team": "blue"}})).ok(t)
	if err := submitTo("red-q"); err != nil {
		t.Fatalf("SubmitJob to the retagged queue: %v", err)
	}

	// Jobs by their tags: CancelJob on the job's aws:ResourceTag.
	call(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("jobs"), PolicyDocument: aws.String(policyDoc(
		`{"Effect":"Allow","Action":"batch:CancelJob","Resource":"arn:aws:batch:*:*:job/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`,
	))})).ok(t)
	blueJob := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("b"), JobQueue: aws.String("blue-q"), JobDefinition: aws.String("jd"), Tags: map[string]string{"team": "blue"}})
	redJob := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("r"), JobQueue: aws.String("blue-q"), JobDefinition: aws.String("jd"), Tags: map[string]string{"team": "red"}})
	call(b.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(blueJob), Reason: aws.String("mine")})).ok(t)
	_, err = b.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(redJob), Reason: aws.String("theirs")})
	wantDenied(t, err, "bob", "batch:CancelJob", batchARN+"job/"+redJob, false)
	waitStatus(t, c, blueJob, batchtypes.JobStatusFailed)

	create := func(name string, tags map[string]string) error {
		return errOf(b.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String(name), Priority: aws.Int32(1), Tags: tags,
			ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}}))
	}
	wantDenied(t, create("untagged", nil), "bob", "batch:CreateJobQueue", batchARN+"job-queue/untagged", false)
	wantDenied(t, create("red-new", map[string]string{"team": "red"}), "bob", "batch:CreateJobQueue", batchARN+"job-queue/red-new", false)
	// Tagged for bob's team, the create itself is allowed, but tagging on
	// create also needs batch:TagResource.
	wantDenied(t, create("blue-new", map[string]string{"team": "blue"}), "bob", "batch:TagResource", batchARN+"job-queue/blue-new", false)
	call(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("tag"), PolicyDocument: aws.String(policyDoc(
		`{"Effect":"Allow","Action":"batch:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}`,
	))})).ok(t)
	if err := create("blue-new", map[string]string{"team": "blue"}); err != nil {
		t.Fatalf("CreateJobQueue blue-new: %v", err)
	}
	if tags := call(c.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(batchARN + "job-queue/blue-new")})).ok(t).Tags; tags["team"] != "blue" {
		t.Errorf("blue-new tags = %v", tags)
	}
}

// TestBatchJobDefinitionConditionKeys: batch:Privileged, batch:Image and
// batch:User decide RegisterJobDefinition.
func TestBatchJobDefinitionConditionKeys(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	dev := ts.batch(newUser(t, admin, "dev", policyDoc(
		`{"Effect":"Allow","Action":"batch:RegisterJobDefinition","Resource":"arn:aws:batch:*:*:job-definition/*","Condition":{"Bool":{"batch:Privileged":"false"},"StringLike":{"batch:Image":"registry.example.com/*"}}}`,
		`{"Effect":"Deny","Action":"batch:RegisterJobDefinition","Resource":"*","Condition":{"StringEquals":{"batch:User":["root","0"]}}}`,
	)))
	def := func(name, image string, privileged *bool, user *string) *batch.RegisterJobDefinitionInput {
		in := containerDef(name)
		in.ContainerProperties.Image, in.ContainerProperties.Privileged, in.ContainerProperties.User = aws.String(image), privileged, user
		return in
	}
	const img = "registry.example.com/app:1"
	for _, tc := range []struct {
		name       string
		in         *batch.RegisterJobDefinitionInput
		denied     bool
		explicitly bool
	}{
		{"plain", def("plain", img, nil, nil), false, false},
		{"unprivileged", def("unprivileged", img, aws.Bool(false), aws.String("1000")), false, false},
		{"privileged", def("privileged", img, aws.Bool(true), nil), true, false},
		{"other-registry", def("other-registry", "docker.io/library/busybox", nil, nil), true, false},
		{"as-root", def("as-root", img, nil, aws.String("root")), true, true},
		{"as-uid-0", def("as-uid-0", img, nil, aws.String("0")), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dev.RegisterJobDefinition(ctx, tc.in)
			if !tc.denied {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantDenied(t, err, "dev", "batch:RegisterJobDefinition", batchARN+"job-definition/"+tc.name, tc.explicitly)
		})
	}
}

// TestBatchSubmitJobDefinitionResource: SubmitJob is authorized on the job
// definition revision, so a policy must name job-definition/NAME:* (AWS
// Batch User Guide, "Accounting for job definition revisions").
func TestBatchSubmitJobDefinitionResource(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	admin := ts.iam(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	queue(t, c, "q2", "ce", nil)
	for _, n := range []string{"allowed", "other", "plain"} {
		register(t, c, containerDef(n))
	}
	register(t, c, containerDef("allowed"))
	u := ts.batch(newUser(t, admin, "sub", policyDoc(
		`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["`+batchARN+`job-queue/q","`+batchARN+`job-definition/allowed:*","`+batchARN+`job-definition/plain"]}`,
	)))
	sub := func(q, def string) error {
		return errOf(u.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String(q), JobDefinition: aws.String(def)}))
	}
	// No Allow on job/* is needed (User Guide, "Resource: Restrict to a
	// job queue"); a definition named with a revision is
	// job-definition/NAME:REV, one named without is job-definition/NAME
	// (User Guide, "Restrict job submission by resource tags on job
	// definition and job queue": "The *:* pattern in the resource ARN
	// enforces that submissions must include a revision").
	for _, def := range []string{"allowed:1", batchARN + "job-definition/allowed:2", "plain"} {
		if err := sub("q", def); err != nil {
			t.Errorf("SubmitJob %s: %v", def, err)
		}
	}
	wantDenied(t, sub("q", "allowed"), "sub", "batch:SubmitJob", batchARN+"job-definition/allowed", false)
	wantDenied(t, sub("q", "other"), "sub", "batch:SubmitJob", batchARN+"job-definition/other", false)
	wantDenied(t, sub("q", "plain:1"), "sub", "batch:SubmitJob", batchARN+"job-definition/plain:1", false)
	wantDenied(t, sub("q2", "allowed:1"), "sub", "batch:SubmitJob", batchARN+"job-queue/q2", false)
	// An unknown definition is authorized by the ARN the request names,
	// before the operation reports it: a caller learns nothing of
	// definitions it may not use.
	wantDenied(t, sub("q", "nope"), "sub", "batch:SubmitJob", batchARN+"job-definition/nope", false)
	wantAPIError(t, sub("q", "allowed:9"), "ClientException", "JobDefinition allowed:9 not found.")
}

// TestBatchShareIdentifierCondition: batch:ShareIdentifier decides
// SubmitJob to a fair-share queue.
func TestBatchShareIdentifierCondition(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	admin := ts.iam(ts.Root)
	unmanagedCE(t, c, "ce")
	sp := call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp")})).ok(t).Arn
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("fair"), Priority: aws.Int32(1), SchedulingPolicyArn: sp,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}})).ok(t)
	register(t, c, containerDef("jd"))
	u := ts.batch(newUser(t, admin, "sharer", policyDoc(
		`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/fair","Condition":{"StringEquals":{"batch:ShareIdentifier":["blue","green"]}}}`,
		`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-definition/jd:*"}`,
		`{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job/*","Condition":{"StringEquals":{"batch:ShareIdentifier":"green"}}}`,
	)))
	sub := func(share string) error {
		return errOf(u.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("fair"), JobDefinition: aws.String("jd:1"),
			ShareIdentifier: aws.String(share), SchedulingPriorityOverride: aws.Int32(1)}))
	}
	// The request's keys are in the queue's evaluation; an explicit Deny
	// of the job refuses.
	if err := sub("blue"); err != nil {
		t.Fatalf("share blue: %v", err)
	}
	wantDenied(t, sub("red"), "sharer", "batch:SubmitJob", batchARN+"job-queue/fair", false)
	wantDenied(t, sub("green"), "sharer", "batch:SubmitJob", batchARN+"job/*", true)
}

// TestBatchPassRole: a job role must be passable to ecs-tasks.amazonaws.com
// by the caller, and must exist.
func TestBatchPassRole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ok"), Path: aws.String("/batch/"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("/other/"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
	u := ts.batch(newUser(t, admin, "pr", policyDoc(
		`{"Effect":"Allow","Action":"batch:RegisterJobDefinition","Resource":"*"}`,
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/batch/*","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}`,
	)))
	reg := func(role string, exec bool) error {
		in := containerDef("jd")
		if exec {
			in.ContainerProperties.ExecutionRoleArn = aws.String(role)
		} else {
			in.ContainerProperties.JobRoleArn = aws.String(role)
		}
		return errOf(u.RegisterJobDefinition(ctx, in))
	}
	if err := reg("arn:aws:iam::"+acct+":role/batch/ok", false); err != nil {
		t.Fatalf("jobRoleArn in /batch/: %v", err)
	}
	if err := reg("arn:aws:iam::"+acct+":role/batch/ok", true); err != nil {
		t.Fatalf("executionRoleArn in /batch/: %v", err)
	}
	err := reg("arn:aws:iam::"+acct+":role/other/r", false)
	wantDenied(t, err, "pr", "iam:PassRole", "arn:aws:iam::"+acct+":role/other/r", false)
	err = reg("arn:aws:iam::"+acct+":role/other/r", true)
	wantDenied(t, err, "pr", "iam:PassRole", "arn:aws:iam::"+acct+":role/other/r", false)
	wantAPIError(t, reg("arn:aws:iam::"+acct+":role/batch/missing", false), "ClientException", execPfx+"Role arn:aws:iam::"+acct+":role/batch/missing does not exist.")
	// Roles in ecsProperties and in a multinode definition's node ranges
	// are passed alike.
	_, err = u.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("ecs"), Type: batchtypes.JobDefinitionTypeContainer,
		EcsProperties: &batchtypes.EcsProperties{TaskProperties: []batchtypes.EcsTaskProperties{{
			Containers: []batchtypes.TaskContainerProperties{{Image: aws.String("busybox")}}, TaskRoleArn: aws.String("arn:aws:iam::" + acct + ":role/other/r"),
		}}},
	})
	wantDenied(t, err, "pr", "iam:PassRole", "arn:aws:iam::"+acct+":role/other/r", false)
	_, err = u.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("mnp"), Type: batchtypes.JobDefinitionTypeMultinode,
		NodeProperties: &batchtypes.NodeProperties{NumNodes: aws.Int32(2), MainNode: aws.Int32(0), NodeRangeProperties: []batchtypes.NodeRangeProperty{{
			TargetNodes: aws.String("0:1"), Container: &batchtypes.ContainerProperties{Image: aws.String("busybox"), Vcpus: aws.Int32(1), Memory: aws.Int32(128),
				ExecutionRoleArn: aws.String("arn:aws:iam::" + acct + ":role/other/r")},
		}}},
	})
	wantDenied(t, err, "pr", "iam:PassRole", "arn:aws:iam::"+acct+":role/other/r", false)
	call(u.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("ecs"), Type: batchtypes.JobDefinitionTypeContainer,
		EcsProperties: &batchtypes.EcsProperties{TaskProperties: []batchtypes.EcsTaskProperties{{
			Containers: []batchtypes.TaskContainerProperties{{Image: aws.String("busybox")}}, TaskRoleArn: aws.String("arn:aws:iam::" + acct + ":role/batch/ok"),
		}}},
	})).ok(t)

	// A service role named by path and name ("/foo/bar", as the API
	// Reference allows for serviceRole) is the role arn:...:role/foo/bar,
	// for iam:PassRole as for the compute environment: a Deny on it holds.
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc"), Path: aws.String("/restricted/"), AssumeRolePolicyDocument: aws.String(svcTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc2"), Path: aws.String("/open/"), AssumeRolePolicyDocument: aws.String(svcTrust)})).ok(t)
	ce := ts.batch(newUser(t, admin, "cer", policyDoc(
		`{"Effect":"Allow","Action":["batch:*","iam:PassRole"],"Resource":"*"}`,
		`{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/restricted/*"}`,
	)))
	_, err = ce.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeUnmanaged, ServiceRole: aws.String("/restricted/svc")})
	wantDenied(t, err, "cer", "iam:PassRole", "arn:aws:iam::"+acct+":role/restricted/svc", true)
	_, err = ce.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeUnmanaged, ServiceRole: aws.String("restricted/svc")})
	wantDenied(t, err, "cer", "iam:PassRole", "arn:aws:iam::"+acct+":role/restricted/svc", true)
	call(ce.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeUnmanaged, ServiceRole: aws.String("/open/svc2")})).ok(t)
	_, err = ce.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), ServiceRole: aws.String("/restricted/svc")})
	wantDenied(t, err, "cer", "iam:PassRole", "arn:aws:iam::"+acct+":role/restricted/svc", true)
	if got := call(ce.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"ce"}})).ok(t).ComputeEnvironments; len(got) != 1 ||
		aws.ToString(got[0].ServiceRole) != "arn:aws:iam::"+acct+":role/open/svc2" {
		t.Errorf("compute environment = %+v", got)
	}
	if d := call(ts.batch(ts.Root).DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String("jd")})).ok(t).JobDefinitions; len(d) != 2 ||
		aws.ToString(d[0].ContainerProperties.ExecutionRoleArn) != "arn:aws:iam::"+acct+":role/batch/ok" || aws.ToString(d[1].ContainerProperties.JobRoleArn) != "arn:aws:iam::"+acct+":role/batch/ok" {
		t.Errorf("registered = %+v", d)
	}
}

// TestBatchFullAccessManagedPolicy: with AWSBatchFullAccess attached a user
// runs every Batch operation and passes AWSBatchServiceRole, but may not
// pass other roles nor use IAM beyond listing.
func TestBatchFullAccessManagedPolicy(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AWSBatchServiceRole"), AssumeRolePolicyDocument: aws.String(svcTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other-svc"), AssumeRolePolicyDocument: aws.String(svcTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("aws-ec2-spot-fleet-role"), AssumeRolePolicyDocument: aws.String(svcTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsInstanceRole"), AssumeRolePolicyDocument: aws.String(ec2Trust)})).ok(t)
	call(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")})).ok(t)
	call(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole"), RoleName: aws.String("ecsInstanceRole")})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AWSBatchJobRoleApp"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
	opsCreds := newUser(t, admin, "ops")
	call(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ops"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSBatchFullAccess")})).ok(t)
	o := ts.batch(opsCreds)
	const svcRole = "AWSBatchServiceRole"

	call(o.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeManaged, ServiceRole: aws.String(svcRole), Tags: map[string]string{"a": "b"},
		ComputeResources: &batchtypes.ComputeResource{Type: batchtypes.CRTypeEc2, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(4), InstanceRole: aws.String("ecsInstanceRole"),
			Subnets: []string{"s"}, SecurityGroupIds: []string{"sg"}, Tags: map[string]string{"Name": "batch"}},
	})).ok(t)
	_, err := o.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("x"), Type: batchtypes.CETypeUnmanaged, ServiceRole: aws.String("other-svc")})
	wantDenied(t, err, "ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/other-svc", false)
	_, err = o.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), ServiceRole: aws.String("arn:aws:iam::" + acct + ":role/other-svc")})
	wantDenied(t, err, "ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/other-svc", false)
	call(o.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), ComputeResources: &batchtypes.ComputeResourceUpdate{MaxvCpus: aws.Int32(8)}})).ok(t)
	// A SPOT environment's spotIamFleetRole is passed to
	// spotfleet.amazonaws.com: only aws-ec2-spot-fleet-role is allowed.
	spot := func(name, role string) error {
		return errOf(o.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
			ComputeEnvironmentName: aws.String(name), Type: batchtypes.CETypeManaged, ServiceRole: aws.String(svcRole),
			ComputeResources: &batchtypes.ComputeResource{Type: batchtypes.CRTypeSpot, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(4), InstanceRole: aws.String("ecsInstanceRole"),
				Subnets: []string{"s"}, SecurityGroupIds: []string{"sg"}, SpotIamFleetRole: aws.String(role)},
		}))
	}
	wantDenied(t, spot("spot", "other-svc"), "ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/other-svc", false)
	wantDenied(t, spot("spot", "arn:aws:iam::"+acct+":role/other-svc"), "ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/other-svc", false)
	if err := spot("spot", "aws-ec2-spot-fleet-role"); err != nil {
		t.Fatalf("SPOT with aws-ec2-spot-fleet-role: %v", err)
	}
	call(o.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{})).ok(t)
	spARN := aws.ToString(call(o.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("sp"), Tags: map[string]string{"a": "b"}})).ok(t).Arn)
	call(o.UpdateSchedulingPolicy(ctx, &batch.UpdateSchedulingPolicyInput{Arn: aws.String(spARN), FairsharePolicy: &batchtypes.FairsharePolicy{ShareDecaySeconds: aws.Int32(60)}})).ok(t)
	call(o.DescribeSchedulingPolicies(ctx, &batch.DescribeSchedulingPoliciesInput{Arns: []string{spARN}})).ok(t)
	call(o.ListSchedulingPolicies(ctx, &batch.ListSchedulingPoliciesInput{})).ok(t)
	call(o.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("q"), Priority: aws.Int32(1), SchedulingPolicyArn: aws.String(spARN), Tags: map[string]string{"a": "b"},
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}})).ok(t)
	call(o.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), Priority: aws.Int32(2)})).ok(t)
	call(o.DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})).ok(t)
	call(o.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("q")})).ok(t)
	in := containerDef("jd")
	in.SchedulingPriority, in.Tags = aws.Int32(1), map[string]string{"a": "b"}
	in.ContainerProperties.JobRoleArn = aws.String("arn:aws:iam::" + acct + ":role/AWSBatchJobRoleApp")
	jdARN := register(t, o, in)
	in.ContainerProperties.JobRoleArn = aws.String("arn:aws:iam::" + acct + ":role/app")
	_, err = o.RegisterJobDefinition(ctx, in)
	wantDenied(t, err, "ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/app", false)
	call(o.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{})).ok(t)
	j1 := submit(t, o, &batch.SubmitJobInput{JobName: aws.String("j1"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd"), ShareIdentifier: aws.String("A"), Tags: map[string]string{"a": "b"}})
	j2 := submit(t, o, &batch.SubmitJobInput{JobName: aws.String("j2"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd"), ShareIdentifier: aws.String("A")})
	call(o.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{j1, j2}})).ok(t)
	call(o.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q")})).ok(t)
	call(o.CancelJob(ctx, &batch.CancelJobInput{JobId: aws.String(j1), Reason: aws.String("r")})).ok(t)
	call(o.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(j2), Reason: aws.String("r")})).ok(t)
	for _, arn := range []string{batchARN + "compute-environment/ce", batchARN + "job-queue/q", jdARN, spARN, batchARN + "job/" + j1} {
		call(o.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"c": "d"}})).ok(t)
		call(o.UntagResource(ctx, &batch.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}})).ok(t)
		if tags := call(o.ListTagsForResource(ctx, &batch.ListTagsForResourceInput{ResourceArn: aws.String(arn)})).ok(t).Tags; !maps.Equal(tags, map[string]string{"c": "d"}) {
			t.Errorf("%s tags = %v", arn, tags)
		}
	}
	call(o.DeregisterJobDefinition(ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: aws.String(jdARN)})).ok(t)
	call(o.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), State: batchtypes.JQStateDisabled})).ok(t)
	call(o.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q")})).ok(t)
	call(o.DeleteSchedulingPolicy(ctx, &batch.DeleteSchedulingPolicyInput{Arn: aws.String(spARN)})).ok(t)
	call(o.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled})).ok(t)
	call(o.DeleteComputeEnvironment(ctx, &batch.DeleteComputeEnvironmentInput{ComputeEnvironment: aws.String("ce")})).ok(t)

	// Beyond Batch: listing roles yes, creating users no.
	oi := ts.iam(opsCreds)
	call(oi.ListRoles(ctx, &iam.ListRolesInput{})).ok(t)
	_, err = oi.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", deniedMsg("ops", "iam:CreateUser", "arn:aws:iam::"+acct+":user/x", false))
}

// TestBatchDeleteJobQueueEndsItsJobs: "All jobs in the queue are
// eventually terminated when you delete a job queue" (API Reference,
// DeleteJobQueue).
func TestBatchDeleteJobQueueEndsItsJobs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	// The compute environment is disabled so that the job stays RUNNABLE.
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled})).ok(t)
	register(t, c, containerDef("jd"))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})
	waitStatus(t, c, id, batchtypes.JobStatusRunnable)
	call(c.UpdateJobQueue(ctx, &batch.UpdateJobQueueInput{JobQueue: aws.String("q"), State: batchtypes.JQStateDisabled})).ok(t)
	call(c.DeleteJobQueue(ctx, &batch.DeleteJobQueueInput{JobQueue: aws.String("q")})).ok(t)
	waitStatus(t, c, id, batchtypes.JobStatusFailed)
}

// TestBatchJobQueueSnapshotShowsRunnableJobs: GetJobQueueSnapshot lists
// the RUNNABLE jobs at the front of the queue.
func TestBatchJobQueueSnapshotShowsRunnableJobs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	// The compute environment is disabled so that the job stays RUNNABLE.
	call(c.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("ce"), State: batchtypes.CEStateDisabled})).ok(t)
	register(t, c, containerDef("jd"))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd")})
	waitStatus(t, c, id, batchtypes.JobStatusRunnable)
	f := call(c.GetJobQueueSnapshot(ctx, &batch.GetJobQueueSnapshotInput{JobQueue: aws.String("q")})).ok(t).FrontOfQueue
	if f == nil || len(f.Jobs) != 1 || aws.ToString(f.Jobs[0].JobArn) != batchARN+"job/"+id {
		t.Fatalf("FrontOfQueue = %+v", f)
	}
}
