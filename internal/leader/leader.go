// Package leader chooses, through the store every replica shares, the one
// batchd replica that runs the job evaluator, the scheduler and job
// expiry: the leader. Every replica serves the API; only the leader moves
// jobs on and runs them.
//
// The choice is a lease: one document (kind "lease", key "scheduler")
// naming its holder, a fencing token and a heartbeat counter, changed only
// in store Updates, which are serializable across replicas.
//
//   - The leader renews every TTL/6 by raising the heartbeat, after checking
//     that it still holds the lease with its token.
//   - A replica that wants the lease takes it when it finds none, or when
//     it has seen the same holder, token and heartbeat for a whole TTL by
//     its own monotonic clock; it raises the token as it takes it.
//   - The leader's own work runs under a context that ends — deposed —
//     TTL/2 after the start of its last renewal that committed, unless a
//     later one commits first, or at once when a renewal finds the lease
//     held by another. Every store write of that work is fenced
//     (store.WithFence): it first checks the lease still names this
//     replica with its token, and writes nothing otherwise.
//
// The guarantee: a renewal that commits at time c started at s <= c; a
// contender sees its heartbeat no sooner than c and takes the lease no
// sooner than c+TTL; the leader is deposed at s+TTL/2 at the latest. So a
// deposed leader has TTL/2 (3 s with the default TTL of 6 s), less the
// drift of the two clocks' rates, to stop its attempts before another
// replica may start them again; it kills them at once (the scheduler's
// abandon). Offsets between the replicas' clocks do not matter: each
// measures only its own intervals. A write the deposed leader attempts
// after that is refused by the fence, so nothing it no longer owns
// changes. Failover: a leader that dies is replaced TTL to TTL plus one
// poll (TTL/6) after its last renewal, 6-7 s by default; one that stops
// gracefully gives the lease up, and another takes it within a poll.
//
// A replica alone on its store (SQLite: batchd locks the data dir, so no
// other process opens it; Config.Alone) still holds the lease, but its
// writes go unfenced and it is never deposed for want of renewals: no one
// could take over.
package leader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"batchd/internal/store"
)

// DefaultTTL is the lease's time to live.
const DefaultTTL = 6 * time.Second

// warnEvery bounds how often the same failed renewal is logged.
const warnEvery = 30 * time.Second

const (
	kindLease = "lease"
	keyLease  = "scheduler"
)

// ErrDeposed ends a leader's work: it no longer holds the lease, or could
// not renew it in time. It is the cause of the work's context, and the
// error of its fenced writes.
var ErrDeposed = errors.New("leader: this replica no longer leads")

// Config sets up an Elector.
type Config struct {
	Store store.Store
	// ID names this replica (its instance); replicas must have distinct
	// IDs.
	ID string
	// TTL is the lease's time to live; 0 is DefaultTTL.
	TTL time.Duration
	// Alone says that no other process can open the store (SQLite, whose
	// data dir batchd locks): no other replica can take the lease, so the
	// leader's writes go unfenced, a point read fewer each, and a store
	// that cannot be written for a while (a full disk) does not depose it
	// (its jobs go on, as they did before replicas).
	Alone bool
	Log   *slog.Logger
}

// Term is one replica's time as leader.
type Term struct {
	// Token is the lease's fencing token in this term; each term has a
	// larger one than the term before.
	Token uint64
	// Previous is the replica that led before ("" when none did): the
	// attempts it was running are lost with it.
	Previous string
}

// lease is the lease document.
type lease struct {
	Holder string `json:"holder"` // "" when given up
	Token  uint64 `json:"token"`
	Beat   uint64 `json:"beat"`
}

// Elector campaigns for the lease and runs the leader's work.
type Elector struct {
	cfg     Config
	log     *slog.Logger
	leading atomic.Bool
	term    atomic.Uint64
}

// New returns an Elector.
func New(cfg Config) *Elector {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Elector{cfg: cfg, log: log}
}

// Leading reports whether this replica leads now.
func (e *Elector) Leading() bool { return e.leading.Load() }

// Token is the fencing token of the current or last term (0: none yet).
func (e *Elector) Token() uint64 { return e.term.Load() }

