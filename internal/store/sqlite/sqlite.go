package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"batchd/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrTxDone is returned by a Tx's methods when the View or Update that gave
// it out has returned.
var ErrTxDone = errors.New("sqlite: transaction used after its View or Update returned")

// ErrReadOnly is returned by Put, Insert and Delete inside a View.
var ErrReadOnly = errors.New("sqlite: write in a read-only transaction (View)")

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection before SQLITE_BUSY. Writers of this process never wait on each
// other (they are serialized in Go); this covers WAL recovery, checkpoints
// and other processes that open the same file.
const busyTimeoutMS = 10000

// DB is a store.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	w  *sql.DB   // the write connections: wc, and one more for tests
	wc *sql.Conn // the writer's connection: Updates queue for it in Go
	r  *sql.DB   // read-only connections for Views
	ws stmts     // prepared on wc
	rs stmts     // prepared on r (reads only)
	// wx are the writer's transaction statements, prepared on wc: the
	// writer runs its transactions with them rather than as sql.Tx, which
	// would parse BEGIN, COMMIT and each SAVEPOINT again every time and
	// bind every statement to each Update's transaction anew.
	wx [nCtl]*sql.Stmt

	// Updates go to one writer goroutine, which commits those that are
	// waiting together (group commit): one transaction for many Updates,
	// each in its own savepoint. It hands each commit to the syncer
	// goroutine, which syncs the WAL once for the commits made
	// while it synced the last time, and answers their Updates; the writer
	// goes on with the next transaction meanwhile.
	reqs      chan *store.UpdateRequest
	syncs     chan *batch // committed, for the syncer
	quit      chan struct{}
	writerEnd chan struct{} // closed once the writer and the syncer ended
	closeOnce sync.Once

	walPath string
	// join (joinHold) and hold (patientHold); tests change them before the
	// first Update.
	join, hold time.Duration
	synced     atomic.Int64 // WAL syncs (syncWAL), for tests
	// syncedPromptly counts those at real-time priority (syncPromptly),
	// for tests.
	syncedPromptly atomic.Int64
	// beforeSync, when set (by tests, before the first Update), runs
	// before each sync of the WAL, and its error fails the sync.
	beforeSync func() error
	// onCommit hears how long each group's commit took (ObserveCommits).
	onCommit atomic.Pointer[func(time.Duration)]
}

// ObserveCommits has f told how long each commit of the writer took (from
// the COMMIT of a group of Updates to their answer: its sync included
// when one of them is not lazy); nil stops it. f runs on the writer's or
// the syncer's goroutine: it must be quick.
func (db *DB) ObserveCommits(f func(time.Duration)) {
	if f == nil {
		db.onCommit.Store(nil)
		return
	}
	db.onCommit.Store(&f)
}

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("sqlite: database closed")

var _ store.Store = (*DB)(nil)

// Statements, by index into stmts.
const (
	stGet = iota
	stPut
	stInsert
	stDelete
	stListGE   // key >= prefix
	stListGT   // key > after
	stListGELT // key >= prefix AND key < end
	stListGTLT // key > after AND key < end
	stCount    // key >= prefix
	stCountLT  // key >= prefix AND key < end
	stRevGE    // key >= prefix, backwards
	stRevGELT  // key >= prefix AND key < before, backwards
	nStmt
)

const listCols = `SELECT key, value FROM documents WHERE kind = ? AND `

var stmtSQL = [nStmt]string{
	stGet:      `SELECT value FROM documents WHERE kind = ? AND key = ?`,
	stPut:      `INSERT INTO documents (kind, key, value) VALUES (?, ?, ifnull(?, x'')) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value`,
	stInsert:   `INSERT INTO documents (kind, key, value) VALUES (?, ?, ifnull(?, x'')) ON CONFLICT (kind, key) DO NOTHING`,
	stDelete:   `DELETE FROM documents WHERE kind = ? AND key = ?`,
	stListGE:   listCols + `key >= ? ORDER BY key LIMIT ?`,
	stListGT:   listCols + `key > ? ORDER BY key LIMIT ?`,
	stListGELT: listCols + `key >= ? AND key < ? ORDER BY key LIMIT ?`,
	stListGTLT: listCols + `key > ? AND key < ? ORDER BY key LIMIT ?`,
	stCount:    `SELECT count(*) FROM documents WHERE kind = ? AND key >= ?`,
	stCountLT:  `SELECT count(*) FROM documents WHERE kind = ? AND key >= ? AND key < ?`,
	stRevGE:    listCols + `key >= ? ORDER BY key DESC LIMIT ?`,
	stRevGELT:  listCols + `key >= ? AND key < ? ORDER BY key DESC LIMIT ?`,
}

