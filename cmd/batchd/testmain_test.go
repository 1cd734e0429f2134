package main

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"batchd/internal/executor/docker"
	"batchd/internal/executor/local"
	"batchd/internal/store/postgres/pgtest"
)

// TestMain lets the test binary play the roles batchd's binary plays for
// its jobs, as main does.
func TestMain(m *testing.M) {
	local.Init()
	docker.HelperMain(os.Args)
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// testStoreEnv, set to "postgres", runs every test server that does not
// choose its store on a fresh PostgreSQL database (pgtest) instead of the
// data dir's SQLite file: BATCHD_TEST_STORE=postgres go test ./cmd/batchd.
const testStoreEnv = "BATCHD_TEST_STORE"

// testStore is the --store of a test server whose configuration says
// store: store itself, unless it is "" and BATCHD_TEST_STORE asks for
// PostgreSQL.
func testStore(t testing.TB, store string) string {
	t.Helper()
	switch v := os.Getenv(testStoreEnv); {
	case store != "" || v == "" || v == "sqlite":
		return store
	case v == "postgres":
		return pgtest.URL(t)
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", testStoreEnv, v)
		return ""
	}
}

// TestSuiteOnPostgres runs this package's tests again, each test server
// on a fresh PostgreSQL database (BATCHD_TEST_STORE=postgres), in a
// child process of this test binary: the end-to-end tests prove both
// stores in every `go test ./...` (and so in CI). -short leaves it out.
func TestSuiteOnPostgres(t *testing.T) {
	if os.Getenv(testStoreEnv) != "" {
		t.Skip("this is the run on another store")
	}
	if testing.Short() {
		t.Skip("-short: the suite runs on SQLite only")
	}
	pgtest.URL(t) // skips, or fails under CI, without PostgreSQL
	cmd := exec.Command(os.Args[0], "-test.run", "^Test", "-test.skip", "^TestSuiteOnPostgres$", "-test.count", "1", "-test.timeout", "15m")
	cmd.Env = append(os.Environ(), testStoreEnv+"=postgres")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the suite on PostgreSQL: %v\n%s", err, out)
	}
	t.Logf("the suite on PostgreSQL passed in %v", time.Since(start).Round(time.Second))
}
