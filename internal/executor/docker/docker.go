package docker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"batchd/internal/executor"
)

// Reasons, in AWS's (ECS's) words.
const (
	reasonOOM         = "OutOfMemoryError: Container killed due to memory usage"
	reasonCannotPull  = "CannotPullContainerError: "
	reasonCannotMake  = "CannotCreateContainerError: "
	reasonCannotStart = "CannotStartContainerError: "
)

// Labels on every container batchd makes.
const (
	LabelInstance = "batchd.instance"
	LabelJob      = "batchd.job-id"
	LabelAttempt  = "batchd.attempt"
	LabelTask     = "batchd.attempt-id"
	labelRole     = "batchd.role" // "job" or "network"
)

const (
	// maxLine is the longest line passed on whole.
	maxLine = executor.MaxLine
	// apiTimeout bounds one engine call that should be quick.
	apiTimeout = 30 * time.Second
	// pullTimeout bounds an image pull.
	pullTimeout = 15 * time.Minute
)

// Options configure an Executor.
type Options struct {
	// Host is the engine's address, as DOCKER_HOST: unix:///path or
	// tcp://host:port; empty is DOCKER_HOST's value, else
	// unix:///var/run/docker.sock (the Docker CLI's rule).
	Host string
	// Instance names this batchd among others on the engine: its
	// containers carry it as a label, and Reap removes only its own.
	Instance string
	// Network is the network mode of job containers: "isolated" (the
	// default: a network namespace of the attempt's own in which only
	// batchd's endpoint answers, on loopback), "host", "none", or the name
	// of an engine network.
	Network string
	// Endpoint is batchd's address as the host reaches it
	// (http://127.0.0.1:PORT); the isolated network forwards the same port
	// on the container's loopback to it.
	Endpoint string
	// HelperBinary is the executable run in each isolated network's
	// holder container (batchd's own); default /proc/self/exe.
	HelperBinary string
	// DeniedHostPaths are host paths no volume may expose (batchd's data
	// dir): a volume at, inside or above one of them is refused. The
	// engine's socket (a unix Host) is always one.
	DeniedHostPaths []string
	// Log receives warnings meant for the operator, printf style.
	Log func(format string, args ...any)
	// Now stamps output lines; default time.Now.
	Now func() time.Time
}

// Executor runs attempts as containers. It is safe for concurrent use.
type Executor struct {
	cli      *client.Client
	host     string
	instance string
	network  string
	endpoint string
	helper   string
	denied   []string
	log      func(format string, args ...any)
	now      func() time.Time
	netw     *isolatedNetworks // nil unless Network is "isolated"

	pullMu sync.Mutex
	pulls  map[string]*pull // image → pull in progress

	cleanup sync.WaitGroup // removals of ended attempts' containers

	noAttach bool // tests: behave as an engine that refuses to attach before the start
}

type pull struct {
	done chan struct{}
	err  error
}

var _ executor.Executor = (*Executor)(nil)

// New connects to the engine (lazily: it does not call it); Ping tells
// whether one answers.
func New(opts Options) (*Executor, error) {
	host := opts.Host
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = client.DefaultDockerHost
	}
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		return nil, fmt.Errorf("docker: %s: %w", host, err)
	}
	e := &Executor{cli: cli, host: host, instance: opts.Instance, network: opts.Network, endpoint: opts.Endpoint,
		helper: opts.HelperBinary, log: opts.Log, pulls: map[string]*pull{}}
	if e.network == "" {
		e.network = NetworkIsolated
	}
	if e.helper == "" {
		e.helper = "/proc/self/exe"
	}
	if e.log == nil {
		e.log = func(string, ...any) {}
	}
	e.now = opts.Now
	if e.now == nil {
		e.now = time.Now
	}
	denied := opts.DeniedHostPaths
	// The engine's own socket is the host's root: no job mounts it.
	if sock, ok := strings.CutPrefix(host, "unix://"); ok {
		denied = append(slices.Clone(denied), sock)
	}
	for _, p := range denied {
		e.denied = append(e.denied, executor.RealPath(p))
	}
	if e.network == NetworkIsolated {
		e.netw = newIsolatedNetworks(e)
	}
	return e, nil
}

