package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/storetest"
)

// openTest opens a new database in a temporary directory and closes it when
// the test ends.
func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "batchd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

// The conformance suite's helpers.
var (
	mustUpdate = storetest.MustUpdate
	mustView   = storetest.MustView
	seed       = storetest.Seed
	get        = storetest.Get
	list       = storetest.List
	keysOf     = storetest.KeysOf
)

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a", "b")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after reopen: %q, want [a b]", got)
	}
}

func TestOpenOddPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "we?ird %41#dir&x=y")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data base.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, path string
	}{
		{name: "empty path", path: ""},
		{name: "missing directory", path: filepath.Join(dir, "no", "such", "dir", "db")},
		{name: "directory", path: dir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, err := Open(context.Background(), tc.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

// versions returns the rows of schema_migrations.
func versions(t testing.TB, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Errorf("version %d applied_at %q: %v", v, at, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsAppliedOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	var want []int
	for v := range migrations {
		want = append(want, v+1)
	}
	for i := range 2 {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if got := versions(t, db.w); !slices.Equal(got, want) {
			t.Errorf("Open #%d: schema_migrations versions %v, want %v", i+1, got, want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	tests := []struct {
		name   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{name: "journal mode", db: db.w, pragma: "journal_mode", want: "wal"},
		{name: "synchronous FULL", db: db.w, pragma: "synchronous", want: "2"},
		{name: "reader synchronous FULL", db: db.r, pragma: "synchronous", want: "2"},
		{name: "foreign keys", db: db.w, pragma: "foreign_keys", want: "1"},
		{name: "reader foreign keys", db: db.r, pragma: "foreign_keys", want: "1"},
		{name: "busy timeout", db: db.w, pragma: "busy_timeout", want: strconv.Itoa(busyTimeoutMS)},
		{name: "reader busy timeout", db: db.r, pragma: "busy_timeout", want: strconv.Itoa(busyTimeoutMS)},
		{name: "reader query only", db: db.r, pragma: "query_only", want: "1"},
		{name: "writer not query only", db: db.w, pragma: "query_only", want: "0"},
		{name: "wal autocheckpoint", db: db.w, pragma: "wal_autocheckpoint", want: strconv.Itoa(walCheckpointPages)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := tc.db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a")
	future := len(migrations) + 1
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')`, future); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer batchd succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{path, "schema version " + strconv.Itoa(future), "up to " + strconv.Itoa(len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not say %q", err, want)
		}
	}
}

const crashEnv = "BATCHD_SQLITE_CRASH_CHILD"

// TestCrashChild is the child of TestCrashDurability: it commits Updates in
// a loop and reports each committed key on stdout, until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashDurability only")
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 512)
	for i := range 1_000_000 { // bounded, should the parent not kill it
		key := fmt.Sprintf("%08d", i)
		err := db.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Insert("crash", key, value); err != nil {
				return err
			}
			return tx.Put("crash-last", "n", []byte(key))
		})
		if err != nil {
			t.Fatal(err)
		}
		// os.Stdout is unbuffered: the line is written when Update has
		// returned and before the next Update starts.
		if _, err := fmt.Fprintf(os.Stdout, "committed %s\n", key); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashDurability kills a process that is committing Updates with
// SIGKILL and checks that every Update it saw return nil is in the file.
func TestCrashDurability(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const reports = 300
	path := filepath.Join(t.TempDir(), "batchd.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed = append(committed, key)
		}
		if len(committed) == reports && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
		// Lines written before the kill landed are commits too: keep reading.
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d commits: %v\n%s", len(committed), err, stderr.Bytes())
	}
	t.Logf("child killed after reporting %d commits", len(committed))

	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()
	mustView(t, db, func(tx store.Tx) error {
		for _, key := range committed {
			if _, err := tx.Get("crash", key); err != nil {
				t.Errorf("committed key %s lost: %v", key, err)
			}
		}
		last, err := tx.Get("crash-last", "n")
		if err != nil {
			return err
		}
		if string(last) < committed[len(committed)-1] {
			t.Errorf("crash-last = %s, before the last reported commit %s", last, committed[len(committed)-1])
		}
		n, err := tx.Count("crash", "")
		if err != nil {
			return err
		}
		// Either the in-flight Update committed or it did not; nothing else.
		if want := len(committed); n != want && n != want+1 {
			t.Errorf("Count = %d after %d reported commits", n, want)
		}
		return nil
	})
}

func BenchmarkUpdatePut(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	value := []byte(`{"jobId":"0123456789abcdef","status":"RUNNABLE"}`)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("job/%06d", i)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("job", key, value) }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if v, err := get(b, db, "job", keys[0]); err != nil || !bytes.Equal(v, value) {
		b.Fatalf("after: Get = %q, %v", v, err)
	}
}

func BenchmarkViewGet(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("job/%06d", i)
	}
	seed(b, db, "job", keys...)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		err := db.View(ctx, func(tx store.Tx) error {
			v, err := tx.Get("job", key)
			if err == nil && string(v) != "v:"+key {
				err = fmt.Errorf("Get(%s) = %q", key, v)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestListUsesPrimaryKey checks that List and Count search the primary key
// by range rather than scan the table.
func TestListUsesPrimaryKey(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i, q := range stmtSQL {
		if i == stPut || i == stInsert {
			continue
		}
		args := []any{"k", "a", "b", 1}[:strings.Count(q, "?")]
		rows, err := db.w.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "SEARCH documents USING PRIMARY KEY (kind=? AND key") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s\nplan %q, want a primary key search on kind and key, no sort", q, got)
		}
	}
}

// A lazy Update is committed (readers see it) without a sync; the WAL is
// synced by the next Update that is not lazy, or after LazySyncDelay.
func TestLazyUpdate(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	put := func(ctx context.Context, key string) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", key, []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	put(ctx, "durable")
	base := db.synced.Load()
	put(store.Lazy(ctx), "lazy1")
	put(store.Lazy(ctx), "lazy2")
	if n := db.synced.Load() - base; n != 0 {
		t.Fatalf("%d syncs for lazy Updates, want none yet", n)
	}
	if err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.Get("k", "lazy2")
		return err
	}); err != nil {
		t.Fatalf("a lazy Update is not visible: %v", err)
	}
	put(ctx, "durable2")
	if n := db.synced.Load() - base; n != 1 {
		t.Fatalf("%d syncs after an Update that is not lazy, want 1", n)
	}
	put(store.Lazy(ctx), "lazy3")
	deadline := time.Now().Add(store.LazySyncDelay + 2*time.Second)
	for db.synced.Load()-base != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the lazy Update's WAL not synced %v after it", store.LazySyncDelay+2*time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStore runs the conformance suite of store.Store on SQLite.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openTest(t)
		return db
	})
}

