package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"batchd/internal/executor"
)

// Reasons, in AWS's words.
const (
	reasonOOM         = "OutOfMemoryError: Container killed due to memory usage"
	reasonCannotStart = "CannotStartContainerError: "
)

const (
	// maxLine is the longest line passed on whole.
	maxLine = executor.MaxLine
	// drainTimeout bounds the wait for the pipes once the main process and
	// its process group are gone: only a process that escaped both the
	// group and the cgroup can still hold them open.
	drainTimeout = 5 * time.Second
	// defaultPath is searched when Spec.Env has no PATH: Docker's default.
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Options configure an Executor; the zero value is ready for use.
type Options struct {
	// CgroupRoot is where the cgroup hierarchies are mounted; default
	// "/sys/fs/cgroup".
	CgroupRoot string
	// Log receives warnings meant for the operator, printf style; nil
	// discards them.
	Log func(format string, args ...any)
	// Now stamps output lines; default time.Now.
	Now func() time.Time
	// Instance names this batchd among others on the host (a hash of its
	// data dir): attempts' cgroups are named after it, so that Reap finds
	// this instance's leftovers and no one else's.
	Instance string
	// User, a host user's name or UID (optionally ":group"), runs every
	// attempt instead of a UID of the range per attempt. It must not be
	// root or batchd's own user.
	User string
	// UIDMin and UIDMax bound the UIDs (and GIDs) given to attempts, one
	// per running attempt; default DefaultUIDMin-DefaultUIDMax.
	UIDMin, UIDMax int
	// HideDirs are replaced by an empty read-only directory in every
	// attempt's view (batchd's data dir).
	HideDirs []string
}

// Executor runs attempts as child processes. It is safe for concurrent use.
type Executor struct {
	prefix string // "<instance>." or ""
	log    func(format string, args ...any)
	now    func() time.Time
	cg     *cgroups
	warned sync.Map // why → struct{}: each cgroup problem logged once

	rootless bool      // batchd cannot change users: a user namespace
	ids      *uids     // the range of attempts' UIDs
	user     *identity // Options.User, or nil
	userErr  error     // why Options.User is unusable; Start fails
	hide     []string  // Options.HideDirs, resolved
	private  []string  // privateMounts, found once
	// noDirect: the kernel's proc cannot be private; every attempt
	// starts through the init (direct.go).
	noDirect atomic.Bool
	// noTrace: the host refused a direct start's PTRACE_TRACEME; jobs
	// are forked once Spec.Ready returned, instead of before it, stopped
	// (letGo, direct.go).
	noTrace atomic.Bool
	slots   slots    // cgroup v1 (slots.go)
	views   slots    // view slots: no cgroup of their own (slots.go)
	dirs    workDirs // kept work directories (workdirs.go)
}

// Close removes the work directories the Executor keeps for its next
// attempts (workdirs.go); attempts still running keep theirs.
func (e *Executor) Close() error { return e.dirs.removeAll() }

var _ executor.Executor = (*Executor)(nil)

// New returns an Executor; it detects the host's cgroup hierarchies once.
func New(opts Options) *Executor {
	e := &Executor{log: opts.Log, now: opts.Now}
	if opts.Instance != "" {
		e.prefix = cgroupName(opts.Instance, 0) + "."
	}
	if e.log == nil {
		e.log = func(string, ...any) {}
	}
	if e.now == nil {
		e.now = time.Now
	}
	root := opts.CgroupRoot
	if root == "" {
		root = "/sys/fs/cgroup"
	}
	self, _ := os.ReadFile("/proc/self/cgroup")
	e.cg = detectCgroups(root, self)

	e.rootless = os.Geteuid() != 0
	lo, hi := opts.UIDMin, opts.UIDMax
	if lo <= 0 || hi < lo {
		lo, hi = DefaultUIDMin, DefaultUIDMax
	}
	e.ids = newUIDs(lo, hi)
	if opts.User != "" {
		uid, gid, err := lookupUser(opts.User)
		switch {
		case e.rootless:
			e.log("local: batchd does not run as root: the sandbox user %q is not used; attempts run in a user namespace", opts.User)
		case err != nil:
			e.userErr = fmt.Errorf("local: sandbox user: %w", err)
		case uid == 0 || uid == os.Getuid() || gid == 0 || gid == os.Getgid():
			e.userErr = fmt.Errorf("local: sandbox user %q is root or batchd's own user or group", opts.User)
		default:
			e.user = &identity{uid: uid, gid: gid}
		}
		if e.userErr != nil {
			e.log("%v: no attempt will start", e.userErr)
		}
	}
	for _, d := range opts.HideDirs {
		e.hide = append(e.hide, executor.RealPath(d))
	}
	e.private = privateMounts()
	return e
}

// Start runs spec; see the package documentation.
func (e *Executor) Start(ctx context.Context, spec executor.Spec, out func(executor.Line)) (executor.Handle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.userErr != nil {
		return nil, e.userErr
	}
	if out == nil {
		out = func(executor.Line) {}
	}
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return cannotStart(errors.New("exec: no command specified")), nil
	}
	id, userNote, err := e.identityFor(spec)
	if err != nil {
		return nil, err
	}
	h := &handle{e: e, out: out, id: id, done: make(chan struct{}), ready: make(chan struct{})}
	fail := func(err error) (executor.Handle, error) {
		if h.dir != "" {
			os.RemoveAll(h.dir)
		}
		e.release(id)
		return nil, err
	}
	dir, real, fresh := spec.WorkDir, "", true
	if dir == "" {
		d, err := os.MkdirTemp("", "batchd-attempt-")
		if err != nil {
			return fail(fmt.Errorf("local: work directory: %w", err))
		}
		dir, real = d, executor.RealPath(d)
	} else if real, fresh, err = e.dirs.make(dir); err != nil {
		return fail(fmt.Errorf("local: work directory: %w", err))
	}
	h.dir, h.keepDir = dir, spec.WorkDir != ""
	dir = real
	if err := os.Chmod(dir, 0o700); err != nil {
		return fail(fmt.Errorf("local: work directory: %w", err))
	}
	if !e.rootless {
		// One made here is empty; one found is given with what batchd
		// put in it.
		chown := chownTree
		if fresh {
			chown = os.Lchown
		}
		if err := chown(dir, id.uid, id.gid); err != nil {
			return fail(fmt.Errorf("local: work directory: %w", err))
		}
	}
	env := gpuEnv(spec.Env, spec.GPUDevices)
	if env == nil {
		env = []string{} // nil would mean batchd's own environment
	}
	cfg := initConfig{
		Command: spec.Command, Env: env, Dir: dir,
		SetUID: !e.rootless, UID: id.uid, GID: id.gid,
		Hostname: hostname(spec),
	}
	notes := e.plan(&cfg, spec, dir)
	// What the job's log says first, before the job's own lines.
	if spec.Image != "" {
		h.note(fmt.Sprintf("batchd: the local executor does not use the image %q: the command runs on the host's file system", spec.Image))
	}
	if userNote != "" {
		h.note(fmt.Sprintf("batchd: %s; running as uid %d", userNote, id.uid))
	}
	for _, n := range notes {
		h.note("batchd: " + n)
	}

	limited := spec.VCPUs > 0 || spec.MemoryMiB > 0
	newCgroup := func() *cgroup {
		if !limited {
			return nil
		}
		cg, without, why := e.cg.create(e.prefix+cgroupName(spec.JobID, spec.Attempt), spec.VCPUs, spec.MemoryMiB)
		if why != "" {
			h.cgroupUnavailable(spec, without, why)
		}
		return cg
	}
	var cg *cgroup
	if e.directable(id, spec.Linux.InitProcessEnabled, &cfg) {
		var sl *slot
		if limited {
			if sl = e.takeSlot(); sl != nil {
				var err error
				if cg, err = sl.limit(spec.VCPUs, spec.MemoryMiB); err != nil {
					e.log("local: cgroup v1 slot: %v", err)
					sl.run <- nil
					sl = nil
				}
			}
		}
		if sl == nil {
			cg = newCgroup()
			if cg == nil || cg.v2 {
				// The start moves no thread: a view slot's will do.
				sl = e.takeView()
			}
		}
		dh, err := h.startDirect(ctx, &cfg, cg, sl, spec)
		if !errors.Is(err, errNoDirect) {
			if err != nil {
				return fail(err)
			}
			return dh, nil
		}
		// This kernel's proc cannot be private: the init, from now on (a
		// slot's thread mounted its proc before it was ready: never one).
	} else {
		cg = newCgroup()
	}

	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File) {
		if err == nil {
			r, w, err = os.Pipe()
			files = append(files, r, w)
		}
		return r, w
	}
	devnull, err := os.Open(os.DevNull)
	files = append(files, devnull)
	or, ow := pipe()
	er, ew := pipe()
	cr, cw := pipe()
	sr, sw := pipe()
	lr, lw := pipe()
	if err != nil {
		closeAll()
		cg.remove(e.log)
		return fail(fmt.Errorf("local: %w", err))
	}
	sys := &syscall.SysProcAttr{
		Setpgid:    true,
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
	}
	if e.rootless {
		// The namespace's uid 0 is batchd's uid; the init may mount there.
		sys.Cloneflags |= syscall.CLONE_NEWUSER
		sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	attr := &os.ProcAttr{
		Dir: "/",
		// The init is small and starts once per attempt: one P, and no
		// look at the cgroup's CPU limit (which reads mountinfo).
		Env:   []string{"GOMAXPROCS=1", "GODEBUG=cgroupgomaxprocs=0"},
		Files: []*os.File{devnull, ow, ew, cr, sw, lr},
		Sys:   sys,
	}
	if spec.Ready != nil {
		if err := spec.Ready(); err != nil {
			closeAll()
			cg.remove(e.log)
			return fail(err)
		}
	}
	proc, err, why := cg.start(attr, func() (*os.Process, error) {
		return os.StartProcess("/proc/self/exe", []string{initArg0}, attr)
	})
	for _, f := range []*os.File{devnull, ow, ew, cr, sw, lr} {
		f.Close()
	}
	if why != "" {
		// The process (if any) runs outside the cgroup; say so before its
		// first line.
		cg.remove(e.log)
		cg = nil
		h.cgroupUnavailable(spec, limitsName(spec.VCPUs > 0, spec.MemoryMiB > 0), why)
	}
	if err != nil {
		for _, f := range []*os.File{or, er, cw, sr, lw} {
			f.Close()
		}
		cg.remove(e.log)
		return fail(fmt.Errorf("local: start the sandbox: %w", err))
	}
	h.proc = proc
	h.cg = cg
	h.status = json.NewDecoder(sr)
	h.statusFile = sr
	h.lifeline = lw

	// The config; the init's first word (started, or why not) is read by
	// the monitor: Start does not wait for the init to come up, so that the
	// scheduler records RUNNING meanwhile. Stop waits for that word.
	if err := json.NewEncoder(cw).Encode(&cfg); err != nil {
		e.log("local: sandbox config: %v", err) // the init reports it, too
	}
	cw.Close()
	return h.follow(ctx, or, er), nil
}

