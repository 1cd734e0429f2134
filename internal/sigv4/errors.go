package sigv4

import (
	"strconv"
	"strings"
	"time"
)

// Error is an authentication failure as AWS reports it: an error code, a
// message in AWS's wording and the HTTP status AWS answers with. Messages
// never carry a secret: at most the access key ID, the credential scope, the
// signed header names and the signature the client sent, as AWS echoes them.
type Error struct {
	Code    string
	Message string
	Status  int
}

// Error returns "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode returns the AWS error code, such as "SignatureDoesNotMatch".
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage returns the message in AWS's wording.
func (e *Error) ErrorMessage() string { return e.Message }

// HTTPStatus returns the HTTP status AWS answers this error with.
func (e *Error) HTTPStatus() int { return e.Status }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrUnsigned) holds for every unsigned request.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrUnsigned is what Parse returns, by code, for a request that carries no
// signature at all; the caller may still serve operations AWS allows unsigned.
var ErrUnsigned = &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingToken, Status: 403}

// The error codes this package returns.
//
// Statuses: the IAM and STS API References, "Common Errors" (IncompleteSignature
// 400, MissingAuthenticationToken 403, RequestExpired 400); SignatureDoesNotMatch
// is 403 as STS answers it (boto/boto3#756, aws/aws-cli#6676).
// AuthorizationQueryParametersError is Amazon S3's code for a bad X-Amz-Expires
// (S3 API Reference, "Authenticating Requests: Using Query Parameters"); IAM and
// STS have none of their own, since they ignore X-Amz-Expires (aws/aws-sdk-go#2167).
const (
	CodeMissingAuthenticationToken        = "MissingAuthenticationToken"
	CodeIncompleteSignature               = "IncompleteSignature"
	CodeSignatureDoesNotMatch             = "SignatureDoesNotMatch"
	CodeRequestExpired                    = "RequestExpired"
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
)

// Messages, in AWS's words. Where AWS documents none, the wording is taken
// from AWS's own responses as quoted in public reports:
//
//   - msgMissingToken: `aws sts ... --no-sign-request`; DynamoDB's response as
//     recorded by mhart/dynalite (index.js), which records the whole Coral
//     (IAM/STS/DynamoDB front end) check order this package follows.
//   - "Authorization header requires 'X' parameter. ... Authorization=...":
//     SES (brendanhay/amazonka#316), API Gateway (aws/chalice#828), dynalite.
//   - "'X' not a valid key=value pair (missing equal-sign) in Authorization
//     header: '...'.": STS (jenkinsci/aws-credentials-plugin#72),
//     CloudFormation (aws/aws-sdk-go#289).
//   - "Unsupported AWS 'algorithm'", "Credential must have exactly 5
//     slash-delimited elements", "Date must be in ISO-8601 'basic format'",
//     the credential-scope messages and "'Host' or ':authority' must be a
//     'SignedHeader'": dynalite, dacut/scratchstack-aws-signature, and AWS's
//     "Troubleshoot Signature Version 4 errors" (credential scope, dates).
//   - msgSignatureMismatch: STS (boto/boto3#756); AWS also appends the
//     canonical request there, which can hold a session token, so batchd
//     does not.
//   - "Signature expired: ... (... - 15 min.)": STS GetCallerIdentity
//     (aws/aws-cli#6676); "Signature not yet current: ... (... + 15 min.)":
//     AWS's troubleshooting page and scratchstack.
//   - "AWS query-string parameters must include 'X'. Re-examine the
//     query-string parameters.": scratchstack.
//   - msgRequestExpired: EC2's RequestExpired ("Request has expired."), the
//     code the Common Errors pages give for a presigned URL past its expiry.
//   - X-Amz-Expires messages and msgOneAuthMechanism: Amazon S3.
const (
	msgMissingToken      = "Request is missing Authentication Token"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgRequestExpired    = "Request has expired."
	msgExpiresNotNumber  = "X-Amz-Expires should be a number"
	msgExpiresNegative   = "X-Amz-Expires must be non-negative"
	msgExpiresTooLarge   = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	msgOneAuthMechanism  = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"

	msgRequiresCredential    = "Authorization header requires 'Credential' parameter. "
	msgRequiresSignature     = "Authorization header requires 'Signature' parameter. "
	msgRequiresSignedHeaders = "Authorization header requires 'SignedHeaders' parameter. "
	msgRequiresDate          = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
)

