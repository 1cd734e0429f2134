package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// On a full disk a write is refused with a message that says so, nothing
// is half-stored, and batchd recovers once space returns. The data dir is
// a small tmpfs of the test's own (root only: CI runs as root).
func TestFullDisk(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounts a tmpfs: needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=8m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v", err)
		}
		t.Skipf("mount tmpfs: %v", err)
	}
	// The data dir's own store: the disk filled is the data dir's.
	ts := startServerWith(t, dir, func(c *Config) { c.Store = "sqlite:" + filepath.Join(dir, "batchd.db") })
	t.Cleanup(func() {
		ts.stop()
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("before")}); err != nil {
		t.Fatal(err)
	}
	// Fill the disk.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	const msg = "the disk of its data directory is full"
	var failed bool
	for i := 0; i < 50 && !failed; i++ {
		// SQLite may still have free pages: write until it has none.
		_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("during" + strings.Repeat("x", i))})
		if err != nil {
			wantAPIError(t, err, "InternalFailure", msg)
			failed = true
		}
	}
	if !failed {
		t.Fatal("no write failed on a full disk")
	}
	_, err = ts.batch(ts.Root).CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("ce"), Type: "UNMANAGED"})
	wantAPIError(t, err, "ServerException", msg)

	// Space returns: so do writes.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after")}); err != nil {
		t.Fatalf("after space returned: %v", err)
	}
	if _, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("before")}); err != nil {
		t.Fatalf("a write from before the disk filled: %v", err)
	}
}
