package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// testServer is batchd running in-process on a loopback port.
type testServer struct {
	URL     string
	DataDir string
	Root    aws.Credentials
	stop    func()
}

// startServer runs Serve on 127.0.0.1:0 with a fresh data dir (or dir when
// given) and reads the root credentials it wrote.
func startServer(t testing.TB, dir string) *testServer {
	t.Helper()
	return startServerWith(t, dir, nil)
}

// startServerWith is startServer with the configuration changed by edit
// (when not nil) before the server starts.
func startServerWith(t testing.TB, dir string, edit func(*Config)) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := defaultConfig()
	cfg.DataDir = dir
	cfg.Executor = "local" // the tests of the container executor choose it
	if edit != nil {
		edit(&cfg)
	}
	cfg.Store = testStore(t, cfg.Store)
	go func() { done <- Serve(ctx, cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard) }()
	ts := &testServer{URL: "http://" + ln.Addr().String(), DataDir: dir}
	ts.stop = func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	}
	var once sync.Once
	stop := ts.stop
	ts.stop = func() { once.Do(stop) }
	t.Cleanup(ts.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if creds, err := readCredentials(filepath.Join(dir, "root-credentials")); err == nil {
			ts.Root = creds
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("root-credentials not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ts
}

func readCredentials(path string) (aws.Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return aws.Credentials{}, err
	}
	defer f.Close()
	var c aws.Credentials
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		switch {
		case ok && k == "aws_access_key_id":
			c.AccessKeyID = v
		case ok && k == "aws_secret_access_key":
			c.SecretAccessKey = v
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, errors.New("incomplete credentials file")
	}
	return c, nil
}

func (ts *testServer) awsConfig(creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.StaticCredentialsProvider{Value: creds},
		RetryMaxAttempts: 1,
	}
}

func (ts *testServer) iam(creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(ts.awsConfig(creds), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func (ts *testServer) sts(creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(ts.awsConfig(creds), func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// wantAPIError checks that err is the AWS error code, with a message
// containing msg.
func wantAPIError(t testing.TB, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error = %s: %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// newUser creates a user with an access key and returns its credentials.
func newUser(t testing.TB, admin *iam.Client, name string, policies ...string) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	for i, doc := range policies {
		if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p" + string(rune('0'+i))), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
}

func TestServeCallerIdentityAndUsers(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	id, err := ts.sts(ts.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:iam::123456789012:root" || *id.Account != "123456789012" {
		t.Fatalf("identity = %s %s", *id.Arn, *id.Account)
	}
	admin := ts.iam(ts.Root)
	alice := newUser(t, admin, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"},{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)
	ai := ts.iam(alice)
	if _, err := ai.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice GetUser self: %v", err)
	}
	_, err = ai.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("root-ish")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/root-ish because no identity-based policy allows the iam:GetUser action")
	if _, err := ai.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	_, err = ai.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantAPIError(t, err, "AccessDenied", "iam:CreateUser")
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantAPIError(t, err, "EntityAlreadyExists", "User with name ALICE already exists.")
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name!")})
	wantAPIError(t, err, "ValidationError", "failed to satisfy constraint")
	_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Statement":[]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "Statement")
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", "must delete access keys first")
	out, err := admin.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(out.Users) != 1 || *out.Users[0].UserName != "alice" {
		t.Fatalf("ListUsers = %+v, %v", out, err)
	}
	_ = iamtypes.StatusTypeActive
}

// The data dir is batchd's alone: 0700, its files 0600, and one batchd at
// a time; a second one is refused, naming the first one's pid.
func TestDataDirPrivateAndLocked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	startServer(t, dir)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, %v", fi.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if fi, err := e.Info(); err != nil || e.Type().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", e.Name(), fi.Mode(), err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := defaultConfig()
	cfg.DataDir, cfg.Executor = dir, "local"
	err = Serve(context.Background(), cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	want := fmt.Sprintf("in use by another batchd (pid %d)", os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second Serve on the same data dir: %v, want %q", err, want)
	}
}

// TestServeProcs: a started server runs with twice the runtime's default
// number of Ps, unless GOMAXPROCS was set (setProcs).
func TestServeProcs(t *testing.T) {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		t.Skip("GOMAXPROCS is set: batchd keeps it")
	}
	startServer(t, "")
	if got, want := runtime.GOMAXPROCS(0), 2*defaultProcs; got != want {
		t.Errorf("GOMAXPROCS = %d, want %d (twice %d)", got, want, defaultProcs)
	}
}

// Serve sets the GC's target (gcPercent) unless GOGC is set.
func TestServeGC(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set: batchd keeps it")
	}
	startServer(t, "")
	got := debug.SetGCPercent(gcPercent) // reads it back; the same value again
	if got != gcPercent {
		t.Errorf("GC percent = %d, want %d", got, gcPercent)
	}
}
