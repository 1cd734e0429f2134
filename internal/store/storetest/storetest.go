// Package storetest owns the conformance suite of store.Store: Run checks
// what every implementation (memstore, sqlite, postgres) must do alike —
// reads and writes, List's byte order with NUL and high bytes, prefixes
// matched as bytes, after and limit, Count, rollback of a failed Update,
// Insert and Delete's errors, Views that cannot write, a Tx dead after its
// View or Update returned, context cancellation, serialized Updates,
// consistent snapshots, the commit hook and lazy Updates. What only one
// implementation promises (sqlite's pragmas and crash durability,
// postgres's replicas) is tested beside it.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/store"
)

// Run runs the suite on stores made by open, which returns a new, empty
// store and closes it when its test ends. Subtests run in parallel, each on
// a store of its own unless it says otherwise.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, func(*testing.T) store.Store)
	}{
		{"CRUD", testCRUD},
		{"ErrorsNameTheKey", testErrorsNameTheKey},
		{"List", testList},
		{"ListMatchesReference", testListMatchesReference},
		{"Count", testCount},
		{"ListValues", testListValues},
		{"UpdateRollsBack", testUpdateRollsBack},
		{"ViewCannotWrite", testViewCannotWrite},
		{"TxAfterReturn", testTxAfterReturn},
		{"ContextCancel", testContextCancel},
		{"ViewDuringUpdate", testViewDuringUpdate},
		{"UpdatesSerialized", testUpdatesSerialized},
		{"Concurrent", testConcurrent},
		{"CommitHook", testCommitHook},
		{"Lazy", testLazy},
		{"Notify", testNotify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// MustUpdate runs fn in an Update, failing the test on its error.
func MustUpdate(t testing.TB, db store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// MustView runs fn in a View, failing the test on its error.
func MustView(t testing.TB, db store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// Seed puts each key of kind with the value "v:"+key.
func Seed(t testing.TB, db store.Store, kind string, keys ...string) {
	t.Helper()
	MustUpdate(t, db, func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put(kind, k, []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Get returns the value of (kind, key) in a View, or the View's error.
func Get(t testing.TB, db store.Store, kind, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	err := db.View(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = tx.Get(kind, key)
		return err
	})
	return v, err
}

func count(t testing.TB, db store.Store, kind, prefix string) int {
	t.Helper()
	var n int
	MustView(t, db, func(tx store.Tx) error {
		var err error
		n, err = tx.Count(kind, prefix)
		return err
	})
	return n
}

// List lists kind in a View, failing the test on its error.
func List(t testing.TB, db store.Store, kind, prefix, after string, limit int) []store.Item {
	t.Helper()
	var items []store.Item
	MustView(t, db, func(tx store.Tx) error {
		var err error
		items, err = tx.List(kind, prefix, after, limit)
		return err
	})
	return items
}

// KeysOf returns the items' keys, checking each value is "v:"+key.
func KeysOf(t testing.TB, items []store.Item) []string {
	t.Helper()
	var keys []string
	for _, it := range items {
		if string(it.Value) != "v:"+it.Key {
			t.Errorf("List: %q has value %q", it.Key, it.Value)
		}
		keys = append(keys, it.Key)
	}
	return keys
}

func sorted(keys []string) []string {
	return slices.Sorted(slices.Values(keys))
}

// refListBefore is ListBefore by sorting and filtering in Go.
func refListBefore(keys []string, prefix, before string, limit int) []string {
	var out []string
	for _, k := range slices.Backward(sorted(keys)) {
		if strings.HasPrefix(k, prefix) && (before == "" || k < before) && (limit <= 0 || len(out) < limit) {
			out = append(out, k)
		}
	}
	return out
}

// refList is List by sorting and filtering in Go.
func refList(keys []string, prefix, after string, limit int) []string {
	var out []string
	for _, k := range sorted(keys) {
		if strings.HasPrefix(k, prefix) && k > after && (limit <= 0 || len(out) < limit) {
			out = append(out, k)
		}
	}
	return out
}

func testCRUD(t *testing.T, open func(*testing.T) store.Store) {
	tests := []struct {
		name    string
		fn      func(tx store.Tx) error
		wantErr error
		// want is the value of ("job", "a") after the update; nil: absent.
		want []byte
	}{
		{
			name: "get present",
			fn: func(tx store.Tx) error {
				v, err := tx.Get("job", "a")
				if err == nil && string(v) != "old" {
					return fmt.Errorf("Get = %q, want old", v)
				}
				return err
			},
			want: []byte("old"),
		},
		{
			name:    "get absent",
			fn:      func(tx store.Tx) error { _, err := tx.Get("job", "zz"); return err },
			wantErr: store.ErrNotFound,
			want:    []byte("old"),
		},
		{
			name:    "get other kind",
			fn:      func(tx store.Tx) error { _, err := tx.Get("queue", "a"); return err },
			wantErr: store.ErrNotFound,
			want:    []byte("old"),
		},
		{
			name: "put replaces",
			fn:   func(tx store.Tx) error { return tx.Put("job", "a", []byte("new")) },
			want: []byte("new"),
		},
		{
			name: "put empty value",
			fn:   func(tx store.Tx) error { return tx.Put("job", "a", []byte{}) },
			want: []byte{},
		},
		{
			name: "put nil value",
			fn:   func(tx store.Tx) error { return tx.Put("job", "a", nil) },
			want: []byte{},
		},
		{
			name: "put binary value",
			fn:   func(tx store.Tx) error { return tx.Put("job", "a", []byte{0, 0xff, 0x80, '\n', 0}) },
			want: []byte{0, 0xff, 0x80, '\n', 0},
		},
		{
			name:    "insert present",
			fn:      func(tx store.Tx) error { return tx.Insert("job", "a", []byte("new")) },
			wantErr: store.ErrExists,
			want:    []byte("old"),
		},
		{
			name: "insert then read own write",
			fn: func(tx store.Tx) error {
				if err := tx.Delete("job", "a"); err != nil {
					return err
				}
				if err := tx.Insert("job", "a", []byte("new")); err != nil {
					return err
				}
				v, err := tx.Get("job", "a")
				if err == nil && string(v) != "new" {
					return fmt.Errorf("Get = %q, want new", v)
				}
				return err
			},
			want: []byte("new"),
		},
		{
			name: "insert same key other kind",
			fn:   func(tx store.Tx) error { return tx.Insert("queue", "a", []byte("q")) },
			want: []byte("old"),
		},
		{
			name: "delete present",
			fn:   func(tx store.Tx) error { return tx.Delete("job", "a") },
		},
		{
			name:    "delete absent",
			fn:      func(tx store.Tx) error { return tx.Delete("job", "zz") },
			wantErr: store.ErrNotFound,
			want:    []byte("old"),
		},
		{
			name: "delete twice",
			fn: func(tx store.Tx) error {
				if err := tx.Delete("job", "a"); err != nil {
					return err
				}
				return tx.Delete("job", "a")
			},
			wantErr: store.ErrNotFound,
			want:    []byte("old"), // the failed Update kept nothing
		},
		{
			name: "nul and high bytes in key",
			fn: func(tx store.Tx) error {
				if err := tx.Put("job", "a\x00\xff", []byte("x")); err != nil {
					return err
				}
				v, err := tx.Get("job", "a\x00\xff")
				if err == nil && string(v) != "x" {
					return fmt.Errorf("Get = %q, want x", v)
				}
				if _, err := tx.Get("job", "a\x00"); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("Get of a prefix of the key = %v, want ErrNotFound", err)
				}
				return err
			},
			want: []byte("old"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			MustUpdate(t, db, func(tx store.Tx) error { return tx.Insert("job", "a", []byte("old")) })
			err := db.Update(context.Background(), tc.fn)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Update = %v, want %v", err, tc.wantErr)
			}
			v, err := Get(t, db, "job", "a")
			switch {
			case tc.want == nil && !errors.Is(err, store.ErrNotFound):
				t.Errorf("after: Get = %q, %v; want ErrNotFound", v, err)
			case tc.want != nil && (err != nil || !bytes.Equal(v, tc.want) || v == nil):
				t.Errorf("after: Get = %q (nil %t), %v; want %q", v, v == nil, err, tc.want)
			}
		})
	}
}

func testErrorsNameTheKey(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	_, err := Get(t, db, "job", "j-123")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "j-123") || !strings.Contains(err.Error(), "job") {
		t.Errorf("Get = %v; want ErrNotFound naming job and j-123", err)
	}
	err = db.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("queue", "q-9") })
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "q-9") || !strings.Contains(err.Error(), "queue") {
		t.Errorf("Delete = %v; want ErrNotFound naming queue and q-9", err)
	}
}

