package sqlite

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"batchd/internal/store"
)

// realtimeAllowed reports whether this process may give a thread a
// real-time policy.
func realtimeAllowed() bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: 1}, 0) != nil {
		return false
	}
	if err := unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_NORMAL}, 0); err != nil {
		panic(err) // leaving a real-time policy is never refused
	}
	return true
}

// ioPriority returns thread tid's I/O priority as ioprio_get(2) gives it
// (0: class none).
func ioPriority(t *testing.T, tid int) (uintptr, bool) {
	t.Helper()
	prio, _, errno := unix.RawSyscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(tid), 0)
	return prio, errno == 0
}

// TestSyncPromptlyPriorities: during the sync, the thread is real-time
// where the kernel allows it, its I/O best-effort (not the real-time class
// a real-time thread's I/O has by default); afterwards it is back to the
// usual policy and its own I/O priority.
func TestSyncPromptlyPriorities(t *testing.T) {
	runtime.LockOSThread() // the same thread before, during and after
	defer runtime.UnlockOSThread()
	before, ok := ioPriority(t, 0)
	if !ok {
		t.Fatal("ioprio_get refused")
	}
	allowed := realtimeAllowed()
	var during *unix.SchedAttr
	var duringIO uintptr
	promptly, err := syncPromptly(func() error {
		var err error
		during, err = unix.SchedGetAttr(0, 0)
		duringIO, _ = ioPriority(t, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case promptly != allowed:
		t.Fatalf("real-time policy allowed %v, sync at it %v", allowed, promptly)
	case allowed && during.Policy != unix.SCHED_FIFO:
		t.Errorf("policy during the sync %d, want SCHED_FIFO", during.Policy)
	case allowed && before == 0 && duringIO>>ioprioClassShift != ioprioClassBE:
		t.Errorf("I/O priority during the sync %#x, want the best-effort class", duringIO)
	case !allowed && during.Policy != unix.SCHED_NORMAL:
		t.Errorf("policy during a sync refused real time: %d", during.Policy)
	}
	after, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if io, _ := ioPriority(t, 0); after.Policy != unix.SCHED_NORMAL || io != before {
		t.Errorf("after the sync: policy %d, I/O priority %#x; want SCHED_NORMAL and %#x", after.Policy, io, before)
	}
}

// TestSyncPromptly: where the kernel allows a real-time policy, every
// sync of the WAL runs at it; where it does not, none does, and the syncs
// happen as before. No thread is left at it: the test is not parallel,
// so no other test's sync runs meanwhile.
func TestSyncPromptly(t *testing.T) {
	db, _ := openTest(t)
	allowed := realtimeAllowed()
	syncs0, promptly0 := db.synced.Load(), db.syncedPromptly.Load()
	for i := range 20 {
		if err := db.Update(context.Background(), func(tx store.Tx) error {
			return tx.Put("k", strconv.Itoa(i), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	syncs, promptly := db.synced.Load()-syncs0, db.syncedPromptly.Load()-promptly0
	switch {
	case syncs == 0:
		t.Fatal("20 Updates, no sync of the WAL")
	case allowed && promptly != syncs:
		t.Errorf("real-time policy allowed: %d of %d syncs at it", promptly, syncs)
	case !allowed && promptly != 0:
		t.Errorf("real-time policy refused, yet %d syncs at it", promptly)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			continue // the thread ended
		}
		if attr.Policy != unix.SCHED_NORMAL {
			t.Errorf("thread %d left with scheduling policy %d", tid, attr.Policy)
		}
	}
}

// TestSyncPromptlyRefused: once the kernel refused a real-time policy,
// syncs run at the usual one, and say so.
func TestSyncPromptlyRefused(t *testing.T) {
	was := realtimeRefused.Load()
	realtimeRefused.Store(true)
	defer realtimeRefused.Store(was)
	ran := false
	promptly, err := syncPromptly(func() error {
		ran = true
		attr, err := unix.SchedGetAttr(0, 0)
		if err == nil && attr.Policy != unix.SCHED_NORMAL {
			t.Errorf("policy %d during a sync after a refusal", attr.Policy)
		}
		return err
	})
	if err != nil || promptly || !ran {
		t.Errorf("syncPromptly = %v, %v (sync ran: %v); want false, nil, ran", promptly, err, ran)
	}
}
