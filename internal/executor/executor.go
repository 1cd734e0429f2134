// Package executor owns the interface between the scheduler and whatever
// runs a job attempt: containers of the job's image on a Docker Engine
// (executor/docker, the default where an engine answers), sandboxed local
// processes (executor/local) and, later, a cluster engine. An executor
// starts an attempt, streams its output line by line, stops it on request
// (SIGTERM, then SIGKILL after a grace period) and reports how it ended.
//
// A Spec carries what a job definition asks of its container, as ECS
// receives it from AWS Batch; an executor honours what it can and says in
// the job's log what it cannot (the local executor has no image).
//
// A compute environment names its executor with the tag
// "batchd:executor" (default: the server's, "docker" or "local"); the
// scheduler picks the executor by that name.
package executor

import (
	"context"
	"time"
)

// Spec is one attempt of a job to run.
type Spec struct {
	JobID   string
	Attempt int
	// Ready, when not nil, gates the start: an executor prepares what it
	// can (pulls the image, creates the container, builds the sandbox,
	// forks and execs the job's process stopped before its first
	// instruction) and calls Ready right before the job's code could
	// run; when it returns an error, no code of the job has run, what was
	// prepared is undone (a stopped process killed) and Start returns
	// that error. The scheduler records the attempt STARTING meanwhile.
	Ready func() error
	// AttemptID names the attempt (an ECS task ID: 32 hex digits).
	AttemptID string
	// Command is the command after Ref:: substitution and overrides; empty
	// runs the image's default (its ENTRYPOINT and CMD).
	Command []string
	// Env is the environment, KEY=VALUE, AWS Batch's variables included;
	// a container executor merges it over the image's ENV.
	Env []string
	// Image is the container image, for executors that run containers.
	Image string
	// User is the job definition's user: a name or a UID, optionally
	// ":group"; empty is the image's (or the executor's) default.
	User string
	// Privileged gives the container extended privileges on the host: all
	// capabilities and devices. Off, it has the engine's default set only.
	Privileged bool
	// ReadonlyRootFilesystem mounts the root file system read-only.
	ReadonlyRootFilesystem bool
	// Volumes and MountPoints are the job definition's.
	Volumes     []Volume
	MountPoints []MountPoint
	Ulimits     []Ulimit
	Linux       LinuxParameters
	// Limits; zero means none.
	VCPUs     float64
	MemoryMiB int64
	GPUs      int
	// GPUDevices are the host GPUs given to the attempt (indexes such as
	// "0"), len(GPUDevices) == GPUs when the scheduler knows them.
	GPUDevices []string
	// WorkDir is a fresh directory for the attempt; the executor may create
	// and remove it. Container executors ignore it (the image's WORKDIR
	// applies).
	WorkDir string
}

// Volume is a job definition's volume: a host path, or, without one, a
// volume the executor makes for the attempt and removes after it.
type Volume struct {
	Name string
	// HostPath is the host's directory; empty makes a fresh volume.
	HostPath string
}

// MountPoint mounts a Volume (by name) in the container.
type MountPoint struct {
	SourceVolume  string
	ContainerPath string
	ReadOnly      bool
}

// Ulimit is a resource limit (RLIMIT_*), named as Docker names them
// ("nofile", "nproc", ...).
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// LinuxParameters are a job definition's Linux-specific settings.
type LinuxParameters struct {
	Devices []Device
	// InitProcessEnabled runs an init process as PID 1 that forwards
	// signals and reaps processes.
	InitProcessEnabled bool
	// SharedMemoryMiB sizes /dev/shm; zero is the engine's default.
	SharedMemoryMiB int64
	Tmpfs           []Tmpfs
	// MaxSwapMiB is the swap the container may use; nil is none beyond
	// its memory (AWS Batch's default when no swap is configured).
	MaxSwapMiB *int64
	// Swappiness is 0–100; nil is the engine's default.
	Swappiness *int64
}

// Device maps a host device into the container.
type Device struct {
	HostPath      string
	ContainerPath string // empty: HostPath
	// Permissions: "READ", "WRITE", "MKNOD"; empty is all three.
	Permissions []string
}

// Tmpfs is a tmpfs mount.
type Tmpfs struct {
	ContainerPath string
	SizeMiB       int64
	MountOptions  []string
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

// Reclaimer is an executor whose attempts can outlive the batchd that
// started them (containers of an engine): Reclaim removes whatever of
// job's attempts is still running, whichever batchd started it, so that
// a replica that takes over from a dead one never runs a job twice at
// once. An executor whose attempts die with their batchd need not
// implement it.
type Reclaimer interface {
	Reclaim(ctx context.Context, jobID string) (int, error)
}

// Handle is a running attempt.
type Handle interface {
	// Wait blocks until the attempt ends and all its output was delivered.
	Wait() Result
	// Stop asks the attempt to end: SIGTERM (or the executor's equivalent),
	// then a forced kill after grace.
	Stop(grace time.Duration)
}

// Ended is the Handle of an attempt that never ran (its image could not be
// had, its command not started): Wait returns res at once, Stop does
// nothing.
func Ended(res Result) Handle { return ended{res} }

type ended struct{ res Result }

func (h ended) Wait() Result     { return h.res }
func (ended) Stop(time.Duration) {}
