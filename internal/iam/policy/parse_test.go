package policy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, path, msg string
	}{
		{"not JSON", `{"Version":`, "$.Version", "unexpected end"},
		{"not an object", `[]`, "$", "must be object"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*"}} {}`, "$", "unexpected data"},
		{"duplicate top-level key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}`, "$.Version", "duplicate key"},
		{"duplicate statement key", `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*"}}`, "$.Statement.Effect", "duplicate key"},
		{"duplicate condition key", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"true","aws:SecureTransport":"false"}}}}`, `$.Statement.Condition.Bool["aws:SecureTransport"]`, "duplicate key"},
		{"unknown top-level element", `{"Statment":[]}`, "$.Statment", "unknown element"},
		{"unknown statement element", `{"Statement":[{"Effect":"Allow","Action":"*","Resources":"*"}]}`, "$.Statement[0].Resources", "unknown element"},
		{"lower-case element", `{"Statement":[{"effect":"Allow","Action":"*"}]}`, "$.Statement[0].effect", "unknown element"},
		{"bad version", `{"Version":"2012-10-18","Statement":[]}`, "$.Version", "unsupported policy language version"},
		{"version not a string", `{"Version":2012,"Statement":[]}`, "$.Version", "must be a string"},
		{"missing Statement", `{"Version":"2012-10-17"}`, "$", "missing required element Statement"},
		{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, "$.Statement", "at least one statement"},
		{"Statement a string", `{"Statement":"x"}`, "$.Statement", "must be object or array"},
		{"statement not an object", `{"Statement":["x"]}`, "$.Statement[0]", "must be object"},
		{"missing Effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, "$.Statement[0]", "missing required element Effect"},
		{"bad Effect", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, "$.Statement[0].Effect", "must be \"Allow\" or \"Deny\""},
		{"no Action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "$.Statement[0]", "Action or NotAction"},
		{"Action and NotAction", `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}]}`, "$.Statement[0]", "both Action and NotAction"},
		{"Resource and NotResource", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`, "$.Statement[0]", "both Resource and NotResource"},
		{"Principal and NotPrincipal", `{"Statement":[{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}]}`, "$.Statement[0]", "both Principal and NotPrincipal"},
		{"Action a number", `{"Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}`, "$.Statement[0].Action", "string or an array"},
		{"Action list with a number", `{"Statement":[{"Effect":"Allow","Action":["batch:*",5],"Resource":"*"}]}`, "$.Statement[0].Action[1]", "must be a string"},
		{"empty Action list", `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "$.Statement[0].Action", "empty list"},
		{"action without service", `{"Statement":[{"Effect":"Allow","Action":["SubmitJob"],"Resource":"*"}]}`, "$.Statement[0].Action[0]", "prefixed by a service"},
		{"wildcard service", `{"Statement":[{"Effect":"Allow","Action":"b*:SubmitJob","Resource":"*"}]}`, "$.Statement[0].Action", "must not contain wildcards"},
		{"principal string not star", `{"Statement":[{"Effect":"Allow","Action":"*","Principal":"123456789012"}]}`, "$.Statement[0].Principal", "must be \"*\""},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Action":"*","Principal":{"IAM":"x"}}]}`, "$.Statement[0].Principal.IAM", "unknown principal type"},
		{"empty principal", `{"Statement":[{"Effect":"Allow","Action":"*","Principal":{}}]}`, "$.Statement[0].Principal", "at least one principal"},
		{"condition not an object", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":[]}]}`, "$.Statement[0].Condition", "must be an object"},
		{"condition operator not an object", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":"x"}}]}`, "$.Statement[0].Condition.Bool", "object of condition keys"},
		{"empty condition operator", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{}}}]}`, "$.Statement[0].Condition.Bool", "at least one key"},
		{"condition value object", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"aws:SecureTransport":{}}}}]}`, `$.Statement[0].Condition.Bool["aws:SecureTransport"]`, "string, number or boolean"},
		{"condition value null", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":null}}}]}`, "$.Statement[0].Condition.Bool.k", "string, number or boolean"},
		{"duplicate Sid", `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*"},{"Sid":"A","Effect":"Deny","Action":"*"}]}`, "$.Statement[1].Sid", "must be unique"},
		{"deep nesting", `{"Statement":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "", "nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse err = %v, want *Error", err)
			}
			if tc.path != "" && pe.Path != tc.path {
				t.Errorf("path = %q, want %q (msg %q)", pe.Path, tc.path, pe.Msg)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("msg = %q, want it to contain %q", pe.Msg, tc.msg)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"S1","Effect":"Allow",
		"Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a"],"Service":"batch.amazonaws.com"},
		"NotAction":"iam:*","NotResource":["arn:aws:batch:*:*:job-queue/prod"],
		"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"k":[1,2.5]}}}}`
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Statements[0]
	if d.ID != "x" || s.Sid != "S1" || s.Effect != Allow || len(s.Principal.Entries) != 2 || s.NotAction[0] != "iam:*" || s.NotResource == nil {
		t.Fatalf("parsed %+v", d)
	}
	if got := s.Condition[1].Keys[0].Values; len(got) != 2 || got[0] != "1" || got[1] != "2.5" {
		t.Errorf("numeric values = %q", got)
	}
	if got := s.Condition[0].Keys[0].Values[0]; got != "true" {
		t.Errorf("bool value = %q", got)
	}
	p, _ := Parse([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Principal":"*"}}`))
	if !p.Statements[0].Principal.Wildcard {
		t.Error(`"Principal":"*" must be a wildcard`)
	}
}

// Printing is canonical: parse → print → parse gives the same document and
// the same bytes.
func TestPrintRoundTrip(t *testing.T) {
	t.Parallel()
	for _, m := range Builtins() {
		checkRoundTrip(t, []byte(m.Document))
	}
	checkRoundTrip(t, []byte(`{"Statement":{"Effect":"Deny","NotAction":["a:b","c:d"],"Principal":"*","Condition":{"Null":{"k":"true"}}}}`))
}

func checkRoundTrip(t *testing.T, data []byte) {
	t.Helper()
	d1, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out1, _ := d1.MarshalJSON()
	d2, err := Parse(out1)
	if err != nil {
		t.Fatalf("reparse of %s: %v", out1, err)
	}
	out2, _ := d2.MarshalJSON()
	if !bytes.Equal(out1, out2) {
		t.Fatalf("print not stable:\n%s\n%s", out1, out2)
	}
}
