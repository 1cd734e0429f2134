package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// RESTRequest is a decoded REST-JSON (Batch) request.
type RESTRequest struct {
	// Operation is the operation the method and path name (SubmitJob).
	Operation string
	// Body is the JSON body, numbers as json.Number; nil when the body
	// is empty (or the JSON null).
	Body map[string]any
	// Labels are the URI labels of the operation's requestUri,
	// percent-decoded ({resourceArn} of /v1/tags/{resourceArn}); nil when
	// it has none.
	Labels map[string]string
	// Query is the URL's query string (UntagResource's tagKeys).
	Query url.Values

	service string
}

// batchErrorPrefix begins the message of Batch's ClientException for a
// request it refuses before running it: "Error executing request,
// Exception : Job name should match valid pattern, RequestId: …", as AWS
// Batch answers (the RequestId is left out here: the SDKs show the request
// id apart).
const batchErrorPrefix = "Error executing request, Exception : "

// jsonParseMessage is Batch's message for a body that is not a JSON object.
const jsonParseMessage = "An error occurred during JSON parsing"

// ParseRESTJSON decodes a request to a REST-JSON service ("batch"): the
// operation its method and path name in the model (POST /v1/submitjob is
// SubmitJob; GET, POST and DELETE /v1/tags/{resourceArn} are
// ListTagsForResource, TagResource and UntagResource), the URI labels, the
// query string and body, the request's body already read.
//
// The path is matched segment by segment on its escaped form, so a label
// holds "/" only percent-encoded, as the SDKs and the CLI send it
// (/v1/tags/arn%3Aaws%3Abatch%3A…%3Ajob-queue%2Fq); a label must not be
// empty. A literal segment wins over a label.
//
// Errors are *Error: UnknownOperationException with 404 when no operation
// has the path, 405 when none answers the method on it (AWS Batch's front
// door answers both with 403 MissingAuthenticationTokenException "Missing
// Authentication Token", which misleads; batchd says what is wrong);
// ClientException (400) "An error occurred during JSON parsing", Batch's
// message, for a body that is not one JSON object, and for a malformed query
// string. Whether the input is valid is ValidateJSON's question.
func ParseRESTJSON(service string, r *http.Request, body []byte) (*RESTRequest, error) {
	s, ok := Model(service)
	if !ok || s.Protocol != ProtocolRESTJSON {
		return nil, fmt.Errorf("awsproto: %q is not a REST-JSON service", service)
	}
	path := "/"
	if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	op, labels, err := route(service, r.Method, path)
	if err != nil {
		return nil, err
	}
	req := &RESTRequest{Operation: op, Labels: labels, service: service}
	if r.URL != nil && r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, Errorf("ClientException", "%sThe query string is malformed: %s", batchErrorPrefix, truncate(err.Error()))
		}
		req.Query = q
	}
	if req.Body, err = decodeBody(body); err != nil {
		return nil, err
	}
	return req, nil
}

// decodeBody decodes a JSON object, keeping numbers as json.Number.
func decodeBody(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, Errorf("ClientException", jsonParseMessage)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		// Something follows the value.
		return nil, Errorf("ClientException", jsonParseMessage)
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf("ClientException", jsonParseMessage)
	}
	return m, nil
}

// restRoute is one operation's method and requestUri, split into segments.
type restRoute struct {
	op, method string
	segs       []uriSeg
	literals   int
}

// uriSeg is a literal path segment, or a {label} ({label+}: greedy, the
// rest of the path).
type uriSeg struct {
	literal, label string
	greedy         bool
}

// restRoutes holds each REST-JSON service's routes, sorted by operation.
var restRoutes = sync.OnceValue(func() map[string][]restRoute {
	out := map[string][]restRoute{}
	for name, s := range models() {
		if s.Protocol != ProtocolRESTJSON {
			continue
		}
		for _, op := range slices.Sorted(maps.Keys(s.Operations)) {
			o := s.Operations[op]
			// A requestUri may name fixed query parameters (S3's
			// ?tagging); Batch's do not, and the path alone is matched.
			p, _, _ := strings.Cut(o.RequestURI, "?")
			rt := restRoute{op: op, method: o.Method}
			for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
				if l, ok := strings.CutPrefix(seg, "{"); ok && strings.HasSuffix(l, "}") {
					l = strings.TrimSuffix(l, "}")
					greedy := strings.HasSuffix(l, "+")
					rt.segs = append(rt.segs, uriSeg{label: strings.TrimSuffix(l, "+"), greedy: greedy})
					continue
				}
				rt.segs = append(rt.segs, uriSeg{literal: seg})
				rt.literals++
			}
			out[name] = append(out[name], rt)
		}
	}
	return out
})

// route finds the operation of a service at method and escaped path.
func route(service, method, path string) (string, map[string]string, error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *restRoute
	var bestLabels map[string]string
	pathKnown := false
	for i := range restRoutes()[service] {
		rt := &restRoutes()[service][i]
		labels, ok := rt.match(parts)
		if !ok {
			continue
		}
		pathKnown = true
		if rt.method != method || best != nil && best.literals >= rt.literals {
			continue
		}
		best, bestLabels = rt, labels
	}
	if best != nil {
		return best.op, bestLabels, nil
	}
	shown := method + " " + truncate(path)
	if pathKnown {
		return "", nil, &Error{Code: "UnknownOperationException", Status: http.StatusMethodNotAllowed, Sender: true,
			Message: fmt.Sprintf("The %s API has no operation at %s: the path does not take this method.", service, shown)}
	}
	return "", nil, &Error{Code: "UnknownOperationException", Status: http.StatusNotFound, Sender: true,
		Message: fmt.Sprintf("The %s API has no operation at %s.", service, shown)}
}

