package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"batchd/internal/executor"
)

// The direct start: the job as pid 1 of its pid namespace, as ECS runs a
// container without an init process, started by batchd itself from a
// thread of its own instead of a re-executed init. That thread is locked
// to its goroutine, given a mount and uts namespace of its own
// (unshare(2)), builds the job's view there exactly as the init would
// (setupMounts) and drops its privileges (dropPrivileges); the job, its
// child, is born in that view, in new pid and ipc namespaces, as its uid.
// The thread lives until the job has exited, for the job's parent-death
// signal (SIGKILL) is tied to it: should batchd die, the job dies, and
// with its pid 1 the whole namespace. A slot's thread (slots.go: cgroup
// v1 slots, view slots) builds the part of the view every job shares
// (baseView: the namespaces, the private propagation, the proc, the
// privileges) once, and serves attempt after attempt, taking each one's
// own mounts away after it.
//
// The job is forked and exec'd before its attempt's STARTING record is
// made, stopped at its first instruction (letGo): the record's commit and
// sync and the fork and exec happen at once, and the job's code runs only
// once the record is made. Should batchd die in the moment between the
// fork and the stop's report (the exec itself), the kernel detaches the
// job and its parent-death signal kills it microseconds later; after
// that, PTRACE_O_EXITKILL kills it before it is let go.
//
// The difference a job can see: its /proc is a proc of the host's pid
// namespace, mounted with hidepid=invisible, which shows only the
// processes of the job's own uid (one per running attempt) with their
// host pids, while getpid(2) in the job answers its namespace's numbers
// (1 for the job). /proc/self is right; /proc/$$ is not. The other
// attempts, batchd and the host's processes stay out of its sight and
// reach, as under the init.
//
// Linux before 5.8 shares one proc superblock among the mounts of a pid
// namespace, so its hidepid would be the host's /proc's too; it refuses
// hidepid=invisible (which 5.8 brought), and such a host falls back to the
// init for every attempt.

// procHidePID is the direct start's proc mount option.
const procHidePID = "hidepid=invisible"

// directable reports whether an attempt may start directly: batchd is
// root, the uid is the attempt's own (hidepid then hides every other
// process), the job definition asks for no init process, no ulimits
// (setrlimit is per process: the init applies them in its own), and the
// kernel's proc instances are private.
func (e *Executor) directable(id identity, initProcess bool, cfg *initConfig) bool {
	return !e.rootless && id.dynamic && !initProcess && len(cfg.Rlimits) == 0 && !e.noDirect.Load()
}

// startDirect forks the job with the thread running it; see above. It
// returns the started process, or cannot (the job's command cannot be
// run: AWS's CannotStartContainerError), or err (the sandbox could not be
// built); why is the cgroup's, as for cgroup.start. ended must be closed
// once the job's process has exited: the thread ends then.
func startDirect(cfg *initConfig, cg *cgroup, sl *slot, files []*os.File, ready func() error, noTrace *atomic.Bool, ended <-chan struct{}) (p *os.Process, cannot string, why string, err error) {
	type result struct {
		p           *os.Process
		cannot, why string
		err         error
	}
	ch := make(chan result, 1)
	if sl != nil {
		// The slot's thread, in the attempt's cgroups already, its base
		// view and privileges made (makeSlot); it takes the attempt's
		// mounts away once the job has exited.
		sl.run <- func() bool {
			var r result
			var made []madeMount
			r.p, made, r.cannot, r.why, r.err = forkInSlot(cfg, sl.private, cg, files, ready, noTrace)
			ch <- r
			if r.p != nil {
				<-ended
			}
			if unmountAttempt(made) != nil {
				return false
			}
			dropMountPoints(made, sl.private)
			return true
		}
		r := <-ch
		return r.p, r.cannot, r.why, r.err
	}
	go onOwnThread(func() {
		var r result
		r.p, r.cannot, r.why, r.err = forkDirect(cfg, cg, files, ready, noTrace)
		ch <- r
		if r.p != nil {
			<-ended
		}
	})
	r := <-ch
	return r.p, r.cannot, r.why, r.err
}

