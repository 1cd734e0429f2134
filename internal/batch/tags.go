package batch

// Tags: TagResource, UntagResource and ListTagsForResource on compute
// environments, job queues, job definition revisions, scheduling policies
// and jobs (API Reference; "Tagging your AWS Batch resources"). A
// resource's tags live in its own document, so tagging is one transaction
// on that document.

import (
	"context"
	"errors"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"batchd/internal/store"
)

// Tag limits (AWS Batch User Guide, "Tag restrictions").
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// tagChars is what a tag key or value may contain: "letters, numbers, and
// spaces representable in UTF-8, and the following characters: + - = . _ :
// / @".
//
// It is compiled on first use: its Unicode classes cost a hundred
// kilobytes at package init, which every sandboxed job's re-executed init
// would pay (executor/local).
var tagChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`) })

// checkTags validates a map of tags; field names it in messages
// ("tags"). Wording inferred: no AWS text found (searched docs, issues, code,
// moto for Batch tag limits, 2026-12); moto's generic tagging check says
// "Value '...' at 'tags.N.member.value' failed to satisfy constraint: Member
// must have length less than or equal to 256" (ValidationError).
func checkTags(field string, tags map[string]string) error {
	if len(tags) > maxTags {
		return invalidRequest("%s must have length less than or equal to %d.", field, maxTags)
	}
	for k, v := range tags {
		if err := checkTagKey(field, k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > maxTagValueLen {
			return invalidRequest("%s[%s] must have length less than or equal to %d.", field, k, maxTagValueLen)
		}
		if !tagChars().MatchString(v) {
			return invalidRequest("%s[%s] must satisfy regular expression pattern: %s", field, k, tagChars())
		}
	}
	return nil
}

// checkTagKey validates one tag key. Wording inferred: no AWS text found
// (searched docs, issues, code, moto for Batch tag keys and the "aws:"
// prefix, 2026-12).
func checkTagKey(field, k string) error {
	n := utf8.RuneCountInString(k)
	if n < 1 || n > maxTagKeyLen {
		return invalidRequest("%s key '%s' must have length between 1 and %d.", field, k, maxTagKeyLen)
	}
	if !tagChars().MatchString(k) {
		return invalidRequest("%s key '%s' must satisfy regular expression pattern: %s", field, k, tagChars())
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return invalidRequest("Tag keys starting with 'aws:' are reserved for use by AWS.")
	}
	return nil
}

// TagResource adds tags to a resource, replacing the values of keys it
// already has; at most 50 tags in all.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) (*TagResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, invalidRequest("resourceArn is required.")
	}
	if len(in.Tags) == 0 {
		return nil, invalidRequest("tags is required.")
	}
	if err := s.checkNotChildJob(in.ResourceArn); err != nil {
		return nil, err
	}
	if err := checkTags("tags", in.Tags); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		tags, put, err := s.taggable(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		merged := maps.Clone(tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, in.Tags)
		if len(merged) > maxTags {
			// Wording inferred: no AWS text found (searched docs, issues, code, moto
			// for a 51st Batch tag, 2026-12).
			return invalidRequest("A resource can have at most %d tags.", maxTags)
		}
		return put(merged)
	})
	if err != nil {
		return nil, err
	}
	return &TagResourceResponse{}, nil
}

// UntagResource removes tags by key; keys the resource does not have are
// ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) (*UntagResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, invalidRequest("resourceArn is required.")
	}
	if len(in.TagKeys) == 0 {
		return nil, invalidRequest("tagKeys is required.")
	}
	if err := s.checkNotChildJob(in.ResourceArn); err != nil {
		return nil, err
	}
	if len(in.TagKeys) > maxTags {
		return nil, invalidRequest("tagKeys must have length less than or equal to %d.", maxTags)
	}
	for _, k := range in.TagKeys {
		if err := checkTagKey("tagKeys", k); err != nil {
			return nil, err
		}
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		tags, put, err := s.taggable(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		left := maps.Clone(tags)
		for _, k := range in.TagKeys {
			delete(left, k)
		}
		if len(left) == 0 {
			left = nil
		}
		return put(left)
	})
	if err != nil {
		return nil, err
	}
	return &UntagResourceResponse{}, nil
}

// ListTagsForResource returns a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceRequest) (*ListTagsForResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, invalidRequest("resourceArn is required.")
	}
	if err := s.checkNotChildJob(in.ResourceArn); err != nil {
		return nil, err
	}
	var out map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		tags, _, err := s.taggable(tx, in.ResourceArn)
		out = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]string{}
	}
	return &ListTagsForResourceResponse{Tags: out}, nil
}

// ResourceTags returns the tags of the resource an ARN names, for the
// authorizer's aws:ResourceTag/ keys, which it needs before the operation
// runs. A resource that does not exist has no tags: (nil, nil), and the
// operation then answers as AWS does. The error is a store failure.
func (s *Service) ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	var out map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		tags, _, err := s.taggable(tx, arn)
		var e *Error
		if errors.As(err, &e) {
			return nil
		}
		out = tags
		return err
	})
	return out, err
}

// msgChildJobTags refuses a child job's ARN in TagResource, UntagResource
// and ListTagsForResource. The rule is the API reference's (TagResource,
// UntagResource, ListTagsForResource: "ARNs for child jobs of array and
// multi-node parallel (MNP) jobs aren't supported"); the message is built
// from it. Wording inferred: no AWS text found (searched docs, issues, code,
// moto for TagResource on "jobid:N", 2026-12; earlier also localstack).
const msgChildJobTags = execPrefix + "ARNs for child jobs of array and multi-node parallel (MNP) jobs aren't supported: %s"

// checkNotChildJob refuses the ARN of an array child job ("job/ID:N").
func (s *Service) checkNotChildJob(arn string) error {
	if id, ok := strings.CutPrefix(arn, s.arn("job/")); ok {
		if _, _, child := splitChildID(id); child {
			return clientError(msgChildJobTags, arn)
		}
	}
	return nil
}

// taggable finds the resource an ARN names and returns its tags and a
// function that replaces them (nil removes them all). An ARN that is not a
// Batch resource of this account and region, or names one that does not
// exist, is a ClientException in notExist's form. Wording inferred: no AWS
// text found (searched docs, issues, code, moto for TagResource on a missing
// or foreign ARN, 2026-12).
func (s *Service) taggable(tx store.Tx, arn string) (map[string]string, func(map[string]string) error, error) {
	res, ok := strings.CutPrefix(arn, s.arn(""))
	typ, id, _ := strings.Cut(res, "/")
	if !ok || id == "" {
		return nil, nil, notExist(arn)
	}
	switch typ {
	case "compute-environment":
		return taggableDoc(tx, kindCE, id, arn, func(v *ComputeEnvironmentDetail) *map[string]string { return &v.Tags })
	case "job-queue":
		return taggableDoc(tx, kindJQ, id, arn, func(v *JobQueueDetail) *map[string]string { return &v.Tags })
	case "scheduling-policy":
		return taggableDoc(tx, kindSP, id, arn, func(v *SchedulingPolicyDetail) *map[string]string { return &v.Tags })
	case "job-definition":
		// Tags belong to a revision: job-definition/NAME:REVISION.
		name, rev, ok := strings.Cut(id, ":")
		n, err := strconv.ParseInt(rev, 10, 32)
		if !ok || err != nil || n < 1 {
			return nil, nil, notExist(arn)
		}
		return taggableDoc(tx, kindJD, jdKey(name, int32(n)), arn, func(v *JobDefinition) *map[string]string { return &v.Tags })
	case "job":
		tags, err := s.jobTagsTx(tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, notExist(arn)
		}
		if err != nil {
			return nil, nil, err
		}
		return tags, func(t map[string]string) error { return s.setJobTagsTx(tx, id, t) }, nil
	}
	return nil, nil, notExist(arn)
}

// taggableDoc is taggable for a resource stored as one JSON document.
func taggableDoc[T any](tx store.Tx, kind, key, arn string, tagsOf func(*T) *map[string]string) (map[string]string, func(map[string]string) error, error) {
	v, found, err := store.GetJSON[T](tx, kind, key)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, notExist(arn)
	}
	put := func(tags map[string]string) error {
		*tagsOf(v) = tags
		return store.PutJSON(tx, kind, key, v)
	}
	return *tagsOf(v), put, nil
}

// SubmitTargets is what SubmitJob's authorization needs to know in one
// read: the queue's ARN and tags, and the job definition's ARN as the
// request names it with that revision's tags.
//
// A definition named with a revision is job-definition/NAME:REVISION with
// the revision's tags (AWS Batch User Guide, "Accounting for job definition
// revisions"). One named without a revision is job-definition/NAME with no
// tags, as the tagging page says: "If you submit jobs without specifying a
// revision, job definition tags will not be evaluated ... The *:* pattern in
// the resource ARN enforces that submissions must include a revision"
// (User Guide, "Resource: Restrict job submission by resource tags on job
// definition and job queue"). The revisions page says instead that the
// request ARN always carries a revision; batchd follows the tagging page,
// under which a policy on job-definition/* matches both forms and one on
// job-definition/*:* requires a revision. A queue or definition that does
// not exist is authorized by the ARN the request names, without tags: AWS
// authorizes before it looks the resources up, and the operation then
// reports what is missing.
type SubmitTargets struct {
	QueueARN       string
	QueueTags      map[string]string
	DefinitionARN  string
	DefinitionTags map[string]string
	// Revision is set when the request names the definition's revision:
	// only then does DefinitionTags hold its tags.
	Revision bool
}

// SubmitTargetsOf reads the SubmitTargets of a queue and a definition
// reference in one transaction. Only a store failure is an error.
func (s *Service) SubmitTargetsOf(ctx context.Context, queue, definition string) (SubmitTargets, error) {
	t := SubmitTargets{QueueARN: s.JobQueueARNOf(queue)}
	ref, ok := s.parseJDRef(definition)
	switch {
	case ok:
		t.DefinitionARN = s.jdRefARN(ref)
	case strings.HasPrefix(definition, "arn:"):
		t.DefinitionARN = definition
	default:
		t.DefinitionARN = s.arn("job-definition/" + definition)
	}
	revision := ok && ref.rev != 0
	t.Revision = revision
	gen := s.gen.Load() // before anything is read (cache.go)
	qt, qok := s.cachedTags(gen, t.QueueARN)
	dt, dok := s.cachedTags(gen, t.DefinitionARN)
	if qok && (dok || !revision) {
		t.QueueTags = qt
		if revision {
			t.DefinitionTags = dt
		}
		return t, nil
	}
	err := s.store.View(ctx, func(tx store.Tx) error {
		tags, err := existingTags(tx, s, t.QueueARN)
		if err != nil {
			return err
		}
		t.QueueTags = tags
		if revision {
			if t.DefinitionTags, err = existingTags(tx, s, t.DefinitionARN); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	s.cache.put(gen, "tags\x00"+t.QueueARN, t.QueueTags)
	if revision {
		s.cache.put(gen, "tags\x00"+t.DefinitionARN, t.DefinitionTags)
	}
	return t, nil
}

// existingTags is the tags of arn, nil when it does not exist.
func existingTags(tx store.Tx, s *Service, arn string) (map[string]string, error) {
	tags, _, err := s.taggable(tx, arn)
	var e *Error
	if errors.As(err, &e) && e.Code == "ClientException" {
		return nil, nil // no such resource
	}
	return tags, err
}
