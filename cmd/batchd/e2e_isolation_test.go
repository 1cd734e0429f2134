package main

// End-to-end test of what a job may reach (ARCHITECTURE.md, "Trust
// boundaries"): a user allowed only batch:SubmitJob submits a job that
// tries to read batchd's data dir, another job's environment and batchd's
// process; every attempt must be denied, whatever executor runs it.

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"batchd/internal/executor/docker/dockertest"
)

// isolationExecutors are the executors a job's isolation is tested on:
// what selects each (its compute environment's tags) and what its job
// definitions need.
var isolationExecutors = []struct {
	name   string
	ceTags map[string]string
	// image must have sh, cat, ls, grep, tr and kill.
	image string
	// mutate adjusts the server's configuration for the executor.
	mutate func(testing.TB, *Config)
}{
	{name: "local", ceTags: map[string]string{"batchd:executor": "local"}, image: "busybox"},
	{name: "docker", ceTags: map[string]string{"batchd:executor": "docker"}, image: testImage, mutate: func(t testing.TB, c *Config) {
		c.DockerHost = dockertest.Host(t)
		dockertest.Image(t, c.DockerHost, testImage, testImageChanges...)
	}},
}

// The probe's attempts, in the order it prints them.
var isolationAttempts = []string{
	"read-root-credentials", "read-server-key", "list-datadir", "write-datadir",
	"read-other-job-environ", "see-server", "kill-server",
}

const isolationProbe = `d=$1; pid=$2; secret=$3
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name: ALLOWED"; else echo "$name: denied"; fi; }
try read-root-credentials cat "$d/root-credentials"
try read-server-key cat "$d/server.key"
try list-datadir sh -c 'ls -A "$1" | grep -q .' sh "$d"
try write-datadir sh -c 'echo planted > "$1/planted"' sh "$d"
try read-other-job-environ sh -c 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep -q "$1"' sh "$secret"
try see-server kill -0 "$pid"
try kill-server kill -9 "$pid"
echo probe-done`

func TestJobIsolation(t *testing.T) {
	for _, ex := range isolationExecutors {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			ts := startJobServer(t, func(c *Config) {
				c.HostVCPUs = 16
				if ex.mutate != nil {
					ex.mutate(t, c)
				}
			})
			ctx := context.Background()
			root := ts.batch(ts.Root)
			ce := aws.ToString(call(root.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
				ComputeEnvironmentName: aws.String("ce"), Type: batchtypes.CETypeUnmanaged, Tags: ex.ceTags,
			})).ok(t).ComputeEnvironmentArn)
			queueARN := queue(t, root, "q", ce, nil)

			// The shell obeys SIGTERM (as PID 1 of a container it ignores
			// it without a trap).
			victim := shellDef("victim", `trap 'exit 0' TERM; echo ready; while :; do sleep 1; done`)
			victim.ContainerProperties.Image = aws.String(ex.image)
			register(t, root, victim)
			probe := shellDef("probe", isolationProbe)
			probe.ContainerProperties.Image = aws.String(ex.image)
			probe.ContainerProperties.Command = append(probe.ContainerProperties.Command, "probe", "Ref::datadir", "Ref::pid", "Ref::secret")
			register(t, root, probe)

			// A user who may submit the probe to the queue, and nothing else
			// (SubmitJob is authorized on the new job, too).
			submitter := newUser(t, ts.iam(ts.Root), "submitter", policyDoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":[`+
				strconv.Quote(queueARN)+`,"`+batchARN+`job-definition/probe","`+batchARN+`job-definition/probe:*","`+batchARN+`job/*"]}`))
			user := ts.batch(submitter)

			const secret = "victim-secret-5d1f0c"
			victimID := submit(t, root, &batch.SubmitJobInput{JobName: aws.String("victim"), JobQueue: aws.String("q"), JobDefinition: aws.String("victim"),
				ContainerOverrides: &batchtypes.ContainerOverrides{Environment: []batchtypes.KeyValuePair{{Name: aws.String("VICTIM_SECRET"), Value: aws.String(secret)}}}})
			if v := waitJobOrEnd(t, root, victimID); v.Status != batchtypes.JobStatusRunning {
				t.Fatalf("victim %s: %s", v.Status, attemptReasons(v))
			}

			dataDir, err := filepath.Abs(ts.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			before := dirNames(t, dataDir)
			id := submit(t, user, &batch.SubmitJobInput{JobName: aws.String("probe"), JobQueue: aws.String("q"), JobDefinition: aws.String("probe"),
				Parameters: map[string]string{"datadir": dataDir, "pid": strconv.Itoa(os.Getpid()), "secret": secret}})
			j := waitJob(t, root, id, batchtypes.JobStatusSucceeded, 30*time.Second)

			msgs := logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName))
			got := map[string]string{}
			for _, m := range msgs {
				if name, verdict, ok := strings.Cut(m, ": "); ok {
					got[name] = verdict
				}
			}
			for _, a := range isolationAttempts {
				if got[a] != "denied" {
					t.Errorf("%s: %q, want denied", a, got[a])
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), "probe-done") {
				t.Errorf("the probe did not finish: %q", msgs)
			}

			// batchd still answers, the victim still runs, and nothing was
			// planted in the data dir.
			if v := describeJob(t, root, victimID); v.Status != batchtypes.JobStatusRunning {
				t.Errorf("victim is %s (%s), want RUNNING", v.Status, aws.ToString(v.StatusReason))
			}
			if after := dirNames(t, dataDir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("data dir held %q, now %q", before, after)
			}
			call(root.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(victimID), Reason: aws.String("done")})).ok(t)
			waitJob(t, root, victimID, batchtypes.JobStatusFailed, 20*time.Second)
		})
	}
}

// dirNames lists dir's entries but SQLite's transient files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "batchd.db-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// waitJobOrEnd waits until the job runs or ended.
func waitJobOrEnd(t *testing.T, c *batch.Client, id string) batchtypes.JobDetail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := describeJob(t, c, id)
		switch j.Status {
		case batchtypes.JobStatusRunning, batchtypes.JobStatusSucceeded, batchtypes.JobStatusFailed:
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s after 20s", id, j.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attemptReasons says why a job's attempts ended.
func attemptReasons(j batchtypes.JobDetail) string {
	var rs []string
	for _, a := range j.Attempts {
		r := aws.ToString(a.StatusReason)
		if a.Container != nil {
			r += " / " + aws.ToString(a.Container.Reason)
		}
		rs = append(rs, r)
	}
	return aws.ToString(j.StatusReason) + ": " + strings.Join(rs, "; ")
}
