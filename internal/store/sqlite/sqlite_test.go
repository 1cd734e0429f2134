package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/store"
)

// openTest opens a new database in a temporary directory and closes it when
// the test ends.
func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "batchd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func mustUpdate(t testing.TB, db *DB, fn func(store.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustView(t testing.TB, db *DB, fn func(store.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// seed puts each key of kind with the value "v:"+key.
func seed(t testing.TB, db *DB, kind string, keys ...string) {
	t.Helper()
	mustUpdate(t, db, func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put(kind, k, []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// get returns the value of (kind, key) in a View, or the View's error.
func get(t testing.TB, db *DB, kind, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	err := db.View(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = tx.Get(kind, key)
		return err
	})
	return v, err
}

func count(t testing.TB, db *DB, kind, prefix string) int {
	t.Helper()
	var n int
	mustView(t, db, func(tx store.Tx) error {
		var err error
		n, err = tx.Count(kind, prefix)
		return err
	})
	return n
}

func TestCRUD(t *testing.T) {
	t.Parallel()
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, _ := openTest(t)
			mustUpdate(t, db, func(tx store.Tx) error { return tx.Insert("job", "a", []byte("old")) })
			err := db.Update(context.Background(), tc.fn)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Update = %v, want %v", err, tc.wantErr)
			}
			v, err := get(t, db, "job", "a")
			switch {
			case tc.want == nil && !errors.Is(err, store.ErrNotFound):
				t.Errorf("after: Get = %q, %v; want ErrNotFound", v, err)
			case tc.want != nil && (err != nil || !bytes.Equal(v, tc.want) || v == nil):
				t.Errorf("after: Get = %q (nil %t), %v; want %q", v, v == nil, err, tc.want)
			}
		})
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	_, err := get(t, db, "job", "j-123")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "j-123") || !strings.Contains(err.Error(), "job") {
		t.Errorf("Get = %v; want ErrNotFound naming job and j-123", err)
	}
}

// listKeys are the keys of kind "k" in TestList: prefixes of each other,
// LIKE metacharacters, bytes above 0x7f (not all valid UTF-8) and a NUL.
var listKeys = []string{
	"", "%", "_", "a", "a%", "a%b", "a_", "a_b", "aB", "ab", "abc", "abd", "a\x00b",
	"a\x7f", "a\x80", "a\xc3\xa9", "a\xff", "a\xff\xff", "a\xff\xffz", "b", "ba",
	"\xff", "\xff\x00", "\xff\xff", "\xffa",
}

func TestList(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", listKeys...)
	seed(t, db, "j", "a", "ab", "b") // another kind, never listed
	seed(t, db, "l", "a")

	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		// The empty key does not sort after the empty `after` (memstore agrees).
		{name: "all", want: sorted(listKeys)[1:]},
		{name: "all limit", limit: 3, want: []string{"%", "_", "a"}},
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
		{name: "after only", after: "b", limit: 2, want: []string{"ba", "\xff"}},
		{name: "after last", after: "\xff\xff", want: nil},
		{name: "no match", prefix: "zz", want: nil},
		{name: "negative limit", prefix: "b", limit: -1, want: []string{"b", "ba"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := list(t, db, "k", tc.prefix, tc.after, tc.limit)
			if !slices.Equal(keysOf(t, got), tc.want) {
				t.Errorf("List(%q, %q, %d) = %q, want %q", tc.prefix, tc.after, tc.limit, keysOf(t, got), tc.want)
			}
			if want := refList(listKeys, tc.prefix, tc.after, tc.limit); !slices.Equal(tc.want, want) {
				t.Errorf("test case disagrees with reference: %q", want)
			}
		})
	}
}

