package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/moby/moby/client"

	"batchd/internal/executor/docker"
	"batchd/internal/executor/docker/dockertest"
)

// testImage is the image of the container tests: busybox with an ENV, a
// WORKDIR and a default command of its own.
const testImage = "batchd-test/busybox:e2e"

// testImageChanges make testImage.
var testImageChanges = []string{"ENV FROM_IMAGE=image-env", "ENV OVERRIDDEN=image", "WORKDIR /work",
	`CMD ["sh", "-c", "echo default command in $(pwd) with $FROM_IMAGE $OVERRIDDEN"]`}

// dockerSetup starts batchd with the Docker executor as its default, an
// UNMANAGED compute environment and a queue "q" on it.
func dockerSetup(t *testing.T) (*testServer, *batch.Client, string) {
	t.Helper()
	host := dockertest.Host(t)
	dockertest.Image(t, host, testImage, testImageChanges...)
	ts := startJobServer(t, func(c *Config) { c.HostVCPUs = 16; c.Executor = "docker"; c.DockerHost = host })
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	return ts, c, host
}

// imageDef is a job definition of the test image, running script with sh
// -c (none: the image's default command).
func imageDef(name, script string) *batch.RegisterJobDefinitionInput {
	def := shellDef(name, script)
	def.ContainerProperties.Image = aws.String(testImage)
	if script == "" {
		def.ContainerProperties.Command = nil
	}
	return def
}

