package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"batchd/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrTxDone is returned by a Tx's methods when the View or Update that gave
// it out has returned.
var ErrTxDone = errors.New("postgres: transaction used after its View or Update returned")

// ErrReadOnly is returned by Put, Insert, Delete and Notify inside a View.
var ErrReadOnly = errors.New("postgres: write in a read-only transaction (View)")

// lockKey is the advisory lock every Update and every migration takes
// first: "batchd" in ASCII.
const lockKey int64 = 0x626174636864

// beginUpdate begins an Update's transaction and takes the lock first.
var beginUpdate = `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(` + strconv.FormatInt(lockKey, 10) + `)`

// channel is the LISTEN/NOTIFY channel of Tx.Notify and Listen.
const channel = "batchd"

// DB is a store.Store on one PostgreSQL database. It is safe for concurrent
// use.
type DB struct {
	pool *pgxpool.Pool
	// id tells this process's notifications from others' (Listen).
	id string
	// reqs feeds the writer goroutine, which runs the Updates of this
	// process in groups, one transaction (and one wait for the advisory
	// lock, one commit) for each group: see commitGroup.
	reqs      chan *store.UpdateRequest
	quit      chan struct{}
	writerEnd chan struct{}
	closeOnce sync.Once
	// onCommit hears how long each Update's COMMIT took (ObserveCommits).
	onCommit atomic.Pointer[func(time.Duration)]
}

var (
	_ store.Store    = (*DB)(nil)
	_ store.Listener = (*DB)(nil)
)

// Open connects to the database at url (postgres://user:pass@host:port/db?
// sslmode=..., or any connection string pgx accepts; pool_max_conns sets
// the pool's size) and brings its schema to the newest version this binary
// knows.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// Views run concurrently; Updates hold at most one connection.
		cfg.MaxConns = int32(max(8, 2*runtime.GOMAXPROCS(0)))
	}
	var raw [8]byte
	rand.Read(raw[:])
	db := &DB{id: hex.EncodeToString(raw[:]), reqs: make(chan *store.UpdateRequest), quit: make(chan struct{}), writerEnd: make(chan struct{})}
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", redacted(cfg), err)
	}
	if err := migrate(ctx, db.pool); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", redacted(cfg), err)
	}
	go db.writer()
	return db, nil
}

// redacted names the database without its password.
func redacted(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close releases the pool's connections. Views and Updates still running
// may fail.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.quit)
		<-db.writerEnd
		db.pool.Close()
	})
	return nil
}

// ErrClosed is an Update's answer once the DB is closed.
var ErrClosed = errors.New("postgres: store closed")

// ObserveCommits has f told how long each Update's COMMIT took (the
// server's WAL flush included); nil stops it. f must be quick.
func (db *DB) ObserveCommits(f func(time.Duration)) {
	if f == nil {
		db.onCommit.Store(nil)
		return
	}
	db.onCommit.Store(&f)
}

// View runs fn in a READ ONLY REPEATABLE READ transaction: one snapshot,
// taken at its first statement.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrap(ctx, "begin view", err)
	}
	t := &tx{ctx: ctx, tx: ptx}
	defer func() {
		t.done.Store(true)
		ptx.Rollback(context.WithoutCancel(ctx)) // nothing to keep; ends the snapshot
	}()
	return fn(t)
}

// Update runs fn in a read-write transaction that holds the advisory lock
// (see the package doc), in a savepoint of its own among the Updates
// grouped with it, and returns once the group committed. When fn returns
// an error or panics, or ctx ends while fn runs, its savepoint is rolled
// back: nothing fn wrote is kept, the others' writes are unaffected, and
// Update returns fn's error or ctx's (a panic goes on in the caller). If
// the commit fails, every Update of the group fails.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return store.HookedUpdate(ctx, fn, func(fn func(store.Tx) error) error { return db.update(ctx, fn) })
}

func (db *DB) update(ctx context.Context, fn func(store.Tx) error) error {
	err := store.Submit(ctx, fn, db.reqs, db.quit, ErrClosed)
	if err != nil && diskFull(err) {
		return &store.FullError{Err: err}
	}
	return err
}

