// Package docker is batchd's container executor: each job attempt is a
// container of the job's image on a Docker Engine, made as ECS makes the
// containers of AWS Batch jobs, through the Engine API (the moby client,
// with API version negotiation: Docker Engine from API 1.40 — Debian's
// 20.10, API 1.41, is the one tested — Docker Desktop, Colima, and
// Podman's Docker-compatible service).
//
// # Finding the engine
//
// Options.Host, else DOCKER_HOST (unix:// or tcp://), else
// unix:///var/run/docker.sock, as the Docker CLI finds it. New does not
// call the engine; Ping does.
//
// # The container is the job
//
//   - Image: Spec.Image, pulled when the engine lacks it (one pull per
//     image at a time), with the registry credentials `docker login` left
//     in the Docker CLI's config.json on batchd's host ("auths"; credential
//     helpers are not run). When it cannot be had the attempt never runs:
//     ExitCode -1 and Reason "CannotPullContainerError: <the engine's
//     error>" (ECS's "Stopped task error codes").
//   - Command: Spec.Command becomes the container's CMD; the image's
//     ENTRYPOINT stays, and an empty command keeps the image's CMD too, as
//     ECS's container definition "command" does. Spec.Env is merged over
//     the image's ENV by the engine; the image's WORKDIR applies.
//   - user, privileged (only then every capability and device; otherwise
//     the engine's default capability set, which lacks CAP_SYS_ADMIN),
//     readonlyRootFilesystem, ulimits, linuxParameters (devices with their
//     cgroup permissions, initProcessEnabled as the engine's init,
//     sharedMemorySize, tmpfs, maxSwap and swappiness).
//   - Volumes: a host sourcePath is bind-mounted (readOnly as the mount
//     point says); a volume without one is an anonymous engine volume,
//     removed with the container. A host path at, inside or above one of
//     Options.DeniedHostPaths (batchd's data dir and the local executor's
//     jobs dir) or the engine's own socket is refused: the attempt ends
//     with "CannotCreateContainerError: host path ... exposes ...".
//   - Limits: VCPUs as a CPU quota (NanoCPUs), MemoryMiB as the hard
//     memory limit with no swap beyond it (unless maxSwap), GPUs as a
//     device request for the GPU IDs the scheduler gave the attempt.
//   - Labels: batchd.instance, batchd.job-id, batchd.attempt,
//     batchd.attempt-id, batchd.role=job; the container is named
//     batchd-<attempt ID>.
//
// # Networking
//
// Options.Network is the job container's network mode:
//   - "isolated" (the default): each attempt has a network namespace of
//     its own with only a loopback interface, held by a small holder
//     container (network none, batchd's own binary run as root without a
//     single capability, no-new-privileges, a read-only empty root, the host's
//     library directories read-only when the binary is dynamically
//     linked). The holder listens on 127.0.0.1:<batchd's port> in that
//     namespace and forwards each connection, through a unix socket bound
//     into it, to batchd's endpoint. So AWS_ENDPOINT_URL and the job-role
//     credentials URI (http://127.0.0.1:PORT/..., which the AWS SDKs accept
//     over plain HTTP because it is loopback) work unchanged inside the
//     container, and nothing else of the host, nor any other network, is
//     reachable. Holders are started ahead of need (two are kept ready) so
//     that an attempt does not wait for one. It needs the engine on
//     batchd's host (it bind-mounts batchd's binary and socket).
//   - "host": the host's network: the job reaches batchd, and everything
//     else the host reaches.
//   - "none", or the name of an engine network: as the engine does; the
//     job then reaches batchd only if that network routes to it.
//
// # Output, end and stop
//
// The container's stdout and stderr are attached before it starts, so no
// line is missed; each line reaches out with the time it was read, stderr
// flagged, split at 256 KiB (CloudWatch Logs' event limit) without cutting
// a UTF-8 sequence. Wait returns once the container exited, its output was
// drained and it (and its holder) were removed: Result.ExitCode is the
// container's; the engine's OOMKilled sets Result.OOM and Reason
// "OutOfMemoryError: Container killed due to memory usage" (137). A
// container that could not be made or started ends with ExitCode -1 and
// "CannotCreateContainerError: ..." or "CannotStartContainerError: ..."
// with the engine's message. Stop(grace) sends SIGTERM to the container's
// main process and SIGKILL after grace, as `docker stop` does (a shell as
// PID 1 without a trap ignores SIGTERM, as on ECS; initProcessEnabled
// forwards it). Cancelling Start's ctx kills the container.
//
// # Restart
//
// Reap removes (force: killing what runs) every container labelled with
// Options.Instance: what a batchd killed with jobs running left behind.
// cmd/batchd calls it before the scheduler fails those attempts, so a
// retried job never runs beside its previous attempt.
package docker
