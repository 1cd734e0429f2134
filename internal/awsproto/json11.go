package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// JSONRequest is a decoded JSON 1.1 (CloudWatch Logs) request.
type JSONRequest struct {
	// Operation is the operation X-Amz-Target names
	// ("Logs_20140328.CreateLogGroup" → CreateLogGroup).
	Operation string
	// Body is the JSON body, numbers as json.Number; empty for an empty
	// body.
	Body map[string]any
	raw  []byte
}

// jsonValidationCodes is the code a JSON 1.1 service answers a request
// that fails its model's constraints with, when it is not
// ValidationException: CloudWatch Logs says InvalidParameterException ("1
// validation error detected: Value null at 'logGroupName' failed to
// satisfy constraint: Member must not be null").
var jsonValidationCodes = map[string]string{"logs": "InvalidParameterException"}

// ParseJSON11 decodes a request to a JSON 1.1 service: the operation is
// the X-Amz-Target header, "<targetPrefix>.<Operation>", the input the
// JSON body. known says whether the service serves an operation. Errors
// are *Error: UnknownOperationException for a target the service does not
// serve or a method other than POST, SerializationException for a body
// that is not one JSON object.
func ParseJSON11(service string, r *http.Request, body []byte, known func(op string) bool) (*JSONRequest, error) {
	s, ok := Model(service)
	if !ok || s.Protocol != ProtocolJSON {
		return nil, fmt.Errorf("awsproto: %q is not a JSON 1.1 service", service)
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, s.TargetPrefix+".")
	if !ok || !known(name) {
		return nil, Errorf("UnknownOperationException", "The operation %q is not supported by batchd's %s endpoint.", target, service)
	}
	if r.Method != http.MethodPost {
		return &JSONRequest{Operation: name}, Errorf("UnknownOperationException", "%s requests must be POST, not %s.", service, r.Method)
	}
	m, err := DecodeJSONObject(body)
	if err != nil {
		return &JSONRequest{Operation: name}, err
	}
	return &JSONRequest{Operation: name, Body: m, raw: body}, nil
}

// Input is the request's input for ValidateJSON: its body.
func (r *JSONRequest) Input() map[string]any { return r.Body }

// Validate checks the input against the model as the service answers:
// ValidateJSON's errors, with the service's own code for a validation
// error.
func (r *JSONRequest) Validate(service string) error {
	err := ValidateJSON(service, r.Operation, r.Body)
	var ae *Error
	if code := jsonValidationCodes[service]; code != "" && errors.As(err, &ae) && ae.Code == "ValidationException" {
		return Errorf(code, "%s", ae.Message)
	}
	return err
}

// Decode decodes the body into v, a pointer to the operation's input type.
func (r *JSONRequest) Decode(v any) error {
	if len(bytes.TrimSpace(r.raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.raw, v); err != nil {
		return Errorf("SerializationException", "The request body does not match the input of %s.", r.Operation)
	}
	return nil
}

// DecodeJSONObject decodes a JSON 1.1 body, numbers as json.Number; an
// empty body is the empty input. Anything but one object is a
// SerializationException, as AWS's JSON services answer.
func DecodeJSONObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, Errorf("SerializationException", "The request body is not a JSON object.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf("SerializationException", "The request body is not a JSON object.")
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// WriteJSON11 writes a successful JSON 1.1 response: as WriteJSON, with
// content-type application/x-amz-json-<version> of the service's model.
func WriteJSON11(w http.ResponseWriter, service, requestID string, v any) {
	version := "1.1"
	if s, ok := Model(service); ok && s.JSONVersion != "" {
		version = s.JSONVersion
	}
	WriteJSON(contentTyped{w, "application/x-amz-json-" + version}, http.StatusOK, requestID, v)
}

// contentTyped answers with its content type where WriteJSON writes
// REST-JSON's application/json.
type contentTyped struct {
	http.ResponseWriter
	contentType string
}

func (w contentTyped) WriteHeader(code int) {
	w.Header().Set("Content-Type", w.contentType)
	w.ResponseWriter.WriteHeader(code)
}
