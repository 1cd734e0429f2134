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
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/executor/local"
	"batchd/internal/iam"
	"batchd/internal/logs"
	"batchd/internal/scheduler"
	"batchd/internal/server"
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
type logSink struct{ logs *logs.Service }

func (l logSink) EnsureLogGroup(ctx context.Context, name string) error {
	return l.logs.EnsureLogGroup(ctx, name)
}

func (l logSink) EnsureLogStream(ctx context.Context, group, stream string) error {
	return l.logs.EnsureLogStream(ctx, group, stream)
}

func (l logSink) Append(ctx context.Context, group, stream string, events []scheduler.LogEvent) error {
	in := make([]logs.InputLogEvent, len(events))
	for i, e := range events {
		in[i] = logs.InputLogEvent{Timestamp: &e.Timestamp, Message: e.Message}
	}
	return l.logs.Append(ctx, group, stream, in)
}

// instanceOf names the batchd of a data dir (a hash of its absolute
// path).
func instanceOf(dataDir string) (abs, instance string, err error) {
	abs, err = filepath.Abs(dataDir)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return abs, hex.EncodeToString(sum[:6]), nil
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

// newScheduler wires the scheduler of a batchd serving at endpoint.
func newScheduler(cfg Config, batchSvc *batch.Service, iamSvc *iam.Service, logsSvc *logs.Service, creds *server.CredentialsEndpoint, endpoint string, log *slog.Logger) (*scheduler.Scheduler, error) {
	if cfg.HostVCPUs <= 0 {
		return nil, fmt.Errorf("host vCPUs must be positive, not %d", cfg.HostVCPUs)
	}
	// The executor's instance is this data dir, so that a restarted batchd
	// finds and kills the processes its previous run left (kill -9), before
	// the scheduler fails or retries their jobs: nothing runs twice at once.
	dir, instance, err := instanceOf(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	jobs, err := jobsDir(cfg.JobsDir, instance)
	if err != nil {
		return nil, err
	}
	exec := local.New(local.Options{
		Instance: instance, User: cfg.LocalUser, HideDirs: []string{dir},
		Log: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) },
	})
	if n := exec.Reap(); n > 0 {
		log.Warn("killed the job processes an earlier run of batchd left", "attempts", n)
	}
	sc := scheduler.Config{
		Batch: batchSvc, IAM: iamSvc,
		Executors: map[string]executor.Executor{"local": exec},
		Host:      scheduler.Resources{VCPUs: float64(cfg.HostVCPUs), MemoryMiB: cfg.HostMemoryMiB},
		Region:    cfg.Region, AccountID: cfg.AccountID,
		Endpoint: endpoint,
		WorkDir:  jobs,
		PATH:     os.Getenv("PATH"),
		Now:      cfg.Now,
		Log:      log,
	}
	if logsSvc != nil {
		sc.Logs = logSink{logsSvc}
	}
	if creds != nil {
		sc.Credentials = creds
	}
	return scheduler.New(sc), nil
}
