package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"batchd/internal/store/postgres/pgtest"
)

// readyz is a replica's /readyz answer.
func readyz(t *testing.T, endpoint string) string {
	t.Helper()
	res, err := http.Get(endpoint + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Two replicas on one PostgreSQL database: jobs submitted through the
// standby run on the leader; kill -9 of the leader, and the standby takes
// the lease, ends the attempts the leader was running as that host's loss,
// and runs every job to SUCCEEDED, each attempt once; identities and
// every acknowledged write are there.
func TestFailover(t *testing.T) {
	url := pgtest.URL(t)
	bin := buildBinary(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	flags := func(id string) []string {
		return []string{"--executor", "local", "--store", url, "--replica-id", id, "--host-vcpus", "4", "--log-level", "debug"}
	}
	epA, cmdA := startProcess(t, bin, dirA, flags("a")...)
	deadline := time.Now().Add(20 * time.Second)
	for readyz(t, epA) != "ok (leader)" {
		if time.Now().After(deadline) {
			t.Fatalf("replica a: /readyz %q", readyz(t, epA))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The replicas share the server key, which seals the secrets in the
	// store.
	key, err := os.ReadFile(filepath.Join(dirA, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, "server.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	epB, _ := startProcess(t, bin, dirB, flags("b")...)
	if got := readyz(t, epB); got != "ok (standby)" {
		t.Fatalf("replica b: /readyz %q", got)
	}
	root, err := readCredentials(filepath.Join(dirA, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	a := &testServer{URL: epA, Root: root}
	b := &testServer{URL: epB, Root: root}

	// Writes through b: an identity, and the jobs.
	ctx := context.Background()
	alice := newUser(t, b.iam(root), "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:Describe*","Resource":"*"}]}`)
	if _, err := a.sts(alice).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatalf("a user made through b, on a at once: %v", err)
	}
	c := b.batch(root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	def := shellDef("work", `echo "start $AWS_BATCH_JOB_ATTEMPT"; sleep 3; echo done`)
	def.RetryStrategy = &batchtypes.RetryStrategy{Attempts: aws.Int32(2)}
	register(t, c, def)
	var ids []string
	for range 6 {
		ids = append(ids, submit(t, c, &batch.SubmitJobInput{JobName: aws.String("w"), JobQueue: aws.String("q"), JobDefinition: aws.String("work")}))
	}
	// a leads: it runs them (4 vCPUs: four at once).
	running := 0
	deadline = time.Now().Add(30 * time.Second)
	for running < 4 {
		running = 0
		for _, id := range ids {
			if describeJob(t, c, id).Status == batchtypes.JobStatusRunning {
				running++
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs RUNNING on a, want 4", running)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmdA.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmdA.Wait() // killed: its error says so
	killed := time.Now().UnixMilli()

	var firstNew int64
	lost := 0
	for _, id := range ids {
		j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 60*time.Second)
		for _, att := range j.Attempts {
			if s := aws.ToInt64(att.StartedAt); s > killed && (firstNew == 0 || s < firstNew) {
				firstNew = s
			}
		}
		last := j.Attempts[len(j.Attempts)-1]
		msgs := logMessages(t, b.logs(root), aws.ToString(last.Container.LogStreamName))
		want := []string{"start " + string(rune('0'+len(j.Attempts))), "done"}
		if strings.Join(msgs, "|") != strings.Join(want, "|") {
			t.Errorf("job %s, attempt %d: log %q, want %q", id, len(j.Attempts), msgs, want)
		}
		if len(j.Attempts) == 2 {
			lost++
			if r := aws.ToString(j.Attempts[0].StatusReason); r != "Host EC2 (instance a) terminated." {
				t.Errorf("job %s: the lost attempt's statusReason %q", id, r)
			}
			// The stream is made by the attempt's first output, at most
			// 100 ms after it started: a replica killed sooner left none.
			var first []string
			out, err := b.logs(root).GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/aws/batch/job"),
				LogStreamName: aws.String(aws.ToString(j.Attempts[0].Container.LogStreamName)), StartFromHead: aws.Bool(true)})
			var missing *logstypes.ResourceNotFoundException
			switch {
			case errors.As(err, &missing):
			case err != nil:
				t.Fatalf("the lost attempt's log: %v", err)
			default:
				for _, e := range out.Events {
					first = append(first, aws.ToString(e.Message))
				}
			}
			if strings.Count(strings.Join(first, "\n"), "start") > 1 || strings.Contains(strings.Join(first, "\n"), "done") {
				t.Errorf("job %s: the lost attempt's log %q", id, first)
			}
		}
	}
	if firstNew == 0 || lost < 4 {
		t.Fatalf("%d attempts lost with the leader (want the 4 it ran), first new dispatch at %d", lost, firstNew)
	}
	t.Logf("failover: the leader killed, the first new dispatch %d ms later", firstNew-killed)
	if got := readyz(t, epB); got != "ok (leader)" {
		t.Errorf("replica b after the failover: /readyz %q", got)
	}
	// The identity and the writes made through a dead replica are there.
	if _, err := b.sts(alice).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatalf("alice after the failover: %v", err)
	}
	users := call(b.iam(root).ListUsers(ctx, &iam.ListUsersInput{})).ok(t)
	if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "alice" {
		t.Errorf("users %v", users.Users)
	}
}

// What one replica writes, another that cached the old answer sees within
// moments (store.Listener): a key made inactive is refused there, a
// policy removed no longer allows, a queue's tags changed decide its
// SubmitJob. Each takes effect on the other replica within milliseconds
// (the test allows 3 s, for loaded machines).
func TestReplicasDropCaches(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	onPostgres := func(c *Config) { c.HostVCPUs = 4; c.Store = url; c.ServerKeyFile = keyFile }
	a := startJobServer(t, onPostgres)
	b := startReplica(t, a, onPostgres)
	ctx := context.Background()
	admin := a.iam(a.Root)
	alice := newUser(t, admin, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:DescribeJobQueues","Resource":"*"}]}`)
	within := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > 3*time.Second {
				t.Fatalf("%s: not seen on the other replica within 3 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s: seen on the other replica after %v", what, time.Since(start).Round(time.Millisecond))
	}
	// b caches alice's key and her policies.
	if _, err := b.batch(alice).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	call(admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p0")})).ok(t)
	within("a policy removed", func() bool {
		_, err := b.batch(alice).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
		return err != nil && strings.Contains(err.Error(), "AccessDeniedException")
	})
	call(admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID), Status: "Inactive"})).ok(t)
	within("a key made inactive", func() bool {
		_, err := b.sts(alice).GetCallerIdentity(ctx, nil)
		return err != nil && strings.Contains(err.Error(), "InvalidClientTokenId")
	})
	// Tag-based SubmitJob: bob may submit only to queues tagged team=x;
	// b caches the queue's tags, a changes them.
	bob := newUser(t, admin, "bob", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-definition/*"},
		{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"x"}}}]}`)
	c := a.batch(a.Root)
	unmanagedCE(t, c, "ce")
	qARN := queue(t, c, "q", "ce", map[string]string{"team": "x"})
	register(t, c, shellDef("d", "true"))
	submitB := func() error {
		_, err := b.batch(bob).SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("d")})
		return err
	}
	if err := submitB(); err != nil {
		t.Fatal(err)
	}
	call(c.TagResource(ctx, &batch.TagResourceInput{ResourceArn: aws.String(qARN), Tags: map[string]string{"team": "y"}})).ok(t)
	within("a queue's tags changed", func() bool {
		err := submitB()
		return err != nil && strings.Contains(err.Error(), "AccessDeniedException")
	})
	// Each replica's audit trail has the calls it served, those whose
	// records were committed with their writes included: bob's SubmitJobs
	// went to b only.
	trail := func(ts *testServer) string {
		b, err := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(trail(b), `"eventName":"SubmitJob"`) || !strings.Contains(trail(a), `"eventName":"TagResource"`) {
		if time.Now().After(deadline) {
			t.Fatal("the replicas' audit trails lack their own calls")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(trail(a), `"eventName":"SubmitJob"`) || strings.Contains(trail(b), `"eventName":"TagResource"`) {
		t.Error("a replica's audit trail has another replica's calls")
	}
}

// A console session lives in the shared store: signed in through one
// replica, the browser is signed in on the other, and signing out on
// either ends it on both.
func TestConsoleSessionAcrossReplicas(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	pwFile := filepath.Join(t.TempDir(), "root-password")
	if err := os.WriteFile(pwFile, []byte("Root-Passw0rd!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	onPostgres := func(c *Config) { c.Store = url; c.ServerKeyFile = keyFile; c.RootPasswordFile = pwFile }
	a := startJobServer(t, onPostgres)
	b := startReplica(t, a, onPostgres)
	hc := consoleClient(t) // its jar sends 127.0.0.1's cookies to either port
	consoleSignIn(t, hc, a.URL+"/console", "", "Root-Passw0rd!")
	code, body := getPage(t, hc, b.URL+"/console/")
	if code != http.StatusOK || !strings.Contains(body, `id="signed-in-as">root<`) {
		t.Fatalf("the other replica: %d %s", code, body)
	}
	tok := formToken(t, hc, b.URL+"/console/")
	res, _ := postForm(t, hc, b.URL+"/console/signout", map[string][]string{"csrf": {tok}}, http.Header{"Origin": {b.URL}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if code, _ := getPage(t, hc, a.URL+"/console/"); code != http.StatusFound {
		t.Fatalf("signed out on b, a answers %d", code)
	}
}
