// Package dockertest gives tests a Docker Engine and images made without
// a registry: a busybox-static root file system imported with the
// changes a test asks for (ENV, WORKDIR, CMD, ENTRYPOINT, USER).
//
// The engine is the one DOCKER_HOST names, else /var/run/docker.sock.
// Where none answers a test is skipped, except under CI=true, where it
// fails: CI starts its own engine (.ci/run).
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// Busybox is where the busybox-static binary is found.
var Busybox = "/bin/busybox"

// Host returns the engine's address, skipping (or, under CI, failing)
// the test when none answers.
func Host(tb testing.TB) string {
	tb.Helper()
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = client.DefaultDockerHost
	}
	cli, err := client.New(client.WithHost(host))
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = cli.Ping(ctx, client.PingOptions{})
		cancel()
		cli.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no Docker Engine at %s (CI starts one; DOCKER_HOST names it): %v", host, err)
		}
		tb.Skipf("no Docker Engine at %s: %v", host, err)
	}
	return host
}

var imported sync.Map // host+ref → struct{}

// Image imports a busybox image as ref with changes (Dockerfile
// instructions: "ENV A=b", "WORKDIR /w", `CMD ["echo","hi"]`), once per
// test binary, and returns ref.
func Image(tb testing.TB, host, ref string, changes ...string) string {
	tb.Helper()
	key := host + "\x00" + ref
	if _, ok := imported.Load(key); ok {
		return ref
	}
	bb := Busybox
	if _, err := os.Stat(bb); err != nil {
		if p, err := findBusybox(); err == nil {
			bb = p
		} else {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("busybox-static not installed: %v", err)
			}
			tb.Skipf("busybox-static not installed: %v", err)
		}
	}
	rootfs, err := Rootfs(bb)
	if err != nil {
		tb.Fatal(err)
	}
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		tb.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := cli.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"}, ref, client.ImageImportOptions{Changes: changes})
	if err != nil {
		tb.Fatalf("docker import %s: %v", ref, err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		tb.Fatalf("docker import %s: %v", ref, err)
	}
	imported.Store(key, struct{}{})
	return ref
}

func findBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// Rootfs is a tar of a minimal root file system: busybox at /bin/busybox,
// a link for each applet the tests use, /etc/passwd and /etc/group with
// root and nobody, and /tmp.
func Rootfs(busybox string) ([]byte, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Unix(0, 0)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mod})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mod}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin/", "etc/", "dev/", "proc/", "sys/", "root/", "home/", "var/", "work/"} {
		if err := dir(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := dir("tmp/", 0o1777); err != nil {
		return nil, err
	}
	if err := file("bin/busybox", 0o755, bin); err != nil {
		return nil, err
	}
	applets := strings.Fields("sh ash cat echo ls id sleep true false kill ps grep env pwd touch mkdir rm wc head tail dd test printf wget hostname mount sed awk tr cut sort uniq seq yes stat find xargs nc timeout")
	for _, a := range applets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: filepath.Join("bin", a), Linkname: "busybox", Mode: 0o777, ModTime: mod}); err != nil {
			return nil, err
		}
	}
	if err := file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")); err != nil {
		return nil, err
	}
	if err := file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