func isWrite(i int) bool { return i == stPut || i == stInsert || i == stDelete }

// The writer's transaction statements, by index into DB.wx.
const (
	ctlBegin = iota
	ctlCommit
	ctlRollback
	ctlSavepoint
	ctlRelease
	ctlRollbackTo
	nCtl
)

var ctlSQL = [nCtl]string{
	ctlBegin:      `BEGIN IMMEDIATE`,
	ctlCommit:     `COMMIT`,
	ctlRollback:   `ROLLBACK`,
	ctlSavepoint:  `SAVEPOINT u`,
	ctlRelease:    `RELEASE u`,
	ctlRollbackTo: `ROLLBACK TO u`,
}

// ctl runs the writer's transaction statement i.
func (db *DB) ctl(i int) error {
	_, err := db.wx[i].ExecContext(context.Background())
	return err
}

type stmts [nStmt]*sql.Stmt

// preparer is a *sql.DB or a *sql.Conn.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func (s *stmts) prepare(ctx context.Context, db preparer, writes bool) error {
	return prepareAll(ctx, db, stmtSQL[:], s[:], func(i int) bool { return writes || !isWrite(i) })
}

func (s *stmts) close() error { return closeAll(s[:]) }

// prepareAll prepares sqls[i] into into[i] on db, for each i that want
// (nil: every one) takes.
func prepareAll(ctx context.Context, db preparer, sqls []string, into []*sql.Stmt, want func(i int) bool) error {
	for i, q := range sqls {
		if want != nil && !want(i) {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		into[i] = st
	}
	return nil
}

// closeAll closes the statements prepared in sts, and forgets them.
func closeAll(sts []*sql.Stmt) error {
	var errs []error
	for i, st := range sts {
		if st != nil {
			errs = append(errs, st.Close())
			sts[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Open opens (creating if needed) the database file at path and brings its
// schema to the newest version this binary knows. The file is put in WAL
// mode; its -wal and -shm files live beside it.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// A file: URI, with the path escaped, so a '?' or '%' in the path is
	// not read as the start of the parameters.
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + strings.Join([]string{
		"_busy_timeout=" + fmt.Sprint(busyTimeoutMS),
		"_foreign_keys=1",
		// FULL syncs the WAL at every commit: NORMAL (the usual WAL choice)
		// may lose the last commits on power loss, which an acknowledged
		// write must not. The writer's connection is NORMAL, and the WAL is
		// synced when a commit needs it (init, commit, syncer).
		"_synchronous=FULL",
	}, "&")

	db := &DB{walPath: abs + "-wal", join: joinHold, hold: patientHold}
	// The writer keeps its savepoints' journals in memory: one Update's
	// that outgrew SQLite's 64 KiB spill threshold went to a temporary
	// file, created, written and closed within the transaction.
	// The writer checkpoints the WAL into the database file every
	// walCheckpointPages pages of it.
	db.w, err = sql.Open("sqlite", uri+"&_journal_mode=WAL&_txlock=immediate&_pragma=temp_store(memory)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walCheckpointPages))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// The writer holds one connection for as long as the DB is open; a
	// second is there only for whoever else asks (tests read pragmas).
	db.w.SetMaxOpenConns(2)
	db.w.SetMaxIdleConns(2)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)

	// Readers map the file and keep a larger page cache: Describe and
	// List calls read many pages. In WAL mode a read transaction that
	// begins after any commit drops its mapping and maps the file again
	// (pager_reset, then unmap): that cost the scheduler's pass, which
	// read after every attempt's end, more than the mapping saved it;
	// since passes place from their listing (scheduler), the mapping
	// serves DescribeJobs better than pread does.
	db.r, err = sql.Open("sqlite", uri+"&_query_only=1&_pragma=mmap_size(268435456)&_pragma=cache_size(-32768)")
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.r.SetConnMaxLifetime(0)
	db.r.SetConnMaxIdleTime(0)

	db.reqs, db.quit, db.writerEnd = make(chan *store.UpdateRequest, store.MaxGroup), make(chan struct{}), make(chan struct{})
	db.syncs = make(chan *batch, syncQueue)
	if err := db.init(ctx); err != nil {
		close(db.writerEnd)
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	go db.writer()
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	// The write connection is opened first: it sets WAL mode, which is
	// persistent, before any reader connects.
	var mode string
	if err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: journal_mode is %q, not wal (does the file system support WAL?)", mode)
	}
	if err := migrate(ctx, db.w); err != nil {
		return err
	}
	wc, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	db.wc = wc
	// The syncer syncs the WAL itself, after the commits that need it
	// (commit): with NORMAL, SQLite syncs it only before a checkpoint.
	// Not a prepared statement: SQLite applies a PRAGMA as it prepares it.
	if _, err := wc.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		return err
	}
	if err := prepareAll(ctx, wc, ctlSQL[:], db.wx[:], nil); err != nil {
		return err
	}
	if err := db.ws.prepare(ctx, wc, true); err != nil {
		return err
	}
	return db.rs.prepare(ctx, db.r, false)
}

// Close releases the database. Views and Updates still running may fail.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.quit) })
	<-db.writerEnd
	// The write connection closes last: the last connection to close
	// checkpoints the WAL into the database file.
	errs := []error{db.rs.close(), db.ws.close(), closeAll(db.wx[:])}
	if db.wc != nil {
		errs = append(errs, db.wc.Close())
	}
	return errors.Join(append(errs, db.r.Close(), db.w.Close())...)
}

// View runs fn in a read-only transaction: a consistent snapshot, taken at
// its first read, that runs concurrently with other Views and one Update.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	stx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin view: %w", err)
	}
	t := &tx{ctx: ctx, tx: stx, st: &db.rs}
	defer func() {
		t.done.Store(true)
		stx.Rollback() // nothing to keep; ends the read snapshot
	}()
	return fn(t)
}