// maxEcho bounds how much of a client's Authorization header an error echoes.
const maxEcho = 1024

func incomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg, Status: 400}
}

func mismatch(msg string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msg, Status: 403}
}

func errSignatureMismatch() *Error { return mismatch(msgSignatureMismatch) }

func errRequestExpired() *Error {
	return &Error{Code: CodeRequestExpired, Message: msgRequestExpired, Status: 400}
}

func errQueryParams(msg string) *Error {
	return &Error{Code: CodeAuthorizationQueryParametersError, Message: msg, Status: 400}
}

// echo is the Authorization header as an error may repeat it. A SigV4 header
// holds no secret; any other scheme (a bearer token, say) is cut to its name.
func echo(header string) string {
	if !strings.HasPrefix(header, "AWS4-") {
		header, _, _ = strings.Cut(header, " ")
	}
	return clip(header)
}

// clip bounds a client-supplied string an error repeats.
func clip(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + "..."
	}
	return s
}

func errMissingParts(header string, credential, signature, signedHeaders, date bool) *Error {
	var b strings.Builder
	if !credential {
		b.WriteString(msgRequiresCredential)
	}
	if !signature {
		b.WriteString(msgRequiresSignature)
	}
	if !signedHeaders {
		b.WriteString(msgRequiresSignedHeaders)
	}
	if !date {
		b.WriteString(msgRequiresDate)
	}
	b.WriteString("Authorization=")
	b.WriteString(echo(header))
	return incomplete(b.String())
}

func errNotKeyValue(part, header string) *Error {
	return incomplete("'" + clip(part) + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + echo(header) + "'.")
}

// errRepeatedPart: AWS documents no wording for a component given twice;
// batchd refuses it (the first and the second could be read differently
// by two parsers) in the style of errNotKeyValue.
func errRepeatedPart(key, header string) *Error {
	return incomplete("'" + clip(key) + "' given more than once in Authorization header: '" + echo(header) + "'.")
}

func errUnsupportedAlgorithm(alg string) *Error {
	return incomplete("Unsupported AWS 'algorithm': '" + clip(alg) + "' (only AWS4-HMAC-SHA256 for now). ")
}

func errCredentialParts(credential string) *Error {
	return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + clip(credential) + "'")
}

func errDateFormat(value string) *Error {
	return incomplete("Date must be in ISO-8601 'basic format'. Got '" + clip(value) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

func errQueryMissing(names []string) *Error {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("AWS query-string parameters must include '")
		b.WriteString(n)
		b.WriteString("'. ")
	}
	b.WriteString("Re-examine the query-string parameters.")
	return incomplete(b.String())
}

func errExpired(req, now time.Time, skew time.Duration) *Error {
	return mismatch("Signature expired: " + amzTime(req) + " is now earlier than " + amzTime(now.Add(-skew)) +
		" (" + amzTime(now) + " - " + skewText(skew) + ")")
}

func errNotYetCurrent(req, now time.Time, skew time.Duration) *Error {
	return mismatch("Signature not yet current: " + amzTime(req) + " is still later than " + amzTime(now.Add(skew)) +
		" (" + amzTime(now) + " + " + skewText(skew) + ")")
}

// skewText renders the allowed skew as AWS does ("15 min.").
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// Credential-scope messages; AWS joins every one that applies with a space.
func scopeRegion(region string) string {
	return "Credential should be scoped to a valid region, not '" + clip(region) + "'. "
}

func scopeTerminator(term string) string {
	return "Credential should be scoped with a valid terminator: 'aws4_request', not '" + clip(term) + "'. "
}

func scopeDate(scope string, t time.Time) string {
	return "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
		clip(scope) + "' != '" + t.UTC().Format(shortDateLayout) + "', from '" + amzTime(t) + "'."
}

func amzTime(t time.Time) string { return t.UTC().Format(amzDateLayout) }
