// Package local is batchd's executor for hosts without a container engine:
// each job attempt is a process of the host, in a sandbox that keeps it away
// from batchd and from the other attempts, limited by a cgroup where the
// host allows it.
//
// # The sandbox
//
// A job runs as ECS runs a container: without linuxParameters
// .initProcessEnabled it is pid 1 of its pid namespace, and SIGTERM, for
// which it has no handler, does not end it (Stop kills it after the
// grace: exit code 137); with it, an init is pid 1 and forwards signals to
// the job. When batchd is root, the attempt has a uid of its own and no
// ulimits, the job without init is started directly, from a thread of
// batchd that builds the view described below in its own mount namespace
// (direct.go): no second process, about 1.7 ms for `true` against 5.8 ms
// through the init. Its /proc is then the host's with hidepid=invisible:
// it shows the job's own processes only, by their host pids. That thread
// is a slot's where one is ready (slots.go: in the attempt's cgroups under
// cgroup v1, a view slot elsewhere), which serves attempt after attempt:
// the tmpfs on /tmp, /var/tmp and /dev/shm are its own, emptied after
// each attempt (no process of it is left by then) rather than mounted
// anew. Otherwise:
//
// Start re-executes batchd's own binary (/proc/self/exe, argv[0]
// "batchd-sandbox-init"; the program calls Init first thing in main, tests
// in TestMain) in new pid, mount, ipc and uts namespaces, inside the
// attempt's cgroup. This init reads its configuration from a pipe (fd 3,
// JSON; never the job's environment), then, as pid 1 of the new pid
// namespace:
//   - makes every mount private (MS_REC|MS_PRIVATE on /) and mounts a proc of
//     its own pid namespace on /proc: the job sees its own processes only,
//     never batchd's or another attempt's (nor their /proc/<pid>/environ),
//     and cannot signal them;
//   - mounts a fresh tmpfs (mode 1777) on /tmp, /var/tmp and /dev/shm;
//   - mounts an empty read-only tmpfs over each of Options.HideDirs (batchd
//     gives its data dir) and over the directory holding the work
//     directories (the other attempts'), unless a private tmpfs covers
//     them already, and binds the attempt's work directory back at its
//     path;
//   - makes the job definition's mounts: a volume with a host path is bound
//     at its mount point (read-only when readOnly), unless the host path
//     holds or is inside a hidden directory; a volume without one, and each
//     linuxParameters.tmpfs, is a fresh tmpfs. A mount point must lie on one
//     of the init's tmpfs (e.g. under /tmp) or in the work directory, or
//     exist on the host: nothing is created on the host's file systems;
//   - sets the host name to the attempt ID's first 12 hex digits;
//   - applies the job definition's ulimits (setrlimit; Docker's names: as,
//     core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc,
//     rss, rtprio, rttime, sigpending, stack);
//   - starts the job from a thread with no_new_privs set, an empty
//     capability bounding set and no inheritable or ambient capabilities,
//     as the attempt's uid and gid with no supplementary groups (a root
//     process changing to a non-zero uid keeps no capability), in its own
//     process group, with umask 0022.
//
// The init forwards SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 to the
// job's process group, reaps orphans and, when the job's process exits,
// reports its wait status on a second pipe (fd 4, close-on-exec, as is the
// first) and exits with its exit code, or 128+N after signal N. The kernel
// then kills whatever is left in the pid namespace: nothing outlives the
// attempt. A job that cannot be executed is reported on that pipe too.
//
// Who the job runs as (never root, never batchd's uid):
//   - by default, a uid of Options.UIDMin-UIDMax (default 61184-65519,
//     systemd's range for dynamic users, DynamicUser=), one per running
//     attempt, with the gid of the same number; uids of /etc/passwd are
//     skipped. A uid is given again only after its attempt's pid namespace
//     is gone. Two batchd instances on one host should be given disjoint
//     ranges;
//   - Options.User (batchd's --local-user) runs every attempt as that host
//     user instead: attempts then share a uid and can reach one another's
//     files (their processes stay invisible to each other);
//   - Spec.User (the job definition's user: a name or uid, optionally
//     ":group") is honoured when it names a host user (a numeric uid needs
//     no account) that is not root, batchd's uid, group 0, batchd's group
//     or a uid of the range; otherwise the attempt runs as above and its
//     log says why, in one stderr line.
//
// The work directory Spec.WorkDir is created mode 0700 and, with what
// batchd put in it, given to the attempt's uid; it is removed after the
// attempt (a fresh temporary directory when WorkDir is empty). It should lie
// outside batchd's data dir (batchd uses --jobs-dir).
//
// What the sandbox does not isolate:
//   - the network: the job shares the host's network namespace, its
//     interfaces, ports and abstract unix sockets; it can reach batchd's
//     port (as it must, for its role's credentials) and any service of the
//     host or of other jobs;
//   - the host's file system beyond the hidden and private directories:
//     the job reads (and writes) whatever its uid may, as any unprivileged
//     user of the host; files it leaves in world-writable places outside
//     /tmp, /var/tmp and /dev/shm outlive it and may be read by a later
//     attempt given the same uid;
//   - the kernel: one kernel for all, no seccomp filter;
//   - GPUs and devices: every device node of the host is there, with its
//     permissions.
//
// When batchd is not root it cannot change users: the init then runs in a
// new user namespace as well (CLONE_NEWUSER), whose uid and gid 0 map to
// batchd's own, so that it may still mount. The job is that namespace's
// uid 0 without any capability; on the host it is batchd's uid. This is
// weaker: the data dir and the work directories are still hidden by the
// mounts (which the job cannot undo: it has no capability, and mounts
// inherited by a namespace it might create are locked), batchd and the
// other attempts are still out of its pid namespace, but every other file
// batchd's user may read or write on the host (its home directory, say),
// the job may too, and attempts are not apart by uid. Spec.User and
// Options.User are then not honoured. The namespaces must be available
// (user namespaces enabled for unprivileged users): when the init cannot
// build the sandbox the attempt fails (see below); it never runs
// unsandboxed.
//
// # Starting an attempt
//
// Start runs Spec.Command[0] with the rest of Command as its arguments. A
// name without a slash is looked up, in the job's view of the file system,
// in the PATH of Spec.Env (a Docker image's default PATH when Env has
// none); a relative name with a slash is taken relative to the work
// directory. The process gets:
//   - its own process group, so that signals reach everything it started;
//   - the working directory Spec.WorkDir;
//   - exactly Spec.Env as its environment, nothing inherited from batchd;
//     the only additions are NVIDIA_VISIBLE_DEVICES and
//     CUDA_VISIBLE_DEVICES, the attempt's Spec.GPUDevices joined by
//     commas, when there are any and Env does not set them;
//   - /dev/null as stdin; stdout and stderr are pipes read line by line.
//
// The job's log starts with batchd's own stderr lines, when they apply:
// that the image (Spec.Image) is not used, that Spec.User was not
// honoured, what the local executor ignores of the job definition
// (privileged, readonlyRootFilesystem, devices, sharedMemorySize, maxSwap
// and swappiness, mount points it cannot make, unknown ulimits), that the
// cgroup limits are unavailable.
//
// Each line reaches the out function of Start with the time it was read,
// stderr lines flagged, without its newline; a line longer than 256 KiB
// (CloudWatch Logs' event size limit) is split into 256 KiB pieces, never
// inside a UTF-8 sequence. out is never called concurrently; lines of one
// stream arrive in order. Handle.Wait returns once the process has exited,
// both pipes are drained and the attempt's cgroup and work directory are
// gone.
//
// When the attempt's main process exits, whatever it left behind dies with
// the init, as a container's processes die with its init process. Should an
// escaped process still hold a pipe open, Wait stops reading after a few
// seconds rather than hang.
//
// # Stopping
//
// Handle.Stop(grace) sends SIGTERM to the init, which passes it on to the
// job's process group, and SIGKILL to the init (and to every process of the
// attempt's cgroup) after grace, as "docker stop" does; the kernel kills
// every process of a pid namespace whose init died. It is idempotent (a
// later call may only shorten the grace period) and a no-op once the
// process has exited: batchd notices the exit before reaping the process,
// so a signal never reaches a recycled process group. Cancelling the ctx
// given to Start kills the attempt at once.
//
// Should batchd die (kill -9), its jobs die with it: each init holds the
// read end of a pipe whose only write end is batchd's (fd 5, the
// lifeline); at its EOF the init kills everything in its pid namespace and
// exits. Reap, after a restart, also clears what is left in the
// attempts' cgroups.
//
// # Limits
//
// VCPUs and MemoryMiB become cgroup limits; zero means no limit and no
// cgroup. The init is started inside the attempt's cgroup, so everything
// the job starts is in it. GPUs are not isolated: an attempt sees every GPU
// of the host (the variables above only tell CUDA which to use).
//   - cgroup v2 (a unified hierarchy at CgroupRoot, or at CgroupRoot/unified,
//     whose cgroup.controllers lists cpu and memory): the attempt's cgroup is
//     <root>/batchd/<jobId>-<attempt> with memory.max = MemoryMiB MiB,
//     memory.swap.max = 0 and cpu.max = "<VCPUs*100000> 100000". The init is
//     created inside it (clone3 with CLONE_INTO_CGROUP, SysProcAttr.CgroupFD),
//     so it never runs a single instruction outside.
//   - cgroup v1 (CgroupRoot/memory and CgroupRoot/cpu hierarchies): the
//     attempt's cgroups are memory/<own>/batchd/<id> (memory.limit_in_bytes,
//     and memory.memsw.limit_in_bytes when swap is accounted) and
//     cpu/<own>/batchd/<id> (cpu.cfs_period_us = 100000, cpu.cfs_quota_us =
//     VCPUs*100000), where <own> is batchd's own cgroup in that hierarchy, so
//     that the limits batchd runs under still bind its jobs. v1 places
//     threads, not processes: the thread that forks the init joins the
//     attempt's cgroups just before the fork and leaves just after, so the
//     init, too, starts inside them; there is no window in which it runs
//     unlimited. A job started directly is forked from a thread that stays
//     in its cgroups until the job exits; that thread is, where one is
//     ready, a slot (slots.go): a thread moved ahead of need into a fresh
//     pair of cgroups named <instance>.slot-<pid>-<random>, whose limits are
//     written when an attempt takes it, for a thread's move waits for an
//     RCU grace period (5.5 ms on the machine measured). Two slots are kept
//     ready; slots of batchd processes that are gone are removed by the
//     next executor that takes one.
//
// A cgroup is removed after the attempt ended. When the limits cannot be
// applied (no hierarchy mounted, no permission, a missing controller) the
// attempt runs without them and its own output says so first, on stderr:
// "batchd: cgroup limits unavailable: <why>; running without vCPU/memory
// limits"; Options.Log hears it too.
//
// # How an attempt ends
//
// Result.ExitCode is the exit code of the job's main process (its wait
// status as the init reported it; the init's own when the init was killed),
// or 128+N when signal
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
// directory or pipes not creatable, every uid of the range in use,
// Options.User unusable). Start does not wait for the init to come up: a
// sandbox the init could not build ends the attempt the same way, with
// Reason "CannotStartContainerError: sandbox: <why>"; Stop waits for the
// init's first word before it signals.
package local
