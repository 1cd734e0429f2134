package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// A scripted AWS CLI session runs a job and reads its output: the
// newcomer's path from the README, with jobs that really run.
func TestAWSCLIJobSession(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	t.Parallel()
	ts := startJobServer(t, nil)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env, "AWS_ACCESS_KEY_ID="+ts.Root.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+ts.Root.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	cli("batch", "create-compute-environment", "--compute-environment-name", "ce", "--type", "UNMANAGED")
	cli("batch", "create-job-queue", "--job-queue-name", "q", "--priority", "1", "--compute-environment-order", "order=1,computeEnvironment=ce")
	cli("batch", "register-job-definition", "--job-definition-name", "hello", "--type", "container",
		"--container-properties", `{"image":"busybox","command":["sh","-c","echo \"$0\"; echo second line","Ref::msg"],"resourceRequirements":[{"type":"VCPU","value":"1"},{"type":"MEMORY","value":"64"}]}`,
		"--parameters", "msg=hello-from-batchd")
	var sub struct{ JobID string }
	json.Unmarshal([]byte(cli("batch", "submit-job", "--job-name", "j", "--job-queue", "q", "--job-definition", "hello")), &sub)
	if sub.JobID == "" {
		t.Fatal("no jobId")
	}
	var d struct {
		Jobs []struct {
			Status    string
			Container struct{ LogStreamName string }
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		json.Unmarshal([]byte(cli("batch", "describe-jobs", "--jobs", sub.JobID)), &d)
		if len(d.Jobs) == 1 && (d.Jobs[0].Status == "SUCCEEDED" || d.Jobs[0].Status == "FAILED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not done: %+v", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d.Jobs[0].Status != "SUCCEEDED" || !strings.HasPrefix(d.Jobs[0].Container.LogStreamName, "hello/default/") {
		t.Fatalf("job = %+v", d.Jobs[0])
	}
	out := cli("logs", "get-log-events", "--log-group-name", "/aws/batch/job", "--log-stream-name", d.Jobs[0].Container.LogStreamName, "--start-from-head")
	var ev struct{ Events []struct{ Message string } }
	json.Unmarshal([]byte(out), &ev)
	ev.Events = slices.DeleteFunc(ev.Events, func(e struct{ Message string }) bool { return strings.HasPrefix(e.Message, localNote) })
	if len(ev.Events) != 2 || ev.Events[0].Message != "hello-from-batchd" || ev.Events[1].Message != "second line" {
		t.Fatalf("log events = %+v", ev.Events)
	}
}

// A compute environment whose service role batch.amazonaws.com may not
// assume turns INVALID with the reason, and runs nothing (AWS Batch User
// Guide, "Compute environment troubleshooting": INVALID status).
func TestUntrustedServiceRoleInvalidatesCE(t *testing.T) {
	t.Parallel()
	ts := startJobServer(t, nil)
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("notbatch"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("notbatch"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole")}); err != nil {
		t.Fatal(err)
	}
	c := ts.batch(ts.Root)
	if _, err := c.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("bad"), Type: batchtypes.CETypeUnmanaged, ServiceRole: role.Role.Arn,
	}); err != nil {
		t.Fatal(err)
	}
	queue(t, c, "q", "bad", nil)
	register(t, c, shellDef("noop", "true"))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("noop")})
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"bad"}})
		if err != nil {
			t.Fatal(err)
		}
		ce := out.ComputeEnvironments[0]
		if ce.Status == batchtypes.CEStatusInvalid {
			if !strings.Contains(aws.ToString(ce.StatusReason), "sts:AssumeRole") {
				t.Errorf("statusReason = %q, want the denied sts:AssumeRole", aws.ToString(ce.StatusReason))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compute environment stayed %s (%s)", ce.Status, aws.ToString(ce.StatusReason))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	out, err := c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{id}})
	if err != nil || out.Jobs[0].Status != batchtypes.JobStatusRunnable {
		t.Fatalf("job on an INVALID compute environment = %v, %v; want RUNNABLE", out.Jobs[0].Status, err)
	}
}
