package main

// Wiring of the scheduler: the host's capacity, the executor, the job log
// sink and the job-role credentials endpoint.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/executor/docker"
	"batchd/internal/executor/local"
	"batchd/internal/iam"
	"batchd/internal/logs"
	"batchd/internal/scheduler"
	"batchd/internal/server"
	"batchd/internal/store"
)

// hostMemoryMiB is the host's memory (MemTotal in /proc/meminfo), or 0
// when it cannot be read.
func hostMemoryMiB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "24684096 kB"
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// hostDefaults are the host's vCPUs and memory, the defaults of
// --host-vcpus and --host-memory-mib.
func hostDefaults() (vcpus int, memMiB int64) {
	return runtime.NumCPU(), hostMemoryMiB()
}

// jobEndpoint is batchd's URL as jobs on this host reach it: the
// listener's port on the loopback address (the AWS SDKs fetch container
// credentials over plain HTTP only from a loopback address).
func jobEndpoint(ln net.Listener, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return scheme + "://" + ln.Addr().String()
	}
	host := "127.0.0.1"
	if addr.IP != nil && addr.IP.IsLoopback() {
		host = addr.IP.String()
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// logSink writes job output to the CloudWatch Logs service.
// logSink writes attempts' output to CloudWatch Logs. Its writes are lazy
// (store.Lazy): the attempt's end, recorded durably in the same store
// after its last line, makes them durable.
type logSink struct{ logs *logs.Service }

func (l logSink) CheckLogGroup(ctx context.Context, name string) error {
	return l.logs.CheckLogGroup(ctx, name)
}

func (l logSink) Append(ctx context.Context, group, stream string, start *scheduler.LogStart, events []scheduler.LogEvent) error {
	in := logEvents(events)
	if start != nil {
		return l.logs.AppendStarting(store.Lazy(ctx), group, stream, streamStart(start), in)
	}
	return l.logs.Append(store.Lazy(ctx), group, stream, in)
}

// AppendWith puts the append in the next Update of the context it returns
// (the scheduler's record of an attempt's end) through a commit hook, so
// that both commit in one transaction; written tells whether they did.
// The context must carry no other commit hook (the scheduler's carry
// none).
func (l logSink) AppendWith(ctx context.Context, group, stream string, start *scheduler.LogStart, events []scheduler.LogEvent) (context.Context, func() bool) {
	in := logEvents(events)
	var st *logs.StreamStart
	if start != nil {
		s := streamStart(start)
		st = &s
	}
	var committed atomic.Bool
	h := &store.CommitHook{
		Prepare: func() func(store.Tx) error {
			return func(tx store.Tx) error { return l.logs.AppendTx(tx, group, stream, st, in) }
		},
		Done: func(ok bool) { committed.Store(ok) },
	}
	return store.WithCommitHook(ctx, h), committed.Load
}

func logEvents(events []scheduler.LogEvent) []logs.InputLogEvent {
	in := make([]logs.InputLogEvent, len(events))
	for i, e := range events {
		in[i] = logs.InputLogEvent{Timestamp: &e.Timestamp, Message: e.Message}
	}
	return in
}

func streamStart(start *scheduler.LogStart) logs.StreamStart {
	return logs.StreamStart{CreateGroup: start.CreateGroup, Created: start.Created}
}

// jobsDir makes the directory of the attempts' work directories (dir, or
// <os.TempDir()>/batchd-<instance>) 0700, for batchd alone: the local
// executor gives each attempt its own, and hides the others from it.
func jobsDir(dir, instance string) (string, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "batchd-"+instance)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("jobs dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("jobs dir: %w", err)
	}
	return filepath.Abs(dir)
}

// executors are the executors of a batchd, with what the start log says
// of them.
type executors struct {
	Default  string // the executor of compute environments without the tag
	Describe string // one line for the start log
	GPUs     int
	docker   *docker.Executor
	local    *local.Executor
	jobsDir  string // the local executor's work directories
}

// Close releases the Docker client; nil-safe.
func (x *executors) Close() {
	if x == nil {
		return
	}
	if x.local != nil {
		if err := x.local.Close(); err != nil {
			slog.Default().Warn("removing the local executor's kept work directories", "err", err)
		}
	}
	if x.docker != nil {
		if err := x.docker.Close(); err != nil {
			slog.Default().Warn("closing the Docker client", "err", err)
		}
	}
}

