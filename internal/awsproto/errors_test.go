package awsproto

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorfStatusFromModels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code       string
		wantStatus int
		wantSender bool
	}{
		{"NoSuchEntity", 404, true},                          // iam: code differs from the shape name
		{"EntityAlreadyExists", 409, true},                   // iam
		{"ReportInProgress", 404, true},                      // iam CredentialReportNotReadyException
		{"ServiceFailure", 500, false},                       // iam, no senderFault
		{"PolicyEvaluation", 500, false},                     // iam
		{"CallerIsNotManagementAccountException", 400, true}, // iam, no error block: the shape name
		{"ExpiredTokenException", 400, true},                 // sts
		{"IDPRejectedClaim", 403, true},                      // sts
		{"ClientException", 400, true},                       // batch
		{"ServerException", 500, false},                      // batch, fault
		{"ResourceNotFoundException", 400, true},             // logs, no error block
		{"ServiceUnavailableException", 500, false},          // logs, fault
		{"InternalFailure", 500, false},                      // common
		{"ServiceUnavailable", 503, false},                   // common
		{"AccessDenied", 403, true},                          // common (IAM/STS authorization)
		{"MalformedQueryString", 404, true},                  // common
		{"NoSuchCode", 400, true},                            // unknown: 400, Sender
	}
	for _, tt := range tests {
		e := Errorf(tt.code, "m %d", 1)
		if e.Status != tt.wantStatus || e.Sender != tt.wantSender || e.Code != tt.code || e.Message != "m 1" {
			t.Errorf("Errorf(%s) = %+v, want status %d sender %v", tt.code, e, tt.wantStatus, tt.wantSender)
		}
	}
	if e := Errorf("InvalidInput", "100%% sure"); e.Message != "100% sure" {
		t.Errorf("Errorf formats like fmt: %q", e.Message)
	}
	if got := Errorf("NoSuchEntity", "gone").Error(); got != "NoSuchEntity: gone" {
		t.Errorf("Error() = %q", got)
	}
}

// domainError is an AWS error of another package: code and message only.
type domainError struct{ code, msg string }

func (e domainError) Error() string        { return e.code + ": " + e.msg }
func (e domainError) ErrorCode() string    { return e.code }
func (e domainError) ErrorMessage() string { return e.msg }

func TestWriteErrorKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"*Error", Errorf("DeleteConflict", "Cannot delete entity, must detach all policies first."), 409, "DeleteConflict", "Cannot delete entity, must detach all policies first."},
		{"wrapped *Error", fmt.Errorf("iam: %w", Errorf("LimitExceeded", "too many")), 409, "LimitExceeded", "too many"},
		{"*Error without status", &Error{Code: "NoSuchEntity", Message: "x"}, 404, "NoSuchEntity", "x"},
		{"another package's AWS error", fmt.Errorf("wrap: %w", domainError{"EntityAlreadyExists", "User with name alice already exists."}), 409, "EntityAlreadyExists", "User with name alice already exists."},
		{"plain error", errors.New("secret detail"), 500, "InternalFailure", "An internal error occurred."},
		{"nil-message plain error", fmt.Errorf(""), 500, "InternalFailure", "An internal error occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := httptest.NewRecorder()
			WriteQueryError(q, iamNS, tt.err, "rid")
			body := q.Body.String()
			if q.Code != tt.wantStatus || !strings.Contains(body, "<Code>"+tt.wantCode+"</Code>") ||
				!strings.Contains(body, "<Message>"+tt.wantMessage+"</Message>") || q.Header().Get("x-amzn-RequestId") != "rid" {
				t.Errorf("query: %d %q", q.Code, body)
			}
			j := httptest.NewRecorder()
			WriteJSONError(j, tt.err, "rid", ProtocolRESTJSON)
			jsonCode := tt.wantCode
			if jsonCode == "InternalFailure" {
				// Batch's model names its internal fault.
				jsonCode = "ServerException"
			}
			if j.Code != tt.wantStatus || j.Header().Get("X-Amzn-ErrorType") != jsonCode ||
				!strings.Contains(j.Body.String(), `"__type":"`+jsonCode+`"`) || j.Header().Get("x-amzn-RequestId") != "rid" {
				t.Errorf("rest-json: %d %v %q", j.Code, j.Header(), j.Body.String())
			}
			if strings.Contains(body+j.Body.String(), "secret") {
				t.Error("the cause of an internal error leaked")
			}
		})
	}
}
