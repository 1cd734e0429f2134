package main

import (
	"batchd/internal/botocore"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestConvertPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		java      string
		want      string
		matches   []string
		rejects   []string
		wantError string
	}{
		{
			name: "IAM names: whole-value match", java: `[\w+=,.@-]+`, want: `^(?:[\w+=,.@-]+)$`,
			matches: []string{"alice", "a.b+c=d,e@f-g_h"}, rejects: []string{"bad name!", "", "ü"},
		},
		{
			name: "top-level alternation stays inside the anchors", java: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`,
			want:    `^(?:(\x{2F})|(\x{2F}[\x{21}-\x{7E}]+\x{2F}))$`,
			matches: []string{"/", "/a/b/"}, rejects: []string{"team", "/a", "a/"},
		},
		{
			name: "unicode properties", java: `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, want: `^(?:[\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`,
			matches: []string{"Ünicode value 42"}, rejects: []string{"a!b"},
		},
		{
			name: "\\u takes exactly four digits, as in Java", java: `[\u10000-\u10FFFF]`, want: `^(?:[\x{1000}0-\x{10FF}FF])$`,
			matches: []string{"0", "F", "\u1000"}, rejects: []string{"\U00010000"},
		},
		{
			name: "surrogate pair becomes one code point", java: `[\uD83D\uDE00]+`, want: `^(?:[\x{1F600}]+)$`,
			matches: []string{"😀😀"}, rejects: []string{"a"},
		},
		{
			name: "possessive quantifiers become greedy", java: `a*+b++c?+d{2}+`, want: `^(?:a*b+c?d{2})$`,
			matches: []string{"bdd", "aabbcdd"}, rejects: []string{"ad"},
		},
		{
			name: "dash after a class escape is a literal", java: `[\w-_]*`, want: `^(?:[\w\-_]*)$`,
			matches: []string{"a-b_c", ""}, rejects: []string{"a b"},
		},
		{
			name: "anchors and lazy quantifiers pass through", java: `^arn:aws[a-z\-]*:kms:.*?$`, want: `^(?:^arn:aws[a-z\-]*:kms:.*?$)$`,
			matches: []string{"arn:aws:kms:x"},
		},
		{name: "look-ahead", java: `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, wantError: "look-ahead"},
		{name: "look-behind", java: `(?<!a)b`, wantError: "look-behind"},
		{name: "atomic group", java: `(?>ab)c`, wantError: "atomic"},
		{name: "back-reference", java: `(a)\1`, wantError: "back-reference"},
		{name: "class intersection", java: `[a-z&&[^e]]`, wantError: "intersection"},
		{name: "lone surrogate", java: `[\uD800]`, wantError: "surrogate"},
		{name: "Java-only escape", java: `\h+`, wantError: "no RE2 form"},
		{name: "Java-only property", java: `\p{Alpha}+`, wantError: "RE2 rejects"},
		{name: "unterminated class", java: `[abc`, wantError: "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := convertPattern(tt.java)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("convertPattern(%q) = %q, %v; want an error about %s", tt.java, got, err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("convertPattern(%q): %v", tt.java, err)
			}
			if got != tt.want {
				t.Errorf("convertPattern(%q) = %q, want %q", tt.java, got, tt.want)
			}
			re := regexp.MustCompile(got)
			for _, s := range tt.matches {
				if !re.MatchString(s) {
					t.Errorf("%q does not match %q", got, s)
				}
			}
			for _, s := range tt.rejects {
				if re.MatchString(s) {
					t.Errorf("%q matches %q", got, s)
				}
			}
		})
	}
}

// TestRunOnFixture generates from a small botocore-like tree and checks what
// is kept: member order, reachable shapes only, error defaults, skipped
// patterns.
func TestRunOnFixture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(service, version, doc string) {
		t.Helper()
		p := filepath.Join(dir, "data", service, version)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "service-2.json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "__init__.py"), []byte("import os\n__version__ = '9.9.9'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	query := `{"metadata":{"apiVersion":"2010-05-08","protocol":"query","xmlNamespace":"https://x/doc/"},
	  "operations":{
	    "CreateThing":{"http":{"method":"POST","requestUri":"/"},"input":{"shape":"CreateThingRequest"},"output":{"shape":"CreateThingResponse","resultWrapper":"CreateThingResult"}},
	    "DeleteThing":{"http":{"method":"POST","requestUri":"/"},"input":{"shape":"DeleteThingRequest"}}},
	  "shapes":{
	    "CreateThingRequest":{"type":"structure","required":["Zeta"],"members":{"Zeta":{"shape":"name","documentation":"d"},"Alpha":{"shape":"alias"},"Tags":{"shape":"tags"}}},
	    "CreateThingResponse":{"type":"structure","members":{"Out":{"shape":"outOnly"}}},
	    "DeleteThingRequest":{"type":"structure","members":{"Zeta":{"shape":"name"}}},
	    "name":{"type":"string","min":1,"max":64,"pattern":"[\\w+=,.@-]+"},
	    "alias":{"type":"string","pattern":"^[a-z]([a-z]|-(?!-))*$"},
	    "tags":{"type":"list","member":{"shape":"tag"},"max":50},
	    "tag":{"type":"structure","members":{"Key":{"shape":"name"}}},
	    "outOnly":{"type":"string"},
	    "NotFound":{"type":"structure","members":{},"exception":true,"error":{"code":"NoSuchThing","httpStatusCode":404,"senderFault":true}},
	    "Broken":{"type":"structure","members":{},"exception":true,"error":{"code":"Broken","httpStatusCode":500}},
	    "Plain":{"type":"structure","members":{},"exception":true},
	    "Fault":{"type":"structure","members":{},"exception":true,"fault":true}}}`
	for _, s := range services {
		write(s, "2010-05-08", query)
	}
	write("iam", "2000-01-01", `not json: an older version must not be read`)
	out := filepath.Join(dir, "models.json")
	if err := run(dir, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var f outFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	if f.BotocoreVersion != "9.9.9" {
		t.Errorf("botocoreVersion = %q", f.BotocoreVersion)
	}
	s := f.Services["iam"]
	var order []string
	for _, m := range s.Shapes["CreateThingRequest"].Members {
		order = append(order, m.Name)
	}
	if strings.Join(order, ",") != "Zeta,Alpha,Tags" {
		t.Errorf("member order = %v, want the document's", order)
	}
	if _, ok := s.Shapes["outOnly"]; ok {
		t.Error("an output-only shape was kept")
	}
	if s.Operations["DeleteThing"].Output != "" || s.Operations["CreateThing"].Output != "CreateThingResponse" {
		t.Errorf("operations = %+v", s.Operations)
	}
	if s.Shapes["name"].RE != `^(?:[\w+=,.@-]+)$` || s.Shapes["alias"].RE != "" {
		t.Errorf("patterns: name %q, alias %q", s.Shapes["name"].RE, s.Shapes["alias"].RE)
	}
	wantErrors := map[string]outError{
		"NotFound": {"NoSuchThing", 404, true},
		"Broken":   {"Broken", 500, false},
		"Plain":    {"Plain", 400, true},
		"Fault":    {"Fault", 500, false},
	}
	for name, want := range wantErrors {
		if got := s.Errors[name]; got != want {
			t.Errorf("error %s = %+v, want %+v", name, got, want)
		}
	}
	if len(f.SkippedPatterns) != len(services) || f.SkippedPatterns[0].Shape != "batch:alias" {
		t.Errorf("skipped = %+v", f.SkippedPatterns)
	}
}

// TestCommittedFileIsCurrent regenerates models.json from the installed
// botocore, when it is the release the committed file was made from, and
// compares: the file must be what the generator writes.
func TestCommittedFileIsCurrent(t *testing.T) {
	committed, err := os.ReadFile("../../models.json")
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		BotocoreVersion string `json:"botocoreVersion"`
	}
	if err := json.Unmarshal(committed, &head); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 to find botocore")
	}
	dir, err := botocore.Installed()
	if err != nil {
		t.Skipf("no botocore installed: %v", err)
	}
	if v := botocore.Version(filepath.Join(dir, "data")); v != head.BotocoreVersion {
		t.Skipf("installed botocore %s, models.json made from %s", v, head.BotocoreVersion)
	}
	out := filepath.Join(t.TempDir(), "models.json")
	if err := run(dir, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Error("models.json differs from what the generator writes: run go generate ./internal/awsproto")
	}
}
