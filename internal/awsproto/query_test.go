package awsproto

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// post builds a Query POST as the AWS CLI sends it.
func post(body string) (*http.Request, []byte) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r, []byte(body)
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method, url string
		contentType string
		body        string
		wantAction  string
		wantVersion string
		wantParams  map[string]string
		wantCode    string
	}{
		{
			name:        "post form",
			method:      "POST",
			url:         "/",
			contentType: "application/x-www-form-urlencoded; charset=utf-8",
			body:        "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F",
			wantAction:  "CreateUser",
			wantVersion: "2010-05-08",
			wantParams:  map[string]string{"UserName": "alice", "Path": "/team/"},
		},
		{
			name:        "url-encoded values: plus is a space, escapes decode",
			method:      "POST",
			url:         "/",
			body:        "Action=PutUserPolicy&Version=2010-05-08&PolicyDocument=%7B%22a%22%3A+1%7D&Name=a%26b%3Dc",
			wantAction:  "PutUserPolicy",
			wantVersion: "2010-05-08",
			wantParams:  map[string]string{"PolicyDocument": `{"a": 1}`, "Name": "a&b=c"},
		},
		{
			name:        "get with query string (presigned)",
			method:      "GET",
			url:         "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc",
			wantAction:  "GetCallerIdentity",
			wantVersion: "2011-06-15",
			wantParams:  map[string]string{"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Signature": "abc"},
		},
		{
			name:        "url and body merge; the url's value wins",
			method:      "POST",
			url:         "/?Action=GetUser&UserName=fromurl",
			body:        "Version=2010-05-08&UserName=frombody&Marker=m",
			wantAction:  "GetUser",
			wantVersion: "2010-05-08",
			wantParams:  map[string]string{"UserName": "fromurl", "Marker": "m"},
		},
		{
			name:        "repeated name keeps the first value",
			method:      "POST",
			url:         "/",
			body:        "Action=GetUser&Version=2010-05-08&UserName=a&UserName=b&&",
			wantAction:  "GetUser",
			wantVersion: "2010-05-08",
			wantParams:  map[string]string{"UserName": "a"},
		},
		{
			name:        "a json body is not a form",
			method:      "POST",
			url:         "/",
			contentType: "application/json",
			body:        `{"Action":"GetUser"}`,
			wantCode:    "MissingAction",
		},
		{
			name:     "missing action",
			method:   "POST",
			url:      "/",
			body:     "Version=2010-05-08&UserName=a",
			wantCode: "MissingAction",
		},
		{
			name:     "empty action",
			method:   "POST",
			url:      "/",
			body:     "Action=&Version=2010-05-08",
			wantCode: "MissingAction",
		},
		{
			name:     "bad escape in a value",
			method:   "POST",
			url:      "/",
			body:     "Action=GetUser&UserName=%zz",
			wantCode: "MalformedQueryString",
		},
		{
			name:     "bad escape in a name",
			method:   "POST",
			url:      "/",
			body:     "Action=GetUser&User%4=a",
			wantCode: "MalformedQueryString",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			q, err := ParseQuery(r, []byte(tt.body))
			if tt.wantCode != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != tt.wantCode {
					t.Fatalf("ParseQuery error = %v, want code %s", err, tt.wantCode)
				}
				if e.Status == 0 {
					t.Errorf("error %v has no status", e)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			if q.Action != tt.wantAction || q.Version != tt.wantVersion {
				t.Errorf("Action, Version = %q, %q; want %q, %q", q.Action, q.Version, tt.wantAction, tt.wantVersion)
			}
			if !reflect.DeepEqual(q.Params.m, tt.wantParams) {
				t.Errorf("Params = %v, want %v", q.Params.m, tt.wantParams)
			}
		})
	}
}

