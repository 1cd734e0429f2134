package scheduler

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"batchd/internal/batch"
	"batchd/internal/executor"
	"batchd/internal/iam"
	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

// Every test runs in a synctest bubble: the scheduler's ticks, timeouts
// and grace periods pass in fake time.

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func jobIDsOf(hs []*fakeHandle) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.spec.JobID)
	}
	return out
}

// A higher-priority queue dispatches first; within a queue, jobs go to the
// first compute environment in order with room, oldest first.
func TestDispatchOrder(t *testing.T) {
	t.Run("queue priority", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 1, MemoryMiB: 4096}})
			h.unmanagedCE("ce")
			h.queue("low", 1, "", "ce")
			h.queue("high", 10, "", "ce")
			h.def("jd", 1, 128, []string{"true"}, nil)
			low := h.submit("first-submitted", "low", "jd", nil)
			time.Sleep(time.Millisecond)
			high := h.submit("second-submitted", "high", "jd", nil)
			h.start()
			h.waitStarted(1)
			synctest.Wait()
			if got := jobIDsOf(h.exec.started()); !slices.Equal(got, []string{high}) {
				t.Fatalf("started %v, want only the high-priority queue's job %s", got, high)
			}
			h.handleOf(high).exit(executor.Result{ExitCode: 0})
			h.waitStarted(2)
			if got := jobIDsOf(h.exec.started()); !slices.Equal(got, []string{high, low}) {
				t.Fatalf("started %v, want %v", got, []string{high, low})
			}
			h.waitStatus(high, batch.JobStatusSucceeded)
		})
	})
	t.Run("compute environment order and FIFO", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 8, MemoryMiB: 8192}})
			h.managedCE("first", 1, "")
			h.managedCE("second", 2, "")
			h.queue("q", 1, "", "first", "second")
			h.def("jd", 1, 128, []string{"true"}, nil)
			var ids []string
			for i := range 4 {
				ids = append(ids, h.submit("j"+string(rune('0'+i)), "q", "jd", nil))
				time.Sleep(time.Millisecond)
			}
			h.start()
			h.waitStarted(3)
			synctest.Wait()
			// Attempts start concurrently: compare sets.
			if got := sorted(jobIDsOf(h.exec.started())); !slices.Equal(got, sorted(ids[:3])) {
				t.Fatalf("started %v, want the three oldest %v", got, ids[:3])
			}
			for i, want := range []string{"first", "second", "second"} {
				if ce := h.handleOf(ids[i]).env("AWS_BATCH_CE_NAME"); ce != want {
					t.Errorf("job %d on %s, want %s", i, ce, want)
				}
			}
			// Room frees on "first": the fourth goes there.
			h.handleOf(ids[0]).exit(executor.Result{ExitCode: 0})
			h.waitStarted(4)
			if ce := h.handleOf(ids[3]).env("AWS_BATCH_CE_NAME"); ce != "first" {
				t.Errorf("fourth job on %s, want first", ce)
			}
		})
	})
	t.Run("disabled compute environment dispatches nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.unmanagedCE("ce")
			h.queue("q", 1, "", "ce")
			h.def("jd", 1, 128, []string{"true"}, nil)
			call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", State: batch.CEStateDisabled})).ok(t)
			id := h.submit("j", "q", "jd", nil)
			h.start()
			time.Sleep(time.Second)
			if n := len(h.exec.started()); n != 0 {
				t.Fatalf("%d attempts on a DISABLED compute environment", n)
			}
			if j := h.job(id); j.Status != batch.JobStatusRunnable || j.StatusReason != nil {
				t.Fatalf("job = %s (%q), want RUNNABLE without a reason", j.Status, deref(j.StatusReason))
			}
			call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", State: batch.CEStateEnabled})).ok(t)
			h.waitStarted(1)
		})
	})
	t.Run("disabled queue dispatches the jobs already in it", func(t *testing.T) {
		// API reference, JobQueueDetail state: "If the job queue state is
		// DISABLED, new jobs can't be added to the queue, but jobs already
		// in the queue can finish."
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.unmanagedCE("ce")
			h.queue("q", 1, "", "ce")
			h.def("jd", 1, 128, []string{"true"}, nil)
			id := h.submit("j", "q", "jd", nil)
			call(h.batch.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueRequest{JobQueue: "q", State: batch.JQStateDisabled})).ok(t)
			if _, err := h.batch.SubmitJob(h.ctx, &batch.SubmitJobRequest{JobName: "late", JobQueue: "q", JobDefinition: "jd"}); err == nil {
				t.Fatal("SubmitJob to a DISABLED queue succeeded")
			}
			h.start()
			h.waitStarted(1)
			if got := jobIDsOf(h.exec.started()); !slices.Equal(got, []string{id}) {
				t.Fatalf("started %v, want %s", got, id)
			}
		})
	})
}

// Passes woken by attempts that end place from the queue's listing,
// without reading it again; a job that becomes RUNNABLE meanwhile (its
// dependency met, Batch.Runnable) has the next pass read it, so that it
// does not wait behind the jobs listed after it, which it is older than.
func TestListingMadeStaleByRunnable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{Host: Resources{VCPUs: 2, MemoryMiB: 4096}})
		first, dep := dependentInQueue(h)
		var later []string
		for i := range 4 {
			time.Sleep(time.Millisecond)
			later = append(later, h.submit("later"+strconv.Itoa(i), "q", "jd", nil))
		}
		h.start()
		h.waitStarted(2) // first on b, later0 on a
		synctest.Wait()
		// later0 ends: a pass reads q, places later1 and lists later2...
		h.handleOf(later[0]).exit(executor.Result{ExitCode: 0})
		h.waitStarted(3)
		synctest.Wait()
		// first ends: dep becomes RUNNABLE while a has no room.
		h.handleOf(first).exit(executor.Result{ExitCode: 0})
		h.waitStatus(dep, batch.JobStatusRunnable)
		synctest.Wait()
		// later1 ends: dep, older than later2, goes next.
		h.handleOf(later[1]).exit(executor.Result{ExitCode: 0})
		h.waitStarted(4)
		want := []string{first, later[0], later[1], dep}
		if got := jobIDsOf(h.exec.started()); !slices.Equal(sorted(got[:2]), sorted(want[:2])) || !slices.Equal(got[2:], want[2:]) {
			t.Fatalf("started %v, want %v: dep, RUNNABLE once first ended, waited behind later2", got, want)
		}
	})
}

