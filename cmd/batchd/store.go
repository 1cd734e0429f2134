package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/postgres"
	"batchd/internal/store/sqlite"
)

// openedStore is a store serve can run on: it tells how long commits take.
type openedStore interface {
	store.Store
	ObserveCommits(func(time.Duration))
}

// storeURL is the --store of serve: spec, or for "" the data dir's SQLite
// file (batchd's behaviour before --store).
func storeURL(spec, dataDir string) string {
	if spec == "" {
		return "sqlite:" + filepath.Join(dataDir, "batchd.db")
	}
	return spec
}

// checkStoreURL refuses a --store that names no store openStore knows.
func checkStoreURL(flagName, spec string) error {
	switch {
	case spec == "":
		return nil
	case strings.HasPrefix(spec, "sqlite:"):
		if strings.TrimPrefix(spec, "sqlite:") == "" {
			return fmt.Errorf("%s %q names no file: sqlite:PATH", flagName, spec)
		}
		return nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return nil
	}
	return fmt.Errorf("%s must be sqlite:PATH, postgres://... or postgresql://..., not %q", flagName, redactURL(spec))
}

// openStore opens the store spec names: sqlite:PATH or a postgres:// (or
// postgresql://) URL.
func openStore(ctx context.Context, spec string) (openedStore, error) {
	if err := checkStoreURL("store", spec); err != nil {
		return nil, err
	}
	if path, ok := strings.CutPrefix(spec, "sqlite:"); ok {
		return sqlite.Open(ctx, path)
	}
	return postgres.Open(ctx, spec)
}

// redactURL hides the password of a postgres URL, for messages.
func redactURL(spec string) string {
	scheme, rest, ok := strings.Cut(spec, "://")
	if !ok {
		return spec
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return spec
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return spec
}
