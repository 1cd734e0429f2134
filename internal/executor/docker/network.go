package docker

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// Network modes.
const (
	// NetworkIsolated gives each attempt a network namespace of its own,
	// held by a small holder container, in which only batchd's endpoint
	// answers, on the loopback address and port batchd serves on the host.
	NetworkIsolated = "isolated"
	NetworkHost     = "host"
	NetworkNone     = "none"
)

const (
	holderImage = "batchd/netns-holder:1"
	// holderArg is the argument that makes batchd's binary a holder (see
	// HelperMain).
	holderArg   = "__batchd-netns-holder"
	holderReady = 10 * time.Second
	// poolSize is how many holders are kept started ahead of need.
	poolSize = 2
)

// holder is an isolated network namespace: a container running batchd's
// binary as a forwarder from 127.0.0.1:PORT in the namespace to batchd's
// endpoint, through a unix socket bound into it.
type holder struct {
	n  *isolatedNetworks
	id string
}

// release removes the holder; nil-safe.
func (h *holder) release() {
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if _, err := h.n.e.cli.ContainerRemove(ctx, h.id, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		h.n.e.log("docker: removing network holder %s: %v", short(h.id), err)
	}
}

// recycle returns the holder to the pool for another attempt (its last
// attempt's container is gone, and with it every process in the
// namespace but the holder's); nil-safe.
func (h *holder) recycle() {
	if h == nil {
		return
	}
	h.n.mu.Lock()
	closed := h.n.closed
	h.n.mu.Unlock()
	if !closed {
		select {
		case h.n.pool <- h:
			return
		default:
		}
	}
	h.release()
}

// isolatedNetworks makes holders and forwards their connections to
// batchd.
type isolatedNetworks struct {
	e *Executor

	once    sync.Once
	initErr error
	dir     string // holds the socket
	ln      net.Listener
	port    string // batchd's port, the same inside
	target  string // batchd's host:port
	binds   []mount.Mount

	mu      sync.Mutex
	waiting map[string]chan struct{} // token → closed when its holder is ready
	pool    chan *holder
	filling bool
	closed  bool
	done    chan struct{}  // closed by close
	fills   sync.WaitGroup // refill goroutines
}

func newIsolatedNetworks(e *Executor) *isolatedNetworks {
	return &isolatedNetworks{e: e, waiting: map[string]chan struct{}{}, pool: make(chan *holder, poolSize), done: make(chan struct{})}
}

// setup makes the socket, the holder image and the binds, once.
func (n *isolatedNetworks) setup(ctx context.Context) error {
	n.once.Do(func() { n.initErr = n.doSetup(ctx) })
	return n.initErr
}

func (n *isolatedNetworks) doSetup(ctx context.Context) error {
	u, err := url.Parse(n.e.endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("batchd's endpoint %q is not a URL", n.e.endpoint)
	}
	n.target = u.Host
	_, n.port, err = net.SplitHostPort(u.Host)
	if err != nil {
		return fmt.Errorf("batchd's endpoint %q has no port", n.e.endpoint)
	}
	bin, err := filepath.EvalSymlinks(n.e.helper)
	if err != nil {
		return fmt.Errorf("batchd's binary: %w", err)
	}
	n.dir, err = os.MkdirTemp("", "batchd-netns-")
	if err != nil {
		return err
	}
	// The socket serves nothing that 127.0.0.1:PORT does not already
	// serve on this host.
	if err := os.Chmod(n.dir, 0o755); err != nil {
		return err
	}
	sock := filepath.Join(n.dir, "s")
	n.ln, err = net.Listen("unix", sock)
	if err != nil {
		return err
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		return err
	}
	go n.accept()
	n.binds = []mount.Mount{
		{Type: mount.TypeBind, Source: bin, Target: "/batchd", ReadOnly: true},
		{Type: mount.TypeBind, Source: n.dir, Target: "/run/batchd", ReadOnly: true},
	}
	// A dynamically linked batchd needs the host's loader and libraries.
	if dynamic(bin) {
		for _, d := range []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64"} {
			real, err := filepath.EvalSymlinks(d)
			if err != nil {
				continue
			}
			n.binds = append(n.binds, mount.Mount{Type: mount.TypeBind, Source: real, Target: d, ReadOnly: true})
		}
	}
	return n.ensureImage(ctx)
}

