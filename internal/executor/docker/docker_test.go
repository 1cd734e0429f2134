package docker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"batchd/internal/executor"
	"batchd/internal/executor/docker/dockertest"
)

func TestMain(m *testing.M) {
	HelperMain(os.Args) // the network holders run this binary
	os.Exit(m.Run())
}

const testImage = "batchd-test/busybox:docker"

// newTest returns an executor on the test engine, with batchd's endpoint
// played by an HTTP server answering "batchd".
func newTest(t *testing.T, network string) (*Executor, string) {
	t.Helper()
	host := dockertest.Host(t)
	img := dockertest.Image(t, host, testImage, "ENV FROM_IMAGE=image", "ENV OVERRIDE=image", "WORKDIR /work", `CMD ["sh", "-c", "echo default command in $(pwd) $FROM_IMAGE $OVERRIDE"]`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("batchd answers " + r.URL.Path))
	}))
	t.Cleanup(srv.Close)
	e, err := New(Options{Host: host, Instance: "test-" + strings.ToLower(t.Name()), Network: network, Endpoint: srv.URL,
		DeniedHostPaths: []string{t.TempDir()}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, img
}

type lines struct {
	mu sync.Mutex
	l  []executor.Line
}

func (l *lines) add(x executor.Line) {
	l.mu.Lock()
	l.l = append(l.l, x)
	l.mu.Unlock()
}

func (l *lines) texts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, x := range l.l {
		out = append(out, x.Text)
	}
	return out
}

var seq int

func run(t *testing.T, e *Executor, spec executor.Spec) (executor.Result, []string) {
	t.Helper()
	seq++
	if spec.AttemptID == "" {
		spec.AttemptID = strings.Repeat("0", 24) + time.Now().Format("150405") + string(rune('a'+seq%26)) + "0"
	}
	if spec.JobID == "" {
		spec.JobID = "job-" + t.Name()
	}
	var out lines
	h, err := e.Start(t.Context(), spec, out.add)
	if err != nil {
		t.Fatal(err)
	}
	res := h.Wait()
	return res, out.texts()
}