// Update runs fn in a read-write transaction. Updates are applied one at a
// time, in the order the writer takes them; those waiting at the same moment
// share one SQLite transaction (BEGIN IMMEDIATE on the one write
// connection), each inside its own savepoint, and one commit. When fn
// returns nil, Update returns only after that commit is synced, unless ctx
// is lazy (store.Lazy): a group of lazy Updates only waits up to joinHold
// for others to join its transaction, is committed without a sync, and
// is synced by the next commit that is, or after store.LazySyncDelay. A
// patient Update (store.Patient) is committed as a lazy one, and returns
// once its commit is synced: by the next commit of an Update that is
// neither lazy nor patient, or on its own after patientHold.
// When fn returns an error or panics, its savepoint is rolled back — nothing it
// wrote is kept, the others' writes are unaffected — and a panic goes on in
// the caller. If the commit fails, every Update of the group fails.
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

// diskFull reports whether err says the disk is full: SQLITE_FULL (13, in
// the low byte of an extended code) or ENOSPC from the file system.
func diskFull(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == sqliteFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}

// sqliteFull is SQLITE_FULL, "Insertion failed because database is full".
const sqliteFull = 13

// walCheckpointPages is how many pages the WAL grows by before the
// writer's commit checkpoints it (SQLite's default is 1,000: 4 MB). A
// checkpoint copies the pages into the database file and syncs it, on
// the writer's goroutine, and the WAL's syncs meanwhile share the disk
// with it; jobs write tens of pages each, so that 1,000 meant a
// checkpoint every few dozen requests. Ten times fewer checkpoints (a WAL
// of up to 40 MB, which each checkpoint writes fewer pages per frame of)
// gave, in interleaved pairs, BenchmarkSubmitJobServerSide's p99 2.77-3.06
// ms against 3.15-3.78 and 3-9% less CPU per request, and
// BenchmarkSubmitJob 3,614-3,872 jobs/s against 3,201-3,740; the array's
// rate did not move.
const walCheckpointPages = 10000

