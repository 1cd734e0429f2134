package main

// End-to-end tests of jobs that really run: batchd with its scheduler and
// the local executor, driven through the SDK's batch client, the job
// output read back through CloudWatch Logs (AWS Batch User Guide, "Job
// states", "Automated job retries", "Job timeouts", "Array jobs",
// "Job dependencies"; "IAM roles for tasks" for the job role).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// startJobServer is startServer with cfg adjusted by mutate.
func startJobServer(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	return startLoggedServer(t, mutate, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startLoggedServer is startJobServer logging to log.
func startLoggedServer(t testing.TB, mutate func(*Config), log *slog.Logger) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerOn(t, ln, mutate, log)
}

// startServerOn is startLoggedServer serving on ln.
func startServerOn(t testing.TB, ln net.Listener, mutate func(*Config), log *slog.Logger) *testServer {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := defaultConfig()
	cfg.DataDir = dir
	cfg.Executor = "local" // the tests of the container executor choose it
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Store = testStore(t, cfg.Store)
	go func() { done <- Serve(ctx, cfg, ln, log, io.Discard) }()
	ts := &testServer{URL: "http://" + ln.Addr().String(), DataDir: dir}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(ts.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if creds, err := readCredentials(filepath.Join(dir, "root-credentials")); err == nil {
			ts.Root = creds
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatal("root-credentials not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJob polls a job until it has status (up to limit) and returns it.
func waitJob(t testing.TB, c *batch.Client, id string, status batchtypes.JobStatus, limit time.Duration) batchtypes.JobDetail {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		j := describeJob(t, c, id)
		if j.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s) after %v, want %s", id, j.Status, aws.ToString(j.StatusReason), limit, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shellDef is a job definition running sh -c script with 1 vCPU.
func shellDef(name, script string) *batch.RegisterJobDefinitionInput {
	return &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(name), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{Image: aws.String("busybox"), Command: []string{"sh", "-c", script},
			ResourceRequirements: []batchtypes.ResourceRequirement{{Type: batchtypes.ResourceTypeVcpu, Value: aws.String("1")}, {Type: batchtypes.ResourceTypeMemory, Value: aws.String("256")}}},
	}
}

// jobSetup starts batchd (16 host vCPUs) with an UNMANAGED compute
// environment and a queue "q" on it.
func jobSetup(t *testing.T) (*testServer, *batch.Client) {
	t.Helper()
	ts := startJobServer(t, func(c *Config) { c.HostVCPUs = 16 })
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	return ts, c
}

// localNote is how batchd's own lines in a job's log begin (the image the
// local executor does not use, what it ignores, cgroup limits it could not
// apply where batchd is not root).
const localNote = "batchd: "

// logMessages returns the messages of a job's log stream, but batchd's
// own notes.
func logMessages(t testing.TB, l *cloudwatchlogs.Client, stream string) []string {
	t.Helper()
	out, err := l.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/aws/batch/job"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetLogEvents %s: %v", stream, err)
	}
	var msgs []string
	for _, e := range out.Events {
		if m := aws.ToString(e.Message); !strings.HasPrefix(m, localNote) {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// A job that prints and exits 0 ends SUCCEEDED; its lines are in its log
// stream, which DescribeJobs names.
func TestJobRunsAndLogs(t *testing.T) {
	t.Parallel()
	ts, c := jobSetup(t)
	register(t, c, shellDef("hello", `echo "hello from $AWS_BATCH_JOB_ID attempt $AWS_BATCH_JOB_ATTEMPT in $AWS_BATCH_JQ_NAME on $AWS_BATCH_CE_NAME"; echo to-stderr >&2`))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("hello"), JobQueue: aws.String("q"), JobDefinition: aws.String("hello")})
	j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 20*time.Second)
	stream := aws.ToString(j.Container.LogStreamName)
	if !strings.HasPrefix(stream, "hello/default/") || aws.ToInt32(j.Container.ExitCode) != 0 || aws.ToString(j.StatusReason) != "Essential container in task exited" ||
		j.StartedAt == nil || j.StoppedAt == nil || len(j.Attempts) != 1 {
		t.Fatalf("job = %+v container %+v", j, j.Container)
	}
	a := j.Attempts[0]
	if aws.ToString(a.Container.LogStreamName) != stream || a.StartedAt == nil || a.StoppedAt == nil || aws.ToInt32(a.Container.ExitCode) != 0 {
		t.Errorf("attempt = %+v %+v", a, a.Container)
	}
	msgs := logMessages(t, ts.logs(ts.Root), stream)
	slices.Sort(msgs)
	want := []string{"hello from " + id + " attempt 1 in q on ce", "to-stderr"}
	if !slices.Equal(msgs, want) {
		t.Errorf("log events = %q, want %q", msgs, want)
	}
}

// exit 3 with a RETRY on that exit code: attempts until they run out, then
// FAILED with exit code 3; a job that succeeds on its second attempt
// SUCCEEDS.
func TestJobExitCodeRetry(t *testing.T) {
	t.Parallel()
	_, c := jobSetup(t)
	retry := &batchtypes.RetryStrategy{Attempts: aws.Int32(2), EvaluateOnExit: []batchtypes.EvaluateOnExit{
		{OnExitCode: aws.String("3"), Action: batchtypes.RetryActionRetry}, {OnExitCode: aws.String("*"), Action: batchtypes.RetryActionExit},
	}}
	def := shellDef("three", "exit 3")
	def.RetryStrategy = retry
	register(t, c, def)
	def = shellDef("second-time", `[ "$AWS_BATCH_JOB_ATTEMPT" = 2 ] || exit 3`)
	def.RetryStrategy = retry
	register(t, c, def)
	def = shellDef("four", "exit 4")
	def.RetryStrategy = retry
	register(t, c, def)
	three := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("three"), JobQueue: aws.String("q"), JobDefinition: aws.String("three")})
	second := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("second"), JobQueue: aws.String("q"), JobDefinition: aws.String("second-time")})
	four := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("four"), JobQueue: aws.String("q"), JobDefinition: aws.String("four")})

	j := waitJob(t, c, three, batchtypes.JobStatusFailed, 20*time.Second)
	if aws.ToInt32(j.Container.ExitCode) != 3 || len(j.Attempts) != 2 || aws.ToString(j.StatusReason) != "Essential container in task exited" {
		t.Errorf("exit 3: exitCode %d, %d attempts, %q", aws.ToInt32(j.Container.ExitCode), len(j.Attempts), aws.ToString(j.StatusReason))
	}
	for i, a := range j.Attempts {
		if aws.ToInt32(a.Container.ExitCode) != 3 {
			t.Errorf("attempt %d exitCode %d", i, aws.ToInt32(a.Container.ExitCode))
		}
	}
	if j := waitJob(t, c, second, batchtypes.JobStatusSucceeded, 20*time.Second); len(j.Attempts) != 2 || aws.ToInt32(j.Attempts[0].Container.ExitCode) != 3 {
		t.Errorf("second time lucky: %d attempts", len(j.Attempts))
	}
	if j := waitJob(t, c, four, batchtypes.JobStatusFailed, 20*time.Second); len(j.Attempts) != 1 || aws.ToInt32(j.Container.ExitCode) != 4 {
		t.Errorf("exit 4 (EXIT): %d attempts, exitCode %d", len(j.Attempts), aws.ToInt32(j.Container.ExitCode))
	}
}