// ListKeys are the keys of kind "k" in the List tests: prefixes of each
// other, LIKE metacharacters, bytes above 0x7f (not all valid UTF-8) and
// NULs.
var ListKeys = []string{
	"", "%", "_", "a", "a%", "a%b", "a_", "a_b", "aB", "ab", "abc", "abd", "a\x00b",
	"a\x7f", "a\x80", "a\xc3\xa9", "a\xff", "a\xff\xff", "a\xff\xffz", "b", "ba",
	"\xff", "\xff\x00", "\xff\xff", "\xffa", "\x00", "\x00\x00",
}

func testList(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", ListKeys...)
	Seed(t, db, "j", "a", "ab", "b") // another kind, never listed
	Seed(t, db, "l", "a")

	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		// The empty key does not sort after the empty `after`.
		{name: "all", want: sorted(ListKeys)[1:]},
		{name: "all limit", limit: 3, want: []string{"\x00", "\x00\x00", "%"}},
		{name: "prefix a", prefix: "a", want: []string{"a", "a\x00b", "a%", "a%b", "aB", "a_", "a_b", "ab", "abc", "abd", "a\x7f", "a\x80", "a\xc3\xa9", "a\xff", "a\xff\xff", "a\xff\xffz"}},
		{name: "percent is literal", prefix: "a%", want: []string{"a%", "a%b"}},
		{name: "underscore is literal", prefix: "a_", want: []string{"a_", "a_b"}},
		{name: "lone percent", prefix: "%", want: []string{"%"}},
		{name: "case sensitive", prefix: "aB", want: []string{"aB"}},
		{name: "prefix ab", prefix: "ab", want: []string{"ab", "abc", "abd"}},
		{name: "prefix ab after ab", prefix: "ab", after: "ab", want: []string{"abc", "abd"}},
		{name: "prefix ab after abc limit 1", prefix: "ab", after: "abc", limit: 1, want: []string{"abd"}},
		{name: "after before prefix", prefix: "ab", after: "a", want: []string{"ab", "abc", "abd"}},
		{name: "after past prefix", prefix: "ab", after: "b", want: nil},
		{name: "high byte prefix", prefix: "a\xff", want: []string{"a\xff", "a\xff\xff", "a\xff\xffz"}},
		{name: "all 0xff prefix", prefix: "\xff\xff", want: []string{"\xff\xff"}},
		{name: "0xff prefix", prefix: "\xff", want: []string{"\xff", "\xff\x00", "\xffa", "\xff\xff"}},
		{name: "0xff prefix after", prefix: "\xff", after: "\xff\x00", want: []string{"\xffa", "\xff\xff"}},
		{name: "multibyte", prefix: "a\xc3", want: []string{"a\xc3\xa9"}},
		{name: "nul in key", prefix: "a\x00", want: []string{"a\x00b"}},
		{name: "nul prefix", prefix: "\x00", want: []string{"\x00", "\x00\x00"}},
		{name: "after nul", prefix: "\x00", after: "\x00", want: []string{"\x00\x00"}},
		{name: "after only", after: "b", limit: 2, want: []string{"ba", "\xff"}},
		{name: "after last", after: "\xff\xff", want: nil},
		{name: "no match", prefix: "zz", want: nil},
		{name: "negative limit", prefix: "b", limit: -1, want: []string{"b", "ba"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := List(t, db, "k", tc.prefix, tc.after, tc.limit)
			if !slices.Equal(KeysOf(t, got), tc.want) {
				t.Errorf("List(%q, %q, %d) = %q, want %q", tc.prefix, tc.after, tc.limit, KeysOf(t, got), tc.want)
			}
			if want := refList(ListKeys, tc.prefix, tc.after, tc.limit); !slices.Equal(tc.want, want) {
				t.Errorf("test case disagrees with reference: %q", want)
			}
		})
	}
}