// oneVCPUQueue returns a harness on st whose host has 1 vCPU, with queue
// "q" on compute environment "ce" and job definition "jd".
func oneVCPUQueue(t *testing.T, st store.Store) *harness {
	h := newHarnessOn(t, Config{Host: Resources{VCPUs: 1, MemoryMiB: 4096}}, st)
	h.managedCE("ce", 1, "")
	h.queue("q", 1, "", "ce")
	h.def("jd", 1, 128, []string{"true"}, nil)
	return h
}

// dependentInQueue makes queue "q" on compute environment "a" and queue
// "other" on "b" (1 vCPU each), job definition "jd", and submits job
// first to other and job dep to q, depending on first.
func dependentInQueue(h *harness) (first, dep string) {
	h.managedCE("a", 1, "")
	h.managedCE("b", 1, "")
	h.queue("q", 1, "", "a")
	h.queue("other", 1, "", "b")
	h.def("jd", 1, 128, []string{"true"}, nil)
	first = h.submit("first", "other", "jd", nil)
	time.Sleep(time.Millisecond)
	dep = h.submit("dep", "q", "jd", func(r *batch.SubmitJobRequest) {
		r.DependsOn = []batch.JobDependency{{JobId: &first}}
	})
	return first, dep
}

// jobReads counts the job documents read in Views (n): the scheduler's
// reads of the RUNNABLE jobs it describes; the Views (views); and the
// listings of the jobs the scheduler works on (lists).
type jobReads struct {
	store.Store
	n, views, lists atomic.Int64
}

func (c *jobReads) View(ctx context.Context, fn func(store.Tx) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, func(tx store.Tx) error { return fn(jobReadsTx{tx, c}) })
}

type jobReadsTx struct {
	store.Tx
	c *jobReads
}

func (t jobReadsTx) List(kind, prefix, after string, limit int) ([]store.Item, error) {
	if kind == "batch.jobsched" {
		t.c.lists.Add(1)
	}
	return t.Tx.List(kind, prefix, after, limit)
}

func (t jobReadsTx) Get(kind, key string) ([]byte, error) {
	if kind == "batch.job" {
		t.c.n.Add(1)
	}
	return t.Tx.Get(kind, key)
}

// A queue without room keeps the jobs it read: each wake-up that reads
// again (a job became RUNNABLE) while it has none reads only its listing,
// and the pass that has room again describes only the jobs it had not
// read. Before, every such wake-up dropped them, and the next pass with
// room described its whole window again.
func TestWaitingJobsReadOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &jobReads{Store: memstore.New()}
		h := oneVCPUQueue(t, st)
		jobs := []string{h.submit("j0", "q", "jd", nil)}
		for i := 1; i < 20; i++ {
			time.Sleep(time.Millisecond)
			jobs = append(jobs, h.submit("j"+strconv.Itoa(i), "q", "jd", nil))
		}
		h.start()
		h.waitStarted(1)
		synctest.Wait()
		for i := 1; i <= 5; i++ {
			// A new RUNNABLE job wakes a pass while there is no room...
			jobs = append(jobs, h.submit("late"+strconv.Itoa(i), "q", "jd", nil))
			synctest.Wait()
			// ...and an end makes room for the next.
			h.handleOf(jobs[i-1]).exit(executor.Result{ExitCode: 0})
			h.waitStarted(i + 1)
			synctest.Wait()
		}
		if got := jobIDsOf(h.exec.started()); !slices.Equal(got, jobs[:6]) {
			t.Fatalf("started %v, want %v", got, jobs[:6])
		}
		if n := st.n.Load(); n > int64(len(jobs)) {
			t.Errorf("%d job documents read for %d jobs, want each at most once", n, len(jobs))
		}
	})
}

// A queue's listing of its oldest RUNNABLE jobs serves the passes after
// it while the jobs made RUNNABLE come after its last (those submitted
// behind a backlog): they cost no read. One that comes before (dep, older
// than the backlog, RUNNABLE once first ended) has the next pass with room
// read the queue again, and goes first.
func TestListingKeptBehindBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &jobReads{Store: memstore.New()}
		h := newHarnessOn(t, Config{Host: Resources{VCPUs: 2, MemoryMiB: 4096}}, st)
		first, dep := dependentInQueue(h)
		var backlog []string
		for i := range 3 * fifoWindow {
			time.Sleep(time.Millisecond)
			backlog = append(backlog, h.submit("b"+strconv.Itoa(i), "q", "jd", nil))
		}
		h.start()
		h.waitStarted(2) // first on b, b0 on a
		synctest.Wait()
		lists := st.lists.Load()
		for i := range 10 {
			time.Sleep(time.Millisecond)
			backlog = append(backlog, h.submit("new"+strconv.Itoa(i), "q", "jd", nil))
			synctest.Wait()
			h.handleOf(backlog[i]).exit(executor.Result{ExitCode: 0})
			h.waitStarted(3 + i)
			synctest.Wait()
		}
		if n := st.lists.Load() - lists; n > 2 {
			t.Errorf("%d listings for 10 jobs submitted behind a backlog of %d and 10 ends, want at most 2", n, 3*fifoWindow)
		}
		h.handleOf(first).exit(executor.Result{ExitCode: 0})
		h.waitStatus(dep, batch.JobStatusRunnable)
		synctest.Wait()
		h.handleOf(backlog[10]).exit(executor.Result{ExitCode: 0})
		h.waitStarted(13)
		got := jobIDsOf(h.exec.started())
		want := append(append([]string{}, backlog[:11]...), dep)
		if !slices.Equal(sorted(got[:2]), sorted([]string{first, backlog[0]})) || !slices.Equal(got[2:], want[1:]) {
			t.Fatalf("started %v, want %s and %s, then %v: dep, older than the backlog, goes once RUNNABLE", got, first, backlog[0], want[1:])
		}
	})
}

