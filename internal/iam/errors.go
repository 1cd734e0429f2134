package iam

import "fmt"

// Error is an IAM API error: an AWS error code and message. The wire layer
// maps the code to its HTTP status.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string        { return e.Code + ": " + e.Message }
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The IAM error codes batchd returns (IAM API Reference, "Common Errors" and
// each operation's Errors).
const (
	CodeNoSuchEntity        = "NoSuchEntity"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeMalformedPolicy     = "MalformedPolicyDocument"
	CodeLimitExceeded       = "LimitExceeded"
	CodeDeleteConflict      = "DeleteConflict"
	CodeInvalidInput        = "InvalidInput"
	CodeValidationError     = "ValidationError"
	CodeUnmodifiableEntity  = "UnmodifiableEntity"
	CodeAccessDenied        = "AccessDenied"
	CodePolicyNotAttachable = "PolicyNotAttachable"
)

func noSuchEntity(format string, args ...any) *Error {
	return errorf(CodeNoSuchEntity, format, args...)
}
func alreadyExists(format string, args ...any) *Error {
	return errorf(CodeEntityAlreadyExists, format, args...)
}
func invalidInput(format string, args ...any) *Error {
	return errorf(CodeInvalidInput, format, args...)
}
func deleteConflict(format string, args ...any) *Error {
	return errorf(CodeDeleteConflict, format, args...)
}
func limitExceeded(format string, args ...any) *Error {
	return errorf(CodeLimitExceeded, format, args...)
}
