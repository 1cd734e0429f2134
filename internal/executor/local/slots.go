package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Under cgroup v1 a child is born in the cgroups of the thread that forks
// it, and moving a thread into a cgroup waits for an RCU grace period
// (cgroup_threadgroup_rwsem): about 5.5 ms on the machine this was
// measured on, longer than the rest of starting `true`. A direct start
// (direct.go) therefore takes, where it can, a slot: a thread that was
// moved ahead of need into a fresh memory and cpu cgroup of its own,
// without limits yet, and waits there. The attempt's limits are written
// into that cgroup when it is taken (cheap), and the job is forked from
// that thread, which then lives until the job has exited, as any direct
// start's. The thread built the base of the jobs' views when it was made
// (baseView) and lays each attempt's own mounts over it; once the job has
// exited it takes them away, and is a slot again (makeSlot). The executor
// keeps slotsReady slots made; one unused for slotIdle goes home and
// removes its cgroups.
//
// cgroup v2 needs no cgroup of the thread's: clone3 starts the child in
// its cgroup (CLONE_INTO_CGROUP). The base view is worth keeping all the
// same (it is a mount namespace's copy of the host's mounts, a proc and
// three tmpfs, made and torn down per attempt otherwise): a view slot is
// a thread with the base view alone, which serves, one after another,
// the attempts whose start moves no thread into a cgroup (cgroup v2, no
// cgroups, no limits), their cgroups their own (makeView).

const (
	slotsReady = 2
	slotIdle   = 30 * time.Second
)

// slot is a thread that waits for a future attempt: in its cgroups
// (cgroup v1), or with the base view alone (a view slot).
type slot struct {
	cg *cgroup // dirs and homes, the limits they hold (set); placed; nil: a view slot
	// private are the private tmpfs of the thread's base view, emptied
	// after each attempt.
	private []privateMount
	// counted: the kernel counts OOM kills in memory.oom_control (its
	// oom_kill, Linux 4.13), which oomAtEnd reads; the counters it reads
	// otherwise (memory.failcnt, memory.max_usage_in_bytes) need no reset
	// between attempts.
	counted bool
	// oomSeen is memory.oom_control's oom_kill plus one as the slot's last
	// attempt ended (cgroup.oomAtEnd); 0: not known, read it.
	oomSeen atomic.Int64
	// run takes the attempt's start, run on the slot's thread, which
	// returns once the job has exited, reporting whether the thread's view
	// is its base again (the slot may be used again); nil: leave.
	run chan func() bool
}

// slots are an Executor's slots: ready ones and how many are being made.
type slots struct {
	mu     sync.Mutex
	ready  []*slot
	making int
	broken bool // a slot could not be made: none are tried again
	sweep  sync.Once
	// free are the cgroups of slots whose attempts ended, emptied and
	// reset for the next slot: a v1 memory cgroup costs more to make than
	// anything else in a start.
	free   []freeCgroup
	reused atomic.Int64 // cgroups taken from free, for tests
	again  atomic.Int64 // attempts on a thread that served one before, for tests
	walks  atomic.Int64 // private tmpfs walked to be emptied (emptyDir), for tests
}

// maxFree bounds the cgroups kept for reuse.
const maxFree = 8

// freeCgroup is a slot's cgroups kept for reuse, with the limits their
// files hold.
type freeCgroup struct {
	dirs []string
	set  slotLimits
}

// slotLimits are the limits a slot's v1 cgroups hold: memory in bytes and
// the CFS quota in microseconds, 0 for none. A reused cgroup keeps its
// last attempt's (writing a limit costs more than comparing it: a memory
// limit may reclaim, a quota walks the task group), and the next attempt
// writes only those that differ.
type slotLimits struct{ mem, quota int64 }

