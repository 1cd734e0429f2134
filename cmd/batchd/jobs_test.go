package main

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// --host-vcpus and --host-memory-mib default to the host's CPUs and
// MemTotal, take BATCHD_HOST_VCPUS and BATCHD_HOST_MEMORY_MIB, and must be
// positive.
func TestHostFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := parseServeFlags(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HostVCPUs != runtime.NumCPU() || cfg.HostMemoryMiB != hostMemoryMiB() || cfg.HostMemoryMiB <= 0 {
		t.Errorf("defaults: %d vCPUs %d MiB, want %d and MemTotal %d", cfg.HostVCPUs, cfg.HostMemoryMiB, runtime.NumCPU(), hostMemoryMiB())
	}
	cfg, err = parseServeFlags(nil, env(map[string]string{"BATCHD_HOST_VCPUS": "64", "BATCHD_HOST_MEMORY_MIB": "2048"}), io.Discard)
	if err != nil || cfg.HostVCPUs != 64 || cfg.HostMemoryMiB != 2048 {
		t.Errorf("environment: %d vCPUs %d MiB, %v", cfg.HostVCPUs, cfg.HostMemoryMiB, err)
	}
	cfg, err = parseServeFlags([]string{"--host-vcpus", "3", "--host-memory-mib", "512"}, env(map[string]string{"BATCHD_HOST_VCPUS": "64"}), io.Discard)
	if err != nil || cfg.HostVCPUs != 3 || cfg.HostMemoryMiB != 512 {
		t.Errorf("flags: %d vCPUs %d MiB, %v", cfg.HostVCPUs, cfg.HostMemoryMiB, err)
	}
	for _, args := range [][]string{{"--host-vcpus", "0"}, {"--host-memory-mib", "-1"}} {
		if _, err := parseServeFlags(args, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
}

// Jobs reach batchd on the loopback address, whatever address it listens
// on: the SDKs take container credentials over plain HTTP from loopback
// only.
func TestJobEndpoint(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		tls  bool
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, false, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9000}, false, "http://127.0.0.1:9000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9000}, true, "https://[::1]:9000"},
	} {
		if got := jobEndpoint(fakeListener{tc.addr}, tc.tls); got != tc.want {
			t.Errorf("jobEndpoint(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

type fakeListener struct{ addr net.Addr }

func (fakeListener) Accept() (net.Conn, error) { return nil, io.EOF }
func (fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr          { return l.addr }

// The host's GPUs: NVIDIA device nodes first, else nvidia-smi -L; an
// explicit count wins.
func TestDetectGPUs(t *testing.T) {
	dev := t.TempDir()
	for _, n := range []string{"nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset", "null"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	noSMI := func() ([]byte, error) { return nil, errors.New("nvidia-smi: not found") }
	if n := detectGPUs(dev, noSMI); n != 2 {
		t.Errorf("device nodes: %d GPUs, want 2", n)
	}
	smi := func() ([]byte, error) {
		return []byte("GPU 0: NVIDIA A10G (UUID: GPU-1)\nGPU 1: NVIDIA A10G (UUID: GPU-2)\nGPU 2: NVIDIA A10G (UUID: GPU-3)\n"), nil
	}
	if n := detectGPUs(t.TempDir(), smi); n != 3 {
		t.Errorf("nvidia-smi -L: %d GPUs, want 3", n)
	}
	if n := detectGPUs(t.TempDir(), noSMI); n != 0 {
		t.Errorf("nothing: %d GPUs", n)
	}
	if n, ids := hostGPUs(2); n != 2 || !slices.Equal(ids, []string{"0", "1"}) {
		t.Errorf("--host-gpus 2: %d %v", n, ids)
	}
}
