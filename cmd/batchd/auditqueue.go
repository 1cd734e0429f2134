package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"batchd/internal/store"
)

// kindAudit holds the audit records calls committed with their writes,
// until the trail's file has them (server.AuditQueue).
const kindAudit = "audit-queue"

// auditQueue is the store's server.AuditQueue, and the commit hook that
// fills it (server.Config.WithCommitHook).
type auditQueue struct {
	st  store.Store
	seq atomic.Uint64
	// prefix keeps this replica's records apart from those of the others
	// that share the store ("<replica id>/"); "" alone on the store.
	prefix string
}

// key orders records as their calls wrote them, across restarts.
func (q *auditQueue) key() string {
	return fmt.Sprintf("%s%020d-%010d", q.prefix, time.Now().UnixNano(), q.seq.Add(1))
}

// withCommitHook is server.Config.WithCommitHook.
func (q *auditQueue) withCommitHook(ctx context.Context, prepare func() []byte, done func(committed bool)) context.Context {
	return store.WithCommitHook(ctx, &store.CommitHook{
		Prepare: func() func(store.Tx) error {
			rec := prepare()
			if rec == nil {
				return nil
			}
			key := q.key()
			return func(tx store.Tx) error { return tx.Put(kindAudit, key, rec) }
		},
		Done: done,
	})
}

func (q *auditQueue) Pending(ctx context.Context, n int) (keys []string, records [][]byte, err error) {
	err = q.st.View(ctx, func(tx store.Tx) error {
		items, err := tx.List(kindAudit, q.prefix, "", n)
		for _, it := range items {
			keys, records = append(keys, it.Key), append(records, it.Value)
		}
		return err
	})
	return keys, records, err
}

// Remove is lazy: lost in a crash of the machine, the records are found
// at the end of the file at the next start, and not written twice.
func (q *auditQueue) Remove(ctx context.Context, keys []string) error {
	return q.st.Update(store.Lazy(ctx), func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Delete(kindAudit, k); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}