// SubmitJob's retryStrategy overrides the definition's, checked as
// RegisterJobDefinition checks it; evaluateOnExit's action is not case
// sensitive (API reference, EvaluateOnExit: "The values aren't case
// sensitive").
func TestJobRetryStrategyOverride(t *testing.T) {
	t.Parallel()
	_, c := jobSetup(t)
	register(t, c, shellDef("three-no-retry", "exit 3"))
	override := &batchtypes.RetryStrategy{Attempts: aws.Int32(3), EvaluateOnExit: []batchtypes.EvaluateOnExit{
		{OnExitCode: aws.String("3"), Action: "retry"}, {OnExitCode: aws.String("*"), Action: "Exit"},
	}}
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("three"), JobQueue: aws.String("q"), JobDefinition: aws.String("three-no-retry"), RetryStrategy: override})
	if j := waitJob(t, c, id, batchtypes.JobStatusFailed, 20*time.Second); len(j.Attempts) != 3 {
		t.Errorf("lower-case retry: %d attempts, want 3", len(j.Attempts))
	}
	_, err := c.SubmitJob(context.Background(), &batch.SubmitJobInput{JobName: aws.String("bad"), JobQueue: aws.String("q"), JobDefinition: aws.String("three-no-retry"),
		RetryStrategy: &batchtypes.RetryStrategy{Attempts: aws.Int32(2), EvaluateOnExit: []batchtypes.EvaluateOnExit{{OnExitCode: aws.String("x"), Action: "exit"}}}})
	wantAPIError(t, err, "ClientException", execPfx+"retryStrategy.evaluateOnExit[0].onExitCode must satisfy regular expression pattern: ")
}

