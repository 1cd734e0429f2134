package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// vdoc wraps statements (JSON objects, comma-separated) in a 2012-10-17
// document.
func vdoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// wantFinding is the part of a Finding a case asserts exactly.
type wantFinding struct {
	sev  Severity
	code string
	path string
}

func (w wantFinding) String() string { return fmt.Sprintf("%s %s %s", w.sev, w.code, w.path) }

const (
	validateQueueARN = "arn:aws:batch:us-east-1:123456789012:job-queue/q"
	validateDefARN   = "arn:aws:batch:us-east-1:123456789012:job-definition/d:*"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	submit := `{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + validateQueueARN + `","` + validateDefARN + `"]}`
	tests := []struct {
		name   string
		kind   DocKind
		policy string
		want   []wantFinding
		// msg, when set, must appear in the first finding's message.
		msg string
	}{
		{
			name: "clean identity policy",
			kind: KindManaged,
			policy: vdoc(`{"Sid":"Submit1","Effect":"Allow","Action":["batch:SubmitJob","batch:Describe*"],
				"Resource":["`+validateQueueARN+`","arn:aws:batch:*:*:job-definition/${aws:username}*:*"],
				"Condition":{"StringEquals":{"aws:ResourceTag/team":"ml"},"Bool":{"aws:SecureTransport":"true"},
				"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}}`,
				`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/BatchJob",
				"Condition":{"StringEquals":{"iam:PassedToService":"batch.amazonaws.com"}}}`),
		},
		{
			name: "clean trust policy",
			kind: KindTrust,
			policy: vdoc(`{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com","AWS":["123456789012","arn:aws:iam::123456789012:role/ci"]},
				"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x1"}}}`),
		},
		{
			name: "clean resource policy",
			kind: KindResource,
			policy: vdoc(`{"Effect":"Deny","Principal":"*","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/batch/job:*",
				"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
		},
		{
			name:   "syntax error: unknown element",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Foo":1}`),
			want:   []wantFinding{{SeverityError, "SYNTAX_ERROR", "$.Statement[0].Foo"}},
			msg:    `unknown element "Foo"`,
		},
		{
			name:   "syntax error: truncated JSON",
			kind:   KindManaged,
			policy: `{"Version":"2012-10-17",`,
			want:   []wantFinding{{SeverityError, "SYNTAX_ERROR", "$"}},
		},
		{
			name:   "invalid condition: unknown operator",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}`),
			want:   []wantFinding{{SeverityError, "INVALID_CONDITION", "$.Statement[0].Condition.StringEqualz"}},
			msg:    `invalid condition operator "StringEqualz"`,
		},
		{
			name:   "invalid condition: value not a number",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitServiceJob","Resource":"*","Condition":{"NumericLessThan":{"batch:SchedulingPriority":"high"}}}`),
			want:   []wantFinding{{SeverityError, "INVALID_CONDITION", `$.Statement[0].Condition.NumericLessThan["batch:SchedulingPriority"]`}},
			msg:    "not a number",
		},
		{
			name:   "size over the inline user quota",
			kind:   KindInlineUser,
			policy: bigPolicy(2049),
			want:   []wantFinding{{SeverityError, "POLICY_SIZE_EXCEEDED", "$"}},
			msg:    "2049 characters",
		},
		{
			name:   "size within the inline role quota",
			kind:   KindInlineRole,
			policy: bigPolicy(2049),
		},
		{
			name:   "size exactly at the managed quota",
			kind:   KindManaged,
			policy: bigPolicy(6144),
		},
		{
			name:   "principal in an identity policy",
			kind:   KindInlineRole,
			policy: vdoc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"batch:SubmitJob","Resource":"*"}`),
			want:   []wantFinding{{SeverityError, "PRINCIPAL_NOT_ALLOWED", "$.Statement[0].Principal"}},
		},
		{
			name:   "not principal in a session policy",
			kind:   KindSession,
			policy: vdoc(`{"Effect":"Deny","NotPrincipal":"*","Action":"batch:SubmitJob","Resource":"*"}`),
			want:   []wantFinding{{SeverityError, "PRINCIPAL_NOT_ALLOWED", "$.Statement[0].NotPrincipal"}},
		},
		{
			name:   "identity policy without Resource",
			kind:   KindBoundary,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob"}`),
			want:   []wantFinding{{SeverityError, "MISSING_RESOURCE", "$.Statement[0]"}},
		},
		{
			name:   "resource policy without Principal",
			kind:   KindResource,
			policy: vdoc(submit),
			want:   []wantFinding{{SeverityError, "MISSING_PRINCIPAL", "$.Statement[0]"}},
		},
		{
			name:   "Sid with a hyphen in an identity policy",
			kind:   KindInlineGroup,
			policy: vdoc(`{"Sid":"allow-submit","Effect":"Allow","Action":"batch:SubmitJob","Resource":"*"}`),
			want:   []wantFinding{{SeverityError, "INVALID_SID", "$.Statement[0].Sid"}},
		},
		{
			name:   "Sid with a hyphen in a trust policy",
			kind:   KindTrust,
			policy: vdoc(`{"Sid":"allow-batch","Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}`),
		},
		{
			name:   "missing Version",
			kind:   KindManaged,
			policy: `{"Statement":` + submit + `}`,
			want:   []wantFinding{{SeverityWarning, "MISSING_VERSION", "$"}},
		},
		{
			name:   "policy variable without Version",
			kind:   KindManaged,
			policy: `{"Statement":{"Effect":"Allow","Action":"batch:GetJobQueueSnapshot","Resource":"arn:aws:batch:*:*:job-queue/${aws:username}"}}`,
			want: []wantFinding{
				{SeverityWarning, "MISSING_VERSION", "$"},
				{SeverityWarning, "POLICY_VARIABLE_IN_OLD_VERSION", "$.Statement.Resource"},
			},
		},
		{
			name: "policy variable under 2008-10-17",
			kind: KindManaged,
			policy: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"batch:CancelJob","Resource":"*",
				"Condition":{"StringLike":{"aws:ResourceTag/owner":["x","${aws:username}"]}}}]}`,
			want: []wantFinding{{SeverityWarning, "POLICY_VARIABLE_IN_OLD_VERSION", `$.Statement[0].Condition.StringLike["aws:ResourceTag/owner"][1]`}},
		},
		{
			name:   "unknown batch action",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:DescribeJobs","batch:SumbitJob","ec2:NotChecked"],"Resource":"*"}`),
			want:   []wantFinding{{SeverityError, "UNKNOWN_ACTION", "$.Statement[0].Action[1]"}},
			msg:    "did you mean batch:SubmitJob?",
		},
		{
			name:   "unknown action pattern in NotAction",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","NotAction":"logs:Frobnicate*","Resource":"*"}`),
			want:   []wantFinding{{SeverityError, "UNKNOWN_ACTION", "$.Statement[0].NotAction"}},
		},
		{
			name:   "action covered by a wildcard",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:*","batch:SubmitJob"],"Resource":"*"}`),
			want:   []wantFinding{{SeveritySuggestion, "REDUNDANT_ACTION", "$.Statement[0].Action[1]"}},
			msg:    `"batch:SubmitJob" is already matched by "batch:*"`,
		},
		{
			name:   "action repeated in another case",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["ecs:ListTasks","ecs:listtasks"],"Resource":"*"}`),
			want:   []wantFinding{{SeveritySuggestion, "REDUNDANT_ACTION", "$.Statement[0].Action[1]"}},
		},
		{
			name:   "action covered by an earlier prefix pattern of an unserved service",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["ecs:Describe*","ecs:DescribeTa*"],"Resource":"*"}`),
			want:   []wantFinding{{SeveritySuggestion, "REDUNDANT_ACTION", "$.Statement[0].Action[1]"}},
		},
		{
			name:   "malformed resource ARNs",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:us-east-1:job-queue/q","job-queue/*","arn::batch:us-east-1:123456789012:job-queue/q"]}`),
			want: []wantFinding{
				{SeverityError, "MALFORMED_ARN", "$.Statement[0].Resource[0]"},
				{SeverityError, "MALFORMED_ARN", "$.Statement[0].Resource[1]"},
				{SeverityError, "MALFORMED_ARN", "$.Statement[0].Resource[2]"},
			},
		},
		{
			name:   "invalid AWS principals",
			kind:   KindTrust,
			policy: vdoc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/ci-*","alice","*"]},"Action":"sts:AssumeRole"}`),
			want: []wantFinding{
				{SeverityError, "INVALID_PRINCIPAL", "$.Statement[0].Principal.AWS[0]"},
				{SeverityError, "INVALID_PRINCIPAL", "$.Statement[0].Principal.AWS[1]"},
			},
			msg: "cannot hold wildcards",
		},
		{
			name:   "Allow with NotAction",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}`),
			want:   []wantFinding{{SeveritySecurityWarning, "ALLOW_WITH_NOT_ACTION", "$.Statement[0].NotAction"}},
		},
		{
			name:   "Deny with NotAction",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","NotAction":"batch:Describe*","Resource":"*"}`),
		},
		{
			name:   "Allow with NotResource",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","NotResource":"` + validateQueueARN + `"}`),
			want:   []wantFinding{{SeveritySecurityWarning, "ALLOW_WITH_NOT_RESOURCE", "$.Statement[0].NotResource"}},
		},
		{
			name:   "PassRole by wildcard on every resource",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob","iam:Pass*"],"Resource":["` + validateQueueARN + `","*"]}`),
			want:   []wantFinding{{SeveritySecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "$.Statement[0].Resource[1]"}},
		},
		{
			name:   "PassRole on every role ARN",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/*"}`),
			want:   []wantFinding{{SeveritySecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "$.Statement[0].Resource"}},
		},
		{
			name:   "ForAllValues with Allow",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:TagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]}}}`),
			want:   []wantFinding{{SeveritySecurityWarning, "FORALLVALUES_WITH_ALLOW", `$.Statement[0].Condition["ForAllValues:StringEquals"]["aws:TagKeys"]`}},
		},
		{
			name: "ForAllValues with Allow and the key required",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:TagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]},
				"Null":{"aws:TagKeys":"false"}}}`),
		},
		{
			name:   "unknown global condition key",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"StringEquals":{"aws:usernam":"alice"}}}`),
			want:   []wantFinding{{SeverityError, "UNKNOWN_CONDITION_KEY", `$.Statement[0].Condition.StringEquals["aws:usernam"]`}},
		},
		{
			name:   "unknown batch condition key",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"StringEquals":{"batch:Queue":"q"}}}`),
			want:   []wantFinding{{SeverityError, "UNKNOWN_CONDITION_KEY", `$.Statement[0].Condition.StringEquals["batch:Queue"]`}},
		},
		{
			name:   "batch:ResourceTag is not in the reference",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"StringEquals":{"batch:ResourceTag/team":"ml"}}}`),
			want:   []wantFinding{{SeverityWarning, "UNKNOWN_CONDITION_KEY", `$.Statement[0].Condition.StringEquals["batch:ResourceTag/team"]`}},
			msg:    "use aws:ResourceTag/team",
		},
		{
			name:   "key of another service is not checked",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringEquals":{"ec2:InstanceType":"t3.micro"}}}`),
		},
		{
			name:   "condition key no action supports",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob","batch:CancelJob"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"batch.amazonaws.com"}}}`),
			want:   []wantFinding{{SeverityWarning, "UNKNOWN_CONDITION_FOR_ACTION", `$.Statement[0].Condition.StringEquals["iam:PassedToService"]`}},
			msg:    "(batch:SubmitJob, batch:CancelJob)",
		},
		{
			name:   "condition key support not judged with an unserved action",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob","ec2:RunInstances"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"batch.amazonaws.com"}}}`),
		},
		{
			name:   "numeric operator on a string key",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"NumericEquals":{"aws:PrincipalAccount":"123456789012"}}}`),
			want:   []wantFinding{{SeverityWarning, "MISMATCHED_TYPE", `$.Statement[0].Condition.NumericEquals["aws:PrincipalAccount"]`}},
		},
		{
			name:   "ARN operator on a string key",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"ArnLike":{"aws:username":"arn:aws:iam::*:user/a"}}}`),
			want:   []wantFinding{{SeverityWarning, "MISMATCHED_TYPE", `$.Statement[0].Condition.ArnLike["aws:username"]`}},
		},
		{
			name: "operators that fit their keys",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{
				"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci"},"ArnEquals":{"aws:SourceArn":"arn:aws:events:*:*:rule/x"},
				"NumericLessThan":{"aws:EpochTime":"1900000000","aws:MultiFactorAuthAge":"3600"},"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"},
				"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Null":{"aws:TokenIssueTime":"false"},"BoolIfExists":{"aws:ViaAWSService":"false"}}}`),
		},
		{
			name:   "multivalued key without a set operator",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","Action":"batch:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"team"}}}`),
			want:   []wantFinding{{SeverityWarning, "MISSING_SET_OPERATOR", `$.Statement[0].Condition.StringEquals["aws:TagKeys"]`}},
		},
		{
			name:   "set operator on a single-valued key",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:username":"alice"}}}`),
			want:   []wantFinding{{SeverityWarning, "SET_OPERATOR_ON_SINGLE_VALUED_KEY", `$.Statement[0].Condition["ForAnyValue:StringEquals"]["aws:username"]`}},
		},
		{
			name:   "unknown policy variable",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:GetJobQueueSnapshot","batch:CancelJob"],"Resource":["arn:aws:batch:*:*:job-queue/${aws:usrname}","arn:aws:batch:*:*:job/${ec2:SourceInstanceARN}"]}`),
			want:   []wantFinding{{SeverityWarning, "UNKNOWN_POLICY_VARIABLE", "$.Statement[0].Resource[0]"}},
		},
		{
			name:   "repeated statement",
			kind:   KindManaged,
			policy: vdoc(submit, `{"Effect":"Allow","Action":"batch:ListJobs","Resource":"*"}`, `{"Sid":"Again","Effect":"Allow","Action":["batch:submitjob"],"Resource":["`+validateDefARN+`","`+validateQueueARN+`"]}`),
			want:   []wantFinding{{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[2]"}},
			msg:    "$.Statement[0]",
		},
		{
			name:   "same actions with another effect",
			kind:   KindManaged,
			policy: vdoc(submit, `{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"`+validateQueueARN+`"}`),
		},
		{
			name: "findings sorted by severity then path",
			kind: KindManaged,
			policy: `{"Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"batch:ListJobs","Resource":"*"},`, 10) +
				`{"Effect":"Allow","NotAction":["batch:Nope","batch:Nope"],"Resource":"*"}]}`,
			want: []wantFinding{
				{SeverityError, "UNKNOWN_ACTION", "$.Statement[10].NotAction[0]"},
				{SeverityError, "UNKNOWN_ACTION", "$.Statement[10].NotAction[1]"},
				{SeveritySecurityWarning, "ALLOW_WITH_NOT_ACTION", "$.Statement[10].NotAction"},
				{SeveritySecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "$.Statement[10].Resource"},
				{SeverityWarning, "MISSING_VERSION", "$"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[1]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[2]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[3]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[4]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[5]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[6]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[7]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[8]"},
				{SeveritySuggestion, "REDUNDANT_STATEMENT", "$.Statement[9]"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Validate([]byte(tt.policy), tt.kind)
			var gotW []wantFinding
			for _, f := range got {
				gotW = append(gotW, wantFinding{f.Severity, f.Code, f.Path})
			}
			if !slices.Equal(gotW, tt.want) {
				var w strings.Builder
				for _, f := range tt.want {
					fmt.Fprintf(&w, "  %s\n", f)
				}
				t.Fatalf("findings:\n%swant:\n%s", formatFindings(got), w.String())
			}
			if tt.msg != "" && !strings.Contains(got[0].Message, tt.msg) {
				t.Errorf("message %q does not contain %q", got[0].Message, tt.msg)
			}
			if HasErrors(got) != slices.ContainsFunc(tt.want, func(w wantFinding) bool { return w.sev == SeverityError }) {
				t.Errorf("HasErrors = %v", HasErrors(got))
			}
		})
	}
}

func formatFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", f.Severity, f.Code, f.Path, f.Message)
	}
	return b.String()
}

// bigPolicy is a valid identity policy of exactly n non-whitespace
// characters (n must be at least 150).
func bigPolicy(n int) string {
	const prefix = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "batch:GetJobQueueSnapshot", "Resource": "arn:aws:batch:*:*:job-queue/`
	const suffix = `"}]}`
	count := func(s string) int {
		c := 0
		for _, r := range s {
			if r != ' ' {
				c++
			}
		}
		return c
	}
	return prefix + strings.Repeat("q", n-count(prefix)-count(suffix)) + suffix
}

func TestValidateBuiltins(t *testing.T) {
	t.Parallel()
	for _, m := range Builtins() {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			if fs := Validate([]byte(m.Document), KindManaged); HasErrors(fs) {
				t.Errorf("errors in a built-in managed policy:\n%s", formatFindings(fs))
			}
		})
	}
}

func TestDocKind(t *testing.T) {
	t.Parallel()
	for k := KindManaged; k <= KindTrust; k++ {
		got, err := ParseDocKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseDocKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	if _, err := ParseDocKind("identity"); err == nil {
		t.Error("ParseDocKind(\"identity\") succeeded")
	}
	if got := DocKind(42).String(); got != "DocKind(42)" {
		t.Errorf("DocKind(42).String() = %q", got)
	}
	// An out-of-range kind is neither identity nor resource-based: only
	// kind-independent checks apply.
	if fs := Validate([]byte(vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob"}`)), DocKind(42)); len(fs) != 0 {
		t.Errorf("findings for an unknown kind:\n%s", formatFindings(fs))
	}
}

func FuzzValidate(f *testing.F) {
	// A clean identity policy with a condition and a policy variable.
	f.Add([]byte(vdoc(`{"Sid":"A","Effect":"Allow","Action":["batch:SubmitJob","batch:Describe*"],"Resource":"arn:aws:batch:*:*:job-queue/${aws:username}",
		"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"Null":{"aws:TagKeys":"false"}}}`)))
	// A trust policy with principals of every type.
	f.Add([]byte(vdoc(`{"Effect":"Allow","Principal":{"AWS":["*","123456789012","arn:aws:iam::1:role/*"],"Service":"batch.amazonaws.com","Federated":"x"},
		"Action":"sts:AssumeRole"}`)))
	// A single statement object without Version, NotAction and NotResource.
	f.Add([]byte(`{"Statement":{"Effect":"Allow","NotAction":"iam:Pass*","NotResource":"arn:aws:iam::*:role/${x"}}`))
	// Bad operators, values and keys.
	f.Add([]byte(vdoc(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Foo":{"a":"b"},"NumericEquals":{"aws:username":"x"},"ForAnyValue:Null":{"k":"true"}}}`)))
	// Not JSON.
	f.Add([]byte(`{"Version":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, parseErr := Parse(data)
		for k := KindManaged; k <= KindTrust+1; k++ {
			fs := Validate(data, k)
			for i, f := range fs {
				known := []Severity{SeverityError, SeveritySecurityWarning, SeverityWarning, SeveritySuggestion}
				if f.Code == "" || f.Path == "" || f.Message == "" || !slices.Contains(known, f.Severity) {
					t.Fatalf("incomplete finding %+v", f)
				}
				if i > 0 && fs[i-1].Severity.rank() > f.Severity.rank() {
					t.Fatalf("findings not sorted by severity:\n%s", formatFindings(fs))
				}
			}
			syntax := slices.ContainsFunc(fs, func(f Finding) bool { return f.Code == "SYNTAX_ERROR" })
			if syntax != (parseErr != nil) {
				t.Fatalf("SYNTAX_ERROR reported: %v, Parse error: %v", syntax, parseErr)
			}
		}
	})
}
