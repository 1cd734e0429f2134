package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"batchd/internal/executor"
)

// Making a directory and removing it cost a file system more than renaming
// one (ext4 allocates and frees an inode and a block each time): about 4%
// of batchd's CPU in an array of `true`. An attempt's work directory that
// is empty at its end (its contents removed) is therefore kept, in the
// same parent under a name of its own (freePrefix), and renamed to the
// next attempt's work directory there, which must not exist yet (an
// existing one, which batchd may have filled, is used as it is). The
// parent is hidden from jobs, as every other attempt's directory is.

const (
	// freePrefix starts the name of a kept work directory.
	freePrefix = ".batchd-free-"
	// maxFreeDirs bounds the work directories kept.
	maxFreeDirs = 8
)

// workDirs are an Executor's kept work directories, by parent.
type workDirs struct {
	mu    sync.Mutex
	free  map[string][]string
	swept map[string]bool   // parents rid of the kept directories of a batchd before
	real  map[string]string // parents' real paths (executor.RealPath)
}

// make makes dir, mode 0700, from a kept directory of its parent when
// there is one; like os.MkdirAll, it leaves an existing dir as it is.
// It returns dir's real path, and whether make made dir (fresh: empty,
// not a symbolic link) rather than found it.
func (w *workDirs) make(dir string) (real string, fresh bool, err error) {
	fresh, err = w.makeDir(dir)
	if err != nil {
		return "", false, err
	}
	if !fresh {
		return executor.RealPath(dir), false, nil
	}
	// The parent's real path is looked up once: what make made in it is
	// no symbolic link.
	parent := filepath.Dir(dir)
	w.mu.Lock()
	rp, ok := w.real[parent]
	w.mu.Unlock()
	if !ok {
		rp = executor.RealPath(parent)
		w.mu.Lock()
		if w.real == nil {
			w.real = map[string]string{}
		}
		w.real[parent] = rp
		w.mu.Unlock()
	}
	return filepath.Join(rp, filepath.Base(dir)), true, nil
}

// makeDir is make without the real path.
func (w *workDirs) makeDir(dir string) (fresh bool, err error) {
	parent := filepath.Dir(dir)
	w.mu.Lock()
	if !w.swept[parent] {
		if w.swept == nil {
			w.swept = map[string]bool{}
		}
		w.swept[parent] = true
		w.mu.Unlock()
		sweepKept(parent)
		w.mu.Lock()
	}
	var kept string
	if n := len(w.free[parent]); n > 0 {
		kept, w.free[parent] = w.free[parent][n-1], w.free[parent][:n-1]
	}
	w.mu.Unlock()
	if kept != "" {
		err := unix.Renameat2(unix.AT_FDCWD, kept, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
		if err == nil {
			return true, nil // emptied (release); Start sets its mode and owner
		}
		if errors.Is(err, unix.EEXIST) {
			w.keep(kept)
			return false, os.MkdirAll(dir, 0o700) // a directory, or not
		}
		// Gone, or the file system cannot: made anew.
		if err := os.Remove(kept); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
	}
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return true, os.MkdirAll(dir, 0o700) // its parent first
	case errors.Is(err, os.ErrExist):
		return false, os.MkdirAll(dir, 0o700) // a directory, or not
	default:
		return false, err
	}
}

// keep adds an empty directory to those kept, or removes it when enough
// are.
func (w *workDirs) keep(dir string) {
	parent := filepath.Dir(dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.free[parent]) >= maxFreeDirs {
		// Removed where it is: it is a kept one already (a make that
		// found its target there).
		_ = os.Remove(dir) // an empty directory; should it fail, it stays hidden with the others
		return
	}
	if w.free == nil {
		w.free = map[string][]string{}
	}
	w.free[parent] = append(w.free[parent], dir)
}

// release empties an attempt's work directory and keeps it for another
// attempt, or removes it.
func (w *workDirs) release(dir string) error {
	w.mu.Lock()
	full := len(w.free[filepath.Dir(dir)]) >= maxFreeDirs
	w.mu.Unlock()
	if full || emptyDir(dir) != nil {
		return os.RemoveAll(dir)
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails (Go 1.24)
	kept := filepath.Join(filepath.Dir(dir), freePrefix+hex.EncodeToString(b[:]))
	if err := os.Rename(dir, kept); err != nil {
		return os.RemoveAll(dir)
	}
	w.keep(kept)
	return nil
}

// sweepKept removes the kept directories a batchd before left in parent.
func sweepKept(parent string) {
	names, err := dirNames(parent)
	if err != nil {
		return // made anew below it, or failing there
	}
	for _, n := range names {
		if strings.HasPrefix(n, freePrefix) {
			_ = os.RemoveAll(filepath.Join(parent, n)) // hidden from jobs, as are the others: tried again at the next start
		}
	}
}

// removeAll removes every kept directory.
func (w *workDirs) removeAll() error {
	w.mu.Lock()
	free := w.free
	w.free = nil
	w.mu.Unlock()
	var errs []error
	for _, dirs := range free {
		for _, d := range dirs {
			if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