// joinHold is how long the writer keeps a transaction of lazy or patient
// Updates only open for more Updates to join before it commits it: what
// comes meanwhile commits with it, and the pages they share (an array's
// parent, a listing's leaf) are written to the WAL once. An attempt's end
// (lazy) and the next attempt's start mostly come less than this apart.
// It is short because a commit's WAL writes are the wait of the Updates
// in it: what the writer holds while idle is mostly committed before a
// request's Update comes, which then writes its own pages only (its sync
// still covers them). 2 ms (the hold before) put a request's wait for its
// commit at 138-162 µs p50 in BenchmarkSubmitJobServerSide; 250 µs,
// 121-129 µs.
const joinHold = 250 * time.Microsecond

// patientHold is how long a commit of patient Updates waits for one of an
// Update neither lazy nor patient (a request's) to share its sync.
const patientHold = 2 * time.Millisecond

// batch is the writer's open transaction and the Updates run in it.
type batch struct {
	group   []*store.UpdateRequest
	results []store.UpdateResult
	ok      int       // Updates that succeeded
	waits   bool      // one that succeeded is not lazy: it waits for the sync
	urgent  bool      // one of those is not patient either: commit it at once
	start   time.Time // its COMMIT's
}

// syncQueue is how many commits may wait for the syncer before the
// writer waits for it.
const syncQueue = 64

// writer takes Updates as they come and commits each group of those
// waiting together; a group of lazy or patient Updates only stays open
// up to db.join (joinHold) for others to join it. The syncer syncs and
// answers what it committed.
func (db *DB) writer() {
	go db.syncer()
	defer close(db.syncs)            // the syncer ends once it answered them all
	hold := time.NewTimer(time.Hour) // Reset when a transaction is held
	hold.Stop()
	var open *batch
	commit := func() {
		hold.Stop()
		db.commit(open)
		open = nil
	}
	for {
		var held <-chan time.Time
		if open != nil {
			held = hold.C
		}
		select {
		case first := <-db.reqs:
			wasOpen := open != nil
			open = db.run(open, store.Gather(first, db.reqs))
			switch {
			case open == nil:
				hold.Stop()
			case open.urgent || len(open.group) >= store.MaxGroup:
				commit()
			case !wasOpen:
				hold.Reset(db.join)
			}
		case <-held:
			commit()
		case <-db.quit:
			if open != nil {
				commit()
			}
			for {
				select {
				case r := <-db.reqs:
					r.Answer(store.UpdateResult{Err: ErrClosed})
				default:
					return
				}
			}
		}
	}
}

// syncer syncs the WAL for the commits the writer hands it (db.syncs) and
// answers their Updates: once for all those that came while it synced
// the last time. A commit with an Update that is neither lazy nor patient
// is synced at once; one of patient Updates waits up to db.hold after its
// COMMIT for such a commit to share its sync; lazy commits (their Updates
// already answered) wait up to store.LazySyncDelay for a sync, which the
// next commit that is not lazy brings sooner. After a failed sync, lazy
// commits are synced again that much later. It ends once the writer ended
// and what it committed is answered.
func (db *DB) syncer() {
	defer close(db.writerEnd)
	due := time.NewTimer(time.Hour) // runs while commits wait for their sync
	due.Stop()
	var q syncWait
	for open := true; open; {
		select {
		case b, ok := <-db.syncs:
			open = db.gatherSyncs(b, ok, &q)
		case <-due.C:
		}
		now := time.Now()
		at := q.due(db.hold)
		if at.IsZero() || open && at.After(now) {
			if !at.IsZero() {
				due.Reset(at.Sub(now))
			}
			continue
		}
		due.Stop()
		err := db.syncWAL()
		if err != nil {
			// Committed, not known durable: those who asked for a synced
			// commit are told it failed.
			err = fmt.Errorf("sqlite: sync: %w", err)
		}
		for _, b := range q.waiting {
			db.answer(b, err)
		}
		clear(q.waiting)
		q = syncWait{waiting: q.waiting[:0]}
		if err != nil {
			// What was committed waits, as a lazy commit, for a sync.
			q.lazySince = time.Now()
			due.Reset(time.Until(q.due(db.hold)))
		}
	}
}

// syncWait is what waits for the syncer's next sync.
type syncWait struct {
	waiting []*batch // commits whose Updates wait for it
	urgent  bool     // one of them has an Update neither lazy nor patient
	// patientSince and lazySince are the first COMMITs of patient and of
	// lazy commits that wait for it; zero: none.
	patientSince, lazySince time.Time
}

