package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cfsPeriod is the CPU bandwidth period, in microseconds.
const cfsPeriod = 100000

// cgroups is what detectCgroups found on the host.
type cgroups struct {
	v2 string // the v2 parent of attempts' cgroups: <mount>/batchd; "" without v2

	// v2Ready is set once cpu and memory are enabled for v2Parent's
	// children.
	mu      sync.Mutex
	v2Ready bool

	// v1: per controller, the parent of attempts' cgroups
	// (<mount>/<own>/batchd) and batchd's own cgroup, where the forking
	// thread returns; parent "" with why when the controller is unusable.
	mem, cpu v1Controller
}

type v1Controller struct {
	parent, home, why string
	// parentFiles are written in parent once it is made (weighted then).
	parentFiles [][2]string
	weighted    atomic.Bool
}

// Attempts weigh less than the server for the CPU: when both want more
// than the host has, the server's threads (its API, store and scheduler)
// come first, so that jobs, which are untrusted code, cannot starve the
// control plane; with CPU to spare, attempts use all of their vCPUs. In
// cgroup v1 the attempts' parent weighs an eighth of one thread of
// batchd's own cgroup (cpu.shares 1024 each); in cgroup v2 it weighs about
// an eighth of the supervisor's cgroup (cpu.weight 100).
const (
	attemptsCPUShares = "128"
	attemptsCPUWeight = "13"
)

// detectCgroups inspects the hierarchies under root; self is the content of
// /proc/self/cgroup.
func detectCgroups(root string, self []byte) *cgroups {
	var whys []string
	for _, mount := range []string{root, filepath.Join(root, "unified")} {
		data, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
		if err != nil {
			continue
		}
		ctrls := strings.Fields(string(data))
		if slices.Contains(ctrls, "cpu") && slices.Contains(ctrls, "memory") {
			return &cgroups{v2: filepath.Join(v2Home(mount, self), "batchd")}
		}
		whys = append(whys, fmt.Sprintf("cgroup v2 at %s lacks the cpu and memory controllers", mount))
	}

	own := parseSelfCgroup(self)
	cg := &cgroups{}
	v1 := func(ctrl, probe string) v1Controller {
		mount := filepath.Join(root, ctrl)
		if _, err := os.Stat(filepath.Join(mount, probe)); err != nil {
			return v1Controller{why: fmt.Sprintf("no cgroup v1 %s hierarchy at %s", ctrl, mount)}
		}
		home := filepath.Join(mount, own[ctrl]) // own[ctrl] is absolute or ""
		return v1Controller{parent: filepath.Join(home, "batchd"), home: home}
	}
	cg.mem = v1(memoryCtrl, "memory.limit_in_bytes")
	cg.cpu = v1(cpuCtrl, "cpu.cfs_quota_us")
	cg.cpu.parentFiles = [][2]string{{"cpu.shares", attemptsCPUShares}}
	if len(whys) > 0 {
		// Say why v2 was not used, too.
		for _, c := range []*v1Controller{&cg.mem, &cg.cpu} {
			if c.why != "" {
				c.why = strings.Join(append(whys, c.why), ", ")
			}
		}
	}
	return cg
}

const (
	memoryCtrl = "memory"
	cpuCtrl    = "cpu"
)

// parseSelfCgroup maps each v1 controller to batchd's cgroup path in it.
// v2Home is where a unified hierarchy's attempts' cgroups go: under the
// cgroup systemd delegated to batchd's service (Delegate=yes, which
// systemd marks with the trusted.delegate extended attribute, "1") when
// batchd runs in it or in a subgroup of it (DelegateSubgroup=), so that
// systemd's and batchd's cgroups never mix; else under the hierarchy's
// root. A delegated cgroup must hold no process of its own for its
// children to get controllers (cgroup v2's "no internal processes"), so
// batchd, when it runs in the delegated cgroup itself, moves into its
// subgroup "supervisor", as DelegateSubgroup=supervisor would have put it.
func v2Home(mount string, self []byte) string {
	own := ""
	for line := range strings.SplitSeq(string(self), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			own = p
		}
	}
	for dir := own; strings.HasPrefix(dir, "/") && dir != "/"; dir = filepath.Dir(dir) {
		full := filepath.Join(mount, dir)
		if !delegated(full) {
			continue
		}
		if dir == own {
			sup := filepath.Join(full, "supervisor")
			if err := os.Mkdir(sup, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return mount
			}
			// cgroup.procs moves the whole process, every thread.
			if err := writeFile(filepath.Join(sup, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
				return mount
			}
		}
		return full
	}
	return mount
}