// baseView makes the calling thread (locked, never unlocked) the base of
// direct starts: a mount and uts namespace of its own, its base mounts
// (baseMounts), a tmpfs on each of private, its privileges dropped
// (dropPrivileges, which leaves its effective capabilities: it may still
// mount, and the job's uid, set as it is forked, keeps none). It returns
// the private tmpfs, each with the directory it covers.
func baseView(private []string) ([]privateMount, error) {
	// CLONE_FS: the thread's own root, cwd and umask (the runtime's threads
	// share them otherwise).
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("unshare: %w", err)
	}
	syscall.Umask(0o022)
	if err := baseMounts(procHidePID); err != nil {
		return nil, err
	}
	var mounts []privateMount
	for _, dir := range private {
		// Opened before it is covered: an attempt's sources there (its
		// work directory under /tmp) are opened from it.
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			mounts = append(mounts, privateMount{dir, fd})
			err = mountPrivate(dir)
		}
		if err != nil {
			closePrivate(mounts)
			return nil, fmt.Errorf("private %s: %w", dir, err)
		}
	}
	if err := dropPrivileges(); err != nil {
		closePrivate(mounts)
		return nil, err
	}
	return mounts, nil
}

// closePrivate closes the descriptors of a base view's private tmpfs.
func closePrivate(mounts []privateMount) {
	for _, m := range mounts {
		unix.Close(m.covered)
	}
}

// onOwnThread runs fn on a thread of its own, locked to it and never
// unlocked: the thread, which fn may change (namespaces, privileges,
// cgroups), ends with fn. It is never the main thread, whose view
// /proc/self is and which the runtime never ends: when the goroutine lands
// there, it holds that thread, so that the goroutine it starts to do the
// work cannot.
func onOwnThread(fn func()) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			onOwnThread(fn)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	fn()
}

// forkDirect runs on startDirect's locked thread, which it makes the
// job's view.
func forkDirect(cfg *initConfig, cg *cgroup, files []*os.File, ready func() error, noTrace *atomic.Bool) (p *os.Process, cannot string, why string, err error) {
	if _, err := baseView(nil); err != nil {
		return nil, "", "", err
	}
	p, _, cannot, why, err = forkInSlot(cfg, nil, cg, files, ready, noTrace)
	return p, cannot, why, err
}

// forkInSlot lays the attempt's mounts over the calling thread's base view
// (baseView, which mounted the private tmpfs of have) and forks the job
// there. made are the mounts it made, for unmountAttempt once the job has
// exited (or at once, when it did not start).
//
// The job is forked and exec'd stopped (letGo) while ready waits
// for the attempt's STARTING record, and let go once that record is
// made; where the host refuses (noTrace), it is forked once ready
// returned.
func forkInSlot(cfg *initConfig, have []privateMount, cg *cgroup, files []*os.File, ready func() error, noTrace *atomic.Bool) (p *os.Process, made []madeMount, cannot string, why string, err error) {
	made, err = attemptMounts(cfg, have)
	if err != nil {
		return nil, made, "", "", err
	}
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return nil, made, "", "", fmt.Errorf("sethostname: %w", err)
		}
	}
	path, err := lookPath(cfg.Command, cfg.Env, cfg.Dir)
	if err != nil {
		return nil, made, err.Error(), "", nil
	}
	attr := &os.ProcAttr{
		Dir:   cfg.Dir,
		Env:   cfg.Env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			Setpgid:    true,
			Pdeathsig:  syscall.SIGKILL,
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC,
			// Changing to a non-zero uid clears every capability.
			Credential: &syscall.Credential{Uid: uint32(cfg.UID), Gid: uint32(cfg.GID), Groups: []uint32{}},
		},
	}
	stopped := ready != nil && !noTrace.Load()
	if ready != nil && !stopped {
		if err := ready(); err != nil {
			return nil, made, "", "", &notReadyError{err}
		}
	}
	p, err, why = cg.startHere(attr, func() (*os.Process, error) {
		if !stopped {
			return os.StartProcess(path, cfg.Command, attr)
		}
		attr.Sys.Ptrace = true
		p, err := os.StartProcess(path, cfg.Command, attr)
		if !errors.Is(err, syscall.EPERM) {
			return p, err
		}
		// PTRACE_TRACEME refused (a Yama or seccomp policy), or the exec
		// itself: the record first, then the job, as the host allows.
		attr.Sys.Ptrace, stopped = false, false
		if err := ready(); err != nil {
			return nil, &notReadyError{err}
		}
		if p, err = os.StartProcess(path, cfg.Command, attr); err == nil {
			noTrace.Store(true)
		}
		return p, err
	})
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return nil, made, fmt.Sprintf("exec: %q: %v", cfg.Command[0], errno), why, nil
		}
		return nil, made, "", why, err
	}
	if stopped {
		if err := letGo(p, ready); err != nil {
			return nil, made, "", why, err
		}
	}
	return p, made, "", why, nil
}

