package scheduler

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"batchd/internal/batch"
)

// Deciding is a pure function (decide) from what one pass read (a view)
// to what the pass then does (a plan): which RUNNABLE jobs start on which
// compute environment, why the job at the head of a queue waits, and which
// jobs a queue's jobStateTimeLimitActions cancel. The applier (pass) reads
// the view, decides, and carries the plan out; it alone talks to the
// store, IAM and the executors.

// view is what a decision reads.
type view struct {
	// What the host offers and what runs: used capacity by compute
	// environment and on the host.
	capacityUse
	now time.Time
	// queues that may dispatch, highest priority first, each with its
	// RUNNABLE jobs not yet in flight (jobs), oldest first.
	queues []*queueView
	// allowed: the compute environments whose service role may do the
	// work now (authorized).
	allowed map[string]bool
	// Fair-share usage by share, and the queues' blocked heads as the last
	// plan left them.
	shares  map[shareKey]shareUsage
	blocked map[string]blockInfo
}

// start is one attempt to start.
type start struct {
	queue *queueView
	ce    *ceView
	job   *batch.JobDetail
	need  Resources
}

// wait is a job at the head of its queue that no compute environment of
// the queue could ever hold, with AWS's statusReason for it.
type wait struct {
	queue  string
	job    *batch.JobDetail
	reason string
}

// cancel is a job a jobStateTimeLimitActions entry cancels.
type cancel struct {
	queue, jobID, reason string
}

// plan is what a pass does.
type plan struct {
	starts  []start
	waits   []wait
	cancels []cancel
	// blocked is the queues' blocked heads after this plan.
	blocked map[string]blockInfo
}

// planner is decide's working state: the view's usage as the plan so far
// leaves it.
type planner struct {
	capacityUse
	v      *view
	p      plan
	shares map[shareKey]shareUsage
}

// decide makes the plan for v. It reads v only.
func decide(v *view) plan {
	pl := &planner{capacityUse: v.capacityUse, v: v, shares: maps.Clone(v.shares), p: plan{blocked: maps.Clone(v.blocked)}}
	pl.ceUsed = maps.Clone(v.ceUsed)
	if pl.ceUsed == nil {
		pl.ceUsed = map[string]Resources{}
	}
	if pl.shares == nil {
		pl.shares = map[shareKey]shareUsage{}
	}
	if pl.p.blocked == nil {
		pl.p.blocked = map[string]blockInfo{}
	}
	seen := map[string]bool{}
	for _, q := range v.queues {
		seen[q.name()] = true
		pl.queue(q)
	}
	for q := range pl.p.blocked {
		if !seen[q] {
			delete(pl.p.blocked, q) // disabled or deleted: nothing blocks it
		}
	}
	pl.timeLimits()
	return pl.p
}

// placeOn is the first of ces with room for need whose service role may
// do the work, or nil.
func (pl *planner) placeOn(ces []*ceView, need Resources) *ceView {
	for _, c := range ces {
		if c.usable() && pl.v.allowed[c.name()] && need.fits(pl.free(c)) {
			return c
		}
	}
	return nil
}

// startJob adds an attempt of j on c to the plan.
func (pl *planner) startJob(q *queueView, c *ceView, j *batch.JobDetail, need Resources) {
	pl.p.starts = append(pl.p.starts, start{queue: q, ce: c, job: j, need: need})
	pl.ceUsed[c.name()] = pl.ceUsed[c.name()].add(need)
	pl.hostUsed = pl.hostUsed.add(need)
	if q.fair != nil {
		k := shareKey{q.name(), deref(j.ShareIdentifier)}
		u := pl.shares[k]
		u.running += need.VCPUs
		pl.shares[k] = u
	}
	if b, ok := pl.p.blocked[q.name()]; ok && b.jobID == j.JobId {
		delete(pl.p.blocked, q.name())
	}
}

// block records that j, at the head of q, cannot be placed, and why.
func (pl *planner) block(q *queueView, j *batch.JobDetail, why string) {
	b, ok := pl.p.blocked[q.name()]
	if !ok || b.jobID != j.JobId || b.reason != why {
		b = blockInfo{jobID: j.JobId, reason: why, since: pl.v.now}
	}
	pl.p.blocked[q.name()] = b
	if deref(j.StatusReason) != why {
		pl.p.waits = append(pl.p.waits, wait{queue: q.name(), job: j, reason: why})
	}
}

// usableCEs are q's compute environments that may take work, and whether
// every one of them is INVALID.
func usableCEs(q *queueView) (usable []*ceView, allInvalid bool) {
	allInvalid = len(q.ces) > 0
	for _, c := range q.ces {
		if c.detail.Status != batch.CEStatusInvalid {
			allInvalid = false
		}
		if c.usable() {
			usable = append(usable, c)
		}
	}
	return usable, allInvalid
}

