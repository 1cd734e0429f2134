package batch

import (
	"context"
	"sync"
	"sync/atomic"

	"batchd/internal/store"
)

// Reads of resource documents (compute environments, job queues, job
// definitions, scheduling policies) on the hot path — SubmitJob's
// authorization — come from a cache checked against a generation: every
// write to those kinds bumps it, inside the writing transaction and again
// after it commits. A read notes the generation before it reads, and its
// result is used only while the generation is unchanged, so no cached
// value outlives the document it was read from: a read that raced a write
// was noted under a generation the write's commit has since bumped.

// watchedKinds are the kinds whose writes bump the generation.
var watchedKinds = map[string]bool{kindCE: true, kindJQ: true, kindJD: true, kindJDName: true, kindSP: true}

// watchedStore is the service's store, counting writes to watchedKinds.
type watchedStore struct {
	store.Store
	gen *atomic.Uint64
}

func (w watchedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	var touched atomic.Bool
	err := w.Store.Update(ctx, func(tx store.Tx) error { return fn(watchedTx{tx, w.gen, &touched}) })
	if touched.Load() {
		w.gen.Add(1)
	}
	return err
}

type watchedTx struct {
	store.Tx
	gen     *atomic.Uint64
	touched *atomic.Bool
}

func (t watchedTx) note(kind string) {
	if watchedKinds[kind] {
		t.gen.Add(1)
		t.touched.Store(true)
	}
}

func (t watchedTx) Put(kind, key string, value []byte) error {
	t.note(kind)
	return t.Tx.Put(kind, key, value)
}

func (t watchedTx) Insert(kind, key string, value []byte) error {
	t.note(kind)
	return t.Tx.Insert(kind, key, value)
}

func (t watchedTx) Delete(kind, key string) error {
	t.note(kind)
	return t.Tx.Delete(kind, key)
}

// tagCache holds resource tags by ARN as of a generation.
type tagCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]map[string]string // ARN → tags; nil tags: no such resource
}

// get returns the cached tags of arn at generation gen.
func (c *tagCache) get(gen uint64, arn string) (tags map[string]string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return nil, false
	}
	tags, ok = c.entries[arn]
	return tags, ok
}

// put caches the tags of arn read at generation gen.
func (c *tagCache) put(gen uint64, arn string, tags map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.entries == nil {
		if gen < c.gen {
			return // read before a newer generation was seen: stale
		}
		c.gen, c.entries = gen, map[string]map[string]string{}
	}
	if len(c.entries) >= 10000 {
		clear(c.entries)
	}
	c.entries[arn] = tags
}