// A job that becomes RUNNABLE wakes a pass; while no queue has room, that
// pass reads nothing (no View: submitting and evaluating jobs write
// only), and the pass that has room again reads the queue, oldest first.
func TestNoReadWithoutRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &jobReads{Store: memstore.New()}
		h := oneVCPUQueue(t, st)
		h.start()
		jobs := []string{h.submit("j0", "q", "jd", nil)}
		h.waitStarted(1)
		synctest.Wait()
		views := st.views.Load()
		for i := 1; i <= 5; i++ {
			time.Sleep(time.Millisecond)
			jobs = append(jobs, h.submit("j"+strconv.Itoa(i), "q", "jd", nil))
			synctest.Wait()
		}
		if n := st.views.Load() - views; n != 0 {
			t.Errorf("%d Views while 5 jobs became RUNNABLE and no queue had room, want none", n)
		}
		for i := 1; i <= 5; i++ {
			h.handleOf(jobs[i-1]).exit(executor.Result{ExitCode: 0})
			h.waitStarted(i + 1)
			synctest.Wait()
		}
		if got := jobIDsOf(h.exec.started()); !slices.Equal(got, jobs) {
			t.Fatalf("started %v, want %v", got, jobs)
		}
	})
}

// An attempt's last output is written with the record of its end, in
// one write; when that write fails for the output (its log group deleted
// while it ran), the end is still recorded, and the output tried alone.
func TestEndWrittenWithOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.logs.groups = map[string]bool{"/aws/batch/job-gone": true}
		h.exec.script = func(hd *fakeHandle) {
			if hd.spec.Command[0] == "gone" {
				h.logs.mu.Lock()
				delete(h.logs.groups, "/aws/batch/job-gone")
				h.logs.mu.Unlock()
			}
			hd.print("hello")
			hd.exit(executor.Result{ExitCode: 0})
		}
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("jd", 1, 128, []string{"true"}, nil)
		h.def("gone", 1, 128, []string{"gone"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "/aws/batch/job-gone"}}
		})
		h.start()
		id := h.submit("j", "q", "jd", nil)
		j := h.waitStatus(id, batch.JobStatusSucceeded)
		if ev := h.logs.events("/aws/batch/job", deref(j.Container.LogStreamName)); len(ev) != 1 || ev[0].Message != "hello" {
			t.Errorf("log events %+v", ev)
		}
		h.logs.mu.Lock()
		together := h.logs.together
		h.logs.mu.Unlock()
		if together != 1 {
			t.Errorf("%d appends went with the end's write, want 1", together)
		}
		gone := h.submit("g", "q", "gone", nil)
		h.waitStatus(gone, batch.JobStatusSucceeded)
	})
}

// Jobs run while the compute environment and the host have room for their
// vCPUs and memory.
func TestCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{Host: Resources{VCPUs: 2, MemoryMiB: 1024}})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("small", 1, 256, []string{"true"}, nil)
		h.def("fat", 1, 768, []string{"true"}, nil)
		h.def("rr", 0, 0, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.ContainerProperties.Vcpus, in.ContainerProperties.Memory = nil, nil
			in.ContainerProperties.ResourceRequirements = []batch.ResourceRequirement{{Type: "VCPU", Value: "2"}, {Type: "MEMORY", Value: "512"}}
		})
		a := h.submit("a", "q", "small", nil)
		time.Sleep(time.Millisecond)
		b := h.submit("b", "q", "small", nil)
		time.Sleep(time.Millisecond)
		c := h.submit("c", "q", "small", nil)
		h.start()
		h.waitStarted(2)
		synctest.Wait()
		if got := sorted(jobIDsOf(h.exec.started())); !slices.Equal(got, sorted([]string{a, b})) {
			t.Fatalf("started %v, want %v (2 vCPUs)", got, []string{a, b})
		}
		if hs := h.exec.started(); hs[0].spec.VCPUs != 1 || hs[0].spec.MemoryMiB != 256 {
			t.Errorf("limits = %v vCPU %d MiB, want 1 and 256", hs[0].spec.VCPUs, hs[0].spec.MemoryMiB)
		}
		h.handleOf(a).exit(executor.Result{})
		h.waitStarted(3)
		h.handleOf(b).exit(executor.Result{})
		h.handleOf(c).exit(executor.Result{})
		h.waitStatus(c, batch.JobStatusSucceeded)

		// Memory: 768 MiB jobs one at a time on 1024 MiB.
		f1 := h.submit("f1", "q", "fat", nil)
		time.Sleep(time.Millisecond)
		f2 := h.submit("f2", "q", "fat", nil)
		h.Wake(t)
		h.waitStarted(4)
		synctest.Wait()
		if n := len(h.exec.running()); n != 1 {
			t.Fatalf("%d jobs of 768 MiB run on 1024 MiB", n)
		}
		h.handleOf(f1).exit(executor.Result{})
		h.waitStarted(5)
		if h.handleOf(f2) == nil {
			t.Fatal("f2 not started")
		}
		h.handleOf(f2).exit(executor.Result{})

		// resourceRequirements win over vcpus and memory.
		r := h.submit("r", "q", "rr", nil)
		h.Wake(t)
		h.waitStarted(6)
		if sp := h.handleOf(r).spec; sp.VCPUs != 2 || sp.MemoryMiB != 512 {
			t.Errorf("resourceRequirements: %v vCPU %d MiB, want 2 and 512", sp.VCPUs, sp.MemoryMiB)
		}
	})
}

// Wake is Scheduler.Wake for the running scheduler; passes also come every
// tick, so a short sleep does.
func (h *harness) Wake(t *testing.T) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
}

