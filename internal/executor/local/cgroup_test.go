package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// tree creates files (path → content) under a temporary root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Under systemd with Delegate=yes, attempts' cgroups go in the service's
// delegated cgroup (marked trusted.delegate=1), beside batchd's own
// subgroup, never at the hierarchy's root.
func TestDetectCgroupsDelegated(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"cgroup.controllers": "cpu memory\n",
		"system.slice/batchd.service/supervisor/cgroup.procs":       "",
		"system.slice/other.service/cgroup.procs":                   "",
		"system.slice/batchd.service/cgroup.controllers":            "cpu memory\n",
		"system.slice/batchd.service/supervisor/cgroup.controllers": "",
		"system.slice/other.service/cgroup.controllers":             "",
	}
	root := tree(t, files)
	delegate := filepath.Join(root, "system.slice/batchd.service")
	if err := syscall.Setxattr(delegate, "trusted.delegate", []byte("1"), 0); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("setting trusted.delegate (CI runs as root): %v", err)
		}
		t.Skipf("trusted xattrs need root: %v", err)
	}
	for _, tc := range []struct{ name, self, v2 string }{
		{"in DelegateSubgroup", "0::/system.slice/batchd.service/supervisor\n", "system.slice/batchd.service/batchd"},
		{"in the delegated cgroup itself", "0::/system.slice/batchd.service\n", "system.slice/batchd.service/batchd"},
		{"not delegated", "0::/system.slice/other.service\n", "batchd"},
		{"root", "0::/\n", "batchd"},
	} {
		cg := detectCgroups(root, []byte(tc.self))
		if got, _ := filepath.Rel(root, cg.v2); got != tc.v2 {
			t.Errorf("%s: v2 parent = %q, want %q", tc.name, got, tc.v2)
		}
	}
	// Run in the delegated cgroup, batchd moved itself to its subgroup.
	procs, err := os.ReadFile(filepath.Join(delegate, "supervisor", "cgroup.procs"))
	if err != nil || strings.TrimSpace(string(procs)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("supervisor/cgroup.procs = %q, %v; want this process", procs, err)
	}
}

func TestDetectCgroups(t *testing.T) {
	t.Parallel()
	const selfV1 = "12:memory:/process_api/abc\n4:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/\n"
	for _, tc := range []struct {
		name     string
		files    map[string]string
		self     string
		v2       string // relative to the root
		mem, cpu string // parents, relative to the root
		why      string // part of the memory controller's why
	}{
		{
			name:  "v2",
			files: map[string]string{"cgroup.controllers": "cpuset cpu io memory hugetlb pids\n"},
			self:  "0::/system.slice/batchd.service\n",
			v2:    "batchd",
		},
		{
			name: "hybrid: v1 cpu and memory, v2 without them",
			files: map[string]string{
				"unified/cgroup.controllers":   "hugetlb\n",
				"memory/memory.limit_in_bytes": "9223372036854771712\n",
				"cpu/cpu.cfs_quota_us":         "-1\n",
			},
			self: selfV1,
			mem:  "memory/process_api/abc/batchd",
			cpu:  "cpu/batchd",
		},
		{
			name: "hybrid: v2 with them under unified",
			files: map[string]string{
				"unified/cgroup.controllers":   "cpu memory\n",
				"memory/memory.limit_in_bytes": "9223372036854771712\n",
			},
			self: selfV1,
			v2:   "unified/batchd",
		},
		{
			name:  "v1 without cpu",
			files: map[string]string{"memory/memory.limit_in_bytes": "1\n"},
			self:  selfV1,
			mem:   "memory/process_api/abc/batchd",
		},
		{
			name:  "v2 without memory, no v1",
			files: map[string]string{"cgroup.controllers": "cpu io\n"},
			self:  "0::/\n",
			why:   "lacks the cpu and memory controllers, no cgroup v1 memory hierarchy",
		},
		{
			name: "nothing",
			self: selfV1,
			why:  "no cgroup v1 memory hierarchy at ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tree(t, tc.files)
			cg := detectCgroups(root, []byte(tc.self))
			rel := func(p string) string {
				if p == "" {
					return ""
				}
				r, _ := filepath.Rel(root, p)
				return r
			}
			if got := rel(cg.v2); got != tc.v2 {
				t.Errorf("v2 parent = %q, want %q", got, tc.v2)
			}
			if tc.v2 != "" {
				return
			}
			if got := rel(cg.mem.parent); got != tc.mem {
				t.Errorf("memory parent = %q, want %q", got, tc.mem)
			}
			if got := rel(cg.cpu.parent); got != tc.cpu {
				t.Errorf("cpu parent = %q, want %q", got, tc.cpu)
			}
			if tc.cpu == "" && cg.cpu.why == "" {
				t.Errorf("no cpu controller but no why")
			}
			if !strings.Contains(cg.mem.why, tc.why) {
				t.Errorf("memory why = %q, want it to contain %q", cg.mem.why, tc.why)
			}
		})
	}
}

