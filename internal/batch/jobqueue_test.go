package batch

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"batchd/internal/store"
)

func TestCreateJobQueueValidation(t *testing.T) {
	t.Parallel()
	order := func(pairs ...any) []ComputeEnvironmentOrder {
		var out []ComputeEnvironmentOrder
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, ComputeEnvironmentOrder{Order: ptrTo(int32(pairs[i].(int))), ComputeEnvironment: pairs[i+1].(string)})
		}
		return out
	}
	cases := []struct {
		name string
		edit func(*CreateJobQueueRequest)
		want string
	}{
		{"name missing", func(r *CreateJobQueueRequest) { r.JobQueueName = "" }, execPrefix + "jobQueueName is required."},
		{"name bad", func(r *CreateJobQueueRequest) { r.JobQueueName = "high priority" }, execPrefix + "Job Queue name should match a valid pattern."},
		{"state bad", func(r *CreateJobQueueRequest) { r.State = "PAUSED" }, execPrefix + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"priority missing", func(r *CreateJobQueueRequest) { r.Priority = nil }, execPrefix + "priority is required."},
		{"priority negative", func(r *CreateJobQueueRequest) { r.Priority = ptrTo(int32(-1)) }, execPrefix + "priority must be between 0 and 1000."},
		{"priority too high", func(r *CreateJobQueueRequest) { r.Priority = ptrTo(int32(1001)) }, execPrefix + "priority must be between 0 and 1000."},
		{"no compute environments", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder = nil }, execPrefix + "computeEnvironmentOrder is required."},
		{"too many compute environments", func(r *CreateJobQueueRequest) {
			r.ComputeEnvironmentOrder = order(1, "ec2a", 2, "ec2b", 3, "spot", 4, "um")
		}, execPrefix + "computeEnvironmentOrder must have length less than or equal to 3."},
		{"order missing", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder[0].Order = nil }, execPrefix + "computeEnvironmentOrder[0].order is required."},
		{"environment missing", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder[0].ComputeEnvironment = "" },
			execPrefix + "computeEnvironmentOrder[0].computeEnvironment is required."},
		{"unknown environment", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder = order(1, "nope") },
			"arn:aws:batch:us-east-1:123456789012:compute-environment/nope does not exist"},
		{"duplicate order", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder = order(1, "ec2a", 1, "ec2b") },
			execPrefix + "Duplicate ComputeEnvironment order values."},
		{"duplicate environment", func(r *CreateJobQueueRequest) {
			r.ComputeEnvironmentOrder = order(1, "ec2a", 2, "arn:aws:batch:us-east-1:123456789012:compute-environment/ec2a")
		}, execPrefix + "computeEnvironmentOrder compute environments must be unique."},
		{"EC2 and Fargate", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder = order(1, "ec2a", 2, "fg") },
			execPrefix + "Fargate and EC2 compute environments can not be mixed."},
		{"EKS and EC2", func(r *CreateJobQueueRequest) { r.ComputeEnvironmentOrder = order(1, "eks", 2, "ec2a") },
			execPrefix + "computeEnvironmentOrder cannot mix compute environments of types EKS and ECS."},
		{"type mismatch", func(r *CreateJobQueueRequest) { r.JobQueueType = JobQueueTypeEks }, execPrefix + "jobQueueType EKS does not match the compute environments, of type ECS."},
		{"sagemaker", func(r *CreateJobQueueRequest) { r.JobQueueType = JobQueueTypeSagemakerTraining },
			execPrefix + "jobQueueType must satisfy enum value set: [ECS, ECS_FARGATE, EKS]."},
		{"service environments", func(r *CreateJobQueueRequest) {
			r.ServiceEnvironmentOrder = []ServiceEnvironmentOrder{{Order: ptrTo(int32(1)), ServiceEnvironment: "se"}}
		}, execPrefix + "serviceEnvironmentOrder is not supported."},
		{"unknown scheduling policy", func(r *CreateJobQueueRequest) {
			r.SchedulingPolicyArn = ptrTo("arn:aws:batch:us-east-1:123456789012:scheduling-policy/nope")
		}, "arn:aws:batch:us-east-1:123456789012:scheduling-policy/nope does not exist"},
		{"time limit reason", func(r *CreateJobQueueRequest) { r.JobStateTimeLimitActions[0].Reason = "" },
			execPrefix + "jobStateTimeLimitActions[0].reason is required."},
		{"time limit state", func(r *CreateJobQueueRequest) { r.JobStateTimeLimitActions[0].State = "PENDING" },
			execPrefix + "jobStateTimeLimitActions[0].state must satisfy enum value set: [RUNNABLE]."},
		{"time limit too short", func(r *CreateJobQueueRequest) { r.JobStateTimeLimitActions[0].MaxTimeSeconds = ptrTo(int32(599)) },
			execPrefix + "jobStateTimeLimitActions[0].maxTimeSeconds must be between 600 and 86400."},
		{"time limit too long", func(r *CreateJobQueueRequest) { r.JobStateTimeLimitActions[0].MaxTimeSeconds = ptrTo(int32(86401)) },
			execPrefix + "jobStateTimeLimitActions[0].maxTimeSeconds must be between 600 and 86400."},
		{"time limit action", func(r *CreateJobQueueRequest) {
			r.JobStateTimeLimitActions[0].Action = JobStateTimeLimitActionsActionTerminate
		},
			execPrefix + "Invalid job action. Valid job actions: [CANCEL]"},
		{"tag too long", func(r *CreateJobQueueRequest) { r.Tags = map[string]string{strings.Repeat("k", 129): "v"} },
			execPrefix + "tags key '" + strings.Repeat("k", 129) + "' must have length between 1 and 128."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			createTestCE(t, s, "ec2a")
			createTestCE(t, s, "ec2b")
			spot := ec2CERequest("spot")
			spot.ComputeResources.Type = CRTypeSpot
			spot.ComputeResources.SpotIamFleetRole = ptrTo("fleet")
			um := &CreateComputeEnvironmentRequest{ComputeEnvironmentName: "um", Type: CETypeUnmanaged}
			eks := ec2CERequest("eks")
			eks.EksConfiguration = &EksConfiguration{EksClusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/c", KubernetesNamespace: "batch"}
			for _, in := range []*CreateComputeEnvironmentRequest{spot, um, eks, fargateCERequest("fg")} {
				if _, err := s.CreateComputeEnvironment(t.Context(), in); err != nil {
					t.Fatal(err)
				}
			}
			in := &CreateJobQueueRequest{
				JobQueueName:            "q",
				Priority:                ptrTo(int32(10)),
				ComputeEnvironmentOrder: order(1, "ec2a"),
				JobStateTimeLimitActions: []JobStateTimeLimitAction{
					{Reason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", State: JobStateTimeLimitActionsStateRunnable, MaxTimeSeconds: ptrTo(int32(600)), Action: JobStateTimeLimitActionsActionCancel},
				},
			}
			c.edit(in)
			_, err := s.CreateJobQueue(t.Context(), in)
			wantClientError(t, err, c.want)
			out, err := s.DescribeJobQueues(t.Context(), &DescribeJobQueuesRequest{})
			if err != nil || len(out.JobQueues) != 0 {
				t.Fatalf("after a refused create: %v %+v", err, out.JobQueues)
			}
		})
	}
}

