package local

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"batchd/internal/executor"
)

// The default range of attempts' UIDs and GIDs: systemd's range for
// dynamic users (DynamicUser=), which no regular account uses.
const (
	DefaultUIDMin = 61184
	DefaultUIDMax = 65519
)

// privateDirs get a tmpfs of each attempt's own: world-writable places
// attempts would otherwise share. A slot's thread (slots.go) mounts them
// once and empties them after each attempt.
var privateDirs = []string{"/tmp", "/var/tmp", "/dev/shm"}

// privateMounts returns the privateDirs this host has, as real paths (New
// looks once).
func privateMounts() []string {
	var dirs []string
	for _, p := range privateDirs {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			dirs = append(dirs, executor.RealPath(p))
		}
	}
	return dirs
}

// uids hands out the UIDs of running attempts, one each.
type uids struct {
	min, max int
	mu       sync.Mutex
	inUse    map[int]bool
	taken    map[int]bool // the host's accounts (/etc/passwd) and batchd's uid
}

func newUIDs(lo, hi int) *uids {
	u := &uids{min: lo, max: hi, inUse: map[int]bool{}, taken: map[int]bool{0: true, os.Getuid(): true}}
	if f, err := os.Open("/etc/passwd"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) > 2 {
				if n, err := strconv.Atoi(fields[2]); err == nil {
					u.taken[n] = true
				}
			}
		}
	}
	return u
}

// get returns a free UID of the range, or false when all are in use.
func (u *uids) get() (int, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id := u.min; id <= u.max; id++ {
		if !u.inUse[id] && !u.taken[id] {
			u.inUse[id] = true
			return id, true
		}
	}
	return 0, false
}

func (u *uids) put(id int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.inUse, id)
}

// contains reports whether id is in the dynamic range.
func (u *uids) contains(id int) bool { return id >= u.min && id <= u.max }

// identity is who an attempt runs as.
type identity struct {
	uid, gid int
	dynamic  bool // from the range: return it after the attempt
}

// lookupUser resolves "name|uid[:group|gid]" on the host. A numeric uid
// needs no account; its group is then the uid's own number unless given.
func lookupUser(s string) (uid, gid int, err error) {
	name, group, hasGroup := strings.Cut(s, ":")
	gid = -1
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		uid = n
		if u, err := user.LookupId(name); err == nil {
			gid, _ = strconv.Atoi(u.Gid) // the host's own records: numeric
		}
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return 0, 0, fmt.Errorf("no user %q on this host", name)
		}
		uid, _ = strconv.Atoi(u.Uid) // the host's own records: numeric
		gid, _ = strconv.Atoi(u.Gid)
	}
	if hasGroup {
		if n, err := strconv.Atoi(group); err == nil && n >= 0 {
			gid = n
		} else if g, err := user.LookupGroup(group); err == nil {
			gid, _ = strconv.Atoi(g.Gid) // the host's own records: numeric
		} else {
			return 0, 0, fmt.Errorf("no group %q on this host", group)
		}
	}
	if gid < 0 {
		gid = uid
	}
	return uid, gid, nil
}

// identityFor decides who runs the attempt: Spec.User where the host has
// it and it is not privileged, else Options.User, else a UID of the range.
// note, if not empty, is the job log's line saying why Spec.User was not
// honoured.
func (e *Executor) identityFor(spec executor.Spec) (id identity, note string, err error) {
	if spec.User != "" {
		switch uid, gid, err := lookupUser(spec.User); {
		case e.rootless:
			note = fmt.Sprintf("user %q not honoured: batchd does not run as root and cannot change users", spec.User)
		case err != nil:
			note = fmt.Sprintf("user %q not honoured: %v", spec.User, err)
		case uid == 0 || uid == os.Getuid() || gid == 0 || gid == os.Getgid():
			note = fmt.Sprintf("user %q refused: it is root or batchd's own user or group", spec.User)
		case e.ids.contains(uid):
			note = fmt.Sprintf("user %q refused: uid %d is in the range batchd gives attempts (%d-%d)", spec.User, uid, e.ids.min, e.ids.max)
		default:
			return identity{uid: uid, gid: gid}, "", nil
		}
	}
	if e.rootless {
		return identity{}, note, nil
	}
	if e.user != nil {
		return *e.user, note, nil
	}
	uid, ok := e.ids.get()
	if !ok {
		return identity{}, note, fmt.Errorf("local: all %d sandbox uids (%d-%d) are in use", e.ids.max-e.ids.min+1, e.ids.min, e.ids.max)
	}
	return identity{uid: uid, gid: uid, dynamic: true}, note, nil
}

// release returns a UID of the range.
func (e *Executor) release(id identity) {
	if id.dynamic {
		e.ids.put(id.uid)
	}
}