// delegated reports whether systemd delegated the cgroup at dir.
func delegated(dir string) bool {
	buf := make([]byte, 8)
	n, err := syscall.Getxattr(dir, "trusted.delegate", buf)
	return err == nil && string(buf[:n]) == "1"
}

func parseSelfCgroup(self []byte) map[string]string {
	own := map[string]string{}
	for line := range strings.SplitSeq(string(self), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for ctrl := range strings.SplitSeq(parts[1], ",") {
			own[ctrl] = parts[2]
		}
	}
	return own
}

// cgroup is one attempt's cgroup (v2) or cgroups (v1). A nil *cgroup is an
// attempt without limits; its methods do nothing.
type cgroup struct {
	v2       bool
	dirs     []string // every directory created, for kill and remove
	memDir   string   // where memory is accounted; "" without a memory limit
	homes    []string // v1: batchd's own cgroups, in the order of dirs
	fd       *os.File // v2: the cgroup directory, for CLONE_INTO_CGROUP
	memLimit int64
	// placed: v1, the forking thread is in the cgroups already (a slot,
	// slots.go).
	placed bool
	// oomBase is memory.oom_control's oom_kill before the attempt (v1; a
	// slot's cgroup may be reused). oomSeen, a slot's, hears it after the
	// attempt (oomAtEnd) for the slot's next (slot.limit).
	oomBase int64
	oomSeen *atomic.Int64
	// set: a slot's, the limits its files hold.
	set slotLimits
}

// create makes the attempt's cgroup with its limits. Without any cgroup it
// returns nil; why says what could not be applied and without which limits
// ("vCPU", "memory", "vCPU/memory") the attempt runs.
func (s *cgroups) create(name string, vcpus float64, memMiB int64) (cg *cgroup, without, why string) {
	wantCPU, wantMem := vcpus > 0, memMiB > 0
	quota := cfsQuota(vcpus)
	memBytes := memMiB << 20
	if s.v2 != "" {
		cg, err := s.createV2(name, wantCPU, wantMem, quota, memBytes)
		if err != nil {
			return nil, limitsName(wantCPU, wantMem), err.Error()
		}
		return cg, "", ""
	}

	cg = &cgroup{memLimit: memBytes}
	var whys []string
	var lostCPU, lostMem bool
	if wantMem {
		dir, err := s.mem.createV1(name, memoryLimits(memBytes))
		if err != nil {
			whys, lostMem = append(whys, err.Error()), true
		} else {
			cg.dirs, cg.homes, cg.memDir = append(cg.dirs, dir), append(cg.homes, s.mem.home), dir
		}
	}
	if wantCPU {
		dir, err := s.cpu.createV1(name, cpuLimits(vcpus))
		if err != nil {
			whys, lostCPU = append(whys, err.Error()), true
		} else {
			cg.dirs, cg.homes = append(cg.dirs, dir), append(cg.homes, s.cpu.home)
		}
	}
	if len(cg.dirs) == 0 {
		cg = nil
	}
	if len(whys) > 0 {
		return cg, limitsName(lostCPU, lostMem), strings.Join(whys, ", ")
	}
	return cg, "", ""
}

// memoryLimits are the v1 memory controller's files for a limit of
// memBytes; a name starting with "?" is optional (memsw: present only
// when swap is accounted).
func memoryLimits(memBytes int64) [][2]string {
	v := strconv.FormatInt(memBytes, 10)
	return [][2]string{{"memory.limit_in_bytes", v}, {"?memory.memsw.limit_in_bytes", v}}
}