// due returns when the next sync is due (zero: nothing waits), patient
// commits waiting up to hold.
func (q *syncWait) due(hold time.Duration) time.Time {
	if q.urgent {
		return q.waiting[0].start
	}
	var at time.Time
	if !q.patientSince.IsZero() {
		at = q.patientSince.Add(hold)
	}
	if !q.lazySince.IsZero() {
		if l := q.lazySince.Add(store.LazySyncDelay); at.IsZero() || l.Before(at) {
			at = l
		}
	}
	return at
}

// gatherSyncs adds the commit b (ok: the writer has not ended) and those
// queued behind it to q; it reports whether the writer goes on.
func (db *DB) gatherSyncs(b *batch, ok bool, q *syncWait) bool {
	for ok {
		switch {
		case b.waits:
			q.waiting = append(q.waiting, b)
			q.urgent = q.urgent || b.urgent
			if !b.urgent && q.patientSince.IsZero() {
				q.patientSince = b.start
			}
		case q.lazySince.IsZero():
			q.lazySince = b.start
		}
		select {
		case b, ok = <-db.syncs:
		default:
			return true
		}
	}
	return false
}

// answer tells the Updates of a commit how they ended: syncErr (its
// sync's) fails those that succeeded and are not lazy.
func (db *DB) answer(b *batch, syncErr error) {
	if syncErr != nil {
		for i, r := range b.group {
			if !b.results[i].Failed() && !store.IsLazy(r.Ctx) {
				b.results[i].Err = syncErr
			}
		}
	} else if f := db.onCommit.Load(); f != nil {
		(*f)(time.Since(b.start))
	}
	store.AnswerAll(b.group, b.results)
}

// syncWAL makes the commits so far durable: the WAL holds them, in order.
func (db *DB) syncWAL() error {
	if db.beforeSync != nil {
		if err := db.beforeSync(); err != nil {
			return err
		}
	}
	// fdatasync: the WAL's data and what reading it back needs (its size),
	// not its times, which fsync would have the file system's journal
	// commit too while the WAL grows.
	fd, err := unix.Open(db.walPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err == nil {
		var promptly bool
		promptly, err = syncPromptly(func() error { return unix.Fdatasync(fd) })
		if promptly {
			db.syncedPromptly.Add(1)
		}
		if cerr := unix.Close(fd); err == nil {
			err = cerr
		}
	}
	if err == nil {
		db.synced.Add(1)
	}
	return err
}

// run runs a group of Updates, each in its own savepoint, in the open
// transaction b, or in a new one when b is nil. It returns the
// transaction, or nil when it ended (it failed: every Update of it is
// answered).
func (db *DB) run(b *batch, group []*store.UpdateRequest) *batch {
	if b == nil {
		// rollback ends the transaction, whatever happened in it. Its
		// error is dropped: SQLite may have rolled the transaction back
		// itself (a failed COMMIT); one left open is ended before the
		// next BEGIN.
		if err := db.ctl(ctlBegin); err != nil {
			_ = db.ctl(ctlRollback)
			if err := db.ctl(ctlBegin); err != nil {
				results := make([]store.UpdateResult, len(group))
				store.FailRest(results, fmt.Errorf("sqlite: begin update: %w", err))
				store.AnswerAll(group, results)
				return nil
			}
		}
		b = &batch{}
	}
	for i, r := range group {
		b.group = append(b.group, r)
		b.results = append(b.results, store.UpdateResult{})
		res := &b.results[len(b.results)-1]
		if taken, err := r.Take(); !taken {
			res.Err = err
			continue
		}
		// The first Update whose writes the transaction keeps needs no
		// savepoint: should it fail, the transaction, which holds only
		// its writes, is rolled back whole and begun again.
		first := b.ok == 0
		if !first {
			if err := db.ctl(ctlSavepoint); err != nil {
				res.Err = fmt.Errorf("sqlite: savepoint: %w", err)
				continue
			}
		}
		t := &tx{ctx: context.Background(), st: &db.ws, write: true}
		*res = r.Run(t, func() { t.done.Store(true) })
		var err error
		switch {
		case first && res.Failed():
			if err = db.ctl(ctlRollback); err == nil {
				err = db.ctl(ctlBegin)
			}
			if err != nil {
				err = fmt.Errorf("sqlite: begin again after a failed update: %w", err)
			}
		case !first:
			if res.Failed() {
				err = db.ctl(ctlRollbackTo)
			}
			if rerr := db.ctl(ctlRelease); err == nil {
				err = rerr
			}
			if err != nil {
				err = fmt.Errorf("sqlite: savepoint: %w", err)
			}
		}
		if err != nil {
			// The transaction is in an unknown state: give it up whole,
			// with the Updates held in it.
			_ = db.ctl(ctlRollback) // as above
			b.group = append(b.group, group[i+1:]...)
			b.results = append(b.results, make([]store.UpdateResult, len(group)-i-1)...)
			store.FailRest(b.results, err)
			store.AnswerAll(b.group, b.results)
			return nil
		}
		if !res.Failed() {
			b.ok++
			if !store.IsLazy(r.Ctx) {
				b.waits = true
				b.urgent = b.urgent || !store.IsPatient(r.Ctx)
			}
		}
	}
	return b
}

// commit ends the open transaction b. The write connection runs with
// synchronous=NORMAL: a commit writes the WAL without syncing it. One
// whose Updates wait for the sync goes to the syncer, which makes it
// durable (syncWAL), with every commit before it, before it answers them;
// a lazy one is answered here, and the syncer told that it waits for a
// sync.
func (db *DB) commit(b *batch) {
	if b.ok == 0 {
		_ = db.ctl(ctlRollback) // nothing to keep; as in run
		store.AnswerAll(b.group, b.results)
		return
	}
	b.start = time.Now()
	if err := db.ctl(ctlCommit); err != nil {
		_ = db.ctl(ctlRollback) // as in run
		store.FailRest(b.results, fmt.Errorf("sqlite: commit: %w", err))
		store.AnswerAll(b.group, b.results)
		return
	}
	if !b.waits {
		db.answer(b, nil)
		// The syncer keeps only its start: its Updates are answered.
		b = &batch{start: b.start}
	}
	db.syncs <- b
}

// tx is a store.Tx: a View's on one *sql.Tx, or an Update's on the
// writer's connection, in the transaction the writer began there (tx nil).
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	st    *stmts
	write bool
	done  atomic.Bool // the View or Update has returned
	bound [nStmt]*sql.Stmt
}

