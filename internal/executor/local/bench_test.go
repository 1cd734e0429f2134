package local

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"batchd/internal/executor"
)

// BenchmarkTrue runs `true` in the sandbox, one after another: the
// executor's own cost per attempt (re-executed init, namespaces, the
// attempt's UID and work dir), which bounds how fast trivial jobs go;
// "limited" with a job's vCPU and memory limits, as the scheduler sets
// them (a cgroup per attempt).
func BenchmarkTrue(b *testing.B) {
	e := New(Options{})
	for _, limited := range []bool{false, true} {
		name := "unlimited"
		if limited {
			name = "limited"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				spec := testSpec(b, "true")
				if limited {
					spec.VCPUs, spec.MemoryMiB = 1, 2048
				}
				if res, c := run(b, e, spec); res.ExitCode != 0 {
					b.Fatalf("result %+v, output %+v", res, c.all())
				}
			}
		})
	}
}

// parallelJobs numbers BenchmarkTrueParallel's jobs across its runs (b.N
// 1, then more): a job ID names the cgroup of an attempt that gets no slot,
// and one run's cgroup, removed once its thread has ended, must not be
// the next run's (removing a busy cgroup kills what is in it).
var parallelJobs atomic.Int64

// BenchmarkTrueParallel is BenchmarkTrue/limited with as many attempts at
// once as there are CPUs, as the scheduler runs 1-vCPU jobs.
func BenchmarkTrueParallel(b *testing.B) {
	e := New(Options{})
	dir := b.TempDir()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := parallelJobs.Add(1)
			spec := executor.Spec{JobID: fmt.Sprintf("job-%d", i), Attempt: 1, Command: []string{"true"}, Env: []string{"PATH=/usr/bin:/bin"},
				WorkDir: filepath.Join(dir, fmt.Sprint(i)), VCPUs: 1, MemoryMiB: 2048}
			if res, c := run(b, e, spec); res.ExitCode != 0 {
				b.Errorf("result %+v, output %+v", res, c.all())
				return
			}
		}
	})
}