// cfsQuota is the CPU bandwidth quota of vcpus per cfsPeriod, in
// microseconds: at least the kernel's minimum, 1 ms.
func cfsQuota(vcpus float64) int64 {
	return max(int64(math.Ceil(vcpus*cfsPeriod)), 1000)
}

// cpuLimits are the v1 cpu controller's files for vcpus.
func cpuLimits(vcpus float64) [][2]string {
	return [][2]string{{"cpu.cfs_period_us", strconv.Itoa(cfsPeriod)}, {"cpu.cfs_quota_us", strconv.FormatInt(cfsQuota(vcpus), 10)}}
}

// writeLimits writes files (see memoryLimits) in dir.
func writeLimits(dir string, files [][2]string) error {
	for _, f := range files {
		file, optional := strings.CutPrefix(f[0], "?")
		if err := writeFile(filepath.Join(dir, file), f[1]); err != nil {
			if optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
	}
	return nil
}

func (c *v1Controller) createV1(name string, files [][2]string) (string, error) {
	if c.parent == "" {
		return "", errors.New(c.why)
	}
	if err := os.MkdirAll(c.parent, 0o755); err != nil {
		return "", err
	}
	if !c.weighted.Load() {
		if err := writeLimits(c.parent, c.parentFiles); err != nil {
			return "", err
		}
		c.weighted.Store(true)
	}
	dir := filepath.Join(c.parent, name)
	if err := mkdirFresh(dir); err != nil {
		return "", err
	}
	if err := writeLimits(dir, files); err != nil {
		os.Remove(dir)
		return "", err
	}
	return dir, nil
}

func (s *cgroups) createV2(name string, wantCPU, wantMem bool, quota, memBytes int64) (*cgroup, error) {
	if err := s.prepareV2(); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.v2, name)
	if err := mkdirFresh(dir); err != nil {
		return nil, err
	}
	var files [][2]string
	if wantMem {
		files = append(files,
			[2]string{"memory.max", strconv.FormatInt(memBytes, 10)},
			[2]string{"?memory.swap.max", "0"})
	}
	if wantCPU {
		files = append(files, [2]string{"cpu.max", fmt.Sprintf("%d %d", quota, cfsPeriod)})
	}
	for _, f := range files {
		file, optional := strings.CutPrefix(f[0], "?")
		if err := writeFile(filepath.Join(dir, file), f[1]); err != nil {
			if optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			os.Remove(dir)
			return nil, err
		}
	}
	fd, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	cg := &cgroup{v2: true, dirs: []string{dir}, fd: fd, memLimit: memBytes}
	if wantMem {
		cg.memDir = dir
	}
	return cg, nil
}

// prepareV2 creates the batchd parent and enables cpu and memory for the
// children of the root and of the parent.
func (s *cgroups) prepareV2() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v2Ready {
		return nil
	}
	if err := enableControllers(filepath.Dir(s.v2)); err != nil {
		return err
	}
	if err := os.Mkdir(s.v2, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := enableControllers(s.v2); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.v2, "cpu.weight"), attemptsCPUWeight); err != nil {
		return fmt.Errorf("weigh attempts' cgroups: %w", err)
	}
	s.v2Ready = true
	return nil
}

func enableControllers(dir string) error {
	path := filepath.Join(dir, "cgroup.subtree_control")
	data, err := readFile(path)
	if err != nil {
		return err
	}
	have := strings.Fields(string(data))
	if slices.Contains(have, "cpu") && slices.Contains(have, "memory") {
		return nil
	}
	if err := writeFile(path, "+cpu +memory"); err != nil {
		return fmt.Errorf("enable the cpu and memory controllers: %w", err)
	}
	return nil
}

// mkdirFresh creates dir, replacing an empty one left by a crash.
func mkdirFresh(dir string) error {
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		killProcs(dir)
		if rmdir(dir) == nil {
			err = os.Mkdir(dir, 0o755)
		}
	}
	return err
}

