package policy

import (
	"fmt"
	"testing"
)

// condAllows evaluates an Allow statement for batch:SubmitJob on * guarded by
// cond (the JSON of a Condition element) in a document of version, against
// ctx; it reports whether the request is allowed.
func condAllows(t testing.TB, version, cond string, ctx map[string][]string) bool {
	t.Helper()
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version":%q,`, version)
	}
	doc := fmt.Sprintf(`{%s"Statement":{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":%s}}`, v, cond)
	p, err := Load("cond", []byte(doc))
	if err != nil {
		t.Fatalf("Load(%s): %v", doc, err)
	}
	c := NewContext()
	for k, vs := range ctx {
		c.Set(k, vs...)
	}
	d := (&Set{Identity: []*Policy{p}}).Evaluate(&Request{Action: "batch:SubmitJob", Resource: "*", Context: c})
	return d.Outcome == Allowed
}

type kv = map[string][]string

func TestConditionOperators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cond string
		ctx  kv
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, kv{"aws:username": {"Alice"}}, false},
		{"StringEquals treats * literally", `{"StringEquals":{"aws:username":"a*"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringEquals several values OR", `{"StringEquals":{"aws:username":["bob","alice"]}}`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"alice"}}`, kv{}, false},
		{"StringNotEquals match", `{"StringNotEquals":{"aws:username":"alice"}}`, kv{"aws:username": {"bob"}}, true},
		{"StringNotEquals no match", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"alice"}}`, kv{}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEqualsIgnoreCase missing key", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv{}, true},
		{"StringLike star", `{"StringLike":{"batch:Image":"123456789012.dkr.ecr.*.amazonaws.com/*"}}`, kv{"batch:Image": {"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}}, true},
		{"StringLike question mark", `{"StringLike":{"aws:username":"al?ce"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringLike question mark needs one char", `{"StringLike":{"aws:username":"alice?"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringLike case-sensitive", `{"StringLike":{"aws:username":"A*"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringNotLike", `{"StringNotLike":{"batch:Image":"docker.io/*"}}`, kv{"batch:Image": {"docker.io/library/busybox"}}, false},
		{"StringNotLike missing key", `{"StringNotLike":{"batch:Image":"docker.io/*"}}`, kv{}, true},
		{"key names are case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, kv{"aws:username": {"alice"}}, true},
		{"tag key part case-insensitive", `{"StringEquals":{"aws:RequestTag/Team":"a"}}`, kv{"aws:requesttag/team": {"a"}}, true},
		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3600"}}, true},
		{"NumericEquals decimal", `{"NumericEquals":{"aws:MultiFactorAuthAge":"1.5"}}`, kv{"aws:MultiFactorAuthAge": {"1.50"}}, true},
		{"NumericEquals number literal", `{"NumericEquals":{"aws:MultiFactorAuthAge":3600}}`, kv{"aws:MultiFactorAuthAge": {"3600"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3601"}}, true},
		{"NumericNotEquals missing key", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":"3600"}}`, kv{}, true},
		{"NumericLessThan", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3599"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3600"}}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3600"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"10"}}`, kv{"aws:MultiFactorAuthAge": {"11"}}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"10"}}`, kv{"aws:MultiFactorAuthAge": {"9"}}, false},
		{"Numeric non-number request value", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"10"}}`, kv{"aws:MultiFactorAuthAge": {"abc"}}, false},
		{"Numeric missing key", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"10"}}`, kv{}, false},
		// Date operators.
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2026-11-25T12:00:00Z"}}, true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2026-11-25T12:00:00Z"}}, false},
		{"DateGreaterThan epoch policy value", `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`, kv{"aws:EpochTime": {"1700000001"}}, true},
		{"Date mixed epoch and ISO", `{"DateEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}`, kv{"aws:CurrentTime": {"1700000000"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}`, kv{"aws:CurrentTime": {"1700000000"}}, false},
		{"DateNotEquals missing key", `{"DateNotEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}`, kv{}, true},
		{"DateLessThanEquals offset", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-11-25T13:00:00+01:00"}}`, kv{"aws:CurrentTime": {"2026-11-25T12:00:00Z"}}, true},
		{"DateGreaterThanEquals date only", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-11-25"}}`, kv{"aws:CurrentTime": {"2026-11-25T00:00:00Z"}}, true},
		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool JSON literal", `{"Bool":{"aws:SecureTransport":false}}`, kv{"aws:SecureTransport": {"false"}}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"false"}}, false},
		{"Bool case-insensitive value", `{"Bool":{"batch:Privileged":"TRUE"}}`, kv{"batch:Privileged": {"true"}}, true},
		{"Bool missing key", `{"Bool":{"aws:SecureTransport":"false"}}`, kv{}, false},
		// Binary.
		{"BinaryEquals", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, kv{"key": {"QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals differs", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, kv{"key": {"QmluYXJ5"}}, false},
		// IP addresses.
		{"IpAddress v4 CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress v4 outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"198.51.100.7"}}, false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress v6 CIDR", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, kv{"aws:SourceIp": {"2001:db8:1234:5678::1"}}, true},
		{"IpAddress v6 outside", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, kv{"aws:SourceIp": {"2001:db8:1234:5679::1"}}, false},
		{"IpAddress mixed list", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8::/32"]}}`, kv{"aws:SourceIp": {"2001:db8::5"}}, true},
		{"IpAddress v4-mapped v6", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"::ffff:203.0.113.9"}}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"198.51.100.7"}}, true},
		{"NotIpAddress missing key", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{}, true},
		{"IpAddress garbage request value", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, kv{"aws:SourceIp": {"not-an-ip"}}, false},
		// ARN operators.
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:batch:us-east-1:123456789012:job-queue/q"}}`, kv{"aws:SourceArn": {"arn:aws:batch:us-east-1:123456789012:job-queue/q"}}, true},
		{"ArnLike wildcard region", `{"ArnLike":{"aws:SourceArn":"arn:aws:batch:*:123456789012:job-queue/*"}}`, kv{"aws:SourceArn": {"arn:aws:batch:eu-west-1:123456789012:job-queue/q"}}, true},
		{"ArnLike star does not cross parts", `{"ArnLike":{"aws:SourceArn":"arn:aws:batch:*:job-queue/q"}}`, kv{"aws:SourceArn": {"arn:aws:batch:us-east-1:123456789012:job-queue/q"}}, false},
		{"ArnLike resource star spans colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:/aws/batch/job*"}}`, kv{"aws:SourceArn": {"arn:aws:logs:us-east-1:1:log-group:/aws/batch/job:log-stream:x/y"}}, true},
		{"ArnLike non-ARN value", `{"ArnLike":{"aws:SourceArn":"arn:*"}}`, kv{"aws:SourceArn": {"not-an-arn"}}, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:batch:us-east-1:123456789012:job-queue/q"}}`, kv{"aws:SourceArn": {"arn:aws:batch:us-east-1:123456789012:job-queue/r"}}, true},
		{"ArnNotLike missing key", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:batch:*"}}`, kv{}, true},
		// Null.
		{"Null true, key absent", `{"Null":{"aws:RequestTag/team":"true"}}`, kv{}, true},
		{"Null true, key present", `{"Null":{"aws:RequestTag/team":"true"}}`, kv{"aws:RequestTag/team": {"a"}}, false},
		{"Null false, key present", `{"Null":{"aws:RequestTag/team":"false"}}`, kv{"aws:RequestTag/team": {"a"}}, true},
		{"Null false, key absent", `{"Null":{"aws:RequestTag/team":"false"}}`, kv{}, false},
		{"Null false, empty set", `{"Null":{"aws:TagKeys":"false"}}`, kv{"aws:TagKeys": {}}, false},
		// IfExists.
		{"IfExists missing key", `{"StringEqualsIfExists":{"batch:User":"1000"}}`, kv{}, true},
		{"IfExists present matching", `{"StringEqualsIfExists":{"batch:User":"1000"}}`, kv{"batch:User": {"1000"}}, true},
		{"IfExists present not matching", `{"StringEqualsIfExists":{"batch:User":"1000"}}`, kv{"batch:User": {"0"}}, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"10"}}`, kv{}, true},
		{"BoolIfExists missing", `{"BoolIfExists":{"batch:Privileged":"false"}}`, kv{}, true},
		{"BoolIfExists present true", `{"BoolIfExists":{"batch:Privileged":"false"}}`, kv{"batch:Privileged": {"true"}}, false},
		{"StringNotEqualsIfExists missing", `{"StringNotEqualsIfExists":{"batch:User":"0"}}`, kv{}, true},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:batch:*"}}`, kv{}, true},
		// Set operators.
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:TagKeys": {"team"}}, true},
		{"ForAllValues extra key", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:TagKeys": {"team", "cost"}}, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, kv{}, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {}}, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, kv{"aws:TagKeys": {"team-a", "team-b"}}, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues negated one forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv{"aws:TagKeys": {"a", "secret"}}, false},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAnyValue none match", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {"env"}}, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, kv{}, false},
		{"ForAnyValue empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {}}, false},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {"team", "env"}}, true},
		{"ForAnyValue negated all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {"team"}}, false},
		{"ForAnyValue negated missing key is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, kv{}, false},
		{"ForAnyValue IfExists missing key", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["team"]}}`, kv{}, true},
		{"ForAllValues IfExists missing key", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["team"]}}`, kv{}, true},
		{"multivalued key without set operator matches any", `{"StringEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAnyValue numeric", `{"ForAnyValue:NumericLessThan":{"k":"5"}}`, kv{"k": {"7", "3"}}, true},
		// Several keys AND, several operators AND.
		{"two keys both match", `{"StringEquals":{"aws:username":"alice","aws:RequestTag/team":"a"}}`, kv{"aws:username": {"alice"}, "aws:RequestTag/team": {"a"}}, true},
		{"two keys one fails", `{"StringEquals":{"aws:username":"alice","aws:RequestTag/team":"a"}}`, kv{"aws:username": {"alice"}, "aws:RequestTag/team": {"b"}}, false},
		{"two operators AND", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:username": {"alice"}, "aws:SecureTransport": {"false"}}, false},
		// Policy variables in condition values.
		{"variable in StringEquals", `{"StringEquals":{"aws:RequestTag/owner":"${aws:username}"}}`, kv{"aws:username": {"alice"}, "aws:RequestTag/owner": {"alice"}}, true},
		{"variable mismatch", `{"StringEquals":{"aws:RequestTag/owner":"${aws:username}"}}`, kv{"aws:username": {"alice"}, "aws:RequestTag/owner": {"bob"}}, false},
		{"unresolvable variable does not match", `{"StringEquals":{"aws:RequestTag/owner":"${aws:username}"}}`, kv{"aws:RequestTag/owner": {"${aws:username}"}}, false},
		{"unresolvable variable in StringLike", `{"StringLike":{"aws:RequestTag/owner":"${aws:username}*"}}`, kv{"aws:RequestTag/owner": {"x"}}, false},
		{"variable default used", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, kv{"aws:RequestTag/team": {"none"}}, true},
		{"variable default not used when present", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, kv{"aws:PrincipalTag/team": {"blue"}, "aws:RequestTag/team": {"none"}}, false},
		{"variable value is literal in StringLike", `{"StringLike":{"aws:RequestTag/owner":"${aws:username}"}}`, kv{"aws:username": {"a*"}, "aws:RequestTag/owner": {"abc"}}, false},
		{"${*} is a literal star", `{"StringEquals":{"aws:RequestTag/x":"a${*}b"}}`, kv{"aws:RequestTag/x": {"a*b"}}, true},
		{"${*} in StringLike is not a wildcard", `{"StringLike":{"aws:RequestTag/x":"a${*}"}}`, kv{"aws:RequestTag/x": {"abc"}}, false},
		{"${?} and ${$}", `{"StringEquals":{"aws:RequestTag/x":"${?}${$}"}}`, kv{"aws:RequestTag/x": {"?$"}}, true},
		{"multivalued variable does not resolve", `{"StringEquals":{"aws:RequestTag/x":"${aws:TagKeys}"}}`, kv{"aws:TagKeys": {"a", "b"}, "aws:RequestTag/x": {"a"}}, false},
		{"variable key case-insensitive", `{"StringEquals":{"aws:RequestTag/owner":"${AWS:UserName}"}}`, kv{"aws:username": {"alice"}, "aws:RequestTag/owner": {"alice"}}, true},
		{"variable in ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:batch:*:*:job-queue/${aws:username}-*"}}`, kv{"aws:username": {"alice"}, "aws:SourceArn": {"arn:aws:batch:us-east-1:1:job-queue/alice-q"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := condAllows(t, Version2012, tc.cond, tc.ctx); got != tc.want {
				t.Errorf("allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// In a 2008-10-17 document, or one without Version, ${...} is literal text.
func TestOldVersionHasNoVariables(t *testing.T) {
	t.Parallel()
	cond := `{"StringEquals":{"aws:RequestTag/owner":"${aws:username}"}}`
	literal := kv{"aws:username": {"alice"}, "aws:RequestTag/owner": {"${aws:username}"}}
	resolved := kv{"aws:username": {"alice"}, "aws:RequestTag/owner": {"alice"}}
	for _, v := range []string{Version2008, ""} {
		if !condAllows(t, v, cond, literal) {
			t.Errorf("version %q: literal ${aws:username} should match itself", v)
		}
		if condAllows(t, v, cond, resolved) {
			t.Errorf("version %q: ${aws:username} must not be resolved", v)
		}
	}
	if condAllows(t, Version2012, cond, literal) || !condAllows(t, Version2012, cond, resolved) {
		t.Error("2012-10-17 must resolve ${aws:username}")
	}
}

func TestConditionCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cond, wantPath string
	}{
		{"unknown operator", `{"StringEqual":{"aws:username":"a"}}`, "$.Statement.Condition"},
		{"bad number", `{"NumericLessThan":{"k":"ten"}}`, "$.Statement.Condition.NumericLessThan.k"},
		{"bad date", `{"DateLessThan":{"aws:CurrentTime":"yesterday"}}`, `$.Statement.Condition.DateLessThan["aws:CurrentTime"]`},
		{"bad bool", `{"Bool":{"aws:SecureTransport":"yes"}}`, `$.Statement.Condition.Bool["aws:SecureTransport"]`},
		{"bad CIDR", `{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}`, `$.Statement.Condition.IpAddress["aws:SourceIp"]`},
		{"bad base64", `{"BinaryEquals":{"k":"!!!"}}`, "$.Statement.Condition.BinaryEquals.k"},
		{"Null with IfExists", `{"NullIfExists":{"k":"true"}}`, "$.Statement.Condition"},
		{"Null with set operator", `{"ForAnyValue:Null":{"k":"true"}}`, "$.Statement.Condition"},
		{"Null two values", `{"Null":{"k":["true","false"]}}`, "$.Statement.Condition.Null.k"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"batch:SubmitJob","Resource":"*","Condition":` + tc.cond + `}}`
			_, err := Load("x", []byte(doc))
			pe, ok := err.(*Error)
			if !ok {
				t.Fatalf("Load: err = %v, want *Error", err)
			}
			if pe.Path != tc.wantPath {
				t.Errorf("path = %q, want %q (msg %q)", pe.Path, tc.wantPath, pe.Msg)
			}
		})
	}
}
