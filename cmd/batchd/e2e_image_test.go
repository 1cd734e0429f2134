package main

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"batchd/internal/executor/docker/dockertest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// The Dockerfile builds an image of the static binary that runs as a
// non-root user and serves: built here with the engine's classic builder
// (FROM scratch needs no registry), as its comment tells users to.
func TestContainerImage(t *testing.T) {
	host := dockertest.Host(t)
	docker := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "batchd"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore", "packaging"} {
		if out, err := exec.Command("cp", "-r", filepath.Join("..", "..", f), dir).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", f, err, out)
		}
	}
	// The modes a checkout and a build get under the usual umask (022):
	// this test process's is batchd's own 077.
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() || path == filepath.Join(dir, "batchd") {
			mode = 0o755
		}
		return os.Chmod(path, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	tag := "batchd-image-test:" + hex.EncodeToString(b[:])
	docker("build", "-q", "-t", tag, dir)
	t.Cleanup(func() { exec.Command("docker", "-H", host, "rmi", "-f", tag).Run() }) // best effort

	if out := docker("run", "--rm", tag, "--help"); !strings.Contains(out, "batchd serve") {
		t.Fatalf("batchd --help in the image: %s", out)
	}
	if user := docker("image", "inspect", "-f", "{{.Config.User}}", tag); user != "65532:65532" {
		t.Fatalf("image user %q", user)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// Jobs run through the engine whose socket the container is given.
	sock := strings.TrimPrefix(host, "unix://")
	if sock == host {
		t.Skipf("the engine at %s is not on a unix socket to hand the container", host)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	gid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid))
	dockertest.Image(t, host, testImage, testImageChanges...)
	id := docker("run", "-d", "--network", "host", "-v", sock+":/var/run/docker.sock", "--group-add", gid,
		tag, "serve", "--listen", "127.0.0.1:"+strconv.Itoa(port))
	t.Cleanup(func() { exec.Command("docker", "-H", host, "rm", "-f", id).Run() }) // best effort
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/console/signin"
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "-H", host, "logs", id).CombinedOutput()
			t.Fatalf("the container does not serve %s: %v\n%s", url, err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts := &testServer{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	creds := filepath.Join(t.TempDir(), "root-credentials")
	docker("cp", id+":/var/lib/batchd/root-credentials", creds)
	if ts.Root, err = readCredentials(creds); err != nil {
		t.Fatal(err)
	}
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, imageDef("hello", "echo hello from the image"))
	job := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("hello")})
	j := waitJob(t, c, job, batchtypes.JobStatusSucceeded, 60*time.Second)
	if msgs := logMessages(t, ts.logs(ts.Root), aws.ToString(j.Container.LogStreamName)); !slices.Contains(msgs, "hello from the image") {
		t.Fatalf("the job's log: %q", msgs)
	}
	pid := docker("inspect", "-f", "{{.State.Pid}}", id)
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] != "65532" {
			t.Fatalf("batchd runs as uid %s in its container, want 65532", f[1])
		}
	}
}
