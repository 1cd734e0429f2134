package main

import (
	"os"
	"testing"

	"batchd/internal/executor/docker"
	"batchd/internal/executor/local"
)

// TestMain lets the test binary play the roles batchd's binary plays for
// its jobs, as main does.
func TestMain(m *testing.M) {
	local.Init()
	docker.HelperMain(os.Args)
	os.Exit(m.Run())
}