// writeFile writes a cgroup control file, which must exist.
//
// The cgroup files are read and written with plain system calls: an
// os.File registers every file it opens with the runtime's poller, and
// cgroupfs files can be polled, so each of the few reads and writes an
// attempt makes cost an epoll_ctl in and one out besides.
func writeFile(path, value string) error {
	err := withFile(path, unix.O_WRONLY, "write", func(fd int) error {
		n, err := ignoringEINTR(func() (int, error) { return unix.Write(fd, []byte(value)) })
		if err == nil && n != len(value) {
			err = io.ErrShortWrite
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, err)
	}
	return nil
}

// readFile reads a cgroup file, as os.ReadFile would (see writeFile).
func readFile(path string) ([]byte, error) {
	var data []byte
	err := withFile(path, unix.O_RDONLY, "read", func(fd int) error {
		var buf [4096]byte
		for {
			n, err := ignoringEINTR(func() (int, error) { return unix.Read(fd, buf[:]) })
			if err != nil || n == 0 {
				return err
			}
			data = append(data, buf[:n]...)
		}
	})
	return data, err
}

// withFile opens path with flags for fn (which does op), and closes it;
// its errors are *fs.PathError, as the os package's.
func withFile(path string, flags int, op string, fn func(fd int) error) error {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Open(path, flags|unix.O_CLOEXEC, 0) })
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	err = fn(fd)
	// The close's error counts, as it did with os.File.
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: op, Path: path, Err: err}
	}
	return nil
}

func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// start runs startProcess so that the new process begins inside the
// cgroup. A non-empty why means the process was started (or not) outside
// it; the caller then runs it without limits.
func (c *cgroup) start(attr *os.ProcAttr, startProcess func() (*os.Process, error)) (p *os.Process, err error, why string) {
	if c == nil || c.v2 {
		return c.startHere(attr, startProcess)
	}
	// v1 places threads: a locked thread joins the attempt's cgroups
	// first, so the child is born in them, then returns home.
	type started struct {
		p   *os.Process
		err error
		why string
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		tid := strconv.Itoa(syscall.Gettid())
		p, err, why := c.startHere(attr, startProcess)
		// A thread that cannot return home is left locked: the runtime
		// ends it with this goroutine.
		if c.goHome(tid) {
			runtime.UnlockOSThread()
		}
		ch <- started{p, err, why}
	}()
	s := <-ch
	return s.p, s.err, s.why
}

// startHere is start on a thread locked to the calling goroutine; under
// cgroup v1 the thread itself joins the attempt's cgroups (and stays in
// them: the caller returns it home, or lets it end).
func (c *cgroup) startHere(attr *os.ProcAttr, startProcess func() (*os.Process, error)) (p *os.Process, err error, why string) {
	switch {
	case c == nil:
		p, err = startProcess()
		return p, err, ""
	case c.v2:
		defer c.fd.Close()
		attr.Sys.UseCgroupFD = true
		attr.Sys.CgroupFD = int(c.fd.Fd())
		p, err = startProcess()
		if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) {
			// No clone3 into a cgroup (before Linux 5.7): move the child
			// in after it started; it runs briefly outside.
			attr.Sys.UseCgroupFD = false
			p, err = startProcess()
			if err == nil {
				if werr := writeFile(filepath.Join(c.dirs[0], "cgroup.procs"), strconv.Itoa(p.Pid)); werr != nil {
					return p, nil, werr.Error()
				}
			}
		}
		return p, err, ""
	}
	if c.placed {
		p, err = startProcess()
		return p, err, ""
	}
	tid := strconv.Itoa(syscall.Gettid())
	for _, dir := range c.dirs {
		if err := writeFile(filepath.Join(dir, "tasks"), tid); err != nil {
			// The child is born where the thread came from, or (should
			// even that fail) in the cgroups joined so far, which the
			// caller then cannot remove: a cgroup leak, not an escape.
			c.goHome(tid)
			p, serr := startProcess()
			return p, serr, err.Error()
		}
	}
	p, err = startProcess()
	return p, err, ""
}