// TestListMatchesReference lists every prefix and `after` drawn from the keys
// (and their prefixes) and compares with a sort-and-filter in Go.
func TestListMatchesReference(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", listKeys...)
	var probes []string
	for _, k := range listKeys {
		for i := 0; i <= len(k); i++ {
			probes = append(probes, k[:i])
		}
	}
	probes = append(probes, "\xff\xff\xff", "a\xff\xff\xff", "~")
	slices.Sort(probes)
	probes = slices.Compact(probes)
	mustView(t, db, func(tx store.Tx) error {
		for _, prefix := range probes {
			for _, after := range probes {
				for _, limit := range []int{0, 1, 2} {
					items, err := tx.List("k", prefix, after, limit)
					if err != nil {
						return err
					}
					got, want := keysOf(t, items), refList(listKeys, prefix, after, limit)
					if !slices.Equal(got, want) {
						t.Errorf("List(%q, %q, %d) = %q, want %q", prefix, after, limit, got, want)
					}
				}
			}
			n, err := tx.Count("k", prefix)
			if err != nil {
				return err
			}
			want := 0
			for _, k := range listKeys {
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

func TestCount(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", listKeys...)
	seed(t, db, "j", "a", "ab")
	tests := []struct {
		name, kind, prefix string
		want               int
	}{
		{name: "all", kind: "k", want: len(listKeys)},
		{name: "prefix a", kind: "k", prefix: "a", want: 16},
		{name: "percent", kind: "k", prefix: "a%", want: 2},
		{name: "underscore", kind: "k", prefix: "_", want: 1},
		{name: "0xff", kind: "k", prefix: "\xff", want: 4},
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

func TestListValues(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", "a", "b")
	mustUpdate(t, db, func(tx store.Tx) error { return tx.Put("k", "c", nil) })
	got := list(t, db, "k", "", "", 0)
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

func list(t testing.TB, db *DB, kind, prefix, after string, limit int) []store.Item {
	t.Helper()
	var items []store.Item
	mustView(t, db, func(tx store.Tx) error {
		var err error
		items, err = tx.List(kind, prefix, after, limit)
		return err
	})
	return items
}

func keysOf(t testing.TB, items []store.Item) []string {
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

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, want string
		bounded            bool
	}{
		{name: "empty", prefix: "", bounded: false},
		{name: "ascii", prefix: "ab", want: "ac", bounded: true},
		{name: "trailing 0xff", prefix: "a\xff\xff", want: "b", bounded: true},
		{name: "all 0xff", prefix: "\xff\xff", bounded: false},
		{name: "0x7f", prefix: "a\x7f", want: "a\x80", bounded: true},
		{name: "percent", prefix: "%", want: "&", bounded: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := prefixEnd(tc.prefix)
			if got != tc.want || ok != tc.bounded {
				t.Errorf("prefixEnd(%q) = %q, %t; want %q, %t", tc.prefix, got, ok, tc.want, tc.bounded)
			}
		})
	}
}

func TestUpdateRollsBack(t *testing.T) {
	t.Parallel()
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
			db, _ := openTest(t)
			seed(t, db, "k", "keep", "gone")
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
			if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"gone", "keep"}) {
				t.Errorf("after rollback: keys %q, want [gone keep] unchanged", got)
			}
			// The write connection was given back: the next Update runs.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "after", nil) }); err != nil {
				t.Errorf("Update after rollback: %v", err)
			}
		})
	}
}

func TestViewCannotWrite(t *testing.T) {
	t.Parallel()
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
			db, _ := openTest(t)
			seed(t, db, "k", "a")
			var inner error
			err := db.View(context.Background(), func(tx store.Tx) error {
				inner = tc.fn(tx)
				return nil // a careless caller that drops the error
			})
			if err != nil || !errors.Is(inner, ErrReadOnly) {
				t.Errorf("View = %v, write = %v; want nil, ErrReadOnly", err, inner)
			}
			if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a"}) {
				t.Errorf("after View: keys %q, want [a]", got)
			}
		})
	}
}