// follow reads the started attempt's stdout (or) and stderr (er) and
// monitors it until it ends; ctx's end kills it.
func (h *handle) follow(ctx context.Context, or, er *os.File) *handle {
	stdoutDone := make(chan struct{})
	stderrDone := make(chan struct{})
	go h.read(or, false, stdoutDone)
	go h.read(er, true, stderrDone)
	stopKill := context.AfterFunc(ctx, h.kill)
	go h.monitor(or, er, stdoutDone, stderrDone, stopKill)
	return h
}

// hostname is the attempt's host name: its ID's first 12 hex digits, as
// Docker names a container's host.
func hostname(spec executor.Spec) string {
	if len(spec.AttemptID) >= 12 {
		return spec.AttemptID[:12]
	}
	return "batchd-job"
}

// note is one of batchd's own lines in the job's log, on stderr.
func (h *handle) note(s string) { h.emit([]byte(s), true) }

// cgroupName names the attempt's cgroup; job IDs are UUIDs (array children
// "<uuid>:<index>"), anything else is made safe for a path element.
func cgroupName(jobID string, attempt int) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == ':', r == '.':
			return r
		}
		return '_'
	}, jobID)
	if clean == "" || clean == "." || clean == ".." {
		clean = "job" + clean
	}
	return fmt.Sprintf("%s-%d", clean, attempt)
}

