package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"batchd/internal/batch"
	"batchd/internal/console"
	"batchd/internal/iam"
	"batchd/internal/leader"
	"batchd/internal/logs"
	"batchd/internal/scheduler"
	"batchd/internal/server"
	"batchd/internal/sigv4"
	"batchd/internal/store"
	"batchd/internal/sts"
)

// Config is everything `batchd serve` can be told, with its defaults.
type Config struct {
	Listen  string
	DataDir string
	// Store is where the state is kept: "sqlite:PATH", "postgres://..."
	// or "postgresql://..." (replicas share one PostgreSQL database);
	// "" is sqlite:<DataDir>/batchd.db.
	Store string
	// ServerKeyFile holds the key that seals secrets in the store (32
	// bytes, made when absent); "" is <DataDir>/server.key. Replicas on
	// one database must share it.
	ServerKeyFile string
	Region        string
	AccountID     string
	TLSCert       string
	TLSKey        string
	Dev           bool
	// MaxComputeEnvironments and MaxJobQueues are the account's Batch
	// quotas (AWS's defaults: 50 each).
	MaxComputeEnvironments int
	MaxJobQueues           int
	// HostVCPUs and HostMemoryMiB are what this host offers the compute
	// environments (defaults: the CPUs and MemTotal of the host).
	HostVCPUs     int
	HostMemoryMiB int64
	// HostGPUs is how many GPUs the host offers; -1 (the default) counts
	// the NVIDIA GPUs found at start.
	HostGPUs int
	// Executor runs the jobs of compute environments without the tag
	// batchd:executor: "docker", "local", or "" (docker when an engine
	// answers at start, local otherwise).
	Executor string
	// DockerHost is the Docker Engine's address; "" is DOCKER_HOST, else
	// unix:///var/run/docker.sock.
	DockerHost string
	// DockerNetwork is the network mode of job containers: "isolated"
	// (default), "host", "none" or an engine network's name.
	DockerNetwork string
	// JobsDir holds the local executor's attempts' work directories
	// (HOME of each job), outside the data dir; default
	// <os.TempDir()>/batchd-<instance> (see jobsDir).
	JobsDir string
	// LocalUser, a host user's name or UID, runs every local attempt
	// instead of one UID per attempt from 61184-65519 (systemd's
	// dynamic-user range).
	LocalUser string
	// AuditMaxSizeMiB is the size at which audit.jsonl is rotated;
	// AuditMaxFiles how many rotated files are kept.
	AuditMaxSizeMiB int64
	AuditMaxFiles   int
	// MaxConnections bounds the connections open at once.
	MaxConnections int
	// JobRetention is how long a finished job is kept after it ends (AWS:
	// at least 7 days); 0 keeps jobs forever.
	JobRetention time.Duration
	// ReplicaID names this batchd among the replicas that share a store
	// (internal/leader), and in the statusReason of the attempts it was
	// running when it stopped. "": "batchd" on a store of its own, else
	// <host name>-<hash of the data dir>.
	ReplicaID string
	// RootPasswordFile names a file whose first line is set as the account
	// root's console password at start (kept only as a hash); "" leaves
	// the root's password as it is.
	RootPasswordFile string
	// MetricsListen, when set, is the address /metrics is served on
	// instead of the main listener (where it is then an AWS path).
	MetricsListen string
	// LogFormat is "text" or "json"; LogLevel "debug", "info", "warn" or
	// "error" (serveMain makes the logger of them).
	LogFormat string
	LogLevel  string
	// Now is the clock of identities and sessions (session expiry); nil
	// is the system clock. Tests set it; there is no flag.
	Now func() time.Time
	// metricsAddr, when set, is told the address of the metrics
	// listener (tests; there is no flag).
	metricsAddr func(net.Addr)
}

func defaultConfig() Config {
	vcpus, mem := hostDefaults()
	return Config{Listen: "127.0.0.1:8080", DataDir: "batchd-data", Region: "us-east-1", AccountID: "123456789012",
		HostVCPUs: vcpus, HostMemoryMiB: mem, HostGPUs: -1, DockerNetwork: "isolated",
		AuditMaxSizeMiB: 100, AuditMaxFiles: 10, MaxConnections: defaultMaxConnections(), JobRetention: 7 * 24 * time.Hour,
		LogFormat: "text", LogLevel: "info"}
}