func TestDefaultsAndSettings(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	t.Run("image default command, ENV and WORKDIR", func(t *testing.T) {
		res, out := run(t, e, executor.Spec{Image: img, Env: []string{"OVERRIDE=job"}})
		if res.ExitCode != 0 || !slices.Contains(out, "default command in /work image job") {
			t.Fatalf("res %+v out %q", res, out)
		}
	})
	t.Run("command, user, exit code, stderr", func(t *testing.T) {
		res, out := run(t, e, executor.Spec{Image: img, User: "nobody", Command: []string{"sh", "-c", "id -u; echo err >&2; exit 3"}})
		if res.ExitCode != 3 || !slices.Equal(out, []string{"65534", "err"}) && !slices.Equal(out, []string{"err", "65534"}) {
			t.Fatalf("res %+v out %q", res, out)
		}
	})
	t.Run("read-only root", func(t *testing.T) {
		res, out := run(t, e, executor.Spec{Image: img, ReadonlyRootFilesystem: true, Command: []string{"sh", "-c", "touch /x && echo wrote || echo refused"}})
		if res.ExitCode != 0 || !slices.Contains(out, "refused") {
			t.Fatalf("res %+v out %q", res, out)
		}
	})
	t.Run("no CAP_SYS_ADMIN unless privileged", func(t *testing.T) {
		// CAP_SYS_ADMIN is bit 21 of CapEff.
		script := []string{"sh", "-c", `m=$(grep CapEff /proc/self/status | tr -d '\t' | cut -d: -f2); if [ $(( 0x$m >> 21 & 1 )) = 1 ]; then echo sysadmin; else echo none; fi`}
		if res, out := run(t, e, executor.Spec{Image: img, Command: script}); res.ExitCode != 0 || !slices.Contains(out, "none") {
			t.Fatalf("unprivileged: res %+v out %q", res, out)
		}
		// Privileged runs need a host that may grant every capability
		// (this CI's sandbox may not): the mapping is checked instead.
		if hc, err := e.hostConfig(executor.Spec{Privileged: true}); err != nil || !hc.Privileged || len(hc.CapAdd) != 0 {
			t.Fatalf("privileged host config %+v, %v", hc, err)
		}
	})
	t.Run("host volume and engine volume", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(dir+"/in", []byte("from host\n"), 0o644)
		res, out := run(t, e, executor.Spec{Image: img,
			Volumes:     []executor.Volume{{Name: "h", HostPath: dir}, {Name: "scratch"}},
			MountPoints: []executor.MountPoint{{SourceVolume: "h", ContainerPath: "/data", ReadOnly: true}, {SourceVolume: "scratch", ContainerPath: "/scratch"}},
			Command:     []string{"sh", "-c", "cat /data/in; touch /data/x 2>/dev/null && echo rw || echo ro; touch /scratch/y && echo scratch"}})
		if res.ExitCode != 0 || !slices.Equal(out, []string{"from host", "ro", "scratch"}) {
			t.Fatalf("res %+v out %q", res, out)
		}
	})
	t.Run("a volume of the data dir is refused", func(t *testing.T) {
		res, _ := run(t, e, executor.Spec{Image: img, Volumes: []executor.Volume{{Name: "root", HostPath: "/"}},
			MountPoints: []executor.MountPoint{{SourceVolume: "root", ContainerPath: "/host"}}, Command: []string{"true"}})
		if res.ExitCode != -1 || !strings.HasPrefix(res.Reason, "CannotCreateContainerError: host path \"/\" exposes ") {
			t.Fatalf("res %+v", res)
		}
		// Nor the engine's socket, which is the host's root.
		if sock, ok := strings.CutPrefix(e.host, "unix://"); ok {
			res, _ := run(t, e, executor.Spec{Image: img, Volumes: []executor.Volume{{Name: "sock", HostPath: sock}},
				MountPoints: []executor.MountPoint{{SourceVolume: "sock", ContainerPath: "/var/run/docker.sock"}}, Command: []string{"true"}})
			if res.ExitCode != -1 || !strings.Contains(res.Reason, "exposes "+sock) {
				t.Fatalf("engine socket: res %+v", res)
			}
		}
	})
	t.Run("ulimits, tmpfs, shm, init", func(t *testing.T) {
		res, out := run(t, e, executor.Spec{Image: img, Ulimits: []executor.Ulimit{{Name: "nofile", Soft: 321, Hard: 654}},
			Linux:   executor.LinuxParameters{InitProcessEnabled: true, SharedMemoryMiB: 70, Tmpfs: []executor.Tmpfs{{ContainerPath: "/fast", SizeMiB: 10}}},
			Command: []string{"sh", "-c", "ulimit -n; grep -c /fast /proc/mounts; df -m /dev/shm | tail -1 | awk '{print $2}'; cat /proc/1/cmdline | tr '\\0' ' '; echo"}})
		if res.ExitCode != 0 || len(out) != 4 || out[0] != "321" || out[1] != "1" || out[2] != "70" || !strings.Contains(out[3], "init") {
			t.Fatalf("res %+v out %q", res, out)
		}
	})
	t.Run("OOM", func(t *testing.T) {
		res, _ := run(t, e, executor.Spec{Image: img, MemoryMiB: 8, Command: []string{"sh", "-c", "x=$(yes | head -c 100000000); echo survived"}})
		if !res.OOM || res.ExitCode != 137 || res.Reason != reasonOOM {
			t.Fatalf("res %+v", res)
		}
	})
	t.Run("missing image", func(t *testing.T) {
		res, _ := run(t, e, executor.Spec{Image: "127.0.0.1:1/nothing/here:1", Command: []string{"true"}})
		if res.ExitCode != -1 || !strings.HasPrefix(res.Reason, "CannotPullContainerError: ") {
			t.Fatalf("res %+v", res)
		}
	})
	t.Run("missing executable", func(t *testing.T) {
		res, _ := run(t, e, executor.Spec{Image: img, Command: []string{"/no/such/thing"}})
		if res.ExitCode != -1 || !strings.HasPrefix(res.Reason, "CannotStartContainerError: ") {
			t.Fatalf("res %+v", res)
		}
	})
}

