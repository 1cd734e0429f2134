package awsproto

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 65)
	userNamePattern := `Member must satisfy regular expression pattern: [\w+=,.@-]+`
	tests := []struct {
		name     string
		service  string
		op       string
		params   map[string]string
		wantCode string // empty: valid
		want     string // the whole message
	}{
		{
			name: "CreateUser valid, with tags", service: "iam", op: "CreateUser",
			params: map[string]string{"UserName": "alice.b+c=d,e@f-g_h", "Path": "/team/", "Tags.member.1.Key": "team", "Tags.member.1.Value": "data eng", "Unknown": "ignored"},
		},
		{
			name: "CreateUser bad name", service: "iam", op: "CreateUser",
			params:   map[string]string{"UserName": "bad name!"},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: " + userNamePattern,
		},
		{
			name: "CreateUser long name", service: "iam", op: "CreateUser",
			params:   map[string]string{"UserName": long},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64",
		},
		{
			name: "CreateUser empty name: two violations, length first", service: "iam", op: "CreateUser",
			params:   map[string]string{"UserName": ""},
			wantCode: "ValidationError",
			want: "2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'userName' failed to satisfy constraint: " + userNamePattern,
		},
		{
			name: "CreateUser missing name", service: "iam", op: "CreateUser",
			params:   map[string]string{"Path": "/"},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "CreateUser bad path and a tag without a value", service: "iam", op: "CreateUser",
			params:   map[string]string{"UserName": "alice", "Path": "team", "Tags.member.1.Key": "team"},
			wantCode: "ValidationError",
			want: "2 validation errors detected: Value 'team' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); " +
				"Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "UpdateAccessKey bad status, missing key id", service: "iam", op: "UpdateAccessKey",
			params:   map[string]string{"Status": "Enabled"},
			wantCode: "ValidationError",
			want: "2 validation errors detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null; " +
				"Value 'Enabled' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
		},
		{
			name: "UpdateAccessKey valid", service: "iam", op: "UpdateAccessKey",
			params: map[string]string{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"},
		},
		{
			name: "ListUsers MaxItems too big", service: "iam", op: "ListUsers",
			params:   map[string]string{"MaxItems": "5000"},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value '5000' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
		},
		{
			name: "ListUsers MaxItems zero", service: "iam", op: "ListUsers",
			params:   map[string]string{"MaxItems": "0"},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name: "ListUsers MaxItems not a number", service: "iam", op: "ListUsers",
			params:   map[string]string{"MaxItems": "ten"},
			wantCode: "InvalidParameterValue",
			want:     "Invalid value 'ten' for parameter MaxItems: expected an integer",
		},
		{
			name: "a list of scalars reports once, on the list", service: "iam", op: "CreateOpenIDConnectProvider",
			params:   map[string]string{"Url": "https://example.com", "ThumbprintList.member.1": "abc", "ThumbprintList.member.2": strings.Repeat("f", 41)},
			wantCode: "ValidationError",
			want: "1 validation error detected: Value '[abc, " + strings.Repeat("f", 41) + "]' at 'thumbprintList' failed to satisfy constraint: " +
				"Member must satisfy constraint: [Member must have length greater than or equal to 40, Member must have length less than or equal to 40]",
		},
		{
			name: "list with a gap", service: "iam", op: "CreateOpenIDConnectProvider",
			params:   map[string]string{"Url": "https://example.com", "ClientIDList.member.2": "abc"},
			wantCode: "InvalidParameterValue",
		},
		{
			name: "sensitive values are not shown", service: "iam", op: "CreateLoginProfile",
			params:   map[string]string{"UserName": "alice", "Password": "pass\x01word"},
			wantCode: "ValidationError",
			want:     "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
		},
		{
			name: "STS AssumeRole duration and session name", service: "sts", op: "AssumeRole",
			params:   map[string]string{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s", "DurationSeconds": "60"},
			wantCode: "ValidationError",
			want: "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
				"Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		},
		{
			name: "STS AssumeRole valid with policy ARNs and tags", service: "sts", op: "AssumeRole",
			params: map[string]string{
				"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "session@1",
				"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
				"Tags.member.1.Key":       "Project", "Tags.member.1.Value": "Ünicode value",
				"TransitiveTagKeys.member.1": "Project", "DurationSeconds": "3600",
			},
		},
		{
			name: "no input members", service: "sts", op: "GetCallerIdentity",
			params: map[string]string{"Anything": "goes"},
		},
		{
			name: "no such operation", service: "iam", op: "CreateUsr",
			wantCode: "InvalidAction",
			want:     "Could not find operation CreateUsr for version 2010-05-08",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewParams(tt.params)
			err := Validate(tt.service, tt.op, &p)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate error = %v, want %s", err, tt.wantCode)
			}
			if e.Code != tt.wantCode || e.Status != 400 || !e.Sender {
				t.Errorf("code, status, sender = %s, %d, %v; want %s, 400, true", e.Code, e.Status, e.Sender, tt.wantCode)
			}
			if tt.want != "" && e.Message != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", e.Message, tt.want)
			}
		})
	}
}

func TestValidateListLength(t *testing.T) {
	t.Parallel()
	m := map[string]string{"UserName": "alice"}
	for i := 1; i <= 51; i++ {
		m[fmt.Sprintf("Tags.member.%d.Key", i)] = "k"
		m[fmt.Sprintf("Tags.member.%d.Value", i)] = "v"
	}
	p := NewParams(m)
	err := Validate("iam", "TagUser", &p)
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Message, "1 validation error detected: Value '[{Key=k, Value=v}, ") ||
		!strings.HasSuffix(e.Message, "]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50") {
		t.Errorf("Validate = %v", err)
	}
}

func TestValidateUnknownService(t *testing.T) {
	t.Parallel()
	p := NewParams(nil)
	err := Validate("s3", "GetObject", &p)
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("Validate(s3) = %v, want a plain (internal) error", err)
	}
}

// BenchmarkValidateLongList checks that validating a list costs in proportion
// to its length: a long struct list must not be quadratic.
func BenchmarkValidateLongList(b *testing.B) {
	m := map[string]string{"UserName": "alice"}
	for i := 1; i <= 20000; i++ {
		m[fmt.Sprintf("Tags.member.%d.Key", i)] = "k"
		m[fmt.Sprintf("Tags.member.%d.Value", i)] = "v"
	}
	p := NewParams(m)
	err := Validate("iam", "TagUser", &p)
	if e, ok := err.(*Error); !ok || !strings.Contains(e.Message, "Member must have length less than or equal to 50") {
		b.Fatalf("Validate = %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate("iam", "TagUser", &p)
	}
}
