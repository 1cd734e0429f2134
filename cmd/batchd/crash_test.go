package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// buildBinary builds batchd once per test into a temp dir.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "batchd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `batchd serve` as a real process on a free port and
// waits until it listens; it returns the endpoint and the process. Extra
// flags are added; without any, jobs run with the local executor.
func startProcess(t testing.TB, bin, dir string, flags ...string) (string, *exec.Cmd) {
	t.Helper()
	if len(flags) == 0 {
		flags = []string{"--executor", "local"}
	}
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "endpoint="); ok {
				found <- strings.Fields(after)[0]
			}
		}
	}()
	select {
	case ep := <-found:
		return ep, cmd
	case <-time.After(20 * time.Second):
		t.Fatal("batchd did not start")
	}
	return "", nil
}

// A write acknowledged with a 200 survives kill -9 of the server.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	endpoint, cmd := startProcess(t, bin, dir)
	creds, err := readCredentials(filepath.Join(dir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "root-credentials"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("root-credentials mode = %v, %v; want 0600", info.Mode(), err)
	}
	ts := &testServer{URL: endpoint}
	client := ts.iam(creds)
	ctx := context.Background()
	for _, name := range []string{"u1", "u2", "u3"} {
		if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	endpoint, cmd = startProcess(t, bin, dir)
	ts = &testServer{URL: endpoint}
	client = ts.iam(creds)
	out, err := client.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 3 {
		t.Fatalf("after kill -9: %d users, want 3", len(out.Users))
	}
	// Their calls' audit records, committed with the users, are in the
	// trail's file once the restarted server has opened it, once each.
	trail, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(trail), `"eventName":"CreateUser","awsRegion":"us-east-1"`); n != 3 {
		t.Fatalf("%d CreateUser records after kill -9 and restart, want 3", n)
	}
	for _, name := range []string{"u1", "u2", "u3"} {
		if !strings.Contains(string(trail), `"UserName":"`+name+`"`) {
			t.Errorf("no audit record of CreateUser %s after kill -9", name)
		}
	}
	// The root credentials are written once: a restart keeps the file and
	// the key it names.
	again, err := readCredentials(filepath.Join(dir, "root-credentials"))
	if err != nil || again != creds {
		t.Fatalf("root credentials changed on restart")
	}
	// SIGTERM shuts down gracefully.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

// The audit trail holds one CloudTrail-shaped record per call, allowed and
// denied, with the engine's reasons and no secret.
func TestAuditTrail(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	bob := newUser(t, admin, "bob")
	if _, err := ts.iam(bob).ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		t.Fatal("bob has no policy: ListUsers must be denied")
	}
	ts.stop() // flushes the audit file
	data, err := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{`"eventName":"CreateAccessKey"`, `"eventSource":"iam.amazonaws.com"`, `"errorCode":"AccessDenied"`,
		`"decision":"ImplicitDeny"`, `implicitly denied: no identity-based policy allows the action`, `"userName":"bob"`, `"type":"IAMUser"`} {
		if !strings.Contains(text, want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
	if strings.Contains(text, bob.SecretAccessKey) || strings.Contains(text, ts.Root.SecretAccessKey) {
		t.Error("a secret access key is in the audit trail")
	}
	// One record per call, writes (recorded while they commit) and reads
	// alike.
	seen := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		var rec struct{ RequestID, EventName, EventID, BatchdReplacesEventId string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		if prev, dup := seen[rec.RequestID]; dup || rec.BatchdReplacesEventId != "" {
			t.Errorf("request %s (%s) has two records: %s", rec.RequestID, rec.EventName, prev)
		}
		seen[rec.RequestID] = rec.EventName
	}
	if len(seen) != 3 {
		t.Errorf("records %v, want one for each of the 3 calls (CreateUser, CreateAccessKey, ListUsers)", seen)
	}
}
