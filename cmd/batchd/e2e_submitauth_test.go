package main

// SubmitJob's authorization as AWS Batch's User Guide shows it, and the
// agreement of the server, `batchd policy simulate --request`, `batchd
// policy eval` and the IAM simulator API on the same requests.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// submitWorld is a server with the queues and definitions the User Guide's
// SubmitJob examples name: queue1 (Environment=dev), queue2 (Environment=
// prod), and definitions JobDefA_one, JobDefB, my-job-def (revisions 1 and
// 2), calc (Project=calc) and other (Project=other).
func submitWorld(t *testing.T) (*testServer, *iam.Client, map[string]map[string]string) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "queue1", "ce", map[string]string{"Environment": "dev"})
	queue(t, c, "queue2", "ce", map[string]string{"Environment": "prod"})
	for _, n := range []string{"JobDefA_one", "JobDefB", "my-job-def", "my-job-def"} {
		register(t, c, containerDef(n))
	}
	for _, p := range []string{"calc", "other"} {
		in := containerDef(p)
		in.Tags = map[string]string{"Project": p}
		register(t, c, in)
	}
	tags := map[string]map[string]string{
		batchARN + "job-queue/queue1":         {"Environment": "dev"},
		batchARN + "job-queue/queue2":         {"Environment": "prod"},
		batchARN + "job-definition/calc:1":    {"Project": "calc"},
		batchARN + "job-definition/other:1":   {"Project": "other"},
		batchARN + "job-definition/JobDefB:1": nil,
	}
	_ = ctx // the helpers take their own contexts
	return ts, ts.iam(ts.Root), tags
}

type submitCase struct {
	queue, def string
	tags       map[string]string
	share      string
	// denied is the resource the server names in its AccessDenied; "" for
	// an allowed request.
	denied   string
	explicit bool
	// action is the denied action when it is not batch:SubmitJob.
	action string
}

func (sc submitCase) deniedAction() string {
	if sc.action != "" {
		return sc.action
	}
	return "batch:SubmitJob"
}

func (sc submitCase) input() *batch.SubmitJobInput {
	in := &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String(sc.queue), JobDefinition: aws.String(sc.def)}
	if len(sc.tags) > 0 {
		in.Tags = sc.tags
	}
	if sc.share != "" {
		in.ShareIdentifier, in.SchedulingPriorityOverride = aws.String(sc.share), aws.Int32(1)
	}
	return in
}

// TestUserGuideSubmitJobExamples runs the four SubmitJob example policies
// of the AWS Batch User Guide through the server, allowed and denied. None
// of them allows job/*: the queue and the definition are enough.
func TestUserGuideSubmitJobExamples(t *testing.T) {
	t.Parallel()
	ts, admin, _ := submitWorld(t)
	ctx := context.Background()
	examples := []struct {
		name, source string
		policy       string
		cases        []submitCase
	}{
		{"restrict-to-queue", `User Guide, "Resource: Restrict to a job queue"`,
			policyDoc(`{"Effect":"Allow","Action":["batch:SubmitJob"],"Resource":["` + batchARN + `job-definition/*","` + batchARN + `job-queue/queue1"]}`),
			[]submitCase{
				{queue: "queue1", def: "JobDefB"},
				{queue: "queue1", def: "my-job-def:2"},
				{queue: "queue2", def: "JobDefB", denied: batchARN + "job-queue/queue2"},
			}},
		{"definition-prefix", `User Guide, "Resource: Restrict to job definition prefix on job submission"`,
			policyDoc(`{"Effect":"Allow","Action":["batch:SubmitJob"],"Resource":["` + batchARN + `job-definition/JobDefA_*","` + batchARN + `job-queue/*"]}`),
			[]submitCase{
				{queue: "queue2", def: "JobDefA_one"},
				{queue: "queue1", def: "JobDefA_one:1"},
				{queue: "queue1", def: "JobDefB:1", denied: batchARN + "job-definition/JobDefB:1"},
			}},
		{"resource-tags", `User Guide, "Resource: Restrict job submission by resource tags on job definition and job queue"`,
			policyDoc(
				`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":"dev"}}}`,
				`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-definition/*:*","Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			[]submitCase{
				{queue: "queue1", def: "calc:1"},
				{queue: "queue1", def: batchARN + "job-definition/calc:1"},
				// Without a revision the definition's tags are not
				// evaluated and *:* does not match: denied.
				{queue: "queue1", def: "calc", denied: batchARN + "job-definition/calc"},
				{queue: "queue2", def: "calc:1", denied: batchARN + "job-queue/queue2"},
				{queue: "queue1", def: "other:1", denied: batchARN + "job-definition/other:1"},
			}},
		{"revisions", `User Guide, "Accounting for job definition revisions"`,
			policyDoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + batchARN + `job-definition/my-job-def:1","` + batchARN + `job-definition/calc:*","` + batchARN + `job-queue/queue1"]}`),
			[]submitCase{
				{queue: "queue1", def: "my-job-def:1"},
				{queue: "queue1", def: "my-job-def:2", denied: batchARN + "job-definition/my-job-def:2"},
				{queue: "queue1", def: "calc:1"},
				{queue: "queue1", def: "calc", denied: batchARN + "job-definition/calc"},
			}},
	}
	for i, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			user := fmt.Sprintf("ug%d", i)
			u := ts.batch(newUser(t, admin, user, ex.policy))
			for _, sc := range ex.cases {
				_, err := u.SubmitJob(ctx, sc.input())
				if sc.denied == "" {
					if err != nil {
						t.Errorf("%s: SubmitJob %s to %s: %v", ex.source, sc.def, sc.queue, err)
					}
					continue
				}
				wantDenied(t, err, user, "batch:SubmitJob", sc.denied, sc.explicit)
			}
		})
	}
}

