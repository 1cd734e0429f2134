package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Error is an AWS error: the code and message the caller sees, the HTTP
// status it travels with and whether the caller (Sender) or the service
// (Receiver) is at fault.
type Error struct {
	Code    string
	Message string
	Status  int
	Sender  bool
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// ErrorCode returns the AWS error code ("NoSuchEntity").
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage returns the message shown to the caller.
func (e *Error) ErrorMessage() string { return e.Message }

// Errorf returns an *Error with the code's HTTP status and fault as the
// botocore models (or, for codes no model defines, AWS's "Common Errors"
// page) give them; an unknown code gets 400 and Sender.
func Errorf(code, format string, args ...any) *Error {
	e := &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest, Sender: true}
	if s, ok := errorTable()[code]; ok {
		e.Status, e.Sender = s.Status, s.Sender
	}
	return e
}

// commonErrors are the errors every AWS API may return, from the "Common
// Errors" page of the AWS API references, plus the codes IAM and STS use for
// authentication and authorization failures.
var commonErrors = []ErrorShape{
	{"AccessDenied", 403, true},
	{"AccessDeniedException", 403, true}, // what JSON services such as Batch send
	{"ExpiredToken", 403, true},
	{"IncompleteSignature", 400, true},
	{"InternalFailure", 500, false},
	{"InvalidAction", 400, true},
	{"InvalidClientTokenId", 403, true},
	{"InvalidParameterCombination", 400, true},
	{"InvalidParameterValue", 400, true},
	{"InvalidQueryParameter", 400, true},
	{"InvalidSignatureException", 400, true},
	{"MalformedQueryString", 404, true},
	{"MissingAction", 400, true},
	{"MissingAuthenticationToken", 403, true},
	{"MissingAuthenticationTokenException", 403, true},
	{"MissingParameter", 400, true},
	{"NotAuthorized", 400, true},
	{"OptInRequired", 403, true},
	{"RequestExpired", 400, true},
	{"SerializationException", 400, true},
	{"ServiceUnavailable", 503, false},
	{"SignatureDoesNotMatch", 403, true},
	{"Throttling", 400, true},
	{"ThrottlingException", 400, true},
	{"UnknownOperationException", 400, true},
	{"UnrecognizedClientException", 400, true},
	{"ValidationError", 400, true},
	{"ValidationException", 400, true},
}

// apiError is what domain packages' AWS errors implement.
type apiError interface {
	error
	ErrorCode() string
	ErrorMessage() string
}

// internalMessage is all a caller learns of an error that is not an AWS
// error.
const internalMessage = "An internal error occurred."

// toError maps any error to the *Error written on the wire: an *Error as it
// is, another AWS error by its code's status, anything else to InternalFailure
// without its text.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			return Errorf(e.Code, "%s", e.Message)
		}
		return e
	}
	var api apiError
	if errors.As(err, &api) {
		e := Errorf(api.ErrorCode(), "%s", api.ErrorMessage())
		// An error that knows its status keeps it: an authorization
		// denial is 403 on every protocol (AWS's "Common Errors"), even
		// where a service's model gives its AccessDeniedException 400.
		var st interface{ HTTPStatus() int }
		if errors.As(err, &st) && st.HTTPStatus() != 0 {
			e.Status = st.HTTPStatus()
		}
		return e
	}
	return &Error{Code: "InternalFailure", Message: internalMessage, Status: http.StatusInternalServerError}
}

// WriteQueryError writes err as a Query protocol error response:
//
//	<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//	  <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…</Message></Error>
//	  <RequestId>…</RequestId>
//	</ErrorResponse>
//
// xmlns is the service's namespace (Service.XMLNamespace). An err without
// ErrorCode() is written as InternalFailure (500) without its text.
func WriteQueryError(w http.ResponseWriter, xmlns string, err error, requestID string) {
	e := toError(err)
	fault := "Receiver"
	if e.Sender {
		fault = "Sender"
	}
	var b bytes.Buffer
	b.WriteString("<ErrorResponse")
	if xmlns != "" {
		b.WriteString(` xmlns="`)
		escape(&b, xmlns)
		b.WriteString(`"`)
	}
	b.WriteString(">\n  <Error>\n    <Type>")
	b.WriteString(fault)
	b.WriteString("</Type>\n    <Code>")
	escape(&b, e.Code)
	b.WriteString("</Code>\n    <Message>")
	escape(&b, e.Message)
	b.WriteString("</Message>\n  </Error>\n  <RequestId>")
	escape(&b, requestID)
	b.WriteString("</RequestId>\n</ErrorResponse>\n")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	w.Write(b.Bytes())
}

// JSON protocols, by botocore's names.
const (
	ProtocolRESTJSON = "rest-json" // Batch
	ProtocolJSON     = "json"      // CloudWatch Logs (JSON 1.1)
)

// WriteJSONError writes err as a REST-JSON (Batch) or JSON 1.1 (Logs) error
// response: the body {"__type":"Code","message":"…"}; REST-JSON also names
// the code in the X-Amzn-ErrorType header, and JSON 1.1 answers with
// content-type application/x-amz-json-1.1. The SDKs and the CLI take the
// code from the header, else from __type, and the message from "message".
// An err without ErrorCode() is written as InternalFailure (500) without its
// text; in REST-JSON as ServerException (500), the fault Batch's model
// defines, which the SDK's Batch client returns as *types.ServerException.
func WriteJSONError(w http.ResponseWriter, err error, requestID, protocol string) {
	e := toError(err)
	// JSON and REST-JSON services name authentication failures their own
	// way (Query services say SignatureDoesNotMatch and
	// InvalidClientTokenId).
	if code, ok := jsonAuthCodes[e.Code]; ok {
		c := *e
		c.Code = code
		e = &c
	}
	if protocol == ProtocolRESTJSON && e.Code == "InternalFailure" {
		e = &Error{Code: "ServerException", Message: e.Message, Status: e.Status}
	}
	body, merr := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	if merr != nil {
		// Cannot happen for two strings; keep the response well-formed.
		body = []byte(`{"__type":"InternalFailure","message":"An internal error occurred."}`)
	}
	h := w.Header()
	if protocol == ProtocolJSON {
		h.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", e.Code)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	w.Write(body)
}

// jsonAuthCodes are the JSON protocols' codes for the Query protocol's
// authentication failures, as CloudWatch Logs, DynamoDB and the REST-JSON
// services answer them; the HTTP status stays the failure's own.
var jsonAuthCodes = map[string]string{
	"SignatureDoesNotMatch": "InvalidSignatureException",
	"InvalidClientTokenId":  "UnrecognizedClientException",
}

// escape writes s as XML character data or as an attribute value in double
// quotes. Characters XML 1.0 cannot hold (most control characters, invalid
// UTF-8, U+FFFE, U+FFFF) become U+FFFD; a carriage return is written as a
// character reference, which parsers keep, where a literal one would be
// normalized away.
func escape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\r':
			b.WriteString("&#xD;")
		case '\t', '\n':
			b.WriteRune(r)
		default:
			if r < 0x20 || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
	}
}

// StatusOf is the HTTP status err is written with.
func StatusOf(err error) int { return toError(err).Status }
