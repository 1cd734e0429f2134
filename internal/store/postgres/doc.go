// Package postgres implements store.Store on a PostgreSQL database, the
// store several batchd replicas share (ARCHITECTURE.md, "State and scale").
// It owns the database's tables: documents (kind, key, value, all bytea,
// primary key (kind, key)) and schema_migrations.
//
// Durability: an Update that returned nil has committed with the server's
// synchronous_commit (on by default: its WAL record is flushed before the
// commit returns), so it survives a crash of batchd, and of the server as
// far as the server's settings promise. An Update with a ctx made by
// store.Lazy commits with synchronous_commit off: readers see it at once,
// and the server flushes it with the next synchronous commit or within
// three times its wal_writer_delay (600 ms by default) — PostgreSQL, not
// batchd, bounds that, so it is longer than store.LazySyncDelay unless the
// server's wal_writer_delay is at most a third of it.
//
// Isolation: every Update, of every process on the database, first takes
// one transaction-scoped advisory lock (pg_advisory_xact_lock(lockKey)) as
// the first statement of its transaction, so Updates run one at a time, as
// sqlite's single writer does, and fn is never re-run (no serialization
// failure to retry). The transaction is READ COMMITTED: each statement sees
// everything committed before it, and since no other writer can commit
// while the lock is held, what it reads does not change under it. (At
// REPEATABLE READ the snapshot would be taken by the lock's own statement,
// before it waited, and miss what the previous holder committed.) The lock
// is released when the transaction ends, after its commit is visible. Views
// run in READ ONLY REPEATABLE READ transactions: one consistent snapshot,
// concurrently with each other and with one Update, never waiting for it.
//
// Invariants:
//   - A *DB is safe for concurrent use. Within a process, one writer
//     goroutine runs the Updates, in groups: those that queued while a
//     group ran share the next transaction, each in a savepoint of its own
//     (one that fails is rolled back to it alone), with one wait for the
//     lock and one commit for all, as the sqlite store groups its Updates.
//     Views use the pool's other connections. An Update must not call
//     Update (it would wait for itself); a View inside an Update does not
//     see the Update's uncommitted writes. A caller that gives up waiting
//     before its Update runs is skipped; once running, its outcome decides.
//   - Keys and kinds are stored as bytea, so any byte (NUL included) may be
//     in them and List returns keys in Go's byte order. Prefixes are matched
//     with key ranges [prefix, successor of prefix), computed in Go, never
//     LIKE.
//   - Tx.Notify sends pg_notify('batchd', "<process id>:<topic>") in the
//     transaction: PostgreSQL delivers it only if the transaction commits.
//     Listen (store.Listener) hears, on a connection of its own, those of
//     other processes (each *DB has a random process id, made at Open).
//   - The schema is versioned as sqlite's is: Open applies the migrations
//     this binary knows that the database lacks, under the same advisory
//     lock (two replicas starting at once apply each step once), recorded
//     in schema_migrations, and refuses a database whose version is newer
//     than the binary (ErrNewerSchema).
//   - Put and Notify answer nothing, so they are not sent at once: they go
//     to the server together, in one round trip, before the Update's next
//     Get, List, Count, Insert or Delete, or before its commit. A Put that
//     fails (a full disk) fails that statement or the Update, and the
//     Update keeps nothing, as when it fails at once. Each round trip
//     costs about 0.1 ms on loopback, so a SubmitJob's several writes
//     cost one.
//   - A write refused for want of disk space (SQLSTATE 53100) is a
//     *store.FullError; an operation ended by ctx returns ctx's error.
package postgres