// TestEvalSimulateServerAgree: for each request of a table, the server's
// answer, `batchd policy simulate --request` (the server's own
// authorization code, offline), `batchd policy eval` of each check the
// simulation lists, and SimulatePrincipalPolicy of each check agree.
func TestEvalSimulateServerAgree(t *testing.T) {
	t.Parallel()
	ts, admin, tags := submitWorld(t)
	ctx := context.Background()
	queueAndDefs := `{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["` + batchARN + `job-queue/queue1","` + batchARN + `job-definition/*"]}`
	cases := []struct {
		name   string
		policy string
		req    submitCase
	}{
		{"queue-and-definition", policyDoc(queueAndDefs), submitCase{queue: "queue1", def: "JobDefB"}},
		{"other-queue", policyDoc(queueAndDefs), submitCase{queue: "queue2", def: "JobDefB", denied: batchARN + "job-queue/queue2"}},
		{"queue-only", policyDoc(`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"` + batchARN + `job-queue/*"}`),
			submitCase{queue: "queue1", def: "JobDefB:1", denied: batchARN + "job-definition/JobDefB:1"}},
		{"explicit-deny-of-job", policyDoc(queueAndDefs, `{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"`+batchARN+`job/*"}`),
			submitCase{queue: "queue1", def: "JobDefB", denied: batchARN + "job/*", explicit: true}},
		{"explicit-deny-of-definition", policyDoc(queueAndDefs, `{"Effect":"Deny","Action":"batch:SubmitJob","Resource":"`+batchARN+`job-definition/calc:*"}`),
			submitCase{queue: "queue1", def: "calc:1", denied: batchARN + "job-definition/calc:1", explicit: true}},
		{"tags-need-tagresource", policyDoc(queueAndDefs),
			submitCase{queue: "queue1", def: "JobDefB", tags: map[string]string{"team": "a"}, denied: batchARN + "job/*", action: "batch:TagResource"}},
		{"request-tag-condition", policyDoc(
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["`+batchARN+`job-queue/queue1","`+batchARN+`job-definition/*"],"Condition":{"StringEquals":{"aws:RequestTag/team":"a"}}}`,
			`{"Effect":"Allow","Action":"batch:TagResource","Resource":"*"}`),
			submitCase{queue: "queue1", def: "JobDefB", tags: map[string]string{"team": "a"}}},
		{"request-tag-mismatch", policyDoc(
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":["`+batchARN+`job-queue/queue1","`+batchARN+`job-definition/*"],"Condition":{"StringEquals":{"aws:RequestTag/team":"a"}}}`,
			`{"Effect":"Allow","Action":"batch:TagResource","Resource":"*"}`),
			submitCase{queue: "queue1", def: "JobDefB", tags: map[string]string{"team": "b"}, denied: batchARN + "job-queue/queue1"}},
		{"resource-tag-on-revision", policyDoc(
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"`+batchARN+`job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":"dev"}}}`,
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"`+batchARN+`job-definition/*","Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			submitCase{queue: "queue1", def: "calc:1"}},
		{"resource-tag-without-revision", policyDoc(
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"`+batchARN+`job-queue/*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":"dev"}}}`,
			`{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"`+batchARN+`job-definition/*","Condition":{"StringEquals":{"aws:ResourceTag/Project":"calc"}}}`),
			submitCase{queue: "queue1", def: "calc", denied: batchARN + "job-definition/calc"}},
	}
	var tagFlags []string
	for arn, kv := range tags {
		for k, v := range kv {
			tagFlags = append(tagFlags, "--resource-tag", arn+"="+k+"="+v)
		}
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("agree%d", i)
			userARN := "arn:aws:iam::" + acct + ":user/" + user
			u := ts.batch(newUser(t, admin, user, tc.policy))

			// The server.
			_, err := u.SubmitJob(ctx, tc.req.input())
			var ae smithy.APIError
			serverDenied := errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException"
			if err != nil && !serverDenied {
				t.Fatalf("server: %v", err)
			}
			if want := tc.req.denied != ""; serverDenied != want {
				t.Fatalf("server denied = %v (%v), want %v", serverDenied, err, want)
			}
			if serverDenied {
				wantDenied(t, err, user, tc.req.deniedAction(), tc.req.denied, tc.req.explicit)
			}

			// policy simulate --request.
			in, err := json.Marshal(map[string]any{"jobName": "j", "jobQueue": tc.req.queue, "jobDefinition": tc.req.def, "tags": tc.req.tags})
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, "p.json", tc.policy)
			args := append([]string{"policy", "simulate", "--policy", file, "--principal", userARN, "--request", "SubmitJob", "--input", string(in), "--json"}, tagFlags...)
			code, out, stderr := run(t, "", args...)
			if code != 0 {
				t.Fatalf("simulate: exit %d: %s", code, stderr)
			}
			var sim struct {
				Decision string `json:"decision"`
				DeniedBy *int   `json:"deniedByStep"`
				Message  string `json:"message"`
				Steps    []struct {
					Action       string              `json:"action"`
					Resource     string              `json:"resource"`
					Keys         map[string][]string `json:"contextKeys"`
					Decision     string              `json:"decision"`
					ExplicitOnly bool                `json:"explicitDenyOnly"`
				} `json:"steps"`
			}
			if err := json.Unmarshal([]byte(out), &sim); err != nil {
				t.Fatalf("simulate output: %v\n%s", err, out)
			}
			if simDenied := sim.Decision != "Allow"; simDenied != serverDenied {
				t.Fatalf("simulate says %s, server denied = %v\n%s", sim.Decision, serverDenied, out)
			}
			if serverDenied {
				if sim.DeniedBy == nil || sim.Steps[*sim.DeniedBy].Resource != tc.req.denied {
					t.Fatalf("simulate names step %v, server denied on %s\n%s", sim.DeniedBy, tc.req.denied, out)
				}
				if ae.ErrorMessage() != sim.Message {
					t.Errorf("simulate message %q, server %q", sim.Message, ae.ErrorMessage())
				}
			}

			// policy eval and SimulatePrincipalPolicy of each step.
			var lines strings.Builder
			for j, st := range sim.Steps {
				line, err := json.Marshal(map[string]any{"id": j, "identityPolicies": []json.RawMessage{json.RawMessage(tc.policy)},
					"principal": userARN, "action": st.Action, "resource": st.Resource, "context": st.Keys})
				if err != nil {
					t.Fatal(err)
				}
				lines.Write(append(line, '\n'))
			}
			code, out, stderr = run(t, lines.String(), "policy", "eval")
			if code != 0 {
				t.Fatalf("eval: exit %d: %s", code, stderr)
			}
			evalDenied := false
			for j, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var o struct {
					Decision string `json:"decision"`
					Error    string `json:"error"`
				}
				if err := json.Unmarshal([]byte(l), &o); err != nil || o.Error != "" {
					t.Fatalf("eval line %d: %v %s", j, err, o.Error)
				}
				st := sim.Steps[j]
				if o.Decision != st.Decision {
					t.Errorf("step %d %s on %s: eval %s, simulate %s", j, st.Action, st.Resource, o.Decision, st.Decision)
				}
				if o.Decision == "ExplicitDeny" || (o.Decision != "Allow" && !st.ExplicitOnly) {
					evalDenied = true
				}

				var entries []iamtypes.ContextEntry
				for k, v := range st.Keys {
					entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyValues: v, ContextKeyType: iamtypes.ContextKeyTypeEnumStringList})
				}
				res, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN),
					ActionNames: []string{st.Action}, ResourceArns: []string{st.Resource}, ContextEntries: entries})
				if err != nil {
					t.Fatalf("SimulatePrincipalPolicy: %v", err)
				}
				got := string(res.EvaluationResults[0].EvalDecision)
				want := map[string]string{"Allow": "allowed", "ImplicitDeny": "implicitDeny", "ExplicitDeny": "explicitDeny"}[st.Decision]
				if got != want {
					t.Errorf("step %d %s on %s: SimulatePrincipalPolicy %s, simulate %s", j, st.Action, st.Resource, got, st.Decision)
				}
			}
			if evalDenied != serverDenied {
				t.Errorf("eval of the steps denies = %v, server denied = %v", evalDenied, serverDenied)
			}
		})
	}
}

