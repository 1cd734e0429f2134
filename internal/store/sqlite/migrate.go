package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNewerSchema is returned by Open when the database was migrated by a
// newer batchd than this one: its schema is not one this binary knows.
var ErrNewerSchema = errors.New("sqlite: database schema is newer than this batchd")

// migrations holds the schema, one step per version: migrations[i] brings
// the database from version i to version i+1. Steps are only ever appended;
// a step that shipped is never edited, since databases already past it will
// not run it again.
var migrations = []string{
	// 1: documents, the whole of store.Store. WITHOUT ROWID keeps each
	// document in the primary-key b-tree, so Get and List by (kind, key)
	// read one index and no table.
	`CREATE TABLE documents (
		kind  TEXT NOT NULL,
		key   TEXT NOT NULL,
		value BLOB NOT NULL,
		PRIMARY KEY (kind, key)
	) WITHOUT ROWID`,
}

// migrate brings the database on db (the write pool) to the newest version
// this binary knows, one transaction per step, each recorded in
// schema_migrations. It fails with ErrNewerSchema when the database is
// already past that version.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: the database is at schema version %d, this binary knows versions up to %d; run a batchd at least as new as the one that last opened it",
			ErrNewerSchema, current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		if err := migrateStep(ctx, db, v); err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion returns the highest version recorded, 0 for a new database.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}

// migrateStep applies version v in its own transaction. The version is read
// again under the write lock (the pool begins with BEGIN IMMEDIATE), so two
// processes opening one new file at once apply each step once.
func migrateStep(ctx context.Context, db *sql.DB, v int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate to version %d: %w", v, err)
	}
	defer tx.Rollback()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current >= v {
		return nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
		return fmt.Errorf("sqlite: migrate to version %d: %w", v, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`, v); err != nil {
		return fmt.Errorf("sqlite: record schema version %d: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit schema version %d: %w", v, err)
	}
	return nil
}
