package local

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"batchd/internal/executor"
)

// kept lists the kept directories in parent.
func kept(t *testing.T, parent string) []string {
	t.Helper()
	names, err := dirNames(parent)
	if err != nil {
		t.Fatal(err)
	}
	var k []string
	for _, n := range names {
		if strings.HasPrefix(n, freePrefix) {
			k = append(k, n)
		}
	}
	return k
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// A work directory emptied at its attempt's end is kept and becomes the
// next attempt's, empty; an existing one is left as it is; at most
// maxFreeDirs are kept; a new Executor's first attempt removes those an
// earlier one left, and removeAll (Close) the rest.
func TestWorkDirsReuse(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	var w workDirs
	a := filepath.Join(parent, "a")
	if _, fresh, err := w.make(a); err != nil || !fresh {
		t.Fatalf("make %s: fresh %t, %v; want made", a, fresh, err)
	}
	if err := os.MkdirAll(filepath.Join(a, "sub", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "sub", "f"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ino := inode(t, a)
	if err := w.release(a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Errorf("released %s is still there: %v", a, err)
	}
	if k := kept(t, parent); len(k) != 1 {
		t.Fatalf("kept %q, want one", k)
	}

	b := filepath.Join(parent, "b")
	if _, fresh, err := w.make(b); err != nil || !fresh {
		t.Fatalf("make %s: fresh %t, %v; want a kept one", b, fresh, err)
	}
	if inode(t, b) != ino {
		t.Error("the next work directory is not the kept one")
	}
	if names, err := dirNames(b); err != nil || len(names) != 0 {
		t.Errorf("the kept directory holds %q (%v), want nothing", names, err)
	}
	if k := kept(t, parent); len(k) != 0 {
		t.Errorf("kept %q after its use", k)
	}

	// An existing directory, filled by batchd, is used as it is.
	if err := w.release(b); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(parent, "c")
	if err := os.Mkdir(c, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c, "given"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, fresh, err := w.make(c); err != nil || fresh {
		t.Fatalf("make %s: fresh %t, %v; want it found", c, fresh, err)
	}
	if _, err := os.Stat(filepath.Join(c, "given")); err != nil {
		t.Errorf("what was in the existing work directory: %v", err)
	}
	if k := kept(t, parent); len(k) != 1 {
		t.Errorf("kept %q, want the one make did not use", k)
	}

	for i := range maxFreeDirs + 3 {
		d := filepath.Join(parent, "many", strings.Repeat("x", i+1))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := w.release(d); err != nil {
			t.Fatal(err)
		}
	}
	if k := kept(t, filepath.Join(parent, "many")); len(k) != maxFreeDirs {
		t.Errorf("kept %d, want %d", len(k), maxFreeDirs)
	}

	var w2 workDirs
	if _, _, err := w2.make(filepath.Join(parent, "many", "next")); err != nil {
		t.Fatal(err)
	}
	if k := kept(t, filepath.Join(parent, "many")); len(k) != 0 {
		t.Errorf("a new executor left %q kept before it", k)
	}
	if err := w.removeAll(); err != nil {
		t.Fatal(err)
	}
	if k := kept(t, parent); len(k) != 0 {
		t.Errorf("removeAll left %q", k)
	}
}

// make returns a work directory's real path, its parent's looked up once:
// through a symbolic link to the parent, the real one.
func TestWorkDirsRealPath(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	realParent := filepath.Join(base, "real")
	if err := os.Mkdir(realParent, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(realParent, link); err != nil {
		t.Fatal(err)
	}
	want := executor.RealPath(realParent)
	var w workDirs
	for _, name := range []string{"a", "b"} {
		real, fresh, err := w.make(filepath.Join(link, name))
		if err != nil || !fresh || real != filepath.Join(want, name) {
			t.Errorf("make %s: %q, fresh %t, %v; want %q, made", name, real, fresh, err, filepath.Join(want, name))
		}
	}
	// Found, not made: resolved whole (it may be a link itself).
	if err := os.Symlink(filepath.Join(realParent, "a"), filepath.Join(realParent, "c")); err != nil {
		t.Fatal(err)
	}
	if real, fresh, err := w.make(filepath.Join(link, "c")); err != nil || fresh || real != filepath.Join(want, "a") {
		t.Errorf("make c: %q, fresh %t, %v; want %q, found", real, fresh, err, filepath.Join(want, "a"))
	}
}