// dynamic reports whether the ELF binary at path has an interpreter.
func dynamic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// ensureImage imports the holder's image: an empty file system with the
// directories its mounts need.
func (n *isolatedNetworks) ensureImage(ctx context.Context) error {
	ictx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err := n.e.cli.ImageInspect(ictx, holderImage)
	cancel()
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"dev/", "proc/", "sys/", "etc/", "run/", "run/batchd/", "tmp/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	ictx, cancel = context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	rc, err := n.e.cli.ImageImport(ictx, client.ImageImportSource{Source: &buf, SourceName: "-"}, holderImage, client.ImageImportOptions{})
	if err != nil {
		return fmt.Errorf("importing %s: %w", holderImage, err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("importing %s: %w", holderImage, err)
	}
	return nil
}

// accept serves the holders' connections: a ready message ("R" token
// newline) or a forwarded connection ("P", then the bytes).
func (n *isolatedNetworks) accept() {
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		go n.serve(c)
	}
}

func (n *isolatedNetworks) serve(c net.Conn) {
	br := bufio.NewReader(c)
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		c.Close()
		return
	}
	kind, err := br.ReadByte()
	if err != nil {
		c.Close()
		return
	}
	switch kind {
	case 'R':
		tok, err := br.ReadString('\n')
		c.Close()
		if err != nil {
			return
		}
		n.mu.Lock()
		if ch, ok := n.waiting[tok[:len(tok)-1]]; ok {
			close(ch)
			delete(n.waiting, tok[:len(tok)-1])
		}
		n.mu.Unlock()
	case 'P':
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			c.Close()
			return
		}
		up, err := net.DialTimeout("tcp", n.target, 5*time.Second)
		if err != nil {
			c.Close()
			return
		}
		splice(c, br, up)
	default:
		c.Close()
	}
}

// splice copies both ways until both sides are done.
func splice(c net.Conn, cr io.Reader, up net.Conn) {
	done := make(chan struct{})
	go func() {
		// An error ends the copy as EOF does; the other direction still
		// finishes.
		_, _ = io.Copy(up, cr)
		closeWrite(up)
		close(done)
	}()
	_, _ = io.Copy(c, up) // as above
	closeWrite(c)
	<-done
	c.Close()
	up.Close()
}

// closeWrite half-closes c where it can, so that the peer sees EOF.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite() // the copy that follows reports a broken peer
	}
}

// get returns a started holder for an attempt, from the pool when one
// is ready.
func (n *isolatedNetworks) get(ctx context.Context) (*holder, error) {
	if err := n.setup(ctx); err != nil {
		return nil, err
	}
	defer n.refill()
	for {
		var h *holder
		select {
		case h = <-n.pool:
		default:
			return n.make(ctx)
		}
		// A holder that waited in the pool may be gone (removed by hand,
		// the engine restarted): only a running one will do.
		if h.running(ctx) {
			return h, nil
		}
		h.release()
	}
}

// running reports whether the holder's container runs.
func (h *holder) running(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	insp, err := h.n.e.cli.ContainerInspect(ctx, h.id, client.ContainerInspectOptions{})
	return err == nil && insp.Container.State != nil && insp.Container.State.Running
}

// refill starts holders in the background up to poolSize.
func (n *isolatedNetworks) refill() {
	n.mu.Lock()
	if n.filling || n.closed {
		n.mu.Unlock()
		return
	}
	n.filling = true
	n.fills.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.fills.Done()
		defer func() {
			n.mu.Lock()
			n.filling = false
			n.mu.Unlock()
		}()
		for len(n.pool) < cap(n.pool) {
			h, err := n.make(context.Background())
			if err != nil {
				n.e.log("docker: starting a network holder ahead of need: %v", err)
				return
			}
			n.mu.Lock()
			closed := n.closed
			n.mu.Unlock()
			if closed {
				h.release()
				return
			}
			select {
			case n.pool <- h:
			default:
				h.release()
				return
			}
		}
	}()
}

