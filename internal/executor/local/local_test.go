package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"batchd/internal/executor"
)

func TestMain(m *testing.M) {
	Init() // the sandbox's init, when the test binary was started as one
	code := m.Run()
	// Leave no empty batchd parent behind in the host's hierarchies.
	self, _ := os.ReadFile("/proc/self/cgroup")
	cg := detectCgroups("/sys/fs/cgroup", self)
	for _, dir := range []string{cg.mem.parent, cg.cpu.parent} {
		if dir != "" {
			os.Remove(dir)
		}
	}
	os.Exit(code)
}

// collector gathers an attempt's lines.
type collector struct {
	mu    sync.Mutex
	lines []executor.Line
}

func (c *collector) out(l executor.Line) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, l)
}

func (c *collector) all() []executor.Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]executor.Line(nil), c.lines...)
}

func (c *collector) texts(stderr bool) []string {
	var s []string
	for _, l := range c.all() {
		if l.Stderr == stderr {
			s = append(s, l.Text)
		}
	}
	return s
}

// waitLines waits until n lines arrived.
func (c *collector) waitLines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.all()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got lines %+v, want at least %d", c.all(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var attempts sync.Map // job ID → attempt counter, so that cgroup names differ

func testSpec(t testing.TB, command ...string) executor.Spec {
	t.Helper()
	id := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	n, _ := attempts.LoadOrStore(id, new(int))
	*n.(*int)++
	return executor.Spec{
		JobID:   id,
		Attempt: *n.(*int),
		Command: command,
		Env:     []string{"PATH=/usr/bin:/bin"},
		WorkDir: filepath.Join(t.TempDir(), "work"),
	}
}

func start(t testing.TB, e *Executor, spec executor.Spec) (executor.Handle, *collector) {
	t.Helper()
	c := &collector{}
	h, err := e.Start(context.Background(), spec, c.out)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	// The attempt ends, and its work directory is released (renamed into
	// its parent to be kept), before the test's temporary directories go:
	// cleanups run last first, and testSpec made them before.
	t.Cleanup(func() {
		h.Stop(0)
		h.Wait()
	})
	return h, c
}

func run(t testing.TB, e *Executor, spec executor.Spec) (executor.Result, *collector) {
	t.Helper()
	h, c := start(t, e, spec)
	return h.Wait(), c
}

// skipWithoutCgroups skips a test whose attempt ran without limits.
func skipWithoutCgroups(t *testing.T, c *collector) {
	t.Helper()
	for _, l := range c.all() {
		if strings.HasPrefix(l.Text, "batchd: cgroup limits unavailable") {
			t.Skipf("cgroups unusable on this host: %s", l.Text)
		}
	}
}

// gone reports whether pid no longer runs (a zombie waiting for its new
// parent counts as gone).
func gone(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	st := procState(pid)
	return st == "" || st == "Z"
}

// procState is the state letter of pid (proc(5)), "" when it is gone,
// "?" when its stat cannot be read as proc(5) says.
func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(data, ')')
	if i <= 0 || len(data) <= i+2 {
		return "?"
	}
	return string(data[i+2])
}

// sleepArg is a duration for sleep that no other process has in its
// command line, so that the test finds the sleep's host pid (inside the
// attempt's pid namespace it has another).
func sleepArg() string {
	return fmt.Sprintf("100.%09d", sleepSeq.Add(1)*1000+int64(os.Getpid()%1000))
}

var sleepSeq atomic.Int64

