package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A direct start forks and execs the job while Spec.Ready waits, stopped
// (traced) before its first instruction: during Ready the process exists,
// in tracing stop, and has run nothing; refused, it is killed and reaped;
// allowed, it runs, no longer traced. Where the host refused tracing
// (noTrace), the process comes to be only after Ready.
func TestReadyHoldsStoppedJob(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	for _, noTrace := range []bool{false, true} {
		e := New(Options{})
		e.noTrace.Store(noTrace)
		token := fmt.Sprintf("held-%d-%v", os.Getpid(), noTrace)
		spec := testSpec(t, "sh", "-c", `echo started > ran; grep TracerPid /proc/self/status`, token)
		var pid int
		spec.Ready = func() error {
			pid = heldPID(spec.Command)
			if _, err := os.Stat(filepath.Join(spec.WorkDir, "ran")); err == nil {
				t.Errorf("noTrace %v: the job ran before Ready", noTrace)
			}
			return errors.New("refused")
		}
		if _, err := e.Start(context.Background(), spec, nil); err == nil || err.Error() != "refused" {
			t.Fatalf("noTrace %v: Start = %v; want Ready's error", noTrace, err)
		}
		switch {
		case noTrace && pid != 0:
			t.Errorf("noTrace: the job's process %d existed during Ready", pid)
		case !noTrace && pid == 0:
			t.Fatal("the job's process did not exist during Ready")
		case !noTrace:
			if st := procState(pid); st != "" {
				t.Errorf("the refused job's process %d is still there (state %s)", pid, st)
			}
		}
		held := ""
		spec.Attempt++
		spec.Ready = func() error {
			if p := heldPID(spec.Command); p != 0 {
				held = procState(p)
			}
			return nil
		}
		res, c := run(t, e, spec)
		if res.ExitCode != 0 {
			t.Fatalf("noTrace %v: allowed start: %+v %v", noTrace, res, c.all())
		}
		if want := map[bool]string{false: "t", true: ""}[noTrace]; held != want {
			t.Errorf("noTrace %v: the job's state during Ready = %q; want %q", noTrace, held, want)
		}
		if out := c.all(); len(out) != 1 || out[0].Text != "TracerPid:\t0" {
			t.Errorf("noTrace %v: the job saw %v; want no tracer", noTrace, out)
		}
	}
}

// heldPID returns the pid of the process of command, 0 when there is none.
func heldPID(command []string) int {
	if pids := pidsOf(command...); len(pids) > 0 {
		return pids[0]
	}
	return 0
}

// Where the host refuses PTRACE_TRACEME (a seccomp or Yama policy), a
// direct start falls back to forking the job once Spec.Ready returned, and
// the executor stops trying. Run in a process of its own, whose threads a
// seccomp filter denies ptrace(2) with EPERM.
func TestTraceRefused(t *testing.T) {
	requireRoot(t)
	if os.Getenv("BATCHD_TEST_PTRACE_DENIED") == "" {
		if _, ok := auditArch[runtime.GOARCH]; !ok {
			t.Skipf("no seccomp filter written for %s", runtime.GOARCH)
		}
		cmd := exec.Command(os.Args[0], "-test.run", "^TestTraceRefused$", "-test.v")
		cmd.Env = append(os.Environ(), "BATCHD_TEST_PTRACE_DENIED=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestTraceRefused")) {
			t.Fatalf("with ptrace denied: %v\n%s", err, out)
		}
		return
	}
	denyPtrace(t)
	if err := unix.PtraceDetach(os.Getpid()); !errors.Is(err, unix.EPERM) {
		t.Fatalf("ptrace with the filter: %v, want EPERM", err)
	}
	e := New(Options{})
	for round := range 2 {
		token := fmt.Sprintf("refused-%d-%d", os.Getpid(), round)
		spec := testSpec(t, "sh", "-c", `echo ran`, token)
		calls := 0
		spec.Ready = func() error {
			calls++
			if pid := heldPID(spec.Command); pid != 0 {
				t.Errorf("round %d: the job's process %d existed during Ready", round, pid)
			}
			return nil
		}
		res, c := run(t, e, spec)
		if res.ExitCode != 0 || calls != 1 {
			t.Fatalf("round %d: %+v %v after %d calls of Ready", round, res, c.all(), calls)
		}
		if out := c.all(); len(out) != 1 || out[0].Text != "ran" {
			t.Errorf("round %d: output %v", round, out)
		}
		if !e.noTrace.Load() {
			t.Errorf("round %d: the executor still tries PTRACE_TRACEME", round)
		}
	}
}

// auditArch is the AUDIT_ARCH of the architectures denyPtrace knows.
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}

// denyPtrace has ptrace(2) fail with EPERM on every thread of the process
// and their children (a seccomp filter, SECCOMP_FILTER_FLAG_TSYNC).
func denyPtrace(t *testing.T) {
	t.Helper()
	arch, ok := auditArch[runtime.GOARCH]
	if !ok {
		t.Skipf("no seccomp filter written for %s", runtime.GOARCH)
	}
	const (
		archOffset = 4 // struct seccomp_data: nr (int), arch (u32)
		nrOffset   = 0
	)
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: archOffset},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: arch, Jt: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: nrOffset},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_PTRACE, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		t.Fatalf("seccomp: %v", errno)
	}
}
