package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the reasons in testdata/cases/*.json from the current output")

// goldenCase is one testdata/cases/NAME.json file: a `policy eval` input, the
// AWS documentation it comes from, and the wanted decision with its reasons.
type goldenCase struct {
	Description string          `json:"description"`
	Source      string          `json:"source"`
	Input       json.RawMessage `json:"input"`
	Want        struct {
		Decision Outcome  `json:"decision"`
		Reasons  []string `json:"reasons,omitempty"`
		Error    string   `json:"error,omitempty"`
	} `json:"want"`
}

func TestGoldenCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata/cases")
	}
	e := NewEvaluator()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c goldenCase
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var out Output
			if err := json.Unmarshal(e.EvalLine(c.Input), &out); err != nil {
				t.Fatal(err)
			}
			if c.Want.Error != "" {
				if !strings.Contains(out.Error, c.Want.Error) {
					t.Fatalf("error = %q, want it to contain %q", out.Error, c.Want.Error)
				}
				return
			}
			if out.Error != "" {
				t.Fatalf("unexpected error: %s", out.Error)
			}
			if out.Decision != c.Want.Decision {
				t.Fatalf("decision = %s, want %s (reasons: %q)", out.Decision, c.Want.Decision, out.Reasons)
			}
			if *update {
				c.Want.Reasons = out.Reasons
				b, err := json.MarshalIndent(&c, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !slices.Equal(out.Reasons, c.Want.Reasons) {
				t.Fatalf("reasons = %q\nwant      %q\n(run go test -update to accept)", out.Reasons, c.Want.Reasons)
			}
		})
	}
}