// A job no compute environment can hold blocks its queue with AWS's
// reason; jobStateTimeLimitActions cancels it.
func TestBlockedHeadOfQueue(t *testing.T) {
	t.Run("job resource requirement and time limit action", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 2, MemoryMiB: 4096}})
			h.unmanagedCE("ce")
			h.queue("q", 1, "", "ce")
			call(h.batch.UpdateJobQueue(h.ctx, &batch.UpdateJobQueueRequest{JobQueue: "q", JobStateTimeLimitActions: []batch.JobStateTimeLimitAction{
				{Reason: "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", State: "RUNNABLE", MaxTimeSeconds: ptr(int32(600)), Action: "CANCEL"},
			}})).ok(t)
			h.def("big", 8, 128, []string{"true"}, nil)
			h.def("small", 1, 128, []string{"true"}, nil)
			big := h.submit("big", "q", "big", nil)
			time.Sleep(time.Millisecond)
			small := h.submit("small", "q", "small", nil)
			h.start()
			j := h.waitStatus(big, batch.JobStatusRunnable)
			h.waitFor("the blocked reason", func() bool { j = h.job(big); return j.StatusReason != nil })
			if got := deref(j.StatusReason); got != reasonJobResource {
				t.Fatalf("statusReason = %q, want %q", got, reasonJobResource)
			}
			time.Sleep(time.Minute)
			if n := len(h.exec.started()); n != 0 {
				t.Fatalf("%d attempts behind a blocked head", n)
			}
			if s := h.job(small); s.StatusReason != nil {
				t.Errorf("the job behind the head shows %q", deref(s.StatusReason))
			}
			j = h.waitStatus(big, batch.JobStatusFailed)
			if got := deref(j.StatusReason); got != "Canceled by JobStateTimeLimit action due to reason: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT" || !deref(j.IsCancelled) {
				t.Errorf("cancelled: %q, isCancelled %v", got, deref(j.IsCancelled))
			}
			if at := time.UnixMilli(deref(j.StoppedAt)).Sub(time.UnixMilli(deref(j.CreatedAt))); at < 600*time.Second || at > 602*time.Second {
				t.Errorf("cancelled %v after submission, want 600 s", at)
			}
			h.waitStarted(1)
			if got := h.exec.started()[0].spec.JobID; got != small {
				t.Errorf("started %s, want the next job %s", got, small)
			}
		})
	})
	t.Run("maxvCpus", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 4, MemoryMiB: 4096}})
			h.managedCE("ce", 1, "")
			h.queue("q", 1, "", "ce")
			h.def("two", 2, 128, []string{"true"}, nil)
			id := h.submit("j", "q", "two", nil)
			h.start()
			h.waitFor("the blocked reason", func() bool { return h.job(id).StatusReason != nil })
			if got := deref(h.job(id).StatusReason); got != reasonMaxResource {
				t.Fatalf("statusReason = %q, want %q", got, reasonMaxResource)
			}
			// Raising maxvCpus unblocks it; starting clears the reason.
			call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ComputeResources: &batch.ComputeResourceUpdate{MaxvCpus: ptr(int32(4))}})).ok(t)
			h.waitStarted(1)
			if j := h.waitStatus(id, batch.JobStatusRunning); j.StatusReason != nil {
				t.Errorf("RUNNING with statusReason %q", deref(j.StatusReason))
			}
		})
	})
}

// fairPolicy creates a scheduling policy and returns its ARN.
func (h *harness) fairPolicy(name string, fp batch.FairsharePolicy) string {
	h.t.Helper()
	return call(h.batch.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyRequest{Name: name, FairsharePolicy: &fp})).ok(h.t).Arn
}

func countShares(hs []*fakeHandle, ids map[string]string) map[string]int {
	n := map[string]int{}
	for _, h := range hs {
		n[ids[h.spec.JobID]]++
	}
	return n
}

// Fair share: the share with the least weighted usage goes first (a lower
// weightFactor gets more); within a share, schedulingPriority; and
// computeReservation holds capacity back for shares not active yet.
func TestFairShare(t *testing.T) {
	t.Run("weights", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 3, MemoryMiB: 8192}})
			h.unmanagedCE("ce")
			pol := h.fairPolicy("p", batch.FairsharePolicy{ShareDecaySeconds: ptr(int32(0)), ShareDistribution: []batch.ShareAttributes{
				{ShareIdentifier: "A", WeightFactor: ptr(1.0)}, {ShareIdentifier: "B", WeightFactor: ptr(0.5)},
			}})
			h.queue("q", 1, pol, "ce")
			h.def("jd", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) { in.SchedulingPriority = ptr(int32(1)) })
			share := map[string]string{}
			for _, s := range []string{"A", "B"} {
				for range 6 {
					share[h.submit("j", "q", "jd", func(in *batch.SubmitJobRequest) { in.ShareIdentifier = ptr(s) })] = s
					time.Sleep(time.Millisecond)
				}
			}
			h.start()
			h.waitStarted(3)
			synctest.Wait()
			if got := countShares(h.exec.running(), share); got["A"] != 1 || got["B"] != 2 {
				t.Fatalf("running by share = %v, want A 1, B 2 (B's weight is half A's)", got)
			}
			// As jobs end, the split holds.
			for range 3 {
				for _, r := range h.exec.running() {
					if share[r.spec.JobID] == "B" {
						r.exit(executor.Result{})
						break
					}
				}
				h.Wake(t)
				synctest.Wait()
				if got := countShares(h.exec.running(), share); got["A"] != 1 || got["B"] != 2 {
					t.Fatalf("running by share = %v, want A 1, B 2", got)
				}
			}
		})
	})
	t.Run("scheduling priority within a share", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 1, MemoryMiB: 8192}})
			h.unmanagedCE("ce")
			pol := h.fairPolicy("p", batch.FairsharePolicy{})
			h.queue("q", 1, pol, "ce")
			h.def("jd", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) { in.SchedulingPriority = ptr(int32(1)) })
			old := h.submit("old", "q", "jd", func(in *batch.SubmitJobRequest) { in.ShareIdentifier = ptr("A") })
			time.Sleep(time.Millisecond)
			urgent := h.submit("urgent", "q", "jd", func(in *batch.SubmitJobRequest) {
				in.ShareIdentifier, in.SchedulingPriorityOverride = ptr("A"), ptr(int32(9))
			})
			h.start()
			hs := h.waitStarted(1)
			if hs[0].spec.JobID != urgent {
				t.Fatalf("started %s first, want the higher schedulingPriority %s", hs[0].spec.JobID, urgent)
			}
			hs[0].exit(executor.Result{})
			if hs = h.waitStarted(2); hs[1].spec.JobID != old {
				t.Fatalf("second = %s, want %s", hs[1].spec.JobID, old)
			}
		})
	})
	t.Run("compute reservation", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{Host: Resources{VCPUs: 4, MemoryMiB: 8192}})
			h.unmanagedCE("ce")
			pol := h.fairPolicy("p", batch.FairsharePolicy{ComputeReservation: ptr(int32(50))})
			h.queue("q", 1, pol, "ce")
			h.def("jd", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) { in.SchedulingPriority = ptr(int32(1)) })
			share := map[string]string{}
			for range 4 {
				share[h.submit("a", "q", "jd", func(in *batch.SubmitJobRequest) { in.ShareIdentifier = ptr("A") })] = "A"
			}
			h.start()
			h.waitStarted(2)
			time.Sleep(time.Second)
			if n := len(h.exec.running()); n != 2 {
				t.Fatalf("%d running with one active share and computeReservation 50 on 4 vCPUs, want 2", n)
			}
			// A second share arrives: 25% reserved, it gets a vCPU.
			share[h.submit("b", "q", "jd", func(in *batch.SubmitJobRequest) { in.ShareIdentifier = ptr("B") })] = "B"
			h.waitStarted(3)
			time.Sleep(time.Second)
			if got := countShares(h.exec.running(), share); got["A"] != 2 || got["B"] != 1 {
				t.Fatalf("running by share = %v, want A 2, B 1", got)
			}
		})
	})
}

