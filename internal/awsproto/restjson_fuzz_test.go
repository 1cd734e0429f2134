package awsproto

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRESTJSON feeds ParseRESTJSON any method, request target and
// body. It must never panic and must return a request or an *Error with a
// code and a status; a request must name an operation of the model with
// that method; its labels, escaped again into the operation's requestUri,
// must route to the same request, and its body, encoded again, must decode
// to the same body; Input, ValidateJSON and Decode must not panic and must
// answer nil or an *Error.
func FuzzParseRESTJSON(f *testing.F) {
	// What the SDK sends for SubmitJob.
	f.Add("POST", "/v1/submitjob", `{"jobDefinition":"d:1","jobName":"j","jobQueue":"q","arrayProperties":{"size":2},"tags":{"k":"v"}}`)
	// Labels: an escaped ARN; the tag keys of UntagResource.
	f.Add("GET", "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob-queue%2Fq", "")
	f.Add("DELETE", "/v1/tags/arn?tagKeys=a&tagKeys=b%20c", "")
	// An unescaped slash, an empty label, bad escapes, a trailing slash.
	f.Add("GET", "/v1/tags/a/b", "")
	f.Add("GET", "/v1/tags/", "")
	f.Add("DELETE", "/v1/tags/%zz?tagKeys=%", "")
	f.Add("POST", "/v1/submitjob/", "{}")
	// Wrong methods, unknown paths, not a path at all.
	f.Add("PUT", "/v1/submitjob", "")
	f.Add("post", "/v1/submitjob", "")
	f.Add("POST", "*", "")
	f.Add("POST", "http://host/v1/describejobs", `{"jobs":["a"]}`)
	// Bodies of every JSON type, values of the wrong type, huge numbers,
	// nulls, deep nesting, trailing data, invalid UTF-8.
	f.Add("POST", "/v1/describejobs", `{"jobs":[null,1,true,{"a":[]}]}`)
	f.Add("POST", "/v1/submitjob", `{"jobName":1e999,"jobQueue":-0,"jobDefinition":{},"arrayProperties":{"size":99999999999999999999}}`)
	f.Add("POST", "/v1/submitjob", `[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`)
	f.Add("POST", "/v1/submitjob", `{"a":1}{"b":2}`)
	f.Add("POST", "/v1/tags/x", "{\"tags\":{\"\xff\":\"\xfe\"}}")
	f.Fuzz(func(t *testing.T, method, target, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		r := &http.Request{Method: method, URL: u, Header: http.Header{}}
		req, err := ParseRESTJSON("batch", r, []byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || req != nil || e.Code == "" || e.Status == 0 {
				t.Fatalf("ParseRESTJSON = %v, %#v; want nil and an *Error with code and status", req, err)
			}
			return
		}
		s, _ := Model("batch")
		op := s.Operations[req.Operation]
		if op == nil || op.Method != method {
			t.Fatalf("%s %s routed to %q", method, target, req.Operation)
		}

		// Round trip: the labels, escaped into the requestUri, route to
		// the same operation and labels.
		path := op.RequestURI
		for name, v := range req.Labels {
			if v == "" {
				t.Fatalf("empty label %s", name)
			}
			path = strings.Replace(path, "{"+name+"}", escapeLabel(v), 1)
		}
		again, err := ParseRESTJSON("batch", newRESTRequest(t, method, path), nil)
		if err != nil || again.Operation != req.Operation || !reflect.DeepEqual(again.Labels, req.Labels) {
			t.Fatalf("labels %v re-escaped as %s: %+v, %v", req.Labels, path, again, err)
		}

		// The body, encoded again, decodes to the same body.
		if req.Body != nil {
			b, err := json.Marshal(req.Body)
			if err != nil {
				t.Fatalf("re-encoding %#v: %v", req.Body, err)
			}
			back, err := decodeBody(b)
			if err != nil || !reflect.DeepEqual(back, req.Body) {
				t.Fatalf("body round trip: %#v became %s, then %#v, %v", req.Body, b, back, err)
			}
		}

		in := req.Input()
		checkErr(t, func() error { return ValidateJSON("batch", req.Operation, in) })
		var m map[string]any
		checkErr(t, func() error { return req.Decode(&m) })
	})
}