// lookPath resolves the command as execvp would in the child: a name with a
// slash relative to the work directory, any other name through the PATH of
// the job's environment.
func lookPath(command, env []string, dir string) (string, error) {
	if len(command) == 0 || command[0] == "" {
		return "", errors.New("exec: no command specified")
	}
	name := command[0]
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return name, nil // the exec reports what is wrong with it
	}
	path, ok := getenv(env, "PATH")
	if !ok {
		path = defaultPath
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

// getenv returns the first value of key in env, as the C library's getenv
// does.
func getenv(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func cannotStart(err error) executor.Handle {
	return executor.Ended(executor.Result{ExitCode: -1, Reason: reasonCannotStart + err.Error()})
}

// handle is a started attempt. Its monitor goroutine owns the process from
// exit to cleanup; Wait waits for it.
type handle struct {
	e       *Executor
	proc    *os.Process
	cg      *cgroup // nil without limits
	dir     string
	keepDir bool // dir is Spec.WorkDir: kept for another attempt once emptied
	id      identity

	// status is the init's status pipe: after "started", "exit" with the
	// job's wait status; nil for a job started directly (direct.go).
	status     *json.Decoder
	statusFile *os.File
	// lifeline is held open while batchd lives: should batchd die, the
	// init reads EOF and kills the job (and so its namespace).
	lifeline *os.File
	ready    chan struct{} // closed once the init said whether the job started
	// ended, for a job started directly (status nil), is closed once its
	// process exited.
	ended chan struct{}

	outMu sync.Mutex // serializes out
	out   func(executor.Line)

	// esc ends when the process exited: its group may no longer be
	// signalled.
	esc executor.Escalation

	done chan struct{}
	res  executor.Result
}

// Wait blocks until the attempt ended and all its output was delivered.
func (h *handle) Wait() executor.Result {
	<-h.done
	return h.res
}

// Stop sends SIGTERM to the process group, then SIGKILL after grace.
func (h *handle) Stop(grace time.Duration) {
	h.waitReady()
	h.esc.Stop(grace, func() { h.signalGroup(syscall.SIGTERM) }, h.killGroup)
}

// kill sends SIGKILL to the process group and the cgroup, unless the
// process already exited.
func (h *handle) kill() {
	h.waitReady()
	h.esc.Kill(h.killGroup)
}

// killGroup kills the process group and what is left in the cgroup; the
// escalation's lock held.
func (h *handle) killGroup() {
	h.signalGroup(syscall.SIGKILL)
	h.cg.killAll()
}

// waitReady waits (a few seconds at most) for the init's first word, so
// that a signal never overtakes the report of a job that could not start.
func (h *handle) waitReady() {
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-h.ready:
	case <-t.C:
	}
}

// signalGroup signals the process group; the escalation's lock held and
// the leader not yet reaped, so the group ID is still ours.
func (h *handle) signalGroup(sig syscall.Signal) {
	_ = syscall.Kill(-h.proc.Pid, sig)
}

func (h *handle) monitor(or, er *os.File, stdoutDone, stderrDone <-chan struct{}, stopKill func() bool) {
	var first initMsg
	var ferr error
	started := true // started directly: no init to hear from
	if h.status != nil {
		ferr = h.status.Decode(&first)
		started = ferr == nil && first.Kind == "started"
		if !started && ferr == nil {
			// The init ends by itself: nothing to signal.
			h.esc.End(nil)
		}
		close(h.ready)
	}
	waitExit(h.proc.Pid)
	oom := h.cg.oomAtEnd() // before the thread that started it goes on
	if h.ended != nil {
		close(h.ended) // the thread that started it may end
	}
	h.esc.End(nil)
	// The leader is a zombie: its group ID cannot have been reused. What
	// it left behind dies with it, as in a container.
	_ = syscall.Kill(-h.proc.Pid, syscall.SIGKILL)
	if h.ended == nil {
		// Started directly, the job was pid 1 of its namespace: the
		// kernel has killed everything in it already.
		h.cg.killAll()
	}
	stopKill()

	state, err := h.proc.Wait()
	var ws syscall.WaitStatus
	if err == nil {
		ws, _ = state.Sys().(syscall.WaitStatus)
	} else {
		h.e.log("local: wait for pid %d: %v", h.proc.Pid, err)
	}
	// The job's own wait status, from the init; without it (the init was
	// killed) the init's.
	var msg initMsg
	if h.status != nil {
		if started && h.status.Decode(&msg) == nil && msg.Kind == "exit" {
			ws = syscall.WaitStatus(msg.Status)
		}
		h.statusFile.Close()
		h.lifeline.Close()
	}
	var res executor.Result
	switch {
	case ws.Signaled():
		res.ExitCode = 128 + int(ws.Signal())
	default:
		res.ExitCode = ws.ExitStatus()
	}
	if oom.killed(ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
		res.OOM = true
		res.Reason = reasonOOM
	} else if !started && ferr == nil {
		// Never ran: exec failed, or the sandbox could not be built.
		res = executor.Result{ExitCode: -1, Reason: reasonCannotStart + first.Msg}
	}

	timeout := time.NewTimer(drainTimeout)
	for _, done := range []<-chan struct{}{stdoutDone, stderrDone} {
		select {
		case <-done:
		case <-timeout.C:
			h.e.log("local: pid %d exited but its output is still open after %v; dropping the rest", h.proc.Pid, drainTimeout)
			or.Close()
			er.Close()
			<-done
		}
	}
	timeout.Stop()

	if h.ended != nil && h.cg != nil && !h.cg.v2 {
		// The thread that forked the job is in the cgroups (v1) until it
		// has ended, which the job's end lets it do: the cgroups go once it
		// has, without the attempt waiting for that. A slot's stay with
		// its thread, which is a slot again (makeSlot).
		if !h.cg.placed {
			go h.cg.remove(h.e.log)
		}
	} else {
		h.cg.remove(h.e.log)
	}
	h.removeDir()
	// Every process of the attempt died with its init (the kernel ends a
	// pid namespace with its pid 1): the uid is free again.
	h.e.release(h.id)
	h.res = res
	close(h.done)
}

// removeDir removes the attempt's work directory, or empties it and keeps
// it for another attempt (workdirs.go).
func (h *handle) removeDir() {
	var err error
	if h.keepDir {
		err = h.e.dirs.release(h.dir)
	} else {
		err = os.RemoveAll(h.dir)
	}
	if err != nil {
		h.e.log("local: remove work directory: %v", err)
	}
}

// waitExit blocks until the process pid has exited, without reaping it.
func waitExit(pid int) {
	const pPID = 1
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			return
		}
	}
}