// parseServeFlags reads flags, each defaulting to its BATCHD_* environment
// variable and then to the built-in default.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	cfg := defaultConfig()
	fs := serveFlags(&cfg, getenv)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // serveMain prints it
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, checkServeConfig(fs, cfg)
}

const serveSynopsis = `batchd serve [flags]`

const serveNotes = `Each flag defaults to the environment variable it names, then to the
default shown. /healthz, /readyz and /metrics are served without
authentication (see --metrics-listen); the README's "Operating batchd"
section tells what they answer.`

// serveFlags defines serve's flags on cfg, each defaulting to its
// environment variable (read with getenv) and then to cfg's value.
func serveFlags(cfg *Config, getenv func(string) string) *flag.FlagSet {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("batchd serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Listen, "listen", env("BATCHD_LISTEN", cfg.Listen), "address to listen on (BATCHD_LISTEN)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("BATCHD_DATA_DIR", cfg.DataDir), "directory for the database, keys and audit trail (BATCHD_DATA_DIR)")
	fs.StringVar(&cfg.Store, "store", env("BATCHD_STORE", cfg.Store), "where the state is kept: sqlite:PATH, postgres://... or postgresql://... (replicas share one database) (BATCHD_STORE; default sqlite:<data-dir>/batchd.db)")
	fs.StringVar(&cfg.ServerKeyFile, "server-key-file", env("BATCHD_SERVER_KEY_FILE", cfg.ServerKeyFile), "the key that seals secrets in the store, made when absent; replicas sharing a database must use copies of one file (BATCHD_SERVER_KEY_FILE; default <data-dir>/server.key)")
	fs.StringVar(&cfg.Region, "region", env("BATCHD_REGION", cfg.Region), "the region batchd serves (BATCHD_REGION)")
	fs.StringVar(&cfg.AccountID, "account-id", env("BATCHD_ACCOUNT_ID", cfg.AccountID), "the account ID (BATCHD_ACCOUNT_ID)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("BATCHD_TLS_CERT", ""), "TLS certificate file (BATCHD_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("BATCHD_TLS_KEY", ""), "TLS key file (BATCHD_TLS_KEY)")
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv(name)); err == nil {
			return v
		}
		return def
	}
	fs.IntVar(&cfg.MaxComputeEnvironments, "max-compute-environments", envInt("BATCHD_MAX_COMPUTE_ENVIRONMENTS", 50), "compute environments per account (BATCHD_MAX_COMPUTE_ENVIRONMENTS)")
	fs.IntVar(&cfg.MaxJobQueues, "max-job-queues", envInt("BATCHD_MAX_JOB_QUEUES", 50), "job queues per account (BATCHD_MAX_JOB_QUEUES)")
	fs.IntVar(&cfg.HostVCPUs, "host-vcpus", envInt("BATCHD_HOST_VCPUS", cfg.HostVCPUs), "vCPUs this host offers the compute environments (BATCHD_HOST_VCPUS)")
	envInt64 := func(name string, def int64) int64 {
		if v, err := strconv.ParseInt(getenv(name), 10, 64); err == nil {
			return v
		}
		return def
	}
	fs.Int64Var(&cfg.HostMemoryMiB, "host-memory-mib", envInt64("BATCHD_HOST_MEMORY_MIB", cfg.HostMemoryMiB), "memory (MiB) this host offers the compute environments (BATCHD_HOST_MEMORY_MIB)")
	fs.IntVar(&cfg.HostGPUs, "host-gpus", envInt("BATCHD_HOST_GPUS", cfg.HostGPUs), "GPUs this host offers the compute environments; -1 counts the NVIDIA GPUs found (BATCHD_HOST_GPUS)")
	fs.StringVar(&cfg.Executor, "executor", env("BATCHD_EXECUTOR", ""), "what runs jobs: docker, local, or empty for docker when an engine answers (BATCHD_EXECUTOR)")
	fs.StringVar(&cfg.DockerHost, "docker-host", env("DOCKER_HOST", ""), "the Docker Engine's address, unix:///path or tcp://host:port (DOCKER_HOST; default unix:///var/run/docker.sock)")
	fs.StringVar(&cfg.DockerNetwork, "docker-network", env("BATCHD_DOCKER_NETWORK", cfg.DockerNetwork), "network of job containers: isolated (only batchd reachable, on loopback), host, none, or an engine network (BATCHD_DOCKER_NETWORK)")
	fs.StringVar(&cfg.JobsDir, "jobs-dir", env("BATCHD_JOBS_DIR", ""), "directory of the local executor's job work directories, outside the data dir (default $TMPDIR/batchd-<hash of the data dir>) (BATCHD_JOBS_DIR)")
	fs.StringVar(&cfg.LocalUser, "local-user", env("BATCHD_LOCAL_USER", ""), "host user (NAME or UID) running every local job; default: one UID per running job from 61184-65519 (BATCHD_LOCAL_USER)")
	fs.IntVar(&cfg.MaxConnections, "max-connections", envInt("BATCHD_MAX_CONNECTIONS", cfg.MaxConnections), "connections open at once; more wait (BATCHD_MAX_CONNECTIONS; default: 4096, or less under a lower file limit)")
	fs.Int64Var(&cfg.AuditMaxSizeMiB, "audit-max-size-mib", envInt64("BATCHD_AUDIT_MAX_SIZE_MIB", cfg.AuditMaxSizeMiB), "size (MiB) at which audit.jsonl is rotated (BATCHD_AUDIT_MAX_SIZE_MIB)")
	fs.IntVar(&cfg.AuditMaxFiles, "audit-max-files", envInt("BATCHD_AUDIT_MAX_FILES", cfg.AuditMaxFiles), "rotated audit files kept: audit.jsonl.1 (newest) to .N (BATCHD_AUDIT_MAX_FILES)")
	retention := cfg.JobRetention
	if v, err := time.ParseDuration(getenv("BATCHD_JOB_RETENTION")); err == nil {
		retention = v
	}
	fs.DurationVar(&cfg.JobRetention, "job-retention", retention, "how long a finished job is kept after it ends, then removed from DescribeJobs and ListJobs; 0 keeps jobs forever (BATCHD_JOB_RETENTION; AWS keeps them at least 7 days)")
	fs.StringVar(&cfg.RootPasswordFile, "root-password-file", env("BATCHD_ROOT_PASSWORD_FILE", ""), "file whose first line becomes the root user's console password at start (BATCHD_ROOT_PASSWORD_FILE)")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", env("BATCHD_METRICS_LISTEN", ""), "address to serve /metrics on instead of the main listener, e.g. 127.0.0.1:9090 (BATCHD_METRICS_LISTEN)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("BATCHD_LOG_FORMAT", cfg.LogFormat), "log format: text or json (BATCHD_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("BATCHD_LOG_LEVEL", cfg.LogLevel), "log level: debug (a line per request), info (a line per job status change), warn or error (BATCHD_LOG_LEVEL)")
	fs.StringVar(&cfg.ReplicaID, "replica-id", env("BATCHD_REPLICA_ID", ""), "this replica's name among those sharing a store, distinct for each (BATCHD_REPLICA_ID; default: batchd on a store of its own, else <host name>-<hash of the data dir>)")
	devDefault := getenv("BATCHD_DEV") == "1" || strings.EqualFold(getenv("BATCHD_DEV"), "true")
	fs.BoolVar(&cfg.Dev, "dev", devDefault, "also accept the well-known root key test/test (BATCHD_DEV)")
	return fs
}