// plan fills in the mounts of the job's view and says, as job log lines,
// what of spec the sandbox does not honour.
func (e *Executor) plan(cfg *initConfig, spec executor.Spec, dir string) (notes []string) {
	cfg.Private = slices.Clone(e.private)
	// The data dir and the other attempts' directories: hidden, unless a
	// private tmpfs already covers them.
	hide := append(slices.Clone(e.hide), filepath.Dir(dir))
	covered := func(p string) bool {
		for _, q := range append(slices.Clone(cfg.Private), cfg.Hide...) {
			if executor.Within(p, q) {
				return true
			}
		}
		return false
	}
	slices.SortFunc(hide, func(a, b string) int { return len(a) - len(b) })
	for _, h := range hide {
		if h == "/" || covered(h) {
			continue
		}
		if fi, err := os.Stat(h); err == nil && fi.IsDir() {
			cfg.Hide = append(cfg.Hide, h)
		}
	}
	hidden := append(slices.Clone(e.hide), filepath.Dir(dir))

	// Volumes by name; a mount point names one.
	vols := map[string]executor.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	var ignored []string
	for _, mp := range spec.MountPoints {
		v, ok := vols[mp.SourceVolume]
		target := filepath.Clean(mp.ContainerPath)
		switch {
		case !ok:
			ignored = append(ignored, fmt.Sprintf("mount point %s (no volume %q)", mp.ContainerPath, mp.SourceVolume))
			continue
		case !filepath.IsAbs(target) || target == "/":
			ignored = append(ignored, fmt.Sprintf("mount point %q (not an absolute path below /)", mp.ContainerPath))
			continue
		}
		// The target must be on one of the init's tmpfs or in the work
		// directory, or exist: the init never creates anything on the
		// host's own file systems.
		onOwn := executor.Within(target, dir) || covered(target)
		if !onOwn {
			if _, err := os.Stat(target); err != nil {
				ignored = append(ignored, fmt.Sprintf("mount point %s (it does not exist on this host; use a path under /tmp)", target))
				continue
			}
		}
		m := initMount{Target: target, ReadOnly: mp.ReadOnly}
		if v.HostPath != "" {
			src := executor.RealPath(v.HostPath)
			if executor.Exposes(src, hidden) != "" {
				ignored = append(ignored, fmt.Sprintf("volume %s (host path %s holds or is inside batchd's data)", v.Name, v.HostPath))
				continue
			}
			m.Source = src
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	for _, u := range spec.Ulimits {
		res, ok := ulimits[u.Name]
		if !ok {
			ignored = append(ignored, fmt.Sprintf("ulimit %q (unknown; known: %s)", u.Name, strings.Join(ulimitNames(), ", ")))
			continue
		}
		cfg.Rlimits = append(cfg.Rlimits, initRlimit{Name: u.Name, Resource: res, Soft: uint64(u.Soft), Hard: uint64(u.Hard)})
	}
	for _, t := range spec.Linux.Tmpfs {
		target := filepath.Clean(t.ContainerPath)
		if !filepath.IsAbs(target) || target == "/" {
			ignored = append(ignored, fmt.Sprintf("tmpfs %q (not an absolute path below /)", t.ContainerPath))
			continue
		}
		if !executor.Within(target, dir) && !covered(target) {
			if _, err := os.Stat(target); err != nil {
				ignored = append(ignored, fmt.Sprintf("tmpfs %s (it does not exist on this host; use a path under /tmp)", target))
				continue
			}
		}
		cfg.Mounts = append(cfg.Mounts, initMount{Target: target, SizeMiB: t.SizeMiB})
	}
	if spec.Privileged {
		ignored = append(ignored, "privileged")
	}
	if spec.ReadonlyRootFilesystem {
		ignored = append(ignored, "readonlyRootFilesystem")
	}
	if len(spec.Linux.Devices) > 0 {
		ignored = append(ignored, "linuxParameters.devices")
	}
	if spec.Linux.SharedMemoryMiB > 0 {
		ignored = append(ignored, "linuxParameters.sharedMemorySize (/dev/shm is a private tmpfs without a size)")
	}
	if spec.Linux.MaxSwapMiB != nil || spec.Linux.Swappiness != nil {
		ignored = append(ignored, "linuxParameters.maxSwap/swappiness")
	}
	if len(ignored) > 0 {
		notes = append(notes, "the local executor ignores: "+strings.Join(ignored, "; "))
	}
	return notes
}

// gpuEnv adds NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES naming the
// attempt's GPUs, unless the job's environment sets them.
func gpuEnv(env []string, gpus []string) []string {
	if len(gpus) == 0 {
		return env
	}
	list := strings.Join(gpus, ",")
	for _, k := range []string{"NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"} {
		if _, ok := getenv(env, k); !ok {
			env = append(slices.Clip(env), k+"="+list)
		}
	}
	return env
}

// chownTree gives the work directory and what batchd put in it to the
// attempt's user.
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}
