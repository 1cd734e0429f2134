package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"batchd/internal/store"
)

// Finished jobs do not stay forever: AWS Batch keeps a job's details for
// at least 7 days after it ends, then they are gone from DescribeJobs and
// ListJobs. ExpireJobs removes, in the order they ended, the jobs that
// ended before a time — each with its listing entries and, for an array,
// its children — so that the store holds what the retention keeps and no
// more. Their output stays in CloudWatch Logs for the log group's
// retention.

// endedKey is r's kindJobEnded key.
func endedKey(r *jobRecord) string { return pad20(r.StoppedAt) + "\x00" + r.ID }

// ExpireJobs removes up to limit jobs (array parents with their children)
// that ended before before, oldest first, and returns how many it
// removed. A job that ended before batchd kept kindJobEnded entries is
// not seen.
func (s *Service) ExpireJobs(ctx context.Context, before time.Time, limit int) (int, error) {
	cutoff := before.UnixMilli()
	n := 0
	err := s.store.Update(ctx, func(tx store.Tx) error {
		n = 0
		items, err := tx.List(kindJobEnded, "", "", limit)
		if err != nil {
			return err
		}
		for _, it := range items {
			at, id, ok := strings.Cut(it.Key, "\x00")
			stopped, err := strconv.ParseInt(at, 10, 64)
			if !ok || err != nil {
				return fmt.Errorf("batch: bad %s key %q", kindJobEnded, it.Key)
			}
			if stopped >= cutoff {
				break
			}
			if err := s.removeJob(tx, id); err != nil {
				return fmt.Errorf("batch: expiring job %s: %w", id, err)
			}
			if err := tx.Delete(kindJobEnded, it.Key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// removeJob deletes a finished job that is no array child: its document,
// its listing entry, the dependency entries naming it and, for an array
// parent, each child's document, listing and dependency entries.
func (s *Service) removeJob(tx store.Tx, id string) error {
	r, found, err := getJob(tx, id)
	if err != nil || !found {
		return err // gone already: nothing to remove
	}
	if !terminal(r.Status) || r.isChild() {
		return fmt.Errorf("job %s is %s, not a finished job", id, r.Status)
	}
	del := func(kind, key string) error {
		if err := tx.Delete(kind, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	dropDeps := func(dep string) error {
		items, err := tx.List(kindDeps, dep+"\x00", "", 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := del(kindDeps, it.Key); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range r.Size {
		cid := childID(r.ID, i)
		c, found, err := getJob(tx, cid)
		if err != nil {
			return err
		}
		if found {
			if err := del(kindArrIdx, arrKey(r.ID, c.Status, i)); err != nil {
				return err
			}
		}
		if err := del(kindJob, cid); err != nil {
			return err
		}
		if err := dropDeps(cid); err != nil {
			return err
		}
	}
	if err := del(kindJobIdx, idxKey(r.Queue, r.Status, r.CreatedAt, r.ID)); err != nil {
		return err
	}
	if err := dropDeps(r.ID); err != nil {
		return err
	}
	return del(kindJob, r.ID)
}

// expireEvery is how often RunExpiry looks for jobs to remove, and
// expireBatch how many it removes per transaction.
const (
	expireEvery = time.Minute
	expireBatch = 500
)

// RunExpiry removes the jobs that ended more than retention ago, at start
// and every minute (half the retention when that is shorter), until ctx is
// done; then it returns nil. It returns ExpireJobs' error, if any.
func (s *Service) RunExpiry(ctx context.Context, retention time.Duration) error {
	tick := time.NewTicker(min(expireEvery, max(retention/2, 100*time.Millisecond)))
	defer tick.Stop()
	for {
		for {
			n, err := s.ExpireJobs(ctx, s.now().Add(-retention), expireBatch)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			if n < expireBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