// A 100-child array and an N_TO_N dependant of the same size: each child
// of the dependant starts after its peer ended; both parents SUCCEED.
func TestArrayNToN(t *testing.T) {
	t.Parallel()
	ts, c := jobSetup(t)
	register(t, c, shellDef("index", `echo "$AWS_BATCH_JOB_ARRAY_INDEX/$AWS_BATCH_JOB_ARRAY_SIZE"`))
	register(t, c, shellDef("true", "true"))
	first := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("first"), JobQueue: aws.String("q"), JobDefinition: aws.String("index"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(100)}})
	second := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("second"), JobQueue: aws.String("q"), JobDefinition: aws.String("true"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(100)},
		DependsOn:       []batchtypes.JobDependency{{JobId: aws.String(first), Type: batchtypes.ArrayJobDependencyNToN}}})
	p := waitJob(t, c, second, batchtypes.JobStatusSucceeded, 60*time.Second)
	if p.ArrayProperties.StatusSummary["SUCCEEDED"] != 100 {
		t.Errorf("statusSummary = %v", p.ArrayProperties.StatusSummary)
	}
	waitJob(t, c, first, batchtypes.JobStatusSucceeded, time.Second)
	for _, i := range []int{0, 42, 99} {
		a := describeJob(t, c, first+":"+strconv.Itoa(i))
		b := describeJob(t, c, second+":"+strconv.Itoa(i))
		if aws.ToInt64(b.StartedAt) < aws.ToInt64(a.StoppedAt) {
			t.Errorf("child %d of the dependant started at %d, before its peer stopped at %d", i, aws.ToInt64(b.StartedAt), aws.ToInt64(a.StoppedAt))
		}
		if msgs := logMessages(t, ts.logs(ts.Root), aws.ToString(a.Container.LogStreamName)); !slices.Equal(msgs, []string{strconv.Itoa(i) + "/100"}) {
			t.Errorf("child %d printed %q", i, msgs)
		}
	}
}

// A SEQUENTIAL array runs its children one after the other; a job that
// depends on the array runs after all of them.
func TestSequentialChain(t *testing.T) {
	t.Parallel()
	_, c := jobSetup(t)
	register(t, c, shellDef("nap", "sleep 0.1"))
	arr := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("chain"), JobQueue: aws.String("q"), JobDefinition: aws.String("nap"),
		ArrayProperties: &batchtypes.ArrayProperties{Size: aws.Int32(5)},
		DependsOn:       []batchtypes.JobDependency{{Type: batchtypes.ArrayJobDependencySequential}}})
	after := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("after"), JobQueue: aws.String("q"), JobDefinition: aws.String("nap"),
		DependsOn: []batchtypes.JobDependency{{JobId: aws.String(arr)}}})
	last := waitJob(t, c, after, batchtypes.JobStatusSucceeded, 30*time.Second)
	var prevStop int64
	for i := range 5 {
		ch := describeJob(t, c, arr+":"+strconv.Itoa(i))
		if ch.Status != batchtypes.JobStatusSucceeded || aws.ToInt64(ch.StartedAt) < prevStop {
			t.Errorf("child %d: %s, started %d before the previous stopped %d", i, ch.Status, aws.ToInt64(ch.StartedAt), prevStop)
		}
		prevStop = aws.ToInt64(ch.StoppedAt)
	}
	if aws.ToInt64(last.StartedAt) < prevStop {
		t.Errorf("the dependant started at %d, before the array's last child stopped at %d", aws.ToInt64(last.StartedAt), prevStop)
	}
}

// withInit runs def's container under an init process
// (linuxParameters.initProcessEnabled): the job is not pid 1, so SIGTERM
// ends it by default, as AWS's pid 1 would not (ECS then waits its stop
// timeout, 30 s, and kills).
func withInit(def *batch.RegisterJobDefinitionInput) *batch.RegisterJobDefinitionInput {
	def.ContainerProperties.LinuxParameters = &batchtypes.LinuxParameters{InitProcessEnabled: aws.Bool(true)}
	return def
}

