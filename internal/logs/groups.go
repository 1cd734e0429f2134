package logs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"batchd/internal/store"
)

// maxTags is the number of tags a log group may have ("TagResource", API
// Reference).
const maxTags = 50

// CreateLogGroup creates a log group ("CreateLogGroup", API Reference).
func (s *Service) CreateLogGroup(ctx context.Context, in *CreateLogGroupRequest) error {
	if err := checkGroupName(in.LogGroupName); err != nil {
		return err
	}
	if err := checkTags(in.Tags); err != nil {
		return err
	}
	class := in.LogGroupClass
	if class == "" {
		class = LogGroupClassStandard
	}
	g := &groupDoc{Name: in.LogGroupName, CreationTime: s.nowMillis(), Tags: in.Tags, Class: class}
	if in.KmsKeyId != nil {
		g.KmsKeyID = *in.KmsKeyId
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		err := store.InsertJSON(tx, kindGroup, g.Name, g)
		if errors.Is(err, store.ErrExists) {
			return errGroupExists
		}
		return err
	})
}

// DeleteLogGroup deletes a log group, its streams and their events
// ("DeleteLogGroup", API Reference).
func (s *Service) DeleteLogGroup(ctx context.Context, in *DeleteLogGroupRequest) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getGroup(tx, in.LogGroupName); err != nil {
			return err
		}
		if err := tx.Delete(kindGroup, in.LogGroupName); err != nil {
			return err
		}
		streams, err := store.ListJSON[streamDoc](tx, kindStream, in.LogGroupName+"\x00", "", 0)
		if err != nil {
			return err
		}
		for _, st := range streams {
			if err := deleteStream(tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.purge(ctx)
}

// DescribeLogGroups lists log groups in name order ("DescribeLogGroups",
// API Reference): those starting with logGroupNamePrefix, or containing
// logGroupNamePattern (case-insensitively), of logGroupClass when given;
// limit (1 to 50, default 50) a page. accountIdentifiers and
// includeLinkedAccounts are accepted and ignored: batchd serves one
// account.
func (s *Service) DescribeLogGroups(ctx context.Context, in *DescribeLogGroupsRequest) (*DescribeLogGroupsResponse, error) {
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.LogGroupNamePrefix != nil && len(in.LogGroupIdentifiers) > 0 || in.LogGroupNamePattern != nil && len(in.LogGroupIdentifiers) > 0 {
		return nil, invalidParameter("LogGroup identifiers cannot be combined with a LogGroup name prefix or pattern.")
	}
	limit := 50
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if in.LogGroupNamePrefix != nil {
		prefix = *in.LogGroupNamePrefix
	}
	pattern := ""
	if in.LogGroupNamePattern != nil {
		pattern = strings.ToLower(*in.LogGroupNamePattern)
	}
	var only map[string]bool
	if len(in.LogGroupIdentifiers) > 0 {
		only = map[string]bool{}
		for _, id := range in.LogGroupIdentifiers {
			if name, err := s.LogGroupName(nil, &id); err == nil {
				only[name] = true
			}
		}
	}
	out := &DescribeLogGroupsResponse{LogGroups: []LogGroup{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		for {
			page, err := tx.List(kindGroup, prefix, after, 200)
			if err != nil {
				return err
			}
			for _, it := range page {
				after = it.Key
				if pattern != "" && !strings.Contains(strings.ToLower(it.Key), pattern) || only != nil && !only[it.Key] {
					continue
				}
				g := new(groupDoc)
				if err := json.Unmarshal(it.Value, g); err != nil {
					return fmt.Errorf("decode %s %q: %w", kindGroup, it.Key, err)
				}
				if in.LogGroupClass != "" && g.Class != in.LogGroupClass {
					continue
				}
				out.LogGroups = append(out.LogGroups, s.logGroup(g))
				if len(out.LogGroups) == limit {
					if more, err := tx.List(kindGroup, prefix, after, 1); err != nil || len(more) == 0 {
						return err
					}
					out.NextToken = encodeToken(after)
					return nil
				}
			}
			if len(page) < 200 {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// logGroup is a group as DescribeLogGroups shows it: arn ends in ":*" (the
// ARN that covers the group's streams), logGroupArn does not.
func (s *Service) logGroup(g *groupDoc) LogGroup {
	lg := LogGroup{
		LogGroupName: ptr(g.Name), CreationTime: ptr(g.CreationTime), MetricFilterCount: ptr(int32(0)),
		Arn: ptr(s.LogGroupARN(g.Name) + ":*"), LogGroupArn: ptr(s.LogGroupARN(g.Name)),
		StoredBytes: ptr(g.StoredBytes), LogGroupClass: g.Class,
	}
	if g.RetentionInDays != 0 {
		lg.RetentionInDays = ptr(g.RetentionInDays)
	}
	if g.KmsKeyID != "" {
		lg.KmsKeyId = ptr(g.KmsKeyID)
	}
	return lg
}

// PutRetentionPolicy sets how many days a group keeps its events
// ("PutRetentionPolicy", API Reference).
func (s *Service) PutRetentionPolicy(ctx context.Context, in *PutRetentionPolicyRequest) error {
	if in.RetentionInDays == nil {
		return validationError("null", "retentionInDays", "Member must not be null")
	}
	if err := checkRetention(*in.RetentionInDays); err != nil {
		return err
	}
	return s.updateGroup(ctx, in.LogGroupName, func(g *groupDoc) error {
		g.RetentionInDays = *in.RetentionInDays
		return nil
	})
}

// DeleteRetentionPolicy makes a group keep its events forever
// ("DeleteRetentionPolicy", API Reference).
func (s *Service) DeleteRetentionPolicy(ctx context.Context, in *DeleteRetentionPolicyRequest) error {
	return s.updateGroup(ctx, in.LogGroupName, func(g *groupDoc) error {
		g.RetentionInDays = 0
		return nil
	})
}

func (s *Service) updateGroup(ctx context.Context, name string, fn func(*groupDoc) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
		return store.PutJSON(tx, kindGroup, name, g)
	})
}

// checkTags refuses tag keys AWS reserves ("aws:").
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return tooManyTags()
	}
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParameter("Tag keys beginning with 'aws:' are reserved for AWS use: %s", k)
		}
	}
	return nil
}

