package docker

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"batchd/internal/executor"
	"batchd/internal/executor/docker/dockertest"
)

// testRegistry is a registry of one image (schema 2 manifest) on loopback,
// which the engine reaches as an insecure registry (127.0.0.0/8 is one by
// default). With a user set it asks for HTTP Basic credentials.
type testRegistry struct {
	user, pass string
	blobs      map[string][]byte
	manifest   []byte
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func newRegistry(t *testing.T, user, pass string) (*testRegistry, string) {
	t.Helper()
	rootfs, err := dockertest.Rootfs(dockertest.Busybox)
	if err != nil {
		t.Skipf("busybox: %v", err) // dockertest.Host already failed in CI without it
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(rootfs)
	zw.Close()
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"sh", "-c", "echo pulled from the registry"}, "Env": []string{"PATH=/bin"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(rootfs)}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
		"config": map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config), "digest": digest(config)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": gz.Len(), "digest": digest(gz.Bytes())}},
	})
	r := &testRegistry{user: user, pass: pass, manifest: manifest, blobs: map[string][]byte{digest(config): config, digest(gz.Bytes()): gz.Bytes()}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, strings.TrimPrefix(srv.URL, "http://")
}

func (r *testRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.user != "" {
		if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="batchd-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
	}
	path := req.URL.Path
	switch {
	case path == "/v2/" || path == "/v2":
		w.WriteHeader(http.StatusOK)
	case strings.Contains(path, "/manifests/"):
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		w.Header().Set("Docker-Content-Digest", digest(r.manifest))
		w.Header().Set("Content-Length", fmt.Sprint(len(r.manifest)))
		if req.Method != http.MethodHead {
			w.Write(r.manifest)
		}
	case strings.Contains(path, "/blobs/"):
		b, ok := r.blobs[path[strings.LastIndex(path, "/")+1:]]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		if req.Method != http.MethodHead {
			w.Write(b)
		}
	default:
		http.NotFound(w, req)
	}
}

// An image the engine lacks is pulled, with the credentials `docker
// login` left in config.json; without them the attempt fails with
// CannotPullContainerError.
func TestPullWithRegistryCredentials(t *testing.T) {
	e, _ := newTest(t, NetworkNone)
	_, addr := newRegistry(t, "batchd", "s3cret")
	cfgDir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfgDir)
	writeAuth := func(user, pass string) {
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		b, _ := json.Marshal(map[string]any{"auths": map[string]any{addr: map[string]string{"auth": auth}}})
		if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh name per run: the engine keeps what it pulled.
	suffix := strings.ToLower(fmt.Sprintf("%x", sha256.Sum256([]byte(t.TempDir()))))[:8]

	writeAuth("batchd", "wrong")
	res, _ := run(t, e, executor.Spec{Image: addr + "/private/busybox:" + suffix})
	if res.ExitCode != -1 || !strings.HasPrefix(res.Reason, "CannotPullContainerError: ") {
		t.Fatalf("wrong credentials: %+v", res)
	}

	writeAuth("batchd", "s3cret")
	res, out := run(t, e, executor.Spec{Image: addr + "/private/busybox:" + suffix})
	if res.ExitCode != 0 || !slices.Equal(out, []string{"pulled from the registry"}) {
		t.Fatalf("pulled image: %+v %q", res, out)
	}
}