// recycle waits for a slot's cgroups to be empty (its thread ends once
// the job has), resets them and keeps them for a next slot; past maxFree,
// or when they cannot be reset, they are removed.
func (e *Executor) recycle(cg *cgroup) {
	if !cg.settle("", time.Millisecond) {
		cg.remove(e.log)
		return
	}
	p := &e.slots
	p.mu.Lock()
	full := len(p.free) >= maxFree
	p.mu.Unlock()
	if full || cg.reset() != nil {
		cg.remove(e.log)
		return
	}
	p.mu.Lock()
	p.free = append(p.free, freeCgroup{cg.dirs, cg.set})
	p.mu.Unlock()
}

// holdsOnly reports whether the slot's cgroups (v1) hold the task tid
// and no other ("": none). The first (memory) tells for both: the slot's
// thread and the job's processes, forked from it, are in both, and none
// may move itself.
func (c *cgroup) holdsOnly(tid string) bool {
	data, err := readFile(filepath.Join(c.dirs[0], "tasks"))
	return err == nil && strings.TrimSpace(string(data)) == tid
}

// settle waits up to a second, polling from every first on, for the
// slot's cgroups to hold only tid ("": none), and reports whether they do.
func (c *cgroup) settle(tid string, first time.Duration) bool {
	deadline := time.Now().Add(time.Second)
	for wait := first; !c.holdsOnly(tid); wait = min(2*wait, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
	return true
}

// reset makes a slot's memory cgroup's counters (v1) as new, at zero. Its
// limits stay (slotLimits), for the next attempt to change if they
// differ. What only accumulates (memory.oom_control's oom_kill) is read at
// the next take instead (slot.limit). The page cache the last job left
// stays charged to the cgroup until the kernel reclaims it, first, under
// the next job's limit (memory.force_empty would reclaim it at once, and
// costs more than making a new cgroup).
func (c *cgroup) reset() error {
	return writeLimits(c.dirs[0], [][2]string{{"memory.max_usage_in_bytes", "0"}, {"memory.failcnt", "0"}})
}

// slotPrefix starts a slot's cgroup name (after the instance's prefix),
// then the pid of its batchd.
const slotPrefix = "slot-"

// sweepSlots removes the slot cgroups of batchd processes that are gone,
// whatever their instance.
func (e *Executor) sweepSlots() {
	for _, parent := range []string{e.cg.mem.parent, e.cg.cpu.parent} {
		entries, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, d := range entries {
			// Any instance's: a slot names the pid of its batchd.
			_, rest, ok := strings.Cut(d.Name(), slotPrefix)
			pidText, _, ok2 := strings.Cut(rest, "-")
			pid, err := strconv.Atoi(pidText)
			if !ok || !ok2 || err != nil || pid == os.Getpid() {
				continue
			}
			if syscall.Kill(pid, 0) == syscall.ESRCH {
				// Empty: its threads went with their process.
				if err := os.Remove(filepath.Join(parent, d.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					e.log("local: remove a dead batchd's slot cgroup: %v", err)
				}
			}
		}
	}
}

// takeSlot returns a ready slot, or nil (cgroup v2, v1 without both
// controllers, none ready yet); either way it has more made.
func (e *Executor) takeSlot() *slot {
	c := e.cg
	if c == nil || c.v2 != "" || c.mem.parent == "" || c.cpu.parent == "" {
		return nil
	}
	// Slots of processes gone (a batchd killed, a test binary done) leave
	// empty cgroups: removed, once.
	e.slots.sweep.Do(e.sweepSlots)
	return e.slots.take(e.makeSlot)
}

// takeView returns a ready view slot, or nil (none ready yet, or none can
// be made); either way it has more made. A view slot's thread has the
// base of the jobs' views (baseView) and no cgroup of its own: it serves
// the attempts whose start does not move the forking thread into their
// cgroups, those without limits, and every attempt under cgroup v2 (the
// child is cloned into its cgroup) or without cgroups.
func (e *Executor) takeView() *slot {
	return e.views.take(e.makeView)
}

// take returns a ready slot of p, or nil, and has mk (run on a thread of
// its own) make more, up to slotsReady ready.
func (p *slots) take(mk func()) *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken {
		return nil
	}
	var s *slot
	if n := len(p.ready); n > 0 {
		s, p.ready = p.ready[n-1], p.ready[:n-1]
	}
	for len(p.ready)+p.making < slotsReady {
		p.making++
		go onOwnThread(mk)
	}
	return s
}

// makeSlot makes one slot and, on its thread (onOwnThread), waits for its
// attempts. The thread builds the base of the jobs' views once (baseView):
// after each attempt it takes that attempt's mounts away and, once its
// cgroups hold no task but itself, is ready again, with their counters
// reset (reset) and the limits they hold (slotLimits) for the next
// attempt to change.
func (e *Executor) makeSlot() {
	p := &e.slots
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails (Go 1.24)
	name := e.prefix + slotPrefix + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	cg := &cgroup{}
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		cg.dirs, cg.set, p.free = p.free[n-1].dirs, p.free[n-1].set, p.free[:n-1]
		cg.homes = []string{e.cg.mem.home, e.cg.cpu.home}
		p.reused.Add(1)
	}
	p.mu.Unlock()
	fail := func(err error) {
		e.log("local: cgroup v1 slot: %v; attempts join their cgroups as they start", err)
		cg.goHome(strconv.Itoa(syscall.Gettid()))
		cg.remove(e.log)
		p.giveUp()
	}
	for _, ctrl := range []*v1Controller{&e.cg.mem, &e.cg.cpu} {
		if cg.homes != nil {
			break // reused
		}
		dir, err := ctrl.createV1(name, nil)
		if err != nil {
			fail(err)
			return
		}
		cg.dirs = append(cg.dirs, dir)
	}
	cg.homes = []string{e.cg.mem.home, e.cg.cpu.home}
	tid := strconv.Itoa(syscall.Gettid())
	for _, dir := range cg.dirs {
		if err := writeFile(filepath.Join(dir, "tasks"), tid); err != nil {
			fail(err)
			return
		}
	}
	cg.placed = true
	private, err := e.baseView()
	defer closePrivate(private) // the thread ends with this function
	if err != nil {
		fail(err)
		return
	}
	s := &slot{cg: cg, private: private, run: make(chan func() bool, 1)}
	if p.serve(s, tid) {
		// The thread ends with the goroutine (it is locked), and the
		// cgroups, then empty, are kept for another slot.
		go e.recycle(cg)
		return
	}
	// Not used: home, and the cgroups go. A thread that cannot go home
	// ends with the goroutine (it is locked), leaving them empty.
	if cg.goHome(tid) {
		cg.remove(e.log)
	}
}

