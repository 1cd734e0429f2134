package awsproto

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// escapeLabel percent-encodes a URI label as the AWS SDKs do: everything
// but the unreserved characters, "/" and ":" included.
func escapeLabel(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

// newRESTRequest builds a request as the server receives it: the request
// line parsed as net/http parses it.
func newRESTRequest(t testing.TB, method, target string) *http.Request {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("bad request target %q: %v", target, err)
	}
	return &http.Request{Method: method, URL: u, Header: http.Header{}}
}

const queueARN = "arn:aws:batch:us-east-1:123456789012:job-queue/my queue+ü"

// TestRESTRoutesEveryBatchOperation routes every operation of the Batch
// model from its own method and requestUri, its labels filled with an ARN
// holding "/", ":", a space, "+" and a non-ASCII letter, escaped as the SDKs
// escape them.
func TestRESTRoutesEveryBatchOperation(t *testing.T) {
	t.Parallel()
	s, _ := Model("batch")
	names := OperationNames("batch")
	if len(names) < 40 {
		t.Fatalf("only %d Batch operations in the model", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := s.Operations[name]
			path := op.RequestURI
			wantLabels := map[string]string(nil)
			for {
				i := strings.Index(path, "{")
				if i < 0 {
					break
				}
				j := strings.Index(path[i:], "}") + i
				label := strings.TrimSuffix(path[i+1:j], "+")
				if wantLabels == nil {
					wantLabels = map[string]string{}
				}
				wantLabels[label] = queueARN
				path = path[:i] + escapeLabel(queueARN) + path[j+1:]
			}
			req, err := ParseRESTJSON("batch", newRESTRequest(t, op.Method, path), nil)
			if err != nil {
				t.Fatalf("%s %s: %v", op.Method, path, err)
			}
			if req.Operation != name || !reflect.DeepEqual(req.Labels, wantLabels) {
				t.Errorf("%s %s = %s %v; want %s %v", op.Method, path, req.Operation, req.Labels, name, wantLabels)
			}
		})
	}
}