// Run campaigns until ctx ends. Each time this replica becomes leader it
// calls lead with a context whose cause, when it ends, is ErrDeposed
// (the lease was lost: stop the work at once) or ctx's (batchd stops:
// the lease is still held, and renewed, until lead returns, then given
// up). Every store Update made under that context is fenced. lead's
// error is logged; a lead that returns early gives the lease up.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, term Term) error) error {
	poll := e.cfg.TTL / 6
	var seen lease
	var seenAt time.Time
	for {
		term, won, err := e.campaign(ctx, &seen, &seenAt)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			e.log.Warn("leader election: reading the lease failed; trying again (check that this replica reaches the database)", "err", err)
		case won:
			e.serve(ctx, term, lead)
			seen, seenAt = lease{}, time.Time{}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// campaign takes the lease when it is free, given up, this replica's own
// (a batchd restarted with the same ID), or unchanged for a TTL since
// seenAt.
func (e *Elector) campaign(ctx context.Context, seen *lease, seenAt *time.Time) (Term, bool, error) {
	var term Term
	won := false
	err := e.cfg.Store.Update(ctx, func(tx store.Tx) error {
		won = false
		cur, found, err := store.GetJSON[lease](tx, kindLease, keyLease)
		if err != nil {
			return err
		}
		take := !found || cur.Holder == "" || cur.Holder == e.cfg.ID
		if !take {
			if *cur != *seen {
				*seen, *seenAt = *cur, time.Now()
				return nil
			}
			take = time.Since(*seenAt) >= e.cfg.TTL
		}
		if !take {
			return nil
		}
		next := lease{Holder: e.cfg.ID, Token: 1}
		if found {
			next.Token = cur.Token + 1
			term.Previous = cur.Holder
		}
		term.Token = next.Token
		won = true
		return store.PutJSON(tx, kindLease, keyLease, &next)
	})
	if err != nil {
		return Term{}, false, err
	}
	return term, won, nil
}

// serve runs lead for one term, renewing the lease until lead returned.
func (e *Elector) serve(ctx context.Context, term Term, lead func(context.Context, Term) error) {
	start := time.Now()
	e.term.Store(term.Token)
	e.leading.Store(true)
	defer e.leading.Store(false)
	e.log.Info("leader: this replica leads", "replica", e.cfg.ID, "token", term.Token, "previous", term.Previous)

	fence := func(tx store.Tx) error {
		_, err := e.held(tx, term)
		return err
	}
	// The work's context keeps ctx's values, not its end: on shutdown the
	// work ends first, while the lease is still renewed.
	base := context.WithoutCancel(ctx)
	if !e.cfg.Alone {
		base = store.WithFence(base, fence)
	}
	work, stop := context.WithCancelCause(base)
	done := make(chan error, 1)
	go func() { done <- lead(work, term) }()

	deadline := start.Add(e.cfg.TTL / 2)
	tick := time.NewTicker(e.cfg.TTL / 6)
	defer tick.Stop()
	deposed := func(why string) {
		e.log.Error("leader: this replica no longer leads; its attempts are stopped, and another replica runs them again under their retry strategy (if this repeats, check this replica's database connection and load)", "replica", e.cfg.ID, "token", term.Token, "why", why)
		stop(ErrDeposed)
	}
	ctxDone := ctx.Done()
	var lastWarn string
	var warnedAt time.Time
	for {
		select {
		case err := <-done:
			stop(context.Canceled)
			if err != nil && ctx.Err() == nil {
				e.log.Error("leader: the leader's work ended", "err", err)
			}
			if !errors.Is(context.Cause(work), ErrDeposed) {
				e.resign(term)
			}
			return
		case <-ctxDone:
			ctxDone = nil // once: the work ends, the lease is renewed until it has
			stop(context.Canceled)
		case <-tick.C:
		}
		if errors.Is(context.Cause(work), ErrDeposed) {
			continue // waiting for lead to return
		}
		if time.Now().After(deadline) && !e.cfg.Alone {
			deposed("the lease could not be renewed in time")
			continue
		}
		began := time.Now()
		rdeadline := deadline
		if e.cfg.Alone {
			rdeadline = began.Add(e.cfg.TTL)
		}
		rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), rdeadline)
		err := e.cfg.Store.Update(rctx, func(tx store.Tx) error {
			cur, err := e.held(tx, term)
			if err != nil {
				return err
			}
			cur.Beat++
			return store.PutJSON(tx, kindLease, keyLease, cur)
		})
		cancel()
		switch {
		case errors.Is(err, ErrDeposed):
			deposed("another replica holds the lease")
		case err != nil:
			// Said again only when it changes, or every warnEvery (a
			// full disk fails every renewal).
			if msg := err.Error(); msg != lastWarn || time.Since(warnedAt) >= warnEvery {
				lastWarn, warnedAt = msg, time.Now()
				e.log.Warn("leader: renewing the lease failed; this replica stops leading unless a renewal succeeds in time (check its database connection)", "err", err, "deposedIn", time.Until(deadline).Round(time.Millisecond))
			}
		default:
			lastWarn = ""
			deadline = began.Add(e.cfg.TTL / 2)
		}
	}
}

// held returns the lease when it names this replica with term's token,
// else ErrDeposed.
func (e *Elector) held(tx store.Tx, term Term) (*lease, error) {
	cur, found, err := store.GetJSON[lease](tx, kindLease, keyLease)
	if err != nil {
		return nil, err
	}
	if !found || cur.Holder != e.cfg.ID || cur.Token != term.Token {
		return nil, ErrDeposed
	}
	return cur, nil
}

// resign gives the lease up, so that another replica takes it within a
// poll; the token stays, for the next term to raise.
func (e *Elector) resign(term Term) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.TTL)
	defer cancel()
	err := e.cfg.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := e.held(tx, term)
		if errors.Is(err, ErrDeposed) {
			return nil // another replica's already
		}
		if err != nil {
			return err
		}
		cur.Holder = ""
		return store.PutJSON(tx, kindLease, keyLease, cur)
	})
	if err != nil {
		e.log.Warn("leader: giving the lease up failed; another replica takes it after its TTL", "err", err)
		return
	}
	e.log.Info("leader: this replica gave the lease up", "replica", e.cfg.ID, "token", term.Token)
}

// Holder reads who holds the lease now ("" when no one does).
func Holder(ctx context.Context, st store.Store) (string, uint64, error) {
	var l lease
	err := st.View(ctx, func(tx store.Tx) error {
		cur, found, err := store.GetJSON[lease](tx, kindLease, keyLease)
		if err != nil || !found {
			return err
		}
		l = *cur
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("leader: reading the lease: %w", err)
	}
	return l.Holder, l.Token, nil
}
