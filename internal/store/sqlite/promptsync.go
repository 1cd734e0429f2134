package sqlite

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The WAL's sync, which every commit an API request waits for waits for,
// runs from a thread at real-time priority (SCHED_FIFO 1) where the
// kernel allows it, for the sync alone. At the usual priority, its
// thread, woken by the disk's completion while jobs' processes held both
// CPUs of a 2-vCPU machine, waited for one of them to reach the end of its
// slice; a real-time thread takes a CPU at once.
//
// A thread's I/O priority, unless it was given one, follows its
// scheduling policy: a real-time thread's I/O is of the real-time class,
// which the block layer's schedulers (mq-deadline, BFQ) serve before all
// other. The WAL's writeback and flush then went ahead of the file
// system's journal and every other process's I/O, and a sync that needed
// the journal waited behind its own: one run in three had a p99 of 7–8 ms
// instead of 2.5–3 ms. The thread keeps the best-effort I/O priority it
// had at the usual priority.

// Linux's ioprio_set(2) and ioprio_get(2), which x/sys/unix does not name.
const (
	ioprioWhoProcess = 1 // IOPRIO_WHO_PROCESS: a thread by ID, 0 the caller
	ioprioClassShift = 13
	ioprioClassBE    = 2 // IOPRIO_CLASS_BE; 0 is IOPRIO_CLASS_NONE
)

// realtimeRefused is set once the kernel refused a real-time policy:
// batchd has neither CAP_SYS_NICE nor an RLIMIT_RTPRIO.
var realtimeRefused atomic.Bool

// syncPromptly runs sync from the calling goroutine's thread at real-time
// priority (not inherited by a fork), with its usual I/O priority, and
// says whether it could; otherwise it runs sync as it is. The thread is
// locked to the goroutine meanwhile, so that the Go runtime runs nothing
// else on it, and drops back to the usual policy and I/O priority before
// the goroutine runs any other code.
func syncPromptly(sync func() error) (promptly bool, err error) {
	if realtimeRefused.Load() {
		return false, sync()
	}
	runtime.LockOSThread()
	restoreIO, ok := keepIOPriority()
	if !ok {
		runtime.UnlockOSThread()
		return false, sync()
	}
	rt := &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: 1, Flags: unix.SCHED_FLAG_RESET_ON_FORK}
	if unix.SchedSetAttr(0, rt, 0) != nil {
		realtimeRefused.Store(true)
		restoreIO()
		runtime.UnlockOSThread()
		return false, sync()
	}
	err = sync()
	if unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_NORMAL}, 0) == nil {
		restoreIO()
		runtime.UnlockOSThread()
	}
	// Otherwise (leaving a real-time policy is never refused) the thread
	// stays locked to this goroutine, which ends it when it returns: no
	// other code runs on it.
	return true, err
}

// keepIOPriority gives the calling thread, when it has no I/O priority of
// its own (class none, from which the kernel derives one from the
// scheduling policy), the best-effort one the kernel derives from its nice
// value, explicitly, so that a real-time policy does not change it. It
// returns what undoes that, and false when it could not read or set it.
// An I/O priority set by the operator (ionice) is kept as it is: the
// scheduling policy does not change it.
func keepIOPriority() (restore func(), ok bool) {
	old, _, errno := unix.RawSyscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, 0, 0)
	if errno != 0 {
		return nil, false
	}
	if old>>ioprioClassShift != 0 {
		return func() {}, true
	}
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0) // 20 - nice
	if err != nil {
		return nil, false
	}
	level := (20 - prio + 20) / 5 // the kernel's task_nice_ioprio
	if _, _, errno := unix.RawSyscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(ioprioClassBE<<ioprioClassShift|level)); errno != 0 {
		return nil, false
	}
	return func() {
		// Back to class none. Refused (it never is), the thread keeps
		// the best-effort priority it would have had anyway.
		_, _, _ = unix.RawSyscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, old)
	}, true
}