// newScheduler wires the scheduler of a batchd serving at endpoint: the
// local executor always, the Docker executor when an engine answers (the
// default then, unless cfg.Executor says local).
func newScheduler(ctx context.Context, cfg Config, batchSvc *batch.Service, iamSvc *iam.Service, logsSvc *logs.Service, creds *server.CredentialsEndpoint, endpoint string, log *slog.Logger, metrics *server.Metrics, api *server.Activity) (*scheduler.Scheduler, *executors, error) {
	if cfg.HostVCPUs <= 0 {
		return nil, nil, fmt.Errorf("host vCPUs must be positive, not %d", cfg.HostVCPUs)
	}
	// The executors' instance is this data dir, so that a restarted batchd
	// finds and kills the processes and containers its previous run left
	// (kill -9), before the scheduler fails or retries their jobs: nothing
	// runs twice at once.
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	instance := instanceOf(dir)
	jobs, err := jobsDir(cfg.JobsDir, instance)
	if err != nil {
		return nil, nil, err
	}
	warn := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	loc := local.New(local.Options{Instance: instance, User: cfg.LocalUser, HideDirs: []string{dir}, Log: warn})
	if n := loc.Reap(); n > 0 {
		log.Warn("killed the job processes an earlier run of batchd left", "attempts", n)
	}
	x := &executors{Default: "local", local: loc, jobsDir: jobs}
	execs := map[string]executor.Executor{"local": loc}
	unavailable := map[string]string{}
	var describe []string
	if cfg.Executor != "local" || cfg.DockerHost != "" {
		d, why := startDocker(ctx, cfg, instance, endpoint, []string{dir, jobs}, warn, log)
		if d != nil {
			x.docker = d
			execs["docker"] = d
			describe = append(describe, why)
			if cfg.Executor != "local" {
				x.Default = "docker"
			}
		} else {
			unavailable["docker"] = why
			describe = append(describe, "docker unavailable: "+why)
			if cfg.Executor == "docker" {
				x.Default = "docker" // its compute environments turn INVALID, saying why
				log.Warn("--executor docker, but no Docker Engine answers: compute environments that use it are INVALID", "why", why)
			}
		}
	}
	describe = append([]string{"local: sandboxed processes"}, describe...)
	x.Describe = strings.Join(describe, "; ")
	gpus, ids := hostGPUs(cfg.HostGPUs)
	x.GPUs = gpus
	sc := scheduler.Config{
		Batch: batchSvc, IAM: iamSvc,
		Executors: execs, DefaultExecutor: x.Default, Unavailable: unavailable,
		Host:       scheduler.Resources{VCPUs: float64(cfg.HostVCPUs), MemoryMiB: cfg.HostMemoryMiB, GPUs: gpus},
		GPUDevices: ids,
		Region:     cfg.Region, AccountID: cfg.AccountID,
		Endpoint: endpoint,
		WorkDir:  jobs,
		PATH:     os.Getenv("PATH"),
		Now:      cfg.Now,
		Log:      log,
		Instance: cfg.ReplicaID,
		APIBusy:  api.Busy,
	}
	if metrics != nil {
		sc.OnStart, sc.OnAttemptEnd = metrics.ExecutorStarted, metrics.AttemptEnded
	}
	if logsSvc != nil {
		sc.Logs = logSink{logsSvc}
	}
	if creds != nil {
		sc.Credentials = creds
	}
	return scheduler.New(sc), x, nil
}

// instanceOf names the batchd of the data dir dir (an absolute path) among
// others on the host: its cgroups and containers carry the name.
func instanceOf(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:6])
}

// startDocker connects to the Docker Engine and removes the containers an
// earlier run left. No job volume may expose the private paths (the data
// dir, the local executor's jobs dir) or the engine's socket. It returns the executor and a line for the start log,
// or nil and why there is none.
func startDocker(ctx context.Context, cfg Config, instance, endpoint string, private []string, warn func(string, ...any), log *slog.Logger) (*docker.Executor, string) {
	d, err := docker.New(docker.Options{Host: cfg.DockerHost, Instance: instance, Network: cfg.DockerNetwork, Endpoint: endpoint,
		DeniedHostPaths: private, Log: warn})
	if err != nil {
		return nil, err.Error()
	}
	version, api, err := d.Ping(ctx)
	if err != nil {
		d.Close()
		return nil, err.Error()
	}
	n, err := d.Reap(ctx)
	if err != nil {
		d.Close()
		return nil, err.Error()
	}
	if n > 0 {
		log.Warn("removed the job containers an earlier run of batchd left", "containers", n)
	}
	if err := d.Prepare(ctx); err != nil {
		d.Close()
		return nil, err.Error()
	}
	return d, fmt.Sprintf("docker: Docker Engine %s (API %s) at %s, network %s", version, api, d.Host(), d.Network())
}

// hostGPUs is the host's GPU count and their IDs: n when n >= 0 (IDs 0..n-1),
// else the NVIDIA GPUs found: /dev/nvidiaN device nodes, else the lines of
// "nvidia-smi -L".
func hostGPUs(n int) (int, []string) {
	if n < 0 {
		n = detectGPUs("/dev", func() ([]byte, error) { return exec.Command("nvidia-smi", "-L").Output() })
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return n, ids
}

// detectGPUs counts NVIDIA GPUs: device nodes nvidia0, nvidia1, ... in
// dev, else the "GPU N: ..." lines nvidiaSMI prints.
func detectGPUs(dev string, nvidiaSMI func() ([]byte, error)) int {
	n := 0
	if entries, err := os.ReadDir(dev); err == nil {
		for _, e := range entries {
			if rest, ok := strings.CutPrefix(e.Name(), "nvidia"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				n++
			}
		}
	}
	if n > 0 {
		return n
	}
	out, err := nvidiaSMI()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "GPU ") {
			n++
		}
	}
	return n
}
