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
	// writer holds one token: Updates take it in turn, giving up when
	// their ctx ends.
	writer chan struct{}
	mu     sync.RWMutex
	// data is replaced whole by each Update, never changed in place, so a
	// View reads the one it took without a lock.
	data map[string]map[string][]byte
}

// New returns an empty Store.
func New() *Store {
	return &Store{writer: make(chan struct{}, 1), data: map[string]map[string][]byte{}}
}

// View runs fn on a snapshot: the data as of the last Update that returned.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	data := s.data
	s.mu.RUnlock()
	t := &tx{data: data, readOnly: true}
	defer func() { t.done = true }()
	return fn(t)
}

// Update runs fn on a copy and keeps the copy only when fn succeeds and
// ctx has not ended.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return store.HookedUpdate(ctx, fn, func(fn func(store.Tx) error) error { return s.update(ctx, fn) })
}

func (s *Store) update(ctx context.Context, fn func(store.Tx) error) error {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()
	s.mu.RLock()
	cp := make(map[string]map[string][]byte, len(s.data))
	for k, v := range s.data {
		cp[k] = maps.Clone(v)
	}
	s.mu.RUnlock()
	t := &tx{data: cp}
	err := func() error {
		defer func() { t.done = true }()
		return fn(t)
	}()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.data = cp
	s.mu.Unlock()
	return nil
}

// Kinds returns the kinds the store holds documents of, in order.
func (s *Store) Kinds(ctx context.Context) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var kinds []string
	for k, docs := range s.data {
		if len(docs) > 0 {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return kinds, nil
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
	return append([]byte{}, v...), nil
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
	return t.items(kind, keys, limit), nil
}

func (t *tx) ListBefore(kind, prefix, before string, limit int) ([]store.Item, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var keys []string
	for k := range t.data[kind] {
		if strings.HasPrefix(k, prefix) && (before == "" || k < before) {
			keys = append(keys, k)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	return t.items(kind, keys, limit), nil
}

// items returns the first limit (<= 0: all) of keys with copies of their
// values.
func (t *tx) items(kind string, keys []string, limit int) []store.Item {
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]store.Item, len(keys))
	for i, k := range keys {
		out[i] = store.Item{Key: k, Value: append([]byte{}, t.data[kind][k]...)}
	}
	return out
}

// Count counts the keys of kind that start with prefix, the empty key
// included (List never lists it: nothing sorts before it).
func (t *tx) Count(kind, prefix string) (int, error) {
	if err := t.check(false); err != nil {
		return 0, err
	}
	n := 0
	for k := range t.data[kind] {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n, nil
}

// Notify does nothing: no other process shares the store.
func (t *tx) Notify(string) error { return nil }