// checkServeConfig refuses what serve cannot run with.
func checkServeConfig(fs *flag.FlagSet, cfg Config) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(cfg.AccountID) != 12 || strings.Trim(cfg.AccountID, "0123456789") != "" {
		return fmt.Errorf("--account-id must be 12 digits, not %q", cfg.AccountID)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.HostVCPUs <= 0 {
		return fmt.Errorf("--host-vcpus must be positive, not %d", cfg.HostVCPUs)
	}
	if cfg.MaxConnections <= 0 {
		return fmt.Errorf("--max-connections must be positive, not %d", cfg.MaxConnections)
	}
	if cfg.ReplicaID != "" && !validReplicaID(cfg.ReplicaID) {
		return fmt.Errorf("--replica-id must be 1 to 64 letters, digits, '.', '_' or '-', not %q", cfg.ReplicaID)
	}
	if cfg.JobRetention < 0 {
		return fmt.Errorf("--job-retention must not be negative")
	}
	if cfg.AuditMaxSizeMiB <= 0 || cfg.AuditMaxFiles <= 0 {
		return fmt.Errorf("--audit-max-size-mib and --audit-max-files must be positive")
	}
	switch cfg.Executor {
	case "", "docker", "local":
	default:
		return fmt.Errorf("--executor must be docker or local, not %q", cfg.Executor)
	}
	if cfg.HostGPUs < -1 {
		return fmt.Errorf("--host-gpus must be -1 (detect) or more, not %d", cfg.HostGPUs)
	}
	if cfg.DockerNetwork == "" {
		return errors.New("--docker-network must not be empty")
	}
	if _, err := newLogger(io.Discard, cfg.LogFormat, cfg.LogLevel); err != nil {
		return err
	}
	if err := checkStoreURL("--store", cfg.Store); err != nil {
		return err
	}
	if cfg.HostMemoryMiB <= 0 {
		return fmt.Errorf("--host-memory-mib must be positive, not %d (MemTotal of /proc/meminfo is its default)", cfg.HostMemoryMiB)
	}
	return nil
}

