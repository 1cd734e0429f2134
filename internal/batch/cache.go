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

// watchedStore is the service's store, counting writes to watchedKinds;
// once an Update that wrote them ends, changed tells the scheduler
// (Service.Changes).
type watchedStore struct {
	store.Store
	gen     *atomic.Uint64
	changed func()
	// onJob, when set, hears the job changes of each Update that
	// committed (Config.OnJobChange).
	onJob func(JobChange)
	// runnable hears the job changes of each Update that committed, for
	// those that made jobs RUNNABLE (Service.Runnable).
	runnable func([]JobChange)
}

func (w watchedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	var touched atomic.Bool
	changes := new([]JobChange)
	err := w.Store.Update(ctx, func(tx store.Tx) error {
		*changes = (*changes)[:0] // what a failed run noted is gone
		if err := fn(watchedTx{tx, w.gen, &touched, changes}); err != nil {
			return err
		}
		if touched.Load() {
			// Replicas sharing the store drop what they cached of
			// these documents, and their scheduler looks again.
			return tx.Notify(TopicResources)
		}
		return nil
	})
	if touched.Load() {
		w.gen.Add(1)
		w.changed()
	}
	if err != nil {
		return err
	}
	if w.onJob != nil {
		for _, c := range *changes {
			w.onJob(c)
		}
	}
	if w.runnable != nil {
		w.runnable(*changes)
	}
	return nil
}

type watchedTx struct {
	store.Tx
	gen     *atomic.Uint64
	touched *atomic.Bool
	// changes collects the Update's job changes (noteChange).
	changes *[]JobChange
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

// genCache holds values read from resource documents — tags by ARN,
// decoded job queues and job definitions by reference — as of a
// generation. Values are shared: no caller may change one.
type genCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]any
}

// get returns the value cached under key at generation gen.
func (c *genCache) get(gen uint64, key string) (v any, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return nil, false
	}
	v, ok = c.entries[key]
	return v, ok
}

// put caches v under key, read at generation gen.
func (c *genCache) put(gen uint64, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.entries == nil {
		if gen < c.gen {
			return // read before a newer generation was seen: stale
		}
		c.gen, c.entries = gen, map[string]any{}
	}
	if len(c.entries) >= 10000 {
		clear(c.entries)
	}
	c.entries[key] = v
}

// cachedTags returns the tags of arn cached at gen.
func (s *Service) cachedTags(gen uint64, arn string) (map[string]string, bool) {
	v, ok := s.cache.get(gen, "tags\x00"+arn)
	if !ok {
		return nil, false
	}
	tags, _ := v.(map[string]string)
	return tags, true
}

// cachedQueue is loadQueue through the cache; gen is the generation noted
// before the transaction read anything.
func (s *Service) cachedQueue(tx store.Tx, gen uint64, nameOrARN string) (*JobQueueDetail, error) {
	return cached(s, gen, "jq\x00"+nameOrARN, func() (*JobQueueDetail, error) { return s.loadQueue(tx, nameOrARN) })
}

// cachedDefinition is resolveJobDefinition through the cache.
func (s *Service) cachedDefinition(tx store.Tx, gen uint64, ref string) (*JobDefinition, error) {
	return cached(s, gen, "jd\x00"+ref, func() (*JobDefinition, error) { return s.resolveJobDefinition(tx, ref) })
}

// cached returns the value under key at gen, or loads and caches it; an
// error is not cached.
func cached[T any](s *Service, gen uint64, key string, load func() (*T, error)) (*T, error) {
	if v, ok := s.cache.get(gen, key); ok {
		return v.(*T), nil
	}
	v, err := load()
	if err == nil {
		s.cache.put(gen, key, v)
	}
	return v, err
}
