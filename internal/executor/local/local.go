package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
	"unsafe"

	"batchd/internal/executor"
)

// Reasons, in AWS's words.
const (
	reasonOOM         = "OutOfMemoryError: Container killed due to memory usage"
	reasonCannotStart = "CannotStartContainerError: "
)

const (
	// maxLine is the longest line passed on whole: CloudWatch Logs' event
	// size limit.
	maxLine = 256 << 10
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
}

// Executor runs attempts as child processes. It is safe for concurrent use.
type Executor struct {
	prefix string // "<instance>." or ""
	log    func(format string, args ...any)
	now    func() time.Time
	cg     *cgroups
	warned sync.Map // why → struct{}: each cgroup problem logged once
}

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
	return e
}

// Start runs spec; see the package documentation.
func (e *Executor) Start(ctx context.Context, spec executor.Spec, out func(executor.Line)) (executor.Handle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = func(executor.Line) {}
	}
	dir := spec.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "batchd-attempt-")
		if err != nil {
			return nil, fmt.Errorf("local: work directory: %w", err)
		}
		dir = d
	} else {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("local: work directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("local: work directory: %w", err)
		}
	}
	env := spec.Env
	if env == nil {
		env = []string{} // nil would mean batchd's own environment
	}

	path, err := lookPath(spec.Command, env, dir)
	if err != nil {
		os.RemoveAll(dir)
		return cannotStart(err), nil
	}

	h := &handle{e: e, out: out, dir: dir, done: make(chan struct{})}

	var cg *cgroup
	if spec.VCPUs > 0 || spec.MemoryMiB > 0 {
		var without, why string
		cg, without, why = e.cg.create(e.prefix+cgroupName(spec.JobID, spec.Attempt), spec.VCPUs, spec.MemoryMiB)
		if why != "" {
			h.cgroupUnavailable(spec, without, why)
		}
	}

	devnull, err := os.Open(os.DevNull)
	if err != nil {
		cg.remove(e.log)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("local: %w", err)
	}
	or, ow, err := os.Pipe()
	if err != nil {
		devnull.Close()
		cg.remove(e.log)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("local: %w", err)
	}
	er, ew, err := os.Pipe()
	if err != nil {
		devnull.Close()
		or.Close()
		ow.Close()
		cg.remove(e.log)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("local: %w", err)
	}
	attr := &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{devnull, ow, ew},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	proc, err, why := cg.start(attr, func() (*os.Process, error) {
		return os.StartProcess(path, spec.Command, attr)
	})
	devnull.Close()
	ow.Close()
	ew.Close()
	if why != "" {
		// The process (if any) runs outside the cgroup; say so before its
		// first line.
		cg.remove(e.log)
		cg = nil
		h.cgroupUnavailable(spec, limitsName(spec.VCPUs > 0, spec.MemoryMiB > 0), why)
	}
	if err != nil {
		or.Close()
		er.Close()
		cg.remove(e.log)
		os.RemoveAll(dir)
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return cannotStart(fmt.Errorf("exec: %q: %w", spec.Command[0], err)), nil
	}
	h.proc = proc
	h.cg = cg

	stdoutDone := make(chan struct{})
	stderrDone := make(chan struct{})
	go h.read(or, false, stdoutDone)
	go h.read(er, true, stderrDone)
	stopKill := context.AfterFunc(ctx, h.kill)
	go h.monitor(or, er, stdoutDone, stderrDone, stopKill)
	return h, nil
}

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
	return ended{executor.Result{ExitCode: -1, Reason: reasonCannotStart + err.Error()}}
}

// ended is an attempt that never ran.
type ended struct{ res executor.Result }

func (h ended) Wait() executor.Result { return h.res }
func (ended) Stop(time.Duration)      {}

// handle is a started attempt. Its monitor goroutine owns the process from
// exit to cleanup; Wait waits for it.
type handle struct {
	e    *Executor
	proc *os.Process
	cg   *cgroup // nil without limits
	dir  string

	outMu sync.Mutex // serializes out
	out   func(executor.Line)

	mu     sync.Mutex
	exited bool // the process exited; its group may no longer be signalled
	termed bool
	killAt time.Time
	timer  *time.Timer

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
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.exited {
		return
	}
	if !h.termed {
		h.termed = true
		h.signalGroup(syscall.SIGTERM)
	}
	grace = max(grace, 0)
	at := time.Now().Add(grace)
	if h.timer != nil && !at.Before(h.killAt) {
		return
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	h.killAt = at
	h.timer = time.AfterFunc(grace, h.kill)
}

// kill sends SIGKILL to the process group and the cgroup, unless the
// process already exited.
func (h *handle) kill() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.exited {
		return
	}
	h.signalGroup(syscall.SIGKILL)
	h.cg.killAll()
}

// signalGroup signals the process group; h.mu held and the leader not yet
// reaped, so the group ID is still ours.
func (h *handle) signalGroup(sig syscall.Signal) {
	_ = syscall.Kill(-h.proc.Pid, sig)
}

func (h *handle) monitor(or, er *os.File, stdoutDone, stderrDone <-chan struct{}, stopKill func() bool) {
	waitExit(h.proc.Pid)
	h.mu.Lock()
	h.exited = true
	if h.timer != nil {
		h.timer.Stop()
	}
	// The leader is a zombie: its group ID cannot have been reused. What
	// it left behind dies with it, as in a container.
	_ = syscall.Kill(-h.proc.Pid, syscall.SIGKILL)
	h.cg.killAll()
	h.mu.Unlock()
	stopKill()

	state, err := h.proc.Wait()
	var ws syscall.WaitStatus
	if err == nil {
		ws, _ = state.Sys().(syscall.WaitStatus)
	} else {
		h.e.log("local: wait for pid %d: %v", h.proc.Pid, err)
	}
	var res executor.Result
	switch {
	case ws.Signaled():
		res.ExitCode = 128 + int(ws.Signal())
	default:
		res.ExitCode = ws.ExitStatus()
	}
	if h.cg.oomKilled(ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
		res.OOM = true
		res.Reason = reasonOOM
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

	h.cg.remove(h.e.log)
	if err := os.RemoveAll(h.dir); err != nil {
		h.e.log("local: remove work directory: %v", err)
	}
	h.res = res
	close(h.done)
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
				n = runeCut(buf[start:end])
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

// runeCut returns how much of b can be passed on without splitting a UTF-8
// sequence at its end.
func runeCut(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if i > 0 && !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
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
