package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"batchd/internal/batch"
)

// Table tests of decide, the pure decision: a view in, a plan out.

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func ce(name string, maxv int32) *ceView {
	d := &batch.ComputeEnvironmentDetail{ComputeEnvironmentName: name, State: batch.CEStateEnabled, Status: batch.CEStatusValid, Type: batch.CETypeManaged,
		ComputeResources: &batch.ComputeResource{MaxvCpus: ptr(maxv)}}
	return &ceView{detail: d, capacity: ceCapacity(d, Resources{VCPUs: 8, MemoryMiB: 16384})}
}

// jobs are RUNNABLE jobs "name:vcpus[:share[:priority]]", oldest first.
func jobs(specs ...string) []batch.JobDetail {
	var out []batch.JobDetail
	for i, spec := range specs {
		f := strings.Split(spec, ":")
		var v int32
		fmt.Sscan(f[1], &v)
		j := batch.JobDetail{JobId: f[0], CreatedAt: ptr(int64(i)), Container: &batch.ContainerDetail{Vcpus: ptr(v)}}
		if len(f) > 2 {
			j.ShareIdentifier = ptr(f[2])
		}
		if len(f) > 3 {
			var p int32
			fmt.Sscan(f[3], &p)
			j.SchedulingPriority = ptr(p)
		}
		out = append(out, j)
	}
	return out
}

func fifoQueue(name string, ces []*ceView, js []batch.JobDetail) *queueView {
	return &queueView{detail: &batch.JobQueueDetail{JobQueueName: name}, ces: ces, jobs: js}
}

func allowAll(ces ...*ceView) map[string]bool {
	m := map[string]bool{}
	for _, c := range ces {
		m[c.name()] = true
	}
	return m
}

// started lists the plan's starts as "job@ce".
func started(p plan) []string {
	var out []string
	for _, s := range p.starts {
		out = append(out, s.job.JobId+"@"+s.ce.name())
	}
	return out
}