func TestStop(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	var out lines
	h, err := e.Start(t.Context(), executor.Spec{JobID: "stop", AttemptID: "5709aaaaaaaaaaaaaaaaaaaaaaaaaaaa", Image: img,
		Command: []string{"sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo up; while true; do sleep 0.1; done"}}, out.add)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(out.texts(), "up") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	h.Stop(10 * time.Second)
	res := h.Wait()
	if res.ExitCode != 7 || !slices.Contains(out.texts(), "got TERM") {
		t.Fatalf("res %+v out %q", res, out.texts())
	}
	// The container is removed (after Wait, as ECS cleans up after a task
	// stopped); Close waits for that.
	e.Close()
	list, err := e.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelInstance+"="+e.instance)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		t.Errorf("container left behind: %s %v", c.ID, c.Labels)
	}
}

func TestReap(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	h, err := e.Start(t.Context(), executor.Spec{JobID: "reap", AttemptID: "4eab0000000000000000000000000000", Image: img, Command: []string{"sleep", "300"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A new executor of the same instance (batchd restarted) removes it.
	e2, err := New(Options{Host: e.host, Instance: e.instance, Network: NetworkNone})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	n, err := e2.Reap(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Reap = %d, %v", n, err)
	}
	done := make(chan executor.Result, 1)
	go func() { done <- h.Wait() }()
	select {
	case res := <-done:
		if res.ExitCode != 137 {
			t.Fatalf("reaped attempt ended %+v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reaped attempt did not end")
	}
}

// Another batchd (a replica taking over from a dead one) reclaims a job's
// containers, whichever instance started them, and no other job's.
func TestReclaim(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	h, err := e.Start(t.Context(), executor.Spec{JobID: "reclaimed", AttemptID: "4ecc0000000000000000000000000000", Image: img, Command: []string{"sleep", "300"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.Start(t.Context(), executor.Spec{JobID: "kept", AttemptID: "4ecc0000000000000000000000000001", Image: img, Command: []string{"sleep", "300"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop(0)
	e2, err := New(Options{Host: e.host, Instance: "another-replica", Network: NetworkNone})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	n, err := e2.Reclaim(t.Context(), "reclaimed")
	if err != nil || n != 1 {
		t.Fatalf("Reclaim = %d, %v", n, err)
	}
	done := make(chan executor.Result, 1)
	go func() { done <- h.Wait() }()
	select {
	case res := <-done:
		if res.ExitCode != 137 {
			t.Fatalf("reclaimed attempt ended %+v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reclaimed attempt did not end")
	}
	if n, err := e2.Reclaim(t.Context(), "reclaimed"); err != nil || n != 0 {
		t.Fatalf("Reclaim again = %d, %v", n, err)
	}
	select {
	case res := <-waitOf(other):
		t.Fatalf("another job's attempt ended: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
}

// waitOf waits for h in the background.
func waitOf(h executor.Handle) <-chan executor.Result {
	c := make(chan executor.Result, 1)
	go func() { c <- h.Wait() }()
	return c
}

func TestIsolatedNetwork(t *testing.T) {
	e, img := newTest(t, NetworkIsolated)
	port := e.endpoint[strings.LastIndexByte(e.endpoint, ':')+1:]
	res, out := run(t, e, executor.Spec{Image: img, Command: []string{"sh", "-c",
		"wget -q -O - http://127.0.0.1:" + port + "/creds; echo; " +
			// Nothing else of the host: not even batchd's port on another loopback address, nor an outside address.
			"wget -q -T 2 -O - http://127.0.0.2:" + port + "/ >/dev/null 2>&1 && echo reached-other || echo no-other; " +
			"ls /sys/class/net | tr '\\n' ' '"}})
	if res.ExitCode != 0 || len(out) != 3 || out[0] != "batchd answers /creds" || out[1] != "no-other" || strings.TrimSpace(out[2]) != "lo" {
		t.Fatalf("res %+v out %q", res, out)
	}
	// Close leaves no holder behind, not even one being made ahead of need.
	e.Close()
	list, err := e.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelInstance+"="+e.instance)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		t.Errorf("left behind: %s %v %s", c.ID[:12], c.Labels, c.State)
	}
}

// GPUs become a device request for the attempt's GPU IDs (or a count).
func TestGPUDeviceRequests(t *testing.T) {
	e := &Executor{}
	hc, err := e.hostConfig(executor.Spec{GPUs: 2, GPUDevices: []string{"1", "3"}, VCPUs: 1.5, MemoryMiB: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(hc.DeviceRequests) != 1 || !slices.Equal(hc.DeviceRequests[0].DeviceIDs, []string{"1", "3"}) ||
		!slices.Equal(hc.DeviceRequests[0].Capabilities[0], []string{"gpu"}) || hc.NanoCPUs != 1.5e9 || hc.Memory != 100<<20 || hc.MemorySwap != hc.Memory {
		t.Fatalf("host config %+v", hc)
	}
	hc, err = e.hostConfig(executor.Spec{GPUs: 1})
	if err != nil || len(hc.DeviceRequests) != 1 || hc.DeviceRequests[0].Count != 1 {
		t.Fatalf("count: %+v %v", hc.DeviceRequests, err)
	}
}

func TestImageDomain(t *testing.T) {
	for in, want := range map[string]string{
		"busybox": "docker.io", "library/busybox:1": "docker.io", "user/img@sha256:abc": "docker.io",
		"127.0.0.1:5000/a/b:1": "127.0.0.1:5000", "localhost/x": "localhost", "ghcr.io/o/i": "ghcr.io",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
	} {
		if got := imageDomain(in); got != want {
			t.Errorf("imageDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

// A holder that died while it waited in the pool is not handed out.
func TestIsolatedNetworkHolderGone(t *testing.T) {
	e, img := newTest(t, NetworkIsolated)
	if err := e.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, err := e.cli.ContainerList(t.Context(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelInstance+"="+e.instance)})
	if err != nil || len(list.Items) == 0 {
		t.Fatalf("no holder after Prepare: %v", err)
	}
	for _, c := range list.Items {
		if _, err := e.cli.ContainerRemove(t.Context(), c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if res, out := run(t, e, executor.Spec{Image: img, Command: []string{"echo", "ran"}}); res.ExitCode != 0 || !slices.Equal(out, []string{"ran"}) {
		t.Fatalf("res %+v out %q", res, out)
	}
}

// A network the engine lacks is found at start.
func TestPrepareUnknownNetwork(t *testing.T) {
	host := dockertest.Host(t)
	e, err := New(Options{Host: host, Network: "no-such-network-of-batchd"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Prepare(t.Context()); err == nil || !strings.Contains(err.Error(), `network "no-such-network-of-batchd"`) {
		t.Fatalf("Prepare = %v", err)
	}
	for _, n := range []string{NetworkHost, NetworkNone} {
		e, err := New(Options{Host: host, Network: n})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Prepare(t.Context()); err != nil {
			t.Errorf("Prepare with %s: %v", n, err)
		}
		e.Close()
	}
}

// An engine that refuses to attach before the start (Podman 4's service
// answers 409): the output is followed from the engine's log instead.
func TestOutputWithoutAttach(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	e.noAttach = true
	res, out := run(t, e, executor.Spec{Image: img, Command: []string{"sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three"}})
	slices.Sort(out)
	if res.ExitCode != 0 || !slices.Equal(out, []string{"one", "three", "two"}) {
		t.Fatalf("res %+v out %q", res, out)
	}
}

// Spec.Ready gates the start: it is called once the container is made
// (created, not started); when it fails, Start returns its error and the
// container is gone.
func TestReadyGatesStart(t *testing.T) {
	e, img := newTest(t, NetworkNone)
	list := func() []string {
		t.Helper()
		l, err := e.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelInstance+"="+e.instance)})
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, c := range l.Items {
			states = append(states, string(c.State))
		}
		return states
	}
	refused := errors.New("not STARTING after all")
	var seen []string
	spec := executor.Spec{JobID: "ready", AttemptID: "ead70000000000000000000000000000", Image: img, Command: []string{"true"},
		Ready: func() error { seen = list(); return refused }}
	h, err := e.Start(t.Context(), spec, nil)
	if !errors.Is(err, refused) || h != nil {
		t.Fatalf("Start = %v, %v; want Ready's error", h, err)
	}
	if len(seen) != 1 || seen[0] != "created" {
		t.Errorf("containers when Ready ran: %q, want one created, not started", seen)
	}
	if left := list(); len(left) != 0 {
		t.Errorf("containers after a refused start: %q", left)
	}
}