// make creates and starts a holder and waits until it forwards.
func (n *isolatedNetworks) make(ctx context.Context) (*holder, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(b[:])
	ready := make(chan struct{})
	n.mu.Lock()
	n.waiting[token] = ready
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.waiting, token)
		n.mu.Unlock()
	}()
	pids := int64(64)
	cfg := &container.Config{
		Image:      holderImage,
		Entrypoint: []string{"/batchd", holderArg, "/run/batchd/s", "127.0.0.1:" + n.port, token},
		// Root without a single capability: it can run batchd's binary
		// whatever its mode (it owns it) and nothing more.
		User:     "0:0",
		Hostname: token[:12],
		Labels:   map[string]string{LabelInstance: n.e.instance, labelRole: "network"},
	}
	hc := &container.HostConfig{
		NetworkMode:    NetworkNone,
		ReadonlyRootfs: true,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		Mounts:         n.binds,
		LogConfig:      container.LogConfig{Type: "json-file"},
		// Explicit limits, modest: an engine's defaults (Podman's
		// nofile) may exceed what the host lets it set.
		Resources: container.Resources{Memory: 64 << 20, MemorySwap: 64 << 20, PidsLimit: &pids,
			Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}}},
	}
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	created, err := n.e.cli.ContainerCreate(cctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: "batchd-net-" + token[:16]})
	cancel()
	if err != nil {
		return nil, err
	}
	h := &holder{n: n, id: created.ID}
	sctx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err = n.e.cli.ContainerStart(sctx, h.id, client.ContainerStartOptions{})
	cancel()
	if err != nil {
		h.release()
		return nil, err
	}
	select {
	case <-ready:
		return h, nil
	case <-time.After(holderReady):
	case <-ctx.Done():
	case <-n.done:
		h.release()
		return nil, errors.New("the executor is closing")
	}
	why := n.holderOutput(h.id)
	h.release()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("the network holder did not come up within %v: %s", holderReady, why)
}

// holderOutput is what a holder printed, for an error message.
func (n *isolatedNetworks) holderOutput(id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := n.e.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "5"})
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	var text []byte
	readFrames(io.LimitReader(rc, 4096), func(_ int, payload []byte) { text = append(text, payload...) })
	if len(text) == 0 {
		return "no output"
	}
	return string(bytes.TrimSpace(text))
}

// close removes the pooled holders, after any being made ahead of need.
func (n *isolatedNetworks) close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	close(n.done)
	n.mu.Unlock()
	n.fills.Wait()
	for {
		select {
		case h := <-n.pool:
			h.release()
			continue
		default:
		}
		break
	}
	if n.ln != nil {
		n.ln.Close()
		os.RemoveAll(n.dir)
	}
}

// HelperMain runs batchd's binary as a network holder when args (os.Args)
// ask for it, and then never returns; otherwise it returns at once.
// cmd/batchd calls it first thing.
func HelperMain(args []string) {
	if len(args) < 2 || args[1] != holderArg {
		return
	}
	if len(args) != 5 {
		fmt.Fprintln(os.Stderr, "netns holder: want socket, address and token")
		os.Exit(2)
	}
	if err := runHolder(args[2], args[3], args[4]); err != nil {
		fmt.Fprintln(os.Stderr, "netns holder:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runHolder listens on addr in the holder's network namespace, tells
// batchd it is ready, and forwards each connection to batchd's socket.
func runHolder(sock, addr, token string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(c, "R"+token+"\n"); err != nil {
		return err
	}
	c.Close()
	for {
		in, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go func() {
			up, err := net.Dial("unix", sock)
			if err != nil {
				in.Close()
				return
			}
			if _, err := io.WriteString(up, "P"); err != nil {
				in.Close()
				up.Close()
				return
			}
			splice(in, in, up)
		}()
	}
}