// read passes the lines of f to out until EOF.
func (h *handle) read(f *os.File, stderr bool, done chan<- struct{}) {
	defer close(done)
	defer f.Close()
	buf := make([]byte, 4<<10)  // grows up to maxLine for long lines
	start, scan, end := 0, 0, 0 // buf[start:scan] has no newline
	eof := false
	for {
		if i := bytes.IndexByte(buf[scan:end], '\n'); i >= 0 {
			nl := scan + i
			h.emit(buf[start:nl], stderr)
			start, scan = nl+1, nl+1
			continue
		}
		scan = end
		if end-start == maxLine || eof && end > start {
			n := end - start
			if !eof {
				n = executor.RuneCut(buf[start:end])
			}
			h.emit(buf[start:start+n], stderr)
			start += n
			scan = start
			continue
		}
		if eof {
			return
		}
		if start > 0 {
			end = copy(buf, buf[start:end])
			start, scan = 0, end
		}
		if end == len(buf) {
			grown := make([]byte, min(2*len(buf), maxLine))
			copy(grown, buf[:end])
			buf = grown
		}
		n, err := f.Read(buf[end:])
		end += n
		if err != nil {
			eof = true
		}
	}
}

func (h *handle) emit(b []byte, stderr bool) {
	line := executor.Line{Time: h.e.now(), Text: string(b), Stderr: stderr}
	h.outMu.Lock()
	defer h.outMu.Unlock()
	h.out(line)
}

