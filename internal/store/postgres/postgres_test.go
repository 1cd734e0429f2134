package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/postgres/pgtest"
	"batchd/internal/store/storetest"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a *DB on url and closes it when t ends.
func open(t testing.TB, url string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// TestStore runs the conformance suite of store.Store on PostgreSQL, a
// database per test.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}

// TestTxErrors checks the sentinels of a Tx used after return and of writes
// in a View (the suite checks that they fail).
func TestTxErrors(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.URL(t))
	ctx := context.Background()
	var fromView, fromUpdate store.Tx
	err := db.View(ctx, func(tx store.Tx) error {
		fromView = tx
		for op, err := range map[string]error{"put": tx.Put("k", "a", nil), "notify": tx.Notify("x")} {
			if !errors.Is(err, ErrReadOnly) {
				t.Errorf("%s in a View = %v, want ErrReadOnly", op, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { fromUpdate = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	for name, tx := range map[string]store.Tx{"view": fromView, "update": fromUpdate} {
		for op, fn := range storetest.TxOps(tx) {
			if err := fn(); !errors.Is(err, ErrTxDone) {
				t.Errorf("%s tx: %s after return = %v, want ErrTxDone", name, op, err)
			}
		}
	}
}

// listener collects what Listen hears.
type listener struct {
	mu     sync.Mutex
	topics []string
	ready  chan struct{}
	heard  chan struct{} // a token per topic heard
}

func listen(t *testing.T, db *DB) *listener {
	t.Helper()
	l := &listener{ready: make(chan struct{}), heard: make(chan struct{}, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- db.Listen(ctx, func(topic string) {
			if topic == "" {
				close(l.ready)
				return
			}
			l.mu.Lock()
			l.topics = append(l.topics, topic)
			l.mu.Unlock()
			l.heard <- struct{}{}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Listen = %v, want context.Canceled", err)
		}
	})
	select {
	case <-l.ready:
	case err := <-done:
		t.Fatalf("Listen: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not call fn(\"\") within 10s")
	}
	return l
}

func (l *listener) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.topics)
}

// wait waits for n more topics.
func (l *listener) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-l.heard:
		case <-time.After(10 * time.Second):
			t.Fatalf("heard %q, waited 10s for more", l.got())
		}
	}
}

// TestReplicas opens two *DBs on one database, as two replicas of batchd
// would: each sees the other's writes as soon as its Update returned,
// hears the other's Notify (and not its own) once it commits, and nothing
// of a transaction that rolled back.
func TestReplicas(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, b := open(t, url), open(t, url)
	ctx := context.Background()
	la, lb := listen(t, a), listen(t, b)

	if err := a.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put("job", "j-1", []byte("from a")); err != nil {
			return err
		}
		return tx.Notify("batch:job")
	}); err != nil {
		t.Fatal(err)
	}
	err := b.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("job", "j-1")
		if err == nil && string(v) != "from a" {
			err = fmt.Errorf("Get = %q, want from a", v)
		}
		return err
	})
	if err != nil {
		t.Errorf("b reads a's write: %v", err)
	}
	lb.wait(t, 1)

	// b's rolled-back Notify is never heard; its committed one is, after
	// it, in commit order.
	boom := errors.New("boom")
	if err := b.Update(ctx, func(tx store.Tx) error {
		if err := tx.Notify("rolled-back"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	for i, topic := range []string{"iam:user", "iam:role"} {
		if err := b.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put("user", strconv.Itoa(i), []byte("from b")); err != nil {
				return err
			}
			return tx.Notify(topic)
		}); err != nil {
			t.Fatal(err)
		}
	}
	la.wait(t, 2)
	if n, err := countOf(a, "user"); err != nil || n != 2 {
		t.Errorf("a counts b's users: %d, %v; want 2", n, err)
	}
	// Let anything that should not come have time to.
	time.Sleep(200 * time.Millisecond)
	if got, want := la.got(), []string{"iam:user", "iam:role"}; !slices.Equal(got, want) {
		t.Errorf("a heard %q, want %q (b's committed topics only)", got, want)
	}
	if got, want := lb.got(), []string{"batch:job"}; !slices.Equal(got, want) {
		t.Errorf("b heard %q, want %q (a's only, not its own)", got, want)
	}
}

