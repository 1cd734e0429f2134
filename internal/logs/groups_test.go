package logs

import (
	"context"
	"maps"
	"strings"
	"testing"
)

func TestCreateLogGroupRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       CreateLogGroupRequest
		code     string
		wantMsg  string
		existing bool
	}{
		{name: "plain", in: CreateLogGroupRequest{LogGroupName: "/aws/batch/job"}},
		{name: "every allowed character", in: CreateLogGroupRequest{LogGroupName: "a.b-c_d/e#F9"}},
		{name: "512 characters", in: CreateLogGroupRequest{LogGroupName: strings.Repeat("g", 512)}},
		{name: "exists", in: CreateLogGroupRequest{LogGroupName: "dup"}, existing: true, code: "ResourceAlreadyExistsException", wantMsg: "The specified log group already exists."},
		{name: "empty", in: CreateLogGroupRequest{}, code: "InvalidParameterException", wantMsg: "Member must have length greater than or equal to 1"},
		{name: "513 characters", in: CreateLogGroupRequest{LogGroupName: strings.Repeat("g", 513)}, code: "InvalidParameterException", wantMsg: "less than or equal to 512"},
		{name: "space", in: CreateLogGroupRequest{LogGroupName: "bad name"}, code: "InvalidParameterException", wantMsg: `Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`},
		{name: "colon", in: CreateLogGroupRequest{LogGroupName: "a:b"}, code: "InvalidParameterException", wantMsg: "regular expression"},
		{name: "reserved tag", in: CreateLogGroupRequest{LogGroupName: "t", Tags: map[string]string{"aws:x": "1"}}, code: "InvalidParameterException", wantMsg: "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestService(t)
			ctx := context.Background()
			if tt.existing {
				if err := s.CreateLogGroup(ctx, &tt.in); err != nil {
					t.Fatal(err)
				}
			}
			err := s.CreateLogGroup(ctx, &tt.in)
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDescribeLogGroups(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	for _, n := range []string{"/aws/batch/job", "/aws/lambda/f", "app-1", "app-2", "App-3", "other"} {
		if err := s.CreateLogGroup(ctx, &CreateLogGroupRequest{LogGroupName: n, Tags: map[string]string{"team": "blue"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "app-1", RetentionInDays: ptr(int32(7))}); err != nil {
		t.Fatal(err)
	}
	names := func(gs []LogGroup) string {
		var out []string
		for _, g := range gs {
			out = append(out, *g.LogGroupName)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name string
		in   DescribeLogGroupsRequest
		want string
	}{
		{"all in name order", DescribeLogGroupsRequest{}, "/aws/batch/job,/aws/lambda/f,App-3,app-1,app-2,other"},
		{"prefix", DescribeLogGroupsRequest{LogGroupNamePrefix: ptr("/aws/")}, "/aws/batch/job,/aws/lambda/f"},
		{"pattern, any case", DescribeLogGroupsRequest{LogGroupNamePattern: ptr("APP")}, "App-3,app-1,app-2"},
		{"identifiers", DescribeLogGroupsRequest{LogGroupIdentifiers: []string{"other", "arn:aws:logs:us-east-1:123456789012:log-group:app-2:*"}}, "app-2,other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.DescribeLogGroups(ctx, &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(out.LogGroups); got != tt.want || out.NextToken != nil {
				t.Errorf("groups = %s (token %v), want %s", got, out.NextToken, tt.want)
			}
		})
	}
	t.Run("pages of two", func(t *testing.T) {
		var got []string
		var tok *string
		for range 10 {
			out, err := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{Limit: ptr(int32(2)), NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, names(out.LogGroups))
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if strings.Join(got, "|") != "/aws/batch/job,/aws/lambda/f|App-3,app-1|app-2,other" {
			t.Errorf("pages = %q", got)
		}
	})
	t.Run("fields", func(t *testing.T) {
		out, _ := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{LogGroupNamePrefix: ptr("app-1")})
		g := out.LogGroups[0]
		if *g.Arn != "arn:aws:logs:us-east-1:123456789012:log-group:app-1:*" || *g.LogGroupArn != "arn:aws:logs:us-east-1:123456789012:log-group:app-1" ||
			*g.CreationTime != nowMs || *g.RetentionInDays != 7 || *g.StoredBytes != 0 || g.LogGroupClass != "STANDARD" || *g.MetricFilterCount != 0 {
			t.Errorf("group = %+v", g)
		}
	})
	t.Run("prefix and pattern", func(t *testing.T) {
		_, err := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{LogGroupNamePrefix: ptr("a"), LogGroupNamePattern: ptr("b")})
		wantErr(t, err, "InvalidParameterException", "mutually exclusive")
	})
	t.Run("bad token", func(t *testing.T) {
		_, err := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{NextToken: ptr("!!")})
		wantErr(t, err, "InvalidParameterException", "nextToken")
	})
}

func TestRetentionPolicy(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	if err := s.CreateLogGroup(ctx, &CreateLogGroupRequest{LogGroupName: "g"}); err != nil {
		t.Fatal(err)
	}
	for _, days := range retentionDays {
		if err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "g", RetentionInDays: ptr(days)}); err != nil {
			t.Errorf("%d days: %v", days, err)
		}
	}
	for _, days := range []int32{0, 2, 4, 366, 3654, -1} {
		err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "g", RetentionInDays: ptr(days)})
		wantErr(t, err, "InvalidParameterException", "at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	if err := s.DeleteRetentionPolicy(ctx, &DeleteRetentionPolicyRequest{LogGroupName: "g"}); err != nil {
		t.Fatal(err)
	}
	out, _ := s.DescribeLogGroups(ctx, &DescribeLogGroupsRequest{})
	if out.LogGroups[0].RetentionInDays != nil {
		t.Errorf("retention after delete = %d", *out.LogGroups[0].RetentionInDays)
	}
	err := s.PutRetentionPolicy(ctx, &PutRetentionPolicyRequest{LogGroupName: "nope", RetentionInDays: ptr(int32(1))})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	err = s.DeleteRetentionPolicy(ctx, &DeleteRetentionPolicyRequest{LogGroupName: "nope"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestTags(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	ctx := context.Background()
	if err := s.CreateLogGroup(ctx, &CreateLogGroupRequest{LogGroupName: "g", Tags: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:g"
	list := func() map[string]string {
		t.Helper()
		a, err := s.ListTagsLogGroup(ctx, &ListTagsLogGroupRequest{LogGroupName: "g"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.ListTagsForResource(ctx, &ListTagsForResourceRequest{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(a.Tags, b.Tags) {
			t.Fatalf("ListTagsLogGroup %v != ListTagsForResource %v", a.Tags, b.Tags)
		}
		return a.Tags
	}
	if err := s.TagLogGroup(ctx, &TagLogGroupRequest{LogGroupName: "g", Tags: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.TagResource(ctx, &TagResourceRequest{ResourceArn: arn + ":*", Tags: map[string]string{"a": "one", "c": "3"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !maps.Equal(got, map[string]string{"a": "one", "b": "2", "c": "3"}) {
		t.Errorf("tags = %v", got)
	}
	if err := s.UntagLogGroup(ctx, &UntagLogGroupRequest{LogGroupName: "g", Tags: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UntagResource(ctx, &UntagResourceRequest{ResourceArn: arn, TagKeys: []string{"b", "absent"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !maps.Equal(got, map[string]string{"c": "3"}) {
		t.Errorf("tags = %v", got)
	}
	if got := s.LogGroupTags(ctx, "g"); !maps.Equal(got, map[string]string{"c": "3"}) {
		t.Errorf("LogGroupTags = %v", got)
	}
	if got := s.LogGroupTags(ctx, "nope"); got != nil {
		t.Errorf("LogGroupTags of a missing group = %v", got)
	}

	many := map[string]string{}
	for i := range 50 {
		many["k"+itoa(i)] = "v"
	}
	err := s.TagResource(ctx, &TagResourceRequest{ResourceArn: arn, Tags: many})
	wantErr(t, err, "TooManyTagsException", "50 tags")
	err = s.TagResource(ctx, &TagResourceRequest{ResourceArn: "arn:aws:logs:us-east-1:123456789012:log-group:nope", Tags: map[string]string{"a": "b"}})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	err = s.TagResource(ctx, &TagResourceRequest{ResourceArn: "arn:aws:logs:eu-west-1:123456789012:log-group:g", Tags: map[string]string{"a": "b"}})
	wantErr(t, err, "ResourceNotFoundException", "log group")
	err = s.TagResource(ctx, &TagResourceRequest{ResourceArn: "arn:aws:logs:us-east-1:123456789012:destination:d", Tags: map[string]string{"a": "b"}})
	wantErr(t, err, "InvalidParameterException", "log groups only")
	_, err = s.ListTagsLogGroup(ctx, &ListTagsLogGroupRequest{LogGroupName: "nope"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestLogGroupName(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	tests := []struct {
		name       string
		gname, gid *string
		want, code string
	}{
		{"name", ptr("g"), nil, "g", ""},
		{"identifier name", nil, ptr("g"), "g", ""},
		{"identifier ARN", nil, ptr("arn:aws:logs:us-east-1:123456789012:log-group:/a/b"), "/a/b", ""},
		{"identifier ARN with :*", nil, ptr("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:*"), "/a/b", ""},
		{"other account", nil, ptr("arn:aws:logs:us-east-1:999999999999:log-group:g"), "", "ResourceNotFoundException"},
		{"both", ptr("g"), ptr("g"), "", "InvalidParameterException"},
		{"neither", nil, nil, "", "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.LogGroupName(tt.gname, tt.gid)
			if tt.code != "" {
				wantErr(t, err, tt.code, "")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("LogGroupName = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