func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseServeFlags(args, os.Getenv, stderr)
	if err != nil {
		def := defaultConfig()
		fs := serveFlags(&def, os.Getenv)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs, serveSynopsis, serveNotes)
			return 0
		}
		fmt.Fprintf(stderr, "batchd serve: %v\n\n", err)
		printUsage(stderr, fs, serveSynopsis, serveNotes)
		return 2
	}
	log, err := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(stderr, "batchd serve: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "batchd serve: %v\n", err)
		return 1
	}
	if err := Serve(ctx, cfg, ln, log, stdout); err != nil {
		fmt.Fprintf(stderr, "batchd serve: %v\n", err)
		return 1
	}
	return 0
}

// Serve runs batchd on ln until ctx is done, then shuts down gracefully.
// defaultProcs is the runtime's own GOMAXPROCS, read before Serve changes
// it.
var defaultProcs = runtime.GOMAXPROCS(0)

// setProcs gives the runtime twice its default number of Ps (its threads
// running Go code at once), unless the GOMAXPROCS environment variable
// chose one. Each attempt of the local executor forks through vfork, which
// keeps its P, in no system call the runtime could take the P back from,
// until the child has exec'd (the new PID and IPC namespaces made on the
// way); with as many Ps as CPUs, each fork held one of them from the API
// and the store meanwhile. The extra threads share the CPUs through the
// OS's scheduler. Set explicitly, GOMAXPROCS no longer follows a change of
// the cgroup's CPU limit while batchd runs.
func setProcs() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(2 * defaultProcs)
	}
}

// gcPercent is batchd's GOGC: the heap grows to five times what is live
// before a collection (the runtime's default, 100, lets it double). Every
// request and attempt allocates; on the machine this was measured on,
// 200 instead of 100 gave 5-12% more SubmitJobs a second with 32 clients,
// and 400 instead of 200 a median 9% more (nine interleaved pairs), for a
// peak RSS of 161 MiB with 1,000,000 jobs kept (121 MiB at 200), far
// under issue 11's 500 MB. GOMEMLIMIT, when set, still bounds the heap.
const gcPercent = 400

// setGC sets the GC's target to gcPercent, unless the GOGC environment
// variable chose one.
func setGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

