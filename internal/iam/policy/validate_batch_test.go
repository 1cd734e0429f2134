package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// batchCase is a Validate case for the Batch checks. Only the findings
// whose code is in batchCodes are compared, so that a case can hold a whole
// AWS example without asserting the other checks' findings.
type batchCase struct {
	name   string
	kind   DocKind
	policy string
	want   []wantFinding
	msg    string // when set, must appear in the first wanted finding's message
}

var batchCodes = []string{
	"SUBMIT_JOB_WITHOUT_JOB_QUEUE",
	"SUBMIT_JOB_WITHOUT_JOB_DEFINITION",
	"JOB_DEFINITION_WITHOUT_REVISION",
	"JOB_DEFINITION_TAGS_SKIPPED_WITHOUT_REVISION",
	"PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL",
	"RESOURCE_TYPE_MISMATCH",
}

func runBatchCases(t *testing.T, tests []batchCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Validate([]byte(tt.policy), tt.kind)
			var gotW []wantFinding
			var first *Finding
			for i, f := range got {
				if !slices.Contains(batchCodes, f.Code) {
					continue
				}
				if first == nil {
					first = &got[i]
				}
				gotW = append(gotW, wantFinding{f.Severity, f.Code, f.Path})
			}
			if !slices.Equal(gotW, tt.want) {
				var w strings.Builder
				for _, f := range tt.want {
					fmt.Fprintf(&w, "  %s\n", f)
				}
				t.Fatalf("findings:\n%swant:\n%s", formatFindings(got), w.String())
			}
			if tt.msg != "" && !strings.Contains(first.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", first.Message, tt.msg)
			}
		})
	}
}

