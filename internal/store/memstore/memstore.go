// Package memstore owns an in-memory store.Store for tests of domain
// packages: the same semantics as the durable stores (serializable
// transactions, nothing kept from a failed Update), no durability.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"

	"batchd/internal/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu   sync.RWMutex
	data map[string]map[string][]byte
}

// New returns an empty Store.
func New() *Store { return &Store{data: map[string]map[string][]byte{}} }

// View runs fn on a snapshot.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := &tx{data: s.data, readOnly: true}
	defer func() { t.done = true }()
	return fn(t)
}

// Update runs fn on a copy and keeps the copy only when fn succeeds.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return store.HookedUpdate(ctx, fn, s.update)
}

func (s *Store) update(fn func(store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := make(map[string]map[string][]byte, len(s.data))
	for k, v := range s.data {
		cp[k] = maps.Clone(v)
	}
	t := &tx{data: cp}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	s.data = cp
	return nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }

type tx struct {
	data     map[string]map[string][]byte
	readOnly bool
	done     bool
}

var errDone = errors.New("memstore: transaction used after it ended")

func (t *tx) check(write bool) error {
	if t.done {
		return errDone
	}
	if write && t.readOnly {
		return errors.New("memstore: write in a read-only transaction")
	}
	return nil
}

func (t *tx) Get(kind, key string) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	v, ok := t.data[kind][key]
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", kind, key, store.ErrNotFound)
	}
	return append([]byte(nil), v...), nil
}

func (t *tx) Put(kind, key string, value []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	if t.data[kind] == nil {
		t.data[kind] = map[string][]byte{}
	}
	t.data[kind][key] = append([]byte(nil), value...)
	return nil
}

func (t *tx) Insert(kind, key string, value []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.data[kind][key]; ok {
		return fmt.Errorf("%s %q: %w", kind, key, store.ErrExists)
	}
	return t.Put(kind, key, value)
}

func (t *tx) Delete(kind, key string) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.data[kind][key]; !ok {
		return fmt.Errorf("%s %q: %w", kind, key, store.ErrNotFound)
	}
	delete(t.data[kind], key)
	return nil
}

func (t *tx) List(kind, prefix, after string, limit int) ([]store.Item, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var keys []string
	for k := range t.data[kind] {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]store.Item, len(keys))
	for i, k := range keys {
		out[i] = store.Item{Key: k, Value: append([]byte(nil), t.data[kind][k]...)}
	}
	return out, nil
}

func (t *tx) Count(kind, prefix string) (int, error) {
	items, err := t.List(kind, prefix, "", 0)
	return len(items), err
}

// Notify does nothing: no other process shares the store.
func (t *tx) Notify(string) error { return nil }