func Serve(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger, stdout io.Writer) error {
	// Nothing batchd writes is for others: jobs run as other users.
	syscall.Umask(0o077)
	setProcs()
	setGC()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if err := privateDataDir(cfg.DataDir); err != nil {
		return err
	}
	// One batchd per data dir: a second would reap the first one's jobs as
	// leftovers of a dead run.
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	// Each replica has its own data dir (its lock, audit trail and jobs)
	// and may share the store with others.
	db, err := openStore(ctx, storeURL(cfg.Store, cfg.DataDir))
	if err != nil {
		return err
	}
	defer db.Close()
	keyFile := cfg.ServerKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "server.key")
	}
	key, err := iam.LoadOrCreateKey(keyFile)
	if err != nil {
		return err
	}
	keyring, err := iam.NewKeyring(key)
	if err != nil {
		return err
	}
	iamSvc := iam.New(iam.Config{Store: db, Keyring: keyring, AccountID: cfg.AccountID, Region: cfg.Region, Now: cfg.Now})
	devKey, devSecret := "", ""
	if cfg.Dev {
		devKey, devSecret = "test", "test"
		log.Warn("development mode: the well-known root access key test/test is accepted; never use --dev where others can reach the port")
	}
	keyID, secret, err := iamSvc.Bootstrap(ctx, devKey, devSecret)
	if err != nil {
		return err
	}
	if cfg.RootPasswordFile != "" {
		if err := setRootPassword(ctx, iamSvc, cfg.RootPasswordFile); err != nil {
			return err
		}
		log.Info("root password set", "from", cfg.RootPasswordFile)
	}
	credPath := filepath.Join(cfg.DataDir, "root-credentials")
	if keyID != "" && keyID != devKey {
		if err := writeRootCredentials(credPath, keyID, secret); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "root credentials written to %s (profile batchd)\n", credPath)
	}
	// Metrics: batchd's own registry; the domain packages get hooks.
	var batchSvc *batch.Service
	_, shared := any(db).(store.Listener)
	if cfg.ReplicaID == "" {
		cfg.ReplicaID = defaultReplicaID(cfg.DataDir, shared)
	}
	elector := leader.New(leader.Config{Store: db, ID: cfg.ReplicaID, Alone: !shared, Log: log})
	metrics := server.NewMetrics(server.MetricsConfig{JobCounts: func(ctx context.Context, statuses ...string) (map[string]map[string]int, error) {
		return batchSvc.JobCounts(ctx, statuses...)
	}, Leading: elector.Leading, Log: log})
	db.ObserveCommits(metrics.StoreCommitted)
	auditQ := &auditQueue{st: db}
	if shared {
		// Each replica exports the records of its own calls to its own
		// trail; one that died exports what it left when it is back.
		auditQ.prefix = cfg.ReplicaID + "/"
	}
	audit, err := server.OpenAudit(filepath.Join(cfg.DataDir, "audit.jsonl"), cfg.Region,
		server.AuditOptions{MaxSize: cfg.AuditMaxSizeMiB << 20, MaxFiles: cfg.AuditMaxFiles, Log: log, Queue: auditQ})
	if err != nil {
		return err
	}
	defer audit.Close()
	batchSvc = batch.New(batch.Config{Store: db, Roles: batchRoles{iamSvc}, AccountID: cfg.AccountID, Region: cfg.Region,
		Limits: batch.Limits{ComputeEnvironments: cfg.MaxComputeEnvironments, JobQueues: cfg.MaxJobQueues}, Log: log,
		OnJobChange: metrics.JobChanged})
	logsSvc := logs.New(logs.Config{Store: db, Region: cfg.Region, AccountID: cfg.AccountID, Now: cfg.Now})
	// Job roles' credentials, served on this listener to jobs on this host.
	endpoint := jobEndpoint(ln, cfg.TLSCert != "")
	creds := server.NewCredentialsEndpoint(sts.New(iamSvc), endpoint, cfg.Now)
	// The scheduler runs jobs; it is made first so that the evaluator can
	// wake it when jobs become RUNNABLE.
	// The scheduler spaces its passes while the API serves requests.
	api := &server.Activity{}
	sched, execs, err := newScheduler(ctx, cfg, batchSvc, iamSvc, logsSvc, creds, endpoint, log, metrics, api)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{
		IAM: iamSvc, STS: sts.New(iamSvc), Batch: batchSvc, Logs: logsSvc, Verifier: sigv4.NewVerifier(), Log: log, Audit: audit, WithCommitHook: auditQ.withCommitHook,
		Region: cfg.Region, TLS: cfg.TLSCert != "", Credentials: creds,
		Ready:   func(ctx context.Context) error { return ready(ctx, db, elector, sched) },
		Leading: elector.Leading, Metrics: metrics, ServeMetrics: cfg.MetricsListen == "", Activity: api,
	})
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	con := console.New(console.Config{API: srv, Identities: consoleIdentities{iamSvc}, AccountID: cfg.AccountID, Region: cfg.Region,
		Secure: cfg.TLSCert != "", Log: log, Now: cfg.Now, Sessions: &storeSessions{st: db, now: now}})
	defer func() {
		execs.Close() // the local executor's kept work directories go
		// The jobs dir, once its attempts are gone; a left one is
		// harmless (error ignored: it may not be empty).
		if cfg.JobsDir == "" {
			_ = os.Remove(execs.jobsDir)
		}
	}()
	// Replicas that share the store hear each other's writes: IAM's and
	// Batch's caches drop what another replica changed, and the leader's
	// evaluator and scheduler wake for jobs submitted elsewhere.
	if l, ok := any(db).(store.Listener); ok {
		hearCtx, stopHearing := context.WithCancel(context.Background())
		hearDone := make(chan struct{})
		go func() {
			defer close(hearDone)
			supervise(hearCtx, log, "store listener", func(ctx context.Context) error {
				return l.Listen(ctx, func(topic string) {
					iamSvc.Heard(topic)
					batchSvc.Heard(topic)
				})
			})
		}()
		defer func() {
			stopHearing()
			<-hearDone
		}()
	}
	// One replica of those that share the store leads: it runs the job
	// evaluator, job expiry and the scheduler (internal/leader). Alone on
	// its store, batchd leads at once.
	leadCtx, stopLead := context.WithCancel(context.Background())
	leadDone := make(chan struct{})
	go func() {
		defer close(leadDone)
		// It returns when leadCtx ends: its error is that.
		_ = elector.Run(leadCtx, func(ctx context.Context, term leader.Term) error {
			return lead(ctx, term, cfg, batchSvc, sched, log)
		})
	}()
	defer func() {
		stopLead()
		<-leadDone
	}()
	// Held connections cannot lock callers out: headers within 10 s, an
	// unknown caller's body within 10 s and a known one's within 60 s
	// (the server's own deadlines), idle connections closed after 2
	// minutes, and at most --max-connections open at once.
	hs := &http.Server{Handler: withConsole(srv, con), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	maxConns := cfg.MaxConnections
	if maxConns <= 0 {
		maxConns = defaultMaxConnections()
	}
	ln = server.LimitListener(ln, maxConns)
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	if cfg.MetricsListen != "" {
		stopMetrics, err := serveMetrics(cfg, metrics, log)
		if err != nil {
			hs.Close()
			return err
		}
		defer stopMetrics()
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	log.Info("batchd serving", "endpoint", scheme+"://"+ln.Addr().String(), "region", cfg.Region, "account", cfg.AccountID, "dataDir", cfg.DataDir, "credentials", credPath,
		"executor", execs.Default, "executors", execs.Describe, "gpus", execs.GPUs)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shutdownCtx)
}