// Host is the engine address in use.
func (e *Executor) Host() string { return e.host }

// Network is the network mode of job containers.
func (e *Executor) Network() string { return e.network }

// Ping checks that an engine answers and returns its version and API
// version.
func (e *Executor) Ping(ctx context.Context) (version, apiVersion string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := e.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", "", fmt.Errorf("docker: no engine answers at %s: %w", e.host, err)
	}
	return v.Version, v.APIVersion, nil
}

// Prepare makes ready what attempts need before the first one: with the
// isolated network, the holder image, the forwarding socket and a first
// holder, so that an engine that cannot run holders (one on another
// machine, or in a VM, as Docker Desktop's) is found at start.
func (e *Executor) Prepare(ctx context.Context) error {
	if e.netw == nil {
		switch e.network {
		case NetworkHost, NetworkNone:
			return nil
		}
		// An engine network: it must exist.
		ictx, cancel := context.WithTimeout(ctx, apiTimeout)
		defer cancel()
		if _, err := e.cli.NetworkInspect(ictx, e.network, client.NetworkInspectOptions{}); err != nil {
			return fmt.Errorf("docker: network %q: %w", e.network, err)
		}
		return nil
	}
	if err := e.netw.setup(ctx); err != nil {
		return fmt.Errorf("docker: the isolated network: %w", err)
	}
	h, err := e.netw.make(ctx)
	if err != nil {
		return fmt.Errorf("docker: the isolated network (it needs the engine on batchd's host; --docker-network host is the alternative): %w", err)
	}
	select {
	case e.netw.pool <- h:
	default:
		h.release()
	}
	return nil
}

// Close waits for the removal of ended attempts' containers, then
// releases the client and the isolated networks.
func (e *Executor) Close() error {
	e.cleanup.Wait()
	if e.netw != nil {
		e.netw.close()
	}
	return e.cli.Close()
}

