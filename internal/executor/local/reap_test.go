package local

import (
	"os"
	"strconv"
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