func countOf(db *DB, kind string) (n int, err error) {
	err = db.View(context.Background(), func(tx store.Tx) error {
		n, err = tx.Count(kind, "")
		return err
	})
	return n, err
}

// TestReplicasSerialized has two *DBs on one database increment one
// counter at once: the advisory lock serializes Updates across processes
// as the writer token does within one.
func TestReplicasSerialized(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	dbs := []*DB{open(t, url), open(t, url)}
	ctx := context.Background()
	if err := dbs[0].Update(ctx, func(tx store.Tx) error { return tx.Put("counter", "n", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	const each = 25
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 2 {
			wg.Go(func() {
				for range each {
					err := db.Update(ctx, func(tx store.Tx) error {
						v, err := tx.Get("counter", "n")
						if err != nil {
							return err
						}
						n, err := strconv.Atoi(string(v))
						if err != nil {
							return err
						}
						return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	err := dbs[1].View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("counter", "n")
		if err == nil && string(v) != strconv.Itoa(4*each) {
			err = fmt.Errorf("counter = %s, want %d", v, 4*each)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// TestListenEndsWithConnection checks Listen returns an error, not ctx's,
// when its connection is lost.
func TestListenEndsWithConnection(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.URL(t))
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Listen(context.Background(), func(topic string) {
			if topic == "" {
				close(ready)
			}
		})
	}()
	<-ready
	// Another session ends the listener's: this test's, not the listeners
	// of the tests running beside it on their own databases of the server.
	if _, err := db.pool.Exec(context.Background(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN batchd' AND datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("Listen = %v, want the lost connection's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return within 10s of losing its connection")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	future := len(migrations) + 1
	if _, err := db.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version) VALUES ($1)`, future); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(context.Background(), url)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer batchd succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{"schema version " + strconv.Itoa(future), "up to " + strconv.Itoa(len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not say %q", err, want)
		}
	}
}

// TestMigrationsAtOnce opens one new database from several *DBs at once,
// as replicas starting together: each step is applied once.
func TestMigrationsAtOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	rows, err := dbs[0].pool.Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var want []int
	for v := range migrations {
		want = append(want, v+1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema_migrations %v, want %v", got, want)
	}
}

// TestLazyCommitIsAsync checks a lazy Update commits with synchronous_commit
// off, and others with the server's setting.
func TestLazyCommitIsAsync(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.URL(t))
	ctx := context.Background()
	setting := func(ctx context.Context) (s string) {
		t.Helper()
		err := db.Update(ctx, func(st store.Tx) error {
			return st.(*tx).tx.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&s)
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := setting(store.Lazy(ctx)); got != "off" {
		t.Errorf("lazy Update: synchronous_commit = %s, want off", got)
	}
	if got := setting(ctx); got != "on" {
		t.Errorf("Update: synchronous_commit = %s, want on", got)
	}
}

func TestDiskFull(t *testing.T) {
	t.Parallel()
	full := fmt.Errorf("postgres: commit: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"})
	if !diskFull(full) {
		t.Errorf("diskFull(%v) = false", full)
	}
	if other := (&pgconn.PgError{Code: "23505"}); diskFull(other) {
		t.Errorf("diskFull(%v) = true", other)
	}
}

func BenchmarkUpdatePut(b *testing.B) {
	db := open(b, pgtest.URL(b))
	ctx := context.Background()
	value := []byte(`{"jobId":"0123456789abcdef","status":"RUNNABLE"}`)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := fmt.Sprintf("job/%06d", i%1024)
		i++
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("job", key, value) }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, err := countOf(db, "job"); err != nil || n != min(i, 1024) {
		b.Fatalf("after: %d jobs, %v; want %d", n, err, min(i, 1024))
	}
}

func BenchmarkViewGet(b *testing.B) {
	db := open(b, pgtest.URL(b))
	ctx := context.Background()
	if err := db.Update(ctx, func(tx store.Tx) error {
		for i := range 1024 {
			key := fmt.Sprintf("job/%06d", i)
			if err := tx.Put("job", key, []byte("v:"+key)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := fmt.Sprintf("job/%06d", i%1024)
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