// TerminateJob stops a running job at once (SIGTERM): FAILED, isTerminated,
// its attempt recorded with the signal's exit code.
func TestTerminateRunningJob(t *testing.T) {
	t.Parallel()
	_, c := jobSetup(t)
	def := withInit(shellDef("sleeper", "exec sleep 60"))
	def.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(3)}
	register(t, c, def)
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("sleeper"), JobQueue: aws.String("q"), JobDefinition: aws.String("sleeper")})
	waitJob(t, c, id, batchtypes.JobStatusRunning, 20*time.Second)
	start := time.Now()
	call(c.TerminateJob(context.Background(), &batch.TerminateJobInput{JobId: aws.String(id), Reason: aws.String("stop it")})).ok(t)
	deadline := time.Now().Add(10 * time.Second)
	var j batchtypes.JobDetail
	for j = describeJob(t, c, id); len(j.Attempts) == 0; j = describeJob(t, c, id) {
		if time.Now().After(deadline) {
			t.Fatalf("no attempt recorded 10 s after TerminateJob: %+v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the process took %v to stop", took)
	}
	if j.Status != batchtypes.JobStatusFailed || aws.ToString(j.StatusReason) != "stop it" || !aws.ToBool(j.IsTerminated) || len(j.Attempts) != 1 ||
		aws.ToInt32(j.Attempts[0].Container.ExitCode) != 143 {
		t.Errorf("terminated job = %s %q terminated=%v attempts=%d exit=%d", j.Status, aws.ToString(j.StatusReason), aws.ToBool(j.IsTerminated), len(j.Attempts), aws.ToInt32(j.Attempts[0].Container.ExitCode))
	}
	time.Sleep(200 * time.Millisecond)
	if j := describeJob(t, c, id); len(j.Attempts) != 1 || j.Status != batchtypes.JobStatusFailed {
		t.Errorf("a terminated job is not retried: %s, %d attempts", j.Status, len(j.Attempts))
	}
}

// An attempt that runs past timeout.attemptDurationSeconds (at least 60)
// is stopped and the job FAILS with AWS's reason, without retry.
func TestJobTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a minute: the shortest timeout AWS allows")
	}
	t.Parallel()
	_, c := jobSetup(t)
	def := withInit(shellDef("slow", "exec sleep 600"))
	def.Timeout = &batchtypes.JobTimeout{AttemptDurationSeconds: aws.Int32(60)}
	def.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(2)}
	register(t, c, def)
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("slow"), JobQueue: aws.String("q"), JobDefinition: aws.String("slow")})
	run := waitJob(t, c, id, batchtypes.JobStatusRunning, 20*time.Second)
	j := waitJob(t, c, id, batchtypes.JobStatusFailed, 75*time.Second)
	if aws.ToString(j.StatusReason) != "Job attempt duration exceeded timeout" || len(j.Attempts) != 1 {
		t.Fatalf("timed out: %q, %d attempts", aws.ToString(j.StatusReason), len(j.Attempts))
	}
	if ran := aws.ToInt64(j.StoppedAt) - aws.ToInt64(run.StartedAt); ran < 60000 || ran > 62000 {
		t.Errorf("ran %d ms, want 60 s", ran)
	}
}

// buildCredProbe builds testdata/credprobe, a Go program that uses the
// SDK's default credential chain, in a directory others may read: jobs run
// as users of their own, and see it where probeVolume mounts it.
func buildCredProbe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "credprobe")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/credprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build credprobe: %v\n%s", err, out)
	}
	for _, p := range []string{dir, bin} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// probeVolume mounts the directory of bin (read-only) at /tmp/probe in the
// job: a job's /tmp is its own.
func probeVolume(def *batch.RegisterJobDefinitionInput, bin string) {
	def.ContainerProperties.Volumes = []batchtypes.Volume{{Name: aws.String("probe"), Host: &batchtypes.Host{SourcePath: aws.String(filepath.Dir(bin))}}}
	def.ContainerProperties.MountPoints = []batchtypes.MountPoint{{SourceVolume: aws.String("probe"), ContainerPath: aws.String("/tmp/probe"), ReadOnly: aws.Bool(true)}}
}

// jobAWSCLI is an aws CLI a job's user may run: the one in PATH, else
// Debian's; "" when there is none.
func jobAWSCLI() string {
	var candidates []string
	if p, err := exec.LookPath("aws"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range append(candidates, "/usr/bin/aws", "/usr/local/bin/aws") {
		if _, err := os.Stat(p); err == nil && reachable(p) {
			return p
		}
	}
	return ""
}

// reachable reports whether a user other than batchd's may execute path.
func reachable(path string) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	for p := real; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if p == "/" {
			return true
		}
	}
}