// pidsOf returns the pids, in batchd's pid namespace, of the processes
// whose command line is args, none when there are none.
func pidsOf(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline"); err == nil && string(cmd) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hostPIDs waits for processes whose command line is args and returns
// their pids in batchd's pid namespace.
func hostPIDs(t testing.TB, args ...string) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pids := pidsOf(args...); len(pids) > 0 {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process %q", args)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func requireGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		deadline := time.Now().Add(5 * time.Second)
		for !gone(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("pid %d still runs", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestOutputLines(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return at }})
	res, c := run(t, e, testSpec(t, "sh", "-c", `echo out1; echo err1 >&2; echo; echo out2; echo err2 >&2; printf 'no newline'`))
	if res != (executor.Result{}) {
		t.Errorf("result = %+v, want exit 0", res)
	}
	if got, want := c.texts(false), []string{"out1", "", "out2", "no newline"}; !slices.Equal(got, want) {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := c.texts(true), []string{"err1", "err2"}; !slices.Equal(got, want) {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	for _, l := range c.all() {
		if !l.Time.Equal(at) {
			t.Errorf("line %q stamped %v, want the injected clock's %v", l.Text, l.Time, at)
		}
	}
}

func TestLongLinesSplit(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "cat", "ascii", "utf8")
	// 'a' then 'é' (2 bytes) repeated: the 256 KiB boundary falls inside a
	// rune, which must move to the next piece.
	utf := "a" + strings.Repeat("é", 140000)
	if err := os.MkdirAll(spec.WorkDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile := func(name, content string) {
		if err := os.WriteFile(filepath.Join(spec.WorkDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("ascii", strings.Repeat("x", 600000)+"\n")
	writeFile("utf8", utf+"\n")
	res, c := run(t, e, spec)
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v", res)
	}
	var lens []int
	var joined strings.Builder
	for i, s := range c.texts(false) {
		lens = append(lens, len(s))
		if !utf8.ValidString(s) {
			t.Errorf("piece %d is not valid UTF-8", i)
		}
		if i >= 3 {
			joined.WriteString(s)
		}
	}
	want := []int{maxLine, maxLine, 600000 - 2*maxLine, maxLine - 1, len(utf) - (maxLine - 1)}
	if !slices.Equal(lens, want) {
		t.Errorf("line lengths = %v, want %v", lens, want)
	}
	if joined.String() != utf {
		t.Errorf("pieces of the UTF-8 line do not join up to it")
	}
}

func TestManyLines(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	res, c := run(t, e, testSpec(t, "seq", "100000"))
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v", res)
	}
	got := c.texts(false)
	if len(got) != 100000 {
		t.Fatalf("got %d lines, want 100000", len(got))
	}
	for i, l := range got {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q, want %d", i, l, i+1)
		}
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, tc := range []struct {
		name   string
		script string
		init   bool // linuxParameters.initProcessEnabled
		want   int
	}{
		{"success", "exit 0", false, 0},
		{"failure", "exit 3", false, 3},
		{"success under init", "exit 0", true, 0},
		{"failure under init", "exit 3", true, 3},
		{"killed by SIGTERM under init", "kill -TERM $$", true, 128 + 15},
		// pid 1 of its namespace, as in a container without init: a
		// signal it has no handler for does nothing.
		{"SIGTERM ignored as pid 1", "kill -TERM $$; exit 4", false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := testSpec(t, "sh", "-c", tc.script)
			spec.Linux.InitProcessEnabled = tc.init
			res, c := run(t, e, spec)
			if res != (executor.Result{ExitCode: tc.want}) {
				t.Errorf("result = %+v, want exit code %d (output %+v)", res, tc.want, c.all())
			}
		})
	}
}

func TestEnvironmentExactly(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"given", []string{"PATH=/nonexistent", "A=1", "B=two words", "AWS_BATCH_JOB_ID=j-1"}},
		{"nil", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := testSpec(t, "/usr/bin/env")
			spec.Env = tc.env
			res, c := run(t, e, spec)
			if res.ExitCode != 0 {
				t.Fatalf("result = %+v", res)
			}
			if got := c.texts(false); !slices.Equal(got, tc.env) {
				t.Errorf("environment = %q, want exactly %q", got, tc.env)
			}
		})
	}
}