// TestTxErrors checks the sentinels of a Tx used after return and of a
// write in a View (the suite checks that they fail).
func TestTxErrors(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", "a")
	var fromView, fromUpdate store.Tx
	mustView(t, db, func(tx store.Tx) error {
		fromView = tx
		if err := tx.Put("k", "a", nil); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Put in a View = %v, want ErrReadOnly", err)
		}
		return nil
	})
	mustUpdate(t, db, func(tx store.Tx) error { fromUpdate = tx; return nil })
	for name, tx := range map[string]store.Tx{"view": fromView, "update": fromUpdate} {
		for op, fn := range storetest.TxOps(tx) {
			if err := fn(); !errors.Is(err, ErrTxDone) {
				t.Errorf("%s tx: %s after return = %v, want ErrTxDone", name, op, err)
			}
		}
	}
}

// TestWriterSyncSetting: the writer's connection runs with
// synchronous=NORMAL and syncs the WAL itself (TestLazyUpdate counts the
// syncs); a PRAGMA takes effect as SQLite prepares it, so a prepared one
// would not have set it.
func TestWriterSyncSetting(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	setting := func() int {
		t.Helper()
		var v int
		if err := db.wc.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	put := func(ctx context.Context) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "a", []byte("x")) }); err != nil {
			t.Fatal(err)
		}
	}
	if got := setting(); got != 1 {
		t.Errorf("synchronous after Open = %d, want 1 (NORMAL)", got)
	}
	put(store.Lazy(ctx))
	put(ctx)
	if got := setting(); got != 1 {
		t.Errorf("synchronous after Updates = %d, want 1 (NORMAL)", got)
	}
}

