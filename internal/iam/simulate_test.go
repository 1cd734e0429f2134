package iam

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// rtCLIExample is the document of the AWS CLI's simulate-custom-policy
// example, whose output places its statement at 1:38 to 1:167.
const rtCLIExample = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`

const rtPretty = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "A",
            "Effect": "Allow",
            "Action": "batch:Describe*",
            "Resource": "*"
        },
        {
            "Sid": "B",
            "Effect": "Deny",
            "Action": "batch:SubmitJob",
            "Resource": "*"
        }
    ]
}`

const (
	rtAllowBatch    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:*","Resource":"*"}]}`
	rtDenySubmit    = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"*"}]}`
	rtAllowDescribe = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:Describe*","Resource":"*"}]}`
	rtBoundaryARN   = "arn:aws:iam::123456789012:policy/Boundary"
	rtTeamPolicy    = "arn:aws:iam::123456789012:policy/Team"
)

func rtMatched(id, typ string, start, end Position) MatchedStatement {
	return MatchedStatement{SourcePolicyID: id, SourcePolicyType: typ, StartPosition: start, EndPosition: end}
}

func TestSimulateCustomPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	at := func(date string) []ContextEntry {
		return []ContextEntry{{Key: "aws:CurrentTime", Values: []string{date}, Type: "date"}}
	}
	cliStatement := rtMatched("PolicyInputList.1", SourceNone, Position{1, 38}, Position{1, 167})
	allowed, denied := true, false
	tests := []struct {
		name     string
		in       SimulateInput
		decision string
		matched  []MatchedStatement
		missing  []string
		boundary *bool
	}{
		{name: "allowed, as in the AWS CLI example",
			in:       SimulateInput{PolicyInputList: []string{rtCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}, ContextEntries: at("2019-04-25T11:00:00Z")},
			decision: DecisionAllowed, matched: []MatchedStatement{cliStatement}},
		{name: "condition false: implicit deny",
			in:       SimulateInput{PolicyInputList: []string{rtCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}, ContextEntries: at("2014-04-25T11:00:00Z")},
			decision: DecisionImplicitDeny},
		{name: "missing context value",
			in:       SimulateInput{PolicyInputList: []string{rtCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}},
			decision: DecisionImplicitDeny, missing: []string{"aws:CurrentTime"}},
		{name: "missing policy variable, spelled as written",
			in: SimulateInput{
				PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/Team}"}}}}`},
				ActionNames:     []string{"batch:TagResource"}, ContextEntries: []ContextEntry{{Key: "aws:RequestTag/team", Values: []string{"a"}}},
			},
			decision: DecisionImplicitDeny, missing: []string{"aws:PrincipalTag/Team"}},
		{name: "no statement applies: implicit deny",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch}, ActionNames: []string{"iam:CreateUser"}},
			decision: DecisionImplicitDeny},
		{name: "explicit deny lists only the deny",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch, rtDenySubmit}, ActionNames: []string{"batch:SubmitJob"}},
			decision: DecisionExplicitDeny, matched: []MatchedStatement{rtMatched("PolicyInputList.2", SourceNone, Position{1, 39}, Position{1, 97})}},
		{name: "pretty-printed allow",
			in:       SimulateInput{PolicyInputList: []string{rtPretty}, ActionNames: []string{"batch:DescribeJobs"}},
			decision: DecisionAllowed, matched: []MatchedStatement{rtMatched("PolicyInputList.1", SourceNone, Position{4, 10}, Position{9, 10})}},
		{name: "pretty-printed deny",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch, rtPretty}, ActionNames: []string{"batch:SubmitJob"}},
			decision: DecisionExplicitDeny, matched: []MatchedStatement{rtMatched("PolicyInputList.2", SourceNone, Position{10, 10}, Position{15, 10})}},
		{name: "boundary denies",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch}, PermissionsBoundaryPolicyInputList: []string{rtAllowDescribe}, ActionNames: []string{"batch:SubmitJob"}},
			decision: DecisionImplicitDeny, boundary: &denied},
		{name: "boundary allows",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch}, PermissionsBoundaryPolicyInputList: []string{rtAllowDescribe}, ActionNames: []string{"batch:DescribeJobs"}},
			decision: DecisionAllowed, matched: []MatchedStatement{rtMatched("PolicyInputList.1", SourceNone, Position{1, 39}, Position{1, 90})}, boundary: &allowed},
		{name: "deny in the boundary",
			in:       SimulateInput{PolicyInputList: []string{rtAllowBatch}, PermissionsBoundaryPolicyInputList: []string{rtAllowBatch, rtDenySubmit}, ActionNames: []string{"batch:SubmitJob"}},
			decision: DecisionExplicitDeny, boundary: &denied},
		{name: "resource policy naming the caller",
			in: SimulateInput{
				CallerARN: "arn:aws:iam::123456789012:user/alice", ActionNames: []string{"batch:SubmitJob"},
				ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"batch:SubmitJob","Resource":"*"}]}`,
			},
			decision: DecisionAllowed, matched: []MatchedStatement{rtMatched("ResourcePolicy", SourceResource, Position{1, 39}, Position{1, 157})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := s.SimulateCustomPolicy(ctx, tc.in)
			rtMust(t, err)
			if len(out.Results) != 1 || out.Truncated {
				t.Fatalf("results %+v", out)
			}
			r := out.Results[0]
			if r.ActionName != tc.in.ActionNames[0] || r.ResourceName != "*" || r.ResourceSpecificResults != nil {
				t.Errorf("result %+v", r)
			}
			if r.Decision != tc.decision {
				t.Errorf("decision %s, want %s", r.Decision, tc.decision)
			}
			if !slices.Equal(r.MatchedStatements, append([]MatchedStatement{}, tc.matched...)) {
				t.Errorf("matched %+v\nwant    %+v", r.MatchedStatements, tc.matched)
			}
			if !slices.Equal(r.MissingContextValues, append([]string{}, tc.missing...)) {
				t.Errorf("missing %v, want %v", r.MissingContextValues, tc.missing)
			}
			switch {
			case tc.boundary == nil && r.PermissionsBoundaryDecisionDetail != nil:
				t.Errorf("boundary detail %+v without a boundary", r.PermissionsBoundaryDecisionDetail)
			case tc.boundary != nil && (r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != *tc.boundary):
				t.Errorf("boundary detail %+v, want allowed %v", r.PermissionsBoundaryDecisionDetail, *tc.boundary)
			}
		})
	}
}

func TestSimulateErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "/svc/")
	actions := []string{"batch:SubmitJob"}
	tests := []struct {
		name      string
		custom    bool
		in        SimulateInput
		code, msg string
	}{
		{name: "policy input not JSON", custom: true, in: SimulateInput{PolicyInputList: []string{rtAllowBatch, "{"}, ActionNames: actions},
			code: CodeInvalidInput, msg: "$: unexpected end of JSON input"},
		{name: "policy input without Statement", custom: true, in: SimulateInput{PolicyInputList: []string{`{"Version":"2012-10-17"}`}, ActionNames: actions},
			code: CodeInvalidInput, msg: "$: missing required element Statement"},
		{name: "boundary input not JSON", custom: true, in: SimulateInput{PolicyInputList: []string{rtAllowBatch}, PermissionsBoundaryPolicyInputList: []string{"["}, ActionNames: actions},
			code: CodeInvalidInput, msg: "$: unexpected end of JSON input"},
		{name: "resource policy not JSON", custom: true, in: SimulateInput{CallerARN: "arn:aws:iam::123456789012:user/alice", ResourcePolicy: "{", ActionNames: actions},
			code: CodeInvalidInput, msg: "$: unexpected end of JSON input"},
		{name: "resource policy without caller", custom: true, in: SimulateInput{PolicyInputList: []string{rtAllowBatch}, ResourcePolicy: rtAllowBatch, ActionNames: actions},
			code: CodeInvalidInput, msg: "CallerArn must be specified when a ResourcePolicy is provided."},
		{name: "caller is a session", custom: true, in: SimulateInput{PolicyInputList: []string{rtAllowBatch}, CallerARN: "arn:aws:sts::123456789012:assumed-role/app/s", ActionNames: actions},
			code: CodeInvalidInput, msg: "Invalid CallerArn arn:aws:sts::123456789012:assumed-role/app/s: it must be the ARN of an IAM user, group or role."},
		{name: "no such user", in: SimulateInput{PolicySourceARN: "arn:aws:iam::123456789012:user/nobody", ActionNames: actions},
			code: CodeNoSuchEntity, msg: "The user with name nobody cannot be found."},
		{name: "no such group", in: SimulateInput{PolicySourceARN: "arn:aws:iam::123456789012:group/nobody", ActionNames: actions},
			code: CodeNoSuchEntity, msg: "The group with name nobody cannot be found."},
		{name: "role under another path", in: SimulateInput{PolicySourceARN: "arn:aws:iam::123456789012:role/app", ActionNames: actions},
			code: CodeNoSuchEntity, msg: "The role with name app cannot be found."},
		{name: "not an entity ARN", in: SimulateInput{PolicySourceARN: "arn:aws:iam::123456789012:policy/x", ActionNames: actions},
			code: CodeInvalidInput, msg: "ARN arn:aws:iam::123456789012:policy/x is not valid."},
		{name: "another account", in: SimulateInput{PolicySourceARN: "arn:aws:iam::999999999999:role/svc/app", ActionNames: actions},
			code: CodeInvalidInput, msg: "ARN arn:aws:iam::999999999999:role/svc/app is not valid."},
		{name: "bad marker", custom: true, in: SimulateInput{PolicyInputList: []string{rtAllowBatch}, ActionNames: actions, Page: Page{Marker: "x"}},
			code: CodeInvalidInput, msg: "Invalid Marker."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.custom {
				_, err = s.SimulateCustomPolicy(ctx, tc.in)
			} else {
				_, err = s.SimulatePrincipalPolicy(ctx, tc.in)
			}
			rtWantErr(t, err, tc.code, tc.msg)
		})
	}
}

// rtSimFixture: alice (inline "own" allows batch:*, boundary Boundary
// allows batch:* but denies batch:DeleteJobQueue) is in devs (inline "g"
// denies batch:SubmitJob on the prod queue; Team allows iam:Get*); the role
// app has AdministratorAccess.
func rtSimFixture(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtStore(t, s, kindPolicy, rtBoundaryARN, &ManagedPolicy{
		Name: "Boundary", Path: "/", ARN: rtBoundaryARN, DefaultVersion: "v1", IsAttachable: true,
		Versions: []PolicyVersion{{ID: "v1", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:*","Resource":"*"},{"Effect":"Deny","Action":"batch:DeleteJobQueue","Resource":"*"}]}`}},
	})
	rtStore(t, s, kindPolicy, rtTeamPolicy, &ManagedPolicy{
		Name: "Team", Path: "/", ARN: rtTeamPolicy, DefaultVersion: "v1", IsAttachable: true,
		Versions: []PolicyVersion{{ID: "v1", Document: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}`}},
	})
	_, err := s.CreateUser(ctx, CreateUserInput{Name: "alice", Boundary: rtBoundaryARN})
	rtMust(t, err)
	rtMust(t, s.PutUserPolicy(ctx, "alice", "own", rtAllowBatch))
	rtStore(t, s, kindGroup, nameKey("devs"), &Group{
		Name: "devs", Path: "/", ARN: "arn:aws:iam::123456789012:group/devs", AttachedPolicies: []string{rtTeamPolicy},
		InlinePolicies: map[string]string{"g": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/prod"}]}`},
	})
	u, err := s.GetUser(ctx, "alice")
	rtMust(t, err)
	u.Groups = []string{"devs"}
	rtStore(t, s, kindUser, nameKey("alice"), u)
	rtRole(t, s, "app", "")
	rtMust(t, s.AttachRolePolicy(ctx, "app", rtAdmin))
	return s
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := rtSimFixture(t)
	const (
		alice = "arn:aws:iam::123456789012:user/alice"
		devs  = "arn:aws:iam::123456789012:group/devs"
		app   = "arn:aws:iam::123456789012:role/app"
		prod  = "arn:aws:batch:us-east-1:123456789012:job-queue/prod"
	)
	own := rtMatched("own", SourceUser, Position{1, 39}, Position{1, 90})
	team := rtMatched(rtTeamPolicy, SourceUserManaged, Position{1, 38}, Position{1, 90})
	tests := []struct {
		name     string
		in       SimulateInput
		decision string
		matched  []MatchedStatement
		boundary *bool
	}{
		{name: "user's own inline policy allows", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"batch:DescribeJobs"}},
			decision: DecisionAllowed, matched: []MatchedStatement{own}, boundary: new(true)},
		{name: "group's managed policy allows, outside the boundary", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"iam:GetUser"}},
			decision: DecisionImplicitDeny, boundary: new(false)},
		{name: "boundary denies explicitly", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"batch:DeleteJobQueue"}},
			decision: DecisionExplicitDeny, boundary: new(false)},
		{name: "boundary input replaces the user's", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"iam:GetUser"}, PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`}},
			decision: DecisionAllowed, matched: []MatchedStatement{team}, boundary: new(true)},
		{name: "group inline deny on a resource", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"batch:SubmitJob"}, ResourceARNs: []string{prod}},
			decision: DecisionExplicitDeny, matched: []MatchedStatement{rtMatched("g", SourceGroup, Position{1, 39}, Position{1, 128})}, boundary: new(true)},
		{name: "extra policy input", in: SimulateInput{PolicySourceARN: alice, ActionNames: []string{"batch:SubmitJob"}, PolicyInputList: []string{rtDenySubmit}},
			decision: DecisionExplicitDeny, matched: []MatchedStatement{rtMatched("PolicyInputList.1", SourceNone, Position{1, 39}, Position{1, 97})}, boundary: new(true)},
		{name: "group alone", in: SimulateInput{PolicySourceARN: devs, ActionNames: []string{"iam:GetRole"}},
			decision: DecisionAllowed, matched: []MatchedStatement{team}},
		{name: "group alone has no batch", in: SimulateInput{PolicySourceARN: devs, ActionNames: []string{"batch:DescribeJobs"}},
			decision: DecisionImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := s.SimulatePrincipalPolicy(ctx, tc.in)
			rtMust(t, err)
			if len(out.Results) != 1 {
				t.Fatalf("results %+v", out.Results)
			}
			r := out.Results[0]
			if r.Decision != tc.decision {
				t.Errorf("decision %s, want %s", r.Decision, tc.decision)
			}
			detail := r.PermissionsBoundaryDecisionDetail
			matched, missing := r.MatchedStatements, r.MissingContextValues
			if len(tc.in.ResourceARNs) > 0 {
				if len(r.ResourceSpecificResults) != 1 || len(r.MissingContextValues) != 0 || r.ResourceName != tc.in.ResourceARNs[0] {
					t.Fatalf("result %+v", r)
				}
				rr := r.ResourceSpecificResults[0]
				if rr.ResourceName != r.ResourceName || rr.Decision != r.Decision {
					t.Errorf("resource result %+v", rr)
				}
				missing = rr.MissingContextValues
			}
			if !slices.Equal(matched, append([]MatchedStatement{}, tc.matched...)) {
				t.Errorf("matched %+v\nwant    %+v", matched, tc.matched)
			}
			if len(missing) != 0 {
				t.Errorf("missing %v", missing)
			}
			switch {
			case tc.boundary == nil && detail != nil:
				t.Errorf("boundary detail %+v without a boundary", detail)
			case tc.boundary != nil && (detail == nil || detail.AllowedByPermissionsBoundary != *tc.boundary):
				t.Errorf("boundary detail %+v, want allowed %v", detail, *tc.boundary)
			}
		})
	}

	t.Run("role with an AWS managed policy", func(t *testing.T) {
		t.Parallel()
		out, err := s.SimulatePrincipalPolicy(ctx, SimulateInput{PolicySourceARN: app, ActionNames: []string{"batch:SubmitJob"}})
		rtMust(t, err)
		r := out.Results[0]
		if r.Decision != DecisionAllowed || len(r.MatchedStatements) != 1 {
			t.Fatalf("result %+v", r)
		}
		m := r.MatchedStatements[0]
		if m.SourcePolicyID != rtAdmin || m.SourcePolicyType != SourceAWSManaged || m.StartPosition.Line == 0 || m.EndPosition.Line < m.StartPosition.Line {
			t.Errorf("matched %+v", m)
		}
	})
	t.Run("resource policy naming another user", func(t *testing.T) {
		t.Parallel()
		out, err := s.SimulatePrincipalPolicy(ctx, SimulateInput{
			PolicySourceARN: devs, CallerARN: "arn:aws:iam::123456789012:user/bob", ActionNames: []string{"batch:DescribeJobs"},
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"batch:*","Resource":"*"}]}`,
		})
		rtMust(t, err)
		if r := out.Results[0]; r.Decision != DecisionImplicitDeny || len(r.MatchedStatements) != 0 {
			t.Errorf("result %+v", r)
		}
	})
}

func TestSimulateResourcesAndPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}]}`
	in := SimulateInput{
		PolicyInputList: []string{doc}, ActionNames: []string{"batch:SubmitJob", "batch:CancelJob"},
		ResourceARNs: []string{"arn:aws:batch:us-east-1:123456789012:job-queue/q1", "arn:aws:batch:us-east-1:123456789012:job-queue/q2"},
		Page:         Page{MaxItems: 3},
	}
	out, err := s.SimulateCustomPolicy(ctx, in)
	rtMust(t, err)
	if len(out.Results) != 3 || !out.Truncated || out.Marker == "" {
		t.Fatalf("page 1 %+v", out)
	}
	type pair struct{ action, resource string }
	var got []pair
	for _, r := range out.Results {
		got = append(got, pair{r.ActionName, r.ResourceName})
		if len(r.MissingContextValues) != 0 || len(r.ResourceSpecificResults) != 1 {
			t.Errorf("result %+v", r)
			continue
		}
		rr := r.ResourceSpecificResults[0]
		if rr.Decision != DecisionImplicitDeny || !slices.Equal(rr.MissingContextValues, []string{"aws:ResourceTag/team"}) {
			t.Errorf("resource result %+v", rr)
		}
	}
	in.Page.Marker = out.Marker
	out, err = s.SimulateCustomPolicy(ctx, in)
	rtMust(t, err)
	if len(out.Results) != 1 || out.Truncated {
		t.Fatalf("page 2 %+v", out)
	}
	got = append(got, pair{out.Results[0].ActionName, out.Results[0].ResourceName})
	want := []pair{
		{"batch:SubmitJob", in.ResourceARNs[0]}, {"batch:SubmitJob", in.ResourceARNs[1]},
		{"batch:CancelJob", in.ResourceARNs[0]}, {"batch:CancelJob", in.ResourceARNs[1]},
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %v", got)
	}

	// With the tag given, the same policy allows.
	in.Page = Page{}
	in.ContextEntries = []ContextEntry{{Key: "aws:ResourceTag/team", Values: []string{"a"}, Type: "string"}}
	out, err = s.SimulateCustomPolicy(ctx, in)
	rtMust(t, err)
	for _, r := range out.Results {
		if r.Decision != DecisionAllowed || r.ResourceSpecificResults[0].Decision != DecisionAllowed || len(r.ResourceSpecificResults[0].MatchedStatements) != 1 {
			t.Errorf("result %+v", r)
		}
	}
}

func TestGetContextKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	doc1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/${*}",` +
		`"Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}","s3:prefix":"x"}}}]}`
	doc2 := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringLike":{"AWS:UserName":"${aws:userid, 'none'}"}}}}`
	doc2008 := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`
	s := newRolesTestService(t)
	tests := []struct {
		name string
		docs []string
		want []string
	}{
		{name: "order of appearance, each once", docs: []string{doc1, doc2},
			want: []string{"aws:username", "aws:RequestTag/team", "aws:PrincipalTag/team", "s3:prefix", "aws:SecureTransport", "aws:userid"}},
		{name: "no variables before 2012-10-17", docs: []string{doc2008}, want: []string{}},
		{name: "no documents", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.GetContextKeysForCustomPolicy(tc.docs)
			rtMust(t, err)
			if !slices.Equal(got, tc.want) {
				t.Errorf("keys %v, want %v", got, tc.want)
			}
		})
	}
	_, err := s.GetContextKeysForCustomPolicy([]string{doc1, "{"})
	rtWantErr(t, err, CodeInvalidInput, "$: unexpected end of JSON input")

	p := rtSimFixture(t)
	rtMust(t, p.PutUserPolicy(ctx, "alice", "cond", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:*","Resource":"*","Condition":{"StringEquals":{"batch:ShareIdentifier":"x"}}}}`))
	got, err := p.GetContextKeysForPrincipalPolicy(ctx, "arn:aws:iam::123456789012:user/alice", []string{doc2})
	rtMust(t, err)
	if want := []string{"batch:ShareIdentifier", "aws:SecureTransport", "AWS:UserName", "aws:userid"}; !slices.Equal(got, want) {
		t.Errorf("principal keys %v, want %v", got, want)
	}
	_, err = p.GetContextKeysForPrincipalPolicy(ctx, "arn:aws:iam::123456789012:user/nobody", nil)
	rtWantErr(t, err, CodeNoSuchEntity, "The user with name nobody cannot be found.")
	_, err = p.GetContextKeysForPrincipalPolicy(ctx, "arn:aws:iam::123456789012:user/alice", []string{"nope"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidInput {
		t.Errorf("error %v, want InvalidInput", err)
	}
}
