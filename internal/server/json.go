package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"batchd/internal/awsproto"
)

// validationCodes is the code a JSON 1.1 service answers a request that
// fails its model's constraints with, when it is not ValidationException:
// CloudWatch Logs says InvalidParameterException ("1 validation error
// detected: Value null at 'logGroupName' failed to satisfy constraint:
// Member must not be null").
var validationCodes = map[string]string{"logs": "InvalidParameterException"}

// jsonAuditInputs gives, for a service, what the audit trail records of an
// operation's input when it is not the input itself.
var jsonAuditInputs = map[string]func(op string, in any) any{"logs": logsAuditInput}

// serveJSON serves a JSON 1.1 service (CloudWatch Logs): the operation is
// the X-Amz-Target header, "<targetPrefix>.<Operation>" ("Logs_20140328.
// CreateLogGroup"), the input the JSON body. The input is checked against
// the model (ValidateJSON), decoded into the operation's typed input,
// authorized and handled by the operation's row of ops; the result is
// written as JSON with content-type application/x-amz-json-1.1.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, body []byte, c *Call, service string, ops map[string]restOp) {
	c.deniedCode = "AccessDeniedException"
	fail := func(err error) {
		if a := s.cfg.Audit; a != nil {
			a.Record(c, err)
		}
		if ad, ok := err.(*AccessDeniedError); ok && s.cfg.STS != nil {
			w.Header().Set("X-Batchd-Authorization-Message", s.cfg.STS.EncodeAuthorizationMessage(c.Principal, ad.Verdict))
		}
		s.writeError(w, r, protoJSON, c.RequestID, err)
	}
	model, ok := awsproto.Model(service)
	if !ok {
		fail(errors.New("server: no model of " + service))
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, model.TargetPrefix+".")
	op, known := ops[name]
	if !ok || !known {
		fail(awsproto.Errorf("UnknownOperationException", "The operation %q is not supported by batchd's %s endpoint.", target, service))
		return
	}
	c.Operation = name
	if r.Method != http.MethodPost {
		fail(awsproto.Errorf("UnknownOperationException", "%s requests must be POST, not %s.", service, r.Method))
		return
	}
	generic, err := decodeJSONObject(body)
	if err != nil {
		fail(err)
		return
	}
	if err := awsproto.ValidateJSON(service, name, generic); err != nil {
		var ae *awsproto.Error
		if code := validationCodes[service]; code != "" && errors.As(err, &ae) && ae.Code == "ValidationException" {
			err = awsproto.Errorf(code, "%s", ae.Message)
		}
		fail(err)
		return
	}
	in := op.newInput()
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			fail(awsproto.Errorf("SerializationException", "The request body does not match the input of %s.", name))
			return
		}
	}
	c.Input = in
	if f := jsonAuditInputs[service]; f != nil {
		c.Input = f(name, in)
	}
	if err := op.authorize(c, in); err != nil {
		fail(err)
		return
	}
	out, err := op.handle(c, in)
	if err != nil {
		fail(err)
		return
	}
	if a := s.cfg.Audit; a != nil {
		a.Record(c, nil)
	}
	awsproto.WriteJSON(jsonResponse{w, "application/x-amz-json-" + model.JSONVersion}, http.StatusOK, c.RequestID, out)
}

// decodeJSONObject decodes a JSON 1.1 body, numbers as json.Number; an
// empty body is the empty input. Anything but one object is a
// SerializationException, as AWS's JSON services answer.
func decodeJSONObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, awsproto.Errorf("SerializationException", "The request body is not a JSON object.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, awsproto.Errorf("SerializationException", "The request body is not a JSON object.")
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// jsonResponse answers with a JSON 1.1 content type where
// awsproto.WriteJSON writes REST-JSON's application/json.
type jsonResponse struct {
	http.ResponseWriter
	contentType string
}

func (w jsonResponse) WriteHeader(code int) {
	w.Header().Set("Content-Type", w.contentType)
	w.ResponseWriter.WriteHeader(code)
}
