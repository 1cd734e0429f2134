package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"batchd/internal/executor"
)

// initArg0 is the argv[0] under which batchd's own binary, re-executed
// into the attempt's namespaces, runs as the sandbox's init (see Init).
const initArg0 = "batchd-sandbox-init"

// The init's extra file descriptors, after stdin, stdout and stderr.
const (
	initConfigFD = 3 // read: one initConfig, JSON, then EOF
	initStatusFD = 4 // write: initMsg lines, JSON; close-on-exec for the job
	// read: nothing, ever; EOF when batchd is gone (it holds the only
	// write end), and then the job is killed: nothing of a dead batchd
	// runs on, cgroup or not.
	initLifelineFD = 5
)

// initConfig is what the executor tells the init; it travels over a pipe,
// never through the job's environment.
type initConfig struct {
	Command []string
	Env     []string
	Dir     string
	// SetUID: run the job as UID/GID; false in a user namespace, where
	// the job stays the namespace's uid 0 without capabilities.
	SetUID   bool
	UID, GID int
	Hostname string
	// Private are fresh tmpfs, mode 1777 (/tmp, /var/tmp, /dev/shm); Hide
	// are empty read-only tmpfs over directories the job must not see.
	Private []string
	Hide    []string
	// Mounts are bind mounts (Source a host path) or fresh tmpfs (Source
	// empty) made after Dir is bound back in place.
	Mounts  []initMount
	Rlimits []initRlimit
}

type initMount struct {
	Source, Target string
	ReadOnly       bool
	SizeMiB        int64 // tmpfs only; 0: the kernel's default
}

type initRlimit struct {
	Name       string // Docker's name, for messages
	Resource   int
	Soft, Hard uint64
}

// initMsg is one line of the init's status pipe: first "started" (with
// the job's pid in the namespace), "cannotStart" or "error"; after
// "started", "exit" with the job's wait status when it ended.
type initMsg struct {
	Kind   string
	Pid    int    `json:",omitempty"`
	Msg    string `json:",omitempty"`
	Status uint32 `json:",omitempty"`
}

// Init runs the sandbox's init when this process was started as one (its
// argv[0] is the init's marker) and never returns then; otherwise it
// returns at once. A program using this package calls it first thing in
// main (and tests in TestMain), before anything else runs.
func Init() {
	if len(os.Args) == 0 || os.Args[0] != initArg0 {
		return
	}
	os.Exit(runInit())
}

// runInit is the init: pid 1 of the attempt's pid namespace. It builds
// the job's view of the file system, starts the job and waits for it,
// forwarding signals and reaping orphans, and exits as the job did.
func runInit() int {
	// batchd's umask (0077) would make the directories the init creates
	// for the job's mounts unreachable to it; the job gets a container's.
	syscall.Umask(0o022)
	syscall.CloseOnExec(initConfigFD)
	syscall.CloseOnExec(initStatusFD)
	syscall.CloseOnExec(initLifelineFD)
	status := os.NewFile(initStatusFD, "status")
	enc := json.NewEncoder(status)
	send := func(m initMsg) {
		// Nothing to do when batchd is gone: the job ends with us.
		_ = enc.Encode(m)
	}
	fail := func(format string, args ...any) int {
		send(initMsg{Kind: "error", Msg: fmt.Sprintf(format, args...)})
		return 125
	}

	// Signals for the job, caught from the start so that none is lost.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)

	var cfg initConfig
	cf := os.NewFile(initConfigFD, "config")
	if err := json.NewDecoder(cf).Decode(&cfg); err != nil {
		return fail("sandbox: read config: %v", err)
	}
	cf.Close()

	if err := setupMounts(&cfg, ""); err != nil {
		return fail("sandbox: %v", err)
	}
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fail("sandbox: sethostname: %v", err)
		}
	}
	for _, r := range cfg.Rlimits {
		lim := syscall.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := syscall.Setrlimit(r.Resource, &lim); err != nil {
			// The job's log says so; the job still runs, as under Docker
			// with a limit it may not raise.
			fmt.Fprintf(os.Stderr, "batchd: ulimit %s=%d:%d not applied: %v\n", r.Name, r.Soft, r.Hard, err)
		}
	}
	path, err := lookPath(cfg.Command, cfg.Env, cfg.Dir)
	if err != nil {
		send(initMsg{Kind: "cannotStart", Msg: err.Error()})
		return 127
	}
	pid, err := startJob(&cfg, path)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			send(initMsg{Kind: "cannotStart", Msg: fmt.Sprintf("exec: %q: %v", cfg.Command[0], errno)})
			return 127
		}
		return fail("sandbox: start: %v", err)
	}
	send(initMsg{Kind: "started", Pid: pid})

	orphaned := make(chan struct{})
	go func() {
		var b [1]byte
		lifeline := os.NewFile(initLifelineFD, "lifeline")
		for {
			if _, err := lifeline.Read(b[:]); err != nil {
				close(orphaned)
				return
			}
		}
	}()

	// Reap every child (orphans reparent to us); the job's own status ends
	// the init.
	exited := make(chan syscall.WaitStatus, 1)
	go func() {
		for {
			var ws syscall.WaitStatus
			wpid, err := syscall.Wait4(-1, &ws, 0, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				// ECHILD: the job is gone without our seeing it; cannot
				// happen while it is our child.
				exited <- syscall.WaitStatus(255 << 8)
				return
			}
			if wpid == pid {
				exited <- ws
				return
			}
		}
	}()
	for {
		select {
		case sig := <-sigs:
			// To the job's process group, as a container's init does.
			_ = syscall.Kill(-pid, sig.(syscall.Signal)) // ESRCH: it is ending anyway
		case <-orphaned:
			// batchd died: everything in the namespace dies now (kill -1
			// from its pid 1 spares only the init), and with the init's
			// exit, the namespace.
			_ = syscall.Kill(-1, syscall.SIGKILL) // ESRCH: nothing left
			return 137
		case ws := <-exited:
			send(initMsg{Kind: "exit", Status: uint32(ws)})
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
	}
}

