package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"

	"batchd/internal/store"
	"batchd/internal/store/postgres/pgtest"
	"batchd/internal/store/sqlite"
)

// dump reads every document of the store at url, by kind and key.
func dump(t *testing.T, url string) map[string]map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kinds, err := kindsOf(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]byte{}
	err = st.View(ctx, func(tx store.Tx) error {
		for _, k := range kinds {
			items, err := tx.List(k, "", "", 0)
			if err != nil {
				return err
			}
			out[k] = map[string][]byte{}
			if v, err := tx.Get(k, ""); err == nil {
				out[k][""] = v
			}
			for _, it := range items {
				out[k][it.Key] = it.Value
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStoreCopy copies the SQLite store of a batchd that ran (IAM users,
// keys, a queue, a job definition, jobs) plus documents with odd keys and
// values to PostgreSQL and back into a new SQLite file, in small batches,
// and compares every document; a copy into a store that is not empty is
// refused.
func TestStoreCopy(t *testing.T) {
	t.Parallel()
	ts := startServerWith(t, "", func(c *Config) { c.Store = "sqlite:" + filepath.Join(c.DataDir, "batchd.db") })
	admin := ts.iam(ts.Root)
	for _, u := range []string{"alice", "bob"} {
		newUser(t, admin, u, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	}
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, shellDef("hello", "true"))
	for i := range 3 {
		submit(t, c, &batch.SubmitJobInput{JobName: aws.String(fmt.Sprint("j", i)), JobQueue: aws.String("q"), JobDefinition: aws.String("hello")})
	}
	ts.stop()
	src := "sqlite:" + filepath.Join(ts.DataDir, "batchd.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(ts.DataDir, "batchd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error {
		for key, v := range map[string][]byte{"": []byte("empty key"), "a\x00b": {0, 0xff}, "\xff\xff": {}, "z": nil} {
			if err := tx.Put("odd\x00kind", key, v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := dump(t, src)
	if len(want) < 5 {
		t.Fatalf("the source has %d kinds: %v", len(want), want)
	}

	pg := pgtest.URL(t)
	back := "sqlite:" + filepath.Join(t.TempDir(), "back.db")
	for _, step := range []struct{ from, to string }{{src, pg}, {pg, back}} {
		var stdout, stderr bytes.Buffer
		if code := Main(ctx, []string{"store", "copy", "--from", step.from, "--to", step.to, "--batch", "2"}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("store copy %s → %s = %d: %s", step.from, step.to, code, stderr.String())
		}
		total := 0
		for _, docs := range want {
			total += len(docs)
		}
		if !strings.Contains(strings.Join(strings.Fields(stdout.String()), " "), fmt.Sprintf("total %d", total)) {
			t.Errorf("store copy printed %q, want a total of %d", stdout.String(), total)
		}
		got := dump(t, step.to)
		if len(got) != len(want) {
			t.Errorf("%s: %d kinds, want %d", step.to, len(got), len(want))
		}
		for kind, docs := range want {
			if len(got[kind]) != len(docs) {
				t.Errorf("%s: kind %q has %d documents, want %d", step.to, kind, len(got[kind]), len(docs))
			}
			for key, v := range docs {
				if g, ok := got[kind][key]; !ok || !bytes.Equal(g, v) {
					t.Errorf("%s: %q %q = %q (present %t), want %q", step.to, kind, key, g, ok, v)
				}
			}
		}
	}

	var stderr bytes.Buffer
	if code := Main(ctx, []string{"store", "copy", "--from", src, "--to", pg}, nil, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "not empty") {
		t.Errorf("copy into a store that is not empty = %d: %s", code, stderr.String())
	}
}

func TestStoreCopyUsage(t *testing.T) {
	t.Parallel()
	same := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "no subcommand", args: []string{"store"}, code: 2, want: "store copy"},
		{name: "unknown", args: []string{"store", "move"}, code: 2, want: `unknown subcommand "move"`},
		{name: "no urls", args: []string{"store", "copy"}, code: 2, want: "--from and --to are required"},
		{name: "bad url", args: []string{"store", "copy", "--from", "x.db", "--to", "sqlite:y.db"}, code: 2, want: "--from must be"},
		{name: "same", args: []string{"store", "copy", "--from", same, "--to", same}, code: 1, want: "the same store"},
		{name: "help", args: []string{"store", "copy", "--help"}, code: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tc.args, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("%q = %d, stderr %q; want %d containing %q", tc.args, code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}