func TestCreateWithoutOneController(t *testing.T) {
	t.Parallel()
	// A fake v1 memory hierarchy has no control files: creating fails
	// with why, and nothing stays behind.
	root := tree(t, map[string]string{"memory/memory.limit_in_bytes": "1\n"})
	cg := detectCgroups(root, []byte("4:memory:/\n"))
	got, without, why := cg.create("job-1", 1, 64)
	if got != nil {
		t.Errorf("cgroup = %+v, want none", got)
	}
	if without != "vCPU/memory" || !strings.Contains(why, "memory.limit_in_bytes") || !strings.Contains(why, "no cgroup v1 cpu hierarchy") {
		t.Errorf("without %q, why %q", without, why)
	}
	if _, err := os.Stat(filepath.Join(root, "memory/batchd/job-1")); !os.IsNotExist(err) {
		t.Errorf("left behind: %v", err)
	}
}

// TestCloneIntoCgroupV2 checks the v2 start path where a cgroup2 hierarchy
// is mounted, even one without the cpu and memory controllers (as the
// unified hierarchy of a hybrid host): the child is born in the cgroup.
func TestCloneIntoCgroupV2(t *testing.T) {
	t.Parallel()
	var mount string
	for _, m := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(m, "cgroup.controllers")); err == nil {
			mount = m
			break
		}
	}
	if mount == "" {
		t.Skip("no cgroup2 hierarchy mounted")
	}
	dir := filepath.Join(mount, "batchd-test-"+cgroupName(t.Name(), os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	fd, err := os.Open(dir)
	if err != nil {
		os.Remove(dir)
		t.Fatal(err)
	}
	cg := &cgroup{v2: true, dirs: []string{dir}, fd: fd}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	attr := &os.ProcAttr{Env: []string{}, Files: []*os.File{nil, w, w}, Sys: &syscall.SysProcAttr{Setpgid: true}}
	p, err, why := cg.start(attr, func() (*os.Process, error) {
		return os.StartProcess("/usr/bin/cat", []string{"cat", "/proc/self/cgroup"}, attr)
	})
	w.Close()
	if err != nil || why != "" {
		cg.remove(t.Logf)
		t.Fatalf("start: %v %s", err, why)
	}
	out := make([]byte, 4096)
	n, _ := r.Read(out)
	r.Close()
	p.Wait()
	cg.remove(t.Logf)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s not removed: %v", dir, err)
	}
	if want := "0::/" + filepath.Base(dir); !strings.Contains(string(out[:n]), want) {
		t.Errorf("/proc/self/cgroup = %q, want %q", out[:n], want)
	}
}

// TestCgroupFileIO: readFile and writeFile, which use plain system calls,
// read and write whole files and fail as the os package's functions do.
func TestCgroupFileIO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	big := strings.Repeat("0123456789\n", 1000) // more than one read
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, big); err != nil {
		t.Fatal(err)
	}
	if got, err := readFile(path); err != nil || string(got) != big {
		t.Fatalf("readFile = %d bytes, %v; want %d", len(got), err, len(big))
	}
	missing := filepath.Join(dir, "missing")
	if _, err := readFile(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readFile of a missing file: %v", err)
	}
	// writeFile never creates: a cgroup control file exists or is absent.
	if err := writeFile(missing, "1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("writeFile of a missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("writeFile created %s", missing)
	}
}
