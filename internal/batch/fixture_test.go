package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"batchd/internal/store/sqlite"
)

// TestMakeFinishedJobsFixture writes, when BATCHD_FIXTURE_DIR names a
// directory, a batchd data dir whose database holds compute environment ce,
// queue q, job definition jd and BATCHD_FIXTURE_JOBS (default 1,000,000)
// SUCCEEDED jobs, for measuring a server with many finished jobs:
//
//	BATCHD_FIXTURE_DIR=/tmp/fx go test -run MakeFinishedJobsFixture -timeout 30m ./internal/batch
//	batchd serve --data-dir /tmp/fx
func TestMakeFinishedJobsFixture(t *testing.T) {
	dir := os.Getenv("BATCHD_FIXTURE_DIR")
	if dir == "" {
		t.Skip("BATCHD_FIXTURE_DIR not set")
	}
	n := 1_000_000
	if v := os.Getenv("BATCHD_FIXTURE_JOBS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "batchd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(Config{Store: db, Roles: &fakeRoles{}, AccountID: testAccount, Region: testRegion})
	createTestCE(t, s, "ce")
	createTestQueue(t, s, "q", "ce")
	registerTestJD(t, s, "jd")
	for done := 0; done < n; done += 100_000 {
		bulkJobs(t, s, "q", min(100_000, n-done), JobStatusSucceeded)
	}
}
