// Package pgtest owns the PostgreSQL server of tests: URL gives each test
// a fresh, empty database of its own, dropped when the test ends.
//
// With BATCHD_TEST_POSTGRES set (a postgres:// URL of a role that may
// CREATE DATABASE), the databases are made on that server. Otherwise the
// first URL of a test binary starts a throwaway PostgreSQL 15 from
// Debian's packages (/usr/lib/postgresql/15/bin, package postgresql-15):
// initdb into a temporary directory (as the postgres user when the tests
// run as root), then the server on a free loopback port, its socket in
// that directory. It takes about a second. The server is a child of the
// test binary with a parent-death signal, so it ends with the binary even
// when the binary is killed; Main stops it and removes its directory when
// the tests end. Without PostgreSQL installed, URL skips the test, except
// under CI=true, where it fails it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable of an existing server's URL.
const EnvURL = "BATCHD_TEST_POSTGRES"

// BinDir holds Debian's PostgreSQL 15 programs.
const BinDir = "/usr/lib/postgresql/15/bin"

var (
	once     sync.Once
	srv      *server
	adminURL string
	startErr error
)

// server is the throwaway PostgreSQL this binary started.
type server struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the server has exited
}

// log returns what the server wrote.
func (s *server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	return string(b)
}

// Main runs the tests of m and stops the server they started, if any: call
// it from TestMain of each package that uses URL.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Available reports whether URL can give a database: BATCHD_TEST_POSTGRES
// is set, or PostgreSQL 15 is installed.
func Available() bool {
	if os.Getenv(EnvURL) != "" {
		return true
	}
	_, err := os.Stat(filepath.Join(BinDir, "postgres"))
	return err == nil
}

// URL returns the URL of a new, empty database for t, dropped when t ends
// (after the cleanups t registers later, such as closing the store). It
// skips t when no PostgreSQL is available, or fails it under CI=true.
func URL(t testing.TB) string {
	t.Helper()
	if !Available() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL 15 is not installed (%s) and %s is not set: install postgresql-15", BinDir, EnvURL)
		}
		t.Skipf("PostgreSQL 15 is not installed (%s) and %s is not set", BinDir, EnvURL)
	}
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			adminURL = u
			return
		}
		srv, startErr = start()
		if srv != nil {
			adminURL = srv.url("postgres")
		}
	})
	if startErr != nil {
		t.Fatalf("pgtest: start PostgreSQL: %v", startErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var raw [6]byte
	rand.Read(raw[:])
	name := "batchd_test_" + hex.EncodeToString(raw[:])
	if err := admin(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	u, err := withDatabase(adminURL, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// admin runs one statement on the admin URL's database.
func admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// withDatabase returns u naming database name instead.
func withDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	p.Path = "/" + name
	return p.String(), nil
}

// Stop stops the server this binary started, if any, and removes its
// directory.
func Stop() {
	if srv == nil {
		return
	}
	srv.stop()
}

func (s *server) url(db string) string {
	return "postgres://postgres@127.0.0.1:" + s.port() + "/" + db + "?sslmode=disable"
}

func (s *server) port() string { return s.cmd.Args[len(s.cmd.Args)-1] }

func (s *server) stop() {
	// SIGINT is PostgreSQL's fast shutdown: clients are disconnected.
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// start makes a cluster in a temporary directory and runs its server.
func start() (*server, error) {
	removeStale()
	dir, err := os.MkdirTemp("", "batchd-pgtest-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(BinDir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{dir: dir, done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(BinDir, "postgres"), "-D", data, "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-p", port)
	s.cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close() // the server has its own copy
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The server ends with this binary, however it ends: pg_ctl would
	// have left it running after a test binary killed by its timeout.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
	started := make(chan error)
	go func() {
		// The parent-death signal is sent when the thread that started the
		// child exits: keep this goroutine, and so its thread, until the
		// server has exited.
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.url("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return s, nil
		}
		select {
		case <-s.done:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited: %s", s.log())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.Join(fmt.Errorf("postgres not ready after 30s: %s", s.log()), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// removeStale removes the directories of servers whose test binary was
// killed (the server stopped with it; no one removed its directory): those
// without a postmaster.pid, older than any initdb takes.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "batchd-pgtest-*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "data", "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(d)
		}
	}
}

// freePort returns a loopback TCP port no one listens on.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}