// writer runs the Updates of this process, in groups: those that queued
// while the last group ran share the next transaction.
func (db *DB) writer() {
	defer close(db.writerEnd)
	for {
		var first *store.UpdateRequest
		select {
		case first = <-db.reqs:
		case <-db.quit:
			return
		}
		db.commitGroup(store.Gather(first, db.reqs))
	}
}

// commitGroup runs a group of Updates in one transaction that holds the
// advisory lock, each in a savepoint of its own: one that fails (or whose
// caller gave up) is rolled back to its savepoint and told so, and the
// others commit together. The commit is synchronous unless every Update
// of the group is lazy (store.Lazy). Each Update's writes are sent, with
// its savepoint's release, when its fn returns, so that a write that fails
// fails its own Update.
func (db *DB) commitGroup(group []*store.UpdateRequest) {
	results := make([]store.UpdateResult, len(group))
	answer := func() { store.AnswerAll(group, results) }
	failAll := func(err error) {
		store.FailRest(results, err)
		answer()
	}
	lazy := true
	for _, r := range group {
		lazy = lazy && store.IsLazy(r.Ctx)
	}
	// BEGIN, the lock (the transaction's first statement) and the lazy
	// setting go in one round trip.
	begin := beginUpdate
	if lazy {
		begin += `; SET LOCAL synchronous_commit = off`
	}
	// The transaction outlives any one caller's ctx: a caller that gives
	// up while its fn runs is rolled back to its savepoint.
	bg := context.Background()
	ptx, err := db.pool.BeginTx(bg, pgx.TxOptions{BeginQuery: begin})
	if err != nil {
		failAll(fmt.Errorf("postgres: begin update (and take the write lock): %w", err))
		return
	}
	ok := 0
	for i, r := range group {
		if taken, err := r.Take(); !taken {
			results[i].Err = err
			continue
		}
		t := &tx{ctx: bg, tx: ptx, write: true, id: db.id}
		t.queue(pendingWrite{op: "savepoint", kind: "update", sql: `SAVEPOINT u`})
		results[i] = r.Run(t, func() { t.done.Store(true) })
		failed := results[i].Failed()
		if !failed {
			t.queue(pendingWrite{op: "release", kind: "update", sql: `RELEASE SAVEPOINT u`})
			if err := t.flush(); err != nil {
				results[i].Err, failed = err, true
			}
		}
		if failed {
			// What was not sent is dropped; what was, is undone. A
			// savepoint that never reached the server has nothing to
			// undo.
			sent := t.sentSavepoint
			t.pending = nil
			if sent {
				if _, err := ptx.Exec(bg, `ROLLBACK TO SAVEPOINT u; RELEASE SAVEPOINT u`); err != nil {
					// The transaction is in an unknown state: give it
					// up whole.
					ptx.Rollback(bg)
					failAll(fmt.Errorf("postgres: rolling back to a savepoint: %w", err))
					return
				}
			}
			continue
		}
		ok++
	}
	if ok == 0 {
		ptx.Rollback(bg)
		answer()
		return
	}
	start := time.Now()
	if err := ptx.Commit(bg); err != nil {
		failAll(fmt.Errorf("postgres: commit: %w", err))
		return
	}
	if f := db.onCommit.Load(); f != nil {
		(*f)(time.Since(start))
	}
	answer()
}

// wrap reports err from op, or ctx's error when ctx ended it.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("postgres: %s: %w", op, cerr)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// diskFull reports whether err is PostgreSQL's disk_full (SQLSTATE 53100).
func diskFull(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "53100"
}

// tx is a store.Tx on one pgx.Tx.
type tx struct {
	ctx   context.Context
	tx    pgx.Tx
	write bool
	id    string      // the process id Notify sends
	done  atomic.Bool // the View or Update has returned
	// sentSavepoint: an Update's savepoint reached the server (commitGroup).
	sentSavepoint bool
	// pending are the Puts and Notifies not sent yet: they answer
	// nothing, so they go to the server together, in one round trip,
	// before the next statement that reads or answers (Get, List, Count,
	// Insert, Delete) or with the commit (flush).
	pending []pendingWrite
}

// pendingWrite is a Put or a Notify not sent yet.
type pendingWrite struct {
	op, kind, key string // for the error
	sql           string
	args          []any
}

// queue queues a write that answers nothing.
func (t *tx) queue(w pendingWrite) { t.pending = append(t.pending, w) }