// startJob starts the job's process from a thread that has given up what
// the job must not have: no new privileges, an empty capability bounding
// set, no inheritable or ambient capabilities. The thread is left locked
// (and so ends with the goroutine) since it is of no further use.
func startJob(cfg *initConfig, path string) (int, error) {
	runtime.LockOSThread()
	if err := dropPrivileges(); err != nil {
		return 0, err
	}
	sys := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cfg.SetUID {
		// Changing to a non-zero uid clears every capability the job had.
		sys.Credential = &syscall.Credential{Uid: uint32(cfg.UID), Gid: uint32(cfg.GID), Groups: []uint32{}}
	}
	return syscall.ForkExec(path, cfg.Command, &syscall.ProcAttr{
		Dir:   cfg.Dir,
		Env:   cfg.Env,
		Files: []uintptr{0, 1, 2},
		Sys:   sys,
	})
}

// dropPrivileges gives up, on the calling thread (locked, and never used
// for anything else again), what a job must not inherit: it sets
// no_new_privs, empties the capability bounding set and clears the
// inheritable and ambient capabilities.
func dropPrivileges() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %v", err)
	}
	// Ambient capabilities: none (EINVAL on kernels without them).
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("clear ambient capabilities: %v", err)
	}
	for c, last := 0, lastCap(); c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("drop capability %d from the bounding set: %v", c, err)
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %v", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %v", err)
	}
	return nil
}

// lastCap is the highest capability the kernel knows (read once).
var lastCap = sync.OnceValue(func() int {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			return n
		}
	}
	return 63
})

// setupMounts builds the job's view: baseMounts, then attemptMounts.
func setupMounts(cfg *initConfig, procData string) error {
	if err := baseMounts(procData); err != nil {
		return err
	}
	_, err := attemptMounts(cfg, nil)
	return err
}

// baseMounts makes the calling thread's mount namespace the base of the
// jobs' views: private mount propagation, and a proc (procData its mount
// options) of the calling process's pid namespace.
func baseMounts(procData string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, procData); err != nil {
		return &procMountError{err}
	}
	return nil
}

// privateMount is a private tmpfs of a slot's base view: its dir, and an
// O_PATH descriptor of the directory it covers.
type privateMount struct {
	dir     string
	covered int
}

// openPath opens path (a real path) O_PATH with flags, from the
// directory a private tmpfs of have covers when path lies there.
func openPath(path string, flags int, have []privateMount) (int, error) {
	for _, m := range have {
		if path == m.dir {
			return unix.Openat(m.covered, ".", flags|unix.O_PATH|unix.O_CLOEXEC, 0)
		}
		if executor.Within(path, m.dir) {
			return unix.Openat(m.covered, strings.TrimPrefix(path[len(m.dir):], "/"), flags|unix.O_PATH|unix.O_CLOEXEC, 0)
		}
	}
	return unix.Open(path, flags|unix.O_PATH|unix.O_CLOEXEC, 0)
}

