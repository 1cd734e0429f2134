// Package deps holds the tests that keep the code matching ARCHITECTURE.md:
// which internal package may import which, and that every package says what
// it owns in a doc comment.
package deps

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "batchd"

// allowed lists, for each package, the module packages it may import
// (ARCHITECTURE.md, "Packages"). A package not listed may import nothing of
// the module; cmd/batchd may import everything.
var allowed = map[string][]string{
	"internal/arn":                        {},
	"internal/iam/policy":                 {"internal/arn"},
	"internal/iam":                        {"internal/arn", "internal/iam/policy", "internal/store"},
	"internal/sts":                        {"internal/iam", "internal/iam/policy"},
	"internal/sigv4":                      {},
	"internal/awsproto":                   {},
	"internal/awsproto/internal/modelgen": {"internal/botocore"},
	"internal/store":                      {},
	"internal/store/sqlite":               {"internal/store"},
	"internal/store/memstore":             {"internal/store"},
	"internal/store/storetest":            {"internal/store"},
	"internal/store/postgres":             {"internal/store"},
	"internal/store/postgres/pgtest":      {},
	"internal/server":                     {"internal/awsproto", "internal/batch", "internal/iam", "internal/iam/policy", "internal/logs", "internal/sigv4", "internal/sts"},
	"internal/batch":                      {"internal/arn", "internal/store"},
	"internal/batch/internal/typegen":     {"internal/botocore"},
	"internal/executor":                   {},
	"internal/executor/local":             {"internal/executor"},
	"internal/executor/docker":            {"internal/executor"},
	"internal/executor/docker/dockertest": {},
	"internal/logs":                       {"internal/arn", "internal/store"},
	"internal/logs/internal/typegen":      {},
	"internal/scheduler":                  {"internal/batch", "internal/executor", "internal/iam"},
	"internal/botocore":                   {},
	"internal/deps":                       {},
	"internal/leader":                     {"internal/store"},
	"internal/console":                    {"internal/awsproto", "internal/iam"},
}

// stdOnly lists packages that must not import anything outside the standard
// library.
var stdOnly = map[string]bool{"internal/botocore": true, "internal/arn": true, "internal/sigv4": true, "internal/iam/policy": true, "internal/awsproto": true, "internal/awsproto/internal/modelgen": true, "internal/batch/internal/typegen": true}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", dir)
	}
	return dir
}

// packages maps each package directory (relative to the root) to the
// imports of its non-test files, and records which have a package doc.
func packages(t *testing.T, root string) (imports map[string][]string, docs map[string]bool) {
	t.Helper()
	imports, docs = map[string][]string{}, map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		if _, ok := imports[rel]; !ok {
			imports[rel] = nil
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name+" ") || f.Doc != nil && f.Name.Name == "main" && strings.HasPrefix(f.Doc.Text(), "Command ") {
			docs[rel] = true
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			imports[rel] = append(imports[rel], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, docs
}

func TestImportsFollowArchitecture(t *testing.T) {
	root := moduleRoot(t)
	imports, _ := packages(t, root)
	for pkg, imps := range imports {
		if strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		ok, listed := allowed[pkg]
		if !listed {
			t.Errorf("package %s is not in the import table of internal/deps (add it as ARCHITECTURE.md says)", pkg)
			continue
		}
		for _, imp := range imps {
			if rest, in := strings.CutPrefix(imp, module+"/"); in {
				permitted := false
				for _, a := range ok {
					permitted = permitted || a == rest
				}
				if !permitted {
					t.Errorf("%s imports %s, which ARCHITECTURE.md does not allow", pkg, rest)
				}
				continue
			}
			if stdOnly[pkg] && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				t.Errorf("%s imports %s: it may use the standard library only", pkg, imp)
			}
		}
	}
}

func TestEveryPackageHasDoc(t *testing.T) {
	root := moduleRoot(t)
	imports, docs := packages(t, root)
	for pkg := range imports {
		if !docs[pkg] {
			t.Errorf("package %s has no package doc comment (\"Package x ...\" in doc.go)", pkg)
		}
	}
}