func tooManyTags() *Error {
	return &Error{Code: "TooManyTagsException", Message: "A resource can have no more than 50 tags."}
}

func (s *Service) tag(ctx context.Context, group string, tags map[string]string) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.updateGroup(ctx, group, func(g *groupDoc) error {
		merged := maps.Clone(g.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return tooManyTags()
		}
		g.Tags = merged
		return nil
	})
}

func (s *Service) untag(ctx context.Context, group string, keys []string) error {
	return s.updateGroup(ctx, group, func(g *groupDoc) error {
		for _, k := range keys {
			delete(g.Tags, k)
		}
		return nil
	})
}

func (s *Service) listTags(ctx context.Context, group string) (map[string]string, error) {
	var tags map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		tags = maps.Clone(g.Tags)
		return nil
	})
	if tags == nil && err == nil {
		tags = map[string]string{}
	}
	return tags, err
}

// TagLogGroup adds or replaces tags of a log group ("TagLogGroup", API
// Reference; deprecated there in favour of TagResource).
func (s *Service) TagLogGroup(ctx context.Context, in *TagLogGroupRequest) error {
	return s.tag(ctx, in.LogGroupName, in.Tags)
}

// UntagLogGroup removes tags of a log group ("UntagLogGroup", API
// Reference).
func (s *Service) UntagLogGroup(ctx context.Context, in *UntagLogGroupRequest) error {
	return s.untag(ctx, in.LogGroupName, in.Tags)
}

// ListTagsLogGroup returns a log group's tags ("ListTagsLogGroup", API
// Reference).
func (s *Service) ListTagsLogGroup(ctx context.Context, in *ListTagsLogGroupRequest) (*ListTagsLogGroupResponse, error) {
	tags, err := s.listTags(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &ListTagsLogGroupResponse{Tags: tags}, nil
}

// TagResource, UntagResource and ListTagsForResource ("TagResource", API
// Reference) take a log group's ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME);
// the other taggable resources of CloudWatch Logs are not served.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) error {
	g, err := s.resourceGroup(in.ResourceArn)
	if err != nil {
		return err
	}
	return s.tag(ctx, g, in.Tags)
}

// UntagResource removes tags of the log group an ARN names.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) error {
	g, err := s.resourceGroup(in.ResourceArn)
	if err != nil {
		return err
	}
	return s.untag(ctx, g, in.TagKeys)
}

// ListTagsForResource returns the tags of the log group an ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceRequest) (*ListTagsForResourceResponse, error) {
	g, err := s.resourceGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := s.listTags(ctx, g)
	if err != nil {
		return nil, err
	}
	return &ListTagsForResourceResponse{Tags: tags}, nil
}

// ResourceGroup returns the log group a resourceArn names, for the
// server's authorization of the tagging operations; ok is false for any
// other ARN.
func (s *Service) ResourceGroup(resourceARN string) (group string, ok bool) {
	return s.groupOfARN(resourceARN)
}

func (s *Service) resourceGroup(resourceARN string) (string, error) {
	if g, ok := s.groupOfARN(resourceARN); ok {
		return g, nil
	}
	if !strings.Contains(resourceARN, ":log-group:") {
		return "", invalidParameter("Invalid resource ARN %s: batchd tags log groups only.", resourceARN)
	}
	return "", errGroupNotFound
}

// encodeToken and decodeToken turn a store key into the opaque nextToken
// of the Describe operations and back.
func encodeToken(key string) *string {
	return ptr(base64.RawURLEncoding.EncodeToString([]byte(key)))
}

func decodeToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", errBadToken
	}
	return string(b), nil
}