func TestWorkDir(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "./pwd.sh")
	if err := os.MkdirAll(spec.WorkDir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\npwd\nstat -c %a .\n"
	if err := os.WriteFile(filepath.Join(spec.WorkDir, "pwd.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	res, c := run(t, e, spec)
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v, output %+v", res, c.all())
	}
	if got, want := c.texts(false), []string{spec.WorkDir, "700"}; !slices.Equal(got, want) {
		t.Errorf("pwd, mode = %q, want %q", got, want)
	}
	if _, err := os.Stat(spec.WorkDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory after Wait: %v, want it removed", err)
	}
}

func TestStopKillsProcessGroup(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, init := range []bool{true, false} {
		m1, m2 := sleepArg(), sleepArg()
		spec := testSpec(t, "sh", "-c", `sleep `+m1+` & echo $!; sleep `+m2+` & echo $!; wait`)
		spec.Linux.InitProcessEnabled = init
		h, c := start(t, e, spec)
		c.waitLines(t, 2)
		pids := append(hostPIDs(t, "sleep", m1), hostPIDs(t, "sleep", m2)...)
		h.Stop(10 * time.Second)
		h.Stop(10 * time.Second) // idempotent
		res := h.Wait()
		// Under init the shell dies of SIGTERM; as pid 1 it ignores it,
		// and its wait ends with its children.
		want := executor.Result{ExitCode: 128 + 15}
		if !init {
			want.ExitCode = 0
		}
		if res != want {
			t.Errorf("init %v: result = %+v, want %+v", init, res, want)
		}
		requireGone(t, pids)
		h.Stop(time.Second) // after exit: nothing to do
	}
}

// A job without init is pid 1: SIGTERM, which it has no handler for, does
// not end it, and Stop kills it once the grace is over, as ECS stops a
// container (exit code 137).
func TestStopPID1(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	m := sleepArg()
	h, _ := start(t, e, testSpec(t, "sleep", m))
	hostPIDs(t, "sleep", m)
	const grace = 300 * time.Millisecond
	t0 := time.Now()
	h.Stop(grace)
	res := h.Wait()
	if res != (executor.Result{ExitCode: 128 + 9}) {
		t.Errorf("result = %+v, want exit code 137 (SIGKILL)", res)
	}
	if d := time.Since(t0); d < grace {
		t.Errorf("stopped after %v, before the grace of %v", d, grace)
	}
}

func TestLeftoversDieWithMainProcess(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	began := time.Now()
	m := sleepArg()
	// The background sleep holds stdout open: Wait must not wait for it.
	h, c := start(t, e, testSpec(t, "sh", "-c", `sleep `+m+` & echo $!; sleep 0.5`))
	c.waitLines(t, 1)
	pids := hostPIDs(t, "sleep", m)
	res := h.Wait()
	if res.ExitCode != 0 {
		t.Errorf("result = %+v", res)
	}
	if d := time.Since(began); d > drainTimeout/2 {
		t.Errorf("Wait took %v: the group was not killed on exit", d)
	}
	requireGone(t, pids)
}

func TestStopGraceThenKill(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	const grace = 300 * time.Millisecond
	h, c := start(t, e, testSpec(t, "sh", "-c", `trap 'echo TERM' TERM; echo ready; while :; do sleep 0.05; done`))
	c.waitLines(t, 1)
	began := time.Now()
	h.Stop(grace)
	res := h.Wait()
	if d := time.Since(began); d < grace {
		t.Errorf("ended %v after Stop, before the %v grace", d, grace)
	}
	if res != (executor.Result{ExitCode: 128 + 9}) {
		t.Errorf("result = %+v, want exit code 137 (SIGKILL)", res)
	}
	if got := c.texts(false); !slices.Equal(got, []string{"ready", "TERM"}) {
		t.Errorf("stdout = %q, want the trap to have seen SIGTERM", got)
	}
}

func TestStopShortensGrace(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	h, c := start(t, e, testSpec(t, "sh", "-c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`))
	c.waitLines(t, 1)
	h.Stop(time.Hour)
	h.Stop(0)
	done := make(chan executor.Result)
	go func() { done <- h.Wait() }()
	select {
	case res := <-done:
		if res.ExitCode != 137 {
			t.Errorf("result = %+v, want 137", res)
		}
	case <-time.After(10 * time.Second):
		h.Stop(0)
		t.Fatal("Stop(0) after Stop(1h) did not kill")
	}
}

func TestContextCancelKills(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	h, err := e.Start(ctx, testSpec(t, "sh", "-c", `trap '' TERM; echo ready; sleep 100`), c.out)
	if err != nil {
		t.Fatal(err)
	}
	c.waitLines(t, 1)
	cancel()
	if res := h.Wait(); res.ExitCode != 137 {
		t.Errorf("result = %+v, want 137", res)
	}

	if _, err := e.Start(ctx, testSpec(t, "true"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestCannotStart(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, tc := range []struct {
		name    string
		command []string
		setup   func(dir string) // in the work directory
		want    string
	}{
		{"not in PATH", []string{"no-such-command-xyz"}, nil,
			`CannotStartContainerError: exec: "no-such-command-xyz": executable file not found in $PATH`},
		{"no such file", []string{"/nonexistent/cmd"}, nil,
			`CannotStartContainerError: exec: "/nonexistent/cmd": no such file or directory`},
		{"not executable", []string{"./data.txt"}, func(dir string) {
			os.WriteFile(filepath.Join(dir, "data.txt"), []byte("hello\n"), 0o644)
		}, `CannotStartContainerError: exec: "./data.txt": permission denied`},
		{"no command", nil, nil, "CannotStartContainerError: exec: no command specified"},
	} {
		// Gated by Spec.Ready, a direct start execs the job stopped
		// (letGo): the exec's error comes before Ready.
		for _, gated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gated=%v", tc.name, gated), func(t *testing.T) {
				t.Parallel()
				spec := testSpec(t, tc.command...)
				if gated {
					spec.Ready = func() error { return nil }
				}
				if tc.setup != nil {
					if err := os.MkdirAll(spec.WorkDir, 0o700); err != nil {
						t.Fatal(err)
					}
					tc.setup(spec.WorkDir)
				}
				h, c := start(t, e, spec)
				h.Stop(0)
				res := h.Wait()
				if want := (executor.Result{ExitCode: -1, Reason: tc.want}); res != want {
					t.Errorf("result = %+v, want %+v", res, want)
				}
				if len(c.all()) != 0 {
					t.Errorf("output %+v, want none", c.all())
				}
				if _, err := os.Stat(spec.WorkDir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("work directory: %v, want it removed", err)
				}
			})
		}
	}
}

func TestCgroupUnavailable(t *testing.T) {
	t.Parallel()
	var logged []string
	var mu sync.Mutex
	e := New(Options{CgroupRoot: t.TempDir(), Log: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(f, a...))
	}})
	spec := testSpec(t, "echo", "ran")
	spec.VCPUs, spec.MemoryMiB = 1, 64
	res, c := run(t, e, spec)
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v", res)
	}
	lines := c.all()
	if len(lines) != 2 {
		t.Fatalf("lines = %+v, want the warning then the job's line", lines)
	}
	warn := regexp.MustCompile(`^batchd: cgroup limits unavailable: .*no cgroup v1 memory hierarchy.*; running without vCPU/memory limits$`)
	if !warn.MatchString(lines[0].Text) || !lines[0].Stderr {
		t.Errorf("first line = %+v, want the stderr warning", lines[0])
	}
	if lines[1].Text != "ran" || lines[1].Stderr {
		t.Errorf("second line = %+v, want the job's own", lines[1])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 {
		t.Errorf("logged %q, want one warning", logged)
	}
}

func TestCgroupFromTheStart(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "cat", "/proc/self/cgroup")
	spec.VCPUs, spec.MemoryMiB = 1, 64
	res, c := run(t, e, spec)
	skipWithoutCgroups(t, c)
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v", res)
	}
	name := cgroupName(spec.JobID, spec.Attempt)
	var in []string
	for _, l := range c.texts(false) {
		if strings.HasSuffix(l, "/batchd/"+name) {
			in = append(in, l)
		}
	}
	// Read by the command's first process: there is no window outside.
	want := 2 // v1: memory and cpu
	if e.cg.v2 != "" {
		want = 1
	}
	if len(in) != want {
		t.Errorf("/proc/self/cgroup = %q, want %d lines in .../batchd/%s", c.texts(false), want, name)
	}
	for _, parent := range []string{e.cg.v2, e.cg.mem.parent, e.cg.cpu.parent} {
		if parent == "" {
			continue
		}
		// Removed at once, or (v1, its forking thread in it until it
		// ended) soon after.
		deadline := time.Now().Add(2 * time.Second)
		for {
			_, err := os.Stat(filepath.Join(parent, name))
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("cgroup %s 2 s after Wait: %v, want it removed", filepath.Join(parent, name), err)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The thread that forked went home.
	data, _ := os.ReadFile("/proc/self/cgroup")
	if bytes.Contains(data, []byte("/batchd/")) {
		t.Errorf("batchd's /proc/self/cgroup = %q", data)
	}
}

func TestOOM(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "sh", "-c", `head -c 300m /dev/zero | tail`)
	spec.VCPUs, spec.MemoryMiB = 1, 64
	res, c := run(t, e, spec)
	skipWithoutCgroups(t, c)
	want := executor.Result{ExitCode: 137, OOM: true, Reason: "OutOfMemoryError: Container killed due to memory usage"}
	if res != want {
		t.Errorf("result = %+v, want %+v (output %+v)", res, want, c.all())
	}

	spec = testSpec(t, "sh", "-c", `head -c 10m /dev/zero | tail -c 1 | wc -c`)
	spec.VCPUs, spec.MemoryMiB = 1, 64
	if res, c := run(t, e, spec); res != (executor.Result{}) {
		t.Errorf("within the limit: result = %+v, output %+v", res, c.all())
	}
}

