package executor

import (
	"path/filepath"
	"strings"
)

// RealPath is path made absolute with its symbolic links resolved, as far
// as it exists.
func RealPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// Within reports whether path is dir or inside it.
func Within(path, dir string) bool {
	if path == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// Exposes returns the first of private (real paths) that a job's host path
// (a real path) would expose, being at, inside or above it; "" when none.
func Exposes(path string, private []string) string {
	for _, p := range private {
		if Within(path, p) || Within(p, path) {
			return p
		}
	}
	return ""
}
