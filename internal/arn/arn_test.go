package arn

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    ARN
		wantErr string
	}{
		{in: "arn:aws:batch:us-east-1:123456789012:job-queue/q", want: ARN{"aws", "batch", "us-east-1", "123456789012", "job-queue/q"}},
		{in: "arn:aws:iam::123456789012:role/path/r", want: ARN{"aws", "iam", "", "123456789012", "role/path/r"}},
		{in: "arn:aws:logs:us-east-1:1:log-group:/aws/batch/job:log-stream:a/b", want: ARN{"aws", "logs", "us-east-1", "1", "log-group:/aws/batch/job:log-stream:a/b"}},
		{in: "arn:aws:s3:::bucket", want: ARN{"aws", "s3", "", "", "bucket"}},
		{in: "arn:aws:batch", wantErr: "want arn:partition"},
		{in: "urn:aws:batch:r:a:x", wantErr: "must begin"},
		{in: "arn::batch:r:a:x", wantErr: "empty partition"},
		{in: "arn:aws::r:a:x", wantErr: "empty service"},
		{in: "arn:aws:batch:r:a:", wantErr: "empty resource"},
		{in: "", wantErr: "want arn:partition"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) err = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	const q = "arn:aws:batch:us-east-1:123456789012:job-queue/q1"
	tests := []struct {
		name, pattern, value string
		want                 bool
	}{
		{"star matches all", "*", q, true},
		{"star matches non-ARN", "*", "*", true},
		{"exact", q, q, true},
		{"case-sensitive", "arn:aws:batch:us-east-1:123456789012:job-queue/Q1", q, false},
		{"region wildcard", "arn:aws:batch:*:123456789012:job-queue/q1", q, true},
		{"account wildcard", "arn:aws:batch:us-east-1:*:job-queue/*", q, true},
		{"question mark", "arn:aws:batch:us-east-?:123456789012:job-queue/q?", q, true},
		{"question mark is one char", "arn:aws:batch:us-east-1:123456789012:job-queue/q??", q, false},
		{"resource star spans slash", "arn:aws:batch:*:*:*", q, true},
		{"resource star spans colon", "arn:aws:logs:*:*:log-group:/aws/batch/job*", "arn:aws:logs:us-east-1:1:log-group:/aws/batch/job:log-stream:a/b", true},
		{"part star does not cross colon", "arn:aws:batch:*:job-queue/q1:x:y", q, false},
		{"short pattern matches nothing", "arn:aws:batch:*:job-queue/q1", q, false},
		{"short prefix pattern", "arn:aws:*", q, true},
		{"other service", "arn:aws:iam::*:*", q, false},
		{"value not an ARN", "arn:aws:batch:*:*:*", "*", false},
		{"empty region must be empty", "arn:aws:iam::123456789012:role/*", "arn:aws:iam:us-east-1:123456789012:role/r", false},
		{"star matches empty part", "arn:aws:iam:*:123456789012:role/*", "arn:aws:iam::123456789012:role/r", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Match(tc.pattern, tc.value); got != tc.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"", "", false, true},
		{"*", "", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"*a", "bbba", false, true},
		{"a**", "a", false, true},
		{"?", "é", false, true},
		{"Submit*", "submitjob", true, true},
		{"Submit*", "submitjob", false, false},
		{"*Job", "DescribeJobs", true, false},
		{"De?cribe*", "DESCRIBEJOBS", true, true},
	}
	for _, tc := range tests {
		got := Glob(tc.p, tc.s)
		if tc.fold {
			got = GlobFold(tc.p, tc.s)
		}
		if got != tc.want {
			t.Errorf("glob(%q, %q, fold=%v) = %v, want %v", tc.p, tc.s, tc.fold, got, tc.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that a parsed ARN prints back
// to the text it came from.
func FuzzParse(f *testing.F) {
	f.Add("arn:aws:batch:us-east-1:123456789012:job-queue/q") // a batch ARN
	f.Add("arn:aws:iam::123456789012:user/a/b")               // no region
	f.Add("arn:aws:logs:r:1:log-group:g:log-stream:s")        // colons in the resource
	f.Add("arn:::::")                                         // empty parts
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, a.String())
		}
		if !Match(s, s) && !strings.ContainsAny(s, "*?") {
			t.Fatalf("an ARN without wildcards must match itself: %q", s)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	const p = "arn:aws:logs:*:*:log-group:/aws/batch/job*:log-stream:*"
	const v = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/batch/job:log-stream:jd/default/0f0e"
	b.ReportAllocs()
	for b.Loop() {
		if !Match(p, v) {
			b.Fatal("no match")
		}
	}
}