// letGo lets a job forked stopped run once ready allows it, from the
// thread that forked it (its tracer). Started with PTRACE_TRACEME, the
// job stops at the SIGTRAP of its execve, before its first instruction,
// and waits there, its image loaded, while the scheduler records the
// attempt STARTING: the fork and exec no longer wait for that record's
// commit and sync. PTRACE_O_EXITKILL has the kernel kill it should the
// tracer end first (batchd dies); detaching without a signal lets it go.
// When ready fails, or the job cannot be held, it is killed and reaped,
// no code of it having run.
func letGo(p *os.Process, ready func() error) error {
	kill := func(err error) error {
		// Killed and reaped: the error to report is err. Kill fails only
		// for a process already reaped, which Wait then says.
		_ = p.Kill()
		_, _ = p.Wait()
		return err
	}
	var info unix.Siginfo
	var err error = unix.EINTR
	for errors.Is(err, unix.EINTR) {
		// WNOWAIT: an exit stays for the caller's Wait.
		err = unix.Waitid(unix.P_PID, p.Pid, &info, unix.WSTOPPED|unix.WEXITED|unix.WNOWAIT, nil)
	}
	if err != nil {
		return kill(fmt.Errorf("wait for the stopped job: %w", err))
	}
	if info.Code == cldTrapped {
		if err := unix.PtraceSetOptions(p.Pid, unix.PTRACE_O_EXITKILL); err != nil {
			return kill(fmt.Errorf("ptrace: %w", err))
		}
	}
	if err := ready(); err != nil {
		return kill(&notReadyError{err})
	}
	if info.Code != cldTrapped {
		return nil // killed before its first instruction: its Wait says so
	}
	if err := unix.PtraceDetach(p.Pid); err != nil {
		return kill(fmt.Errorf("ptrace detach: %w", err))
	}
	return nil
}

// cldTrapped is waitid(2)'s si_code of a traced child that stopped.
const cldTrapped = 4

// errNoDirect: the kernel cannot give a direct start a private proc.
var errNoDirect = errors.New("local: no private proc instance on this kernel")

// startDirect starts the attempt directly (see above) with its view cfg,
// in cgroup cg. It returns errNoDirect, having started nothing, when the
// kernel's proc cannot be private; the caller then uses the init.
func (h *handle) startDirect(ctx context.Context, cfg *initConfig, cg *cgroup, sl *slot, spec executor.Spec) (executor.Handle, error) {
	e := h.e
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	devnull, err := os.Open(os.DevNull)
	files = append(files, devnull)
	pipe := func() (r, w *os.File) {
		if err == nil {
			r, w, err = os.Pipe()
			files = append(files, r, w)
		}
		return r, w
	}
	or, ow := pipe()
	er, ew := pipe()
	if err != nil {
		closeAll()
		if sl != nil {
			sl.run <- nil // the slot leaves, with its cgroups
		}
		if sl == nil || sl.cg == nil {
			cg.remove(e.log) // the attempt's own
		}
		return nil, fmt.Errorf("local: %w", err)
	}
	ended := make(chan struct{})
	p, cannot, why, err := startDirect(cfg, cg, sl, []*os.File{devnull, ow, ew}, spec.Ready, &e.noTrace, ended)
	for _, f := range []*os.File{devnull, ow, ew} {
		f.Close()
	}
	if pm := (*procMountError)(nil); errors.As(err, &pm) {
		e.noDirect.Store(true)
		e.log("local: %v: attempts start through the sandbox's init from now on", err)
		or.Close()
		er.Close()
		return nil, errNoDirect
	}
	if why != "" {
		// The process (if any) runs outside the cgroup; say so before its
		// first line.
		cg.remove(e.log)
		cg = nil
		h.cgroupUnavailable(spec, limitsName(spec.VCPUs > 0, spec.MemoryMiB > 0), why)
	}
	if p == nil {
		or.Close()
		er.Close()
		if sl == nil || sl.cg == nil {
			cg.remove(e.log) // a slot's stay with its thread
		}
		h.removeDir()
		e.release(h.id)
		if nr := (*notReadyError)(nil); errors.As(err, &nr) {
			return nil, nr.err
		}
		if err != nil {
			cannot = "sandbox: " + err.Error()
		}
		return cannotStart(errors.New(cannot)), nil
	}
	h.proc, h.cg, h.ended = p, cg, ended
	close(h.ready)
	return h.follow(ctx, or, er), nil
}

// notReadyError carries Spec.Ready's error out of a start it stopped.
type notReadyError struct{ err error }

func (e *notReadyError) Error() string { return e.err.Error() }
func (e *notReadyError) Unwrap() error { return e.err }