// testListMatchesReference lists every prefix and `after` drawn from the
// keys (and their prefixes) and compares with a sort-and-filter in Go.
func testListMatchesReference(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", ListKeys...)
	var probes []string
	for _, k := range ListKeys {
		for i := 0; i <= len(k); i++ {
			probes = append(probes, k[:i])
		}
	}
	probes = append(probes, "\xff\xff\xff", "a\xff\xff\xff", "~")
	slices.Sort(probes)
	probes = slices.Compact(probes)
	MustView(t, db, func(tx store.Tx) error {
		for _, prefix := range probes {
			for _, after := range probes {
				for _, limit := range []int{0, 1, 2} {
					items, err := tx.List("k", prefix, after, limit)
					if err != nil {
						return err
					}
					got, want := KeysOf(t, items), refList(ListKeys, prefix, after, limit)
					if !slices.Equal(got, want) {
						t.Errorf("List(%q, %q, %d) = %q, want %q", prefix, after, limit, got, want)
					}
					// The same probe as ListBefore's before.
					if items, err = tx.ListBefore("k", prefix, after, limit); err != nil {
						return err
					}
					got, want = KeysOf(t, items), refListBefore(ListKeys, prefix, after, limit)
					if !slices.Equal(got, want) {
						t.Errorf("ListBefore(%q, %q, %d) = %q, want %q", prefix, after, limit, got, want)
					}
				}
			}
			n, err := tx.Count("k", prefix)
			if err != nil {
				return err
			}
			want := 0
			for _, k := range ListKeys {
				if strings.HasPrefix(k, prefix) {
					want++
				}
			}
			if n != want {
				t.Errorf("Count(%q) = %d, want %d", prefix, n, want)
			}
		}
		return nil
	})
}

