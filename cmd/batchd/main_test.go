package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run calls Main as the command line would and returns exit code, stdout and
// stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The README's first command: AWSBatchFullAccess allows SubmitJob, the
// example policy denies production queues.
func TestReadmeSimulate(t *testing.T) {
	root := "../.."
	args := []string{"policy", "simulate", "--policy", "aws:AWSBatchFullAccess", "--policy", filepath.Join(root, "examples/policies/batch-developer.json"),
		"--principal", "arn:aws:iam::123456789012:user/alice", "--action", "batch:SubmitJob"}
	code, out, errs := run(t, "", append(args, "--resource", "arn:aws:batch:us-east-1:123456789012:job-queue/prod-etl")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Decision: ExplicitDeny", `statement "DenyProductionQueues"`, "AccessDenied: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:123456789012:job-queue/prod-etl with an explicit deny in an identity-based policy"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = run(t, "", append(args, "--resource", "arn:aws:batch:us-east-1:123456789012:job-queue/dev-etl")...)
	if !strings.Contains(out, "Decision: Allow") || !strings.Contains(out, "arn:aws:iam::aws:policy/AWSBatchFullAccess statement #0") {
		t.Errorf("dev queue:\n%s", out)
	}
}

func TestSimulateJSONBoundaryAndContext(t *testing.T) {
	boundary := filepath.Join("../..", "examples/policies/team-boundary.json")
	code, out, errs := run(t, "", "policy", "simulate", "--json", "--policy", "aws:AdministratorAccess", "--boundary", boundary,
		"--principal", "arn:aws:iam::123456789012:user/alice", "--action", "iam:PassRole", "--resource", "arn:aws:iam::123456789012:role/AWSBatchJobRoleEtl",
		"--context", "iam:PassedToService=batch.amazonaws.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Decision string `json:"decision"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Decision != "ImplicitDeny" || !strings.HasSuffix(got.Message, "because no permissions boundary allows the iam:PassRole action") {
		t.Errorf("got %+v", got)
	}
	_, out, _ = run(t, "", "policy", "simulate", "--json", "--policy", "aws:AdministratorAccess", "--boundary", boundary,
		"--principal", "arn:aws:iam::123456789012:user/alice", "--action", "iam:PassRole", "--resource", "arn:aws:iam::123456789012:role/AWSBatchJobRoleEtl",
		"--context", "iam:PassedToService=ecs-tasks.amazonaws.com")
	if !strings.Contains(out, `"decision": "Allow"`) {
		t.Errorf("ecs-tasks: %s", out)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no action", []string{"policy", "simulate", "--policy", "aws:AdministratorAccess", "--resource", "*"}, "--action and --resource are required"},
		{"unknown builtin", []string{"policy", "simulate", "--policy", "aws:Nope", "--action", "a:b", "--resource", "*"}, "no such built-in managed policy"},
		{"bad principal", []string{"policy", "simulate", "--action", "a:b", "--resource", "*", "--principal", "bob"}, "--principal"},
		{"bad context", []string{"policy", "simulate", "--action", "a:b", "--resource", "*", "--context", "novalue"}, "want key=value"},
		{"unknown command", []string{"serve2"}, "unknown command"},
		{"request and action", []string{"policy", "simulate", "--request", "SubmitJob", "--action", "a:b", "--principal", "arn:aws:iam::123456789012:user/a"}, "--request replaces --action"},
		{"request without account", []string{"policy", "simulate", "--request", "SubmitJob", "--input", "{}"}, "needs --principal or --account"},
		{"unknown operation", []string{"policy", "simulate", "--request", "Nope", "--principal", "arn:aws:iam::123456789012:user/a"}, `unknown Batch operation "Nope"`},
		{"unknown input field", []string{"policy", "simulate", "--request", "SubmitJob", "--input", `{"jobName":"j","jobQueue":"q","jobDefinition":"d","queue":"q"}`, "--principal", "arn:aws:iam::123456789012:user/a"}, `unknown field "queue"`},
		{"bad resource tag", []string{"policy", "simulate", "--request", "SubmitJob", "--input", "{}", "--principal", "arn:aws:iam::123456789012:user/a", "--resource-tag", "k=v"}, "want ARN=KEY=VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := run(t, "", tc.args...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want failure with %q", code, errs, tc.want)
			}
		})
	}
}

