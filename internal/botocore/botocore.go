// Package botocore owns reading the AWS service models that the installed
// botocore (Python) package ships — data/SERVICE/VERSION/service-2.json(.gz)
// — for batchd's generators (awsproto's models.json, the generated API
// types). It is used at development time only: nothing batchd serves reads
// botocore.
package botocore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Installed asks python3 where botocore is installed.
func Installed() (string, error) {
	cmd := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding botocore with python3 (pass -botocore DIR): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Version reads __version__ from the nearest __init__.py at or above dir
// that sets it (botocore's package file); "" when there is none.
func Version(dir string) string {
	for d := dir; ; {
		if b, err := os.ReadFile(filepath.Join(d, "__init__.py")); err == nil {
			for line := range strings.SplitSeq(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "__version__ = "); ok {
					return strings.Trim(strings.TrimSpace(rest), `'"`)
				}
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// ReadModel finds the service's newest service-2.json(.gz) under dir — a
// botocore package, its data directory, data/SERVICE, or the version
// directory itself — and returns the document and its path.
func ReadModel(dir, service string) (doc []byte, path string, err error) {
	candidates := []string{dir}
	for _, sub := range []string{service, filepath.Join("data", service)} {
		versions, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil {
			return nil, "", err
		}
		sort.Sort(sort.Reverse(sort.StringSlice(versions)))
		candidates = append(candidates, versions...)
	}
	for _, d := range candidates {
		for _, file := range []string{"service-2.json", "service-2.json.gz"} {
			p := filepath.Join(d, file)
			b, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, "", err
			}
			if strings.HasSuffix(file, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					return nil, "", fmt.Errorf("%s: %w", p, err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					return nil, "", fmt.Errorf("%s: %w", p, err)
				}
			}
			return b, p, nil
		}
	}
	return nil, "", fmt.Errorf("no %s service-2.json under %s", service, dir)
}

// OrderedKeys decodes a JSON object into its keys, in document order: Go
// maps forget the order of a shape's members, which generated code and
// validation messages follow.
type OrderedKeys []string

// UnmarshalJSON reads the keys of a JSON object.
func (k *OrderedKeys) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		*k = append(*k, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}