// exitCodes is a fake job whose attempt n exits with codes[n-1] (the last
// code for later attempts).
func exitCodes(codes ...int) func(h *fakeHandle) {
	return func(h *fakeHandle) {
		n, _ := strconv.Atoi(h.env("AWS_BATCH_JOB_ATTEMPT"))
		h.print("attempt " + h.env("AWS_BATCH_JOB_ATTEMPT"))
		h.exit(executor.Result{ExitCode: codes[min(max(n, 1), len(codes))-1]})
	}
}

// A failed attempt is retried as retryStrategy says: evaluateOnExit's first
// match decides; none matching retries while attempts remain.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		codes    []int
		retry    *batch.RetryStrategy
		status   string
		attempts int
	}{
		{"retry on exit code then succeed", []int{3, 3, 0}, &batch.RetryStrategy{Attempts: ptr(int32(5)), EvaluateOnExit: []batch.EvaluateOnExit{
			{OnExitCode: ptr("3"), Action: "RETRY"}, {OnExitCode: ptr("*"), Action: "EXIT"},
		}}, batch.JobStatusSucceeded, 3},
		{"exit on another code", []int{4}, &batch.RetryStrategy{Attempts: ptr(int32(5)), EvaluateOnExit: []batch.EvaluateOnExit{
			{OnExitCode: ptr("3"), Action: "RETRY"}, {OnExitCode: ptr("*"), Action: "EXIT"},
		}}, batch.JobStatusFailed, 1},
		{"prefix glob", []int{137, 0}, &batch.RetryStrategy{Attempts: ptr(int32(2)), EvaluateOnExit: []batch.EvaluateOnExit{
			{OnExitCode: ptr("13*"), Action: "RETRY"}, {OnReason: ptr("*"), Action: "EXIT"},
		}}, batch.JobStatusSucceeded, 2},
		{"no match retries until attempts run out", []int{1, 1, 1}, &batch.RetryStrategy{Attempts: ptr(int32(3)), EvaluateOnExit: []batch.EvaluateOnExit{
			{OnExitCode: ptr("2"), Action: "EXIT"},
		}}, batch.JobStatusFailed, 3},
		{"no retry strategy", []int{1}, nil, batch.JobStatusFailed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Config{})
				h.exec.script = exitCodes(tc.codes...)
				h.unmanagedCE("ce")
				h.queue("q", 1, "", "ce")
				h.def("jd", 1, 128, []string{"sh", "-c", "exit 3"}, func(in *batch.RegisterJobDefinitionRequest) { in.RetryStrategy = tc.retry })
				id := h.submit("j", "q", "jd", nil)
				h.start()
				j := h.waitStatus(id, tc.status)
				if len(j.Attempts) != tc.attempts {
					t.Fatalf("%d attempts, want %d: %+v", len(j.Attempts), tc.attempts, j.Attempts)
				}
				last := tc.codes[tc.attempts-1]
				if got := deref(j.Container.ExitCode); int(got) != last {
					t.Errorf("exitCode = %d, want %d", got, last)
				}
				for i, a := range j.Attempts {
					if a.Container == nil || int(deref(a.Container.ExitCode)) != tc.codes[i] || deref(a.StatusReason) != reasonExited ||
						a.StartedAt == nil || a.StoppedAt == nil || deref(a.Container.LogStreamName) == "" {
						t.Errorf("attempt %d = %+v %+v", i, a, a.Container)
					}
				}
				if deref(j.StatusReason) != reasonExited {
					t.Errorf("statusReason = %q", deref(j.StatusReason))
				}
				hs := h.exec.started()
				for i, hd := range hs {
					if got := hd.env("AWS_BATCH_JOB_ATTEMPT"); got != string(rune('1'+i)) {
						t.Errorf("attempt %d has AWS_BATCH_JOB_ATTEMPT=%s", i+1, got)
					}
				}
			})
		})
	}
}

// An attempt that runs past timeout.attemptDurationSeconds gets SIGTERM,
// then SIGKILL after 30 s, and the job FAILS without retry.
func TestTimeout(t *testing.T) {
	for _, obeys := range []bool{true, false} {
		name := "obeys SIGTERM"
		if !obeys {
			name = "ignores SIGTERM"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Config{})
				h.exec.script = func(hd *fakeHandle) {
					hd.mu.Lock()
					hd.ignoreTerm = !obeys
					hd.mu.Unlock()
				}
				h.unmanagedCE("ce")
				h.queue("q", 1, "", "ce")
				h.def("jd", 1, 128, []string{"sleep", "3600"}, func(in *batch.RegisterJobDefinitionRequest) {
					in.Timeout = &batch.JobTimeout{AttemptDurationSeconds: ptr(int32(60))}
					in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(int32(3))}
				})
				id := h.submit("j", "q", "jd", nil)
				h.start()
				run := h.waitStatus(id, batch.JobStatusRunning)
				j := h.waitStatus(id, batch.JobStatusFailed)
				if deref(j.StatusReason) != reasonTimeout || len(j.Attempts) != 1 || deref(j.Attempts[0].StatusReason) != reasonTimeout {
					t.Fatalf("job = %q, %d attempts", deref(j.StatusReason), len(j.Attempts))
				}
				wantCode, wantAfter := int32(143), 60*time.Second
				if !obeys {
					wantCode, wantAfter = 137, 90*time.Second
				}
				if got := deref(j.Attempts[0].Container.ExitCode); got != wantCode {
					t.Errorf("exitCode = %d, want %d", got, wantCode)
				}
				if ran := time.UnixMilli(deref(j.StoppedAt)).Sub(time.UnixMilli(deref(run.StartedAt))); ran < wantAfter || ran > wantAfter+time.Second {
					t.Errorf("ran %v, want %v", ran, wantAfter)
				}
				if g := h.exec.started()[0].stopGraces(); len(g) != 1 || g[0] != 30*time.Second {
					t.Errorf("Stop graces = %v, want [30s]", g)
				}
				time.Sleep(time.Second)
				if n := len(h.exec.started()); n != 1 {
					t.Errorf("%d attempts: a timed-out job is not retried", n)
				}
			})
		})
	}
}

