package awsproto

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestModels(t *testing.T) {
	t.Parallel()
	want := map[string]struct{ protocol, version, namespace, target string }{
		"iam":   {"query", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/", ""},
		"sts":   {"query", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/", ""},
		"batch": {"rest-json", "2016-08-10", "", ""},
		"logs":  {"json", "2014-03-28", "", "Logs_20140328"},
	}
	for name, w := range want {
		s, ok := Model(name)
		if !ok {
			t.Fatalf("no model for %s", name)
		}
		if s.Protocol != w.protocol || s.APIVersion != w.version || s.XMLNamespace != w.namespace || s.TargetPrefix != w.target {
			t.Errorf("%s: %s %s %q %q", name, s.Protocol, s.APIVersion, s.XMLNamespace, s.TargetPrefix)
		}
	}
	if _, ok := Model("s3"); ok || OperationNames("s3") != nil {
		t.Error("s3 has a model")
	}
	names := OperationNames("iam")
	if !slices.IsSorted(names) || !slices.Contains(names, "CreateUser") || !slices.Contains(names, "GetAccountSummary") {
		t.Errorf("OperationNames(iam) = %v", names)
	}
	iam, _ := Model("iam")
	if op := iam.Operations["DeleteUser"]; op.Input != "DeleteUserRequest" || op.Output != "" {
		t.Errorf("DeleteUser = %+v, want an input and no output", op)
	}
	batch, _ := Model("batch")
	if op := batch.Operations["SubmitJob"]; op.Method != "POST" || op.RequestURI != "/v1/submitjob" {
		t.Errorf("SubmitJob = %+v", op)
	}
}

// TestModelsComplete checks that every reference resolves and that every
// pattern is either compiled or listed as skipped.
func TestModelsComplete(t *testing.T) {
	t.Parallel()
	var f struct {
		SkippedPatterns []struct{ Shape, Pattern, Reason string } `json:"skippedPatterns"`
	}
	if err := json.Unmarshal(modelsJSON, &f); err != nil {
		t.Fatal(err)
	}
	skipped := map[string]bool{}
	for _, s := range f.SkippedPatterns {
		if s.Reason == "" {
			t.Errorf("%s skipped without a reason", s.Shape)
		}
		skipped[s.Shape] = true
	}
	for name, s := range models() {
		for opName, op := range s.Operations {
			if op.Input != "" && s.Shapes[op.Input] == nil {
				t.Errorf("%s.%s: input %s missing", name, opName, op.Input)
			}
		}
		for shapeName, sh := range s.Shapes {
			refs := slices.Clone(sh.Members)
			for _, m := range []*Member{sh.Member, sh.Key, sh.Value} {
				if m != nil {
					refs = append(refs, *m)
				}
			}
			for _, m := range refs {
				if s.Shapes[m.Shape] == nil {
					t.Errorf("%s:%s refers to missing %s", name, shapeName, m.Shape)
				}
			}
			if sh.Pattern != "" && (sh.re == nil) != skipped[name+":"+shapeName] {
				t.Errorf("%s:%s: pattern %q compiled=%v, listed as skipped=%v", name, shapeName, sh.Pattern, sh.re != nil, skipped[name+":"+shapeName])
			}
		}
		if len(s.Errors) == 0 {
			t.Errorf("%s has no errors", name)
		}
	}
}
