package local

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A batchd killed with an attempt running leaves its process; the next
// Executor of the same instance reaps it, and leaves other instances' alone.
func TestReapKillsLeftovers(t *testing.T) {
	instance := "reap-" + strconv.Itoa(os.Getpid())
	old := New(Options{Instance: instance})
	other := New(Options{Instance: instance + "-other"})
	m, om := sleepArg(), sleepArg()
	spec := testSpec(t, "sh", "-c", "echo $$; exec sleep "+m)
	spec.MemoryMiB, spec.VCPUs = 256, 1
	h, c := start(t, old, spec)
	defer h.Stop(0)
	c.waitLines(t, 1)
	skipWithoutCgroups(t, c)
	otherSpec := testSpec(t, "sh", "-c", "echo $$; exec sleep "+om)
	otherSpec.MemoryMiB = 256
	oh, oc := start(t, other, otherSpec)
	defer oh.Stop(0)
	oc.waitLines(t, 1)
	pid := hostPIDs(t, "sleep", m)[0]
	otherPID := hostPIDs(t, "sleep", om)[0]

	if n := New(Options{Instance: instance}).Reap(); n == 0 {
		t.Fatal("Reap found nothing to clear")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d survived Reap", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if gone(otherPID) {
		t.Fatalf("Reap killed another instance's attempt (pid %d)", otherPID)
	}
	if n := New(Options{}).Reap(); n != 0 {
		t.Fatalf("an Executor without an instance reaped %d cgroups", n)
	}
}

// lifelineHelperEnv makes the test binary a batchd that starts one attempt
// (sleep ARG, no limits, so no cgroup) and waits to be killed.
const lifelineHelperEnv = "BATCHD_LOCAL_LIFELINE_HELPER"

func TestLifelineHelper(t *testing.T) {
	arg := os.Getenv(lifelineHelperEnv)
	if arg == "" {
		t.Skip("run by TestJobDiesWithBatchd")
	}
	h, c := start(t, New(Options{}), testSpec(t, "sleep", arg))
	defer h.Stop(0)
	_ = c // its output is not needed
	select {}
}

// A batchd killed with -9 takes its jobs along even where no cgroup
// holds them: the init reads EOF on its lifeline and kills its namespace.
func TestJobDiesWithBatchd(t *testing.T) {
	m := sleepArg()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLifelineHelper$")
	cmd.Env = append(os.Environ(), lifelineHelperEnv+"="+m)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := hostPIDs(t, "sleep", m)[0]
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the job (pid %d) outlived its batchd", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