// cgroupUnavailable tells the job's log, and the operator, that limits are
// off.
func (h *handle) cgroupUnavailable(spec executor.Spec, without, why string) {
	h.emit([]byte(fmt.Sprintf("batchd: cgroup limits unavailable: %s; running without %s limits", why, without)), true)
	if _, seen := h.e.warned.LoadOrStore(why, struct{}{}); !seen {
		h.e.log("local: cgroup limits unavailable (first seen for job %s attempt %d): %s", spec.JobID, spec.Attempt, why)
	}
}

// limitsName names the limits for the unavailable message.
func limitsName(cpu, mem bool) string {
	switch {
	case cpu && mem:
		return "vCPU/memory"
	case cpu:
		return "vCPU"
	default:
		return "memory"
	}
}

// Reap kills whatever is left of this instance's attempts from an earlier
// run — a batchd killed with its jobs running leaves their processes in
// their cgroups — and removes those cgroups, so that a job retried after a
// restart never runs twice at once. It needs Options.Instance and usable
// cgroups; it returns how many cgroups it cleared.
func (e *Executor) Reap() int {
	if e.prefix == "" || e.cg == nil {
		return 0
	}
	n := 0
	for _, parent := range []string{e.cg.v2, e.cg.mem.parent, e.cg.cpu.parent} {
		if parent == "" {
			continue
		}
		entries, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, d := range entries {
			if !d.IsDir() || !strings.HasPrefix(d.Name(), e.prefix) {
				continue
			}
			dir := filepath.Join(parent, d.Name())
			killProcs(dir)
			if err := rmdir(dir); err != nil {
				e.log("local: reap %s: %v", dir, err)
			}
			n++
		}
	}
	return n
}