// A job with jobRoleArn reaches batchd as a session of that role (assumed
// by ecs-tasks.amazonaws.com, the job ID its session name) through the
// SDKs' default credential chain, and is denied what the role lacks; a job
// without one has no credentials.
func TestJobRoleCredentials(t *testing.T) {
	t.Parallel()
	probe := buildCredProbe(t)
	ts, c := jobSetup(t)
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("job-role"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
	call(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("job-role"), PolicyName: aws.String("describe"),
		PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"*"}`))})).ok(t)
	roleARN := "arn:aws:iam::" + acct + ":role/job-role"

	script := `/tmp/probe/credprobe && echo probe-done`
	// The job runs as a user of its own: the CLI must be one it may run
	// (not one under root's home, as pyenv's). CI installs Debian's.
	awsCLI := jobAWSCLI()
	if awsCLI == "" && os.Getenv("CI") == "true" {
		t.Fatal("no aws CLI that a job's user may run (CI installs Debian's awscli)")
	}
	if aws := awsCLI; aws != "" {
		// --endpoint-url: CLIs older than 1.29/2.13 do not read
		// AWS_ENDPOINT_URL.
		aws += ` --endpoint-url "$AWS_ENDPOINT_URL"`
		script += `; ` + aws + ` sts get-caller-identity --query Arn --output text; ` + aws + ` iam list-users 2>&1 | grep -o AccessDenied; ` +
			aws + ` batch describe-jobs --jobs "$AWS_BATCH_JOB_ID" --query 'jobs[0].status' --output text`
	}
	withRole := shellDef("with-role", script)
	withRole.ContainerProperties.JobRoleArn = aws.String(roleARN)
	withRole.ContainerProperties.ResourceRequirements[1].Value = aws.String("1024")
	probeVolume(withRole, probe)
	register(t, c, withRole)
	without := shellDef("without-role", "/tmp/probe/credprobe")
	probeVolume(without, probe)
	register(t, c, without)

	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("with-role"), JobQueue: aws.String("q"), JobDefinition: aws.String("with-role")})
	j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 60*time.Second)
	msgs := strings.Join(logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName)), "\n")
	sessionARN := "arn:aws:sts::" + acct + ":assumed-role/job-role/" + id
	for _, want := range []string{"arn: " + sessionARN, "iam: AccessDenied", "probe-done"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("job output lacks %q:\n%s", want, msgs)
		}
	}
	if awsCLI != "" {
		for _, want := range []string{"\n" + sessionARN + "\n", "\nAccessDenied\n", "\nRUNNING"} {
			if !strings.Contains(msgs+"\n", want) {
				t.Errorf("aws CLI output lacks %q:\n%s", strings.TrimSpace(want), msgs)
			}
		}
	}

	id = submit(t, c, &batch.SubmitJobInput{JobName: aws.String("without-role"), JobQueue: aws.String("q"), JobDefinition: aws.String("without-role")})
	j = waitJob(t, c, id, batchtypes.JobStatusFailed, 60*time.Second)
	if aws.ToInt32(j.Container.ExitCode) != 3 {
		msgs := logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName))
		t.Errorf("a job without a role: exit %d, want 3 (no credentials): %q", aws.ToInt32(j.Container.ExitCode), msgs)
	}
}

// kill -9 of batchd while a job runs: after the restart the job ends with
// the host-terminated reason, and the retry strategy runs it again.
func TestKill9WithJobRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	endpoint, cmd := startProcess(t, bin, dir)
	creds, err := readCredentials(filepath.Join(dir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{URL: endpoint}
	c := ts.batch(creds)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	// The lost job's process is found by its command line: in its pid
	// namespace $$ is not a pid of the host.
	lostSleep := "30." + strconv.Itoa(os.Getpid())
	register(t, c, shellDef("lost", "exec sleep "+lostSleep))
	retried := shellDef("retried", `[ "$AWS_BATCH_JOB_ATTEMPT" = 2 ] || exec sleep 30`)
	retried.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(2), EvaluateOnExit: []batchtypes.EvaluateOnExit{
		{OnStatusReason: aws.String("Host EC2*"), Action: batchtypes.RetryActionRetry}, {OnReason: aws.String("*"), Action: batchtypes.RetryActionExit},
	}}
	register(t, c, retried)
	lost := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("lost"), JobQueue: aws.String("q"), JobDefinition: aws.String("lost")})
	again := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("again"), JobQueue: aws.String("q"), JobDefinition: aws.String("retried")})
	waitJob(t, c, lost, batchtypes.JobStatusRunning, 20*time.Second)
	waitJob(t, c, again, batchtypes.JobStatusRunning, 20*time.Second)
	for deadline := time.Now().Add(10 * time.Second); len(processesRunning("sleep", lostSleep)) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the lost job's sleep does not run")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	endpoint, _ = startProcess(t, bin, dir)
	c = (&testServer{URL: endpoint}).batch(creds)
	j := waitJob(t, c, lost, batchtypes.JobStatusFailed, 20*time.Second)
	// The restarted batchd killed the process its previous run left, so the
	// retried job never runs beside it.
	if pids := processesRunning("sleep", lostSleep); len(pids) > 0 {
		t.Errorf("the lost job's process %v survived the restart", pids)
	}
	if aws.ToString(j.StatusReason) != "Host EC2 (instance batchd) terminated." || len(j.Attempts) != 1 ||
		aws.ToString(j.Attempts[0].StatusReason) != "Host EC2 (instance batchd) terminated." {
		t.Errorf("lost job = %q, attempts %+v", aws.ToString(j.StatusReason), j.Attempts)
	}
	j = waitJob(t, c, again, batchtypes.JobStatusSucceeded, 20*time.Second)
	if len(j.Attempts) != 2 || aws.ToString(j.Attempts[0].StatusReason) != "Host EC2 (instance batchd) terminated." {
		t.Errorf("retried job: %d attempts, first %q", len(j.Attempts), aws.ToString(j.Attempts[0].StatusReason))
	}
}

// An attempt's work directory is in the jobs dir, outside the data dir,
// and gone once the attempt ended.
func TestJobWorkDirRemoved(t *testing.T) {
	t.Parallel()
	ts, c := jobSetup(t)
	register(t, c, shellDef("pwd", `pwd; test "$HOME" = "$(pwd)"`))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("pwd"), JobQueue: aws.String("q"), JobDefinition: aws.String("pwd")})
	j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 20*time.Second)
	msgs := logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName))
	abs, err := filepath.Abs(ts.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	jobs := filepath.Join(os.TempDir(), "batchd-"+instanceOf(abs))
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], jobs+"/") {
		t.Fatalf("pwd = %q, want a directory under %s", msgs, jobs)
	}
	if _, err := os.Stat(msgs[0]); !os.IsNotExist(err) {
		t.Errorf("work directory %s left behind: %v", msgs[0], err)
	}
	// The emptied work directories the executor keeps for the next
	// attempts go with the server, and the jobs dir with them.
	ts.stop()
	if _, err := os.Stat(jobs); !os.IsNotExist(err) {
		names, _ := dirNamesOf(jobs)
		t.Errorf("jobs dir %s left behind the server, holding %q: %v", jobs, names, err)
	}
}

// dirNamesOf returns the names dir holds.
func dirNamesOf(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// processesRunning returns the pids of the processes whose command line
// is args.
func processesRunning(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline"); err == nil && string(cmd) == want && processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// DescribeJobs sends the collections AWS always sends as [] and {} (so
// that `aws batch describe-jobs --query 'length(jobs[0].attempts)'` gives
// 0, not an error), and a finished job's container names the ECS task and
// container instance of its last attempt, as attempts[] does.
func TestDescribeJobsAsAWSSendsThem(t *testing.T) {
	t.Parallel()
	_, c := jobSetup(t)
	register(t, c, shellDef("empty", "exit 0"))
	// The evaluator may move the job on before the first DescribeJobs:
	// the collections are empty in SUBMITTED and RUNNABLE alike.
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("empty"), JobQueue: aws.String("q"), JobDefinition: aws.String("empty")})
	j := describeJob(t, c, id)
	if j.Status != batchtypes.JobStatusSucceeded {
		// The SDK decodes [] and {} as empty, non-nil values and leaves
		// what was not sent nil.
		if j.Attempts == nil || len(j.Attempts) != 0 {
			t.Errorf("attempts = %#v, want []", j.Attempts)
		}
	}
	for name, v := range map[string]bool{
		"dependsOn":              j.DependsOn != nil && len(j.DependsOn) == 0,
		"parameters":             j.Parameters != nil && len(j.Parameters) == 0,
		"tags":                   j.Tags != nil && len(j.Tags) == 0,
		"eksAttempts":            j.EksAttempts != nil && len(j.EksAttempts) == 0,
		"container.environment":  j.Container.Environment != nil && len(j.Container.Environment) == 0,
		"container.volumes":      j.Container.Volumes != nil && len(j.Container.Volumes) == 0,
		"container.mountPoints":  j.Container.MountPoints != nil && len(j.Container.MountPoints) == 0,
		"container.ulimits":      j.Container.Ulimits != nil && len(j.Container.Ulimits) == 0,
		"container.secrets":      j.Container.Secrets != nil && len(j.Container.Secrets) == 0,
		"container.netInterface": j.Container.NetworkInterfaces != nil && len(j.Container.NetworkInterfaces) == 0,
	} {
		if !v {
			t.Errorf("%s: not sent as an empty collection", name)
		}
	}

	j = waitJob(t, c, id, batchtypes.JobStatusSucceeded, 20*time.Second)
	if len(j.Attempts) != 1 {
		t.Fatalf("attempts = %+v", j.Attempts)
	}
	a := j.Attempts[0].Container
	ecs := "arn:aws:ecs:us-east-1:" + acct + ":"
	if task := aws.ToString(j.Container.TaskArn); !strings.HasPrefix(task, ecs+"task/") || task != aws.ToString(a.TaskArn) {
		t.Errorf("container.taskArn = %q, attempts[0] %q", task, aws.ToString(a.TaskArn))
	}
	if inst := aws.ToString(j.Container.ContainerInstanceArn); !strings.HasPrefix(inst, ecs+"container-instance/") || inst != aws.ToString(a.ContainerInstanceArn) {
		t.Errorf("container.containerInstanceArn = %q, attempts[0] %q", inst, aws.ToString(a.ContainerInstanceArn))
	}
	if a.NetworkInterfaces == nil {
		t.Errorf("attempts[0].container.networkInterfaces not sent")
	}
}

// TestJobRetention: --job-retention defaults to AWS's 7 days, reads
// BATCHD_JOB_RETENTION, refuses a negative value; a finished job is gone
// from DescribeJobs and ListJobs once the retention after its end has
// passed, while a job still running stays.
func TestJobRetention(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if cfg, err := parseServeFlags(nil, env(nil), io.Discard); err != nil || cfg.JobRetention != 7*24*time.Hour {
		t.Errorf("default retention %v, %v; want 168h", cfg.JobRetention, err)
	}
	if cfg, err := parseServeFlags(nil, env(map[string]string{"BATCHD_JOB_RETENTION": "720h"}), io.Discard); err != nil || cfg.JobRetention != 720*time.Hour {
		t.Errorf("BATCHD_JOB_RETENTION: %v, %v", cfg.JobRetention, err)
	}
	if _, err := parseServeFlags([]string{"--job-retention", "-1s"}, env(nil), io.Discard); err == nil {
		t.Error("a negative retention was accepted")
	}

	ts := startJobServer(t, func(c *Config) { c.JobRetention = 2 * time.Second })
	c := ts.batch(ts.Root)
	ctx := context.Background()
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, containerDef("true", "true"))
	register(t, c, shellDef("long", "sleep 30"))
	done := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("done"), JobQueue: aws.String("q"), JobDefinition: aws.String("true")})
	long := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("long"), JobQueue: aws.String("q"), JobDefinition: aws.String("long")})
	waitJob(t, c, done, batchtypes.JobStatusSucceeded, 10*time.Second)
	waitJob(t, c, long, batchtypes.JobStatusRunning, 10*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := call(c.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{done, long}})).ok(t)
		if len(out.Jobs) == 1 && aws.ToString(out.Jobs[0].JobId) == long {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s DescribeJobs still shows %d jobs", len(out.Jobs))
		}
		time.Sleep(200 * time.Millisecond)
	}
	l := call(c.ListJobs(ctx, &batch.ListJobsInput{JobQueue: aws.String("q"), JobStatus: batchtypes.JobStatusSucceeded})).ok(t)
	if len(l.JobSummaryList) != 0 {
		t.Errorf("ListJobs SUCCEEDED lists %d jobs after the retention", len(l.JobSummaryList))
	}
}