// stmt returns statement i for this transaction: the writer's own, or
// bound to a View's transaction on first use.
func (t *tx) stmt(i int) (*sql.Stmt, error) {
	if t.done.Load() {
		return nil, ErrTxDone
	}
	if isWrite(i) && !t.write {
		return nil, ErrReadOnly
	}
	if t.tx == nil {
		return t.st[i], nil
	}
	if t.bound[i] == nil {
		t.bound[i] = t.tx.StmtContext(t.ctx, t.st[i])
	}
	return t.bound[i], nil
}

// fail wraps err from op on (kind, key). When the transaction ended because
// ctx is done, that is the error reported, not database/sql's ErrTxDone.
func (t *tx) fail(op, kind, key string, err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		if cerr := t.ctx.Err(); cerr != nil {
			err = cerr
		} else {
			err = ErrTxDone
		}
	}
	return fmt.Errorf("sqlite: %s %s %q: %w", op, kind, key, err)
}

// Get returns the value of (kind, key), or an error wrapping store.ErrNotFound.
func (t *tx) Get(kind, key string) ([]byte, error) {
	st, err := t.stmt(stGet)
	if err != nil {
		return nil, t.fail("get", kind, key, err)
	}
	var v []byte
	if err := st.QueryRowContext(t.ctx, kind, key).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = store.ErrNotFound
		}
		return nil, t.fail("get", kind, key, err)
	}
	return nonNil(v), nil
}

// Put writes (kind, key), replacing any value.
func (t *tx) Put(kind, key string, value []byte) error {
	st, err := t.stmt(stPut)
	if err != nil {
		return t.fail("put", kind, key, err)
	}
	if _, err := st.ExecContext(t.ctx, kind, key, value); err != nil {
		return t.fail("put", kind, key, err)
	}
	return nil
}