// goHome moves the v1 thread tid back to batchd's own cgroups; false when
// it could not.
func (c *cgroup) goHome(tid string) bool {
	for _, home := range c.homes {
		if writeFile(filepath.Join(home, "tasks"), tid) != nil {
			return false
		}
	}
	return true
}

// killAll sends SIGKILL to every process in the cgroup.
func (c *cgroup) killAll() {
	if c == nil {
		return
	}
	for _, dir := range c.dirs {
		killProcs(dir)
	}
}

func killProcs(dir string) {
	// v2 since Linux 5.14 kills the whole cgroup at once.
	if writeFile(filepath.Join(dir, "cgroup.kill"), "1") == nil {
		return
	}
	data, err := readFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	self := os.Getpid() // never batchd, should a forking thread be stuck here
	for f := range strings.FieldsSeq(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 && pid != self {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// oomEnd is what an attempt's memory cgroup counted of the OOM killer,
// read once the attempt's processes are gone (oomAtEnd).
type oomEnd struct {
	counted bool  // kills counts: an oom_kill counter was read
	kills   int64 // the attempt's OOM kills
	// limitHit: v1 without the counter, the limit was reached
	// (memory.failcnt > 0 and memory.max_usage_in_bytes at the limit).
	limitHit bool
}

// oomAtEnd reads what oomEnd.killed decides from. The monitor calls it
// once the attempt's processes are gone and before the thread that
// started the job may go on: a slot's (slots.go) then takes the next
// attempt into the same cgroups, resetting or counting on from their
// counters, and a read after that could count the next attempt's OOM
// kills as this one's. The count read is where the slot's next attempt
// starts from (slot.limit).
func (c *cgroup) oomAtEnd() oomEnd {
	if c == nil || c.memDir == "" {
		return oomEnd{}
	}
	if c.v2 {
		n, ok := readKey(filepath.Join(c.memDir, "memory.events"), "oom_kill")
		return oomEnd{counted: ok, kills: n}
	}
	if n, ok := readKey(filepath.Join(c.memDir, "memory.oom_control"), "oom_kill"); ok {
		if c.oomSeen != nil {
			c.oomSeen.Store(n + 1)
		}
		return oomEnd{counted: true, kills: n - c.oomBase}
	}
	failcnt, err1 := readInt(filepath.Join(c.memDir, "memory.failcnt"))
	maxUsage, err2 := readInt(filepath.Join(c.memDir, "memory.max_usage_in_bytes"))
	limit, err3 := readInt(filepath.Join(c.memDir, "memory.limit_in_bytes"))
	return oomEnd{limitHit: err1 == nil && err2 == nil && err3 == nil && failcnt > 0 && maxUsage >= limit}
}

// killed reports whether the OOM killer killed a process of the attempt;
// sigkilled says the main process died of SIGKILL, which v1 without an
// oom_kill counter needs besides its limit reached.
func (e oomEnd) killed(sigkilled bool) bool {
	if e.counted {
		return e.kills > 0
	}
	return sigkilled && e.limitHit
}

// readKey reads "key value" from a flat-keyed cgroup file.
func readKey(path, key string) (int64, bool) {
	data, err := readFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func readInt(path string) (int64, error) {
	data, err := readFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

// remove deletes the cgroup once its processes are gone.
func (c *cgroup) remove(log func(string, ...any)) {
	if c == nil {
		return
	}
	if c.fd != nil {
		c.fd.Close()
	}
	for _, dir := range c.dirs {
		if err := rmdir(dir); err != nil {
			log("local: remove cgroup: %v", err)
		}
	}
}

// rmdir removes a cgroup directory, waiting up to a second for killed
// processes to leave it.
func rmdir(dir string) error {
	deadline := time.Now().Add(time.Second)
	for {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return err
		}
		killProcs(dir)
		time.Sleep(5 * time.Millisecond)
	}
}