// putAsync puts key in kind "k" in an Update with ctx, on a goroutine of
// its own: ran is closed once the Update's fn ran, done gets its result.
func putAsync(db *DB, ctx context.Context, key string) (ran chan struct{}, done chan error) {
	ran, done = make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx store.Tx) error {
			defer close(ran)
			return tx.Put("k", key, []byte("v"))
		})
	}()
	return ran, done
}

// wantResult checks the result of the Update named name, from ch: want
// (errors.Is), or none when want is nil.
func wantResult(t *testing.T, name string, ch <-chan error, want error) {
	t.Helper()
	if err := <-ch; !errors.Is(err, want) {
		t.Fatalf("%s Update = %v, want %v", name, err, want)
	}
}

// wantKept checks that a View of db sees the keys kept (of kind "k"), and
// not gone.
func wantKept(t *testing.T, db *DB, gone string, kept ...string) {
	t.Helper()
	if visibleIn(t, db, gone) {
		t.Errorf("%s is visible: its Update failed", gone)
	}
	for _, k := range kept {
		if !visibleIn(t, db, k) {
			t.Errorf("%s is not visible", k)
		}
	}
}

// visibleIn reports whether a View of db sees key (of kind "k").
func visibleIn(t *testing.T, db *DB, key string) bool {
	t.Helper()
	err := db.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.Get("k", key)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// heldUntilJoined puts key in an Update of held (lazy or patient) on db,
// whose writer holds a transaction open longer than the test waits: its
// caller waits and readers do not see it until an Update that is neither
// lazy nor patient joins it, both in one commit and one sync.
func heldUntilJoined(t *testing.T, ctx context.Context, db *DB, commits *atomic.Int32, held context.Context, key string) {
	t.Helper()
	ran, done := putAsync(db, held, key)
	<-ran
	select {
	case err := <-done:
		t.Fatalf("a held Update (%s) returned (%v) before its commit", key, err)
	case <-time.After(50 * time.Millisecond):
	}
	if visibleIn(t, db, key) {
		t.Fatalf("a held Update (%s) is visible before its commit", key)
	}
	c0, syncs := commits.Load(), db.synced.Load()
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", key+"-joined", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("held Update (%s): %v", key, err)
	}
	if c, s := commits.Load()-c0, db.synced.Load()-syncs; c != 1 || s != 1 {
		t.Errorf("a held Update (%s) and the one that joined it: %d commits, %d syncs, want 1 and 1", key, c, s)
	}
	if !visibleIn(t, db, key) || !visibleIn(t, db, key+"-joined") {
		t.Errorf("the joint commit's writes (%s) are not visible", key)
	}
}

// TestLazyHeld: a lazy Update's transaction stays open (its caller waits,
// readers do not see it) until an Update that is not lazy joins it; both
// are committed in one commit and one sync. Close commits a held one.
func TestLazyHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batchd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.join = time.Minute
	var commits atomic.Int32
	db.ObserveCommits(func(time.Duration) { commits.Add(1) })
	ctx := context.Background()
	heldUntilJoined(t, ctx, db, &commits, store.Lazy(ctx), "lazy")

	ran, done := putAsync(db, store.Lazy(ctx), "atclose")
	<-ran
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("lazy Update held at Close: %v", err)
	}
	db, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !visibleIn(t, db, "atclose") {
		t.Error("a lazy Update held at Close was lost")
	}
}

