package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAWSCLIBatchSession drives the installed AWS CLI v1 against batchd
// through a Batch session: compute environment, queue, definition, a job
// submitted, described, listed and cancelled, and one refused request.
func TestAWSCLIBatchSession(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	t.Parallel()
	ts := startServer(t, "")
	// Only this test's AWS settings: none of the environment's.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env, "AWS_ACCESS_KEY_ID="+ts.Root.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+ts.Root.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	run := func(args ...string) (string, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json", "batch"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// runJSON runs a command that must succeed and decodes its output.
	runJSON := func(args ...string) map[string]any {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("aws batch %s: %v\n%s", args[0], err, out)
		}
		m := map[string]any{}
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("aws batch %s: output is not JSON: %v\n%s", args[0], err, out)
			}
		}
		return m
	}
	text := func(args ...string) string {
		t.Helper()
		out, err := run(append(args, "--output", "text")...)
		if err != nil {
			t.Fatalf("aws batch %s: %v\n%s", args[0], err, out)
		}
		return strings.TrimSpace(out)
	}

	ce := runJSON("create-compute-environment", "--compute-environment-name", "cli-ce", "--type", "UNMANAGED", "--unmanagedv-cpus", "4")
	if ce["computeEnvironmentArn"] != batchARN+"compute-environment/cli-ce" {
		t.Errorf("create-compute-environment = %v", ce)
	}
	if got := text("describe-compute-environments", "--compute-environments", "cli-ce", "--query", "computeEnvironments[0].[status,state,type]"); strings.Join(strings.Fields(got), " ") != "VALID ENABLED UNMANAGED" {
		t.Errorf("describe-compute-environments = %q", got)
	}
	// DISABLED, so that the scheduler leaves the job RUNNABLE.
	runJSON("update-compute-environment", "--compute-environment", "cli-ce", "--state", "DISABLED")
	q := runJSON("create-job-queue", "--job-queue-name", "cli-q", "--priority", "1", "--compute-environment-order", "order=1,computeEnvironment=cli-ce", "--tags", "team=blue")
	if q["jobQueueArn"] != batchARN+"job-queue/cli-q" {
		t.Errorf("create-job-queue = %v", q)
	}
	jd := runJSON("register-job-definition", "--job-definition-name", "cli-jd", "--type", "container",
		"--container-properties", `{"image":"busybox","vcpus":1,"memory":128,"command":["echo","Ref::msg"]}`, "--parameters", "msg=default")
	if jd["jobDefinitionArn"] != batchARN+"job-definition/cli-jd:1" || jd["revision"] != float64(1) {
		t.Errorf("register-job-definition = %v", jd)
	}
	sub := runJSON("submit-job", "--job-name", "cli-job", "--job-queue", "cli-q", "--job-definition", "cli-jd", "--parameters", "msg=hello")
	id, _ := sub["jobId"].(string)
	if id == "" || sub["jobArn"] != batchARN+"job/"+id || sub["jobName"] != "cli-job" {
		t.Fatalf("submit-job = %v", sub)
	}

	deadline := time.Now().Add(pollLimit)
	for text("describe-jobs", "--jobs", id, "--query", "jobs[0].status") != "RUNNABLE" {
		if time.Now().After(deadline) {
			t.Fatalf("job %s not RUNNABLE after %v", id, pollLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := text("describe-jobs", "--jobs", id, "--query", "jobs[0].[jobQueue,container.command[1]]"); strings.Join(strings.Fields(got), " ") != batchARN+"job-queue/cli-q hello" {
		t.Errorf("describe-jobs = %q", got)
	}
	if got := text("list-jobs", "--job-queue", "cli-q", "--job-status", "RUNNABLE", "--query", "jobSummaryList[].jobId"); got != id {
		t.Errorf("list-jobs RUNNABLE = %q", got)
	}
	if got := text("list-jobs", "--job-queue", "cli-q", "--filters", "name=JOB_NAME,values=cli-*", "--query", "jobSummaryList[].jobName"); got != "cli-job" {
		t.Errorf("list-jobs JOB_NAME = %q", got)
	}

	runJSON("cancel-job", "--job-id", id, "--reason", "cancelled from the CLI")
	deadline = time.Now().Add(pollLimit)
	for {
		got := text("describe-jobs", "--jobs", id, "--query", "jobs[0].[status,statusReason]")
		if strings.Join(strings.Fields(got), " ") == "FAILED cancelled from the CLI" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cancelled job = %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := text("list-jobs", "--job-queue", "cli-q", "--job-status", "FAILED", "--query", "jobSummaryList[].jobId"); got != id {
		t.Errorf("list-jobs FAILED = %q", got)
	}

	// A refused request: the CLI shows the ClientException and its message.
	out, err := run("submit-job", "--job-name", "x", "--job-queue", "nope", "--job-definition", "cli-jd")
	if err == nil || !strings.Contains(out, "An error occurred (ClientException) when calling the SubmitJob operation: JobQueue nope not found.") {
		t.Errorf("submit-job to an unknown queue: %v\n%s", err, out)
	}
}