// Start runs spec as a container; see the package documentation.
func (e *Executor) Start(ctx context.Context, spec executor.Spec, out func(executor.Line)) (executor.Handle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = func(executor.Line) {}
	}
	if spec.Image == "" {
		return ended(-1, reasonCannotPull+"no image specified"), nil
	}
	if err := e.ensureImage(ctx, spec.Image); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return ended(-1, reasonCannotPull+clip(err.Error())), nil
	}
	hc, err := e.hostConfig(spec)
	if err != nil {
		return ended(-1, reasonCannotMake+clip(err.Error())), nil
	}
	var holder *holder
	if e.netw != nil {
		holder, err = e.netw.get(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("docker: isolated network: %w", err)
		}
		hc.NetworkMode = container.NetworkMode("container:" + holder.id)
	} else {
		hc.NetworkMode = container.NetworkMode(e.network)
	}
	cfg := &container.Config{
		Image:  spec.Image,
		Cmd:    spec.Command, // the image's ENTRYPOINT stays; nil keeps its CMD too
		Env:    spec.Env,     // merged over the image's ENV by the engine
		User:   spec.User,
		Labels: e.labels(spec, "job"),
	}
	if holder == nil && e.network != "host" {
		cfg.Hostname = hostname(spec)
	}
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	created, err := e.cli.ContainerCreate(cctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: "batchd-" + spec.AttemptID})
	cancel()
	if err != nil {
		holder.recycle() // no container joined it
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return ended(-1, reasonCannotMake+clip(err.Error())), nil
	}
	h := &handle{e: e, id: created.ID, holder: holder, reuse: !spec.Privileged, memLimit: spec.MemoryMiB > 0, out: out, done: make(chan struct{})}
	// The output stream and the wait are opened before the start, so that
	// neither a line nor the exit can be missed; an attached stream also
	// delivers a last line that has no newline, which the log driver may
	// not yet have written when the container is gone.
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	att, err := e.cli.ContainerAttach(actx, h.id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	cancel()
	if err == nil && e.noAttach {
		att.Close()
		err = errors.New("attach refused (test)")
	}
	var logs io.ReadCloser
	if err == nil {
		logs = attached{att.HijackedResponse}
	} else if ctx.Err() != nil {
		h.discard()
		return nil, ctx.Err()
	}
	// Some engines (Podman 4's Docker-compatible service) refuse to attach
	// to a container not yet started: its output is then followed from
	// the engine's log once it runs.
	attachErr := err
	if spec.Ready != nil {
		if err := spec.Ready(); err != nil {
			if logs != nil {
				logs.Close()
			}
			h.discard()
			return nil, err
		}
	}
	wctx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	waitRes := e.cli.ContainerWait(wctx, h.id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	sctx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err = e.cli.ContainerStart(sctx, h.id, client.ContainerStartOptions{})
	cancel()
	if err != nil {
		stopWait()
		if logs != nil {
			logs.Close()
		}
		h.discard()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return ended(-1, reasonCannotStart+clip(err.Error())), nil
	}
	if logs == nil {
		logs, err = e.cli.ContainerLogs(context.WithoutCancel(ctx), h.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			e.log("docker: container %s: no output: attach: %v; logs: %v", short(h.id), attachErr, err)
			logs = io.NopCloser(strings.NewReader(""))
		}
	}
	stopKill := context.AfterFunc(ctx, func() { h.Stop(0) })
	go h.monitor(waitRes, stopWait, logs, stopKill)
	return h, nil
}

// labels name the container's job, attempt and batchd instance.
func (e *Executor) labels(spec executor.Spec, role string) map[string]string {
	return map[string]string{
		LabelInstance: e.instance,
		LabelJob:      spec.JobID,
		LabelAttempt:  strconv.Itoa(spec.Attempt),
		LabelTask:     spec.AttemptID,
		labelRole:     role,
	}
}

// hostname is the container's host name: the attempt's ID, as an ECS
// task's container is named after its task.
func hostname(spec executor.Spec) string {
	if len(spec.AttemptID) >= 12 {
		return spec.AttemptID[:12]
	}
	return ""
}

// hostConfig maps the job definition's settings to the engine's.
func (e *Executor) hostConfig(spec executor.Spec) (*container.HostConfig, error) {
	hc := &container.HostConfig{
		Privileged:     spec.Privileged,
		ReadonlyRootfs: spec.ReadonlyRootFilesystem,
		LogConfig:      container.LogConfig{Type: "json-file"},
	}
	if spec.VCPUs > 0 {
		hc.NanoCPUs = int64(spec.VCPUs * 1e9)
	}
	if spec.MemoryMiB > 0 {
		hc.Memory = spec.MemoryMiB << 20
		// No swap beyond the memory limit unless maxSwap says otherwise
		// (AWS Batch: "maxSwap ... If a value isn't specified, the
		// container uses the swap configuration of the container
		// instance"; batchd's instance has none).
		hc.MemorySwap = hc.Memory
		if s := spec.Linux.MaxSwapMiB; s != nil && *s > 0 {
			hc.MemorySwap = hc.Memory + *s<<20
		}
	}
	if s := spec.Linux.Swappiness; s != nil {
		v := *s
		hc.MemorySwappiness = &v
	}
	if spec.Linux.InitProcessEnabled {
		t := true
		hc.Init = &t
	}
	if spec.Linux.SharedMemoryMiB > 0 {
		hc.ShmSize = spec.Linux.SharedMemoryMiB << 20
	}
	for _, t := range spec.Linux.Tmpfs {
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		opts := t.MountOptions
		if t.SizeMiB > 0 {
			opts = append([]string{"size=" + strconv.FormatInt(t.SizeMiB, 10) + "m"}, opts...)
		}
		hc.Tmpfs[t.ContainerPath] = strings.Join(opts, ",")
	}
	for _, d := range spec.Linux.Devices {
		if err := e.allowedHostPath(d.HostPath); err != nil {
			return nil, err
		}
		perm := ""
		for _, p := range d.Permissions {
			switch p {
			case "READ":
				perm += "r"
			case "WRITE":
				perm += "w"
			case "MKNOD":
				perm += "m"
			}
		}
		if perm == "" {
			perm = "rwm"
		}
		hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: d.HostPath, PathInContainer: cmpOr(d.ContainerPath, d.HostPath), CgroupPermissions: perm})
	}
	for _, u := range spec.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if spec.GPUs > 0 {
		req := container.DeviceRequest{Capabilities: [][]string{{"gpu"}}}
		if len(spec.GPUDevices) > 0 {
			req.DeviceIDs = spec.GPUDevices
		} else {
			req.Count = spec.GPUs
		}
		hc.DeviceRequests = []container.DeviceRequest{req}
	}
	vols := map[string]executor.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	for _, mp := range spec.MountPoints {
		v, ok := vols[mp.SourceVolume]
		if !ok {
			return nil, fmt.Errorf("mount point %s names no volume of the job definition: %q", mp.ContainerPath, mp.SourceVolume)
		}
		m := mount.Mount{Target: mp.ContainerPath, ReadOnly: mp.ReadOnly}
		if v.HostPath != "" {
			if err := e.allowedHostPath(v.HostPath); err != nil {
				return nil, err
			}
			m.Type, m.Source = mount.TypeBind, v.HostPath
		} else {
			// An anonymous volume: removed with the container.
			m.Type = mount.TypeVolume
		}
		hc.Mounts = append(hc.Mounts, m)
	}
	return hc, nil
}

