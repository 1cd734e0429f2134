// Package store owns the storage interfaces every domain package writes
// through: a transactional store of documents, each a kind, a key and a
// value, read back by key or listed in key order by prefix. Domain packages
// encode their own values (JSON) and keep their own secondary entries (keys
// that sort as they need to list).
//
// Implementations: store/sqlite (embedded, the default), store/postgres
// (shared by replicas) and store/memstore (tests); store/storetest is the
// suite all three pass. sqlite and postgres make an Update that returned
// nil durable before it returns: a write the API acknowledged survives a
// crash of the process.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get and Delete when the key is absent.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned by Insert when the key is present.
var ErrExists = errors.New("store: already exists")

// Store is a transactional document store.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. When fn returns nil the
	// transaction is committed durably before Update returns (with ctx
	// made by Lazy: committed, and durable soon after); when fn returns
	// an error nothing fn wrote is kept and Update returns that error.
	// Updates are serializable.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is one transaction's view of the store. It is not safe for concurrent
// use and must not be used after its View or Update returns.
type Tx interface {
	// Get returns the value of (kind, key), or ErrNotFound.
	Get(kind, key string) ([]byte, error)
	// Put writes (kind, key), replacing any value.
	Put(kind, key string, value []byte) error
	// Insert writes (kind, key) only if it is absent, else ErrExists.
	Insert(kind, key string, value []byte) error
	// Delete removes (kind, key), or returns ErrNotFound.
	Delete(kind, key string) error
	// List returns up to limit items of kind whose keys start with prefix
	// and sort after `after` (byte order), in key order. limit <= 0 means
	// no limit.
	List(kind, prefix, after string, limit int) ([]Item, error)
	// ListBefore returns up to limit items of kind whose keys start with
	// prefix and sort before `before` (every one when before is ""), in
	// reverse key order: List read backwards, for the newest entries of a
	// key range first. limit <= 0 means no limit.
	ListBefore(kind, prefix, before string, limit int) ([]Item, error)
	// Count returns how many keys of kind start with prefix.
	Count(kind, prefix string) (int, error)
	// Notify has every other process that shares the store hear topic
	// (Listener) once the transaction commits, and nothing when it does
	// not. A store only one process opens (memstore, sqlite) has no one
	// to tell: its Notify does nothing.
	Notify(topic string) error
}

// Listener is a store several processes share (store/postgres, replicas
// of batchd on one database): Listen calls fn with each topic another
// process notified (Tx.Notify) in a transaction that committed, in
// commit order, until ctx ends, and then returns ctx's error. It returns
// another error when it cannot listen any longer (its connection was
// lost): topics may have been missed, so the caller must think whatever
// it cached stale, and listen again. fn is called once Listen listens
// with topic "" (whatever was cached before may be stale), and may hear
// a topic more than once.
type Listener interface {
	Listen(ctx context.Context, fn func(topic string)) error
}

// CommitHook adds a write to the Updates of a context (WithCommitHook):
// what must be durable with them, in the same transaction — the audit
// record of the call that makes them.
type CommitHook struct {
	// Prepare runs in the Update's caller, before its transaction; the
	// write it returns (nil: none) runs in the transaction once fn
	// succeeded, as part of fn (its failure is fn's).
	Prepare func() func(Tx) error
	// Done runs after the Update, with whether it committed.
	Done func(committed bool)
}

// commitHookKey carries a *CommitHook.
type commitHookKey struct{}

// WithCommitHook returns a context whose Updates run h.
func WithCommitHook(ctx context.Context, h *CommitHook) context.Context {
	return context.WithValue(ctx, commitHookKey{}, h)
}

// fenceKey carries a fence's check (WithFence).
type fenceKey struct{}

// WithFence returns a context whose Updates run check first, in their
// transaction, and fail with its error, writing nothing, when it fails:
// the writes of a leader check that it still leads (its fencing token),
// so that a deposed leader slow to learn it changes nothing.
func WithFence(ctx context.Context, check func(Tx) error) context.Context {
	return context.WithValue(ctx, fenceKey{}, check)
}