func testCount(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", ListKeys...)
	Seed(t, db, "j", "a", "ab")
	tests := []struct {
		name, kind, prefix string
		want               int
	}{
		{name: "all", kind: "k", want: len(ListKeys)},
		{name: "prefix a", kind: "k", prefix: "a", want: 16},
		{name: "percent", kind: "k", prefix: "a%", want: 2},
		{name: "underscore", kind: "k", prefix: "_", want: 1},
		{name: "0xff", kind: "k", prefix: "\xff", want: 4},
		{name: "nul", kind: "k", prefix: "\x00", want: 2},
		{name: "other kind", kind: "j", want: 2},
		{name: "empty kind", kind: "none", want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := count(t, db, tc.kind, tc.prefix); got != tc.want {
				t.Errorf("Count(%q, %q) = %d, want %d", tc.kind, tc.prefix, got, tc.want)
			}
		})
	}
}

func testListValues(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", "a", "b")
	MustUpdate(t, db, func(tx store.Tx) error { return tx.Put("k", "c", nil) })
	got := List(t, db, "k", "", "", 0)
	want := []store.Item{{Key: "a", Value: []byte("v:a")}, {Key: "b", Value: []byte("v:b")}, {Key: "c", Value: []byte{}}}
	if len(got) != len(want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	for i := range got {
		if got[i].Key != want[i].Key || !bytes.Equal(got[i].Value, want[i].Value) || got[i].Value == nil {
			t.Errorf("item %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func testUpdateRollsBack(t *testing.T, open func(*testing.T) store.Store) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		fail      func() error // called after the writes
		wantPanic bool
	}{
		{name: "error", fail: func() error { return errBoom }},
		{name: "wrapped error", fail: func() error { return fmt.Errorf("ctx: %w", errBoom) }},
		{name: "panic", fail: func() error { panic(errBoom) }, wantPanic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			Seed(t, db, "k", "keep", "gone")
			var err error
			recovered := func() (r any) {
				defer func() { r = recover() }()
				err = db.Update(context.Background(), func(tx store.Tx) error {
					for _, step := range []error{
						tx.Put("k", "new", []byte("x")),
						tx.Put("k", "keep", []byte("changed")),
						tx.Delete("k", "gone"),
					} {
						if step != nil {
							return step
						}
					}
					return tc.fail()
				})
				return nil
			}()
			if tc.wantPanic {
				if recovered != errBoom {
					t.Fatalf("recovered %v, want the panic value %v", recovered, errBoom)
				}
			} else if !errors.Is(err, errBoom) || recovered != nil {
				t.Fatalf("Update = %v (panic %v), want %v", err, recovered, errBoom)
			}
			if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"gone", "keep"}) {
				t.Errorf("after rollback: keys %q, want [gone keep] unchanged", got)
			}
			// Whatever the Update held was given back: the next one runs.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "after", nil) }); err != nil {
				t.Errorf("Update after rollback: %v", err)
			}
		})
	}
}

func testViewCannotWrite(t *testing.T, open func(*testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{name: "put", fn: func(tx store.Tx) error { return tx.Put("k", "a", []byte("x")) }},
		{name: "put new", fn: func(tx store.Tx) error { return tx.Put("k", "new", []byte("x")) }},
		{name: "insert", fn: func(tx store.Tx) error { return tx.Insert("k", "new", []byte("x")) }},
		{name: "delete", fn: func(tx store.Tx) error { return tx.Delete("k", "a") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			Seed(t, db, "k", "a")
			var inner error
			err := db.View(context.Background(), func(tx store.Tx) error {
				inner = tc.fn(tx)
				return nil // a careless caller that drops the error
			})
			if err != nil || inner == nil {
				t.Errorf("View = %v, write = %v; want nil, an error", err, inner)
			}
			if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a"}) {
				t.Errorf("after View: keys %q, want [a]", got)
			}
		})
	}
}