// attemptMounts lays the attempt's own mounts over the base (baseMounts):
// private tmpfs (but on the dirs of have, which the base has mounted and
// emptied), hidden directories, the work directory bound back at its
// path, the job definition's mounts. It returns the mounts it made, in
// order, also on error (unmountAttempt undoes them).
func attemptMounts(cfg *initConfig, have []privateMount) (made []madeMount, err error) {
	// The work directory and bind sources are opened before anything
	// hides them.
	dirFD, err := openPath(cfg.Dir, unix.O_DIRECTORY, have)
	if err != nil {
		return nil, fmt.Errorf("open work directory: %w", err)
	}
	defer unix.Close(dirFD)
	srcFDs := make([]int, len(cfg.Mounts))
	for i, m := range cfg.Mounts {
		srcFDs[i] = -1
		if m.Source == "" {
			continue
		}
		fd, err := openPath(m.Source, 0, have)
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", m.Source, err)
		}
		defer unix.Close(fd)
		srcFDs[i] = fd
	}

	// mounted notes the mount just made at path.
	mounted := func(path string) error {
		id, err := mountID(path)
		if err != nil {
			return err
		}
		made = append(made, madeMount{path, id})
		return nil
	}
	for _, dir := range cfg.Private {
		if slices.ContainsFunc(have, func(m privateMount) bool { return m.dir == dir }) {
			continue
		}
		if err := mountPrivate(dir); err != nil {
			return made, err
		}
		if err := mounted(dir); err != nil {
			return made, err
		}
	}
	for _, dir := range cfg.Hide {
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=1m"); err != nil {
			return made, fmt.Errorf("hide %s: %w", dir, err)
		}
		if err := mounted(dir); err != nil {
			return made, err
		}
	}
	if err := bindFD(dirFD, cfg.Dir, true, false); err != nil {
		return made, fmt.Errorf("work directory: %w", err)
	}
	if err := mounted(cfg.Dir); err != nil {
		return made, err
	}
	for i, m := range cfg.Mounts {
		if m.Source == "" {
			opts := fmt.Sprintf("mode=0755,uid=%d,gid=%d", cfg.UID, cfg.GID)
			if !cfg.SetUID {
				opts = "mode=0755"
			}
			if m.SizeMiB > 0 {
				opts += fmt.Sprintf(",size=%dm", m.SizeMiB)
			}
			if err := os.MkdirAll(m.Target, 0o755); err != nil {
				return made, fmt.Errorf("volume at %s: %w", m.Target, err)
			}
			flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
			if m.ReadOnly {
				flags |= unix.MS_RDONLY
			}
			if err := unix.Mount("tmpfs", m.Target, "tmpfs", flags, opts); err != nil {
				return made, fmt.Errorf("volume at %s: %w", m.Target, err)
			}
			if err := mounted(m.Target); err != nil {
				return made, err
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(srcFDs[i], &st); err != nil {
			return made, fmt.Errorf("volume %s: %w", m.Source, err)
		}
		if err := bindFD(srcFDs[i], m.Target, st.Mode&unix.S_IFMT == unix.S_IFDIR, m.ReadOnly); err != nil {
			return made, fmt.Errorf("volume %s at %s: %w", m.Source, m.Target, err)
		}
		if err := mounted(m.Target); err != nil {
			return made, err
		}
	}
	// The hiding tmpfs become read-only once what goes on them was made.
	for _, dir := range cfg.Hide {
		if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return made, fmt.Errorf("hide %s read-only: %w", dir, err)
		}
	}
	return made, nil
}

// mountPrivate mounts a fresh tmpfs on dir, world-writable and sticky.
func mountPrivate(dir string) error {
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", dir, err)
	}
	return nil
}

// dropMountPoints removes, once unmountAttempt has taken the attempt's
// mounts away, the mount points they left in the slot's private tmpfs
// (private): the work directory's path under /tmp, made by bindFD, say.
// Each goes, the last made first, with the parents it leaves empty. Then
// a private tmpfs is empty again, unless the job left something there,
// without a walk of it (tmpfsEmpty). What cannot be removed here, the
// walk (emptyDir) removes.
func dropMountPoints(made []madeMount, private []privateMount) {
	for i := len(made) - 1; i >= 0; i-- {
		for _, m := range private {
			p := made[i].path
			if p == m.dir || !executor.Within(p, m.dir) {
				continue
			}
			for ; p != m.dir; p = filepath.Dir(p) {
				// A directory, or the file a file was bound on; what is
				// neither (not empty, gone) stays for the walk.
				if unix.Rmdir(p) != nil && unix.Unlink(p) != nil {
					break
				}
			}
		}
	}
}