// HookedUpdate is for stores: it runs update with fn, after ctx's fence
// (WithFence) and with the write of ctx's CommitHook added to it, and
// tells the hook whether it committed (not when update panics: the panic
// goes on).
func HookedUpdate(ctx context.Context, fn func(Tx) error, update func(fn func(Tx) error) error) (err error) {
	if check, ok := ctx.Value(fenceKey{}).(func(Tx) error); ok {
		inner := fn
		fn = func(tx Tx) error {
			if err := check(tx); err != nil {
				return err
			}
			return inner(tx)
		}
	}
	h, ok := ctx.Value(commitHookKey{}).(*CommitHook)
	if !ok || h == nil {
		return update(fn)
	}
	if write := h.Prepare(); write != nil {
		inner := fn
		fn = func(tx Tx) error {
			if err := inner(tx); err != nil {
				return err
			}
			return write(tx)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			h.Done(false)
			panic(p)
		}
		h.Done(err == nil)
	}()
	return update(fn)
}

// lazyKey marks a context's Updates as lazy (see Lazy).
type lazyKey struct{}

// Lazy returns a context whose Updates may return once committed, before
// their commit is synced: for writes no one was promised, which batchd
// can redo or do without after a crash (a job's move from SUBMITTED to
// RUNNABLE, from STARTING to RUNNING, the lines of its log before its
// end is recorded). A store makes them durable with its next synced
// commit, which any other Update makes, and within LazySyncDelay in any
// case. A crash of batchd loses none of them (they are written, only not
// synced); a crash of the machine or a power loss loses the latest of them
// only, never one before a synced commit. Readers see a lazy commit at
// once: what they saw in the last LazySyncDelay may be gone after a crash
// of the machine.
func Lazy(ctx context.Context) context.Context { return context.WithValue(ctx, lazyKey{}, true) }

// IsLazy reports whether ctx was made by Lazy.
func IsLazy(ctx context.Context) bool { return ctx.Value(lazyKey{}) != nil }

// patientKey marks a context's Updates as patient (see Patient).
type patientKey struct{}

// Patient returns a context whose Updates, like any that is not lazy,
// return only once their commit is synced, but need not have it synced at
// once: a store that commits Updates in groups (sqlite) commits them as a
// lazy one's and holds their sync for the next Update that is neither lazy
// nor patient to share, and syncs alone only when none came within its
// hold. For a write that must be durable before what follows it (a job's
// STARTING record, before its process runs) while other writes come often
// (the API serves requests): one sync serves both. Other stores treat them
// as any Update.
func Patient(ctx context.Context) context.Context {
	return context.WithValue(ctx, patientKey{}, true)
}

// IsPatient reports whether ctx was made by Patient.
func IsPatient(ctx context.Context) bool { return ctx.Value(patientKey{}) != nil }

// LazySyncDelay bounds how long a lazy Update's commit stays unsynced.
const LazySyncDelay = 100 * time.Millisecond

// Item is one listed document.
type Item struct {
	Key   string
	Value []byte
}

// FullError is a write refused for want of disk space. Its ErrorCode and
// ErrorMessage make it an AWS error on the wire: an internal failure (500;
// Batch's ServerException) whose message tells the caller what happened
// without naming a path, where any other store error is a bare "internal
// error". Nothing of the refused write is kept; writes succeed again once
// space is freed.
type FullError struct{ Err error }

func (e *FullError) Error() string { return "store: no space left on the device: " + e.Err.Error() }

// Unwrap returns the driver's error.
func (e *FullError) Unwrap() error { return e.Err }

// ErrorCode is InternalFailure: the caller did nothing wrong.
func (e *FullError) ErrorCode() string { return "InternalFailure" }

// ErrorMessage says what happened and when to retry.
func (e *FullError) ErrorMessage() string {
	return "batchd could not store the request: the disk of its data directory is full. Nothing was changed; retry once space is freed."
}

// PrefixEnd returns the least string greater than every string that
// starts with prefix, and false when there is none (prefix is empty or all
// 0xff bytes), in which case the range has no upper bound: stores match a
// prefix with the key range [prefix, PrefixEnd(prefix)), never LIKE.
func PrefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