// Insert writes (kind, key) if it is absent, else returns an error wrapping
// store.ErrExists.
func (t *tx) Insert(kind, key string, value []byte) error {
	st, err := t.stmt(stInsert)
	if err != nil {
		return t.fail("insert", kind, key, err)
	}
	res, err := st.ExecContext(t.ctx, kind, key, value)
	if err != nil {
		return t.fail("insert", kind, key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.fail("insert", kind, key, err)
	} else if n == 0 {
		return t.fail("insert", kind, key, store.ErrExists)
	}
	return nil
}

// Delete removes (kind, key), or returns an error wrapping store.ErrNotFound.
func (t *tx) Delete(kind, key string) error {
	st, err := t.stmt(stDelete)
	if err != nil {
		return t.fail("delete", kind, key, err)
	}
	res, err := st.ExecContext(t.ctx, kind, key)
	if err != nil {
		return t.fail("delete", kind, key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.fail("delete", kind, key, err)
	} else if n == 0 {
		return t.fail("delete", kind, key, store.ErrNotFound)
	}
	return nil
}

// List returns up to limit items of kind whose keys start with prefix and
// sort strictly after `after`, in byte order of key. (So an empty key is
// never listed: nothing sorts before it. memstore does the same.) The prefix
// is a key range [prefix, store.PrefixEnd(prefix)), which the primary key serves
// directly.
func (t *tx) List(kind, prefix, after string, limit int) ([]store.Item, error) {
	end, bounded := store.PrefixEnd(prefix)
	// One lower bound: every key with the prefix is >= prefix, so when
	// after < prefix the condition key > after adds nothing.
	i, lower := stListGE, prefix
	if after >= prefix {
		i, lower = stListGT, after
	}
	args := []any{kind, lower}
	if bounded {
		i += stListGELT - stListGE
		args = append(args, end)
	}
	return t.list(i, kind, prefix, args, limit)
}

// ListBefore returns up to limit items of kind whose keys start with
// prefix and sort strictly before `before` (no bound when before is ""),
// in reverse byte order of key: the primary key read backwards.
func (t *tx) ListBefore(kind, prefix, before string, limit int) ([]store.Item, error) {
	// One upper bound: the lower of before and the prefix's end.
	upper, bounded := store.PrefixEnd(prefix)
	if before != "" && (!bounded || before < upper) {
		upper, bounded = before, true
	}
	i, args := stRevGE, []any{kind, prefix}
	if bounded {
		i, args = stRevGELT, append(args, upper)
	}
	return t.list(i, kind, prefix, args, limit)
}

// list runs list statement i with args and limit (<= 0: none).
func (t *tx) list(i int, kind, prefix string, args []any, limit int) ([]store.Item, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	args = append(args, limit)
	st, err := t.stmt(i)
	if err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	rows, err := st.QueryContext(t.ctx, args...)
	if err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	defer rows.Close()
	var items []store.Item
	for rows.Next() {
		var it store.Item
		if err := rows.Scan(&it.Key, &it.Value); err != nil {
			return nil, t.fail("list", kind, prefix, err)
		}
		it.Value = nonNil(it.Value)
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("list", kind, prefix, err)
	}
	return items, nil
}

// Count returns how many keys of kind start with prefix.
func (t *tx) Count(kind, prefix string) (int, error) {
	end, bounded := store.PrefixEnd(prefix)
	i, args := stCount, []any{kind, prefix}
	if bounded {
		i, args = stCountLT, append(args, end)
	}
	st, err := t.stmt(i)
	if err != nil {
		return 0, t.fail("count", kind, prefix, err)
	}
	var n int
	if err := st.QueryRowContext(t.ctx, args...).Scan(&n); err != nil {
		return 0, t.fail("count", kind, prefix, err)
	}
	return n, nil
}

// nonNil returns b, or an empty non-nil slice for nil: an empty blob reads
// back as nil. (Writes turn a nil or empty value into an empty blob with
// ifnull in the SQL: the driver binds a nil, and may bind an empty, slice as
// NULL.)
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Kinds returns the kinds the database holds documents of, in byte order:
// for tools that copy a whole store (batchd store copy).
func (db *DB) Kinds(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT kind FROM documents ORDER BY kind`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: kinds: %w", err)
	}
	defer rows.Close()
	var kinds []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: kinds: %w", err)
		}
		kinds = append(kinds, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: kinds: %w", err)
	}
	return kinds, nil
}

// Notify does nothing: no other process shares the store.
func (t *tx) Notify(string) error { return nil }