// tmpfsEmpty reports whether the tmpfs on dir holds nothing but its root:
// every file, directory, symbolic link, socket or pipe made in it takes
// one of its inodes (statfs). It is false when it cannot tell: not a
// tmpfs, or one without an inode limit, which counts none.
func tmpfsEmpty(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil || st.Type != unix.TMPFS_MAGIC || st.Files == 0 {
		return false
	}
	return st.Files-st.Ffree == 1
}

// emptyDir removes what dir holds (a private tmpfs of a slot's base,
// after an attempt: no process of it is left) and checks that nothing
// is left.
func emptyDir(dir string) error {
	names, err := dirNames(dir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	if names, err = dirNames(dir); err == nil && len(names) > 0 {
		err = fmt.Errorf("%s: %d entries left", dir, len(names))
	}
	return err
}

// dirNames returns the names dir holds ("." and ".." aside), with plain
// system calls: an os.File would try the poller, and allocate more, four
// times an attempt.
func dirNames(dir string) ([]string, error) {
	var names []string
	err := withFile(dir, unix.O_RDONLY|unix.O_DIRECTORY, "getdents", func(fd int) error {
		var buf [4096]byte
		for {
			n, err := ignoringEINTR(func() (int, error) { return unix.Getdents(fd, buf[:]) })
			if err != nil || n <= 0 {
				return err
			}
			_, _, names = unix.ParseDirent(buf[:n], -1, names)
		}
	})
	return names, err
}

// mountID returns the ID of the mount path leads to.
func mountID(path string) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil {
		return 0, fmt.Errorf("statx %s: %w", path, err)
	}
	return st.Mnt_id, nil
}

// madeMount is a mount attemptMounts made: its path and mount ID.
type madeMount struct {
	path string
	id   uint64
}

// unmountAttempt takes away the mounts attemptMounts made (made, in the
// order it made them), last first. One inside another made before it
// goes with that one (MNT_DETACH takes the mounts below it); two at one
// path are taken from the top. It then checks that none is left: no
// path leads to a mount it made.
func unmountAttempt(made []madeMount) error {
	for i := len(made) - 1; i >= 0; i-- {
		inner := slices.ContainsFunc(made[:i], func(outer madeMount) bool {
			return outer.path != made[i].path && executor.Within(made[i].path, outer.path)
		})
		if inner {
			continue
		}
		if err := unix.Unmount(made[i].path, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", made[i].path, err)
		}
	}
	for _, m := range made {
		id, err := mountID(m.path)
		switch {
		case errors.Is(err, unix.ENOENT):
		case err != nil:
			return err
		case id == m.id:
			return fmt.Errorf("%s: still mounted", m.path)
		}
	}
	return nil
}

// procMountError is setupMounts' error when /proc cannot be mounted.
type procMountError struct{ err error }

func (e *procMountError) Error() string { return "mount /proc: " + e.err.Error() }
func (e *procMountError) Unwrap() error { return e.err }

// bindFD bind-mounts what fd (O_PATH) refers to at target, creating the
// target (a directory, or an empty file) when missing; only targets on
// the init's own tmpfs or in the work directory can be missing (the
// executor checks).
func bindFD(fd int, target string, dir, readOnly bool) error {
	if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
		if dir {
			err = os.MkdirAll(target, 0o755)
		} else if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
			var f *os.File
			if f, err = os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.Close()
			}
		}
		if err != nil {
			return err
		}
	}
	src := "/proc/self/fd/" + strconv.Itoa(fd)
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if readOnly {
		if err := unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return err
		}
	}
	return nil
}

// ulimits are Docker's names for the resource limits.
var ulimits = map[string]int{
	"as":         unix.RLIMIT_AS,
	"core":       unix.RLIMIT_CORE,
	"cpu":        unix.RLIMIT_CPU,
	"data":       unix.RLIMIT_DATA,
	"fsize":      unix.RLIMIT_FSIZE,
	"locks":      unix.RLIMIT_LOCKS,
	"memlock":    unix.RLIMIT_MEMLOCK,
	"msgqueue":   unix.RLIMIT_MSGQUEUE,
	"nice":       unix.RLIMIT_NICE,
	"nofile":     unix.RLIMIT_NOFILE,
	"nproc":      unix.RLIMIT_NPROC,
	"rss":        unix.RLIMIT_RSS,
	"rtprio":     unix.RLIMIT_RTPRIO,
	"rttime":     unix.RLIMIT_RTTIME,
	"sigpending": unix.RLIMIT_SIGPENDING,
	"stack":      unix.RLIMIT_STACK,
}

// ulimitNames lists the names ulimits knows, for messages.
func ulimitNames() []string {
	var names []string
	for n := range ulimits {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
