package leader

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

// cut is a store whose Updates fail once cut is set: a replica that lost
// the database.
type cut struct {
	store.Store
	off atomic.Bool
}

var errCut = errors.New("the database is out of reach")

func (c *cut) Update(ctx context.Context, fn func(store.Tx) error) error {
	if c.off.Load() {
		return errCut
	}
	return c.Store.Update(ctx, fn)
}

// term records one replica's time as leader.
type term struct {
	id         string
	token      uint64
	previous   string
	start, end time.Time
	cause      error
}

type record struct {
	mu    sync.Mutex
	terms []term
}

// lead is the work each elector runs: it holds until its context ends and
// notes when, then writes under that context (the fence decides).
func (r *record) lead(id string, st store.Store, proceed <-chan struct{}, wrote chan<- error) func(ctx context.Context, t Term) error {
	return func(ctx context.Context, t Term) error {
		start := time.Now()
		<-ctx.Done()
		end := time.Now()
		r.mu.Lock()
		r.terms = append(r.terms, term{id: id, token: t.Token, previous: t.Previous, start: start, end: end, cause: context.Cause(ctx)})
		r.mu.Unlock()
		if wrote != nil {
			<-proceed
			wrote <- st.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return tx.Put("work", id, []byte("late")) })
		}
		return nil
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A replica that loses the database is deposed within TTL/2 of its last
// renewal, its late write refused by the fence; the other takes over only
// after a TTL, with a larger token, naming the one before: the two terms
// never overlap.
func TestFailoverNoOverlap(t *testing.T) {
	t.Parallel()
	const ttl = 300 * time.Millisecond
	shared := memstore.New()
	a := &cut{Store: shared}
	var rec record
	wrote := make(chan error, 1)
	proceed := make(chan struct{})
	ea := New(Config{Store: a, ID: "a", TTL: ttl})
	eb := New(Config{Store: shared, ID: "b", TTL: ttl})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ea.Run(ctx, rec.lead("a", a, proceed, wrote)) }()
	waitFor(t, "a leads", 2*time.Second, ea.Leading)
	go func() { defer wg.Done(); eb.Run(ctx, rec.lead("b", shared, nil, nil)) }()
	time.Sleep(2 * ttl)
	if eb.Leading() || !ea.Leading() {
		t.Fatalf("while a renews: a leads %v, b leads %v", ea.Leading(), eb.Leading())
	}
	a.off.Store(true)
	lost := time.Now()
	waitFor(t, "b leads", 5*ttl, eb.Leading)
	// With the database back, a's late write under its work's context is
	// refused by the fence: the lease is b's.
	a.off.Store(false)
	close(proceed)
	if err := <-wrote; !errors.Is(err, ErrDeposed) {
		t.Fatalf("a's late write: %v, want ErrDeposed", err)
	}
	cancel()
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.terms) < 2 {
		t.Fatalf("terms %+v", rec.terms)
	}
	ta, tb := rec.terms[0], rec.terms[1]
	if ta.id != "a" || tb.id != "b" || !errors.Is(ta.cause, ErrDeposed) {
		t.Fatalf("terms %+v", rec.terms)
	}
	if !tb.start.After(ta.end) {
		t.Fatalf("b began at %v, before a's work ended at %v", tb.start, ta.end)
	}
	if d := ta.end.Sub(lost); d > ttl/2+ttl/6+50*time.Millisecond {
		t.Errorf("a was deposed %v after losing the database; want within TTL/2 of its last renewal", d)
	}
	if tb.token <= ta.token || tb.previous != "a" {
		t.Errorf("b's term: token %d (a's %d), previous %q", tb.token, ta.token, tb.previous)
	}
	err := shared.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.Get("work", "a")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a's late write landed: %v", err)
	}
}

// A leader that stops gives the lease up after its work ended, and
// another replica takes it within a poll, not a TTL.
func TestGracefulHandover(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	shared := memstore.New()
	var rec record
	ea := New(Config{Store: shared, ID: "a", TTL: ttl})
	eb := New(Config{Store: shared, ID: "b", TTL: ttl})
	actx, stopA := context.WithCancel(context.Background())
	bctx, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA := make(chan error, 1)
	go func() { doneA <- ea.Run(actx, rec.lead("a", shared, nil, nil)) }()
	waitFor(t, "a leads", 2*time.Second, ea.Leading)
	doneB := make(chan error, 1)
	go func() { doneB <- eb.Run(bctx, rec.lead("b", shared, nil, nil)) }()
	time.Sleep(100 * time.Millisecond)
	stopped := time.Now()
	stopA()
	<-doneA
	waitFor(t, "b leads", ttl, eb.Leading)
	if d := time.Since(stopped); d >= ttl {
		t.Errorf("handover took %v", d)
	}
	if holder, _, err := Holder(context.Background(), shared); err != nil || holder != "b" {
		t.Errorf("holder %q, %v", holder, err)
	}
	stopB()
	<-doneB
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if errors.Is(rec.terms[0].cause, ErrDeposed) {
		t.Errorf("a stopped, yet its work was told it was deposed")
	}
}

// A replica restarted under its own ID (its previous process died
// holding the lease) takes its lease back at once, with a new token;
// another ID waits for the TTL.
func TestRestartTakesOwnLease(t *testing.T) {
	t.Parallel()
	shared := memstore.New()
	err := shared.Update(context.Background(), func(tx store.Tx) error {
		return store.PutJSON(tx, kindLease, keyLease, &lease{Holder: "a", Token: 5, Beat: 99})
	})
	if err != nil {
		t.Fatal(err)
	}
	var rec record
	other := New(Config{Store: shared, ID: "b", TTL: time.Hour})
	e := New(Config{Store: shared, ID: "a", TTL: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); other.Run(ctx, rec.lead("b", shared, nil, nil)) }()
	go func() { defer wg.Done(); e.Run(ctx, rec.lead("a", shared, nil, nil)) }()
	waitFor(t, "a leads", 2*time.Second, e.Leading)
	if e.Token() != 6 || other.Leading() {
		t.Errorf("token %d, b leads %v", e.Token(), other.Leading())
	}
	cancel()
	wg.Wait()
}

// Alone on its store (SQLite), a leader that cannot write for a while
// (a full disk) keeps leading: no one else could take over.
func TestAloneIsNotDeposed(t *testing.T) {
	t.Parallel()
	const ttl = 300 * time.Millisecond
	st := &cut{Store: memstore.New()}
	e := New(Config{Store: st, ID: "batchd", TTL: ttl, Alone: true})
	var rec record
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, rec.lead("batchd", st, nil, nil)) }()
	waitFor(t, "it leads", 2*time.Second, e.Leading)
	st.off.Store(true)
	time.Sleep(3 * ttl)
	if !e.Leading() {
		t.Fatal("deposed while alone")
	}
	st.off.Store(false)
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.terms) != 1 || errors.Is(rec.terms[0].cause, ErrDeposed) {
		t.Fatalf("terms %+v", rec.terms)
	}
}