func TestValidateExitCodes(t *testing.T) {
	good := writeFile(t, "good.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:DescribeJobs","Resource":"*"}}`)
	bad := writeFile(t, "bad.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:SubmitJobs","Resource":"*"}}`)
	if code, out, errs := run(t, "", "policy", "validate", good); code != 0 || !strings.Contains(out, "no findings") {
		t.Errorf("good: exit %d, %s %s", code, out, errs)
	}
	code, out, _ := run(t, "", "policy", "validate", "--json", bad)
	if code != 1 || !strings.Contains(out, `"UNKNOWN_ACTION"`) || !strings.Contains(out, `"$.Statement.Action"`) {
		t.Errorf("bad: exit %d, %s", code, out)
	}
	if code, _, _ := run(t, "", "policy", "validate", "aws:AWSBatchFullAccess"); code != 0 {
		t.Errorf("a built-in policy must validate without errors")
	}
}

// The real binary streams policy eval over stdin and stdout.
func TestEvalBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "batchd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "policy", "eval")
	cmd.Stdin = strings.NewReader(`{"id":1,"identityPolicies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:*","Resource":"*"}}],"action":"batch:SubmitJob","resource":"*"}
{"id":2,"action":"batch:SubmitJob"}
{"id":3,"identityPolicies":[{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}],"action":"batch:SubmitJob","resource":"*"}
`)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"decision":"Allow","reasons":["allowed by identityPolicies[0] statement #0 in an identity-based policy"]}
{"id":2,"error":"resource is required"}
{"id":3,"decision":"ExplicitDeny","reasons":["explicitly denied by identityPolicies[0] statement #0 in an identity-based policy"]}
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestSimulateRequest: --request walks an operation's own authorization
// and names the check that denies: RegisterJobDefinition under
// AWSBatchFullAccess may register but not pass an arbitrary job role.
func TestSimulateRequest(t *testing.T) {
	code, out, errs := run(t, "", "policy", "simulate", "--policy", "aws:AWSBatchFullAccess", "--principal", "arn:aws:iam::123456789012:user/alice",
		"--request", "RegisterJobDefinition", "--input", `{"jobDefinitionName":"jd","type":"container","containerProperties":{"image":"busybox","privileged":true,"jobRoleArn":"arn:aws:iam::123456789012:role/jobrole"}}`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"Decision: ImplicitDeny",
		"1. batch:RegisterJobDefinition on arn:aws:batch:us-east-1:123456789012:job-definition/jd: Allow",
		"with batch:Image=busybox batch:Privileged=true",
		"-> 2. iam:PassRole on arn:aws:iam::123456789012:role/jobrole: ImplicitDeny",
		"AccessDeniedException: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/jobrole",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// policy simulate --request checks its input as the live call does: the
// model's constraints, with AWS's messages.
func TestSimulateRequestValidatesInput(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{`{"jobName":"j","jobDefinition":"d"}`, "jobQueue"},
		{`{"jobName":"j","jobQueue":"q","jobDefinition":"d","arrayProperties":{"size":"x"}}`, "size"},
		{`[1]`, "not a JSON object"},
	} {
		code, _, errs := run(t, "", "policy", "simulate", "--policy", "aws:AWSBatchFullAccess", "--principal", "arn:aws:iam::123456789012:user/alice",
			"--request", "SubmitJob", "--input", tc.input)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("input %s: exit %d, %q; want an error naming %q", tc.input, code, errs, tc.want)
		}
	}
}
