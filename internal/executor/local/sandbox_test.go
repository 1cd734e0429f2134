package local

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"batchd/internal/executor"
)

// hostDir is a world-readable directory outside /tmp (which every attempt
// has its own of), so that only the sandbox keeps an attempt out of it.
func hostDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(wd, ".sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lines runs script and returns its stdout; it must exit 0.
func lines(t *testing.T, e *Executor, spec executor.Spec) []string {
	t.Helper()
	res, c := run(t, e, spec)
	if res.ExitCode != 0 {
		t.Fatalf("result = %+v, output %+v", res, c.all())
	}
	return c.texts(false)
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("batchd is not root: attempts run in a user namespace as its uid")
	}
}

// An attempt runs as a uid of the range, never root or batchd's, without
// supplementary groups or capabilities, with no_new_privs.
func TestSandboxUser(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := New(Options{})
	out := lines(t, e, testSpec(t, "sh", "-c", `id -u; id -g; id -G; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status`))
	if len(out) != 7 {
		t.Fatalf("output %q", out)
	}
	uid, _ := strconv.Atoi(out[0])
	if uid == 0 || uid == os.Getuid() || uid < DefaultUIDMin || uid > DefaultUIDMax {
		t.Errorf("uid = %d, want one of %d-%d", uid, DefaultUIDMin, DefaultUIDMax)
	}
	if out[1] != out[0] || out[2] != out[0] {
		t.Errorf("gid %s, groups %q, want only gid %s", out[1], out[2], out[0])
	}
	for _, l := range out[3:] {
		k, v, _ := strings.Cut(l, ":")
		want := "0000000000000000"
		if k == "NoNewPrivs" {
			want = "1"
		}
		if strings.TrimSpace(v) != want {
			t.Errorf("%s = %q, want %s", k, strings.TrimSpace(v), want)
		}
	}
}

// Two attempts running at once get different uids; a uid is reused only
// once its attempt ended.
func TestSandboxDistinctUIDs(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := New(Options{})
	h1, c1 := start(t, e, testSpec(t, "sh", "-c", `id -u; sleep 5`))
	h2, c2 := start(t, e, testSpec(t, "sh", "-c", `id -u; sleep 5`))
	c1.waitLines(t, 1)
	c2.waitLines(t, 1)
	h1.Stop(0)
	h2.Stop(0)
	h1.Wait()
	h2.Wait()
	if a, b := c1.texts(false)[0], c2.texts(false)[0]; a == b {
		t.Errorf("both attempts ran as uid %s", a)
	}
}

// The attempt is pid 1's only child in its own pid namespace: it sees
// neither batchd nor any other process of the host, and cannot signal
// batchd.
func TestSandboxPIDNamespace(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	self := strconv.Itoa(os.Getpid())
	spec := testSpec(t, "sh", "-c", `echo $$; echo $PPID; ls /proc | grep -c '^[0-9]'; kill -0 `+self+` 2>/dev/null && echo signal-batchd: ALLOWED || echo signal-batchd: denied; kill -9 1 2>/dev/null; test -d /proc/1 && echo init-alive`)
	spec.Linux.InitProcessEnabled = true
	out := lines(t, e, spec)
	if len(out) != 5 {
		t.Fatalf("output %q", out)
	}
	// Its pid follows the init's and its threads'.
	if pid, _ := strconv.Atoi(out[0]); pid < 2 || pid > 64 || out[1] != "1" {
		t.Errorf("pid %s, parent %s; want a small pid, the init's child", out[0], out[1])
	}
	// The init, sh, ls and grep.
	if n, _ := strconv.Atoi(out[2]); n > 4 {
		t.Errorf("the attempt sees %d processes in /proc, want its own (at most 4)", n)
	}
	if out[3] != "signal-batchd: denied" {
		t.Errorf("kill -0 of batchd's pid: %s", out[3])
	}
	if out[4] != "init-alive" {
		t.Errorf("the job killed its init: %q", out[4])
	}
}

// Without init (the default) the job is pid 1 of its pid namespace, as in
// a container; its /proc (the host's, hidepid=invisible) shows only its
// own processes, by their host pids, and it cannot signal batchd.
func TestSandboxPIDNamespaceDirect(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	// A range of its own: the other tests' executors give out the same
	// default uids at once, and hidepid shows a uid's processes.
	e := New(Options{UIDMin: 65000, UIDMax: 65009})
	self := strconv.Itoa(os.Getpid())
	out := lines(t, e, testSpec(t, "sh", "-c", `echo $$; echo $PPID; ls /proc | grep -c '^[0-9]'; kill -0 `+self+` 2>/dev/null && echo signal-batchd: ALLOWED || echo signal-batchd: denied; test -e /proc/`+self+` && echo batchd-visible: YES || echo batchd-visible: no; grep NSpid /proc/self/status | tr -s '\t' ' '`))
	if len(out) != 6 {
		t.Fatalf("output %q", out)
	}
	if out[0] != "1" || out[1] != "0" {
		t.Errorf("pid %s, parent %s; want 1 and 0", out[0], out[1])
	}
	// sh, ls, grep and the shell's pipeline.
	if n, _ := strconv.Atoi(out[2]); n > 4 {
		t.Errorf("the attempt sees %d processes in /proc, want its own (at most 4)", n)
	}
	if out[3] != "signal-batchd: denied" || out[4] != "batchd-visible: no" {
		t.Errorf("batchd: %q, %q", out[3], out[4])
	}
	// grep's pids: the host's, then its namespace's (2: sh is 1).
	if f := strings.Fields(out[5]); len(f) != 3 || f[2] == "1" {
		t.Errorf("%q, want NSpid: HOSTPID NSPID", out[5])
	}
}