func TestDecide(t *testing.T) {
	small, big := ce("small", 2), ce("big", 8)
	fair := func(js []batch.JobDetail, fp *batch.FairsharePolicy) *queueView {
		q := fifoQueue("fq", []*ceView{big}, js)
		q.fair = fp
		return q
	}
	tests := []struct {
		name        string
		v           view
		wantStarts  []string
		wantWait    string // "job reason-prefix"
		wantBlocked string // queue whose head is blocked
		wantCancel  string
	}{
		{"FIFO fills the first compute environment, then the next",
			view{queues: []*queueView{fifoQueue("q", []*ceView{small, big}, jobs("a:1", "b:1", "c:2", "d:1"))}},
			[]string{"a@small", "b@small", "c@big", "d@big"}, "", "", ""},
		{"FIFO: a head that waits for room holds the jobs behind it",
			view{queues: []*queueView{fifoQueue("q", []*ceView{big}, jobs("a:6", "b:4", "c:1"))}},
			[]string{"a@big"}, "", "", ""},
		{"a higher-priority queue is served first",
			view{queues: []*queueView{fifoQueue("hi", []*ceView{small}, jobs("h1:2")), fifoQueue("lo", []*ceView{small}, jobs("l1:1"))}},
			[]string{"h1@small"}, "", "", ""},
		{"what runs counts",
			view{queues: []*queueView{fifoQueue("q", []*ceView{small}, jobs("a:1", "b:1"))}, capacityUse: capacityUse{ceUsed: map[string]Resources{"small": {VCPUs: 1}}, hostUsed: Resources{VCPUs: 1}}},
			[]string{"a@small"}, "", "", ""},
		{"a head no compute environment can hold waits with AWS's reason",
			view{queues: []*queueView{fifoQueue("q", []*ceView{small}, jobs("huge:4", "b:1"))}},
			nil, "huge MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "q", ""},
		{"more than the host has",
			view{queues: []*queueView{fifoQueue("q", []*ceView{big}, jobs("huge:64"))}},
			nil, "huge MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "q", ""},
		{"a compute environment whose service role is refused is passed over",
			view{queues: []*queueView{fifoQueue("q", []*ceView{small, big}, jobs("a:1"))}, allowed: map[string]bool{"small": false, "big": true}},
			[]string{"a@big"}, "", "", ""},
		{"fair share: the share with the least usage first",
			view{queues: []*queueView{fair(jobs("a1:2:A", "a2:2:A", "b1:2:B"), &batch.FairsharePolicy{})},
				shares: map[shareKey]shareUsage{{"fq", "A"}: {running: 2}}, capacityUse: capacityUse{ceUsed: map[string]Resources{"big": {VCPUs: 2}}, hostUsed: Resources{VCPUs: 2}}},
			[]string{"b1@big", "a1@big", "a2@big"}, "", "", ""},
		{"fair share: schedulingPriority orders a share's jobs",
			view{queues: []*queueView{fair(jobs("low:1:A:1", "high:1:A:9"), &batch.FairsharePolicy{})}},
			[]string{"high@big", "low@big"}, "", "", ""},
		{"fair share: computeReservation holds vCPUs back for shares to come",
			view{queues: []*queueView{fair(jobs("a1:2:A", "a2:2:A", "a3:2:A", "a4:2:A"), &batch.FairsharePolicy{ComputeReservation: ptr(int32(50))})}},
			[]string{"a1@big", "a2@big"}, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			v.now, v.host = t0, Resources{VCPUs: 8, MemoryMiB: 16384}
			if v.allowed == nil {
				v.allowed = allowAll(small, big)
			}
			p := decide(&v)
			if got := started(p); !slices.Equal(got, tc.wantStarts) {
				t.Errorf("starts = %v, want %v", got, tc.wantStarts)
			}
			switch {
			case tc.wantWait == "" && len(p.waits) > 0:
				t.Errorf("waits = %+v, want none", p.waits)
			case tc.wantWait != "":
				id, reason, _ := strings.Cut(tc.wantWait, " ")
				if len(p.waits) != 1 || p.waits[0].job.JobId != id || !strings.HasPrefix(p.waits[0].reason, reason) {
					t.Errorf("waits = %+v, want %s", p.waits, tc.wantWait)
				}
			}
			if tc.wantBlocked != "" {
				if _, ok := p.blocked[tc.wantBlocked]; !ok {
					t.Errorf("blocked = %v, want %s", p.blocked, tc.wantBlocked)
				}
			} else if len(p.blocked) > 0 {
				t.Errorf("blocked = %v, want none", p.blocked)
			}
			// decide reads its view only.
			if len(tc.v.ceUsed) > 0 && tc.v.ceUsed["big"] != v.ceUsed["big"] {
				t.Error("decide changed its view")
			}
		})
	}
}

func TestDecideBlockedHead(t *testing.T) {
	small := ce("small", 2)
	limit := []batch.JobStateTimeLimitAction{{Reason: "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", State: batch.JobStatusRunnable, MaxTimeSeconds: ptr(int32(600)), Action: batch.JobStateTimeLimitActionsActionCancel}}
	q := fifoQueue("q", []*ceView{small}, jobs("huge:4"))
	q.detail.JobStateTimeLimitActions = limit
	v := view{now: t0, capacityUse: capacityUse{host: Resources{VCPUs: 8, MemoryMiB: 16384}}, queues: []*queueView{q}, allowed: allowAll(small)}

	// First seen: it waits from now; a reason already shown is not
	// written again.
	p := decide(&v)
	if b := p.blocked["q"]; b.jobID != "huge" || !b.since.Equal(t0) || len(p.waits) != 1 || len(p.cancels) != 0 {
		t.Fatalf("first plan: blocked %+v waits %d cancels %d", b, len(p.waits), len(p.cancels))
	}
	q.jobs[0].StatusReason = ptr(p.waits[0].reason)
	v.blocked, v.now = p.blocked, t0.Add(5*time.Minute)
	if p = decide(&v); len(p.waits) != 0 || !p.blocked["q"].since.Equal(t0) || len(p.cancels) != 0 {
		t.Fatalf("second plan: blocked %+v waits %d cancels %d", p.blocked["q"], len(p.waits), len(p.cancels))
	}
	// After maxTimeSeconds the time-limit action cancels it.
	v.blocked, v.now = p.blocked, t0.Add(10*time.Minute)
	p = decide(&v)
	if len(p.cancels) != 1 || p.cancels[0].jobID != "huge" || p.cancels[0].reason != reasonTimeLimit+"MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE" {
		t.Fatalf("cancels = %+v", p.cancels)
	}
	if _, ok := p.blocked["q"]; ok {
		t.Error("a cancelled head still blocks its queue")
	}

	// Every compute environment INVALID: ACTION_REQUIRED.
	bad := ce("bad", 2)
	bad.detail.Status = batch.CEStatusInvalid
	v = view{now: t0, capacityUse: capacityUse{host: Resources{VCPUs: 8}}, queues: []*queueView{fifoQueue("q", []*ceView{bad}, jobs("a:1"))}}
	if p = decide(&v); len(p.waits) != 1 || p.waits[0].reason != reasonInvalidCEs {
		t.Fatalf("invalid CEs: waits %+v", p.waits)
	}
	// A queue no longer dispatchable forgets its blocked head.
	v = view{now: t0, capacityUse: capacityUse{host: Resources{VCPUs: 8}}, blocked: map[string]blockInfo{"gone": {jobID: "x"}}}
	if p = decide(&v); len(p.blocked) != 0 {
		t.Fatalf("blocked = %v", p.blocked)
	}
}

// TestPassGap: a pass woken by attempts' ends waits only while the API is
// busy, up to minPassGap after the last pass began.
func TestPassGap(t *testing.T) {
	t.Parallel()
	busy := func(b bool) func() bool { return func() bool { return b } }
	for _, tc := range []struct {
		name  string
		api   func() bool
		since time.Duration
		want  time.Duration
	}{
		{"no API", nil, 0, 0},
		{"API idle", busy(false), 100 * time.Microsecond, 0},
		{"API busy, pass just began", busy(true), 0, minPassGap},
		{"API busy, pass began 400µs ago", busy(true), 400 * time.Microsecond, minPassGap - 400*time.Microsecond},
		{"API busy, pass began long ago", busy(true), 2 * minPassGap, 0},
	} {
		s := &Scheduler{cfg: Config{APIBusy: tc.api}}
		if got := s.passGap(tc.since); got != tc.want {
			t.Errorf("%s: passGap(%v) = %v, want %v", tc.name, tc.since, got, tc.want)
		}
	}
}
