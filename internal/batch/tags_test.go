package batch

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestTagsOnEachResource(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ce := createTestCE(t, s, "ce")
	resources := map[string]string{
		"compute environment":     ce,
		"job queue":               createTestQueue(t, s, "q", ce),
		"job definition revision": registerTestJD(t, s, "jd"),
		"scheduling policy":       createTestSP(t, s, "sp"),
	}
	for kind, arn := range resources {
		t.Run(kind, func(t *testing.T) {
			list := func() map[string]string {
				t.Helper()
				out, err := s.ListTagsForResource(t.Context(), &ListTagsForResourceRequest{ResourceArn: arn})
				if err != nil {
					t.Fatal(err)
				}
				return out.Tags
			}
			if got := list(); len(got) != 0 || got == nil {
				t.Fatalf("new resource tags = %#v, want an empty map", got)
			}
			if _, err := s.TagResource(t.Context(), &TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TagResource(t.Context(), &TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"b": "3", "c": ""}}); err != nil {
				t.Fatal(err)
			}
			if got, want := list(), map[string]string{"a": "1", "b": "3", "c": ""}; !reflect.DeepEqual(got, want) {
				t.Fatalf("tags = %v, want %v", got, want)
			}
			if got, err := s.ResourceTags(t.Context(), arn); err != nil || got["b"] != "3" {
				t.Fatalf("ResourceTags = %v, %v", got, err)
			}
			if _, err := s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: arn, TagKeys: []string{"a", "zz"}}); err != nil {
				t.Fatal(err)
			}
			if got, want := list(), map[string]string{"b": "3", "c": ""}; !reflect.DeepEqual(got, want) {
				t.Fatalf("after untag: %v, want %v", got, want)
			}
			if _, err := s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: arn, TagKeys: []string{"b", "c"}}); err != nil {
				t.Fatal(err)
			}
			if got := list(); len(got) != 0 {
				t.Fatalf("after untagging all: %v", got)
			}
		})
	}
}

func TestTagsAcrossDescribe(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	arn := registerTestJD(t, s, "jd")
	registerTestJD(t, s, "jd")
	if _, err := s.TagResource(t.Context(), &TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"rev": "1"}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.DescribeJobDefinitions(t.Context(), &DescribeJobDefinitionsRequest{JobDefinitionName: ptrTo("jd")})
	if err != nil {
		t.Fatal(err)
	}
	// Tags belong to the revision tagged.
	if out.JobDefinitions[0].Tags != nil || out.JobDefinitions[1].Tags["rev"] != "1" {
		t.Fatalf("tags = %v, %v", out.JobDefinitions[0].Tags, out.JobDefinitions[1].Tags)
	}
}