// TestSyncShared: Updates from many callers share commits (group
// commit) and so syncs: never more syncs than commits, fewer than
// Updates.
func TestSyncShared(t *testing.T) {
	db, _ := openTest(t)
	var commits atomic.Int64
	db.ObserveCommits(func(time.Duration) { commits.Add(1) })
	syncs := db.synced.Load()
	const callers, each = 32, 25
	errs := make(chan error, callers)
	for c := range callers {
		go func() {
			var err error
			for i := range each {
				if err = db.Update(context.Background(), func(tx store.Tx) error {
					return tx.Put("k", fmt.Sprintf("%d-%d", c, i), []byte("v"))
				}); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n, c := db.synced.Load()-syncs, commits.Load()
	t.Logf("%d Updates, %d commits, %d syncs", callers*each, c, n)
	if n > c || n >= callers*each {
		t.Errorf("%d syncs for %d commits of %d Updates", n, c, callers*each)
	}
}

// TestFailedUpdateInGroup: an Update that fails keeps none of its writes,
// and the others of its transaction keep theirs, whether it came first in
// the transaction (which holds only its writes: rolled back whole and
// begun again for the rest) or joined one that holds others' (its
// savepoint rolled back).
func TestFailedUpdateInGroup(t *testing.T) {
	ctx := context.Background()
	errBoom := errors.New("boom")
	failing := func(key string) func(store.Tx) error {
		return func(tx store.Tx) error {
			if err := tx.Put("k", key, []byte("v")); err != nil {
				return err
			}
			return errBoom
		}
	}
	t.Run("first", func(t *testing.T) {
		db, _ := openTest(t)
		// The writer runs a slow Update while the failing one and the
		// next queue up behind it: they come in one group, the failing
		// one first in its transaction.
		release := make(chan struct{})
		ran, slow := make(chan struct{}), make(chan error, 1)
		go func() {
			slow <- db.Update(ctx, func(tx store.Tx) error {
				close(ran)
				<-release
				return tx.Put("k", "slow", []byte("v"))
			})
		}()
		<-ran
		failed, next := make(chan error, 1), make(chan error, 1)
		go func() { failed <- db.Update(ctx, failing("failed")) }()
		time.Sleep(20 * time.Millisecond)
		go func() { next <- db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "next", []byte("v")) }) }()
		time.Sleep(20 * time.Millisecond)
		close(release)
		wantResult(t, "slow", slow, nil)
		wantResult(t, "failing", failed, errBoom)
		wantResult(t, "next", next, nil)
		wantKept(t, db, "failed", "slow", "next")
	})
	t.Run("joined", func(t *testing.T) {
		db, _ := openTest(t)
		db.join = time.Minute // a lazy Update's transaction stays open
		ran, held := putAsync(db, store.Lazy(ctx), "held")
		<-ran
		// The failing Update is answered with its transaction's commit,
		// which the next one brings.
		failed := make(chan error, 1)
		go func() { failed <- db.Update(ctx, failing("failed")) }()
		time.Sleep(20 * time.Millisecond)
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "next", []byte("v")) }); err != nil {
			t.Fatal(err)
		}
		wantResult(t, "failing", failed, errBoom)
		wantResult(t, "held", held, nil)
		wantKept(t, db, "failed", "held", "next")
	})
}