func TestCPULimit(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second")
	}
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "sh", "-c", `timeout 1 sh -c 'while :; do :; done'; times`)
	spec.VCPUs, spec.MemoryMiB = 0.2, 64
	res, c := run(t, e, spec)
	skipWithoutCgroups(t, c)
	out := c.texts(false)
	if res.ExitCode != 0 || len(out) != 2 {
		t.Fatalf("result = %+v, output %q", res, out)
	}
	// times: the second line is the children's user and system time.
	m := regexp.MustCompile(`^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$`).FindStringSubmatch(out[1])
	if m == nil {
		t.Fatalf("times printed %q", out[1])
	}
	var cpu float64
	for _, i := range []int{1, 3} {
		min, _ := strconv.ParseFloat(m[i], 64)
		sec, _ := strconv.ParseFloat(m[i+1], 64)
		cpu += 60*min + sec
	}
	if cpu > 0.5 {
		t.Errorf("a busy loop used %.2fs of CPU in 1s with 0.2 vCPU", cpu)
	}
	t.Logf("busy loop: %.2fs of CPU in 1s with 0.2 vCPU", cpu)
}

// TestAttemptsWeighLess: the attempts' parent cgroup weighs less than the
// server for the CPU, so that busy jobs cannot starve the control plane.
func TestAttemptsWeighLess(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	spec := testSpec(t, "true")
	spec.VCPUs, spec.MemoryMiB = 1, 64
	res, c := run(t, e, spec)
	skipWithoutCgroups(t, c)
	if res != (executor.Result{}) {
		t.Fatalf("result = %+v, output %v", res, c.all())
	}
	file, want := filepath.Join(e.cg.cpu.parent, "cpu.shares"), attemptsCPUShares
	if e.cg.v2 != "" {
		file, want = filepath.Join(e.cg.v2, "cpu.weight"), attemptsCPUWeight
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("%s = %q, want %s", file, got, want)
	}
}