// TerminateJob stops a running job's process; the job is FAILED with the
// reason and not retried.
func TestTerminate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("jd", 1, 128, []string{"sleep", "3600"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(int32(3))}
		})
		id := h.submit("j", "q", "jd", nil)
		h.start()
		h.waitStatus(id, batch.JobStatusRunning)
		call(h.batch.TerminateJob(h.ctx, &batch.TerminateJobRequest{JobId: id, Reason: "no longer needed"})).ok(t)
		h.waitFor("the attempt recorded", func() bool { return len(h.job(id).Attempts) == 1 })
		j := h.job(id)
		if j.Status != batch.JobStatusFailed || deref(j.StatusReason) != "no longer needed" || !deref(j.IsTerminated) {
			t.Fatalf("job = %s %q terminated=%v", j.Status, deref(j.StatusReason), deref(j.IsTerminated))
		}
		a := j.Attempts[0]
		if deref(a.StatusReason) != "no longer needed" || deref(a.Container.ExitCode) != 143 {
			t.Errorf("attempt = %q exit %d", deref(a.StatusReason), deref(a.Container.ExitCode))
		}
		if g := h.exec.started()[0].stopGraces(); len(g) != 1 || g[0] != 30*time.Second {
			t.Errorf("Stop graces = %v, want [30s]", g)
		}
		if ids := call(h.batch.TerminationRequests(h.ctx, 0)).ok(t); len(ids) != 0 {
			t.Errorf("termination requests left: %v", ids)
		}
		time.Sleep(time.Second)
		if n := len(h.exec.started()); n != 1 {
			t.Errorf("%d attempts: a terminated job is not retried", n)
		}
	})
}

// At start, attempts a previous batchd left STARTING or RUNNING end with
// the host-terminated reason, and the retry strategy decides.
func TestRestartReconciliation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("once", 1, 128, []string{"sleep", "3600"}, nil)
		h.def("retried", 1, 128, []string{"sleep", "3600"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(int32(2)), EvaluateOnExit: []batch.EvaluateOnExit{
				{OnStatusReason: ptr("Host EC2*"), Action: "RETRY"}, {OnReason: ptr("*"), Action: "EXIT"},
			}}
		})
		once := h.submit("once", "q", "once", nil)
		retried := h.submit("retried", "q", "retried", nil)
		starting := h.submit("starting", "q", "once", nil)
		// What a batchd that died had done.
		for _, id := range []string{once, retried, starting} {
			if err := h.batch.MarkStarting(h.ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{once, retried} {
			if err := h.batch.MarkRunning(h.ctx, id, batch.AttemptContainerDetail{LogStreamName: ptr("jd/default/lost")}, 0); err != nil {
				t.Fatal(err)
			}
		}
		h.start()
		for _, id := range []string{once, starting} {
			j := h.waitStatus(id, batch.JobStatusFailed)
			if deref(j.StatusReason) != ReasonHostTerminated || len(j.Attempts) != 1 || deref(j.Attempts[0].StatusReason) != ReasonHostTerminated {
				t.Errorf("job %s = %q %+v", j.JobName, deref(j.StatusReason), j.Attempts)
			}
		}
		if a := h.job(once).Attempts[0]; a.Container == nil || deref(a.Container.LogStreamName) != "jd/default/lost" {
			t.Errorf("lost attempt's container = %+v", a.Container)
		}
		hs := h.waitStarted(1)
		if hs[0].spec.JobID != retried || hs[0].env("AWS_BATCH_JOB_ATTEMPT") != "2" {
			t.Fatalf("started %s attempt %s, want %s attempt 2", hs[0].spec.JobID, hs[0].env("AWS_BATCH_JOB_ATTEMPT"), retried)
		}
		if j := h.job(retried); len(j.Attempts) != 1 || deref(j.Attempts[0].StatusReason) != ReasonHostTerminated {
			t.Errorf("retried job's attempts = %+v", j.Attempts)
		}
		time.Sleep(time.Second)
		if n := len(h.exec.started()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}

		// Shutting down ends the running attempt the same way.
		h.stop()
		j := h.job(retried)
		if j.Status != batch.JobStatusFailed || deref(j.StatusReason) != ReasonHostTerminated || len(j.Attempts) != 2 {
			t.Errorf("after shutdown: %s %q, %d attempts", j.Status, deref(j.StatusReason), len(j.Attempts))
		}
		if g := hs[0].stopGraces(); len(g) != 1 || g[0] != 5*time.Second {
			t.Errorf("shutdown Stop graces = %v, want [5s]", g)
		}
	})
}

// A compute environment whose service role batch.amazonaws.com may not
// assume, or that may not run tasks and write logs, turns INVALID with the
// denied action in statusReason and gets no job.
func TestServiceRole(t *testing.T) {
	const ecsTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	const batchTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, tc := range []struct {
		name, trust, policy, want string
	}{
		{"untrusted", ecsTrust, "", "CLIENT_ERROR - User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/svc"},
		{"no permissions", batchTrust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:RunTask","Resource":"*"}]}`,
			"CLIENT_ERROR - User: arn:aws:sts::123456789012:assumed-role/svc/aws-batch is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/batch/job because no identity-based policy allows the logs:CreateLogStream action"},
		{"explicit deny", batchTrust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ecs:RunTask","Resource":"*"}]}`,
			"CLIENT_ERROR - User: arn:aws:sts::123456789012:assumed-role/svc/aws-batch is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/* with an explicit deny in an identity-based policy"},
		{"allowed", batchTrust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:RunTask","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Config{})
				call(h.iam.CreateRole(h.ctx, iam.CreateRoleInput{Name: "svc", Path: "/", TrustPolicy: tc.trust})).ok(t)
				if tc.policy != "" {
					if err := h.iam.PutRolePolicy(h.ctx, "svc", "p", tc.policy); err != nil {
						t.Fatal(err)
					}
				}
				h.managedCE("ce", 4, "arn:aws:iam::123456789012:role/svc")
				h.queue("q", 1, "", "ce")
				h.def("jd", 1, 128, []string{"true"}, nil)
				id := h.submit("j", "q", "jd", nil)
				h.start()
				if tc.want == "" {
					h.waitStarted(1)
					if ce := h.ce("ce"); ce.Status != batch.CEStatusValid {
						t.Errorf("compute environment %s %q", ce.Status, deref(ce.StatusReason))
					}
					return
				}
				h.waitFor("INVALID", func() bool { return h.ce("ce").Status == batch.CEStatusInvalid })
				if got := deref(h.ce("ce").StatusReason); got != tc.want {
					t.Errorf("statusReason = %q\nwant           %q", got, tc.want)
				}
				time.Sleep(time.Second)
				if n := len(h.exec.started()); n != 0 {
					t.Fatalf("%d attempts on an INVALID compute environment", n)
				}
				if j := h.job(id); j.Status != batch.JobStatusRunnable || deref(j.StatusReason) != reasonInvalidCEs {
					t.Errorf("job = %s %q, want RUNNABLE %q", j.Status, deref(j.StatusReason), reasonInvalidCEs)
				}
				// Fixing the role and updating the environment lets it work.
				if err := h.iam.UpdateAssumeRolePolicy(h.ctx, "svc", batchTrust); err != nil {
					t.Fatal(err)
				}
				if err := h.iam.PutRolePolicy(h.ctx, "svc", "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err != nil {
					t.Fatal(err)
				}
				call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ServiceRole: ptr("arn:aws:iam::123456789012:role/svc")})).ok(t)
				h.waitStarted(1)
			})
		})
	}
}

