package scheduler

import (
	"cmp"
	"math"
	"strings"
	"time"

	"batchd/internal/batch"
)

// Fair-share scheduling (AWS Batch User Guide, "Fair share scheduling
// policies", "Share identifiers"; API Reference, FairsharePolicy): "The
// AWS Batch scheduler tracks usage for each fair share identifier by using
// the vcpu_used_over_time * weight_factor formula. The scheduler picks
// jobs with the lowest usage from the share identifier."

// shareKey is a share identifier within a job queue: "Share identifiers
// are unique within a job queue and are not aggregated across job queues".
type shareKey struct{ queue, share string }

// shareUsage is a share identifier's vCPU use.
type shareUsage struct {
	running float64 // vCPUs of its attempts in flight
	// decayed is running averaged over time with time constant decay
	// (shareDecaySeconds): a share that ran a lot recently weighs more.
	decayed float64
	decay   time.Duration
}

// usage is what orders shares: the larger of the running vCPUs and their
// decayed average.
func (u *shareUsage) usage() float64 { return max(u.running, u.decayed) }

// shareUsage returns the usage of k, created on first use.
func (s *Scheduler) shareUsage(k shareKey, p *batch.FairsharePolicy) *shareUsage {
	u := s.shares[k]
	if u == nil {
		u = &shareUsage{}
		s.shares[k] = u
	}
	if p != nil {
		u.decay = shareDecay(deref(p.ShareDecaySeconds))
	}
	return u
}

// shareDecay is the time window of a policy's shareDecaySeconds: "A value
// of zero (0) indicates the default minimum time window (600 seconds)"
// (AWS Batch API Reference, FairsharePolicy; older revisions of that page
// said zero measured only current usage).
func shareDecay(seconds int32) time.Duration {
	if seconds <= 0 {
		seconds = 600
	}
	return time.Duration(seconds) * time.Second
}

// decayShares moves each share's decayed usage toward its running vCPUs
// for the time since the last pass, and forgets shares with nothing left.
func (s *Scheduler) decayShares(now time.Time) {
	dt := now.Sub(s.lastDecay)
	if s.lastDecay.IsZero() || dt < 0 {
		dt = 0
	}
	s.lastDecay = now
	for k, u := range s.shares {
		if u.decay <= 0 {
			u.decayed = 0
		} else if dt > 0 {
			f := math.Exp(-float64(dt) / float64(u.decay))
			u.decayed = u.decayed*f + u.running*(1-f)
		}
		if u.running <= eps && u.decayed < 1e-9 {
			delete(s.shares, k)
		}
	}
}

// weight is a share identifier's weightFactor (default 1; "A lower value
// has a higher priority"). A prefix entry "UserA*" covers every identifier
// it begins, each weighing weightFactor times the number of active
// identifiers it covers ("if there are two fair share identifiers that
// begin with UserA, then each of those fair share identifiers will have a
// weight of 2").
func weight(p *batch.FairsharePolicy, share string, active []string) float64 {
	for _, d := range p.ShareDistribution {
		w := 1.0
		if d.WeightFactor != nil && *d.WeightFactor > 0 {
			w = *d.WeightFactor
		}
		if prefix, ok := strings.CutSuffix(d.ShareIdentifier, "*"); ok {
			if !strings.HasPrefix(share, prefix) {
				continue
			}
			n := 0
			for _, a := range active {
				if strings.HasPrefix(a, prefix) {
					n++
				}
			}
			return w * float64(max(n, 1))
		}
		if d.ShareIdentifier == share {
			return w
		}
	}
	return 1
}

// reserved is the fraction of a queue's vCPUs computeReservation keeps for
// share identifiers not active yet: (computeReservation/100)^activeShares.
func reserved(p *batch.FairsharePolicy, active int) float64 {
	cr := deref(p.ComputeReservation)
	if cr <= 0 || active <= 0 {
		return 0
	}
	return math.Pow(float64(cr)/100, float64(active))
}

// olderHead reports whether job a was created before b (ties: job ID).
func olderHead(a, b *batch.JobDetail) bool {
	if c := cmp.Compare(deref(a.CreatedAt), deref(b.CreatedAt)); c != 0 {
		return c < 0
	}
	return a.JobId < b.JobId
}