func TestCgroupName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id      string
		attempt int
		want    string
	}{
		{"4f9a1c2e-0b1d-4c8e-9a77-1f2e3d4c5b6a", 1, "4f9a1c2e-0b1d-4c8e-9a77-1f2e3d4c5b6a-1"},
		{"4f9a1c2e-0b1d:7", 2, "4f9a1c2e-0b1d:7-2"},
		{"../../etc", 1, ".._.._etc-1"},
		{"..", 3, "job..-3"},
	} {
		if got := cgroupName(tc.id, tc.attempt); got != tc.want {
			t.Errorf("cgroupName(%q, %d) = %q, want %q", tc.id, tc.attempt, got, tc.want)
		}
	}
}

func BenchmarkStartWait(b *testing.B) {
	for _, bc := range []struct {
		name      string
		vcpus     float64
		memoryMiB int64
	}{
		{"no limits", 0, 0},
		{"limits", 1, 256},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := New(Options{})
			spec := testSpec(b, "true")
			spec.VCPUs, spec.MemoryMiB = bc.vcpus, bc.memoryMiB
			// The outcome first.
			res, c := run(b, e, spec)
			if res != (executor.Result{}) || len(c.all()) != 0 {
				b.Fatalf("result = %+v, output %+v", res, c.all())
			}
			b.ReportAllocs()
			for b.Loop() {
				spec.Attempt++
				h, err := e.Start(context.Background(), spec, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res := h.Wait(); res.ExitCode != 0 {
					b.Fatalf("result = %+v", res)
				}
			}
		})
	}
}

