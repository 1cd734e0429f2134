package scheduler

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"batchd/internal/batch"
	"batchd/internal/executor"
)

// gpuDef asks for GPUs with resourceRequirements.
func gpuDef(gpus string) func(*batch.RegisterJobDefinitionRequest) {
	return func(in *batch.RegisterJobDefinitionRequest) {
		in.ContainerProperties.Vcpus, in.ContainerProperties.Memory = nil, nil
		in.ContainerProperties.ResourceRequirements = []batch.ResourceRequirement{{Type: "VCPU", Value: "1"}, {Type: "MEMORY", Value: "128"}, {Type: "GPU", Value: gpus}}
	}
}

// GPU jobs are scheduled against the host's GPUs; each attempt gets GPU
// IDs of its own, given back when it ends; with no GPU a GPU job waits.
func TestGPUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{Host: Resources{VCPUs: 8, MemoryMiB: 4096, GPUs: 3}, GPUDevices: []string{"0", "1", "2"}})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("two", 0, 0, []string{"true"}, gpuDef("2"))
		h.def("one", 0, 0, []string{"true"}, gpuDef("1"))
		a := h.submit("a", "q", "two", nil)
		time.Sleep(time.Millisecond)
		b := h.submit("b", "q", "one", nil)
		time.Sleep(time.Millisecond)
		c := h.submit("c", "q", "one", nil)
		h.start()
		h.waitStarted(2)
		synctest.Wait()
		if n := len(h.exec.started()); n != 2 {
			t.Fatalf("%d attempts started on 3 GPUs, want 2 (2+1)", n)
		}
		ga, gb := h.handleOf(a).spec.GPUDevices, h.handleOf(b).spec.GPUDevices
		all := append(slices.Clone(ga), gb...)
		slices.Sort(all)
		if len(ga) != 2 || len(gb) != 1 || !slices.Equal(all, []string{"0", "1", "2"}) || h.handleOf(a).spec.GPUs != 2 {
			t.Fatalf("GPU IDs: a %v, b %v", ga, gb)
		}
		h.handleOf(b).exit(executor.Result{})
		h.waitStarted(3)
		if gc := h.handleOf(c).spec.GPUDevices; !slices.Equal(gc, gb) {
			t.Errorf("c got %v, want the GPU b gave back %v", gc, gb)
		}
	})
}

func TestGPUJobWaitsWithoutGPUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.unmanagedCE("ce")
		h.queue("q", 1, "", "ce")
		h.def("one", 0, 0, []string{"true"}, gpuDef("1"))
		id := h.submit("a", "q", "one", nil)
		h.start()
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(h.exec.started()); n != 0 {
			t.Fatalf("a GPU job started on a host without GPUs")
		}
		if j := h.job(id); j.Status != batch.JobStatusRunnable {
			t.Errorf("job %s, want RUNNABLE", j.Status)
		}
	})
}

// Compute environments without the batchd:executor tag use the default
// executor; one naming an executor that is unavailable turns INVALID
// saying why.
func TestDefaultAndUnavailableExecutor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		other := &fakeExecutor{}
		h := newHarness(t, Config{DefaultExecutor: "docker", Unavailable: map[string]string{"podman": "no engine answers at unix:///x"}})
		h.cfg.Executors = map[string]executor.Executor{"docker": other, "local": h.exec}
		h.unmanagedCE("ce")
		call(h.batch.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentRequest{ComputeEnvironmentName: "gone", Type: batch.CETypeUnmanaged,
			Tags: map[string]string{executorTag: "podman"}})).ok(t)
		h.queue("q", 1, "", "ce")
		h.queue("q2", 1, "", "gone")
		h.def("jd", 1, 128, []string{"true"}, nil)
		h.submit("a", "q", "jd", nil)
		h.submit("b", "q2", "jd", nil)
		h.start()
		h.waitFor("a docker attempt", func() bool { return len(other.started()) == 1 })
		h.waitFor("INVALID", func() bool { return h.ce("gone").Status == batch.CEStatusInvalid })
		if got := deref(h.ce("gone").StatusReason); !strings.Contains(got, "The podman executor is unavailable: no engine answers at unix:///x") {
			t.Errorf("statusReason = %q", got)
		}
		if n := len(h.exec.started()); n != 0 {
			t.Errorf("%d attempts on the local executor", n)
		}
	})
}