// allowedHostPath refuses host paths that would expose batchd's own
// files: at, inside or above a denied path.
func (e *Executor) allowedHostPath(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("host path %q is not absolute", p)
	}
	if d := executor.Exposes(executor.RealPath(p), e.denied); d != "" {
		return fmt.Errorf("host path %q exposes %s, which batchd keeps from jobs", p, d)
	}
	return nil
}

// ensureImage pulls the image when the engine lacks it; concurrent
// attempts of one image share one pull.
func (e *Executor) ensureImage(ctx context.Context, image string) error {
	ictx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err := e.cli.ImageInspect(ictx, image)
	cancel()
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	e.pullMu.Lock()
	p, ok := e.pulls[image]
	if !ok {
		p = &pull{done: make(chan struct{})}
		e.pulls[image] = p
		go func() {
			p.err = e.pull(image)
			e.pullMu.Lock()
			delete(e.pulls, image)
			e.pullMu.Unlock()
			close(p.done)
		}()
	}
	e.pullMu.Unlock()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pull pulls image with the registry credentials of the engine's host
// (the Docker CLI's config.json).
func (e *Executor) pull(image string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout)
	defer cancel()
	resp, err := e.cli.ImagePull(ctx, image, client.ImagePullOptions{RegistryAuth: registryAuth(image)})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

// ended is an attempt that never ran, ending with code and reason.
func ended(code int, reason string) executor.Handle {
	return executor.Ended(executor.Result{ExitCode: code, Reason: reason})
}

// handle is a started container. Its monitor goroutine owns it from start
// to removal; Wait waits for it.
type handle struct {
	e      *Executor
	id     string
	holder *holder
	// reuse: the holder may serve another attempt once this container is
	// gone (not after a privileged container, which may have changed the
	// network namespace).
	reuse bool
	// memLimit: the container has a memory limit (an OOM kill is possible).
	memLimit bool

	outMu sync.Mutex
	out   func(executor.Line)

	// esc ends when the container exited.
	esc executor.Escalation

	done chan struct{}
	res  executor.Result
}

func (h *handle) Wait() executor.Result {
	<-h.done
	return h.res
}

// Stop sends SIGTERM to the container's main process, then SIGKILL after
// grace, as "docker stop" does.
func (h *handle) Stop(grace time.Duration) {
	h.esc.Stop(grace, func() { go h.signal("SIGTERM") }, func() { go h.signal("SIGKILL") })
}

func (h *handle) signal(sig string) {
	if h.esc.Ended() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if _, err := h.e.cli.ContainerKill(ctx, h.id, client.ContainerKillOptions{Signal: sig}); err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		h.e.log("docker: %s to container %s: %v", sig, short(h.id), err)
	}
}

