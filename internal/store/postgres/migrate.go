package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNewerSchema is returned by Open when the database was migrated by a
// newer batchd than this one: its schema is not one this binary knows.
var ErrNewerSchema = errors.New("postgres: database schema is newer than this batchd")

// migrations holds the schema, one step per version: migrations[i] brings
// the database from version i to version i+1. Steps are only ever appended;
// a step that shipped is never edited, since databases already past it will
// not run it again.
var migrations = []string{
	// 1: documents, the whole of store.Store. bytea compares byte by byte,
	// as Go compares strings, and holds NUL; the primary key's b-tree
	// serves Get, List and Count by (kind, key range).
	`CREATE TABLE documents (
		kind  bytea NOT NULL,
		key   bytea NOT NULL,
		value bytea NOT NULL,
		PRIMARY KEY (kind, key)
	)`,
}

// migrate brings the database to the newest version this binary knows, in
// one transaction that first takes the Updates' advisory lock: two
// processes opening one new database at once apply each step once, and no
// Update runs on a half-migrated schema. Each step is recorded in
// schema_migrations. It fails with ErrNewerSchema when the database is
// already past that version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
			return fmt.Errorf("take the write lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(migrations) {
			return fmt.Errorf("%w: the database is at schema version %d, this binary knows versions up to %d; run a batchd at least as new as the one that last opened it",
				ErrNewerSchema, current, len(migrations))
		}
		for v := current + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("record schema version %d: %w", v, err)
			}
		}
		return nil
	})
}
