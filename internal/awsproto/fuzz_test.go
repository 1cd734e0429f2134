package awsproto

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseQuery feeds ParseQuery any URL query, content type and body. It
// must never panic and must return a request or an *Error; a request's
// parameters, encoded again, must decode to the same request; and the
// accessors and Validate must not panic on whatever it returned.
func FuzzParseQuery(f *testing.F) {
	// What the AWS CLI sends.
	f.Add("", "application/x-www-form-urlencoded; charset=utf-8", "Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=k&Tags.member.1.Value=v")
	// A presigned STS GetCallerIdentity URL, no body.
	f.Add("Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request", "", "")
	// Escapes, plus signs, empty pairs, repeated names.
	f.Add("UserName=a%2Bb+c", "", "Action=GetUser&&Action=Other&Version=2010-05-08&=&x")
	// Bad escapes.
	f.Add("%zz", "", "Action=%")
	// List gaps, odd indexes, deep nesting.
	f.Add("", "", "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=u&ClientIDList.member.2=a&ThumbprintList.member.01=b&Tags.member.1.Key.x.y=z")
	// Numbers and booleans out of range or of the wrong type.
	f.Add("", "", "Action=ListUsers&Version=2010-05-08&MaxItems=99999999999999999999999&OnlyAttached=maybe")
	// Not a form.
	f.Add("", "application/json", `{"Action":"GetUser"}`)
	// Invalid UTF-8 in names and values.
	f.Add("", "", "Action=GetUser&Version=2010-05-08&UserName=%ff%fe&%c3%28=1")
	f.Fuzz(func(t *testing.T, rawQuery, contentType, body string) {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		q, err := ParseQuery(r, []byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || q != nil || e.Code == "" || e.Status == 0 {
				t.Fatalf("ParseQuery = %v, %#v; want nil and an *Error with code and status", q, err)
			}
			return
		}
		if q == nil || q.Action == "" {
			t.Fatalf("ParseQuery = %#v without error", q)
		}

		// Round trip: the decoded parameters, encoded as a form, decode
		// to the same request.
		form := url.Values{"Action": {q.Action}}
		if q.Version != "" {
			form.Set("Version", q.Version)
		}
		for k, v := range q.Params.m {
			form.Set(k, v)
		}
		enc := form.Encode()
		again, err := ParseQuery(&http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}, Header: http.Header{}}, []byte(enc))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", enc, err)
		}
		if again.Action != q.Action || again.Version != q.Version || !maps.Equal(again.Params.m, q.Params.m) {
			t.Fatalf("round trip changed the request:\n%#v\n%#v", q, again)
		}

		for _, name := range q.Params.Names() {
			base, _, _ := strings.Cut(name, ".")
			q.Params.Has(base)
			q.Params.Int(name)
			q.Params.Bool(name)
			q.Params.Time(name)
			checkErr(t, func() error { _, err := q.Params.StringList(base); return err })
			checkErr(t, func() error { _, err := q.Params.StructList(base); return err })
			checkErr(t, func() error { _, err := q.Params.Map(base); return err })
		}
		for _, service := range []string{"iam", "sts"} {
			checkErr(t, func() error { return CheckAction(service, q) })
			if s, _ := Model(service); s.Operations[q.Action] != nil {
				checkErr(t, func() error { return Validate(service, q.Action, &q.Params) })
			}
		}
	})
}

// checkErr fails unless fn returns nil or an *Error.
func checkErr(t *testing.T, fn func() error) {
	t.Helper()
	err := fn()
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
}
