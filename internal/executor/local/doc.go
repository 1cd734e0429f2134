// Package local is batchd's default executor: each job attempt is a child
// process of batchd, limited by a cgroup where the host allows it.
//
// # Starting an attempt
//
// Start runs Spec.Command[0] with the rest of Command as its arguments. A
// name without a slash is looked up in the PATH of Spec.Env (a Docker
// image's default PATH when Env has none); a relative name with a slash is
// taken relative to the work directory. The process gets:
//   - its own process group (Setpgid), so that signals reach everything it
//     started;
//   - the working directory Spec.WorkDir, created with mode 0700 and removed
//     after the attempt ended (a fresh temporary directory when WorkDir is
//     empty);
//   - exactly Spec.Env as its environment, nothing added, nothing inherited
//     from batchd;
//   - /dev/null as stdin; stdout and stderr are pipes read line by line.
//
// Each line reaches the out function of Start with the time it was read,
// stderr lines flagged, without its newline; a line longer than 256 KiB
// (CloudWatch Logs' event size limit) is split into 256 KiB pieces, never
// inside a UTF-8 sequence. out is never called concurrently; lines of one
// stream arrive in order. Handle.Wait returns once the process has exited,
// both pipes are drained and the attempt's cgroup and work directory are
// gone.
//
// When the attempt's main process exits, whatever it left behind in its
// process group (and its cgroup) is killed, as a container's processes die
// with its init process. Should an escaped process still hold a pipe open,
// Wait stops reading after a few seconds rather than hang.
//
// # Stopping
//
// Handle.Stop(grace) sends SIGTERM to the process group and SIGKILL to the
// group (and to every process of the attempt's cgroup) after grace, as
// "docker stop" does. It is idempotent (a later call may only shorten the
// grace period) and a no-op once the process has exited: batchd notices the
// exit before reaping the process, so a signal never reaches a recycled
// process group. Cancelling the ctx given to Start kills the attempt at once.
//
// # Limits
//
// VCPUs and MemoryMiB become cgroup limits; zero means no limit and no
// cgroup. GPUs are not isolated: an attempt sees every GPU of the host.
//   - cgroup v2 (a unified hierarchy at CgroupRoot, or at CgroupRoot/unified,
//     whose cgroup.controllers lists cpu and memory): the attempt's cgroup is
//     <root>/batchd/<jobId>-<attempt> with memory.max = MemoryMiB MiB,
//     memory.swap.max = 0 and cpu.max = "<VCPUs*100000> 100000". The child is
//     created inside it (clone3 with CLONE_INTO_CGROUP, SysProcAttr.CgroupFD),
//     so it never runs a single instruction outside.
//   - cgroup v1 (CgroupRoot/memory and CgroupRoot/cpu hierarchies): the
//     attempt's cgroups are memory/<own>/batchd/<id> (memory.limit_in_bytes,
//     and memory.memsw.limit_in_bytes when swap is accounted) and
//     cpu/<own>/batchd/<id> (cpu.cfs_period_us = 100000, cpu.cfs_quota_us =
//     VCPUs*100000), where <own> is batchd's own cgroup in that hierarchy, so
//     that the limits batchd runs under still bind its jobs. v1 places
//     threads, not processes: the thread that forks the child joins the
//     attempt's cgroups just before the fork and leaves just after, so the
//     child, too, starts inside them; there is no window in which it runs
//     unlimited.
//
// A cgroup is removed after the attempt ended. When the limits cannot be
// applied (no hierarchy mounted, no permission, a missing controller) the
// attempt runs without them and its own output says so first, on stderr:
// "batchd: cgroup limits unavailable: <why>; running without vCPU/memory
// limits"; Options.Log hears it too.
//
// # How an attempt ends
//
// Result.ExitCode is the exit code of the main process, or 128+N when signal
// N killed it (137 for SIGKILL, 143 for SIGTERM), as AWS reports a
// container's exit code. (The executor package's Result comment still says
// -1 for a signal; this package follows the container convention.)
//
// When the kernel's OOM killer killed a process of the attempt (v2:
// memory.events oom_kill > 0; v1: memory.oom_control oom_kill > 0, or, on
// kernels without that counter, death by SIGKILL with memory.failcnt > 0 and
// memory.max_usage_in_bytes at the limit), Result.OOM is set and Reason is
// AWS's "OutOfMemoryError: Container killed due to memory usage"; the exit
// code is then 137 whenever the OOM killer took the main process, as in
// AWS. See "Stopped task error codes" in the Amazon ECS Developer Guide.
//
// A command that cannot be started (not found in PATH, not executable, not
// an executable format) is not an error of Start: the attempt ends at once
// with ExitCode -1 (AWS reports no exit code for a container that never
// ran) and Reason "CannotStartContainerError: exec: \"<cmd>\": <why>", the
// wording Docker/runc give AWS Batch for a missing entrypoint. Start
// returns an error only for failures of the host (context cancelled, work
// directory or pipes not creatable).
package local