// monitor waits for the container's exit and its output and records how
// it ended; then, in the background, it removes the container and returns
// its holder (ECS, too, reports a task STOPPED before it cleans up).
func (h *handle) monitor(waitRes client.ContainerWaitResult, stopWait func(), logs io.ReadCloser, stopKill func() bool) {
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		h.readLogs(logs)
	}()
	var res executor.Result
	select {
	case w := <-waitRes.Result:
		res.ExitCode = int(w.StatusCode)
		if w.Error != nil && w.Error.Message != "" {
			h.e.log("docker: container %s: %s", short(h.id), w.Error.Message)
		}
	case err := <-waitRes.Error:
		// The wait broke off (engine restarted?): ask the container's
		// state instead, waiting for its end.
		h.e.log("docker: waiting for container %s: %v", short(h.id), err)
		res.ExitCode = h.pollExit()
	}
	stopWait()
	h.esc.End(nil)
	stopKill()

	// The engine learns of an OOM kill from an event that may trail the
	// exit: a SIGKILL batchd did not send, under a memory limit, is asked
	// about again for a moment.
	killedByUs := h.esc.Termed()
	for try := 0; ; try++ {
		ictx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		insp, err := h.e.cli.ContainerInspect(ictx, h.id, client.ContainerInspectOptions{})
		cancel()
		if err != nil || insp.Container.State == nil {
			break
		}
		st := insp.Container.State
		res.ExitCode = st.ExitCode
		if st.OOMKilled {
			res.OOM = true
			res.Reason = reasonOOM
			break
		}
		if st.ExitCode != 137 || !h.memLimit || killedByUs || try == 10 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	<-outDone
	logs.Close()
	h.e.cleanup.Add(1)
	go func() {
		defer h.e.cleanup.Done()
		if h.remove() && h.reuse {
			h.holder.recycle()
		} else {
			h.holder.release()
		}
	}()
	h.res = res
	close(h.done)
}

// pollExit waits for the container to stop, reading its state.
func (h *handle) pollExit() int {
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		insp, err := h.e.cli.ContainerInspect(ctx, h.id, client.ContainerInspectOptions{})
		cancel()
		switch {
		case err != nil && cerrdefs.IsNotFound(err):
			return 137
		case err == nil && insp.Container.State != nil && !insp.Container.State.Running:
			return insp.Container.State.ExitCode
		}
		time.Sleep(min(time.Duration(i+1)*100*time.Millisecond, 2*time.Second))
	}
}

// attached reads an attach stream.
type attached struct{ client.HijackedResponse }

func (a attached) Read(p []byte) (int, error) { return a.Reader.Read(p) }
func (a attached) Close() error {
	a.HijackedResponse.Close()
	return nil
}

// discard removes a container that never ran and returns its holder.
func (h *handle) discard() {
	if h.remove() {
		h.holder.recycle()
	} else {
		h.holder.release()
	}
}

// remove removes the container and its anonymous volumes; it reports
// whether the container is gone.
func (h *handle) remove() bool {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if _, err := h.e.cli.ContainerRemove(ctx, h.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
		h.e.log("docker: removing container %s: %v", short(h.id), err)
		return false
	}
	return true
}