func TestParamsScalars(t *testing.T) {
	t.Parallel()
	p := NewParams(map[string]string{
		"MaxItems": "100", "Bad": "ten", "Big": "99999999999999999999",
		"OnlyAttached": "true", "Upper": "FALSE", "NotBool": "yes", "Empty": "",
	})
	if v, ok := p.String("Empty"); !ok || v != "" {
		t.Errorf(`String("Empty") = %q, %v; want "", true`, v, ok)
	}
	if _, ok := p.String("Absent"); ok {
		t.Error(`String("Absent") found`)
	}
	if n, ok, err := p.Int("MaxItems"); n != 100 || !ok || err != nil {
		t.Errorf(`Int("MaxItems") = %d, %v, %v`, n, ok, err)
	}
	if _, ok, err := p.Int("Absent"); ok || err != nil {
		t.Errorf(`Int("Absent") = %v, %v`, ok, err)
	}
	for _, name := range []string{"Bad", "Big", "Empty"} {
		if _, _, err := p.Int(name); codeOf(err) != "InvalidParameterValue" {
			t.Errorf("Int(%q) error = %v, want InvalidParameterValue", name, err)
		}
	}
	if b, ok, err := p.Bool("OnlyAttached"); !b || !ok || err != nil {
		t.Errorf(`Bool("OnlyAttached") = %v, %v, %v`, b, ok, err)
	}
	if b, ok, err := p.Bool("Upper"); b || !ok || err != nil {
		t.Errorf(`Bool("Upper") = %v, %v, %v`, b, ok, err)
	}
	if _, _, err := p.Bool("NotBool"); codeOf(err) != "InvalidParameterValue" {
		t.Errorf(`Bool("NotBool") error = %v`, err)
	}
	if !p.Has("MaxItems") || p.Has("Max") || p.Has("Absent") {
		t.Error("Has is wrong for MaxItems, Max or Absent")
	}
}