// flush sends the pending writes in one batch; the first that fails is
// the error, naming its kind and key.
func (t *tx) flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	pending := t.pending
	t.pending = nil
	b := &pgx.Batch{}
	for _, w := range pending {
		b.Queue(w.sql, w.args...)
	}
	br := t.tx.SendBatch(t.ctx, b)
	var first error
	for _, w := range pending {
		_, err := br.Exec()
		if err == nil && w.op == "savepoint" {
			t.sentSavepoint = true
		}
		if err != nil && first == nil {
			first = t.fail(w.op, w.kind, w.key, err)
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = t.fail("write", "batch", "", err)
	}
	return first
}

// check refuses an operation after return, and a write in a View.
func (t *tx) check(write bool) error {
	if t.done.Load() {
		return ErrTxDone
	}
	if write && !t.write {
		return ErrReadOnly
	}
	return nil
}

// fail wraps err from op on (kind, key). When ctx has ended, that is the
// error reported: the driver's error is only the consequence.
func (t *tx) fail(op, kind, key string, err error) error {
	if cerr := t.ctx.Err(); cerr != nil && !errors.Is(err, ErrTxDone) && !errors.Is(err, ErrReadOnly) {
		err = cerr
	}
	return fmt.Errorf("postgres: %s %s %q: %w", op, kind, key, err)
}

// Get returns the value of (kind, key), or an error wrapping store.ErrNotFound.
func (t *tx) Get(kind, key string) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, t.fail("get", kind, key, err)
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	var v []byte
	err := t.tx.QueryRow(t.ctx, `SELECT value FROM documents WHERE kind = $1 AND key = $2`, []byte(kind), []byte(key)).Scan(&v)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = store.ErrNotFound
		}
		return nil, t.fail("get", kind, key, err)
	}
	return nonNil(v), nil
}

// Put writes (kind, key), replacing any value.
func (t *tx) Put(kind, key string, value []byte) error {
	if err := t.check(true); err != nil {
		return t.fail("put", kind, key, err)
	}
	t.queue(pendingWrite{op: "put", kind: kind, key: key, sql: `INSERT INTO documents (kind, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value`, args: []any{[]byte(kind), []byte(key), bytes.Clone(nonNil(value))}})
	return nil
}

// Insert writes (kind, key) if it is absent, else returns an error wrapping
// store.ErrExists.
func (t *tx) Insert(kind, key string, value []byte) error {
	if err := t.check(true); err != nil {
		return t.fail("insert", kind, key, err)
	}
	if err := t.flush(); err != nil {
		return err
	}
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO documents (kind, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (kind, key) DO NOTHING`, []byte(kind), []byte(key), nonNil(value))
	if err != nil {
		return t.fail("insert", kind, key, err)
	}
	if tag.RowsAffected() == 0 {
		return t.fail("insert", kind, key, store.ErrExists)
	}
	return nil
}

// Delete removes (kind, key), or returns an error wrapping store.ErrNotFound.
func (t *tx) Delete(kind, key string) error {
	if err := t.check(true); err != nil {
		return t.fail("delete", kind, key, err)
	}
	if err := t.flush(); err != nil {
		return err
	}
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM documents WHERE kind = $1 AND key = $2`, []byte(kind), []byte(key))
	if err != nil {
		return t.fail("delete", kind, key, err)
	}
	if tag.RowsAffected() == 0 {
		return t.fail("delete", kind, key, store.ErrNotFound)
	}
	return nil
}

// List returns up to limit items of kind whose keys start with prefix and
// sort strictly after `after`, in byte order of key (so an empty key is
// never listed, as with sqlite and memstore). The prefix is the key range
// [prefix, store.PrefixEnd(prefix)), which the primary key serves directly.
func (t *tx) List(kind, prefix, after string, limit int) ([]store.Item, error) {
	if err := t.check(false); err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	// One lower bound: every key with the prefix is >= prefix, so when
	// after < prefix the condition key > after adds nothing.
	q, lower := `SELECT key, value FROM documents WHERE kind = $1 AND key >= $2`, prefix
	if after >= prefix {
		q, lower = `SELECT key, value FROM documents WHERE kind = $1 AND key > $2`, after
	}
	args := []any{[]byte(kind), []byte(lower)}
	if end, bounded := store.PrefixEnd(prefix); bounded {
		q += ` AND key < $3`
		args = append(args, []byte(end))
	}
	return t.list(q+` ORDER BY key`, args, kind, prefix, limit)
}

