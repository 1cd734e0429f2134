package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchUser is the benchmark's caller: AWSBatchFullAccess plus two inline
// policies with conditions, as the figure asks.
func benchUser(tb testing.TB) (*Set, *Request) {
	tb.Helper()
	full, ok := Builtin("AWSBatchFullAccess")
	if !ok {
		tb.Fatal("AWSBatchFullAccess missing")
	}
	inline1 := mustLoad(tb, "inline-tags", `{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyUntaggedQueues","Effect":"Deny","Action":"batch:CreateJobQueue","Resource":"*","Condition":{"Null":{"aws:RequestTag/team":"true"}}},
		{"Sid":"DenyOtherTeams","Effect":"Deny","Action":["batch:SubmitJob","batch:TerminateJob"],"Resource":"arn:aws:batch:*:*:job-queue/*",
		 "Condition":{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`)
	inline2 := mustLoad(tb, "inline-network", `{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyOutsideOffice","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}},
		{"Sid":"DenyPrivileged","Effect":"Deny","Action":"batch:RegisterJobDefinition","Resource":"*","Condition":{"Bool":{"batch:Privileged":"true"}}}]}`)
	set := &Set{Identity: []*Policy{full.Policy, inline1, inline2}}
	caller, err := ParseCaller("arn:aws:iam::123456789012:user/alice")
	if err != nil {
		tb.Fatal(err)
	}
	ctx := NewContext()
	ctx.Set("aws:PrincipalTag/team", "blue")
	ctx.Set("aws:ResourceTag/team", "blue")
	ctx.Set("aws:SourceIp", "203.0.113.9")
	ctx.Set("aws:ViaAWSService", "false")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:CurrentTime", "2026-11-25T12:00:00Z")
	caller.FillContext(ctx)
	return set, &Request{Caller: caller, Action: "batch:SubmitJob", Resource: "arn:aws:batch:us-east-1:123456789012:job-queue/blue-q", Context: ctx}
}

func mustLoad(tb testing.TB, name, doc string) *Policy {
	tb.Helper()
	p, err := Load(name, []byte(doc))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return p
}

func benchDecide(b *testing.B, set *Set, r *Request, want Outcome) {
	b.Helper()
	if d := set.Evaluate(r); d.Outcome != want {
		b.Fatalf("outcome = %s, want %s (%q)", d.Outcome, want, d.Reasons())
	}
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(r)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	b.Run("BatchFullAccess+2inline/Allow", func(b *testing.B) {
		set, r := benchUser(b)
		benchDecide(b, set, r, Allowed)
	})
	b.Run("BatchFullAccess+2inline/ExplicitDeny", func(b *testing.B) {
		set, r := benchUser(b)
		r.Context.Set("aws:ResourceTag/team", "red")
		benchDecide(b, set, r, ExplicitDeny)
	})
	b.Run("BatchFullAccess+2inline/ImplicitDeny", func(b *testing.B) {
		set, r := benchUser(b)
		r.Action, r.Resource = "iam:CreateUser", "arn:aws:iam::123456789012:user/bob"
		benchDecide(b, set, r, ImplicitDeny)
	})
	for _, n := range []int{1, 100} {
		set, r := manyStatements(b, n)
		b.Run(fmt.Sprintf("%dStatements/Allow", n), func(b *testing.B) {
			benchDecide(b, set, r, Allowed)
		})
		b.Run(fmt.Sprintf("%dStatements/ImplicitDeny", n), func(b *testing.B) {
			r2 := *r
			r2.Action = "batch:DeleteJobQueue"
			benchDecide(b, set, &r2, ImplicitDeny)
		})
	}
}

// manyStatements builds one policy of n statements where only the last
// allows the request, each with a condition and a resource pattern.
func manyStatements(tb testing.TB, n int) (*Set, *Request) {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		q := fmt.Sprintf("q%d-*", i)
		if i == n-1 {
			q = "target-*"
		}
		fmt.Fprintf(&b, `{"Sid":"S%d","Effect":"Allow","Action":["batch:SubmitJob","batch:Describe*"],"Resource":"arn:aws:batch:*:123456789012:job-queue/%s","Condition":{"StringEquals":{"aws:RequestTag/team":["blue","red"]}}}`, i, q)
	}
	b.WriteString(`]}`)
	p := mustLoad(tb, "many", b.String())
	ctx := NewContext()
	ctx.Set("aws:RequestTag/team", "blue")
	c, _ := ParseCaller("arn:aws:iam::123456789012:user/alice")
	c.FillContext(ctx)
	return &Set{Identity: []*Policy{p}}, &Request{Caller: c, Action: "batch:SubmitJob", Resource: "arn:aws:batch:us-east-1:123456789012:job-queue/target-1", Context: ctx}
}

// TestEvaluateAllocatesNothing holds the zero-allocation promise outside
// benchmarks.
func TestEvaluateAllocatesNothing(t *testing.T) {
	set, r := benchUser(t)
	if n := testing.AllocsPerRun(100, func() { set.Evaluate(r) }); n != 0 {
		t.Fatalf("Evaluate allocates %.1f times per decision", n)
	}
}
