package policy

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// slowEvalLine is EvalLine with encoding/json only: the reference the fast
// path must agree with.
func slowEvalLine(e *Evaluator, line []byte) []byte {
	var in Input
	var out Output
	if err := json.Unmarshal(line, &in); err != nil {
		out.ID = salvageID(line)
		out.Error = "invalid input line: " + err.Error()
	} else {
		out.ID = in.ID
		if s, r, err := e.Build(&in); err != nil {
			out.Error = err.Error()
		} else {
			d := s.Evaluate(r)
			out.Decision, out.Reasons = d.Outcome, d.ReasonsNamed(s.inputName)
		}
	}
	b, _ := json.Marshal(&out)
	return b
}

// checkSameAsSlow fails when the fast decoder accepts a line and reads it
// differently from encoding/json, or EvalLine's output differs.
func checkSameAsSlow(t *testing.T, line []byte) {
	t.Helper()
	var fast Input
	vals := map[string][]string{}
	if decodeFast(line, &fast, vals) {
		var slow Input
		if err := json.Unmarshal(line, &slow); err != nil {
			t.Fatalf("fast decoder accepted a line encoding/json rejects (%v): %s", err, line)
		}
		slowVals := map[string][]string{}
		for k, raw := range slow.Context {
			v, err := contextValues(raw)
			if err != nil {
				t.Fatalf("fast decoder accepted context %s=%s that the slow one rejects: %v", k, raw, err)
			}
			slowVals[k] = v
		}
		slow.Context = nil
		fast.Context = nil
		norm := func(in *Input) {
			for _, l := range []*[]json.RawMessage{&in.IdentityPolicies, &in.PermissionBoundaries, &in.SessionPolicies} {
				for i := range *l {
					(*l)[i] = json.RawMessage(bytes.TrimSpace((*l)[i]))
				}
				if len(*l) == 0 {
					*l = nil
				}
			}
			in.ResourcePolicy = bytes.TrimSpace(in.ResourcePolicy)
			if len(in.ResourcePolicy) == 0 {
				in.ResourcePolicy = nil
			}
			if len(in.ID) == 0 {
				in.ID = nil
			}
		}
		norm(&fast)
		norm(&slow)
		if !reflect.DeepEqual(fast, slow) || (len(vals) > 0 || len(slowVals) > 0) && !reflect.DeepEqual(vals, slowVals) {
			t.Fatalf("decoders differ on %s:\nfast %+v %v\nslow %+v %v", line, fast, vals, slow, slowVals)
		}
	}
	e := NewEvaluator()
	if got, want := e.EvalLine(line), slowEvalLine(NewEvaluator(), line); !bytes.Equal(got, want) {
		t.Fatalf("EvalLine(%s)\n got %s\nwant %s", line, got, want)
	}
}

var decoderSeeds = []string{
	`{"id":1,"identityPolicies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:*","Resource":"*"}}],"principal":"arn:aws:iam::123456789012:user/a","action":"batch:SubmitJob","resource":"*","context":{"aws:TagKeys":["a","b"],"aws:SecureTransport":true,"n":-1.5e3,"e":[],"s":"x"}}`,
	`{"id":"str id","action":"a:b","resource":"*","resourcePolicy":null,"permissionBoundaries":null}`,
	`{ "id" : [1,{"x":null}] , "action" : "a:b" , "resource" : "*" , "unknown" : 1 }`,
	`{"action":"a:\u0062","resource":"*"}`,
	`{"action":"a:b","resource":"*","context":{"k":null}}`,
	`{"action":"a:b","resource":"*","context":{"k":{"x":1}}}`,
	`{"action":"a:b","resource":"*","context":{"k":[[1]]}}`,
	`{"action":"a:b","resource":"*","context":{"k":01}}`,
	`{"action":"a:b","resource":"*","identityPolicies":["not an object"]}`,
	`{"action":"a:b","resource":"*","identityPolicies":[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}},]}`,
	`{"action":"a:b","resource":"*"} trailing`,
	`{"id":"<&>","action":"é:b","resource":"*"}`,
	`{"action":"a:b","resource":"*","action":"c:d"}`,
	`{}`,
	`[]`,
	`{"id":1,`,
}

func TestFastDecoderAgrees(t *testing.T) {
	t.Parallel()
	for _, s := range decoderSeeds {
		checkSameAsSlow(t, []byte(s))
	}
	for _, l := range bytes.Split(bytes.TrimSpace(evalLines(50)), []byte("\n")) {
		checkSameAsSlow(t, l)
	}
}

// FuzzEvalLine holds the fast decoder and encoder to encoding/json's
// behaviour on any line.
func FuzzEvalLine(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkSameAsSlow(t, line)
	})
}