// TestSyncAside: the writer goes on while the WAL is synced: an Update
// that is not lazy waits for its sync, and Updates after it run and
// commit meanwhile (a lazy one returns); the next sync covers the commits
// made during the last one. A failed sync fails the Updates that
// waited for it, not the lazy ones, which are synced again later.
func TestSyncAside(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	entered, release := make(chan struct{}, 8), make(chan error)
	var gate atomic.Bool
	db.beforeSync = func() error {
		if !gate.Load() {
			return nil
		}
		entered <- struct{}{}
		return <-release
	}
	put := func(ctx context.Context, key string) chan error {
		_, done := putAsync(db, ctx, key)
		return done
	}
	gate.Store(true)
	base := db.synced.Load()
	first := put(ctx, "first")
	<-entered // first's sync runs, and waits
	if err := <-put(store.Lazy(ctx), "lazy"); err != nil {
		t.Fatalf("a lazy Update while a sync runs: %v", err)
	}
	second, third := put(ctx, "second"), put(ctx, "third")
	// Both are committed (visible) while the first sync still runs.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		n := 0
		if err := db.View(ctx, func(tx store.Tx) error {
			for _, k := range []string{"second", "third"} {
				if _, err := tx.Get("k", k); err == nil {
					n++
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Updates after one whose sync runs were not committed meanwhile")
		}
	}
	select {
	case err := <-second:
		t.Fatalf("an Update returned (%v) before its sync", err)
	default:
	}
	release <- nil
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The next sync (usually one for both) fails.
	failing := make(chan struct{})
	go func() {
		for {
			select {
			case <-entered:
				release <- errors.New("disk gone")
			case <-failing:
				return
			}
		}
	}()
	for _, done := range []chan error{second, third} {
		if err := <-done; err == nil || !strings.Contains(err.Error(), "disk gone") {
			t.Errorf("Update whose sync failed = %v, want the sync's error", err)
		}
	}
	if n := db.synced.Load() - base; n != 1 {
		t.Errorf("%d syncs done, want 1 (the second failed)", n)
	}
	close(failing)
	gate.Store(false)
	if err := <-put(ctx, "after"); err != nil {
		t.Fatalf("an Update after a failed sync: %v", err)
	}
	if n := db.synced.Load() - base; n != 2 {
		t.Errorf("%d syncs done, want 2", n)
	}
}

// holdingDB opens a DB whose writer joins for join and whose patient
// commits wait up to hold for their sync, and counts its commits.
func holdingDB(t *testing.T, join, hold time.Duration) (*DB, *atomic.Int32) {
	db, _ := openTest(t)
	db.join, db.hold = join, hold
	commits := new(atomic.Int32)
	db.ObserveCommits(func(time.Duration) { commits.Add(1) })
	return db, commits
}

// TestPatientHeld: a patient Update's transaction is held as a lazy
// one's (the writer's join), and the next Update joins it: one commit,
// one sync, after which it returns.
func TestPatientHeld(t *testing.T) {
	db, commits := holdingDB(t, time.Minute, 200*time.Millisecond)
	ctx := context.Background()
	heldUntilJoined(t, ctx, db, commits, store.Patient(ctx), "p1")
}

// TestPatientSyncHeld: a patient Update committed alone (the writer's
// join over) returns once synced, the sync waiting up to the hold for the
// next Update that is neither lazy nor patient to share it (two commits,
// one sync); without one, it is synced alone once the hold is over.
func TestPatientSyncHeld(t *testing.T) {
	db, commits := holdingDB(t, time.Millisecond, 300*time.Millisecond)
	ctx := context.Background()
	syncs := db.synced.Load()
	ran, done := putAsync(db, store.Patient(ctx), "p1")
	<-ran
	// Committed after the join, not synced: readers see it, its caller
	// waits.
	deadline := time.Now().Add(100 * time.Millisecond)
	for !visibleIn(t, db, "p1") {
		if time.Now().After(deadline) {
			t.Fatal("a patient Update is not committed after the writer's join")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("a patient Update returned (%v) before its sync", err)
	case <-time.After(50 * time.Millisecond):
	}
	if n := db.synced.Load() - syncs; n != 0 {
		t.Fatalf("%d syncs before an Update came to share it, want 0", n)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "u1", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("patient Update: %v", err)
	}
	if c, s := commits.Load(), db.synced.Load()-syncs; c != 2 || s != 1 {
		t.Errorf("a patient Update and the one that shared its sync: %d commits, %d syncs, want 2 and 1", c, s)
	}

	// Alone, it is synced once its hold is over.
	start := time.Now()
	ran, done = putAsync(db, store.Patient(ctx), "p2")
	<-ran
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < db.hold {
		t.Errorf("a patient Update alone returned after %v, before its hold (%v)", d, db.hold)
	}
	if c, s := commits.Load(), db.synced.Load()-syncs; c != 3 || s != 2 {
		t.Errorf("after a patient Update alone: %d commits, %d syncs, want 3 and 2", c, s)
	}
}
