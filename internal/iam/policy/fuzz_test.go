package policy

import (
	"bytes"
	"testing"
)

// FuzzParse checks that the parser never panics and that printing is a
// fixed point: parse → print → parse → print gives the same bytes.
func FuzzParse(f *testing.F) {
	// A statement with every element.
	f.Add([]byte(`{"Version":"2012-10-17","Id":"i","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"*"},"Action":"batch:*","Resource":"*","Condition":{"StringLike":{"aws:TagKeys":["a*"]}}}]}`))
	// A single-object Statement with Not* elements.
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":["batch.amazonaws.com"]},"NotAction":["iam:*"],"NotResource":"arn:aws:iam::*:role/*"}}`))
	// Escapes, numbers and booleans in condition values.
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"NumericLessThan":{"k":[1,2e3]},"Bool":{"b":true},"StringEquals":{"s":"\u00e9\n${x}"}}}]}`))
	// Broken inputs.
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":"a:b","Action":"c:d"}]}`))
	f.Add([]byte(`[[[[`))
	for _, m := range Builtins() {
		f.Add([]byte(m.Document))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		out1, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := Parse(out1)
		if err != nil {
			t.Fatalf("printed document does not parse: %v\n%s", err, out1)
		}
		out2, _ := d2.MarshalJSON()
		if !bytes.Equal(out1, out2) {
			t.Fatalf("print is not stable:\n%s\n%s", out1, out2)
		}
		// Compiling either form must agree.
		_, err1 := Compile("a", d)
		_, err2 := Compile("b", d2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("compile differs after round trip: %v / %v", err1, err2)
		}
	})
}

// FuzzEvaluate checks that evaluating any compilable policy against fuzzed
// requests never panics, that Explain agrees with Evaluate, and that a
// document's printed form decides the same.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:Sub*","Resource":"arn:aws:batch:*:*:job-queue/${aws:username}*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"t*"}}}}`),
		"arn:aws:iam::123456789012:user/alice", "batch:SubmitJob", "arn:aws:batch:us-east-1:123456789012:job-queue/alice-q", "aws:TagKeys", "team")
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:*","Condition":{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}}`),
		"arn:aws:sts::123456789012:assumed-role/r/s", "logs:PutLogEvents", "*", "aws:SourceIp", "10.1.2.3")
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"Null":{"x":"true"}}}}`),
		"arn:aws:sts::123456789012:assumed-role/r/s", "sts:AssumeRole", "arn:aws:iam::123456789012:role/r", "aws:CurrentTime", "1700000000")
	f.Fuzz(func(t *testing.T, doc []byte, principal, action, resource, key, value string) {
		p, err := Load("fuzz", doc)
		if err != nil {
			return
		}
		caller, err := ParseCaller(principal)
		if err != nil {
			caller = Caller{}
		}
		ctx := NewContext()
		ctx.Set(key, value)
		caller.FillContext(ctx)
		r := &Request{Caller: caller, Action: action, Resource: resource, Context: ctx}
		for _, set := range []*Set{{Identity: []*Policy{p}}, {Resource: p}, {Identity: []*Policy{p}, Boundary: []*Policy{p}, Session: []*Policy{p}}} {
			d := set.Evaluate(r)
			if e := set.Explain(r); e.Outcome != d.Outcome {
				t.Fatalf("Explain %s, Evaluate %s", e.Outcome, d.Outcome)
			}
			_ = d.Reasons()
			_ = d.Message(r)
		}
		printed, _ := p.Doc.MarshalJSON()
		p2, err := Load("printed", printed)
		if err != nil {
			t.Fatalf("printed policy does not load: %v", err)
		}
		a := (&Set{Identity: []*Policy{p}}).Evaluate(r).Outcome
		b := (&Set{Identity: []*Policy{p2}}).Evaluate(r).Outcome
		if a != b {
			t.Fatalf("printed policy decides %s, original %s\n%s", b, a, printed)
		}
	})
}