func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestStringList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		params   map[string]string
		want     []string
		wantCode string
	}{
		{name: "absent", params: map[string]string{"Other": "x"}, want: nil},
		{name: "empty list as the sdk sends it", params: map[string]string{"ClientIDList": ""}, want: []string{}},
		{name: "one", params: map[string]string{"ClientIDList.member.1": "a"}, want: []string{"a"}},
		{
			name: "ordered by index, not by name",
			params: map[string]string{
				"ClientIDList.member.1": "a", "ClientIDList.member.2": "b", "ClientIDList.member.10": "j",
				"ClientIDList.member.3": "c", "ClientIDList.member.4": "d", "ClientIDList.member.5": "e",
				"ClientIDList.member.6": "f", "ClientIDList.member.7": "g", "ClientIDList.member.8": "h",
				"ClientIDList.member.9": "i", "ClientIDListX.member.11": "other list",
			},
			want: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		},
		{name: "gap", params: map[string]string{"ClientIDList.member.1": "a", "ClientIDList.member.3": "c"}, wantCode: "InvalidParameterValue"},
		{name: "starts at 2", params: map[string]string{"ClientIDList.member.2": "b"}, wantCode: "InvalidParameterValue"},
		{name: "zero index", params: map[string]string{"ClientIDList.member.0": "a"}, wantCode: "InvalidParameterValue"},
		{name: "leading zero", params: map[string]string{"ClientIDList.member.01": "a"}, wantCode: "InvalidParameterValue"},
		{name: "not a number", params: map[string]string{"ClientIDList.member.x": "a"}, wantCode: "InvalidParameterValue"},
		{name: "huge index", params: map[string]string{"ClientIDList.member.99999999999999999999": "a"}, wantCode: "InvalidParameterValue"},
		{name: "structure where a value belongs", params: map[string]string{"ClientIDList.member.1.Key": "a"}, wantCode: "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewParams(tt.params).StringList("ClientIDList")
			if tt.wantCode != "" {
				if codeOf(err) != tt.wantCode {
					t.Fatalf("StringList error = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("StringList = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestStructList(t *testing.T) {
	t.Parallel()
	r, body := post("Action=TagUser&Version=2010-05-08&UserName=alice" +
		"&Tags.member.2.Key=team&Tags.member.2.Value=data+eng" +
		"&Tags.member.1.Key=cost%20center&Tags.member.1.Value=42" +
		"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")
	q, err := ParseQuery(r, body)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := q.Params.StructList("Tags")
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for _, tag := range tags {
		k, _ := tag.String("Key")
		v, _ := tag.String("Value")
		got = append(got, [2]string{k, v})
	}
	want := [][2]string{{"cost center", "42"}, {"team", "data eng"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tags = %q, want %q", got, want)
	}
	arns, err := q.Params.StructList("PolicyArns")
	if err != nil || len(arns) != 1 {
		t.Fatalf("PolicyArns = %v, %v", arns, err)
	}
	if a, _ := arns[0].String("arn"); a != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("PolicyArns[0].arn = %q", a)
	}
	if !q.Params.Has("Tags") || q.Params.Has("Tag") {
		t.Error("Has(Tags) must be true, Has(Tag) false")
	}

	if l, err := NewParams(map[string]string{"Tags": ""}).StructList("Tags"); err != nil || l == nil || len(l) != 0 {
		t.Errorf("empty struct list = %#v, %v; want empty, non-nil", l, err)
	}
	if l, err := NewParams(nil).StructList("Tags"); err != nil || l != nil {
		t.Errorf("absent struct list = %#v, %v; want nil", l, err)
	}
	if _, err := NewParams(map[string]string{"Tags.member.1.Key": "a", "Tags.member.3.Key": "c"}).StructList("Tags"); codeOf(err) != "InvalidParameterValue" {
		t.Errorf("gap: error = %v", err)
	}
}

func TestMapAndStruct(t *testing.T) {
	t.Parallel()
	p := NewParams(map[string]string{
		"Attributes.entry.1.key": "a", "Attributes.entry.1.value": "1",
		"Attributes.entry.2.key": "b", "Attributes.entry.2.value": "2",
		"Config.Name": "n", "Config.Inner.Deep": "d",
	})
	m, err := p.Map("Attributes")
	if err != nil || !reflect.DeepEqual(m, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("Map = %v, %v", m, err)
	}
	c := p.Struct("Config")
	if v, _ := c.String("Name"); v != "n" {
		t.Errorf("Config.Name = %q", v)
	}
	if v, _ := c.Struct("Inner").String("Deep"); v != "d" {
		t.Errorf("Config.Inner.Deep = %q", v)
	}
	if _, err := NewParams(map[string]string{"M.entry.1.value": "v"}).Map("M"); codeOf(err) != "InvalidParameterValue" {
		t.Errorf("entry without key: error = %v", err)
	}
}

func TestCheckAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		service, action, version string
		wantCode, wantMessage    string
	}{
		{"iam", "CreateUser", "2010-05-08", "", ""},
		{"sts", "GetCallerIdentity", "2011-06-15", "", ""},
		{"iam", "CreateUsr", "2010-05-08", "InvalidAction", "Could not find operation CreateUsr for version 2010-05-08"},
		{"iam", "GetCallerIdentity", "2011-06-15", "InvalidAction", "Could not find operation GetCallerIdentity for version 2011-06-15"},
		{"iam", "CreateUser", "", "MissingParameter", "The request must contain the parameter Version"},
	}
	for _, tt := range tests {
		err := CheckAction(tt.service, &QueryRequest{Action: tt.action, Version: tt.version})
		if tt.wantCode == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tt.service, tt.action, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.wantCode || e.Message != tt.wantMessage || e.Status != 400 || !e.Sender {
			t.Errorf("%s %s %s: error = %#v, want %s %q 400", tt.service, tt.action, tt.version, err, tt.wantCode, tt.wantMessage)
		}
	}
	if err := CheckAction("batch", &QueryRequest{Action: "SubmitJob", Version: "2016-08-10"}); err == nil || codeOf(err) != "" {
		t.Errorf("batch is not a Query service: error = %v", err)
	}
}