func TestParseRESTJSONRoutes(t *testing.T) {
	t.Parallel()
	tagsPath := "/v1/tags/" + escapeLabel(queueARN)
	tests := []struct {
		name, method, target string
		wantOp               string
		wantLabels           map[string]string
		wantQuery            url.Values
		wantStatus           int // of the *Error, when there is one
	}{
		{name: "SubmitJob", method: "POST", target: "/v1/submitjob", wantOp: "SubmitJob"},
		{name: "a query string on a POST is kept, not routed on", method: "POST", target: "/v1/describejobs?x=1", wantOp: "DescribeJobs", wantQuery: url.Values{"x": {"1"}}},
		{name: "ListTagsForResource", method: "GET", target: tagsPath, wantOp: "ListTagsForResource", wantLabels: map[string]string{"resourceArn": queueARN}},
		{name: "TagResource", method: "POST", target: tagsPath, wantOp: "TagResource", wantLabels: map[string]string{"resourceArn": queueARN}},
		{
			name: "UntagResource with its tagKeys list", method: "DELETE", target: tagsPath + "?tagKeys=team&tagKeys=cost%20center",
			wantOp: "UntagResource", wantLabels: map[string]string{"resourceArn": queueARN}, wantQuery: url.Values{"tagKeys": {"team", "cost center"}},
		},
		{name: "a label with only ':' escaped", method: "GET", target: "/v1/tags/arn:aws:batch:us-east-1:1:job%2Fj", wantOp: "ListTagsForResource", wantLabels: map[string]string{"resourceArn": "arn:aws:batch:us-east-1:1:job/j"}},
		{name: "an escaped literal segment", method: "POST", target: "/v1/%73ubmitjob", wantOp: "SubmitJob"},
		{name: "wrong method on a known path", method: "GET", target: "/v1/submitjob", wantStatus: 405},
		{name: "PUT on the tags path", method: "PUT", target: tagsPath, wantStatus: 405},
		{name: "unknown path", method: "POST", target: "/v1/launchrockets", wantStatus: 404},
		{name: "trailing slash", method: "POST", target: "/v1/submitjob/", wantStatus: 404},
		{name: "root", method: "POST", target: "/", wantStatus: 404},
		{name: "upper case is another path", method: "POST", target: "/v1/SubmitJob", wantStatus: 404},
		{name: "empty label", method: "GET", target: "/v1/tags/", wantStatus: 404},
		{name: "an unescaped / splits the label", method: "GET", target: "/v1/tags/arn:aws:batch:us-east-1:1:job-queue/q", wantStatus: 404},
		{name: "IAM's Query path", method: "POST", target: "/?Action=GetUser", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := ParseRESTJSON("batch", newRESTRequest(t, tt.method, tt.target), nil)
			if tt.wantStatus != 0 {
				var e *Error
				if !errors.As(err, &e) || req != nil || e.Status != tt.wantStatus || e.Code != "UnknownOperationException" ||
					!strings.Contains(e.Message, tt.method+" ") {
					t.Fatalf("ParseRESTJSON = %+v, %v; want a %d UnknownOperationException naming the method", req, err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Operation != tt.wantOp || !reflect.DeepEqual(req.Labels, tt.wantLabels) || !reflect.DeepEqual(req.Query, tt.wantQuery) || req.Body != nil {
				t.Errorf("ParseRESTJSON = %+v; want %s %v %v and no body", req, tt.wantOp, tt.wantLabels, tt.wantQuery)
			}
		})
	}
}

func TestParseRESTJSONBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       map[string]any
		wantErr    string // ClientException message
	}{
		{name: "no body", body: "", want: nil},
		{name: "whitespace", body: " \n\t", want: nil},
		{name: "JSON null", body: "null", want: nil},
		{name: "empty object", body: "{}", want: map[string]any{}},
		{
			name: "numbers stay json.Number, nesting kept",
			body: `{"jobName":"j","schedulingPriorityOverride":9007199254740993,"f":1.5e3,"b":true,"n":null,"l":[1,"x"],"o":{"k":"v"}}`,
			want: map[string]any{"jobName": "j", "schedulingPriorityOverride": json.Number("9007199254740993"), "f": json.Number("1.5e3"), "b": true, "n": nil,
				"l": []any{json.Number("1"), "x"}, "o": map[string]any{"k": "v"}},
		},
		{name: "HTML and escapes in strings", body: `{"s":"<a&b>\u00fc\n"}`, want: map[string]any{"s": "<a&b>ü\n"}},
		{name: "malformed", body: `{"jobName":`, wantErr: "An error occurred during JSON parsing"},
		{name: "not an object", body: `["jobName"]`, wantErr: "An error occurred during JSON parsing"},
		{name: "a string", body: `"x"`, wantErr: "An error occurred during JSON parsing"},
		{name: "trailing data", body: `{"a":1} {"b":2}`, wantErr: "An error occurred during JSON parsing"},
		{name: "trailing garbage", body: `{"a":1}x`, wantErr: "An error occurred during JSON parsing"},
		{name: "a form", body: `Action=SubmitJob`, wantErr: "An error occurred during JSON parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := ParseRESTJSON("batch", newRESTRequest(t, "POST", "/v1/submitjob"), []byte(tt.body))
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != "ClientException" || e.Status != 400 || e.Message != tt.wantErr {
					t.Fatalf("ParseRESTJSON(%q) = %+v, %v; want ClientException %q", tt.body, req, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Body, tt.want) {
				t.Errorf("Body = %#v, want %#v", req.Body, tt.want)
			}
		})
	}

	t.Run("malformed query string", func(t *testing.T) {
		t.Parallel()
		r := &http.Request{Method: "DELETE", URL: &url.URL{Path: "/v1/tags/x", RawQuery: "tagKeys=%zz"}, Header: http.Header{}}
		_, err := ParseRESTJSON("batch", r, nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != "ClientException" || !strings.HasPrefix(e.Message, "Error executing request, Exception : The query string is malformed") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("not a REST-JSON service", func(t *testing.T) {
		t.Parallel()
		_, err := ParseRESTJSON("iam", newRESTRequest(t, "POST", "/"), nil)
		var e *Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("err = %v, want a plain error", err)
		}
	})
}

func TestRESTRequestInput(t *testing.T) {
	t.Parallel()
	target := "/v1/tags/" + escapeLabel(queueARN) + "?tagKeys=a&tagKeys=b%26c&other=x"
	req, err := ParseRESTJSON("batch", newRESTRequest(t, "DELETE", target), []byte(`{"resourceArn":"smuggled","extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"resourceArn": queueARN, "tagKeys": []any{"a", "b&c"}, "extra": json.Number("1")}
	if got := req.Input(); !reflect.DeepEqual(got, want) {
		t.Errorf("Input() = %#v, want %#v", got, want)
	}
	if err := ValidateJSON("batch", req.Operation, req.Input()); err != nil {
		t.Errorf("ValidateJSON: %v", err)
	}
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := req.Decode(&in); err != nil || in.ResourceArn != queueARN || !reflect.DeepEqual(in.TagKeys, []string{"a", "b&c"}) {
		t.Errorf("Decode = %+v, %v", in, err)
	}

	// UntagResource without tagKeys: the query-string member is missing.
	req, err = ParseRESTJSON("batch", newRESTRequest(t, "DELETE", "/v1/tags/arn"), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateJSON("batch", req.Operation, req.Input())
	if e := (*Error)(nil); !errors.As(err, &e) || e.Message != "Error executing request, Exception : tagKeys is required." {
		t.Errorf("UntagResource without tagKeys: %v", err)
	}

	// Decode refuses a value of the wrong type, naming the field.
	req, err = ParseRESTJSON("batch", newRESTRequest(t, "POST", "/v1/submitjob"), []byte(`{"jobName":"j","timeout":{"attemptDurationSeconds":"soon"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var sj struct {
		JobName string `json:"jobName"`
		Timeout *struct {
			AttemptDurationSeconds *int32 `json:"attemptDurationSeconds"`
		} `json:"timeout"`
	}
	err = req.Decode(&sj)
	if e := (*Error)(nil); !errors.As(err, &e) || e.Code != "ClientException" || !strings.Contains(e.Message, "timeout.attemptDurationSeconds must be an integer") {
		t.Errorf("Decode of a string into an int32: %v", err)
	}
}

func TestValidateJSONBatch(t *testing.T) {
	t.Parallel()
	const prefix = "Error executing request, Exception : "
	long := strings.Repeat("k", 129)
	manyTags := map[string]any{}
	for i := range 51 {
		manyTags[strings.Repeat("t", i+1)] = "v"
	}
	tests := []struct {
		name, op string
		body     string
		want     string // the message after the prefix; "" for valid
	}{
		{name: "minimal SubmitJob", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`},
		{
			name: "full SubmitJob, unknown members ignored", op: "SubmitJob",
			body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d:1","arrayProperties":{"size":10},"dependsOn":[{"jobId":"a","type":"N_TO_N"}],
				"parameters":{"p":"v"},"containerOverrides":{"vcpus":2,"environment":[{"name":"A","value":"1"}],"resourceRequirements":[{"type":"GPU","value":"1"}]},
				"retryStrategy":{"attempts":3,"evaluateOnExit":[{"action":"RETRY","onExitCode":"1"}]},"propagateTags":true,"timeout":{"attemptDurationSeconds":60},
				"tags":{"team":"data"},"schedulingPriorityOverride":0,"futureMember":{"x":[1]}}`,
		},
		{name: "integers may be written 1.0 or 1e1", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","arrayProperties":{"size":1e1},"timeout":{"attemptDurationSeconds":60.0}}`},
		{name: "required member missing", op: "SubmitJob", body: `{"jobName":"j","jobDefinition":"d"}`, want: "jobQueue is required."},
		{name: "required member null", op: "SubmitJob", body: `{"jobName":"j","jobQueue":null,"jobDefinition":"d"}`, want: "jobQueue is required."},
		{name: "empty body", op: "SubmitJob", body: ``, want: "jobName is required."},
		{name: "first violation in model order", op: "SubmitJob", body: `{"jobQueue":5}`, want: "jobName is required."},
		{name: "string of the wrong type", op: "SubmitJob", body: `{"jobName":"j","jobQueue":["q"],"jobDefinition":"d"}`, want: "jobQueue must be a string."},
		{name: "integer as a string", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","timeout":{"attemptDurationSeconds":"60"}}`, want: "timeout.attemptDurationSeconds must be an integer."},
		{name: "fractional integer", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","arrayProperties":{"size":2.5}}`, want: "arrayProperties.size must be an integer."},
		{name: "integer out of int32 range", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","arrayProperties":{"size":2147483648}}`, want: "arrayProperties.size must be an integer from -2147483648 to 2147483647."},
		{name: "boolean as a string", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","propagateTags":"true"}`, want: "propagateTags must be a boolean."},
		{name: "structure as a list", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","containerOverrides":[]}`, want: "containerOverrides must be an object."},
		{name: "list as an object", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","dependsOn":{}}`, want: "dependsOn must be a list."},
		{name: "enum value", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","dependsOn":[{"jobId":"a"},{"jobId":"b","type":"ALL"}]}`, want: "dependsOn[1].type must satisfy enum value set: [N_TO_N, SEQUENTIAL]."},
		// RetryAction's values "aren't case sensitive" (API reference,
		// EvaluateOnExit action): enumFold in models.json.
		{name: "enum in any case where documented", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","retryStrategy":{"attempts":2,"evaluateOnExit":[{"action":"retry"},{"action":"Exit"}]}}`},
		{name: "enum in any case, still one of them", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","retryStrategy":{"attempts":2,"evaluateOnExit":[{"action":"ignore"}]}}`, want: "retryStrategy.evaluateOnExit[0].action must satisfy enum value set: [RETRY, EXIT]."},
		{name: "enum case elsewhere", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","dependsOn":[{"jobId":"a","type":"n_to_n"}]}`, want: "dependsOn[0].type must satisfy enum value set: [N_TO_N, SEQUENTIAL]."},
		{name: "nested required member", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","containerOverrides":{"resourceRequirements":[{"type":"GPU"}]}}`, want: "containerOverrides.resourceRequirements[0].value is required."},
		{name: "null list element", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","containerOverrides":{"command":["a",null]}}`, want: "containerOverrides.command[1] must be a value, not null."},
		{name: "map value too long", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","tags":{"team":"` + strings.Repeat("v", 257) + `"}}`, want: "tags[team] must have length less than or equal to 256."},
		{name: "map key too long", op: "TagResource", body: `{"resourceArn":"arn","tags":{"` + long + `":"v"}}`, want: "tags key '" + long[:64] + "...' must have length less than or equal to 128."},
		{name: "map value of the wrong type", op: "SubmitJob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d","parameters":{"p":1}}`, want: "parameters[p] must be a string."},
		{name: "map too small", op: "TagResource", body: `{"resourceArn":"arn","tags":{}}`, want: "tags must have length greater than or equal to 1."},
		{name: "list too small", op: "UntagResource", body: `{"resourceArn":"arn","tagKeys":[]}`, want: "tagKeys must have length greater than or equal to 1."},
		{name: "length in UTF-16 units", op: "UntagResource", body: `{"resourceArn":"arn","tagKeys":["` + strings.Repeat("😀", 64) + `"]}`},
		{name: "length in UTF-16 units, one over", op: "UntagResource", body: `{"resourceArn":"arn","tagKeys":["` + strings.Repeat("😀", 64) + `x"]}`, want: "tagKeys[0] must have length less than or equal to 128."},
		{name: "long below its min", op: "UpdateComputeEnvironment", body: `{"computeEnvironment":"ce","updatePolicy":{"jobExecutionTimeoutMinutes":0}}`, want: "updatePolicy.jobExecutionTimeoutMinutes must have value greater than or equal to 1."},
		{name: "long above its max", op: "UpdateComputeEnvironment", body: `{"computeEnvironment":"ce","updatePolicy":{"jobExecutionTimeoutMinutes":361}}`, want: "updatePolicy.jobExecutionTimeoutMinutes must have value less than or equal to 360."},
		{name: "long at its max", op: "UpdateComputeEnvironment", body: `{"computeEnvironment":"ce","updatePolicy":{"jobExecutionTimeoutMinutes":360}}`},
		{name: "operation without required members", op: "DescribeJobQueues", body: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := decodeBody([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateJSON("batch", tt.op, in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateJSON: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != "ClientException" || e.Status != 400 || e.Message != prefix+tt.want {
				t.Fatalf("ValidateJSON = %v\nwant ClientException %q", err, prefix+tt.want)
			}
		})
	}
	t.Run("too many tags", func(t *testing.T) {
		t.Parallel()
		err := ValidateJSON("batch", "TagResource", map[string]any{"resourceArn": "arn", "tags": manyTags})
		if err == nil || !strings.HasSuffix(err.Error(), "tags must have length less than or equal to 50.") {
			t.Errorf("51 tags: %v", err)
		}
	})
	t.Run("values decoded without UseNumber", func(t *testing.T) {
		t.Parallel()
		var in map[string]any
		json.Unmarshal([]byte(`{"jobName":"j","jobQueue":"q","jobDefinition":"d","arrayProperties":{"size":10}}`), &in)
		if err := ValidateJSON("batch", "SubmitJob", in); err != nil {
			t.Error(err)
		}
	})
	t.Run("unknown operation", func(t *testing.T) {
		t.Parallel()
		var e *Error
		if err := ValidateJSON("batch", "LaunchRockets", nil); !errors.As(err, &e) || e.Code != "UnknownOperationException" {
			t.Errorf("err = %v", err)
		}
	})
}

// TestValidateJSONCoral checks the other JSON style, CloudWatch Logs'.
func TestValidateJSONCoral(t *testing.T) {
	t.Parallel()
	err := ValidateJSON("logs", "CreateLogGroup", map[string]any{})
	var e *Error
	if !errors.As(err, &e) || e.Code != "ValidationException" ||
		e.Message != "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null" {
		t.Errorf("missing logGroupName: %v", err)
	}
	err = ValidateJSON("logs", "CreateLogGroup", map[string]any{"logGroupName": "bad name!"})
	if !errors.As(err, &e) || e.Code != "ValidationException" || !strings.HasPrefix(e.Message, "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: ") {
		t.Errorf("bad logGroupName: %v", err)
	}
	err = ValidateJSON("logs", "CreateLogGroup", map[string]any{"logGroupName": 5})
	if !errors.As(err, &e) || e.Code != "SerializationException" || e.Message != "logGroupName must be a string." {
		t.Errorf("logGroupName of the wrong type: %v", err)
	}
	if err := ValidateJSON("iam", "GetUser", nil); err == nil || errors.As(err, &e) {
		t.Errorf("a Query service: %v", err)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	t.Run("result", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		WriteJSON(rec, 0, "rid-1", map[string]any{"jobName": "<a&b>", "createdAt": int64(1700000000123)})
		want := `{"createdAt":1700000000123,"jobName":"<a&b>"}`
		if rec.Code != 200 || rec.Body.String() != want || rec.Header().Get("Content-Type") != "application/json" ||
			rec.Header().Get("x-amzn-RequestId") != "rid-1" || rec.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("WriteJSON wrote %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	})
	t.Run("nil is an empty object", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		WriteJSON(rec, http.StatusCreated, "rid-2", nil)
		if rec.Code != 201 || rec.Body.String() != "{}" {
			t.Errorf("WriteJSON(nil) wrote %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("a value that does not encode is an internal error", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		WriteJSON(rec, 200, "rid-3", map[string]any{"c": make(chan int)})
		if rec.Code != 500 || rec.Header().Get("X-Amzn-ErrorType") != "ServerException" || strings.Contains(rec.Body.String(), "chan") {
			t.Errorf("WriteJSON(chan) wrote %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	})
	t.Run("unknown route error", func(t *testing.T) {
		t.Parallel()
		_, err := ParseRESTJSON("batch", newRESTRequest(t, "POST", "/v1/nope"), nil)
		rec := httptest.NewRecorder()
		WriteJSONError(rec, err, "rid-4", ProtocolRESTJSON)
		var body struct{ Type, Message string }
		json.Unmarshal(rec.Body.Bytes(), &struct {
			Type    *string `json:"__type"`
			Message *string `json:"message"`
		}{&body.Type, &body.Message})
		if rec.Code != 404 || body.Type != "UnknownOperationException" || body.Message != "The batch API has no operation at POST /v1/nope." {
			t.Errorf("wrote %d %s", rec.Code, rec.Body)
		}
	})
}
