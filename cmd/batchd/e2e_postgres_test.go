package main

// End-to-end flows on the PostgreSQL store (--store postgres://...), and
// two replicas of batchd sharing its database and server key.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	iampkg "batchd/internal/iam"
	"batchd/internal/store/postgres/pgtest"
)

// TestEndToEndOnPostgres runs real flows against --store postgres://...:
// an IAM user with an access key, allowed and denied calls, a compute
// environment, queue and job definition, and a job that runs and SUCCEEDS
// with its log. Then a second replica (its own data dir, the same database
// and server key file) serves the same state: the user's key works there,
// the job is there.
func TestEndToEndOnPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	onPostgres := func(c *Config) {
		c.HostVCPUs = 16
		c.Store = url
		c.ServerKeyFile = keyFile
	}
	ts := startJobServer(t, onPostgres)
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(ts.DataDir, "batchd.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("batchd.db in the data dir (%v): the state should be in PostgreSQL", err)
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Errorf("server key not made at --server-key-file: %v", err)
	}

	// IAM: a user, its key, an allowed and a denied call.
	admin := ts.iam(ts.Root)
	alice := newUser(t, admin, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","batch:DescribeJobs"],"Resource":"*"}]}`)
	if _, err := ts.iam(alice).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice GetUser: %v", err)
	}
	_, err := ts.iam(alice).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateUser")

	// Batch: a job that runs, SUCCEEDS and logs.
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, shellDef("hello", `echo "hello from $AWS_BATCH_JOB_ID on postgres"`))
	id := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("hello"), JobQueue: aws.String("q"), JobDefinition: aws.String("hello")})
	j := waitJob(t, c, id, batchtypes.JobStatusSucceeded, 30*time.Second)
	stream := aws.ToString(j.Container.LogStreamName)
	if msgs, want := logMessages(t, ts.logs(ts.Root), stream), []string{"hello from " + id + " on postgres"}; !slices.Equal(msgs, want) {
		t.Errorf("log events = %q, want %q", msgs, want)
	}
	_, err = ts.batch(alice).SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String("q"), JobDefinition: aws.String("hello")})
	wantAPIError(t, err, "AccessDeniedException", "batch:SubmitJob")

	// A second replica on the same database and key, its own data dir.
	// It writes no root-credentials (the root exists): it is given the
	// first one's.
	ts2 := startReplica(t, ts, onPostgres)
	if _, err := ts2.iam(alice).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice's key on the second replica: %v", err)
	}
	out, err := ts2.batch(alice).DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{id}})
	if err != nil || len(out.Jobs) != 1 || out.Jobs[0].Status != batchtypes.JobStatusSucceeded {
		t.Fatalf("the job on the second replica: %+v, %v", out, err)
	}
	// A replica with a server key of its own is refused at start.
	dir3 := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := defaultConfig()
	cfg.DataDir, cfg.Executor = dir3, "local"
	onPostgres(&cfg)
	cfg.ServerKeyFile = filepath.Join(dir3, "server.key")
	if err := Serve(ctx, cfg, ln, slog.New(slog.DiscardHandler), io.Discard); !errors.Is(err, iampkg.ErrWrongServerKey) {
		t.Errorf("Serve with another server key = %v, want ErrWrongServerKey", err)
	}
	// What one replica writes, the other reads at once.
	if _, err := ts2.iam(ts2.Root).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")}); err != nil {
		t.Errorf("bob, made on the second replica, on the first: %v", err)
	}
}

// startReplica starts another replica of first on the store edit names,
// in a data dir of its own: it writes no root-credentials (the root
// exists), so it is given first's.
func startReplica(t *testing.T, first *testServer, edit func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	creds, err := os.ReadFile(filepath.Join(first.DataDir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root-credentials"), creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return startServerWith(t, dir, edit)
}

func TestStoreFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, store, wantErr string
	}{
		{name: "default", store: ""},
		{name: "sqlite", store: "sqlite:/var/lib/batchd/state.db"},
		{name: "postgres", store: "postgres://u:p@db:5432/batchd?sslmode=require"},
		{name: "postgresql", store: "postgresql://db/batchd"},
		{name: "empty sqlite path", store: "sqlite:", wantErr: "names no file"},
		{name: "bare path", store: "/var/lib/batchd.db", wantErr: "--store must be sqlite:PATH"},
		{name: "mysql", store: "mysql://u:secret@db/batchd", wantErr: "u:xxxxx@db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServeFlags([]string{"--store", tc.store}, func(string) string { return "" }, os.Stderr)
			if tc.wantErr == "" {
				if err != nil || cfg.Store != tc.store {
					t.Errorf("--store %q: %q, %v", tc.store, cfg.Store, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "secret") {
				t.Errorf("--store %q: %v, want an error containing %q (and no password)", tc.store, err, tc.wantErr)
			}
		})
	}
	cfg, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"BATCHD_STORE": "postgres://db/b", "BATCHD_SERVER_KEY_FILE": "/etc/batchd/server.key"}[k]
	}, os.Stderr)
	if err != nil || cfg.Store != "postgres://db/b" || cfg.ServerKeyFile != "/etc/batchd/server.key" {
		t.Errorf("from the environment: store %q key %q, %v", cfg.Store, cfg.ServerKeyFile, err)
	}
	if got := storeURL("", "/d"); got != "sqlite:/d/batchd.db" {
		t.Errorf("default store = %q, want sqlite:/d/batchd.db", got)
	}
}