// An attempt gets the command as DescribeJobs shows it, AWS Batch's
// environment, its log stream and, with a job role, credentials.
func TestAttemptSpecLogsAndCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{WorkDir: "/var/lib/batchd/jobs", PATH: "/usr/bin:/bin"})
		h.exec.script = func(hd *fakeHandle) {
			hd.print("hello", "world")
			hd.exit(executor.Result{ExitCode: 0})
		}
		const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		for _, r := range []string{"job-role", "untrusted"} {
			call(h.iam.CreateRole(h.ctx, iam.CreateRoleInput{Name: r, Path: "/", TrustPolicy: trust})).ok(t)
		}
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("echo", 1, 128, []string{"echo", "Ref::msg"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.Parameters = map[string]string{"msg": "default"}
			in.ContainerProperties.Environment = []batch.KeyValuePair{{Name: ptr("FOO"), Value: ptr("bar")}}
			in.ContainerProperties.JobRoleArn = ptr("arn:aws:iam::123456789012:role/job-role")
		})
		h.def("plain", 1, 128, []string{"true"}, nil)
		h.def("untrusted", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.ContainerProperties.JobRoleArn = ptr("arn:aws:iam::123456789012:role/untrusted")
		})
		h.def("custom-logs", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
				"awslogs-group": "/aws/batch/job-custom", "awslogs-stream-prefix": "pre", "awslogs-create-group": "true"}}
		})
		// BatchServiceRolePolicy allows /aws/batch/job* only.
		h.def("denied-logs", 1, 128, []string{"true"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.ContainerProperties.LogConfiguration = &batch.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
				"awslogs-group": "/app/logs", "awslogs-create-group": "true"}}
		})
		arr := h.submit("arr", "q", "echo", func(in *batch.SubmitJobRequest) {
			in.Parameters = map[string]string{"msg": "hi"}
			in.ArrayProperties = &batch.ArrayProperties{Size: ptr(int32(2))}
		})
		h.start()
		h.waitStatus(arr, batch.JobStatusSucceeded)
		for i := range 2 {
			idx := string(rune('0' + i))
			child := arr + ":" + idx
			hd := h.handleOf(child)
			if hd.spec.JobID != child || !slices.Equal(hd.spec.Command, []string{"echo", "hi"}) || hd.spec.Image != "busybox" || hd.spec.Attempt != 1 {
				t.Errorf("spec %d = %+v", i, hd.spec)
			}
			want := map[string]string{
				"AWS_BATCH_JOB_ID": child, "AWS_BATCH_JOB_ATTEMPT": "1", "AWS_BATCH_JQ_NAME": "q", "AWS_BATCH_CE_NAME": "ce",
				"AWS_BATCH_JOB_ARRAY_INDEX": idx, "AWS_BATCH_JOB_ARRAY_SIZE": "2", "FOO": "bar", "PATH": "/usr/bin:/bin",
				"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
			}
			for k, v := range want {
				if got := hd.env(k); got != v {
					t.Errorf("child %d: %s=%q, want %q", i, k, got, v)
				}
			}
			if uri := hd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); !strings.Contains(uri, "/batchd/credentials/") || !strings.HasSuffix(uri, arr+"-"+idx) || hd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN") == "" {
				t.Errorf("child %d credentials: %q %q", i, uri, hd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
			}
			if !strings.HasPrefix(hd.spec.WorkDir, "/var/lib/batchd/jobs/") || hd.env("HOME") != hd.spec.WorkDir {
				t.Errorf("child %d work dir %q, HOME %q", i, hd.spec.WorkDir, hd.env("HOME"))
			}
			j := h.job(child)
			stream := deref(j.Container.LogStreamName)
			if !strings.HasPrefix(stream, "echo/default/") || len(stream) != len("echo/default/")+32 || deref(j.Attempts[0].Container.LogStreamName) != stream {
				t.Errorf("child %d log stream %q, attempt's %q", i, stream, deref(j.Attempts[0].Container.LogStreamName))
			}
			if !strings.HasPrefix(deref(j.Attempts[0].Container.TaskArn), "arn:aws:ecs:us-east-1:123456789012:task/ce_Batch_") {
				t.Errorf("child %d taskArn %q", i, deref(j.Attempts[0].Container.TaskArn))
			}
			ev := h.logs.events("/aws/batch/job", stream)
			if len(ev) != 2 || ev[0].Message != "hello" || ev[1].Message != "world" || ev[0].Timestamp == 0 {
				t.Errorf("child %d log events = %+v", i, ev)
			}
		}
		h.creds.mu.Lock()
		if len(h.creds.grants) != 0 || len(h.creds.revoked) != 2 {
			t.Errorf("grants left %v, revoked %v", h.creds.grants, h.creds.revoked)
		}
		h.creds.mu.Unlock()

		// No role: no credentials at all.
		plain := h.submit("plain", "q", "plain", nil)
		h.waitStatus(plain, batch.JobStatusSucceeded)
		if hd := h.handleOf(plain); hd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" || hd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN") != "" || hd.env("AWS_BATCH_JOB_ARRAY_INDEX") != "" {
			t.Errorf("a job without a role or array got %v", hd.spec.Env)
		}
		// A role ecs-tasks may not assume: the attempt fails to start.
		bad := h.submit("bad", "q", "untrusted", nil)
		j := h.waitStatus(bad, batch.JobStatusFailed)
		if want := unableToAssume("arn:aws:iam::123456789012:role/untrusted"); deref(j.StatusReason) != want || len(j.Attempts) != 1 {
			t.Errorf("untrusted role: %q, %d attempts", deref(j.StatusReason), len(j.Attempts))
		}
		// awslogs options: group and stream prefix.
		custom := h.submit("custom", "q", "custom-logs", nil)
		j = h.waitStatus(custom, batch.JobStatusSucceeded)
		if s := deref(j.Container.LogStreamName); !strings.HasPrefix(s, "pre/default/") || len(h.logs.events("/aws/batch/job-custom", s)) != 2 {
			t.Errorf("custom log stream %q: %v", s, h.logs.events("/aws/batch/job-custom", s))
		}
		denied := h.submit("denied", "q", "denied-logs", nil)
		j = h.waitStatus(denied, batch.JobStatusFailed)
		wantReason := "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForBatch/aws-batch is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:123456789012:log-group:/app/logs because no identity-based policy allows the logs:CreateLogGroup action"
		if deref(j.StatusReason) != reasonFailedToStart || deref(j.Container.Reason) != wantReason {
			t.Errorf("denied log group: %q / %q", deref(j.StatusReason), deref(j.Container.Reason))
		}
	})
}