// TxOps are the operations of a Tx, by name, for tests of every one.
func TxOps(tx store.Tx) map[string]func() error {
	return map[string]func() error{
		"get":        func() error { _, err := tx.Get("k", "a"); return err },
		"put":        func() error { return tx.Put("k", "a", nil) },
		"insert":     func() error { return tx.Insert("k", "b", nil) },
		"delete":     func() error { return tx.Delete("k", "a") },
		"list":       func() error { _, err := tx.List("k", "", "", 0); return err },
		"listbefore": func() error { _, err := tx.ListBefore("k", "", "", 0); return err },
		"count":      func() error { _, err := tx.Count("k", ""); return err },
	}
}

func testTxAfterReturn(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", "a")
	var fromView, fromUpdate, fromFailed store.Tx
	MustView(t, db, func(tx store.Tx) error { fromView = tx; return nil })
	MustUpdate(t, db, func(tx store.Tx) error { fromUpdate = tx; _, err := tx.Get("k", "a"); return err })
	if err := db.Update(context.Background(), func(tx store.Tx) error { fromFailed = tx; return errors.New("x") }); err == nil {
		t.Fatal("Update returned nil")
	}
	for name, tx := range map[string]store.Tx{"view": fromView, "update": fromUpdate, "failed update": fromFailed} {
		for op, fn := range TxOps(tx) {
			if err := fn(); err == nil {
				t.Errorf("%s tx: %s after return succeeded", name, op)
			}
		}
	}
	if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("keys %q, want [a]", got)
	}
}

func testContextCancel(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", "a")

	t.Run("before update", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err := db.Update(ctx, func(tx store.Tx) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("Update = %v, fn called %t; want context.Canceled, not called", err, called)
		}
	})
	t.Run("before view", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := db.View(ctx, func(tx store.Tx) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("View = %v, want context.Canceled", err)
		}
	})
	t.Run("during update", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put("k", "b", []byte("x")); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Update = %v, want context.Canceled", err)
		}
		if _, err := Get(t, db, "k", "b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("write of a cancelled Update: Get = %v, want ErrNotFound", err)
		}
	})
	t.Run("waiting for the writer", func(t *testing.T) {
		hold, release := make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			done <- db.Update(context.Background(), func(tx store.Tx) error {
				close(hold)
				<-release
				return nil
			})
		}()
		<-hold
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := db.Update(ctx, func(tx store.Tx) error { return nil })
		close(release)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Update while another holds the writer = %v, want DeadlineExceeded", err)
		}
		if err := <-done; err != nil {
			t.Errorf("holding Update: %v", err)
		}
	})
	// The store still works after all that.
	if v, err := Get(t, db, "k", "a"); err != nil || string(v) != "v:a" {
		t.Errorf("after: Get = %q, %v", v, err)
	}
}