// Spec.Ready gates the start: called once the sandbox is built, before the
// job's process exists; when it fails, Start returns its error, nothing
// runs and the work directory is gone. With and without init.
func TestReadyGatesStart(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, init := range []bool{false, true} {
		refused := errors.New("not STARTING after all")
		spec := testSpec(t, "sh", "-c", "echo started > ran")
		spec.Linux.InitProcessEnabled = init
		spec.VCPUs, spec.MemoryMiB = 1, 64
		calls := 0
		spec.Ready = func() error {
			calls++
			if _, err := os.Stat(filepath.Join(spec.WorkDir, "ran")); err == nil {
				t.Errorf("init %v: the job ran before Ready", init)
			}
			return refused
		}
		h, err := e.Start(context.Background(), spec, nil)
		if !errors.Is(err, refused) || h != nil || calls != 1 {
			t.Fatalf("init %v: Start = %v, %v after %d calls of Ready; want Ready's error", init, h, err, calls)
		}
		if _, err := os.Stat(spec.WorkDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("init %v: work directory after a refused start: %v", init, err)
		}
		// Allowed, the same spec runs.
		spec.Ready = func() error { return nil }
		spec.Attempt++
		if res, c := run(t, e, spec); res.ExitCode != 0 {
			t.Errorf("init %v: allowed start: %+v %v", init, res, c.all())
		}
	}
}

// slotExecutor returns an Executor with attempts' uids uidMin-uidMax, on a
// host where it makes slots (root, cgroup v1 with memory and cpu); the
// test skips elsewhere.
func slotExecutor(t *testing.T, uidMin, uidMax int) *Executor {
	t.Helper()
	requireRoot(t)
	e := New(Options{UIDMin: uidMin, UIDMax: uidMax})
	if e.cg == nil || e.cg.v2 != "" || e.cg.mem.parent == "" || e.cg.cpu.parent == "" {
		t.Skip("slots are for cgroup v1 with memory and cpu")
	}
	return e
}

// Slots' cgroups are reused (cgroup v1): an OOM kill in one attempt is not
// held against the attempts that reuse its cgroup, and their limits are
// their own.
func TestSlotCgroupReuse(t *testing.T) {
	t.Parallel()
	e := slotExecutor(t, 65100, 65119)
	for round := range 3 {
		spec := testSpec(t, "sh", "-c", `head -c 300m /dev/zero | tail`)
		spec.VCPUs, spec.MemoryMiB = 1, 64
		if res, c := run(t, e, spec); !res.OOM {
			t.Fatalf("round %d: the 300 MiB job in 64 MiB: %+v %v", round, res, c.all())
		}
		time.Sleep(30 * time.Millisecond) // its cgroup comes back
		for range 4 {
			spec = testSpec(t, "sh", "-c", `head -c 100m /dev/zero | tail -c 1 | wc -c`)
			spec.VCPUs, spec.MemoryMiB = 1, 256
			if res, c := run(t, e, spec); res != (executor.Result{}) {
				t.Errorf("round %d: within its own limit: %+v %v", round, res, c.all())
			}
		}
		// A cgroup keeps its last limits (slotLimits): one without a
		// memory limit has none, whatever ran in its cgroup before.
		for range 3 {
			time.Sleep(30 * time.Millisecond) // the last cgroup comes back
			spec = testSpec(t, "sh", "-c", `head -c 300m /dev/zero | tail | wc -c`)
			spec.VCPUs, spec.MemoryMiB = 1, 0
			if res, c := run(t, e, spec); res != (executor.Result{}) {
				t.Errorf("round %d: without a memory limit: %+v %v", round, res, c.all())
			}
		}
	}
	if e.slots.reused.Load()+e.slots.again.Load() == 0 {
		t.Error("no slot cgroup was reused")
	}
	// The limits a kept cgroup is known to hold are those its files hold:
	// kept for a new slot, or with its slot's thread, ready again.
	time.Sleep(30 * time.Millisecond)
	e.slots.mu.Lock()
	free := slices.Clone(e.slots.free)
	for _, s := range e.slots.ready {
		free = append(free, freeCgroup{s.cg.dirs, s.cg.set})
	}
	e.slots.mu.Unlock()
	for _, f := range free {
		mem, err := os.ReadFile(filepath.Join(f.dirs[0], "memory.limit_in_bytes"))
		if err != nil {
			t.Fatal(err)
		}
		quota, err := os.ReadFile(filepath.Join(f.dirs[1], "cpu.cfs_quota_us"))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(string(mem)), 10, 64)
		if gotMem := f.set.mem != 0 && n == f.set.mem || f.set.mem == 0 && n > 1<<60; !gotMem {
			t.Errorf("%s: memory.limit_in_bytes %d, kept as %d", f.dirs[0], n, f.set.mem)
		}
		if q := strings.TrimSpace(string(quota)); q != strconv.FormatInt(f.set.quota, 10) && !(f.set.quota == 0 && q == "-1") {
			t.Errorf("%s: cpu.cfs_quota_us %s, kept as %d", f.dirs[1], q, f.set.quota)
		}
	}
	if len(free) == 0 {
		t.Error("no slot cgroup kept")
	}
}