// An attempt reads neither batchd's private files, nor a hidden directory,
// nor the host's /tmp, nor another attempt's environment.
func TestSandboxFiles(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	data := hostDir(t)
	if err := os.WriteFile(filepath.Join(data, "server.key"), []byte("secret-key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	private := hostDir(t)
	if err := os.WriteFile(filepath.Join(private, "root-only"), []byte("root-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inTmp := filepath.Join(t.TempDir(), "in-tmp")
	if err := os.WriteFile(inTmp, []byte("in-tmp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(inTmp), 0o755)
	e := New(Options{HideDirs: []string{data}})

	// Another attempt, with a secret in its environment.
	other := testSpec(t, "sh", "-c", `echo ready; exec sleep 30`)
	other.Env = append(other.Env, "OTHER_SECRET=s3cr3t-42")
	oh, oc := start(t, e, other)
	defer oh.Stop(0)
	oc.waitLines(t, 1)

	script := `
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name: ALLOWED"; else echo "$name: denied"; fi; }
try read-hidden cat ` + data + `/server.key
try list-hidden sh -c 'ls -A ` + data + ` | grep -q .'
try write-hidden touch ` + data + `/planted
try read-private cat ` + private + `/root-only
try read-host-tmp cat ` + inTmp + `
try read-environ sh -c 'cat /proc/*/environ | tr "\0" "\n" | grep -q s3cr3t-42'
try read-shadow cat /etc/shadow
try write-tmp sh -c 'echo x > /tmp/mine && cat /tmp/mine'
`
	out := lines(t, e, testSpec(t, "sh", "-c", script))
	want := []string{"read-hidden: denied", "list-hidden: denied", "write-hidden: denied", "read-private: denied",
		"read-host-tmp: denied", "read-environ: denied", "read-shadow: denied", "write-tmp: ALLOWED"}
	if !slices.Equal(out, want) {
		t.Errorf("attempts:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat(filepath.Join(data, "planted")); !os.IsNotExist(err) {
		t.Errorf("a file appeared in the hidden directory: %v", err)
	}
	if _, err := os.Stat("/tmp/mine"); !os.IsNotExist(err) {
		t.Errorf("the attempt's /tmp/mine is on the host's /tmp: %v", err)
	}
}

// Spec.User is honoured for a host user that is neither root nor batchd;
// root is refused, with one line in the job's log; Options.User runs every
// attempt as that user.
func TestSandboxSpecUser(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := New(Options{})
	for _, tc := range []struct {
		name, user string
		wantUID    string // "" is a uid of the range
		refused    bool
	}{
		{"nobody", "nobody", "65534", false},
		{"numeric with group", "4242:4343", "4242", false},
		{"root", "root", "", true},
		{"uid 0", "0", "", true},
		{"root group", "nobody:0", "", true},
		{"unknown", "no-such-user-xyz", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := testSpec(t, "sh", "-c", `id -u; id -g`)
			spec.User = tc.user
			res, c := run(t, e, spec)
			out := c.texts(false)
			if res.ExitCode != 0 || len(out) != 2 {
				t.Fatalf("result %+v, output %+v", res, c.all())
			}
			uid, _ := strconv.Atoi(out[0])
			switch {
			case tc.wantUID != "" && out[0] != tc.wantUID:
				t.Errorf("uid = %s, want %s", out[0], tc.wantUID)
			case tc.wantUID == "" && (uid < DefaultUIDMin || uid > DefaultUIDMax):
				t.Errorf("uid = %s, want one of the range", out[0])
			}
			if tc.user == "4242:4343" && out[1] != "4343" {
				t.Errorf("gid = %s, want 4343", out[1])
			}
			stderr := c.texts(true)
			if tc.refused != (len(stderr) == 1 && strings.HasPrefix(stderr[0], "batchd: user "+strconv.Quote(tc.user))) {
				t.Errorf("stderr = %q, refused %v", stderr, tc.refused)
			}
		})
	}

	one := New(Options{User: "nobody"})
	for range 2 {
		if out := lines(t, one, testSpec(t, "id", "-u")); !slices.Equal(out, []string{"65534"}) {
			t.Errorf("Options.User nobody: id -u = %q", out)
		}
	}
	if _, err := New(Options{User: "root"}).Start(t.Context(), testSpec(t, "true"), nil); err == nil {
		t.Errorf("Options.User root: Start succeeded")
	}
}

// The job's log says first what the local executor does not honour; GPUs
// are named in the environment; ulimits, volumes and tmpfs are honoured;
// the host name is the attempt's.
func TestSandboxSpecFields(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := New(Options{})
	vol := hostDir(t)
	if err := os.WriteFile(filepath.Join(vol, "data"), []byte("from-volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := testSpec(t, "sh", "-c", `hostname; echo $NVIDIA_VISIBLE_DEVICES $CUDA_VISIBLE_DEVICES; ulimit -n; cat /tmp/vol/data; touch /tmp/vol/x 2>/dev/null || echo read-only; touch /scratch/x && echo scratch-ok; ls /nonexistent-target 2>&1 >/dev/null | wc -l`)
	spec.AttemptID = "0123456789abcdef0123456789abcdef"
	spec.Image = "busybox:latest"
	spec.GPUDevices = []string{"0", "3"}
	spec.GPUs = 2
	spec.Ulimits = []executor.Ulimit{{Name: "nofile", Soft: 123, Hard: 456}}
	spec.Volumes = []executor.Volume{{Name: "v", HostPath: vol}, {Name: "w", HostPath: vol}}
	spec.MountPoints = []executor.MountPoint{{SourceVolume: "v", ContainerPath: "/tmp/vol", ReadOnly: true}, {SourceVolume: "w", ContainerPath: "/nonexistent-target"}}
	spec.Linux.Tmpfs = []executor.Tmpfs{{ContainerPath: "/tmp/../scratch", SizeMiB: 1}}
	spec.Privileged = true
	res, c := run(t, e, spec)
	if res.ExitCode != 0 {
		t.Fatalf("result %+v, output %+v", res, c.all())
	}
	all := c.all()
	if len(all) < 2 || !all[0].Stderr || all[0].Text != `batchd: the local executor does not use the image "busybox:latest": the command runs on the host's file system` {
		t.Fatalf("first line %+v, want the image note", all)
	}
	if !all[1].Stderr || !strings.HasPrefix(all[1].Text, "batchd: the local executor ignores: ") ||
		!strings.Contains(all[1].Text, "/nonexistent-target") || !strings.Contains(all[1].Text, "privileged") ||
		!strings.Contains(all[1].Text, "tmpfs /scratch") {
		t.Errorf("second line %+v, want what is ignored", all[1])
	}
	want := []string{"0123456789ab", "0,3 0,3", "123", "from-volume", "read-only", "1"}
	if got := c.texts(false); !slices.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
}

// A volume whose host path holds or is in a hidden directory is refused.
func TestSandboxVolumeIntoHiddenRefused(t *testing.T) {
	t.Parallel()
	data := hostDir(t)
	os.WriteFile(filepath.Join(data, "server.key"), []byte("secret\n"), 0o644)
	e := New(Options{HideDirs: []string{data}})
	spec := testSpec(t, "sh", "-c", `cat /tmp/a/server.key /tmp/b/`+strings.TrimPrefix(data, "/")+`/server.key 2>/dev/null; echo done`)
	spec.Volumes = []executor.Volume{{Name: "a", HostPath: data}, {Name: "b", HostPath: "/"}}
	spec.MountPoints = []executor.MountPoint{{SourceVolume: "a", ContainerPath: "/tmp/a"}, {SourceVolume: "b", ContainerPath: "/tmp/b"}}
	res, c := run(t, e, spec)
	if res.ExitCode != 0 || !slices.Equal(c.texts(false), []string{"done"}) {
		t.Errorf("result %+v, output %+v", res, c.all())
	}
}

// An attempt whose job ignores SIGTERM and keeps a child: Stop's SIGKILL
// ends them all, and the uid is free for the next attempt.
func TestSandboxUIDReused(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := New(Options{UIDMin: 64000, UIDMax: 64000})
	for range 2 {
		h, c := start(t, e, testSpec(t, "sh", "-c", `trap '' TERM; id -u; sleep 30 & wait`))
		c.waitLines(t, 1)
		h.Stop(50 * time.Millisecond)
		if res := h.Wait(); res.ExitCode != 137 {
			t.Errorf("result %+v", res)
		}
		if out := c.texts(false); !slices.Equal(out, []string{"64000"}) {
			t.Errorf("uid %q, want 64000", out)
		}
	}
	// All in use: Start says so.
	h, c := start(t, e, testSpec(t, "sh", "-c", `echo ready; sleep 30`))
	defer func() { h.Stop(0); h.Wait() }()
	c.waitLines(t, 1)
	if _, err := e.Start(t.Context(), testSpec(t, "true"), nil); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("Start with every uid in use: %v", err)
	}
}