// readLogs passes the container's output to out, line by line, each line
// stamped with the time its first byte was read. The stream is the
// engine's multiplexed format: an 8-byte header (stream, 0, 0, 0,
// big-endian size) before each chunk of output; chunks do not follow
// lines.
func (h *handle) readLogs(r io.Reader) {
	var pending [3][]byte // per stream (1 stdout, 2 stderr): a line not yet ended
	var first [3]time.Time
	readFrames(r, func(stream int, text []byte) {
		if stream != 1 && stream != 2 {
			return
		}
		ts := h.e.now()
		if len(pending[stream]) == 0 {
			first[stream] = ts
		}
		for len(text) > 0 {
			i := bytes.IndexByte(text, '\n')
			if i < 0 {
				pending[stream] = append(pending[stream], text...)
				for len(pending[stream]) >= maxLine {
					cut := executor.RuneCut(pending[stream][:maxLine])
					h.emit(pending[stream][:cut], stream == 2, first[stream])
					pending[stream] = append(pending[stream][:0], pending[stream][cut:]...)
				}
				return
			}
			line := append(pending[stream], text[:i]...)
			for len(line) > maxLine {
				cut := executor.RuneCut(line[:maxLine])
				h.emit(line[:cut], stream == 2, first[stream])
				line = line[cut:]
			}
			h.emit(line, stream == 2, first[stream])
			pending[stream] = pending[stream][:0]
			first[stream] = ts
			text = text[i+1:]
		}
	})
	for s := 1; s <= 2; s++ {
		if len(pending[s]) > 0 {
			h.emit(pending[s], s == 2, first[s])
		}
	}
}

// readFrames reads the engine's multiplexed stream (attach, logs): before
// each frame an 8-byte header (stream, 0, 0, 0, big-endian size). fn gets
// each whole frame's stream and payload (valid until it returns); a
// truncated last frame is dropped.
func readFrames(r io.Reader, fn func(stream int, payload []byte)) {
	var hdr [8]byte
	buf := make([]byte, 0, 32<<10)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		fn(int(hdr[0]), buf)
	}
}

func (h *handle) emit(b []byte, stderr bool, t time.Time) {
	line := executor.Line{Time: t, Text: string(b), Stderr: stderr}
	h.outMu.Lock()
	defer h.outMu.Unlock()
	h.out(line)
}

// Reap removes the containers an earlier run of this batchd instance left
// (a batchd killed with jobs running leaves them running), so that a job
// retried after a restart never runs twice at once. It returns how many
// job containers it removed.
func (e *Executor) Reap(ctx context.Context) (int, error) {
	if e.instance == "" {
		return 0, nil
	}
	lctx, cancel := context.WithTimeout(ctx, apiTimeout)
	list, err := e.cli.ContainerList(lctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelInstance+"="+e.instance)})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("docker: listing this batchd's containers: %w", err)
	}
	n := 0
	for _, c := range list.Items {
		rctx, cancel := context.WithTimeout(ctx, apiTimeout)
		_, err := e.cli.ContainerRemove(rctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) {
			return n, fmt.Errorf("docker: removing container %s left by an earlier run: %w", short(c.ID), err)
		}
		if c.Labels[labelRole] == "job" {
			n++
		}
	}
	return n, nil
}

// Reclaim removes the job containers of jobID that any batchd left on
// this engine (executor.Reclaimer): a replica that takes over from a dead
// one ends the attempts it was running before they are tried again. It
// returns how many it removed.
func (e *Executor) Reclaim(ctx context.Context, jobID string) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, apiTimeout)
	list, err := e.cli.ContainerList(lctx, client.ContainerListOptions{All: true,
		Filters: client.Filters{}.Add("label", LabelJob+"="+jobID).Add("label", labelRole+"=job")})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("docker: listing the containers of job %s: %w", jobID, err)
	}
	n := 0
	for _, c := range list.Items {
		rctx, cancel := context.WithTimeout(ctx, apiTimeout)
		_, err := e.cli.ContainerRemove(rctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) {
			return n, fmt.Errorf("docker: removing container %s of job %s: %w", short(c.ID), jobID, err)
		}
		n++
	}
	return n, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// clip keeps a reason within the 255 characters AWS allows
// (AttemptContainerDetail.reason).
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 240 {
		s = s[:executor.RuneCut([]byte(s[:240]))]
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