// setRootPassword sets the root's password to the first line of path
// (without its line ending). The password is in no error it returns.
func setRootPassword(ctx context.Context, s *iam.Service, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--root-password-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return fmt.Errorf("--root-password-file: %s: the first line is empty", path)
	}
	if err := s.SetRootPassword(ctx, line); err != nil {
		return fmt.Errorf("--root-password-file: %s: %w", path, err)
	}
	return nil
}

// defaultMaxConnections is 4096, or, under a lower limit of open files,
// that limit less room for the store, the audit trail and jobs' pipes.
func defaultMaxConnections() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < 8192 {
		return max(64, int(rl.Cur)/2)
	}
	return 4096
}

// Backoff of a supervised loop that failed: from superviseMin, doubling, to
// superviseMax; a run that lasted superviseStable starts it over.
const (
	superviseMin    = 100 * time.Millisecond
	superviseMax    = 30 * time.Second
	superviseStable = time.Minute
)

// supervise runs run until ctx is done, restarting it with backoff when it
// returns an error (or returns while ctx is not done), and saying so at
// error level each time, with what failed and when it starts again.
func supervise(ctx context.Context, log *slog.Logger, name string, run func(context.Context) error) {
	backoff := superviseMin
	for {
		start := time.Now()
		err := run(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) >= superviseStable {
			backoff = superviseMin
		}
		if err == nil {
			err = errors.New("returned without being asked to stop")
		}
		log.Error(name+" failed; restarting", "err", err, "in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, superviseMax)
	}
}

// lockDataDir takes the data dir's lock (an exclusive flock of its file
// "lock", which holds the owner's pid) or says which process holds it. The
// kernel drops the lock when the process dies, kill -9 included.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, rerr := os.ReadFile(path)
		f.Close()
		who := "another process"
		if rerr == nil && strings.TrimSpace(string(holder)) != "" {
			who = "pid " + strings.TrimSpace(string(holder))
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another batchd (%s); one batchd serves a data dir", dir, who)
		}
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("data dir lock: %w", err)
		}
	} else {
		f.Close()
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	return func() {
		// Closing the file releases the lock; the pid left in it is
		// harmless (it is read only while the lock is held).
		f.Close()
	}, nil
}