func TestTxAfterReturn(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", "a")
	var fromView, fromUpdate store.Tx
	mustView(t, db, func(tx store.Tx) error { fromView = tx; return nil })
	mustUpdate(t, db, func(tx store.Tx) error { fromUpdate = tx; _, err := tx.Get("k", "a"); return err })
	failed := db.Update(context.Background(), func(tx store.Tx) error { fromUpdate = tx; return errors.New("x") })
	if failed == nil {
		t.Fatal("Update returned nil")
	}
	for name, tx := range map[string]store.Tx{"view": fromView, "update": fromUpdate} {
		ops := map[string]func() error{
			"get":    func() error { _, err := tx.Get("k", "a"); return err },
			"put":    func() error { return tx.Put("k", "a", nil) },
			"insert": func() error { return tx.Insert("k", "b", nil) },
			"delete": func() error { return tx.Delete("k", "a") },
			"list":   func() error { _, err := tx.List("k", "", "", 0); return err },
			"count":  func() error { _, err := tx.Count("k", ""); return err },
		}
		for op, fn := range ops {
			if err := fn(); !errors.Is(err, ErrTxDone) {
				t.Errorf("%s tx: %s after return = %v, want ErrTxDone", name, op, err)
			}
		}
	}
	if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("keys %q, want [a]", got)
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", "a")

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
		if _, err := get(t, db, "k", "b"); !errors.Is(err, store.ErrNotFound) {
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
}

// TestViewDuringUpdate checks that a View neither waits for an open Update
// nor sees its uncommitted writes.
func TestViewDuringUpdate(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	seed(t, db, "k", "a")
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
		keys = keysOf(t, items)
		return err
	})
	close(release)
	if err != nil || !slices.Equal(keys, []string{"a"}) {
		t.Errorf("View during Update = %q, %v; want [a], nil", keys, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after commit: %q, want [a b]", got)
	}
}

// TestConcurrent runs writers doing read-modify-write Updates alongside
// readers that check each snapshot is consistent.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	const writers, updates, readers = 8, 200, 4
	db, _ := openTest(t)
	mustUpdate(t, db, func(tx store.Tx) error { return tx.Put("counter", "n", []byte("0")) })

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
	if v, err := get(t, db, "counter", "n"); err != nil || string(v) != strconv.Itoa(writers*updates) {
		t.Errorf("counter = %s, %v; want %d", v, err, writers*updates)
	}
	if n := count(t, db, "item", ""); n != writers*updates {
		t.Errorf("Count(item) = %d, want %d", n, writers*updates)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a", "b")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := keysOf(t, list(t, db, "k", "", "", 0)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after reopen: %q, want [a b]", got)
	}
}

func TestOpenOddPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "we?ird %41#dir&x=y")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data base.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, path string
	}{
		{name: "empty path", path: ""},
		{name: "missing directory", path: filepath.Join(dir, "no", "such", "dir", "db")},
		{name: "directory", path: dir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, err := Open(context.Background(), tc.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

// versions returns the rows of schema_migrations.
func versions(t testing.TB, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Errorf("version %d applied_at %q: %v", v, at, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsAppliedOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	var want []int
	for v := range migrations {
		want = append(want, v+1)
	}
	for i := range 2 {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if got := versions(t, db.w); !slices.Equal(got, want) {
			t.Errorf("Open #%d: schema_migrations versions %v, want %v", i+1, got, want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	tests := []struct {
		name   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{name: "journal mode", db: db.w, pragma: "journal_mode", want: "wal"},
		{name: "synchronous FULL", db: db.w, pragma: "synchronous", want: "2"},
		{name: "reader synchronous FULL", db: db.r, pragma: "synchronous", want: "2"},
		{name: "foreign keys", db: db.w, pragma: "foreign_keys", want: "1"},
		{name: "reader foreign keys", db: db.r, pragma: "foreign_keys", want: "1"},
		{name: "busy timeout", db: db.w, pragma: "busy_timeout", want: strconv.Itoa(busyTimeoutMS)},
		{name: "reader busy timeout", db: db.r, pragma: "busy_timeout", want: strconv.Itoa(busyTimeoutMS)},
		{name: "reader query only", db: db.r, pragma: "query_only", want: "1"},
		{name: "writer not query only", db: db.w, pragma: "query_only", want: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := tc.db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batchd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db, "k", "a")
	future := len(migrations) + 1
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')`, future); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer batchd succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{path, "schema version " + strconv.Itoa(future), "up to " + strconv.Itoa(len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not say %q", err, want)
		}
	}
}

const crashEnv = "BATCHD_SQLITE_CRASH_CHILD"

// TestCrashChild is the child of TestCrashDurability: it commits Updates in
// a loop and reports each committed key on stdout, until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashDurability only")
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 512)
	for i := range 1_000_000 { // bounded, should the parent not kill it
		key := fmt.Sprintf("%08d", i)
		err := db.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Insert("crash", key, value); err != nil {
				return err
			}
			return tx.Put("crash-last", "n", []byte(key))
		})
		if err != nil {
			t.Fatal(err)
		}
		// os.Stdout is unbuffered: the line is written when Update has
		// returned and before the next Update starts.
		if _, err := fmt.Fprintf(os.Stdout, "committed %s\n", key); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashDurability kills a process that is committing Updates with
// SIGKILL and checks that every Update it saw return nil is in the file.
func TestCrashDurability(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const reports = 300
	path := filepath.Join(t.TempDir(), "batchd.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed = append(committed, key)
		}
		if len(committed) == reports && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
		// Lines written before the kill landed are commits too: keep reading.
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d commits: %v\n%s", len(committed), err, stderr.Bytes())
	}
	t.Logf("child killed after reporting %d commits", len(committed))

	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()
	mustView(t, db, func(tx store.Tx) error {
		for _, key := range committed {
			if _, err := tx.Get("crash", key); err != nil {
				t.Errorf("committed key %s lost: %v", key, err)
			}
		}
		last, err := tx.Get("crash-last", "n")
		if err != nil {
			return err
		}
		if string(last) < committed[len(committed)-1] {
			t.Errorf("crash-last = %s, before the last reported commit %s", last, committed[len(committed)-1])
		}
		n, err := tx.Count("crash", "")
		if err != nil {
			return err
		}
		// Either the in-flight Update committed or it did not; nothing else.
		if want := len(committed); n != want && n != want+1 {
			t.Errorf("Count = %d after %d reported commits", n, want)
		}
		return nil
	})
}

func BenchmarkUpdatePut(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	value := []byte(`{"jobId":"0123456789abcdef","status":"RUNNABLE"}`)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("job/%06d", i)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("job", key, value) }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if v, err := get(b, db, "job", keys[0]); err != nil || !bytes.Equal(v, value) {
		b.Fatalf("after: Get = %q, %v", v, err)
	}
}

func BenchmarkViewGet(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("job/%06d", i)
	}
	seed(b, db, "job", keys...)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		err := db.View(ctx, func(tx store.Tx) error {
			v, err := tx.Get("job", key)
			if err == nil && string(v) != "v:"+key {
				err = fmt.Errorf("Get(%s) = %q", key, v)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestListUsesPrimaryKey checks that List and Count search the primary key
// by range rather than scan the table.
func TestListUsesPrimaryKey(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i, q := range stmtSQL {
		if i == stPut || i == stInsert {
			continue
		}
		args := []any{"k", "a", "b", 1}[:strings.Count(q, "?")]
		rows, err := db.w.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "SEARCH documents USING PRIMARY KEY (kind=? AND key") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s\nplan %q, want a primary key search on kind and key, no sort", q, got)
		}
	}
}

// A lazy Update is committed (readers see it) without a sync; the WAL is
// synced by the next Update that is not lazy, or after LazySyncDelay.
func TestLazyUpdate(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	put := func(ctx context.Context, key string) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("k", key, []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	put(ctx, "durable")
	base := db.syncs.Load()
	put(store.Lazy(ctx), "lazy1")
	put(store.Lazy(ctx), "lazy2")
	if n := db.syncs.Load() - base; n != 0 {
		t.Fatalf("%d syncs for lazy Updates, want none yet", n)
	}
	if err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.Get("k", "lazy2")
		return err
	}); err != nil {
		t.Fatalf("a lazy Update is not visible: %v", err)
	}
	put(ctx, "durable2")
	if n := db.syncs.Load() - base; n != 1 {
		t.Fatalf("%d syncs after an Update that is not lazy, want 1", n)
	}
	put(store.Lazy(ctx), "lazy3")
	deadline := time.Now().Add(store.LazySyncDelay + 2*time.Second)
	for db.syncs.Load()-base != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the lazy Update's WAL not synced %v after it", store.LazySyncDelay+2*time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A CommitHook's write joins the Update's transaction: kept when it
// commits, gone with it when fn fails; Done says which.
func TestCommitHook(t *testing.T) {
	db, _ := openTest(t)
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