func TestJobQueueLifecycle(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	a := createTestCE(t, s, "a")
	b := createTestCE(t, s, "b")
	sp := createTestSP(t, s, "fair")
	sp2 := createTestSP(t, s, "fair2")
	out, err := s.CreateJobQueue(t.Context(), &CreateJobQueueRequest{
		JobQueueName: "q",
		Priority:     ptrTo(int32(5)),
		ComputeEnvironmentOrder: []ComputeEnvironmentOrder{
			{Order: ptrTo(int32(2)), ComputeEnvironment: "a"},
			{Order: ptrTo(int32(1)), ComputeEnvironment: b},
		},
		SchedulingPolicyArn: &sp,
		Tags:                map[string]string{"team": "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	qARN := "arn:aws:batch:us-east-1:123456789012:job-queue/q"
	if out.JobQueueName != "q" || out.JobQueueArn != qARN {
		t.Fatalf("response %+v", out)
	}
	_, err = s.CreateJobQueue(t.Context(), &CreateJobQueueRequest{JobQueueName: "q", Priority: ptrTo(int32(1)), ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: "a"}}})
	wantClientError(t, err, "Object already exists")

	describe := func() JobQueueDetail {
		t.Helper()
		d, err := s.DescribeJobQueues(t.Context(), &DescribeJobQueuesRequest{JobQueues: []string{qARN}})
		if err != nil || len(d.JobQueues) != 1 {
			t.Fatalf("describe: %v %+v", err, d)
		}
		return d.JobQueues[0]
	}
	q := describe()
	wantOrder := []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: b}, {Order: ptrTo(int32(2)), ComputeEnvironment: a}}
	if q.State != JQStateEnabled || q.Status != JQStatusValid || *q.StatusReason != "JobQueue Healthy" || *q.Priority != 5 ||
		q.JobQueueType != JobQueueTypeEcs || *q.SchedulingPolicyArn != sp || q.Tags["team"] != "x" || !reflect.DeepEqual(q.ComputeEnvironmentOrder, wantOrder) {
		t.Fatalf("queue = %+v", q)
	}

	// loadQueue, for the jobs part: by name or ARN; unknown wraps
	// store.ErrNotFound.
	err = s.store.View(t.Context(), func(tx store.Tx) error {
		for _, ref := range []string{"q", qARN} {
			if q, err := s.loadQueue(tx, ref); err != nil || q.JobQueueName != "q" {
				t.Errorf("loadQueue(%s) = %v, %v", ref, q, err)
			}
		}
		for _, ref := range []string{"nope", "arn:aws:batch:us-east-1:123456789012:job-queue/nope", "arn:aws:batch:eu-west-1:123456789012:job-queue/q"} {
			if _, err := s.loadQueue(tx, ref); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("loadQueue(%s) error = %v, want store.ErrNotFound", ref, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	up, err := s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{
		JobQueue:                "q",
		State:                   JQStateDisabled,
		Priority:                ptrTo(int32(0)),
		ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: "a"}},
		SchedulingPolicyArn:     &sp2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if *up.JobQueueArn != qARN || *up.JobQueueName != "q" {
		t.Fatalf("update response %+v", up)
	}
	q = describe()
	if q.State != JQStateDisabled || *q.Priority != 0 || len(q.ComputeEnvironmentOrder) != 1 || q.ComputeEnvironmentOrder[0].ComputeEnvironment != a || *q.SchedulingPolicyArn != sp2 {
		t.Fatalf("after update: %+v", q)
	}

	cases := []struct {
		name string
		in   UpdateJobQueueRequest
		want string
	}{
		{"unknown", UpdateJobQueueRequest{JobQueue: "nope"}, "arn:aws:batch:us-east-1:123456789012:job-queue/nope does not exist"},
		{"remove policy", UpdateJobQueueRequest{JobQueue: "q", SchedulingPolicyArn: ptrTo("")},
			execPrefix + "schedulingPolicyArn of a fair-share job queue can be replaced but not removed."},
		{"unknown policy", UpdateJobQueueRequest{JobQueue: "q", SchedulingPolicyArn: ptrTo(sp + "x")}, sp + "x does not exist"},
		{"priority", UpdateJobQueueRequest{JobQueue: "q", Priority: ptrTo(int32(2000))}, execPrefix + "priority must be between 0 and 1000."},
		{"empty order", UpdateJobQueueRequest{JobQueue: "q", ComputeEnvironmentOrder: []ComputeEnvironmentOrder{}}, execPrefix + "computeEnvironmentOrder is required."},
	}
	for _, c := range cases {
		_, err := s.UpdateJobQueue(t.Context(), &c.in)
		t.Run(c.name, func(t *testing.T) { wantClientError(t, err, c.want) })
	}

	// A FIFO queue stays FIFO; an ECS queue cannot take Fargate
	// environments.
	if _, err := s.CreateComputeEnvironment(t.Context(), fargateCERequest("fg")); err != nil {
		t.Fatal(err)
	}
	createTestQueue(t, s, "fifo", "a")
	_, err = s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{JobQueue: "fifo", SchedulingPolicyArn: &sp})
	wantClientError(t, err, execPrefix+"schedulingPolicyArn cannot be set on a first in, first out (FIFO) job queue.")
	_, err = s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{JobQueue: "fifo", ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: "fg"}}})
	wantClientError(t, err, execPrefix+"computeEnvironmentOrder cannot mix compute environments of types ECS and ECS_FARGATE.")

	// Deletion: only DISABLED queues.
	_, err = s.DeleteJobQueue(t.Context(), &DeleteJobQueueRequest{JobQueue: "fifo"})
	wantClientError(t, err, "Job queue must be in DISABLED state before deletion")
	_, err = s.DeleteJobQueue(t.Context(), &DeleteJobQueueRequest{JobQueue: "nope"})
	wantClientError(t, err, "arn:aws:batch:us-east-1:123456789012:job-queue/nope does not exist")
	if _, err := s.DeleteJobQueue(t.Context(), &DeleteJobQueueRequest{JobQueue: qARN}); err != nil {
		t.Fatal(err)
	}
	d, err := s.DescribeJobQueues(t.Context(), &DescribeJobQueuesRequest{})
	if err != nil || len(d.JobQueues) != 1 || d.JobQueues[0].JobQueueName != "fifo" {
		t.Fatalf("after delete: %v %+v", err, d)
	}
}