// privateDataDir makes the data dir 0700 and its files 0600, as an older
// batchd may have left them readable to others.
func privateDataDir(dir string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := os.Chmod(filepath.Join(dir, e.Name()), 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeRootCredentials writes the root key once, mode 0600, in AWS's
// shared-credentials format under the profile batchd.
func writeRootCredentials(path, keyID, secret string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("root credentials: %w", err)
	}
	_, err = fmt.Fprintf(f, "[batchd]\naws_access_key_id = %s\naws_secret_access_key = %s\n", keyID, secret)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRoles is what Batch asks of IAM.
type batchRoles struct{ iam *iam.Service }

func (r batchRoles) RoleExists(ctx context.Context, arn string) bool {
	_, err := r.iam.RoleByARN(ctx, arn)
	return err == nil
}

func (r batchRoles) EnsureServiceLinkedRole(ctx context.Context) (string, error) {
	role, err := r.iam.EnsureBatchServiceLinkedRole(ctx)
	if err != nil {
		return "", err
	}
	return role.ARN, nil
}

// newLogger returns the logger of --log-format and --log-level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

// readiness is what /readyz asks: a store that answers a read, a
// scheduler whose loop runs.
type readiness interface{ Running() bool }

// ready answers /readyz with a short reason, the cause being logged where
// it happened (the store's errors, the supervisor's restarts).
func ready(ctx context.Context, st store.Store, role leading, sched readiness) error {
	err := st.View(ctx, func(tx store.Tx) error {
		_, err := tx.Get("batchd.ready", "probe")
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return errors.New("store: not ready")
	}
	if role.Leading() && !sched.Running() {
		return errors.New("scheduler: not running")
	}
	return nil
}

// validReplicaID reports whether id may name a replica: it appears in
// statusReasons and logs.
func validReplicaID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// defaultReplicaID is a replica's name when --replica-id is not given:
// "batchd" for a store only this process opens, else the host's name and
// a hash of the data dir, which a restart keeps (so that a restarted
// replica takes its own lease back at once).
func defaultReplicaID(dataDir string, shared bool) string {
	if !shared {
		return "batchd"
	}
	host, err := os.Hostname()
	if err != nil || !validReplicaID(host) {
		host = "replica"
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return host[:min(len(host), 50)] + "-" + instanceOf(abs)
}

// leading is what ready asks of the elector.
type leading interface{ Leading() bool }

// lead runs the leader's work for one term (leader.Elector.Run): the job
// evaluator, job expiry and the scheduler, supervised, until ctx ends.
// The scheduler ends first, stopping and recording its attempts, then the
// rest. When the lease was lost (leader.ErrDeposed) the scheduler kills
// its attempts at once (scheduler.ErrAbandon): another replica may start
// them again once the lease is its. Attempts left by the replica that led
// before end as that host's loss.
func lead(ctx context.Context, term leader.Term, cfg Config, batchSvc *batch.Service, sched *scheduler.Scheduler, log *slog.Logger) error {
	previous := term.Previous
	if previous == "" {
		previous = cfg.ReplicaID
	}
	// The rest keeps ctx's values (the fence), not its end: each stops
	// when told, in order.
	base := context.WithoutCancel(ctx)
	schedCtx, stopSched := context.WithCancelCause(base)
	restCtx, stopRest := context.WithCancel(base)
	var rest sync.WaitGroup
	rest.Go(func() {
		supervise(restCtx, log, "job evaluator", func(ctx context.Context) error { return batchSvc.Run(ctx) })
	})
	if cfg.JobRetention > 0 {
		rest.Go(func() {
			supervise(restCtx, log, "job expiry", func(ctx context.Context) error { return batchSvc.RunExpiry(ctx, cfg.JobRetention) })
		})
	}
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		supervise(schedCtx, log, "scheduler", func(ctx context.Context) error { return sched.RunAfter(ctx, previous) })
	}()
	<-ctx.Done()
	if errors.Is(context.Cause(ctx), leader.ErrDeposed) {
		stopSched(scheduler.ErrAbandon)
	} else {
		stopSched(context.Cause(ctx))
	}
	<-schedDone
	stopRest()
	rest.Wait()
	return nil
}

// serveMetrics serves /metrics alone on --metrics-listen, until stop.
func serveMetrics(cfg Config, m *server.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+server.MetricsPath, m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener failed; /metrics is not served until batchd restarts", "err", err)
		}
	}()
	log.Info("metrics serving", "endpoint", "http://"+ln.Addr().String()+server.MetricsPath)
	if cfg.metricsAddr != nil {
		cfg.metricsAddr(ln.Addr())
	}
	return func() {
		hs.Close()
		<-done
	}, nil
}