// TestAssumeRoleTrustAgrees: sts:AssumeRole is decided by the role's trust
// policy the same way by the server, `batchd policy eval` and
// SimulatePrincipalPolicy with the trust policy as ResourcePolicy — the
// trust policy must allow explicitly, and the caller's boundary must allow
// even when the trust policy names the caller (IAM User Guide, "Update a
// role trust policy").
func TestAssumeRoleTrustAgrees(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	narrow := call(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("batch-only"), PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":"batch:*","Resource":"*"}`))})).ok(t).Policy
	wide := call(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("batch-and-sts"), PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":["batch:*","sts:AssumeRole"],"Resource":"*"}`))})).ok(t).Policy
	assumeAny := policyDoc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`)
	cases := []struct {
		name, trust, identity string
		boundary              *string
		allowed               bool
	}{
		{"names-user", `{"Effect":"Allow","Principal":{"AWS":"USER"},"Action":"sts:AssumeRole"}`, "", nil, true},
		{"names-user-boundary-denies", `{"Effect":"Allow","Principal":{"AWS":"USER"},"Action":"sts:AssumeRole"}`, "", narrow.Arn, false},
		{"names-user-boundary-allows", `{"Effect":"Allow","Principal":{"AWS":"USER"},"Action":"sts:AssumeRole"}`, "", wide.Arn, true},
		{"identity-only", `{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}`, assumeAny, nil, false},
		{"names-account-with-identity", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}`, assumeAny, nil, true},
		{"names-account-without-identity", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}`, "", nil, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("assumer%d", i)
			userARN := "arn:aws:iam::" + acct + ":user/" + user
			trust := policyDoc(strings.ReplaceAll(tc.trust, "USER", userARN))
			var policies []string
			if tc.identity != "" {
				policies = append(policies, tc.identity)
			}
			creds := newUser(t, admin, user, policies...)
			if tc.boundary != nil {
				call(admin.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String(user), PermissionsBoundary: tc.boundary})).ok(t)
			}
			role := call(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r" + user), AssumeRolePolicyDocument: aws.String(trust)})).ok(t).Role

			_, err := ts.sts(creds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
			if (err == nil) != tc.allowed {
				t.Fatalf("server AssumeRole: err = %v, want allowed = %v", err, tc.allowed)
			}

			line := map[string]any{"principal": userARN, "action": "sts:AssumeRole", "resource": *role.Arn, "resourcePolicy": json.RawMessage(trust)}
			if tc.identity != "" {
				line["identityPolicies"] = []json.RawMessage{json.RawMessage(tc.identity)}
			}
			if tc.boundary != nil {
				doc := policyDoc(`{"Effect":"Allow","Action":"batch:*","Resource":"*"}`)
				if *tc.boundary == *wide.Arn {
					doc = policyDoc(`{"Effect":"Allow","Action":["batch:*","sts:AssumeRole"],"Resource":"*"}`)
				}
				line["permissionBoundaries"] = []json.RawMessage{json.RawMessage(doc)}
			}
			b, err := json.Marshal(line)
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := run(t, string(b)+"\n", "policy", "eval")
			if code != 0 {
				t.Fatalf("eval: exit %d: %s", code, stderr)
			}
			if got := strings.Contains(out, `"decision":"Allow"`); got != tc.allowed {
				t.Errorf("eval: %s, want allowed = %v", out, tc.allowed)
			}

			res, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN),
				ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{*role.Arn}, ResourcePolicy: aws.String(trust), CallerArn: aws.String(userARN)})
			if err != nil {
				t.Fatalf("SimulatePrincipalPolicy: %v", err)
			}
			if got := res.EvaluationResults[0].EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed; got != tc.allowed {
				t.Errorf("SimulatePrincipalPolicy: %s, want allowed = %v", res.EvaluationResults[0].EvalDecision, tc.allowed)
			}
		})
	}
}
