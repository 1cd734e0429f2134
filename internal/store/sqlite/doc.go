// Package sqlite implements store.Store on one embedded SQLite database file,
// the default store of batchd (ARCHITECTURE.md, "State and scale").
//
// The file is opened in WAL journal mode, and an Update that returned nil
// has been committed and the WAL synced (fsync) before it returns: it
// survives a kill -9 of the process and, as far as SQLite and the file
// system promise, a power loss. The writer's connection runs with
// synchronous=NORMAL (SQLite syncs the WAL only before a checkpoint, and
// a crash leaves a consistent database); the WAL is synced after each
// commit of an Update that is not lazy (store.Lazy), by a goroutine of its
// own while the writer runs the next transaction, once for the commits
// made during the previous sync. Readers may see such a commit while its
// sync runs (and an Update may build on it); a crash then loses it, and
// every commit after it, but no Update of them that is not lazy had
// returned.
//
// Invariants:
//   - A *DB is safe for concurrent use. Views run on a pool of read-only
//     connections, concurrently with each other and with one Update.
//     Updates are serialized in Go on a single write connection and begin
//     with BEGIN IMMEDIATE, so writers never meet SQLITE_BUSY among
//     themselves; busy_timeout covers another process on the same file.
//   - Because there is one write connection, an Update must not call Update
//     (it would wait for itself). A View called inside an Update does not see
//     the Update's uncommitted writes.
//   - Keys are compared as bytes (SQLite's BINARY collation on TEXT), so List
//     returns keys in the same order as Go's string comparison; prefixes are
//     matched with key ranges, never LIKE, so '%' and '_' in keys are plain
//     bytes.
//   - The schema is versioned: Open applies the migrations this binary knows
//     that the file lacks, each in its own transaction recorded in
//     schema_migrations, and refuses a file whose version is newer than the
//     binary (ErrNewerSchema) rather than guess at it.
package sqlite
