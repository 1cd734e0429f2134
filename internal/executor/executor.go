// Package executor owns the interface between the scheduler and whatever
// runs a job attempt: local processes (executor/local, the default) and,
// later, containers and a cluster engine. An executor starts an attempt,
// streams its output line by line, stops it on request (SIGTERM, then
// SIGKILL after a grace period) and reports how it ended.
//
// A compute environment names its executor with the tag
// "batchd:executor" (default "local"); the scheduler picks the executor by
// that name.
package executor

import (
	"context"
	"time"
)

// Spec is one attempt of a job to run.
type Spec struct {
	JobID   string
	Attempt int
	// Command is the command after Ref:: substitution and overrides.
	Command []string
	// Env is the environment, KEY=VALUE, AWS Batch's variables included.
	Env []string
	// Image is the container image, for executors that run containers.
	Image string
	// Limits; zero means none.
	VCPUs     float64
	MemoryMiB int64
	GPUs      int
	// WorkDir is a fresh directory for the attempt; the executor may create
	// and remove it.
	WorkDir string
}

// Line is one line of output.
type Line struct {
	Time   time.Time
	Text   string
	Stderr bool
}

// Result is how an attempt ended.
type Result struct {
	// ExitCode is the process's exit code: 128+N when signal N killed it
	// (as a container's), -1 when it never started.
	ExitCode int
	// Reason explains an abnormal end in AWS's words where AWS has them,
	// e.g. "OutOfMemoryError: Container killed due to memory usage".
	Reason string
	// OOM is set when the attempt exceeded its memory limit.
	OOM bool
}

// Executor starts attempts.
type Executor interface {
	// Start runs spec; out receives each line of output, in order, from
	// the executor's goroutines until Wait returns.
	Start(ctx context.Context, spec Spec, out func(Line)) (Handle, error)
}

// Handle is a running attempt.
type Handle interface {
	// Wait blocks until the attempt ends and all its output was delivered.
	Wait() Result
	// Stop asks the attempt to end: SIGTERM (or the executor's equivalent),
	// then a forced kill after grace.
	Stop(grace time.Duration)
}