// ListBefore returns up to limit items of kind whose keys start with
// prefix and sort strictly before `before` (no bound when before is ""),
// in reverse byte order of key: the primary key read backwards.
func (t *tx) ListBefore(kind, prefix, before string, limit int) ([]store.Item, error) {
	if err := t.check(false); err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	q, args := `SELECT key, value FROM documents WHERE kind = $1 AND key >= $2`, []any{[]byte(kind), []byte(prefix)}
	// One upper bound: the lower of before and the prefix's end.
	upper, bounded := store.PrefixEnd(prefix)
	if before != "" && (!bounded || before < upper) {
		upper, bounded = before, true
	}
	if bounded {
		q += ` AND key < $3`
		args = append(args, []byte(upper))
	}
	return t.list(q+` ORDER BY key DESC`, args, kind, prefix, limit)
}

// list runs a list query q with args and limit (<= 0: none).
func (t *tx) list(q string, args []any, kind, prefix string, limit int) ([]store.Item, error) {
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT $%d`, len(args)+1)
		args = append(args, int64(limit))
	}
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	defer rows.Close()
	var items []store.Item
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, t.fail("list", kind, prefix, err)
		}
		items = append(items, store.Item{Key: string(k), Value: nonNil(v)})
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	return items, nil
}

// Count returns how many keys of kind start with prefix.
func (t *tx) Count(kind, prefix string) (int, error) {
	if err := t.check(false); err != nil {
		return 0, t.fail("count", kind, prefix, err)
	}
	if err := t.flush(); err != nil {
		return 0, err
	}
	q, args := `SELECT count(*) FROM documents WHERE kind = $1 AND key >= $2`, []any{[]byte(kind), []byte(prefix)}
	if end, bounded := store.PrefixEnd(prefix); bounded {
		q += ` AND key < $3`
		args = append(args, []byte(end))
	}
	var n int64
	if err := t.tx.QueryRow(t.ctx, q, args...).Scan(&n); err != nil {
		return 0, t.fail("count", kind, prefix, err)
	}
	return int(n), nil
}

// Notify sends topic to the other processes on the database once the
// transaction commits: pg_notify is transactional. In a View it returns
// ErrReadOnly (a View commits nothing).
func (t *tx) Notify(topic string) error {
	if err := t.check(true); err != nil {
		return t.fail("notify", "topic", topic, err)
	}
	t.queue(pendingWrite{op: "notify", kind: "topic", key: topic, sql: `SELECT pg_notify($1, $2)`, args: []any{channel, t.id + ":" + topic}})
	return nil
}

// Kinds returns the kinds the database holds documents of, in byte order:
// for tools that copy a whole store (batchd store copy).
func (db *DB) Kinds(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT kind FROM documents ORDER BY kind`)
	if err != nil {
		return nil, wrap(ctx, "kinds", err)
	}
	kinds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		var k []byte
		err := row.Scan(&k)
		return string(k), err
	})
	if err != nil {
		return nil, wrap(ctx, "kinds", err)
	}
	return kinds, nil
}

// nonNil returns b, or an empty non-nil slice for nil: pgx sends a nil
// slice as NULL, and the value column is NOT NULL; an empty value reads
// back as empty, not nil.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Listen implements store.Listener. It opens a connection of its own (not
// one of the pool's), LISTENs on the channel of Tx.Notify, calls fn("")
// once listening, then fn(topic) for each notification another process
// (another *DB) sent in a transaction that committed, in commit order; a
// notification of this *DB's own Updates is skipped. It returns ctx's
// error when ctx ends, and another error when the connection fails or is
// lost: the caller should think its caches stale and Listen again.
func (db *DB) Listen(ctx context.Context, fn func(topic string)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return wrap(ctx, "listen: connect", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		return wrap(ctx, "listen", err)
	}
	fn("")
	prefix := db.id + ":"
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			return fmt.Errorf("postgres: listen: %w", err)
		}
		if n.Channel != channel || strings.HasPrefix(n.Payload, prefix) {
			continue
		}
		_, topic, ok := strings.Cut(n.Payload, ":")
		if !ok {
			continue
		}
		fn(topic)
	}
}