// match matches the escaped path segments parts, returning the labels
// decoded.
func (rt *restRoute) match(parts []string) (map[string]string, bool) {
	var labels map[string]string
	for i, seg := range rt.segs {
		if i >= len(parts) {
			return nil, false
		}
		raw := parts[i]
		if seg.greedy {
			raw = strings.Join(parts[i:], "/")
		}
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		if seg.label == "" {
			if v != seg.literal {
				return nil, false
			}
			continue
		}
		if v == "" {
			return nil, false
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[seg.label] = v
		if seg.greedy {
			return labels, true
		}
	}
	return labels, len(parts) == len(rt.segs)
}

// Input returns the operation's input as one JSON object, the form
// ValidateJSON and Decode read: the body's members, plus the members the
// model places in the URI or the query string, under their member names
// and converted to their shapes' JSON types (a label of an integer shape
// becomes a json.Number, a list in the query string a list of strings). A
// body member of that name is dropped: such members are taken only from
// where the model puts them. Header members are not read.
func (r *RESTRequest) Input() map[string]any {
	in := make(map[string]any, len(r.Body)+len(r.Labels)+len(r.Query))
	maps.Copy(in, r.Body)
	s, ok := Model(r.service)
	if !ok {
		return in
	}
	o := s.Operations[r.Operation]
	if o == nil || o.Input == "" {
		return in
	}
	for _, m := range s.Shapes[o.Input].Members {
		if m.Location == "" {
			continue
		}
		delete(in, m.Name)
		delete(in, wireName(m))
		ms := s.Shapes[m.Shape]
		switch m.Location {
		case "uri":
			if v, ok := r.Labels[wireName(m)]; ok {
				in[m.Name] = textValue(ms, v)
			}
		case "querystring":
			vs, ok := r.Query[wireName(m)]
			if !ok {
				continue
			}
			switch ms.Type {
			case "list":
				l := make([]any, len(vs))
				for i, v := range vs {
					l[i] = textValue(s.Shapes[ms.Member.Shape], v)
				}
				in[m.Name] = l
			case "map":
				// A querystring map takes every parameter the
				// operation does not name otherwise.
				mv := map[string]any{}
				for k, v := range r.Query {
					if !queryNamed(s, o.Input, k) && len(v) > 0 {
						mv[k] = textValue(s.Shapes[ms.Value.Shape], v[0])
					}
				}
				in[m.Name] = mv
			default:
				in[m.Name] = textValue(ms, vs[0])
			}
		}
	}
	return in
}

// queryNamed reports whether a query parameter is a named querystring
// member of the input shape.
func queryNamed(s *Service, input, param string) bool {
	for _, m := range s.Shapes[input].Members {
		if m.Location == "querystring" && s.Shapes[m.Shape].Type != "map" && wireName(m) == param {
			return true
		}
	}
	return false
}

// textValue converts a URI or query string value to its shape's JSON type;
// a value that does not convert stays a string, for ValidateJSON to refuse.
func textValue(sh *Shape, v string) any {
	switch sh.Type {
	case "integer", "long", "float", "double":
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.Number(v)
		}
	case "boolean":
		if v == "true" || v == "false" {
			return v == "true"
		}
	}
	return v
}

// Decode decodes the request's Input into v, a pointer to the operation's
// input type (batch.SubmitJobRequest). A value of the wrong JSON type is a
// ClientException naming the field; run ValidateJSON first for the model's
// constraints and AWS's messages.
func (r *RESTRequest) Decode(v any) error {
	return DecodeRESTInput(r.Operation, r.Input(), v)
}

// DecodeRESTInput is Decode for an operation's input given as a JSON
// object (as the request's body and URI give it together).
func DecodeRESTInput(op string, in map[string]any, v any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("awsproto: encoding the input of %s: %w", op, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Errorf("ClientException", "%s%s must be %s.", batchErrorPrefix, te.Field, goTypeName(te.Type.String()))
		}
		return Errorf("ClientException", jsonParseMessage)
	}
	return nil
}

// goTypeName names a Go type in the words of an error message.
func goTypeName(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int"):
		return "an integer in the range of " + t
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "an object"
	}
	return "an object"
}

// WriteJSON writes a successful REST-JSON (Batch) response: status (200
// when 0), content-type application/json, x-amzn-RequestId, and v encoded
// as JSON with <, > and & left as they are, as AWS writes them; nil is
// written as {}. A v that does not encode is written as InternalFailure
// (500) through WriteJSONError.
func WriteJSON(w http.ResponseWriter, status int, requestID string, v any) {
	body := []byte("{}")
	if v != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			WriteJSONError(w, fmt.Errorf("awsproto: encoding a %T result: %w", v, err), requestID, ProtocolRESTJSON)
			return
		}
		body = bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	}
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	w.Write(body)
}