// testViewDuringUpdate checks that a View neither waits for an open Update
// nor sees its uncommitted writes.
func testViewDuringUpdate(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	Seed(t, db, "k", "a")
	hold, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("k", "b", []byte("v:b")); err != nil {
				return err
			}
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []string
	err := db.View(ctx, func(tx store.Tx) error {
		items, err := tx.List("k", "", "", 0)
		keys = KeysOf(t, items)
		return err
	})
	close(release)
	if err != nil || !slices.Equal(keys, []string{"a"}) {
		t.Errorf("View during Update = %q, %v; want [a], nil", keys, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after commit: %q, want [a b]", got)
	}
}

// testUpdatesSerialized has 20 goroutines each increment one counter in a
// read-modify-write Update at once: serialized, they end at exactly 20,
// each fn having run once.
func testUpdatesSerialized(t *testing.T, open func(*testing.T) store.Store) {
	const n = 20
	db := open(t)
	MustUpdate(t, db, func(tx store.Tx) error { return tx.Put("counter", "n", []byte("0")) })
	var wg sync.WaitGroup
	var mu sync.Mutex
	calls := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			err := db.Update(context.Background(), func(tx store.Tx) error {
				mu.Lock()
				calls++
				mu.Unlock()
				v, err := tx.Get("counter", "n")
				if err != nil {
					return err
				}
				i, err := strconv.Atoi(string(v))
				if err != nil {
					return err
				}
				return tx.Put("counter", "n", []byte(strconv.Itoa(i+1)))
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if v, err := Get(t, db, "counter", "n"); err != nil || string(v) != strconv.Itoa(n) {
		t.Errorf("counter = %s, %v; want %d", v, err, n)
	}
	if calls != n {
		t.Errorf("fn ran %d times for %d Updates, want once each", calls, n)
	}
}

// testConcurrent runs writers doing read-modify-write Updates alongside
// readers that check each snapshot is consistent.
func testConcurrent(t *testing.T, open func(*testing.T) store.Store) {
	const writers, updates, readers = 8, 50, 4
	db := open(t)
	MustUpdate(t, db, func(tx store.Tx) error { return tx.Put("counter", "n", []byte("0")) })

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range updates {
				err := db.Update(ctx, func(tx store.Tx) error {
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					if err := tx.Put("counter", "n", []byte(strconv.Itoa(n+1))); err != nil {
						return err
					}
					return tx.Insert("item", fmt.Sprintf("%02d/%04d", w, i), []byte("v"))
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d update %d: %w", w, i, err)
					return
				}
			}
		})
	}
	var rg sync.WaitGroup
	for r := range readers {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.View(ctx, func(tx store.Tx) error {
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, err := tx.Count("item", "")
					if err != nil {
						return err
					}
					if string(v) != strconv.Itoa(n) {
						return fmt.Errorf("snapshot: counter %s, %d items", v, n)
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if v, err := Get(t, db, "counter", "n"); err != nil || string(v) != strconv.Itoa(writers*updates) {
		t.Errorf("counter = %s, %v; want %d", v, err, writers*updates)
	}
	if n := count(t, db, "item", ""); n != writers*updates {
		t.Errorf("Count(item) = %d, want %d", n, writers*updates)
	}
}

// A CommitHook's write joins the Update's transaction: kept when it
// commits, gone with it when fn fails; Done says which.
func testCommitHook(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	ctx := context.Background()
	var outcomes []bool
	hooked := func(key string) context.Context {
		return store.WithCommitHook(ctx, &store.CommitHook{
			Prepare: func() func(store.Tx) error {
				return func(tx store.Tx) error { return tx.Put("audit", key, []byte("record")) }
			},
			Done: func(committed bool) { outcomes = append(outcomes, committed) },
		})
	}
	if err := db.Update(hooked("a"), func(tx store.Tx) error { return tx.Put("k", "1", nil) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.Update(hooked("b"), func(tx store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err := db.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get("audit", "a"); err != nil {
			return fmt.Errorf("the committed Update's hook write: %w", err)
		}
		if _, err := tx.Get("audit", "b"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("the failed Update's hook write: %v, want it gone", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if len(outcomes) != 2 || !outcomes[0] || outcomes[1] {
		t.Errorf("Done saw %v, want [true false]", outcomes)
	}
}

// testLazy checks a lazy Update is committed and seen at once, mixed with
// Updates that are not lazy; when it becomes durable is the store's own
// test's business.
func testLazy(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	ctx := context.Background()
	for i, c := range []context.Context{store.Lazy(ctx), ctx, store.Lazy(ctx), store.Lazy(ctx)} {
		key := strconv.Itoa(i)
		if err := db.Update(c, func(tx store.Tx) error { return tx.Put("k", key, []byte("v:"+key)) }); err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
		if v, err := Get(t, db, "k", key); err != nil || string(v) != "v:"+key {
			t.Fatalf("after Update %d (lazy %t): Get = %q, %v", i, store.IsLazy(c), v, err)
		}
	}
	boom := errors.New("boom")
	if err := db.Update(store.Lazy(ctx), func(tx store.Tx) error {
		if err := tx.Put("k", "x", nil); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed lazy Update = %v", err)
	}
	if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"0", "1", "2", "3"}) {
		t.Errorf("keys %q, want [0 1 2 3]", got)
	}
}

// testNotify checks Notify in an Update succeeds and changes nothing of the
// documents, committed or rolled back.
func testNotify(t *testing.T, open func(*testing.T) store.Store) {
	db := open(t)
	MustUpdate(t, db, func(tx store.Tx) error {
		if err := tx.Notify("iam"); err != nil {
			return err
		}
		return tx.Put("k", "a", []byte("v:a"))
	})
	boom := errors.New("boom")
	if err := db.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Notify("batch"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("Update = %v, want boom", err)
	}
	if got := KeysOf(t, List(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("keys %q, want [a]", got)
	}
}
