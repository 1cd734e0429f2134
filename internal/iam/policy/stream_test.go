package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// evalDocs are a few policy documents that eval input lines repeat, as a
// month of access logs replayed against proposed policies would.
var evalDocs = []string{
	`{"Version":"2012-10-17","Statement":[{"Sid":"Submit","Effect":"Allow","Action":["batch:SubmitJob","batch:Describe*","batch:List*"],"Resource":"*"},{"Sid":"DenyProd","Effect":"Deny","Action":"batch:SubmitJob","Resource":"arn:aws:batch:*:*:job-queue/prod-*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"ops"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"Tags","Effect":"Allow","Action":["batch:CreateJobQueue","batch:TagResource"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"Office","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"Boundary","Effect":"Allow","Action":["batch:*","logs:Get*","iam:PassRole"],"Resource":"*"}]}`,
}

// evalLines makes n input lines of about 1 KB.
func evalLines(n int) []byte {
	var b bytes.Buffer
	actions := []string{"batch:SubmitJob", "batch:CreateJobQueue", "batch:DescribeJobs", "iam:CreateUser"}
	queues := []string{"dev-a", "prod-b", "test-c"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"identityPolicies":[%s,%s],"permissionBoundaries":[%s],"principal":"arn:aws:iam::123456789012:user/user%d","action":%q,"resource":"arn:aws:batch:us-east-1:123456789012:job-queue/%s","context":{"aws:PrincipalTag/team":"blue","aws:RequestTag/team":"blue","aws:TagKeys":["team"],"aws:SourceIp":"203.0.113.%d","aws:SecureTransport":true,"aws:EpochTime":%d}}`+"\n",
			i, evalDocs[i%2], evalDocs[2], evalDocs[3], i%50, actions[i%len(actions)], queues[i%len(queues)], i%250, 1700000000+i)
	}
	return b.Bytes()
}

func TestStreamOrderAndErrors(t *testing.T) {
	t.Parallel()
	var in bytes.Buffer
	in.Write(evalLines(1000))
	in.WriteString("not json\n")
	in.WriteString(`{"id":"x","action":"batch:SubmitJob"}` + "\n")
	in.WriteString("\n")
	in.WriteString(`{"id":"bad-doc","identityPolicies":[{"Statement":[]}],"action":"a:b","resource":"*"}` + "\n")
	in.WriteString(`{"id":"last","identityPolicies":[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}],"action":"a:b","resource":"*"}` + "\n")
	var out bytes.Buffer
	if err := NewEvaluator().Stream(context.Background(), &in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1004 {
		t.Fatalf("got %d output lines, want 1004", len(lines))
	}
	for i := 0; i < 1000; i++ {
		var o Output
		if err := json.Unmarshal([]byte(lines[i]), &o); err != nil {
			t.Fatal(err)
		}
		if string(o.ID) != fmt.Sprint(i) || o.Error != "" || o.Decision == "" {
			t.Fatalf("line %d: %s", i, lines[i])
		}
	}
	want := []string{`"error":"invalid input line`, `{"id":"x","error":"resource is required"}`, `{"id":"bad-doc","error":"identityPolicies[0]: $.Statement: Statement must contain at least one statement"}`, `{"id":"last","decision":"Allow"`}
	for i, w := range want {
		if !strings.Contains(lines[1000+i], w) {
			t.Errorf("line %d = %s, want it to contain %s", 1000+i, lines[1000+i], w)
		}
	}
}

func TestStreamDecisionsMatchEvaluate(t *testing.T) {
	t.Parallel()
	e := NewEvaluator()
	for i, line := range bytes.Split(bytes.TrimSpace(evalLines(24)), []byte("\n")) {
		var in Input
		if err := json.Unmarshal(line, &in); err != nil {
			t.Fatal(err)
		}
		set, r, err := e.Build(&in)
		if err != nil {
			t.Fatal(err)
		}
		var o Output
		json.Unmarshal(e.EvalLine(line), &o)
		if d := set.Evaluate(r); d.Outcome != o.Decision {
			t.Errorf("line %d: stream %s, Evaluate %s", i, o.Decision, d.Outcome)
		}
	}
}

// The context holds exactly what the input gives plus the keys that follow
// from the principal: no clock, no defaults.
func TestBuildContext(t *testing.T) {
	t.Parallel()
	_, r, err := NewEvaluator().Build(&Input{Principal: "arn:aws:iam::123456789012:user/dev/alice", Action: "a:b", Resource: "*",
		Context: map[string]json.RawMessage{"aws:username": json.RawMessage(`"override"`), "aws:MultiFactorAuthAge": json.RawMessage(`42`), "aws:TagKeys": json.RawMessage(`["a","b"]`)}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"aws:username": {"override"}, "aws:multifactorauthage": {"42"}, "aws:tagkeys": {"a", "b"},
		"aws:principalarn": {"arn:aws:iam::123456789012:user/dev/alice"}, "aws:principalaccount": {"123456789012"}, "aws:principaltype": {"User"},
	}
	if len(r.Context.m) != len(want) {
		t.Fatalf("context = %v, want %v", r.Context.m, want)
	}
	for k, v := range want {
		got, _ := r.Context.Lookup(k)
		if strings.Join(got, ",") != strings.Join(v, ",") {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// A slow producer still gets each answer before it sends the next line.
func TestStreamAnswersLineByLine(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- NewEvaluator().Stream(ctx, pr, outW); outW.Close() }()
	dec := json.NewDecoder(outR)
	for i := 0; i < 3; i++ {
		fmt.Fprintf(pw, `{"id":%d,"action":"a:b","resource":"*"}`+"\n", i)
		var o Output
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		if string(o.ID) != fmt.Sprint(i) || o.Decision != ImplicitDeny {
			t.Fatalf("answer %d: %+v", i, o)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// BenchmarkStream reports cases per second for lines of about 1 KB that
// repeat a few policy documents.
func BenchmarkStream(b *testing.B) {
	const n = 20000
	in := evalLines(n)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := NewEvaluator().Stream(context.Background(), bytes.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "cases/s")
}