// A slot's thread (cgroup v1 slots, view slots) serves one attempt after
// another: each job gets fresh /tmp, /var/tmp and /dev/shm (nothing the
// one before left there), its own work directory alone, and its own host
// name.
func TestSlotThreadFreshView(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	for _, tc := range []struct {
		name    string
		e       func(t *testing.T) *Executor
		limited bool
		pool    func(e *Executor) *slots
	}{
		{"cgroup v1 slots", func(t *testing.T) *Executor { return slotExecutor(t, 65120, 65139) }, true,
			func(e *Executor) *slots { return &e.slots }},
		// An attempt without limits moves no thread into a cgroup.
		{"view slots, no limits", func(*testing.T) *Executor { return New(Options{UIDMin: 65140, UIDMax: 65159}) }, false,
			func(e *Executor) *slots { return &e.views }},
		// As under cgroup v2, or on a host without cgroups.
		{"view slots, no cgroups", func(t *testing.T) *Executor {
			return New(Options{UIDMin: 65160, UIDMax: 65179, CgroupRoot: t.TempDir()})
		}, true, func(e *Executor) *slots { return &e.views }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.e(t)
			pool := tc.pool(e)
			again, checked := pool.again.Load(), 0
			for i := range 6 {
				served, walks := pool.again.Load(), pool.walks.Load()
				// Odd attempts leave nothing in the private tmpfs: their
				// slot finds them empty without a walk (tmpfsEmpty).
				leave := `echo left > $d/left$$`
				if i%2 == 1 {
					leave = ":"
				}
				spec := testSpec(t, "sh", "-c", `for d in /tmp /var/tmp /dev/shm; do ls -A $d; `+leave+`; done; ls -A "$(dirname "$PWD")"; hostname`)
				if tc.limited {
					spec.VCPUs, spec.MemoryMiB = 1, 64
				}
				spec.AttemptID = fmt.Sprintf("%012x", 0xabc000+i)
				res, c := run(t, e, spec)
				if res != (executor.Result{}) {
					t.Fatalf("attempt %d: %+v %v", i, res, c.all())
				}
				if tc.pool(e) == &e.slots {
					skipWithoutCgroups(t, c)
				}
				got := c.texts(false)
				if slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "left") }) {
					t.Errorf("attempt %d saw what an earlier one left: %q", i, got)
				}
				if want := []string{filepath.Base(spec.WorkDir), spec.AttemptID}; len(got) < 2 || !slices.Equal(got[len(got)-2:], want) {
					t.Errorf("attempt %d saw %q, want it to end with only its work directory and its host name %q", i, got, want)
				}
				time.Sleep(20 * time.Millisecond) // the slot is ready again
				if pool.again.Load() == served {
					continue // a fresh thread's, no slot's
				}
				checked++
				want := int64(3) // a file left in each of the three
				if i%2 == 1 {
					want = 0
				}
				if n := pool.walks.Load() - walks; n != want {
					t.Errorf("attempt %d: %d private tmpfs walked to be emptied, want %d", i, n, want)
				}
			}
			if pool.again.Load() == again {
				t.Error("no slot's thread served a second attempt")
			}
			if checked < 2 {
				t.Errorf("%d attempts checked for walks, want at least 2", checked)
			}
		})
	}
}