// The AWS Batch User Guide's SubmitJob example policies, as published
// (account and region filled in).
var (
	// "Resource: Restrict to a job queue".
	awsExampleQueue = vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob"],"Resource":[
		"arn:aws:batch:us-east-2:888888888888:job-definition/*","arn:aws:batch:us-east-2:888888888888:job-queue/queue1"]}`)
	// "Resource: Restrict to job definition prefix on job submission".
	awsExamplePrefix = vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob"],"Resource":[
		"arn:aws:batch:us-east-2:111122223333:job-definition/JobDefA_*","arn:aws:batch:us-east-2:111122223333:job-queue/*"]}`)
	// Same page, "Accounting for job definition revisions": one revision,
	// then every revision.
	awsExampleRevision = vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":[
		"arn:aws:batch:us-east-1:111122223333:job-definition/my-job-def:1","arn:aws:batch:us-east-1:111122223333:job-queue/*"]}`)
	awsExampleRevisions = vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":[
		"arn:aws:batch:us-east-1:111122223333:job-definition/my-job-def:*","arn:aws:batch:us-east-1:111122223333:job-queue/*"]}`)
	// "Resource: Restrict job submission by resource tags on job definition
	// and job queue".
	awsExampleTags = vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/*",
		"Condition":{"StringEquals":{"aws:ResourceTag/Environment":"dev"}}}`,
		`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-definition/*:*",
		"Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`)
)

func TestValidateSubmitJobTargets(t *testing.T) {
	t.Parallel()
	const (
		queue = "arn:aws:batch:us-east-1:123456789012:job-queue/q"
		def   = "arn:aws:batch:us-east-1:123456789012:job-definition/d:*"
	)
	runBatchCases(t, []batchCase{
		{name: "AWS example: restrict to a job queue", kind: KindManaged, policy: awsExampleQueue},
		{name: "AWS example: restrict to a job definition prefix", kind: KindManaged, policy: awsExamplePrefix},
		{name: "AWS example: one revision", kind: KindManaged, policy: awsExampleRevision},
		{name: "AWS example: every revision", kind: KindManaged, policy: awsExampleRevisions},
		{name: "AWS example: resource tags", kind: KindInlineRole, policy: awsExampleTags},
		{
			name:   "queue only",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"` + queue + `"}`),
			want:   []wantFinding{{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].Resource"}},
			msg:    `Resource: Restrict to a job queue`,
		},
		{
			name:   "definition only, by batch:*",
			kind:   KindInlineUser,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:*","Resource":["` + def + `","arn:aws:batch:*:*:job/*"]}`),
			want:   []wantFinding{{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_QUEUE", "$.Statement[0].Resource"}},
		},
		{
			name: "queue in one statement, definition in another",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:Submit*","Resource":"`+queue+`"}`,
				`{"Effect":"Allow","Action":["batch:SubmitJob","batch:DescribeJobs"],"Resource":"`+def+`"}`),
		},
		{
			name: "definition only in a statement that does not grant SubmitJob",
			kind: KindBoundary,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"`+queue+`"}`,
				`{"Effect":"Allow","Action":"batch:DeregisterJobDefinition","Resource":"`+def+`"}`,
				`{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"`+def+`"}`),
			want: []wantFinding{{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].Resource"}},
		},
		{
			name:   "Resource * covers both",
			kind:   KindSession,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*"}`),
		},
		{
			name:   "a pattern that reaches both",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:us-east-1:123456789012:job-*"}`),
		},
		{
			name:   "neither: a job and a compute environment",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job/*","arn:aws:batch:*:*:compute-environment/*"]}`),
			want: []wantFinding{
				{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].Resource"},
				{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_QUEUE", "$.Statement[0].Resource"},
				{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource[1]"},
			},
		},
		{
			name:   "a queue name that looks like a definition is still a queue",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job-queue/job-definition*","arn:aws:iam::*:job-definition/*"]}`),
			want: []wantFinding{
				{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].Resource"},
				{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource[1]"},
			},
		},
		{
			name:   "a policy variable counts where its literal part fits",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job-queue/${aws:username}","arn:aws:${aws:username}:*:*:job-definition/x:*"]}`),
		},
		{
			name:   "NotResource excluding every queue",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","NotResource":["arn:aws:batch:*:*:job-queue/*","arn:aws:batch:*:*:compute-environment/*"]}`),
			want:   []wantFinding{{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_QUEUE", "$.Statement[0].NotResource"}},
		},
		{
			name:   "NotResource excluding one queue leaves the others",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","NotResource":["arn:aws:batch:*:*:job-queue/prod","arn:aws:batch:us-east-1:*:job-*"]}`),
		},
		{
			name:   "NotResource * leaves nothing",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","NotResource":"*"}`),
			want: []wantFinding{
				{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].NotResource"},
				{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_QUEUE", "$.Statement[0].NotResource"},
			},
		},
		{
			name:   "NotAction that leaves SubmitJob in",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","NotAction":"batch:Delete*","Resource":"` + queue + `"}`),
			want:   []wantFinding{{SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", "$.Statement[0].Resource"}},
		},
		{
			name:   "NotAction that leaves SubmitJob out",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","NotAction":"batch:Submit*","Resource":"` + queue + `"}`),
		},
		{
			name:   "Deny only",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"` + queue + `"}`),
		},
		{
			name:   "resource-based policies are not checked",
			kind:   KindResource,
			policy: vdoc(`{"Effect":"Allow","Principal":"*","Action":"batch:SubmitJob","Resource":"` + queue + `"}`),
		},
	})
}

func TestValidateJobDefinitionRevisions(t *testing.T) {
	t.Parallel()
	const queue = "arn:aws:batch:us-east-1:123456789012:job-queue/q"
	runBatchCases(t, []batchCase{
		{
			name:   "definition name without revision",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `","arn:aws:batch:us-east-1:123456789012:job-definition/my-def"]}`),
			want:   []wantFinding{{SeverityWarning, "JOB_DEFINITION_WITHOUT_REVISION", "$.Statement[0].Resource[1]"}},
			msg:    `use "arn:aws:batch:us-east-1:123456789012:job-definition/my-def:*"`,
		},
		{
			name: "definition name with its revisions beside it",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `",
				"arn:aws:batch:us-east-1:123456789012:job-definition/my-def","arn:aws:batch:us-east-1:123456789012:job-definition/my-def:*"]}`),
		},
		{
			name:   "definition name in a statement without SubmitJob",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:RegisterJobDefinition","Resource":"arn:aws:batch:us-east-1:123456789012:job-definition/my-def"}`),
		},
		{
			name:   "definition name in a Deny",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*"}`, `{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"arn:aws:batch:us-east-1:123456789012:job-definition/my-def"}`),
		},
		{
			name:   "definition name with a wildcard",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `","arn:aws:batch:us-east-1:123456789012:job-definition/my-def*"]}`),
		},
		{
			name: "tag condition on definitions that may lack a revision",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/*"}`,
				`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job-definition/*","arn:aws:batch:*:*:job-definition/x:*"],
				"Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			want: []wantFinding{{SeverityWarning, "JOB_DEFINITION_TAGS_SKIPPED_WITHOUT_REVISION", "$.Statement[1].Resource[0]"}},
			msg:  "job-definition/*:*",
		},
		{
			name:   "tag condition with Resource *",
			kind:   KindSession,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:*","Resource":"*","Condition":{"StringEquals":{"aws:resourcetag/Project":"calc"}}}`),
			want:   []wantFinding{{SeverityWarning, "JOB_DEFINITION_TAGS_SKIPPED_WITHOUT_REVISION", "$.Statement[0].Resource"}},
		},
		{
			name: "tag condition and a definition name without revision: one finding",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `","arn:aws:batch:*:*:job-definition/d"],
				"Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			want: []wantFinding{{SeverityWarning, "JOB_DEFINITION_WITHOUT_REVISION", "$.Statement[0].Resource[1]"}},
		},
		{
			name: "tag condition on the queue only",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"dev"}}}`,
				`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-definition/*"}`),
		},
		{
			name:   "request tag condition is not a resource tag",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/Env":"dev"}}}`),
		},
		{
			name: "revision demanded past a policy variable",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `","arn:aws:batch:*:*:job-definition/${aws:username}-*:*"],
				"Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
		},
		{
			name: "a policy variable's colon does not demand a revision",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + queue + `","arn:aws:batch:*:*:job-definition/${aws:username}*"],
				"Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			want: []wantFinding{{SeverityWarning, "JOB_DEFINITION_TAGS_SKIPPED_WITHOUT_REVISION", "$.Statement[0].Resource[1]"}},
		},
	})
}

func TestValidatePassedToService(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/BatchJob"
	pass := func(cond string) string {
		return vdoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + role + `","Condition":` + cond + `}`)
	}
	runBatchCases(t, []batchCase{
		{
			name:   "the Batch principals",
			kind:   KindManaged,
			policy: pass(`{"StringEquals":{"iam:PassedToService":["batch.amazonaws.com","ecs-tasks.amazonaws.com","ec2.amazonaws.com","ec2.amazonaws.com.cn","spotfleet.amazonaws.com"]}}`),
		},
		{
			name:   "other services are not judged",
			kind:   KindManaged,
			policy: pass(`{"StringEquals":{"iam:PassedToService":["lambda.amazonaws.com","eks.amazonaws.com","ecs.amazonaws.com","alexa-appkit.amazon.com","sagemaker.amazonaws.com"]}}`),
		},
		{
			name:   "ecs-task for ecs-tasks",
			kind:   KindInlineRole,
			policy: pass(`{"StringEquals":{"iam:PassedToService":["batch.amazonaws.com","ecs-task.amazonaws.com"]}}`),
			want:   []wantFinding{{SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", `$.Statement[0].Condition.StringEquals["iam:PassedToService"][1]`}},
			msg:    "did you mean ecs-tasks.amazonaws.com?",
		},
		{
			name:   "wrong domain",
			kind:   KindManaged,
			policy: pass(`{"StringEquals":{"iam:PassedToService":"batch.amazon.com"}}`),
			want:   []wantFinding{{SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", `$.Statement[0].Condition.StringEquals["iam:PassedToService"]`}},
			msg:    `AWS Batch User Guide, "AWS Batch service IAM role"`,
		},
		{
			name:   "no domain",
			kind:   KindBoundary,
			policy: pass(`{"StringLike":{"iam:PassedToService":["ec2","spotfleet"]}}`),
			want: []wantFinding{
				{SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", `$.Statement[0].Condition.StringLike["iam:PassedToService"][0]`},
				{SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", `$.Statement[0].Condition.StringLike["iam:PassedToService"][1]`},
			},
		},
		{
			name:   "case under a case-sensitive operator",
			kind:   KindManaged,
			policy: pass(`{"StringEquals":{"iam:PassedToService":"Batch.amazonaws.com"}}`),
			want:   []wantFinding{{SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", `$.Statement[0].Condition.StringEquals["iam:PassedToService"]`}},
			msg:    "StringEquals compares case-sensitively",
		},
		{
			name:   "case under StringEqualsIgnoreCase",
			kind:   KindManaged,
			policy: pass(`{"StringEqualsIgnoreCase":{"iam:PassedToService":"Batch.amazonaws.com"}}`),
		},
		{
			name:   "a pattern is not judged",
			kind:   KindManaged,
			policy: pass(`{"StringLike":{"iam:PassedToService":"ecs-task*.amazonaws.com"}}`),
		},
		{
			name:   "a negated operator is not judged",
			kind:   KindManaged,
			policy: pass(`{"StringNotEquals":{"iam:PassedToService":"ecs-task.amazonaws.com"}}`),
		},
		{
			name:   "a Deny is not judged",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ecs-task.amazonaws.com"}}}`),
		},
		{
			name:   "a statement without PassRole is not judged here",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"iam:GetRole","Resource":"` + role + `","Condition":{"StringEquals":{"iam:PassedToService":"ecs-task.amazonaws.com"}}}`),
		},
	})
}

func TestValidateResourceTypes(t *testing.T) {
	t.Parallel()
	runBatchCases(t, []batchCase{
		{
			name:   "SubmitJob on a compute environment",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["arn:aws:batch:*:*:job-queue/q","arn:aws:batch:*:*:job-definition/d:*","arn:aws:batch:*:*:compute-environment/*"]}`),
			want:   []wantFinding{{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource[2]"}},
			msg:    "(consumable-resource, job, job-definition, job-definition-revision, job-queue)",
		},
		{
			name:   "a resource of another action of the statement",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob","batch:UpdateComputeEnvironment"],"Resource":["arn:aws:batch:*:*:job-queue/q","arn:aws:batch:*:*:job-definition/d:*","arn:aws:batch:*:*:compute-environment/*"]}`),
		},
		{
			name:   "an action without resource types needs *",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"arn:aws:batch:*:*:job/*"}`),
			want:   []wantFinding{{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource"}},
			msg:    `("*")`,
		},
		{
			name:   "another service's ARN",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"batch:CancelJob","Resource":"arn:aws:ecs:*:*:task/*"}`),
			want:   []wantFinding{{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource"}},
		},
		{
			name: "PassRole on an instance profile",
			kind: KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::123456789012:role/ecsInstanceRole","arn:aws:iam::123456789012:instance-profile/ecsInstanceRole","arn:aws:iam::aws:policy/AWSBatchFullAccess"],
				"Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`),
			want: []wantFinding{
				{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource[1]"},
				{SeverityWarning, "RESOURCE_TYPE_MISMATCH", "$.Statement[0].Resource[2]"},
			},
			msg: "iam:PassRole is authorized on the role in an instance profile",
		},
		{
			name:   "an instance profile for GetInstanceProfile beside PassRole",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["iam:PassRole","iam:GetInstanceProfile"],"Resource":"arn:aws:iam::123456789012:instance-profile/ecsInstanceRole"}`),
		},
		{
			name:   "patterns that may match",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::*:*","arn:aws:*::*:role/x","arn:aws:iam::*:r*","arn:aws:iam::*:${aws:username}","arn:aws:*"]}`),
		},
		{
			name:   "actions outside the catalog are not judged",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Allow","Action":["batch:SubmitJob","ecs:RunTask"],"Resource":["arn:aws:batch:*:*:job-queue/q","arn:aws:batch:*:*:job-definition/d:*","arn:aws:ecs:*:*:task-definition/*"]}`),
		},
		{
			name:   "a Deny is not judged",
			kind:   KindManaged,
			policy: vdoc(`{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:compute-environment/*"}`),
		},
	})
}