// makeView makes one view slot and, on its thread (onOwnThread), waits
// for its attempts, as makeSlot does without cgroups; the thread ends
// with the goroutine (it is locked) when the slot leaves.
func (e *Executor) makeView() {
	p := &e.views
	private, err := e.baseView()
	defer closePrivate(private) // the thread ends with this function
	if err != nil {
		e.log("local: a thread with the jobs' base view: %v; attempts build their view each", err)
		p.giveUp()
		return
	}
	p.serve(&slot{private: private, run: make(chan func() bool, 1)}, strconv.Itoa(syscall.Gettid()))
}

// baseView is baseView(e.private); a kernel that cannot give the view a
// private proc has every attempt start through the init from then on.
func (e *Executor) baseView() ([]privateMount, error) {
	private, err := baseView(e.private)
	if pm := (*procMountError)(nil); errors.As(err, &pm) {
		e.noDirect.Store(true)
		e.log("local: %v: attempts start through the sandbox's init from now on", err)
	}
	return private, err
}

// giveUp: a slot that p.making counted could not be made; none are tried
// again.
func (p *slots) giveUp() {
	p.mu.Lock()
	p.making--
	p.broken = true
	p.mu.Unlock()
}

// serve has s, made (p.making counted it), wait in p for attempts and run
// them on its thread (tid) until it leaves: unused for slotIdle, or after
// an attempt that left it unfit (its mounts or cgroups not as they were),
// which serve reports.
func (p *slots) serve(s *slot, tid string) (unfit bool) {
	p.mu.Lock()
	p.making--
	p.mu.Unlock()
	for {
		p.mu.Lock()
		p.ready = append(p.ready, s)
		p.mu.Unlock()
		fn := s.wait(p)
		if fn == nil {
			return false
		}
		if !fn() || !s.again(p, tid) {
			return true
		}
		p.again.Add(1)
	}
}