func TestJobQueueQuotaAndPages(t *testing.T) {
	t.Parallel()
	s := newTestServiceLimits(t, Limits{JobQueues: 3, CEsPerQueue: 1})
	ce := createTestCE(t, s, "ce")
	createTestCE(t, s, "ce2")
	for _, n := range []string{"c", "a", "b"} {
		createTestQueue(t, s, n, ce)
	}
	_, err := s.CreateJobQueue(t.Context(), &CreateJobQueueRequest{JobQueueName: "d", Priority: ptrTo(int32(1)), ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: ce}}})
	wantClientError(t, err, execPrefix+"The maximum number of job queues (3) has been reached.")
	_, err = s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{JobQueue: "a", ComputeEnvironmentOrder: []ComputeEnvironmentOrder{
		{Order: ptrTo(int32(1)), ComputeEnvironment: "ce"}, {Order: ptrTo(int32(2)), ComputeEnvironment: "ce2"},
	}})
	wantClientError(t, err, execPrefix+"computeEnvironmentOrder must have length less than or equal to 1.")

	var names []string
	var token *string
	for {
		out, err := s.DescribeJobQueues(t.Context(), &DescribeJobQueuesRequest{MaxResults: ptrTo(int32(2)), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range out.JobQueues {
			names = append(names, q.JobQueueName)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	_, err = s.DescribeJobQueues(t.Context(), &DescribeJobQueuesRequest{JobQueues: []string{"a"}, MaxResults: ptrTo(int32(5))})
	wantClientError(t, err, execPrefix+"JobQueues and MaxResults cannot both be set")
}

func TestGetJobQueueSnapshot(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	createTestQueue(t, s, "q", createTestCE(t, s, "ce"))
	out, err := s.GetJobQueueSnapshot(t.Context(), &GetJobQueueSnapshotRequest{JobQueue: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if out.FrontOfQueue == nil || out.FrontOfQueue.Jobs == nil || *out.FrontOfQueue.LastUpdatedAt != testNow.UnixMilli() {
		t.Fatalf("snapshot = %+v", out.FrontOfQueue)
	}
	_, err = s.GetJobQueueSnapshot(t.Context(), &GetJobQueueSnapshotRequest{JobQueue: "nope"})
	wantClientError(t, err, "arn:aws:batch:us-east-1:123456789012:job-queue/nope does not exist")
}
