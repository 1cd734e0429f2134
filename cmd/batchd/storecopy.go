package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"batchd/internal/store"
)

const storeUsage = `Usage:
  batchd store copy --from URL --to URL [--batch N]

Run "batchd store copy --help" for its flags.
`

func storeMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, storeUsage)
		return 2
	}
	switch args[0] {
	case "copy":
		return storeCopyMain(ctx, args[1:], stdout, stderr)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, storeUsage)
		return 0
	}
	fmt.Fprintf(stderr, "batchd store: unknown subcommand %q\n\n%s", args[0], storeUsage)
	return 2
}

const storeCopyNotes = `Copies every document, of every kind, from one store to another, which
must be empty, in batches of --batch documents per transaction; then
counts each kind in both and prints the counts. Both URLs are as serve's
--store: sqlite:PATH, postgres://... or postgresql://... Stop every batchd
using the source first: what it writes during the copy may be missed.`

func storeCopyMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batchd store copy", flag.ContinueOnError)
	from := fs.String("from", "", "the store to copy: sqlite:PATH, postgres://... or postgresql://...")
	to := fs.String("to", "", "the empty store to copy into, of the same forms")
	batchSize := fs.Int("batch", 500, "documents per transaction")
	if ok, code := parseFlags(fs, "batchd store copy --from URL --to URL [--batch N]", storeCopyNotes, args, stdout, stderr); !ok {
		return code
	}
	var err error
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *from == "" || *to == "":
		err = errors.New("--from and --to are required")
	case *batchSize <= 0:
		err = fmt.Errorf("--batch must be positive, not %d", *batchSize)
	default:
		err = errors.Join(checkStoreURL("--from", *from), checkStoreURL("--to", *to))
	}
	if err != nil {
		fmt.Fprintf(stderr, "batchd store copy: %v\n", err)
		return 2
	}
	if err := storeCopy(ctx, *from, *to, *batchSize, stdout); err != nil {
		fmt.Fprintf(stderr, "batchd store copy: %v\n", err)
		return 1
	}
	return 0
}

// storeCopy copies every document from the store at fromURL to the empty
// one at toURL and checks the counts of each kind agree.
func storeCopy(ctx context.Context, fromURL, toURL string, batchSize int, stdout io.Writer) error {
	if fromURL == toURL {
		return errors.New("--from and --to name the same store")
	}
	src, err := openStore(ctx, fromURL)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := openStore(ctx, toURL)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	n, err := CopyStore(ctx, src, dst, batchSize)
	if err != nil {
		return err
	}
	for _, k := range n.Kinds() {
		fmt.Fprintf(stdout, "%-32s %d\n", k, n[k])
	}
	fmt.Fprintf(stdout, "%-32s %d\n", "total", n.Total())
	return nil
}

// KindCounts counts documents per kind.
type KindCounts map[string]int

// Kinds returns the kinds in order.
func (c KindCounts) Kinds() []string {
	var ks []string
	for k := range c {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Total is the number of documents of every kind.
func (c KindCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// CopyStore copies every document of src into dst, which must be empty,
// batchSize documents per Update of dst, each batch read in a View of src
// (after the last key copied). It returns the counts per kind once it has
// checked that dst counts the same.
// Both must list their kinds (kindLister).
func CopyStore(ctx context.Context, src, dst store.Store, batchSize int) (KindCounts, error) {
	kinds, err := kindsOf(ctx, src)
	if err != nil {
		return nil, err
	}
	dstKinds, err := kindsOf(ctx, dst)
	if err != nil {
		return nil, err
	}
	if len(dstKinds) > 0 {
		return nil, fmt.Errorf("the target store is not empty: it has documents of %d kinds (%s)", len(dstKinds), strings.Join(dstKinds, ", "))
	}
	copied := KindCounts{}
	for _, kind := range kinds {
		after, first := "", true
		for {
			var items []store.Item
			err := src.View(ctx, func(tx store.Tx) error {
				var err error
				items, err = tx.List(kind, "", after, batchSize)
				if err != nil || !first {
					return err
				}
				// List never returns the empty key: nothing sorts before it.
				if v, err := tx.Get(kind, ""); err == nil {
					items = append([]store.Item{{Key: "", Value: v}}, items...)
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", kind, err)
			}
			first = false
			if len(items) == 0 {
				break
			}
			if err := dst.Update(ctx, func(tx store.Tx) error {
				for _, it := range items {
					if err := tx.Insert(kind, it.Key, it.Value); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return nil, fmt.Errorf("write %s: %w", kind, err)
			}
			copied[kind] += len(items)
			after = items[len(items)-1].Key
		}
	}
	// Verify: each kind counts the same in both.
	for _, kind := range kinds {
		var ns, nd int
		if err := src.View(ctx, func(tx store.Tx) (err error) { ns, err = tx.Count(kind, ""); return err }); err != nil {
			return nil, err
		}
		if err := dst.View(ctx, func(tx store.Tx) (err error) { nd, err = tx.Count(kind, ""); return err }); err != nil {
			return nil, err
		}
		if ns != nd || nd != copied[kind] {
			return nil, fmt.Errorf("kind %s: the source has %d documents, the target %d, %d copied (was the source written during the copy?)", kind, ns, nd, copied[kind])
		}
	}
	return copied, nil
}

// kindLister is a store that can tell which kinds it holds documents of
// (store.Tx lists keys within a kind only): sqlite, postgres and memstore.
type kindLister interface {
	Kinds(ctx context.Context) ([]string, error)
}

// kindsOf returns the kinds of st, in order.
func kindsOf(ctx context.Context, st store.Store) ([]string, error) {
	kl, ok := st.(kindLister)
	if !ok {
		return nil, fmt.Errorf("a %T cannot list its kinds", st)
	}
	return kl.Kinds(ctx)
}