// wait waits for the slot's attempt: its start, or nil when the slot is to
// leave (unused for slotIdle, or given up).
func (s *slot) wait(p *slots) func() bool {
	idle := time.NewTimer(slotIdle)
	defer idle.Stop()
	select {
	case fn := <-s.run:
		return fn
	case <-idle.C:
	}
	p.mu.Lock()
	i := slices.Index(p.ready, s)
	if i >= 0 {
		p.ready = slices.Delete(p.ready, i, i+1)
	}
	p.mu.Unlock()
	if i >= 0 {
		return nil
	}
	return <-s.run // taken meanwhile: its attempt comes
}

// again makes a slot of p whose attempt ended (its mounts taken away)
// ready for the next: its cgroups (a view slot has none) hold no task but
// the thread (tid), then its private tmpfs are emptied and the cgroups'
// counters reset (where the kernel has no OOM kill counter). It reports
// false when that cannot be.
func (s *slot) again(p *slots, tid string) bool {
	if s.cg != nil && !s.cg.settle(tid, 100*time.Microsecond) {
		return false
	}
	for _, m := range s.private {
		if tmpfsEmpty(m.dir) {
			continue // the job left nothing there (dropMountPoints)
		}
		p.walks.Add(1)
		if err := emptyDir(m.dir); err != nil {
			return false
		}
	}
	return s.cg == nil || s.counted || s.cg.reset() == nil
}

// limit writes the attempt's limits into the slot's cgroups and returns
// them as the attempt's cgroup.
func (s *slot) limit(vcpus float64, memMiB int64) (*cgroup, error) {
	cg := *s.cg
	want := slotLimits{mem: max(memMiB, 0) << 20}
	if vcpus > 0 {
		want.quota = cfsQuota(vcpus)
	}
	if want.mem != cg.set.mem {
		files := memoryLimits(want.mem)
		switch {
		case want.mem == 0:
			files = [][2]string{{"?memory.memsw.limit_in_bytes", "-1"}, {"memory.limit_in_bytes", "-1"}}
		case cg.set.mem != 0 && want.mem > cg.set.mem:
			// Raised: memsw first, as it may not be below the limit.
			files[0], files[1] = files[1], files[0]
		}
		if err := writeLimits(cg.dirs[0], files); err != nil {
			return nil, err
		}
	}
	if want.quota != cg.set.quota {
		files := cpuLimits(vcpus)
		if want.quota == 0 {
			files = [][2]string{{"cpu.cfs_quota_us", "-1"}}
		}
		if err := writeLimits(cg.dirs[1], files); err != nil {
			return nil, err
		}
	}
	cg.set = want
	s.cg.set = want // the slot's thread reads it once the attempt ended
	// A reused cgroup counts the OOM kills of its earlier attempts: as the
	// last one's end read them, or read now. Known only until this
	// attempt runs (one without a memory limit reads none at its end).
	seen := s.oomSeen.Swap(0)
	if want.mem > 0 {
		cg.memDir, cg.memLimit = cg.dirs[0], want.mem
		if seen > 0 {
			cg.oomBase = seen - 1
		} else {
			cg.oomBase, s.counted = readKey(filepath.Join(cg.memDir, "memory.oom_control"), "oom_kill")
		}
		cg.oomSeen = &s.oomSeen
	}
	return &cg, nil
}