func TestTagValidation(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	arn := createTestSP(t, s, "sp")
	many := func(n int, prefix string) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("%s%d", prefix, i)] = "v"
		}
		return m
	}
	if _, err := s.TagResource(t.Context(), &TagResourceRequest{ResourceArn: arn, Tags: many(40, "a")}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   TagResourceRequest
		want string
	}{
		{"no arn", TagResourceRequest{Tags: map[string]string{"a": "b"}}, execPrefix + "resourceArn is required."},
		{"no tags", TagResourceRequest{ResourceArn: arn}, execPrefix + "tags is required."},
		{"51 in request", TagResourceRequest{ResourceArn: arn, Tags: many(51, "b")}, execPrefix + "tags must have length less than or equal to 50."},
		{"51 in all", TagResourceRequest{ResourceArn: arn, Tags: many(11, "b")}, execPrefix + "A resource can have at most 50 tags."},
		{"aws prefix", TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"AWS:x": "y"}}, execPrefix + "Tag keys starting with 'aws:' are reserved for use by AWS."},
		{"empty key", TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"": "y"}}, execPrefix + "tags key '' must have length between 1 and 128."},
		{"long value", TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"k": strings.Repeat("v", 257)}}, execPrefix + "tags[k] must have length less than or equal to 256."},
		{"bad key", TagResourceRequest{ResourceArn: arn, Tags: map[string]string{"a*": "y"}}, execPrefix + `tags key 'a*' must satisfy regular expression pattern: ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`},
		{"unknown resource", TagResourceRequest{ResourceArn: arn + "x", Tags: map[string]string{"a": "b"}}, arn + "x does not exist"},
		{"other account", TagResourceRequest{ResourceArn: "arn:aws:batch:us-east-1:999999999999:scheduling-policy/sp", Tags: map[string]string{"a": "b"}},
			"arn:aws:batch:us-east-1:999999999999:scheduling-policy/sp does not exist"},
		{"unversioned job definition", TagResourceRequest{ResourceArn: "arn:aws:batch:us-east-1:123456789012:job-definition/jd", Tags: map[string]string{"a": "b"}},
			"arn:aws:batch:us-east-1:123456789012:job-definition/jd does not exist"},
		{"unknown job", TagResourceRequest{ResourceArn: "arn:aws:batch:us-east-1:123456789012:job/4f1e2d3c-b5a6-4798-8a9b-0c1d2e3f4a5b", Tags: map[string]string{"a": "b"}},
			"arn:aws:batch:us-east-1:123456789012:job/4f1e2d3c-b5a6-4798-8a9b-0c1d2e3f4a5b does not exist"},
		{"not batch", TagResourceRequest{ResourceArn: "arn:aws:s3:::bucket", Tags: map[string]string{"a": "b"}}, "arn:aws:s3:::bucket does not exist"},
	}
	for _, c := range cases {
		_, err := s.TagResource(t.Context(), &c.in)
		t.Run(c.name, func(t *testing.T) { wantClientError(t, err, c.want) })
	}
	if got, _ := s.ResourceTags(t.Context(), arn); len(got) != 40 {
		t.Fatalf("%d tags after refused requests, want 40", len(got))
	}

	_, err := s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: arn})
	wantClientError(t, err, execPrefix+"tagKeys is required.")
	_, err = s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: arn, TagKeys: []string{"aws:x"}})
	wantClientError(t, err, execPrefix+"Tag keys starting with 'aws:' are reserved for use by AWS.")
	_, err = s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: arn + "x", TagKeys: []string{"a"}})
	wantClientError(t, err, arn+"x does not exist")
	_, err = s.ListTagsForResource(t.Context(), &ListTagsForResourceRequest{ResourceArn: arn + "x"})
	wantClientError(t, err, arn+"x does not exist")

	// The authorizer's view: unknown resources have no tags and no error.
	for _, a := range []string{arn + "x", "arn:aws:batch:us-east-1:123456789012:job/nope", "garbage"} {
		if got, err := s.ResourceTags(t.Context(), a); got != nil || err != nil {
			t.Errorf("ResourceTags(%s) = %v, %v", a, got, err)
		}
	}
}

func TestAuthorizationARNs(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	p := "arn:aws:batch:us-east-1:123456789012:"
	cases := []struct{ got, want string }{
		{s.ComputeEnvironmentARNOf("ce"), p + "compute-environment/ce"},
		{s.ComputeEnvironmentARNOf(p + "compute-environment/ce"), p + "compute-environment/ce"},
		{s.JobQueueARNOf("q"), p + "job-queue/q"},
		{s.JobQueueARNOf("arn:aws:batch:eu-west-1:123456789012:job-queue/q"), "arn:aws:batch:eu-west-1:123456789012:job-queue/q"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// TagResource, UntagResource and ListTagsForResource refuse an array
// child's ARN (API reference: "ARNs for child jobs of array and multi-node
// parallel (MNP) jobs aren't supported"); the parent's tags are untouched.
func TestTagsRefuseArrayChild(t *testing.T) {
	t.Parallel()
	f := newJobsFixture(t)
	parent := f.submit(&SubmitJobRequest{JobName: "arr", JobQueue: "q", JobDefinition: "jd", ArrayProperties: &ArrayProperties{Size: ptrTo(int32(2))}, Tags: map[string]string{"k": "v"}})
	f.advance()
	child := f.s.JobARN(parent + ":1")
	want := fmt.Sprintf(msgChildJobTags, child)
	_, err := f.s.TagResource(t.Context(), &TagResourceRequest{ResourceArn: child, Tags: map[string]string{"a": "b"}})
	wantClientError(t, err, want)
	_, err = f.s.UntagResource(t.Context(), &UntagResourceRequest{ResourceArn: child, TagKeys: []string{"k"}})
	wantClientError(t, err, want)
	_, err = f.s.ListTagsForResource(t.Context(), &ListTagsForResourceRequest{ResourceArn: child})
	wantClientError(t, err, want)
	out, err := f.s.ListTagsForResource(t.Context(), &ListTagsForResourceRequest{ResourceArn: f.s.JobARN(parent)})
	if err != nil || !reflect.DeepEqual(out.Tags, map[string]string{"k": "v"}) {
		t.Errorf("parent tags = %v, %v", out, err)
	}
}