// instanceContainers lists the job containers of the batchd whose data dir
// is dir.
func instanceContainers(t *testing.T, host, dir string) []string {
	t.Helper()
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "batchd.role=job")})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	want := instanceOf(abs)
	var ids []string
	for _, c := range list.Items {
		if c.Labels[docker.LabelInstance] == want {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// Jobs as containers of their image: the image's default command, ENV and
// WORKDIR; the definition's user, read-only root, volumes; no
// CAP_SYS_ADMIN; exit codes; OOM; a missing image; terminate; job-role
// credentials from inside; no container left behind.
func TestDockerJobs(t *testing.T) {
	t.Parallel()
	ts, c, host := dockerSetup(t)
	ctx := context.Background()
	logsOf := func(j batchtypes.JobDetail) string {
		return strings.Join(logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName)), "\n")
	}

	t.Run("the image's default command, ENV and WORKDIR", func(t *testing.T) {
		def := imageDef("default-cmd", "")
		def.ContainerProperties.Environment = []batchtypes.KeyValuePair{{Name: aws.String("OVERRIDDEN"), Value: aws.String("job")}}
		register(t, c, def)
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("default"), JobQueue: aws.String("q"), JobDefinition: aws.String("default-cmd")})
		j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 60*time.Second)
		if got := logsOf(j); got != "default command in /work with image-env job" {
			t.Fatalf("log = %q", got)
		}
	})

	t.Run("user, read-only root, capabilities, host volume", func(t *testing.T) {
		vol := t.TempDir()
		// Readable by the job's user whatever the test process's umask.
		if err := os.WriteFile(filepath.Join(vol, "input"), []byte("from the host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for p, mode := range map[string]os.FileMode{vol: 0o755, filepath.Join(vol, "input"): 0o644} {
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
		def := imageDef("settings", `id -u; touch /root-file 2>/dev/null && echo root-writable || echo root-read-only; `+
			`cat /data/input; touch /data/out 2>/dev/null && echo volume-writable || echo volume-read-only; `+
			`m=$(grep CapEff /proc/self/status | tr -d '\t' | cut -d: -f2); [ $(( 0x$m >> 21 & 1 )) = 1 ] && echo CAP_SYS_ADMIN || echo no-CAP_SYS_ADMIN; `+
			`hostname >/dev/null; echo "$AWS_BATCH_JOB_ID $AWS_BATCH_JQ_NAME"`)
		def.ContainerProperties.User = aws.String("nobody")
		def.ContainerProperties.ReadonlyRootFilesystem = aws.Bool(true)
		def.ContainerProperties.Volumes = []batchtypes.Volume{{Name: aws.String("in"), Host: &batchtypes.Host{SourcePath: aws.String(vol)}}}
		def.ContainerProperties.MountPoints = []batchtypes.MountPoint{{SourceVolume: aws.String("in"), ContainerPath: aws.String("/data"), ReadOnly: aws.Bool(true)}}
		register(t, c, def)
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("settings"), JobQueue: aws.String("q"), JobDefinition: aws.String("settings")})
		j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 60*time.Second)
		want := "65534\nroot-read-only\nfrom the host\nvolume-read-only\nno-CAP_SYS_ADMIN\n" + id + " q"
		if got := logsOf(j); got != want {
			t.Fatalf("log = %q, want %q", got, want)
		}
	})

	t.Run("exit code", func(t *testing.T) {
		register(t, c, imageDef("exit3", "echo failing; exit 3"))
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("exit3"), JobQueue: aws.String("q"), JobDefinition: aws.String("exit3")})
		j := waitJob(t, c, id, batchtypes.JobStatusFailed, 60*time.Second)
		if aws.ToInt32(j.Container.ExitCode) != 3 || aws.ToString(j.StatusReason) != "Essential container in task exited" || logsOf(j) != "failing" {
			t.Fatalf("exit 3: %+v %+v", j, j.Container)
		}
	})

	t.Run("OOM", func(t *testing.T) {
		def := imageDef("oom", "x=$(yes | head -c 200000000); echo survived")
		def.ContainerProperties.ResourceRequirements[1].Value = aws.String("16")
		register(t, c, def)
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("oom"), JobQueue: aws.String("q"), JobDefinition: aws.String("oom")})
		j := waitJob(t, c, id, batchtypes.JobStatusFailed, 60*time.Second)
		if aws.ToInt32(j.Container.ExitCode) != 137 || aws.ToString(j.Container.Reason) != "OutOfMemoryError: Container killed due to memory usage" {
			t.Fatalf("oom: exit %d reason %q", aws.ToInt32(j.Container.ExitCode), aws.ToString(j.Container.Reason))
		}
	})

	t.Run("missing image", func(t *testing.T) {
		def := imageDef("missing", "true")
		def.ContainerProperties.Image = aws.String("127.0.0.1:1/no/such-image:1")
		register(t, c, def)
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("missing"), JobQueue: aws.String("q"), JobDefinition: aws.String("missing")})
		j := waitJob(t, c, id, batchtypes.JobStatusFailed, 60*time.Second)
		if aws.ToString(j.StatusReason) != "Task failed to start" || len(j.Attempts) != 1 ||
			!strings.HasPrefix(aws.ToString(j.Attempts[0].Container.Reason), "CannotPullContainerError: ") || j.Attempts[0].Container.ExitCode != nil {
			t.Fatalf("missing image: %q, attempts %+v", aws.ToString(j.StatusReason), j.Attempts)
		}
	})

	t.Run("terminate", func(t *testing.T) {
		register(t, c, imageDef("trap", `trap 'echo got SIGTERM; exit 9' TERM; echo up; while true; do sleep 0.1; done`))
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("trap"), JobQueue: aws.String("q"), JobDefinition: aws.String("trap")})
		waitJob(t, c, id, batchtypes.JobStatusRunning, 60*time.Second)
		time.Sleep(time.Second) // the trap is set
		call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(id), Reason: aws.String("stop it")})).ok(t)
		j := waitJob(t, c, id, batchtypes.JobStatusFailed, 20*time.Second)
		for len(j.Attempts) == 0 {
			time.Sleep(50 * time.Millisecond)
			j = describeJob(t, c, id)
		}
		if aws.ToInt32(j.Attempts[0].Container.ExitCode) != 9 || aws.ToString(j.StatusReason) != "stop it" || !strings.Contains(logsOf(j), "got SIGTERM") {
			t.Fatalf("terminated: %q exit %d log %q", aws.ToString(j.StatusReason), aws.ToInt32(j.Attempts[0].Container.ExitCode), logsOf(j))
		}
	})

	t.Run("job role credentials from inside the container", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "credprobe")
		build := exec.Command("go", "build", "-o", bin, "./testdata/credprobe")
		build.Env = append(os.Environ(), "CGO_ENABLED=0") // static: the image has no C library
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build credprobe: %v\n%s", err, out)
		}
		admin := ts.iam(ts.Root)
		call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("container-role"), AssumeRolePolicyDocument: aws.String(ecsTrust)})).ok(t)
		call(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("container-role"), PolicyName: aws.String("none"),
			PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"*"}`))})).ok(t)
		def := imageDef("creds", "/probe/credprobe")
		def.ContainerProperties.JobRoleArn = aws.String("arn:aws:iam::" + acct + ":role/container-role")
		def.ContainerProperties.Volumes = []batchtypes.Volume{{Name: aws.String("probe"), Host: &batchtypes.Host{SourcePath: aws.String(filepath.Dir(bin))}}}
		def.ContainerProperties.MountPoints = []batchtypes.MountPoint{{SourceVolume: aws.String("probe"), ContainerPath: aws.String("/probe"), ReadOnly: aws.Bool(true)}}
		register(t, c, def)
		id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("creds"), JobQueue: aws.String("q"), JobDefinition: aws.String("creds")})
		j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 60*time.Second)
		want := "arn: arn:aws:sts::" + acct + ":assumed-role/container-role/" + id + "\niam: AccessDenied"
		if got := logsOf(j); got != want {
			t.Fatalf("log = %q, want %q", got, want)
		}
	})

	// Containers are removed once their attempt is recorded (ECS, too,
	// cleans up after a task stopped).
	deadline := time.Now().Add(10 * time.Second)
	for ids := instanceContainers(t, host, ts.DataDir); len(ids) != 0; ids = instanceContainers(t, host, ts.DataDir) {
		if time.Now().After(deadline) {
			t.Fatalf("containers left behind: %v", ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill -9 of batchd with a container job running: the restarted batchd
// removes the container and fails the attempt with the host-terminated
// reason; nothing runs twice at once.
func TestDockerKill9WithJobRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	t.Parallel()
	host := dockertest.Host(t)
	dockertest.Image(t, host, testImage, testImageChanges...)
	bin := buildBinary(t)
	dir := t.TempDir()
	// The last batchd is killed too (startProcess's cleanup): what it
	// left is removed as its next start would.
	t.Cleanup(func() {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Error(err)
			return
		}
		d, err := docker.New(docker.Options{Host: host, Instance: instanceOf(abs), Network: docker.NetworkNone})
		if err != nil {
			t.Error(err)
			return
		}
		defer d.Close()
		if _, err := d.Reap(context.Background()); err != nil {
			t.Error(err)
		}
	})
	flags := []string{"--executor", "docker", "--docker-host", host}
	endpoint, cmd := startProcess(t, bin, dir, flags...)
	creds, err := readCredentials(filepath.Join(dir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	c := (&testServer{URL: endpoint}).batch(creds)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, imageDef("lost", "exec sleep 300"))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("lost"), JobQueue: aws.String("q"), JobDefinition: aws.String("lost")})
	waitJob(t, c, id, batchtypes.JobStatusRunning, 60*time.Second)
	if n := len(instanceContainers(t, host, dir)); n != 1 {
		t.Fatalf("%d job containers running, want 1", n)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	endpoint, _ = startProcess(t, bin, dir, flags...)
	c = (&testServer{URL: endpoint}).batch(creds)
	j := waitJob(t, c, id, batchtypes.JobStatusFailed, 30*time.Second)
	if aws.ToString(j.StatusReason) != "Host EC2 (instance batchd) terminated." {
		t.Errorf("lost job: %q", aws.ToString(j.StatusReason))
	}
	if ids := instanceContainers(t, host, dir); len(ids) != 0 {
		t.Errorf("the container of the killed batchd survived the restart: %v", ids)
	}
}