// queue plans what fits of q's RUNNABLE jobs.
func (pl *planner) queue(q *queueView) {
	usable, allInvalid := usableCEs(q)
	if len(usable) == 0 {
		if allInvalid && len(q.jobs) > 0 {
			pl.block(q, &q.jobs[0], reasonInvalidCEs)
			return
		}
		delete(pl.p.blocked, q.name())
		return
	}
	if !pl.anyRoom(usable) {
		return // what blocks it (if anything) is as it was
	}
	if q.fair != nil {
		pl.fair(q, usable)
		return
	}
	for i := range q.jobs {
		j := &q.jobs[i]
		need := jobNeeds(j.Container)
		if why := unplaceable(need, usable, pl.host); why != "" {
			pl.block(q, j, why)
			return
		}
		c := pl.placeOn(usable, need)
		if c == nil {
			break // the head waits for room; FIFO: nothing passes it
		}
		pl.startJob(q, c, j, need)
	}
	delete(pl.p.blocked, q.name())
}

// fair plans a fair-share queue's jobs: the share with the least weighted
// usage first, within it the highest schedulingPriority, then the oldest;
// computeReservation is held back for share identifiers that are not
// active.
func (pl *planner) fair(q *queueView, usable []*ceView) {
	type pending struct {
		id   string
		jobs []*batch.JobDetail
	}
	byShare := map[string]*pending{}
	var order []*pending
	for i := range q.jobs {
		id := deref(q.jobs[i].ShareIdentifier)
		p := byShare[id]
		if p == nil {
			p = &pending{id: id}
			byShare[id] = p
			order = append(order, p)
		}
		p.jobs = append(p.jobs, &q.jobs[i])
	}
	for _, p := range order {
		slices.SortStableFunc(p.jobs, func(a, b *batch.JobDetail) int {
			return cmp.Compare(deref(b.SchedulingPriority), deref(a.SchedulingPriority))
		})
	}
	// Active shares: pre-RUNNING jobs (here, RUNNABLE) or work in flight.
	activeSet := map[string]bool{}
	for id := range byShare {
		activeSet[id] = true
	}
	running := 0.0
	for k, u := range pl.shares {
		if k.queue == q.name() && u.running > eps {
			activeSet[k.share] = true
			running += u.running
		}
	}
	active := make([]string, 0, len(activeSet))
	for id := range activeSet {
		active = append(active, id)
	}
	slices.Sort(active)
	capacity := 0.0
	for _, c := range usable {
		capacity += c.capacity.VCPUs
	}
	capacity = min(capacity, pl.host.VCPUs)
	allowed := (1 - reserved(q.fair, len(active))) * capacity

	for {
		var best *pending
		var bestKey float64
		for _, p := range order {
			if len(p.jobs) == 0 {
				continue
			}
			u := pl.shares[shareKey{q.name(), p.id}]
			key := weight(q.fair, p.id, active) * u.usage()
			if best == nil || key < bestKey-eps || math.Abs(key-bestKey) <= eps && olderHead(p.jobs[0], best.jobs[0]) {
				best, bestKey = p, key
			}
		}
		if best == nil {
			break
		}
		j := best.jobs[0]
		need := jobNeeds(j.Container)
		if why := unplaceable(need, usable, pl.host); why != "" {
			pl.block(q, j, why)
			return
		}
		if running+need.VCPUs > allowed+eps {
			break // the rest is reserved for share identifiers to come
		}
		c := pl.placeOn(usable, need)
		if c == nil {
			break
		}
		pl.startJob(q, c, j, need)
		running += need.VCPUs
		best.jobs = best.jobs[1:]
	}
	delete(pl.p.blocked, q.name())
}

// timeLimits cancels the jobs that have blocked their queue for the
// maxTimeSeconds of a jobStateTimeLimitActions entry naming the reason
// (AWS Batch User Guide, "Automatic remediation with
// jobStateTimeLimitActions").
func (pl *planner) timeLimits() {
	for _, q := range pl.v.queues {
		b, ok := pl.p.blocked[q.name()]
		if !ok || len(q.detail.JobStateTimeLimitActions) == 0 {
			continue
		}
		code, _, _ := strings.Cut(b.reason, " - ")
		for _, a := range q.detail.JobStateTimeLimitActions {
			if a.State != batch.JobStatusRunnable || a.Action != batch.JobStateTimeLimitActionsActionCancel || a.Reason != code || a.MaxTimeSeconds == nil {
				continue
			}
			if pl.v.now.Sub(b.since) < time.Duration(*a.MaxTimeSeconds)*time.Second {
				continue
			}
			pl.p.cancels = append(pl.p.cancels, cancel{queue: q.name(), jobID: b.jobID, reason: reasonTimeLimit + code})
			delete(pl.p.blocked, q.name())
			break
		}
	}
}
