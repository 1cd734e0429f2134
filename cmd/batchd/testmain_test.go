package main

import (
	"os"
	"testing"

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