// A command that cannot start fails the attempt with AWS's reasons.
func TestCannotStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.exec.script = func(hd *fakeHandle) {
			hd.exit(executor.Result{ExitCode: -1, Reason: `CannotStartContainerError: exec: "nope": executable file not found in $PATH`})
		}
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("jd", 1, 128, []string{"nope"}, func(in *batch.RegisterJobDefinitionRequest) {
			in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(int32(2)), EvaluateOnExit: []batch.EvaluateOnExit{
				{OnStatusReason: ptr("Task failed to start"), Action: "EXIT"},
			}}
		})
		id := h.submit("j", "q", "jd", nil)
		h.start()
		j := h.waitStatus(id, batch.JobStatusFailed)
		if deref(j.StatusReason) != reasonFailedToStart || len(j.Attempts) != 1 || j.Container.ExitCode != nil ||
			!strings.HasPrefix(deref(j.Container.Reason), "CannotStartContainerError: ") {
			t.Errorf("job = %q, %d attempts, exit %v, reason %q", deref(j.StatusReason), len(j.Attempts), j.Container.ExitCode, deref(j.Container.Reason))
		}
		// It never ran: no startedAt, as on AWS for a task that did not
		// start.
		if j.StartedAt != nil || len(j.Attempts) == 1 && j.Attempts[0].StartedAt != nil {
			t.Errorf("a job that never ran has startedAt %v (attempt %v)", deref(j.StartedAt), j.Attempts[0].StartedAt)
		}
	})
}

// With nothing RUNNABLE, passes start nothing.
func TestNothingToDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		s := h.start()
		s.Wake()
		time.Sleep(time.Second)
		if n := len(h.exec.started()); n != 0 {
			t.Fatalf("%d attempts with no job", n)
		}
	})
}

// patientWrites counts the Updates that are patient (store.Patient).
type patientWrites struct {
	store.Store
	n atomic.Int64
}

func (p *patientWrites) Update(ctx context.Context, fn func(store.Tx) error) error {
	if store.IsPatient(ctx) {
		p.n.Add(1)
	}
	return p.Store.Update(ctx, fn)
}

// While the API serves requests, an attempt's STARTING record is patient:
// it shares the sync of a request's write; with the API idle it is not.
func TestMarkStartingPatientWhileAPIBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &patientWrites{Store: memstore.New()}
		var busy atomic.Bool
		h := newHarnessOn(t, Config{Host: Resources{VCPUs: 1, MemoryMiB: 4096}, APIBusy: busy.Load}, st)
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("jd", 1, 128, []string{"true"}, nil)
		idle := h.submit("idle", "q", "jd", nil)
		h.start()
		h.waitStatus(idle, batch.JobStatusRunning)
		if n := st.n.Load(); n != 0 {
			t.Fatalf("%d patient Updates with the API idle, want none", n)
		}
		busy.Store(true)
		h.handleOf(idle).exit(executor.Result{ExitCode: 0})
		h.waitStatus(idle, batch.JobStatusSucceeded)
		during := h.submit("busy", "q", "jd", nil)
		h.waitStatus(during, batch.JobStatusRunning)
		if n := st.n.Load(); n != 1 {
			t.Errorf("%d patient Updates for a job started while the API is busy, want 1 (its MarkStarting)", n)
		}
	})
}

// quietChanges is a Batch whose Changes never receives: the scheduler
// hears of writes to compute environments and queues from the generation
// alone, as when a job's wake-up is taken before the change's.
type quietChanges struct{ *batch.Service }

func (quietChanges) Changes() <-chan struct{} { return nil }

// A job submitted after its compute environment was disabled does not
// start there, though the wake-up of the job made RUNNABLE may come
// before that of the change (Run takes one at a time): the pass reads the
// compute environments again when the generation says they were written.
func TestDisabledBeforeRunnable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.managedCE("ce", 4, "")
		h.queue("q", 1, "", "ce")
		h.def("jd", 1, 128, []string{"true"}, nil)
		h.cfg.Batch = quietChanges{h.batch}
		s := h.start()
		first := h.submit("first", "q", "jd", nil)
		h.waitStarted(1) // read with the compute environment ENABLED
		synctest.Wait()
		call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", State: batch.CEStateDisabled})).ok(t)
		second := h.submit("second", "q", "jd", nil)
		h.waitStatus(second, batch.JobStatusRunnable)
		synctest.Wait()
		if got := jobIDsOf(h.exec.started()); !slices.Equal(got, []string{first}) {
			t.Fatalf("started %v, want only %s: %s was submitted after the compute environment was disabled", got, first, second)
		}
		// Enabled again, it takes the job.
		call(h.batch.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", State: batch.CEStateEnabled})).ok(t)
		s.Wake()
		h.waitStarted(2)
	})
}
